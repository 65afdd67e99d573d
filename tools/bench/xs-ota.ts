/*
 * The deterministic figures of update verification in XS (pure ECMAScript, the
 * simulator's path): computrons per KiB hashed, per signature verification, and
 * the heap of a streaming verification of a package as large as the device's
 * slot. The caller's process must have imported "@endo/init" (xs-child.ts,
 * test/xs-ota.test.ts). These are not device figures: the device hashes and
 * verifies in the SDK's C (docs/ota.md).
 */
import crypto from "node:crypto";
import { withXsSession, xsCase } from "../xs/harness.js";
import { encodeHeader } from "../../firmware/ota/header.js";
import { fillPayload } from "./ota-payload.js";

export const XS_OTA_CASES_ENTRY = "tools/bench/xs-ota-cases.ts";
/** Hashed in the per-KiB figure (the fill baseline subtracted). */
const HASH_KIB = 64;
/** The download's chunk: the agent's budget is 8 KiB of buffers (issue 17); 4 KiB a flash sector. */
export const OTA_CHUNK_BYTES = 4096;
/** Chunks per XS command while streaming (a command is one heap sample). */
const CHUNKS_PER_STEP = 16;
/** Signatures verified for the mean. */
const VERIFY_COUNT = 3;

export interface XsOtaFigures {
  sha256PerKiB: number;
  verifyP256: number;
  /** The streamed payload (bytes) and the slot it fills. */
  payloadBytes: number;
  /** Computrons of the whole streaming verification (header, signature, payload hash). */
  streamCompute: number;
  /** XS heap slots after a collection with the verifier idle, and the most seen (before collection) while streaming, above that. */
  baselineSlots: number;
  peakSlotsAbove: number;
  /** Slots still held by the verifier mid-stream, after a collection (what it keeps, not its garbage). */
  retainedSlotsAbove: number;
}

export async function measureXsOta(options: { payloadBytes: number }): Promise<XsOtaFigures> {
  const { privateKey, publicKey } = crypto.generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const spki = publicKey.export({ type: "spki", format: "der" });
  const payload = new Uint8Array(options.payloadBytes);
  fillPayload(payload, 0);
  const header = encodeHeader({ target: "esp32", counter: 0, payloadSize: payload.length, version: "1.0.0", sha256: crypto.createHash("sha256").update(payload).digest() });
  const prefix = Buffer.concat([header, crypto.sign("sha256", header, { key: privateKey, dsaEncoding: "ieee-p1363" })]);
  const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64");

  return withXsSession(XS_OTA_CASES_ENTRY, async (s) => {
    const hashed = await xsCase(s, "sha256", { kib: HASH_KIB });
    const fill = await xsCase(s, "fill", { kib: HASH_KIB });
    let verifyTotal = 0;
    for (let i = 0; i < VERIFY_COUNT; i++) {
      const message = crypto.randomBytes(80);
      const digest = crypto.createHash("sha256").update(message).digest();
      const signature = crypto.sign("sha256", message, { key: privateKey, dsaEncoding: "ieee-p1363" });
      const r = await xsCase(s, "verify", { spki: b64(spki), digest: b64(digest), signature: b64(signature) });
      if (!(r.value as { ok: boolean }).ok) throw new Error("xs-ota: a node:crypto signature did not verify in XS");
      verifyTotal += r.compute;
    }
    await xsCase(s, "gc");
    const base = await xsCase(s, "gc");
    const started = await xsCase(s, "start", { prefix: b64(prefix), spki: b64(spki), slotBytes: payload.length, chunkBytes: OTA_CHUNK_BYTES });
    if (!(started.value as { accepted: boolean }).accepted) throw new Error("xs-ota: the package's header was refused in XS");
    let compute = started.compute;
    let peak = started.heapCount;
    let retained = 0;
    for (let at = 0; at < payload.length; ) {
      const r = await xsCase(s, "feed", { count: CHUNKS_PER_STEP, total: payload.length });
      compute += r.compute;
      peak = Math.max(peak, r.heapCount);
      at = (r.value as { at: number }).at;
      if (!retained) retained = (await xsCase(s, "gc")).heapCount - base.heapCount;
    }
    const done = await xsCase(s, "finish");
    if ((done.value as { refusal: string | null }).refusal) throw new Error(`xs-ota: refused in XS: ${(done.value as { refusal: string }).refusal}`);
    compute += done.compute;
    return {
      sha256PerKiB: (hashed.compute - fill.compute) / HASH_KIB,
      verifyP256: verifyTotal / VERIFY_COUNT,
      payloadBytes: payload.length,
      streamCompute: compute,
      baselineSlots: base.heapCount,
      peakSlotsAbove: peak - base.heapCount,
      retainedSlotsAbove: retained,
    };
  });
}
