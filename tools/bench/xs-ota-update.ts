/*
 * The node's update path in XS (docs/ota.md, "Figures"): NodeApp on the stub
 * host in its steady monitoring state takes `cmd/ota` and downloads a package
 * one TCP segment at a time while its windows go on, through the real
 * RangedDownload, PackageVerifier and agent, into a slot that discards
 * (tools/bench/xs-ota-update-case.ts). Measured: the computrons per KiB of
 * package once the header is authenticated (download, SHA-256, slot writes,
 * progress acks), the first segment's (the signature check), and the most XS
 * memory the update holds above the node's steady state, after a collection
 * following each step, as the firmware figures count it (slots at 16 B on the
 * ESP32 plus chunk bytes, flash taken out: tools/bench/xs-node.ts).
 *
 * With `native`, the host's crypto is a zero-cost stand-in for the device's C
 * (the digest is given): what is left is the XS the device itself spends.
 * The caller's process must have imported "@endo/init" (xs-ota-child.ts).
 */
import crypto from "node:crypto";
import { XsSession } from "../xs/harness.js";
import { firmwareSpec, firmwareStage } from "../xs/bridge.js";
import { encodeHeader } from "../../firmware/ota/header.js";
import { deviceSlotBytes } from "../ota/partitions.js";
import { fillPayload } from "./ota-payload.js";
import { FIRMWARE_WINDOWS, XS_SLOT_BYTES_ESP32 } from "./xs-node.js";

export const XS_OTA_UPDATE_CASE_ENTRY = "tools/bench/xs-ota-update-case.ts";
/** A TCP segment's payload on Ethernet-sized frames (Wi-Fi carries the same MSS). */
export const SEGMENT_BYTES = 1460;
/** Segments that arrive per window of the node (n = 4096 at 3200 Hz, 1.28 s): about 50 kB/s. */
export const SEGMENTS_PER_WINDOW = 45;
/** The node's window (the firmware figures' steady state). */
const WINDOW_N = 4096;
/** The package's version: any the running image (0.x) is not. */
const UPDATE_VERSION = "99.0.0";
const SERVER = { host: "192.0.2.1", port: 8080 };
const KIB = 1024;

export interface XsOtaUpdateFigures {
  payloadBytes: number;
  packageBytes: number;
  /** Bytes per segment, segments per step (a window of the node between steps). */
  segmentBytes: number;
  segmentsPerStep: number;
  windowN: number;
  /** The first segment: response head, header, signature check, the first payload bytes. */
  firstSegmentCompute: number;
  /** Computrons per KiB of package after the first segment. */
  perKiB: number;
  /** All the update's computrons (every segment; the node's windows not included). */
  compute: number;
  /** The node's steady state (max after a collection over the windows before the update). */
  steady: { slots: number; chunkBytes: number; peakSlots: number };
  /** Most above the steady state while updating, after a collection following each step. */
  above: { slots: number; chunkBytes: number; bytes: number };
  /** Most slots in use right after a step, before a collection (live and garbage). */
  peakSlots: number;
  windows: number;
  /** The update reached `rebooting` (verified, slot complete). */
  state: string;
}

/** A package for the stub host's esp32 slot: header and signature by Node's crypto, payload from ota-payload.ts. */
function signedPrefix(payloadBytes: number): { prefix: Buffer; spki: Buffer; sha256: Buffer } {
  const { privateKey, publicKey } = crypto.generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const hash = crypto.createHash("sha256");
  const block = new Uint8Array(64 * KIB);
  for (let at = 0; at < payloadBytes; at += block.length) {
    const part = block.subarray(0, Math.min(block.length, payloadBytes - at));
    fillPayload(part, at);
    hash.update(part);
  }
  const sha256 = hash.digest();
  const header = encodeHeader({ target: "esp32", counter: 0, payloadSize: payloadBytes, version: UPDATE_VERSION, sha256 });
  const signature = crypto.sign("sha256", header, { key: privateKey, dsaEncoding: "ieee-p1363" });
  return { prefix: Buffer.concat([header, signature]), spki: publicKey.export({ type: "spki", format: "der" }), sha256 };
}

interface StepReply {
  state?: string;
  error?: string;
  pending: boolean;
  served: number;
  completed: boolean;
  result?: { ok: boolean; error?: string };
}

