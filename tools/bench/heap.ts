/*
 * XS heap of the DSP + monitor steady state: features on three axes and one
 * monitor evaluation per window, for 1000 windows (4096 samples; --quick: 1024,
 * the allocation pattern does not depend on the window length). Heap slots after
 * setup are the baseline; the goal is no growth.
 */
import type { BenchModule, Figure } from "./types.js";
import { goal } from "./types.js";

export const heapBench: BenchModule = {
  name: "heap",
  title: "XS heap, DSP + monitor steady state",
  quick: true,
  async run(ctx): Promise<Figure[]> {
    const { heap } = await ctx.xs();
    return [
      {
        id: "heap.xs.afterWindows",
        name: `XS heap after ${heap.windows} windows (n = ${heap.n})`,
        value: heap.afterAll,
        unit: "slots",
        baseline: { name: "after setup", value: heap.afterSetup },
        ratio: heap.afterAll / heap.afterSetup,
        kind: "deterministic",
        budgets: { "xs.heapAfter1000Windows": heap.afterAll },
      },
      {
        id: "heap.xs.growth",
        name: `XS heap growth over ${heap.windows} windows`,
        value: heap.growth,
        unit: "slots",
        baseline: { name: "after 5 windows", value: heap.afterWarmup },
        goal: goal("value", "<=", 0, "no growth"),
        kind: "deterministic",
        budgets: { "xs.heapGrowth1000Windows": heap.growth },
      },
      {
        id: "heap.xs.computePerWindow",
        name: `steady state per window (n = ${heap.n}), XS`,
        value: heap.computePerWindow,
        unit: "computrons",
        kind: "deterministic",
      },
    ];
  },
};
