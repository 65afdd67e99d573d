/*
 * One fleet worker (a worker thread): its share of the nodes on its own
 * VirtualClock, paced at `speed` x real time by drive(). Reports how far virtual
 * time falls behind real time (lag) once per virtual second, and at the end
 * each node's last (boot, seq), so the parent can tell delivered from published.
 */
import { parentPort, workerData } from "node:worker_threads";
import { VirtualClock } from "../../clock.js";
import { SimNode, type NodeSpec } from "../simulation.js";
import { drive, waitIdle } from "../drive.js";

export interface WorkerInput {
  index: number;
  specs: NodeSpec[];
  broker: { host: string; port: number; secure: boolean };
  speed: number | "max";
  durationS?: number;
  epochMs: number;
  /** Node starts are spread over this many virtual ms so their duty cycles do not all coincide. */
  spreadMs: number;
  /** Forward node log lines at warn and error (info too when verbose). */
  logLevel: "warn" | "info" | "none";
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

/**
 * The nodes share one clock but are independent devices: a transfer on one
 * node's I2C bus must not delay the others, so bus time (which SimNode charges
 * with clock.advance) does not move the shared clock here.
 */
function sharedView(clock: VirtualClock): VirtualClock {
  return new Proxy(clock, {
    get(target, prop) {
      if (prop === "advance") return () => {};
      const v = Reflect.get(target, prop, target);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

async function run(): Promise<void> {
  const clock = new VirtualClock({ epochMs: input.epochMs });
  const view = sharedView(clock);
  const nodes = input.specs.map(
    (spec) =>
      new SimNode({
        clock: view,
        spec,
        broker: input.broker,
        log: (level, message) => {
          if (level === "error" || level === "warn" ? input.logLevel !== "none" : level === "info" && input.logLevel === "info") port.postMessage({ type: "log", nodeId: spec.nodeId, level, message } satisfies WorkerReport);
        },
      }),
  );
  nodes.forEach((node, i) => clock.set(() => node.start(), Math.floor((i * input.spreadMs) / Math.max(1, nodes.length))));
  port.postMessage({ type: "started", index: input.index, nodes: nodes.length } satisfies WorkerReport);
  const realStart = performance.now();
  const virtualStart = clock.now();
  let lagMax = 0;
  const lag = () => (input.speed === "max" ? 0 : Math.max(0, (performance.now() - realStart) * input.speed - (clock.now() - virtualStart)));
  await drive({
    clock,
    until: input.durationS === undefined ? Infinity : input.durationS * 1000,
    speed: input.speed,
    signal: abort.signal,
    onProgress: (virtualMs) => {
      const l = lag();
      if (virtualMs - virtualStart > 3000) lagMax = Math.max(lagMax, l); // the first seconds include connecting
      port.postMessage({ type: "progress", index: input.index, virtualMs, lagMs: Math.round(l) } satisfies WorkerReport);
    },
  });
  const lagEnd = lag();
  // Let the outboxes drain (the last PUBACKs) before saying goodbye.
  await waitIdle(() => nodes.some((n) => n.busy || n.app.outbox.stats.queued > 0), 5000);
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

run().catch((error) => {
  port.postMessage({ type: "log", nodeId: `worker-${input.index}`, level: "error", message: String(error?.stack ?? error) });
  process.exit(1);
});
