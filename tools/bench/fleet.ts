/*
 * Fleet capacity (docs/fleet.md): the most simulated nodes that run in real
 * time at 1 Hz telemetry (duty-cycled capture, 256 samples at 400 Hz) with
 * every message delivered to an independent subscriber through mosquitto on
 * loopback. A bounded search (250, 500, 1000, 2000, 2500, 3000, 4000 nodes, ~20 s each, stopping at the first that does not keep up); wall clock, so
 * reported, never asserted. Not in --quick (it takes minutes). Three searches per
 * run: each figure is the median round's, its spread min-max over the rounds, and
 * the capacity and CPU carry the machine reference timed before their round.
 */
import * as os from "node:os";
import { mosquittoPath } from "../brokers/broker.js";
import { measureCapacity, type CapacityResult } from "../fleet/capacity.js";
import { machineReference } from "./reference.js";
import { medianRounds } from "./rounds.js";
import type { BenchModule, Figure } from "./types.js";
import { goal } from "./types.js";
import { GOALS } from "./goals.js";

export const fleetBench: BenchModule = {
  name: "fleet",
  title: "Fleet capacity (real time, every message delivered, mosquitto)",
  quick: false,
  async run(ctx) {
    if (!mosquittoPath()) throw new Error("mosquitto is not installed (Debian: apt-get install mosquitto)");
    // Whole searches repeated (few: each takes minutes), the machine reference timed before each.
    const rounds: Figure[][] = [];
    for (let i = 0; i < FLEET_ROUNDS; i++) {
      const reference = machineReference();
      ctx.log(`fleet: capacity search, round ${i + 1} of ${FLEET_ROUNDS} (machine reference ${reference.value.toFixed(1)} ms)`);
      const r = await measureCapacity({ durationS: ctx.quick ? 10 : 20, steps: ctx.quick ? [250, 500, 1000] : undefined, log: (m) => ctx.log(m) });
      rounds.push(capacityFigures(r, ctx.quick).map((f) => (f.baseline ? f : { ...f, baseline: reference })));
    }
    return medianRounds(rounds);
  },
};

/** Capacity searches per run: the figures are the median round's, the spread min-max over these. */
const FLEET_ROUNDS = 3;

/**
 * The figures of a capacity search. The goal is judged only when the search reached it or stopped
 * below it: a quick run whose every step kept up never tried the goal's node count, so it reports
 * the capacity as "at least" with no verdict rather than a MISS against a count it did not run.
 */
export function capacityFigures(r: CapacityResult, quick: boolean): Figure[] {
  const judged = r.failed !== undefined || r.capacity >= GOALS.fleetNodes;
  const untried = `every step kept up (capacity is at least this)${quick && !judged ? `; --quick stops at ${r.capacity} nodes, so the ${GOALS.fleetNodes}-node goal is for the full run` : ""}`;
  const figures: Figure[] = [
    {
      id: "fleet.capacity",
      name: `nodes in real time, 1 Hz telemetry, all delivered (${os.availableParallelism()} cores)`,
      value: r.capacity,
      unit: "nodes",
      goal: judged ? goal("value", ">=", GOALS.fleetNodes, `>= ${GOALS.fleetNodes} nodes`) : undefined,
      kind: "wall",
      note: r.failed ? `next step ${r.failed.nodes}: ${r.failed.reasons.join("; ")}` : untried,
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
}
