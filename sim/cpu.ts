/*
 * The simulated ESP32's CPU (docs/host.md, "CPU time"): what the firmware's work
 * costs in time on the device, charged to the node's task on the virtual clock
 * (sim/clock.ts), so computation takes time in the simulator as it does on the
 * node: while it computes, its timers wait and the parts' FIFOs keep filling.
 *
 * Costs are XS computrons per unit of work, measured in XS (xsnap) by the bench
 * and kept current by CI (test/budgets.test.ts compares this table with fresh
 * measurements), plus native time where the device runs C (the spectrum kernel,
 * an estimate). Computrons become time at one named rate: ESP32_COMPUTRONS_PER_S.
 * XS-compatible: the Node host and the XS whole-node harness charge the same.
 */
import type { CpuMeter, CpuWork } from "../firmware/host.js";
import { ESP32_COMPUTRONS_PER_S, FEATURES_COMPUTRONS_PER_AXIS_SAMPLE, FEATURES_NATIVE_MS_PER_AXIS_SAMPLE, FIFO_COMPUTRONS_PER_SAMPLE, FIFO_DECODE_COMPUTRONS_PER_SAMPLE } from "../firmware/acquisition/budget.js";

/**
 * The assumed ESP32 speed for XS code (240 MHz, Moddable release build): 3 M
 * computrons per second, the central value of docs/performance.md's range. An
 * assumption, not a measurement: no board has been measured here. Defined with the
 * acquisition's feasibility check (firmware/acquisition/budget.ts), which uses the
 * same figures on a device.
 */
export { ESP32_COMPUTRONS_PER_S };
/** The pessimistic end of that range (docs/performance.md): run key scenarios here too. */
export const ESP32_PESSIMISTIC_COMPUTRONS_PER_S = 1_600_000;

/** Where a cost comes from: measured in XS (and by which bench figure), or estimated (and on what assumption). */
export interface WorkCost {
  /** XS computrons per unit. */
  computrons: number;
  /** Native (C) ms per unit on the ESP32, not scaled by the computron rate. */
  nativeMs?: number;
  source: string;
}

/**
 * Per unit of CpuWork (firmware/host.ts). test/budgets.test.ts re-measures the
 * measured rows in XS and fails when one drifts by more than 10 %.
 */
export const WORK_COSTS: Readonly<Record<CpuWork, Readonly<WorkCost>>> = Object.freeze({
  fifo: Object.freeze({
    computrons: FIFO_COMPUTRONS_PER_SAMPLE,
    source: "measured: xs.fifoCopyPerSample (ADXL345 int16 counts from the sampler's ring into the window; the LIS3DH takes the same path)",
  }),
  fifoDecode: Object.freeze({
    computrons: FIFO_DECODE_COMPUTRONS_PER_SAMPLE,
    source: "measured: xs.fifoDecodePerSample (ADXL355 20-bit entries from the sampler's ring, decoded to g by the driver, into float32 windows)",
  }),
  features: Object.freeze({
    // xs.devicePathPerWindow (1 168 434 computrons, 3 axes of 4096) per axis-sample; the C kernel: 4.7 ms per window of 3 axes (docs/performance.md, an estimate).
    computrons: FEATURES_COMPUTRONS_PER_AXIS_SAMPLE,
    nativeMs: FEATURES_NATIVE_MS_PER_AXIS_SAMPLE,
    source: "measured: xs.devicePathPerWindow / (3 x 4096); native: the C spectrum kernel's ESP32 estimate",
  }),
  monitor: Object.freeze({ computrons: 8_904, source: "measured: xs.monitorPerEvaluation" }),
  payload: Object.freeze({ computrons: 60, source: "estimate: JSON text built by string concatenation, per byte" }),
  publish: Object.freeze({ computrons: 4_284 / 1_050, source: "measured: xs.mqttEncodeInto1k per byte of a 1 KiB PUBLISH (encode into the send buffer)" }),
  store: Object.freeze({ computrons: 0, nativeMs: 0.2 / 1024, source: "estimate: flash write at about 5 MB/s (SPI flash page program), native" }),
});

/** Converts reported work to time at a computron rate and charges it to a task (its `advance`). */
export class SimulatedCpu implements CpuMeter {
  readonly rate: number;
  readonly #advance: (ms: number) => void;
  /** Work charged per kind, ms. */
  readonly spentMs: Record<CpuWork, number> = { fifo: 0, fifoDecode: 0, features: 0, monitor: 0, payload: 0, publish: 0, store: 0 };

  constructor(options: { rate?: number; advance: (ms: number) => void }) {
    this.rate = options.rate ?? ESP32_COMPUTRONS_PER_S;
    this.#advance = options.advance;
  }

  /** Time `units` of `work` take on the simulated device, ms. */
  cost(work: CpuWork, units: number): number {
    const c = WORK_COSTS[work];
    return units * ((c.computrons * 1000) / this.rate + (c.nativeMs ?? 0));
  }

  charge(work: CpuWork, units: number): void {
    const ms = this.cost(work, units);
    if (!(ms > 0)) return;
    this.spentMs[work] += ms;
    this.#advance(ms);
  }
}
