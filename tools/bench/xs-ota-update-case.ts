/*
 * XS side of the update figures (tools/bench/xs-ota-update.ts runs it in xsnap):
 * the whole node (NodeApp on the stub host of tools/xs/cases/stub-host.ts)
 * takes `cmd/ota` and runs its real update path: RangedDownload over a socket
 * that delivers an HTTP 206 one TCP segment at a time (tools/xs/cases/range-server.ts),
 * PackageVerifier with the firmware's pure crypto (XS has no native), the
 * agent's progress acks over MQTT, and a slot writer that discards what the
 * flash would take. Header and signature are Node's; the payload is made on
 * each read, from one 64 KiB period (tools/bench/ota-payload.ts).
 *
 *   {op: "host", spec, update}  the stub host, its firmware slots and the package's server
 *   {op: "construct"} {op: "start"} {op: "windows", count} {op: "gc"}   tools/xs/cases/staged-node.ts
 *   {op: "ota", command}        cmd/ota as the router runs it
 *   {op: "pump", segments}      that many more segments arrive (broker replies delivered between)
 *
 * Every reply carries `flash` (the append logs' bytes: flash on a device).
 */
import type { FirmwareSlots, Host, HostCrypto, SlotWriter } from "../../firmware/host.js";
import { base64Decode } from "../../firmware/util/base64.js";
import { flashBytesHeld } from "../xs/cases/host-parts.js";
import { RangeServer } from "../xs/cases/range-server.js";
import { buildStubHost, type FirmwareSpec, type StubHost } from "../xs/cases/stub-host.js";
import { StagedNode } from "../xs/cases/staged-node.js";
import { onCommand } from "../xs/cases/runtime.js";
import { copyPayload, payloadPeriod } from "./ota-payload.js";

/** What the host serves and trusts (tools/bench/xs-ota-update.ts UpdateSpec). */
interface UpdateSpec {
  /** Header and signature, base64. */
  prefix: string;
  payloadBytes: number;
  slotBytes: number;
  /** The trusted key: base64 DER SPKI (the image's `otaKeys`). */
  key: string;
  host: string;
  port: number;
  segmentBytes: number;
  /** The payload's SHA-256 (base64): given, the host's crypto is a zero-cost stand-in for the device's native one. */
  nativeDigest?: string;
}

/** A slot that takes the image and keeps nothing: the flash is native on the device. */
class DiscardingSlots implements FirmwareSlots {
  readonly target = "esp32" as const;
  readonly runningSlot = "ota_0";
  readonly pendingVerify = false;
  written = 0;
  completed = false;
  constructor(
    readonly slotBytes: number,
    readonly trustedKeys: string,
  ) {}
  begin(size: number): SlotWriter {
    if (size > this.slotBytes) throw new Error(`an image of ${size} bytes does not fit the slot`);
    return {
      write: (bytes) => {
        this.written += bytes.length;
      },
      complete: () => {
        this.completed = true;
      },
      cancel: () => undefined,
    };
  }
  markValid(): void {}
  rollback(): void {}
}

/** The device's native SHA-256 and ECDSA at no XS cost: every digest is the payload's, every signature good. */
function nativeStandIn(digest: Uint8Array): HostCrypto {
  return {
    sha256: () => ({ update: () => undefined, digest: () => digest }),
    verifyP256: () => true,
  };
}

let stub: StubHost | undefined;
let host: Host | undefined;
const node = new StagedNode();
let slots: DiscardingSlots | undefined;
let server: RangeServer | undefined;

function build(spec: FirmwareSpec, u: UpdateSpec): void {
  stub = buildStubHost(spec.nodeId, spec.epochMs);
  const prefix = base64Decode(u.prefix)!;
  const period = payloadPeriod();
  server = new RangeServer({
    size: prefix.length + u.payloadBytes,
    segmentBytes: u.segmentBytes,
    source(into, at) {
      const head = Math.max(0, Math.min(into.length, prefix.length - at));
      if (head) into.set(prefix.subarray(at, at + head));
      if (head < into.length) copyPayload(into.subarray(head), at + head - prefix.length, period);
    },
  });
  slots = new DiscardingSlots(u.slotBytes, u.key);
  const net = stub.net;
  const srv = server;
  host = {
    ...stub.host,
    io: { ...stub.host.io, tcp: (o) => (o.host === u.host && o.port === u.port ? srv.open(o) : net.open(o)) },
    firmware: slots,
    ...(u.nativeDigest ? { crypto: nativeStandIn(base64Decode(u.nativeDigest)!) } : {}),
  };
}

/** `segments` more segments reach the download; the broker's replies (progress acks) in between. */
function pump(segments: number): void {
  for (let i = 0; i < segments && server!.step(); i++) {
    while (stub!.net.flush()) {
      // replies before the next segment
    }
  }
}

onCommand((msg: { op: string; spec?: FirmwareSpec; update?: UpdateSpec; count?: number; segments?: number; command?: unknown }) => {
  let result: unknown;
  if (msg.op === "host") build(msg.spec!, msg.update!);
  else if (msg.op === "ota") result = node.app!.runCommand("ota", msg.command);
  else if (msg.op === "pump") pump(msg.segments ?? 1);
  else if (!node.run(msg, stub!, host)) throw new Error(`unknown op ${msg.op}`);
  const app = node.app;
  // Not app.ota: that would make the agent, which a node that never updated does not carry (its steady state).
  const ota = app?.otaReport;
  return {
    flash: flashBytesHeld(),
    windows: app?.windows ?? 0,
    result,
    state: ota?.state,
    error: ota?.error,
    pending: server?.pending ?? false,
    served: server?.served ?? 0,
    written: slots?.written ?? 0,
    completed: slots?.completed ?? false,
  };
});
