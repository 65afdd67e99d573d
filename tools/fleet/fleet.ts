/*
 * `sensor-node sim --nodes N`: a fleet of simulated nodes spread over worker
 * threads (one VirtualClock each, paced at real time), publishing to the
 * embedded aedes broker or a real one, watched by one independent subscriber
 * that counts what the broker delivers per node and checks (boot, seq)
 * completeness against what every node says it published.
 */
import * as os from "node:os";
import * as fs from "node:fs";
import { Worker } from "node:worker_threads";
import * as mqtt from "mqtt";
import { parseBrokerUrl, startAedes, type RunningBroker } from "../brokers/broker.js";
import type { SimOta } from "../ota/sim-options.js";
import type { ObservedMessage } from "../cli/output.js";
import type { NodeSpec } from "../simulator/simulation.js";
import { fleetSpecs } from "./specs.js";
import type { WorkerInput, WorkerReport } from "./worker.js";
import { deliveryProblem } from "../simulator/delivery.js";
import { DEFAULT_START } from "../scenario/parse.js";

export interface FleetOptions {
  nodes: number;
  /** Worker threads (default: the number of cores). */
  workers?: number;
  /** Broker URL; default: an embedded aedes broker. */
  broker?: string;
  speed?: number | "max";
  /** The CPU model (--cpu esp32 / --cpu-rate); undefined: free computation. */
  cpu?: { rate: number };
  durationS?: number;
  seed?: number;
  /** Merged over the fleet's node config (specs.ts FLEET_CONFIG). */
  config?: Record<string, unknown>;
  /** Explicit node specs (default: fleetSpecs(nodes, seed)). */
  specs?: NodeSpec[];
  /** Node starts spread over this many ms (default 1000: one duty period). */
  spreadMs?: number;
  /** Update keys and a starting image (`sim --ota-key`, `--image`). */
  ota?: SimOta;
  signal?: AbortSignal;
  /** Process id of the broker, to report its CPU time too (Linux /proc). */
  brokerPid?: number;
  verbose?: boolean;
  onMessage?: (m: ObservedMessage) => void;
  onInfo?: (message: string) => void;
  onLog?: (nodeId: string, level: string, message: string) => void;
  /** About every `progressEveryS` real seconds. */
  onProgress?: (p: FleetProgress) => void;
  progressEveryS?: number;
}

export interface FleetProgress {
  realS: number;
  virtualS: number;
  delivered: number;
  /** Messages delivered per real second since the last progress. */
  rate: number;
  lagMs: number;
}

export interface FleetResult {
  nodes: number;
  workers: number;
  realS: number;
  virtualS: number;
  /** Telemetry + alarm messages the nodes published (sum of their last seq). */
  published: number;
  /** Of those, delivered by the broker to the subscriber (distinct (boot, seq) per node). */
  delivered: number;
  /** Published but never seen (gaps and tail). */
  missing: number;
  duplicates: number;
  /** Nodes whose every published message was delivered. */
  nodesComplete: number;
  /** Fewest windows (telemetry messages) any node produced. */
  minWindows: number;
  /** Largest lag of virtual behind real time after the first 3 s, and at the end (ms). */
  lagMaxMs: number;
  lagEndMs: number;
  /** CPU time of this process (main + workers) and of the broker, in % of one core over the run. */
  cpuPct: number;
  brokerCpuPct?: number;
  /** True when every node kept up: real-time pace, a window per second, every message delivered. */
  keptUp: boolean;
  /** Why not, when keptUp is false. */
  reasons: string[];
  /** Why the run failed (one line: nothing delivered, messages lost, nodes that never reported); undefined when only the pace fell short. */
  lost?: string;
}

interface Tally {
  byBoot: Map<number, Set<number>>;
  duplicates: number;
}

