/*
 * One fleet worker (a worker thread): its share of the nodes on its own
 * VirtualClock, paced at `speed` x real time by drive(). Reports how far virtual
 * time falls behind real time (lag) once per virtual second, and at the end
 * each node's last (boot, seq), so the parent can tell delivered from published.
 */
import { parentPort, workerData } from "node:worker_threads";
import { VirtualClock } from "../../sim/clock.js";
import { SimNode, sharedView, type NodeSpec } from "../simulator/simulation.js";
import type { SimOta } from "../ota/sim-options.js";
import { drive, sleep, waitIdle } from "../simulator/drive.js";
import { setImmediate as yieldToIo } from "node:timers/promises";

export interface WorkerInput {
  index: number;
  specs: NodeSpec[];
  broker: { host: string; port: number; secure: boolean };
  speed: number | "max";
  cpu?: { rate: number };
  durationS?: number;
  epochMs: number;
  /** Node starts are spread over this many virtual ms so their duty cycles do not all coincide. */
  spreadMs: number;
  /** Forward node log lines at warn and error (info too when verbose). */
  logLevel: "warn" | "info" | "none";
  /** Update keys and a starting image (`sim --ota-key`, `--image`). */
  ota?: SimOta;
  /** Paced runs: the wall clock starts at the real time when pacing starts (epochMs is only where it starts in --speed max). */
  alignWall: boolean;
  /**
   * One Float64 per worker (shared with the parent): this worker's latest virtual wall time, stored
   * before every socket write and after every batch, so the parent stamps a message with a time
   * no earlier than its making (fleet.ts).
   */
  wall: SharedArrayBuffer;
}

export type WorkerReport =
  | { type: "started"; index: number; nodes: number }
  | { type: "progress"; index: number; virtualMs: number; lagMs: number }
  | { type: "log"; nodeId: string; level: string; message: string }
  | { type: "done"; index: number; virtualMs: number; lagMaxMs: number; lagEndMs: number; nodes: { nodeId: string; boot: number; seq: number; windows: number }[]; cpuUserMs: number };

const input = workerData as WorkerInput;
const port = parentPort!;
const abort = new AbortController();
port.on("message", (m: { type: string }) => {
  if (m.type === "stop") abort.abort();
});

async function run(): Promise<void> {
  const clock = new VirtualClock({ epochMs: input.epochMs });
  const view = sharedView(clock);
  const wall = new Float64Array(input.wall);
  // Inside a node's callback the clock's wall is that node's time: the message it writes is made then.
  const stamp = () => {
    const w = clock.wall()!;
    if (w > wall[input.index]) wall[input.index] = w;
  };
  const nodes = input.specs.map(
    (spec) =>
      new SimNode({
        clock: view,
        cpu: input.cpu,
        spec,
        broker: input.broker,
        ...input.ota,
        onSend: stamp,
        log: (level, message) => {
          if (level === "error" || level === "warn" ? input.logLevel !== "none" : level === "info" && input.logLevel === "info") port.postMessage({ type: "log", nodeId: spec.nodeId, level, message } satisfies WorkerReport);
        },
      }),
  );
  nodes.forEach((node, i) => clock.set(() => node.start(), Math.floor((i * input.spreadMs) / Math.max(1, nodes.length))));
  port.postMessage({ type: "started", index: input.index, nodes: nodes.length } satisfies WorkerReport);
  if (input.alignWall) clock.setWall(Date.now());
  stamp();
  const realStart = performance.now();
  const virtualStart = clock.now();
  let lagMax = 0;
  const lag = () => (input.speed === "max" ? 0 : Math.max(0, (performance.now() - realStart) * input.speed - (clock.now() - virtualStart)));
  const until = input.durationS === undefined ? Infinity : input.durationS * 1000;
  const onProgress = (virtualMs: number) => {
    stamp();
    const l = lag();
    if (virtualMs - virtualStart > 3000) lagMax = Math.max(lagMax, l); // the first seconds include connecting
    port.postMessage({ type: "progress", index: input.index, virtualMs, lagMs: Math.round(l) } satisfies WorkerReport);
  };
  if (input.speed === "max") await drive({ clock, until, speed: "max", signal: abort.signal, onProgress });
  else await pace(clock, until, input.speed, abort.signal, onProgress, stamp);
  const lagEnd = lag();
  // Let the outboxes drain (the last PUBACKs) before saying goodbye: an event, with a ceiling generous
  // enough that a loaded machine never cuts it short.
  // A node that is not connected has nothing to drain into: it is not waited for.
  await waitIdle(() => nodes.some((n) => n.busy || (n.app.mqtt.connected && n.app.outbox.stats.queued > 0)), 30_000);
  for (const node of nodes) node.stop();
  await new Promise((r) => setTimeout(r, 200));
  port.postMessage({
    type: "done",
    index: input.index,
    virtualMs: clock.now(),
    lagMaxMs: Math.round(lagMax),
    lagEndMs: Math.round(lagEnd),
    nodes: nodes.map((n) => ({ nodeId: n.spec.nodeId, boot: n.app.boot, seq: n.app.seq, windows: n.app.windows })),
    cpuUserMs: Math.round(process.cpuUsage().user / 1000),
  } satisfies WorkerReport);
}

/**
 * Paces the clock at `speed` x real time in batches: every few ms, every timer
 * due up to the real time is fired in order (each at its own virtual time), then
 * the thread sleeps until the next one is due. Unlike drive(), which checks the
 * pace (and may sleep) at every timer, a batch costs one check, so thousands of
 * nodes' timers do not pay a setTimeout each. Behind schedule, a batch covers at
 * most 50 virtual ms before letting socket I/O run.
 */
async function pace(clock: VirtualClock, until: number, speed: number, signal: AbortSignal, onProgress: (virtualMs: number) => void, onBatch: () => void): Promise<void> {
  const real0 = performance.now();
  const virtual0 = clock.now();
  let second = Math.floor(virtual0 / 1000);
  while (!signal.aborted) {
    const target = Math.min(until, Math.floor(virtual0 + (performance.now() - real0) * speed));
    clock.runUntil(Math.min(target, clock.now() + 50));
    onBatch();
    const s = Math.floor(clock.now() / 1000);
    if (s !== second) {
      second = s;
      onProgress(clock.now());
    }
    if (clock.now() >= until) break;
    if (clock.now() < target) {
      await yieldToIo();
      continue;
    }
    const due = clock.nextDue();
    const wait = due === undefined ? 20 : (due - virtual0) / speed + real0 - performance.now();
    await sleep(Math.max(1, Math.min(wait, 20)), signal); // 1 ms granularity: no spinning
  }
}

run().catch((error) => {
  port.postMessage({ type: "log", nodeId: `worker-${input.index}`, level: "error", message: String(error?.stack ?? error) });
  process.exit(1);
});
