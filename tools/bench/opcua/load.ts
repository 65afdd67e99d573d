/*
 * The OPC UA gateway under a fleet's load (issue 20's bench; docs/opcua.md,
 * "Bench"): N light synthetic nodes replaying recorded telemetry at 1 Hz through a
 * broker on loopback to one gateway, and an independent OPC UA client monitoring
 * a sample of them. Four processes besides the broker: this one (it only
 * orchestrates), the gateway (gateway-child.ts), the publishers
 * (publishers-child.ts) and the client (probe-child.ts). Every step waits for an
 * event with a ceiling, and the publishers stop by themselves at the window's end.
 *
 *   1. record telemetry from a simulator run (recording.ts);
 *   2. start the broker (mosquitto when installed, else aedes in this process),
 *      the gateway, then the publishers;
 *   3. warm up until the gateway has served telemetry of every node (the address
 *      space is built on first publish) and has drained the backlog that left
 *      (less than 1 s behind, 120 s at most), then measure over `seconds`;
 *   4. wait until the gateway has applied every message published in the window
 *      (or a ceiling: what is missing then is reported as lost) and the client
 *      has its notifications, and report: each monitored window's latency is
 *      the client's notification minus the gateway's MQTT receipt of it.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { mosquittoPath, startAedes, startMosquitto, type RunningBroker } from "../../brokers/broker.js";
import { procCpuMs } from "../../fleet/fleet.js";
import { BenchChild } from "./ipc.js";
import { recordTelemetry } from "./recording.js";
import type { Notification } from "./probe.js";
import { nodeName, sampledNodes } from "./publishers.js";
import { spread, type Spread, type MeasureWindow } from "./window.js";

/** How long a bench child may take to answer (a ceiling, so a stuck child cannot hang the bench; a loaded machine starts node-opcua slowly). */
const CHILD_CEILING_MS = 300_000;

export interface GatewayLoadOptions {
  nodes: number;
  /** Length of the measurement window (s). */
  seconds: number;
  /** Nodes the OPC UA client monitors (default min(nodes, 100)). */
  sample?: number;
  /** Force a broker (default: mosquitto when installed). */
  broker?: "mosquitto" | "aedes";
  log?: (line: string) => void;
}

export interface GatewayLoadResult {
  nodes: number;
  seconds: number;
  broker: "mosquitto" | "aedes";
  /** Telemetry payloads recorded from the simulator and replayed, and the variables one of them sets. */
  recorded: number;
  /** Telemetry messages published in the window, and of those applied by the gateway. */
  published: number;
  applied: number;
  /** Of the window's messages not applied: those skipped in a node's `seq` (never reached the gateway: lost before it). */
  skipped: number;
  /** How long after the publishers' end the gateway took to apply the window's messages, or the ceiling (30 s) when some never came (s). */
  drainS: number;
  /** Variable values the gateway wrote for the window's messages. */
  updates: number;
  /** Gateway MQTT receive callback -> values written (ms). */
  written: Spread;
  /** Synthetic node's publish -> values written in the gateway, every message (ms; Date.now() resolution). */
  lag: Spread;
  /**
   * The OPC UA client: the monitored nodes' windows published, and for those notified: the
   * gateway's MQTT receipt -> the client's notification (`latency`), and the node's publish -> the
   * notification (`endToEnd`).
   */
  client: { sampled: number; expected: number; latency: Spread; endToEnd: Spread; publishingIntervalMs: number };
  gateway: { rssMiB: number; heapMiB: number; emptyRssMiB: number; emptyHeapMiB: number; cpuPct: number };
  brokerCpuPct?: number;
  /** The machine's 1-minute load average when the bench started and when it ended. */
  load: [number, number];
  /** Warm-up: from the first publish until the gateway had served every node (s). */
  warmupS: number;
  /** Then until the gateway was less than a second behind the fleet, or 120 s (s). */
  catchUpS: number;
}

const PREFIX = "sensors";
/** Between the client's subscription and the window: the gateway settles. */
const SETTLE_MS = 3000;
/** After the warm-up, the gateway gets this long to drain the backlog of building the address space ... */
const CATCH_UP_MS = 120_000;
/** ... until its latest message was published less than this long before. */
const CAUGHT_UP_MS = 1000;
/** Messages mosquitto may queue for the gateway: 10 s of 2 000 nodes at 1 Hz. */
const BROKER_QUEUE = 20_000;
const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

async function startBroker(kind: "mosquitto" | "aedes"): Promise<RunningBroker & { pid?: number }> {
  if (kind === "aedes") return startAedes();
  // mosquitto keeps 1000 QoS 1 messages per client by default and drops the rest: 0.5 s of this
  // fleet, less than one of the gateway's longer pauses (a collection of a large heap). A plant's
  // broker in front of a gateway needs the same setting (docs/opcua.md, "Bench").
  const m = await startMosquitto({ extraConfig: [`max_queued_messages ${BROKER_QUEUE}`] });
  const stop = m.close;
  return { ...m, pid: m.process.pid, close: async () => (await stop(), fs.rmSync(m.dir, { recursive: true, force: true })) };
}

