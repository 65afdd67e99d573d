/*
 * Which keys of bench/budgets.json carry a published goal (goals.ts), and the goal
 * in the budget's unit: such a budget must equal its goal or be tighter
 * (test/budgets.test.ts). The other keys are regression ceilings on figures that
 * have no goal of their own (docs/performance.md, "Budgets").
 */
import { PARTS } from "./acquisition.js";
import { CPU_PARTS, FIFO_DEPTH } from "./cpu.js";
import { GOALS } from "./goals.js";
import { WINDOW } from "./types.js";

export interface BudgetGoal {
  /** The goal in the budget's unit: the budget may not exceed it (unless the goal is `missed`). */
  limit: number;
  /** The goal as the docs state it. */
  text: string;
  /**
   * A goal missed today, and the issue that decides what gives: its budget is a
   * ceiling on the measured figure meanwhile (the docs' budget table says so).
   */
  missed?: string;
}

export function budgetGoals(): Record<string, BudgetGoal> {
  const goals: Record<string, BudgetGoal> = {
    "xs.devicePathPerWindow": { limit: GOALS.featuresPerAxisSample * WINDOW.axes * WINDOW.n, text: `<= ${GOALS.featuresPerAxisSample} computrons per sample per axis` },
    "xs.heapGrowth1000Windows": { limit: 0, text: "no growth" },
    "xs.node.soakHeapGrowth": { limit: 0, text: "no growth" },
    "xs.mqttSendSlotsPerSend": { limit: 0, text: "nothing allocated per send" },
    "xs.node.firmware.preloadedBytes4096": { limit: GOALS.ramBytes, text: `<= ${GOALS.ramBytes / 1024} KiB of XS heap` },
    "xs.envelopeRamBytes": { limit: GOALS.envelopeRamBytes, text: `<= ${GOALS.envelopeRamBytes / 1024} KiB` },
    "xs.devicePathWithEnvelopePerSample": { limit: GOALS.featuresPerAxisSample, text: `<= ${GOALS.featuresPerAxisSample} computrons per sample per axis (XS + C share)` },
    "xs.node.setup.preloadedBytes4096": { limit: GOALS.setupRamBytes, text: `<= ${GOALS.setupRamBytes / 1024} KiB of XS heap in setup mode` },
    "xs.node.setup.growthSlots": { limit: 0, text: "no growth in setup mode" },
    "xs.setup.growthSlots": { limit: 0, text: "no growth from serving" },
    "xs.ota.update.ramAboveSteadyBytes": { limit: GOALS.otaUpdateRamBytes, text: `<= ${GOALS.otaUpdateRamBytes / 1024} KiB above the steady state` },
    "acq.lost": { limit: 0, text: "0 samples lost" },
    "cpu.lost": { limit: 0, text: "0 samples lost" },
  };
  for (const part of PARTS) {
    goals[`acq.${part.id}.wirePerPayload`] = { limit: part.limit * GOALS.wireOverLimit, text: `within ${Math.round((GOALS.wireOverLimit - 1) * 100)} % of the limit ${part.limit.toFixed(3)}` };
  }
  for (const part of CPU_PARTS) {
    const waitMs = ((FIFO_DEPTH * 1000) / part.odr) * GOALS.samplerWaitOfFill;
    goals[`cpu.${part.id}.samplerWait`] = { limit: waitMs, text: `< ${waitMs.toFixed(2)} ms (half the FIFO's fill)` };
    goals[`cpu.${part.id}.latencyFromWindowEnd.p99`] = { limit: GOALS.latencyFromWindowEndMs, text: `<= ${GOALS.latencyFromWindowEndMs} ms` };
    goals[`cpu.${part.id}.latencyFromFeatures.p99`] = { limit: GOALS.latencyFromFeaturesMs, text: `<= ${GOALS.latencyFromFeaturesMs} ms` };
  }
  return goals;
}
