/*
 * The gateway under load, in a process of its own so that its memory and CPU are
 * its own (started by load.ts). It runs `startGateway` (tools/opcua) as
 * `sensor-node opcua` does, and measures through its `onTelemetry` hook, called
 * once a telemetry message is in the address space:
 *   - received: when the gateway's MQTT receive callback got each window of the
 *     nodes the OPC UA client monitors (wall ms, `<node>#<seq>`): load.ts
 *     matches them with the client's notifications;
 *   - written: the MQTT receive callback -> every value written (performance.now());
 *   - lag: the synthetic node's publish (its `ts`, Date.now() in the publishers'
 *     process) -> written, for every message: the broker hop and any queue in
 *     front of the gateway included, so a gateway that falls behind shows here.
 * Messages to the parent: ready, progress (every second: nodes served, messages
 * applied in the window, how far behind the latest message was), report; from it:
 * window, report, close.
 */
import * as os from "node:os";
import * as fs from "node:fs";
import * as path from "node:path";
import type { UAVariable } from "node-opcua";
import { startGateway } from "../../opcua/gateway.js";
import { childRequest, toParent, type IpcMessage } from "./ipc.js";
import { inWindow, spread, type MeasureWindow } from "./window.js";

export interface GatewayChildRequest {
  broker: string;
  prefix: string;
  /** Nodes the OPC UA client monitors: their receipts are kept. */
  sampled: string[];
}

const MiB = 1024 * 1024;
const gc = (globalThis as { gc?: () => void }).gc;
const heapAfterCollection = () => (gc?.(), process.memoryUsage().heapUsed / MiB);

async function main(): Promise<void> {
  const request = childRequest<GatewayChildRequest>();
  const certsDir = fs.mkdtempSync(path.join(os.tmpdir(), "sensor-node-opcua-bench-"));
  let window: MeasureWindow | undefined;
  const seen = new Set<string>();
  const written: number[] = [];
  const lag: number[] = [];
  const sampled = new Set(request.sampled);
  const received: [string, number][] = [];
  /** Each node's Seq variable, found once. */
  const seqs = new Map<string, UAVariable | null>();
  let applied = 0;
  /** Seq of each node's latest message, and windows skipped in a node's sequence (never delivered to the gateway). */
  const lastSeq = new Map<string, number>();
  let skipped = 0;
  let updates = 0;
  let updatesBefore = 0;
  let peakRssMiB = 0;
  /** Publish -> written of the latest message (ms): how far behind the fleet the gateway is. */
  let behindMs = NaN;
  let cpu0: NodeJS.CpuUsage | undefined;
  let wall0 = 0;
  const gateway = await startGateway({
    broker: request.broker,
    prefix: request.prefix,
    port: 0,
    host: "127.0.0.1",
    certsDir,
    allowAnonymous: true,
    onTelemetry(nodeId, ts, receivedAt) {
      const now = performance.now();
      seen.add(nodeId);
      // stats.updates counts this message's variables (and any status in between, a few at start).
      const delta = gateway.stats.updates - updatesBefore;
      updatesBefore = gateway.stats.updates;
      if (ts !== undefined) behindMs = Date.now() - ts;
      // The node's Seq as the address space now holds it: a jump means windows that never reached the gateway.
      let variable = seqs.get(nodeId);
      if (variable === undefined) seqs.set(nodeId, (variable = gateway.server.engine.addressSpace!.findNode(`ns=1;s=${nodeId}/Seq`) as UAVariable | null));
      const seq = variable?.readValue().value.value as number | undefined;
      const previous = lastSeq.get(nodeId);
      if (seq !== undefined) lastSeq.set(nodeId, seq);
      if (!inWindow(window, ts)) return;
      if (previous !== undefined && seq !== undefined && seq > previous + 1) skipped += seq - previous - 1;
      written.push(now - receivedAt);
      lag.push(Date.now() - ts!);
      if (sampled.has(nodeId)) received.push([`${nodeId}#${seq}`, performance.timeOrigin + receivedAt]);
      applied++;
      updates += delta;
    },
  });
  await gateway.subscribed;
  const emptyHeapMiB = heapAfterCollection();
  const emptyRssMiB = process.memoryUsage().rss / MiB;
  peakRssMiB = emptyRssMiB;
  toParent({ type: "ready", endpointUrl: gateway.endpointUrl });
  const progress = setInterval(() => {
    peakRssMiB = Math.max(peakRssMiB, process.memoryUsage().rss / MiB);
    toParent({ type: "progress", nodes: seen.size, applied, behindMs });
  }, 1000);

  process.on("message", async (m: IpcMessage) => {
    if (m.type === "window") {
      window = m.window as MeasureWindow;
      cpu0 = process.cpuUsage();
      wall0 = performance.now();
    } else if (m.type === "report") {
      const cpu = process.cpuUsage(cpu0);
      const wallMs = performance.now() - wall0;
      peakRssMiB = Math.max(peakRssMiB, process.memoryUsage().rss / MiB);
      toParent({
        type: "report",
        nodes: seen.size,
        applied,
        skipped,
        updates,
        written: spread(written),
        lag: spread(lag),
        received,
        rssMiB: peakRssMiB,
        heapMiB: heapAfterCollection(),
        emptyRssMiB,
        emptyHeapMiB,
        cpuPct: ((cpu.user + cpu.system) / 1000 / wallMs) * 100,
      });
    } else if (m.type === "close") {
      clearInterval(progress);
      await gateway.close().catch(() => {});
      fs.rmSync(certsDir, { recursive: true, force: true });
      process.exit(0);
    }
  });
  // The parent going away ends the child too: nothing keeps running by itself.
  process.on("disconnect", () => process.exit(0));
}

main().catch((e) => {
  process.stderr.write(`gateway child: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