export async function measureGatewayLoad(o: GatewayLoadOptions): Promise<GatewayLoadResult> {
  const log = o.log ?? (() => {});
  const load0 = os.loadavg()[0];
  const kind = o.broker ?? (mosquittoPath() ? "mosquitto" : "aedes");
  const sample = o.sample ?? Math.min(o.nodes, 100);
  const payloads = await recordTelemetry(40);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sensor-node-opcua-load-"));
  const recording = path.join(dir, "telemetry.json");
  fs.writeFileSync(recording, JSON.stringify(payloads));
  const broker = await startBroker(kind);
  const children: BenchChild[] = [];
  try {
    const sampled = sampledNodes(o.nodes, sample);
    const gateway = new BenchChild("gateway", here("./gateway-child.js"), { broker: broker.url, prefix: PREFIX, sampled: sampled.map(nodeName) }, ["--expose-gc"]);
    children.push(gateway);
    const { endpointUrl } = await gateway.next<{ type: string; endpointUrl: string }>("ready", CHILD_CEILING_MS);
    log(`opcua: ${o.nodes} synthetic nodes replaying ${payloads.length} recorded windows at 1 Hz through ${kind} to ${endpointUrl}`);
    const publishers = new BenchChild("publishers", here("./publishers-child.js"), { broker: broker.url, prefix: PREFIX, nodes: o.nodes, recording, sampled });
    children.push(publishers);
    await publishers.next("connected", 300_000);
    const t0 = Date.now();
    // Warm-up: every node's first telemetry builds its objects; the ceiling only catches a gateway that never gets there.
    let progress = { nodes: 0, behindMs: NaN };
    while (progress.nodes < o.nodes) {
      // A loaded machine can hold the gateway's event loop (and its once-a-second progress) for long while it builds objects.
      progress = await gateway.next<{ type: string; nodes: number; behindMs: number }>("progress", 300_000);
      if (Date.now() - t0 > 600_000) throw new Error(`the gateway served ${progress.nodes} of ${o.nodes} nodes after 600 s of warm-up`);
    }
    const warmupS = (Date.now() - t0) / 1000;
    // Then the backlog the building left (messages queued at the broker) drains: the window measures the steady state.
    const caughtUpBy = Date.now() + CATCH_UP_MS;
    while (!(progress.behindMs < CAUGHT_UP_MS) && Date.now() < caughtUpBy) progress = await gateway.next<{ type: string; nodes: number; behindMs: number }>("progress", 300_000);
    const catchUpS = (Date.now() - t0) / 1000 - warmupS;
    log(`opcua: every node served after ${warmupS.toFixed(1)} s, ${progress.behindMs} ms behind after ${catchUpS.toFixed(1)} s more; measuring ${o.seconds} s`);
    const probe = new BenchChild("probe", here("./probe-child.js"), { endpointUrl, nodes: sampled.map(nodeName) });
    children.push(probe);
    const probing = await probe.next<{ type: string; revisedIntervalMs: number }>("probing", 120_000);
    const from = Date.now() + SETTLE_MS;
    const window: MeasureWindow = { from, to: from + o.seconds * 1000 };
    for (const c of [gateway, publishers, probe]) c.send({ type: "window", window });
    const brokerCpu0 = broker.pid ? procCpuMs(broker.pid) : undefined;
    const brokerT0 = performance.now();
    const done = await publishers.next<{ type: string; published: number; sampledWindows: number }>("done", o.seconds * 1000 + SETTLE_MS + 120_000);
    const brokerCpu1 = broker.pid ? procCpuMs(broker.pid) : undefined;
    const brokerWallMs = performance.now() - brokerT0;
    // Every message of the window applied, or a ceiling: a gateway that is behind gets 30 s to catch up, the rest is lost.
    const drained = Date.now();
    const ceiling = drained + 30_000;
    for (let applied = 0; applied < done.published && Date.now() < ceiling; ) applied = (await gateway.next<{ type: string; applied: number }>("progress", 120_000)).applied;
    const drainS = (Date.now() - drained) / 1000;
    probe.send({ type: "report", expected: done.sampledWindows });
    const { notifications } = await probe.next<{ type: string; notifications: Notification[] }>("report", 120_000);
    gateway.send({ type: "report" });
    const g = await gateway.next<{ type: string; received: [string, number][] } & Pick<GatewayLoadResult, "applied" | "skipped" | "updates" | "written" | "lag"> & GatewayLoadResult["gateway"]>("report", CHILD_CEILING_MS);
    const receivedAt = new Map(g.received);
    const latency: number[] = [];
    for (const [key, arrivedAt] of notifications) {
      const at = receivedAt.get(key);
      if (at !== undefined) latency.push(arrivedAt - at);
    }
    const brokerMs = brokerCpu0 !== undefined && brokerCpu1 !== undefined ? brokerCpu1 - brokerCpu0 : undefined;
    return {
      nodes: o.nodes,
      seconds: o.seconds,
      broker: kind,
      recorded: payloads.length,
      published: done.published,
      applied: g.applied,
      skipped: g.skipped,
      drainS,
      updates: g.updates,
      written: g.written,
      lag: g.lag,
      client: {
        sampled: sampled.length,
        expected: done.sampledWindows,
        latency: spread(latency),
        endToEnd: spread(notifications.map(([, arrivedAt, ts]) => arrivedAt - ts)),
        publishingIntervalMs: probing.revisedIntervalMs,
      },
      gateway: { rssMiB: g.rssMiB, heapMiB: g.heapMiB, emptyRssMiB: g.emptyRssMiB, emptyHeapMiB: g.emptyHeapMiB, cpuPct: g.cpuPct },
      brokerCpuPct: brokerMs === undefined ? undefined : (brokerMs / brokerWallMs) * 100,
      load: [load0, os.loadavg()[0]],
      warmupS,
      catchUpS,
    };
  } finally {
    for (const c of children.reverse()) await c.close();
    await broker.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