export async function runFleet(o: FleetOptions): Promise<FleetResult> {
  const speed = o.speed ?? 1;
  const seed = o.seed ?? 1;
  const specs = o.specs ?? fleetSpecs(o.nodes, seed, { config: o.config });
  const workerCount = Math.max(1, Math.min(o.workers ?? os.availableParallelism(), specs.length));
  let embedded: RunningBroker | undefined;
  if (!o.broker) {
    embedded = await startAedes(0);
    o.onInfo?.(`embedded MQTT broker (aedes) on ${embedded.url}`);
  }
  const url = o.broker ?? embedded!.url;
  const broker = o.broker ? parseBrokerUrl(o.broker) : { host: embedded!.host, port: embedded!.port, secure: false };
  const prefix = String((specs[0]?.config.mqtt as { prefix?: string } | undefined)?.prefix ?? "sensors");

  // Paced: each worker's wall clock starts at the real time it starts pacing (so `ts` is real time);
  // --speed max: at 2026-01-01 (docs/cli.md), as every run in simulated time.
  const epochMs = speed === "max" ? Date.parse(DEFAULT_START) : Date.now();
  const wall = new Float64Array(new SharedArrayBuffer(8 * workerCount)).fill(epochMs);
  const workerOf = new Map(specs.map((s, i) => [s.nodeId, i % workerCount]));

  // The independent subscriber: counts (boot, seq) per node.
  const tallies = new Map<string, Tally>();
  let delivered = 0;
  const observer = mqtt.connect(url, { clientId: `fleet-observer-${process.pid}-${Math.floor(Math.random() * 1e9)}`, reconnectPeriod: 500, connectTimeout: 10000 });
  observer.on("error", () => {});
  let received = 0;
  let reached = false;
  observer.on("message", (topic, payload, packet) => {
    received++;
    // The virtual wall time of the node's worker: stored before the node wrote it, so never before its making.
    const w = workerOf.get(topic.startsWith("spBv1.0/") ? topic.split("/")[3] : topic.split("/")[1]);
    o.onMessage?.({ t: Math.round(w === undefined ? Math.max(...wall) : wall[w]), topic, qos: packet.qos, retain: packet.retain, payload: new Uint8Array(payload) });
    const parts = topic.split("/");
    const kind = parts[2];
    if (kind !== "telemetry" && kind !== "alarm") return;
    let doc: { boot?: number; seq?: number } | null;
    try {
      doc = JSON.parse(payload.toString("utf8"));
    } catch {
      return;
    }
    // Anyone may publish on these topics ("null" parses too): count only what a node would send.
    if (typeof doc?.boot !== "number" || typeof doc.seq !== "number") return;
    let t = tallies.get(parts[1]);
    if (!t) tallies.set(parts[1], (t = { byBoot: new Map(), duplicates: 0 }));
    let seqs = t.byBoot.get(doc.boot);
    if (!seqs) t.byBoot.set(doc.boot, (seqs = new Set()));
    if (seqs.has(doc.seq)) t.duplicates++;
    else {
      seqs.add(doc.seq);
      delivered++;
    }
  });
  const subscribed = await Promise.race([
    new Promise<boolean>((resolve) => observer.once("connect", () => observer.subscribe([`${prefix}/+/telemetry`, `${prefix}/+/alarm`, `${prefix}/+/status`, "spBv1.0/#"], { qos: 1 }, () => resolve((reached = true))))),
    // An embedded broker is always there: a generous ceiling, so a loaded machine never starts the nodes unobserved.
    new Promise<boolean>((r) => setTimeout(() => r(false), embedded ? 30_000 : 5000)),
  ]);
  if (!subscribed) o.onInfo?.(`cannot reach the broker at ${url} yet; the nodes keep retrying`);

  const cpu0 = process.cpuUsage();
  const brokerCpu0 = o.brokerPid ? procCpuMs(o.brokerPid) : undefined;
  const real0 = performance.now();
  const shares: NodeSpec[][] = Array.from({ length: workerCount }, () => []);
  specs.forEach((s, i) => shares[i % workerCount].push(s));
  const lags = new Array<number>(workerCount).fill(0);
  const virtual = new Array<number>(workerCount).fill(0);
  const done: Extract<WorkerReport, { type: "done" }>[] = [];
  const workers = shares.map((share, index) => {
    const input: WorkerInput = { index, specs: share, broker, speed, cpu: o.cpu, durationS: o.durationS, epochMs, alignWall: speed !== "max", wall: wall.buffer as SharedArrayBuffer, spreadMs: o.spreadMs ?? 1000, logLevel: o.verbose ? "info" : "warn", ota: o.ota };
    const w = new Worker(new URL("./worker.js", import.meta.url), { workerData: input });
    const finished = new Promise<void>((resolve, reject) => {
      w.on("message", (m: WorkerReport) => {
        if (m.type === "progress") {
          lags[m.index] = m.lagMs;
          virtual[m.index] = m.virtualMs;
        } else if (m.type === "log") o.onLog?.(m.nodeId, m.level, m.message);
        else if (m.type === "done") {
          done.push(m);
          resolve(); // its sockets may still hold the thread's loop open; terminate() ends it
        }
      });
      w.on("error", reject);
      w.on("exit", (code) => (done.some((d) => d.index === index) ? resolve() : reject(new Error(`fleet worker ${index} exited (code ${code}) before reporting`))));
    });
    return { w, finished };
  });
  const stop = () => workers.forEach(({ w }) => w.postMessage({ type: "stop" }));
  o.signal?.addEventListener("abort", stop, { once: true });
  let lastDelivered = 0;
  let lastT = real0;
  const ticker = setInterval(() => {
    const now = performance.now();
    o.onProgress?.({ realS: (now - real0) / 1000, virtualS: Math.min(...virtual) / 1000, delivered, rate: ((delivered - lastDelivered) * 1000) / (now - lastT), lagMs: Math.max(...lags) });
    lastDelivered = delivered;
    lastT = now;
  }, (o.progressEveryS ?? 5) * 1000);
  try {
    await Promise.all(workers.map((w) => w.finished.then(() => w.w.terminate())));
  } finally {
    clearInterval(ticker);
    o.signal?.removeEventListener("abort", stop);
    for (const { w } of workers) await w.terminate();
  }
  // The last deliveries: wait until the subscriber has every message the nodes say they published
  // (an event, not a fixed pause: a loaded machine only makes this take longer). A broker that lost
  // messages never gets there: stop once nothing has arrived for 5 s, and after 30 s in any case.
  const expected = done.reduce((sum, d) => sum + d.nodes.reduce((s, n) => s + n.seq, 0), 0);
  for (let last = delivered, quietSince = performance.now(), end = quietSince + 30_000; delivered < expected; ) {
    const now = performance.now();
    if (delivered !== last) [last, quietSince] = [delivered, now];
    if (now - quietSince > 5000 || now > end) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const realS = (performance.now() - real0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const brokerCpu1 = o.brokerPid ? procCpuMs(o.brokerPid) : undefined;
  await observer.endAsync(true);
  await embedded?.close();

  let published = 0;
  let seen = 0;
  let duplicates = 0;
  let nodesComplete = 0;
  let minWindows = Infinity;
  const finals = done.flatMap((d) => d.nodes);
  for (const n of finals) {
    published += n.seq;
    minWindows = Math.min(minWindows, n.windows);
    const t = tallies.get(n.nodeId);
    const seqs = t?.byBoot.get(n.boot);
    let got = 0;
    if (seqs) for (const s of seqs) if (s >= 1 && s <= n.seq) got++;
    seen += got;
    duplicates += t?.duplicates ?? 0;
    if (got === n.seq) nodesComplete++;
  }
  const virtualS = Math.min(...done.map((d) => d.virtualMs)) / 1000;
  const lagMaxMs = Math.max(0, ...done.map((d) => d.lagMaxMs));
  const lagEndMs = Math.max(0, ...done.map((d) => d.lagEndMs));
  const reasons: string[] = [];
  const unreported = specs.length - finals.length;
  if (unreported) reasons.push(`${unreported} nodes did not report`);
  if (published - seen > 0) reasons.push(`${published - seen} of ${published} messages not delivered`);
  if (speed !== "max") {
    if (lagEndMs > 1000) reasons.push(`virtual time ${lagEndMs} ms behind real time at the end`);
    if (lagMaxMs > 2000) reasons.push(`virtual time up to ${lagMaxMs} ms behind real time`);
  }
  const expectWindows = o.durationS === undefined ? 0 : Math.floor(o.durationS) - 2;
  if (minWindows < expectWindows) reasons.push(`a node produced only ${minWindows} windows in ${o.durationS} s`);
  return {
    nodes: specs.length,
    workers: workerCount,
    realS,
    virtualS,
    published,
    delivered: seen,
    missing: published - seen,
    duplicates,
    nodesComplete,
    minWindows: minWindows === Infinity ? 0 : minWindows,
    lagMaxMs,
    lagEndMs,
    cpuPct: Math.round(((cpu.user + cpu.system) / 1000 / (realS * 1000)) * 100),
    brokerCpuPct: brokerCpu0 !== undefined && brokerCpu1 !== undefined ? Math.round(((brokerCpu1 - brokerCpu0) / (realS * 1000)) * 100) : undefined,
    keptUp: reasons.length === 0,
    reasons,
    lost: unreported ? `${unreported} of ${specs.length} nodes did not report` : deliveryProblem({ messages: received, published, delivered: seen, broker: url, reached }),
  };
}

/** CPU time (user + system, ms) of a process, from /proc (Linux); undefined elsewhere. */
export function procCpuMs(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in clock ticks (USER_HZ 100)
  } catch {
    return undefined;
  }
}
