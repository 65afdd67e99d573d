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
 * XS-compatible, but only the simulator on the Node host charges it (SimNode with a
 * `cpu` option); the XS whole-node harness has no CPU model, and its parity runs
 * (tools/xs/bridge.ts) run both sides with free computation.
 */
import type { CpuMeter, CpuWork } from "../firmware/host.js";
import { ENVELOPE_COMPUTRONS_PER_AXIS_SAMPLE, ENVELOPE_NATIVE_MS_PER_AXIS_SAMPLE, ESP32_COMPUTRONS_PER_S, FEATURES_COMPUTRONS_PER_AXIS_SAMPLE, FEATURES_NATIVE_MS_PER_AXIS_SAMPLE, FIFO_COMPUTRONS_PER_SAMPLE, FIFO_DECODE_COMPUTRONS_PER_SAMPLE } from "../firmware/acquisition/budget.js";

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

/** The ESP32's clock (240 MHz): native estimates given in cycles become time at this rate. */
export const ESP32_CPU_HZ = 240_000_000;
/**
 * TLS bulk crypto on the device, CPU cycles per byte either way (an estimate: no board
 * measured). The Moddable SDK's TLS (embedded:io/socket/tcp/tls, modules/crypt) runs
 * AES-GCM in its own portable C (kcl), not in the ESP32's AES hardware nor mbedTLS:
 * AES-128 with T-tables in flash, about 50 cycles per byte for CTR, and GHASH one bit at
 * a time (128 conditional 64-bit shift/xor steps per 16-byte block), about 200 cycles per
 * byte: twice the 1 611 cycles per block (100 per byte) that esp-idf measured on Xtensa
 * for mbedTLS's 4-bit-table gcm_mult (esp-idf pull request 14314).
 */
export const TLS_CYCLES_PER_BYTE = 250;
/**
 * The SDK's record layer per TLS record, XS computrons (an estimate: it cannot run in
 * xsnap, which lacks the SDK's native crypto; its sources are not bundled here): in
 * ssl_record.js and gcm.js a record makes three small buffers, a BigInt nonce and about
 * a dozen calls, a little less than our own 1 KiB PUBLISH encode (xs.mqttEncodeInto1k,
 * about 4 100 computrons).
 */
export const TLS_RECORD_COMPUTRONS = 3_000;

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
  envelope: Object.freeze({
    computrons: ENVELOPE_COMPUTRONS_PER_AXIS_SAMPLE,
    nativeMs: ENVELOPE_NATIVE_MS_PER_AXIS_SAMPLE,
    source: "measured: xs.envelopeDevicePathPerWindow / (3 x 4096); native: the ESP32 estimate of the C envelope pass and the C spectrum kernel's second run",
  }),
  monitor: Object.freeze({ computrons: 8_904, source: "measured: xs.monitorPerEvaluation" }),
  payload: Object.freeze({ computrons: 60, source: "estimate: JSON text built by string concatenation, per byte" }),
  publish: Object.freeze({ computrons: 4_284 / 1_050, source: "measured: xs.mqttEncodeInto1k per byte of a 1 KiB PUBLISH (encode into the send buffer)" }),
  store: Object.freeze({ computrons: 0, nativeMs: 0.2 / 1024, source: "estimate: flash write at about 5 MB/s (SPI flash page program), native" }),
  tls: Object.freeze({ computrons: 0, nativeMs: (TLS_CYCLES_PER_BYTE * 1000) / ESP32_CPU_HZ, source: "estimate: AES-128-GCM in the SDK's portable C, 250 cycles per byte at 240 MHz, native" }),
  tlsRecord: Object.freeze({ computrons: TLS_RECORD_COMPUTRONS, source: "estimate: the SDK's TLS record layer in XS, per record" }),
});

/** Converts reported work to time at a computron rate and charges it to a task (its `advance`). */
export class SimulatedCpu implements CpuMeter {
  readonly rate: number;
  readonly #advance: (ms: number) => void;
  /** Work charged per kind, ms. */
  readonly spentMs: Record<CpuWork, number> = { fifo: 0, fifoDecode: 0, features: 0, envelope: 0, monitor: 0, payload: 0, publish: 0, store: 0, tls: 0, tlsRecord: 0 };

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
