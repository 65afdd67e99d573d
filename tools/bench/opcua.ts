/*
 * The OPC UA gateway under a fleet (issue 20): 2,000 light synthetic nodes
 * replaying recorded telemetry at 1 Hz through mosquitto on loopback to one
 * gateway (opcua/load.ts says how). Figures: variable updates per second, update
 * latency from the node's publish to the data change in the gateway's address
 * space (p50, p99; the baseline is the gateway's own part, from its MQTT receive
 * callback), the same to an independent OPC UA client's notification, whether
 * every window was kept, and the gateway's memory and CPU. Wall clock: reported,
 * never asserted. Not in --quick (two to five minutes on a busy machine).
 */
import { GOALS } from "./goals.js";
import { measureGatewayLoad, type GatewayLoadResult } from "./opcua/load.js";
import { goal, type BenchModule, type Figure } from "./types.js";

/** The issue's scale, and the window measured after the warm-up. */
export const OPCUA_BENCH = Object.freeze({ nodes: 2000, seconds: 30 });

const fixed = (v: number, digits = 1) => v.toFixed(digits);

export function opcuaFigures(r: GatewayLoadResult): Figure[] {
  const at = `${r.nodes} nodes at 1 Hz`;
  const lost = r.published - r.applied;
  const loadNote = `load average ${fixed(r.load[0], 2)} at the start, ${fixed(r.load[1], 2)} at the end (${r.nodes} synthetic nodes through ${r.broker} on loopback, ${r.seconds} s window after ${fixed(r.warmupS)} s of warm-up and ${fixed(r.catchUpS)} s of catching up)`;
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
      name: `OPC UA gateway, ${at}: update latency p50, MQTT publish -> data change in the address space`,
      value: r.lag.p50,
      unit: "ms",
      baseline: { name: "from the gateway's MQTT receive callback", value: r.written.p50 },
      kind: "wall",
      note: `${r.lag.count} messages; publish times in ms (Date.now() of the publishing process)`,
    },
    {
      id: "opcua.latency.p99",
      name: `OPC UA gateway, ${at}: update latency p99, MQTT publish -> data change in the address space`,
      value: r.lag.p99,
      unit: "ms",
      baseline: { name: "from the gateway's MQTT receive callback", value: r.written.p99 },
      goal: goal("value", "<=", GOALS.opcuaLatencyP99Ms, `<= ${GOALS.opcuaLatencyP99Ms} ms`),
      kind: "wall",
      note: `max ${fixed(r.lag.max)} ms (from receive: max ${fixed(r.written.max)} ms)`,
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
      id: "opcua.client.p99",
      name: `OPC UA gateway, ${at}: an independent client's notification, p99 from publish (Seq of ${r.client.sampled} nodes monitored, publishing interval ${fixed(r.client.publishingIntervalMs, 0)} ms)`,
      value: r.client.notifications.p99,
      unit: "ms",
      baseline: { name: "p50", value: r.client.notifications.p50 },
      kind: "wall",
      note: `${r.client.notifications.count} of ${r.client.expected} windows of the monitored nodes notified; the publishing interval batches notifications`,
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
      kind: "wall",
      note: r.brokerCpuPct === undefined ? "" : `broker ${fixed(r.brokerCpuPct, 0)} % of a core`,
    },
  ];
}

export const opcuaBench: BenchModule = {
  name: "opcua",
  title: `OPC UA gateway under ${OPCUA_BENCH.nodes} synthetic nodes at 1 Hz`,
  quick: false,
  async run(ctx) {
    return opcuaFigures(await measureGatewayLoad({ ...OPCUA_BENCH, log: (m) => ctx.log(m) }));
  },
};