export async function measureXsOtaUpdate(options: { payloadBytes: number; native?: boolean; log?: (m: string) => void }): Promise<XsOtaUpdateFigures> {
  const { payloadBytes } = options;
  const slotBytes = deviceSlotBytes();
  if (payloadBytes > slotBytes) throw new Error(`xs-ota-update: ${payloadBytes} bytes do not fit the ${slotBytes}-byte slot`);
  const { prefix, spki, sha256 } = signedPrefix(payloadBytes);
  const packageBytes = prefix.length + payloadBytes;
  const spec = firmwareSpec(WINDOW_N);
  const update = {
    prefix: prefix.toString("base64"),
    payloadBytes,
    slotBytes,
    key: spki.toString("base64"),
    ...SERVER,
    segmentBytes: SEGMENT_BYTES,
    ...(options.native ? { nativeDigest: sha256.toString("base64") } : {}),
  };
  const s = await XsSession.open(XS_OTA_UPDATE_CASE_ENTRY, { meteringLimit: 0, name: "xs-ota-update" });
  try {
    await firmwareStage(s, { op: "host", spec, update });
    await firmwareStage(s, { op: "construct", spec });
    const started = await firmwareStage(s, { op: "start" });
    const steady = { slots: started.slots, chunkBytes: started.chunkBytes, peakSlots: started.heapBefore };
    for (let i = 0; i < FIRMWARE_WINDOWS; i++) {
      const w = await firmwareStage(s, { op: "windows", count: 1 });
      steady.slots = Math.max(steady.slots, w.slots);
      steady.chunkBytes = Math.max(steady.chunkBytes, w.chunkBytes);
      steady.peakSlots = Math.max(steady.peakSlots, w.heapBefore);
    }
    const above = { slots: 0, chunkBytes: 0, bytes: 0 };
    let peakSlots = 0;
    const track = (m: { slots: number; chunkBytes: number; heapBefore: number }) => {
      const slots = m.slots - steady.slots;
      const chunkBytes = m.chunkBytes - steady.chunkBytes;
      above.slots = Math.max(above.slots, slots);
      above.chunkBytes = Math.max(above.chunkBytes, chunkBytes);
      above.bytes = Math.max(above.bytes, slots * XS_SLOT_BYTES_ESP32 + chunkBytes);
      peakSlots = Math.max(peakSlots, m.heapBefore);
    };
    const command = { url: `http://${SERVER.host}:${SERVER.port}/update.snup`, version: UPDATE_VERSION, sha256: sha256.toString("hex"), size: packageBytes };
    const accepted = await firmwareStage(s, { op: "ota", command });
    const result = (accepted.reply as StepReply).result;
    if (!result?.ok) throw new Error(`xs-ota-update: cmd/ota refused in XS: ${result?.error ?? "no answer"}`);
    track(accepted);
    const first = await firmwareStage(s, { op: "pump", segments: 2 }); // the connection, then the first segment
    track(first);
    let compute = accepted.compute + first.compute;
    let after = 0;
    let reply = first.reply as StepReply;
    const bodyAfterFirst = reply.served;
    let windows = 0;
    // Bounded: each step delivers SEGMENTS_PER_WINDOW segments or ends the loop.
    const maxSteps = Math.ceil(packageBytes / (SEGMENT_BYTES * SEGMENTS_PER_WINDOW)) + 2;
    for (let step = 0; reply.pending && step < maxSteps; step++) {
      const w = await firmwareStage(s, { op: "windows", count: 1 });
      windows++;
      track(w);
      const p = await firmwareStage(s, { op: "pump", segments: SEGMENTS_PER_WINDOW });
      track(p);
      compute += p.compute;
      after += p.compute;
      reply = p.reply as StepReply;
      if (step % 8 === 0) options.log?.(`xs-ota-update: ${reply.served} of ${packageBytes} bytes, ${reply.state}`);
    }
    if (reply.state !== "rebooting" || !reply.completed) throw new Error(`xs-ota-update: the update ended ${reply.state ?? "without a state"}${reply.error ? `: ${reply.error}` : ""} after ${reply.served} bytes`);
    return {
      payloadBytes,
      packageBytes,
      segmentBytes: SEGMENT_BYTES,
      segmentsPerStep: SEGMENTS_PER_WINDOW,
      windowN: WINDOW_N,
      firstSegmentCompute: first.compute,
      perKiB: after / ((reply.served - bodyAfterFirst) / KIB),
      compute,
      steady,
      above,
      peakSlots: peakSlots - steady.peakSlots,
      windows,
      state: reply.state,
    };
  } finally {
    await s.close();
  }
}
