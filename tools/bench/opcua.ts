/*
 * The OPC UA gateway under a fleet (issue 20): 2,000 light synthetic nodes
 * replaying recorded telemetry at 1 Hz through mosquitto on loopback to one
 * gateway (opcua/load.ts says how). Figures: variable updates per second, update
 * latency from the gateway's MQTT receive of a window to an independent OPC UA
 * client's data change notification of it (p50, p99; the baseline is the part up
 * to the values written in the address space), the same from the node's publish,
 * whether every window was kept, and the gateway's memory and CPU. Wall clock:
 * reported, never asserted. Not in --quick (two to five minutes a run on a busy
 * machine; three runs, each figure the median run's with the spread over the runs).
 */
import { GOALS } from "./goals.js";
import { measureGatewayLoad, type GatewayLoadResult } from "./opcua/load.js";
import { machineReference } from "./reference.js";
import { medianRounds } from "./rounds.js";
import { goal, type BenchModule, type Figure } from "./types.js";

/** Whole runs per bench (each a new gateway, broker and fleet): the figures are the median round's, the spread min-max over these. */
const OPCUA_ROUNDS = 3;

/** The issue's scale, and the window measured after the warm-up. */
export const OPCUA_BENCH = Object.freeze({ nodes: 2000, seconds: 30 });

const fixed = (v: number, digits = 1) => v.toFixed(digits);

/** The figures of one run; the gateway's CPU against the broker's in the same run, else against `reference` (the machine reference timed before the run). */
export function opcuaFigures(r: GatewayLoadResult, reference?: { name: string; value: number }): Figure[] {
  const at = `${r.nodes} nodes at 1 Hz`;
  const lost = r.published - r.applied;
  const c = r.client;
  const loadNote = `load average ${fixed(r.load[0], 2)} at the start, ${fixed(r.load[1], 2)} at the end (${r.nodes} synthetic nodes through ${r.broker} on loopback, ${r.seconds} s window after ${fixed(r.warmupS)} s of warm-up and ${fixed(r.catchUpS)} s of catching up)`;
  const client = `an OPC UA client's data change (node-opcua-client monitoring Seq of ${c.sampled} nodes, publishing interval ${fixed(c.publishingIntervalMs, 0)} ms)`;
  return [
    {
      id: "opcua.updatesPerSecond",
      name: `OPC UA gateway, ${at}: variable updates per second`,
      value: r.updates / r.seconds,
      unit: "updates/s",
      baseline: { name: "telemetry messages applied per second", value: r.applied / r.seconds },
      ratio: r.applied ? r.updates / r.applied : undefined,
      kind: "wall",
      note: `${r.applied ? fixed(r.updates / r.applied) : "-"} variables per message; ${loadNote}`,
    },
    {
      id: "opcua.latency.p50",
      name: `OPC UA gateway, ${at}: update latency p50, the gateway's MQTT receive -> ${client}`,
      value: c.latency.p50,
      unit: "ms",
      baseline: { name: "MQTT receive -> written in the address space", value: r.written.p50 },
      kind: "wall",
      note: `${c.latency.count} of ${c.expected} monitored windows notified; wall clock of the gateway's and the client's processes (ms with a fraction)`,
    },
    {
      id: "opcua.latency.p99",
      name: `OPC UA gateway, ${at}: update latency p99, the gateway's MQTT receive -> ${client}`,
      value: c.latency.p99,
      unit: "ms",
      baseline: { name: "MQTT receive -> written in the address space", value: r.written.p99 },
      goal: goal("value", "<=", GOALS.opcuaLatencyP99Ms, `<= ${GOALS.opcuaLatencyP99Ms} ms`),
      kind: "wall",
      note: `max ${fixed(c.latency.max)} ms (to the address space: max ${fixed(r.written.max)} ms)`,
    },
    {
      id: "opcua.endToEnd.p99",
      name: `OPC UA gateway, ${at}: the node's publish -> ${client}, p99`,
      value: c.endToEnd.p99,
      unit: "ms",
      baseline: { name: "p50", value: c.endToEnd.p50 },
      kind: "wall",
      note: `the broker hop and any queue in front of the gateway included; publish -> written in the address space, all ${r.lag.count} messages: p50 ${fixed(r.lag.p50, 0)} ms, p99 ${fixed(r.lag.p99, 0)} ms, max ${fixed(r.lag.max, 0)} ms`,
    },
    {
      id: "opcua.windowsLost",
      name: `OPC UA gateway, ${at}: windows published and not in the address space`,
      value: lost,
      unit: "windows",
      baseline: { name: "published in the window", value: r.published },
      goal: goal("value", "==", 0, "every window kept (0 lost)"),
      kind: "wall",
      note: `${r.applied} of ${r.published} applied, ${fixed(r.drainS)} s after the publishers stopped${lost ? `; ${r.skipped} skipped in a node's seq (lost before the gateway: at the broker)` : ""}`,
    },
    {
      id: "opcua.gateway.rss",
      name: `OPC UA gateway, ${at}: process RSS, peak`,
      value: r.gateway.rssMiB,
      unit: "MiB",
      baseline: { name: "started, no node yet", value: r.gateway.emptyRssMiB },
      ratio: r.gateway.rssMiB / r.gateway.emptyRssMiB,
      kind: "wall",
      note: `${fixed((r.gateway.rssMiB - r.gateway.emptyRssMiB) * 1024 / r.nodes, 0)} KiB per node above the empty gateway`,
    },
    {
      id: "opcua.gateway.heap",
      name: `OPC UA gateway, ${at}: V8 heap used after a collection`,
      value: r.gateway.heapMiB,
      unit: "MiB",
      baseline: { name: "started, no node yet", value: r.gateway.emptyHeapMiB },
      ratio: r.gateway.heapMiB / r.gateway.emptyHeapMiB,
      kind: "wall",
      note: `${fixed((r.gateway.heapMiB - r.gateway.emptyHeapMiB) * 1024 / r.nodes, 0)} KiB per node`,
    },
    {
      id: "opcua.gateway.cpu",
      name: `OPC UA gateway, ${at}: CPU`,
      value: r.gateway.cpuPct,
      unit: "% of a core",
      baseline: r.brokerCpuPct === undefined ? reference : { name: `${r.broker}'s CPU, the same messages, % of a core`, value: r.brokerCpuPct },
      ratio: r.brokerCpuPct ? r.gateway.cpuPct / r.brokerCpuPct : undefined,
      kind: "wall",
      note: reference ? `machine reference before the run: ${fixed(reference.value)} ms` : undefined,
    },
  ];
}

export const opcuaBench: BenchModule = {
  name: "opcua",
  title: `OPC UA gateway under ${OPCUA_BENCH.nodes} synthetic nodes at 1 Hz`,
  quick: false,
  async run(ctx) {
    // Whole runs repeated (few: each takes minutes), the machine reference timed before each.
    const rounds: Figure[][] = [];
    for (let i = 0; i < OPCUA_ROUNDS; i++) {
      const reference = machineReference();
      ctx.log(`opcua: round ${i + 1} of ${OPCUA_ROUNDS} (machine reference ${reference.value.toFixed(1)} ms)`);
      rounds.push(opcuaFigures(await measureGatewayLoad({ ...OPCUA_BENCH, log: (m) => ctx.log(m) }), reference));
    }
    return medianRounds(rounds);
  },
};
