/*
 * Fleet capacity (docs/fleet.md): the most simulated nodes that run in real
 * time at 1 Hz telemetry (duty-cycled capture, 256 samples at 400 Hz) with
 * every message delivered to an independent subscriber through mosquitto on
 * loopback. A bounded search (250, 500, 1000, 2000, 2500, 3000, 4000 nodes, ~20 s each, stopping at the first that does not keep up); wall clock, so
 * reported, never asserted. Not in --quick (it takes minutes).
 */
import * as os from "node:os";
import { mosquittoPath } from "../brokers/broker.js";
import { measureCapacity } from "../fleet/capacity.js";
import type { BenchModule, Figure } from "./types.js";
import { goal } from "./types.js";
import { GOALS } from "./goals.js";

export const fleetBench: BenchModule = {
  name: "fleet",
  title: "Fleet capacity (real time, every message delivered, mosquitto)",
  quick: false,
  async run(ctx) {
    if (!mosquittoPath()) throw new Error("mosquitto is not installed (Debian: apt-get install mosquitto)");
    const r = await measureCapacity({ durationS: ctx.quick ? 10 : 20, steps: ctx.quick ? [250, 500, 1000] : undefined, log: (m) => ctx.log(m) });
    const figures: Figure[] = [
      {
        id: "fleet.capacity",
        name: `nodes in real time, 1 Hz telemetry, all delivered (${os.availableParallelism()} cores)`,
        value: r.capacity,
        unit: "nodes",
        goal: goal("value", ">=", GOALS.fleetNodes, `>= ${GOALS.fleetNodes} nodes`),
        kind: "wall",
        note: r.failed ? `next step ${r.failed.nodes}: ${r.failed.reasons.join("; ")}` : "every step kept up (capacity is at least this)",
      },
    ];
    if (r.best) {
      figures.push({
        id: "fleet.cpuAtCapacity",
        name: `CPU at ${r.best.nodes} nodes (simulator; broker ${r.best.brokerCpuPct ?? "?"}%)`,
        value: r.best.cpuPct,
        unit: "% of a core",
        kind: "wall",
      });
      figures.push({
        id: "fleet.deliveredAtCapacity",
        name: `messages delivered at ${r.best.nodes} nodes in ${r.best.virtualS.toFixed(0)} s`,
        value: r.best.delivered,
        unit: "msg",
        baseline: { name: "published", value: r.best.published },
        ratio: r.best.published ? r.best.delivered / r.best.published : undefined,
        kind: "wall",
      });
    }
    return figures;
  },
};
