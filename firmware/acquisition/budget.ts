/*
 * Can the acquisition keep up? (docs/measurement.md, "Acquisition on two cores")
 *
 * With a FIFO sampler the bus runs on the sampler's core and the main core copies
 * ring entries into the windows and computes each window's features. The
 * configuration is refused (the app throws a ConfigError naming the limit) when:
 *
 *   accelerometer.odr   the sampler's core would spend more than MAX_BUS_SHARE of
 *                       its time on the bus (wire time of one poll / pollMs), or the
 *                       main core more than MAX_MAIN_LOAD of a window on features
 *                       plus sample copies (what is left runs MQTT, the monitor, payloads);
 *   acquisition.ringMs  the ring holds less than RING_MARGIN x one window's features
 *                       time: the main core computes them in one stretch, while the
 *                       ring alone takes the samples.
 *
 * Costs come from the host's CPU model when it has one (the simulator, at its rate),
 * else from the ESP32 estimate below (the same figures the simulator's model uses).
 */
import type { CpuMeter, CpuWork, FifoProgram } from "../host.js";

/** The assumed ESP32 speed for XS code: 3 M computrons per second (docs/performance.md; an assumption). */
export const ESP32_COMPUTRONS_PER_S = 3_000_000;
/** XS computrons to decode one raw x, y, z sample and store it in the window (an estimate). */
export const FIFO_COMPUTRONS_PER_SAMPLE = 160;
/** One axis-sample of a window's features on the device path: xs.devicePathPerWindow (1 168 434) / (3 x 4096). */
export const FEATURES_COMPUTRONS_PER_AXIS_SAMPLE = 1_168_434 / (3 * 4096);
/** The C spectrum kernel's share, native ms per axis-sample on the ESP32 (4.7 ms per window of 3 x 4096, an estimate). */
export const FEATURES_NATIVE_MS_PER_AXIS_SAMPLE = 4.7 / (3 * 4096);

/** Largest share of the main core for features and sample copies. */
export const MAX_MAIN_LOAD = 0.85;
/** Largest share of the sampler's core on the bus. */
export const MAX_BUS_SHARE = 0.95;
/** The ring holds at least this many times one window's features time. */
export const RING_MARGIN = 1.25;

/** I2C clocks: 9 per byte (8 bits and ACK), one each for START, repeated START and STOP. */
const CLOCKS_PER_BYTE = 9;

export interface AcquisitionPlan {
  odr: number;
  /** Window length, samples per axis. */
  n: number;
  ringMs: number;
  pollMs: number;
  program: FifoProgram;
  /** I2C clock, Hz. */
  busHz: number;
  cpu?: CpuMeter;
}

export interface AcquisitionLoad {
  windowMs: number;
  featuresMs: number;
  copyMs: number;
  /** (features + copies) / window. */
  mainLoad: number;
  /** Wire time / poll period on the sampler's core. */
  busShare: number;
  /** Ring needed (RING_MARGIN x features), ms. */
  ringNeedMs: number;
}

/** The work's time on the device: the host's CPU model, else the ESP32 estimate. */
function cost(cpu: CpuMeter | undefined, work: CpuWork, units: number): number {
  if (cpu?.cost) return cpu.cost(work, units);
  if (work === "features") return units * ((FEATURES_COMPUTRONS_PER_AXIS_SAMPLE * 1000) / ESP32_COMPUTRONS_PER_S + FEATURES_NATIVE_MS_PER_AXIS_SAMPLE);
  if (work === "fifo") return (units * FIFO_COMPUTRONS_PER_SAMPLE * 1000) / ESP32_COMPUTRONS_PER_S;
  return 0;
}

/** Wire time of one poll that finds `level` samples, ms. */
export function pollWireMs(program: FifoProgram, level: number, busHz: number): number {
  const transfer = (bytes: number) => (bytes + 3) * CLOCKS_PER_BYTE + 3; // address, register, address again, data; START, repeated START, STOP
  let clocks = transfer(program.levelBytes);
  if (program.overrun?.register !== undefined && !program.overrun.whenFull) clocks += transfer(1);
  const bursts = Math.ceil(level / program.samplesPerRead);
  clocks += bursts * transfer(0) + level * program.sampleBytes * CLOCKS_PER_BYTE;
  return (clocks * 1000) / busHz;
}

export function acquisitionLoad(p: AcquisitionPlan): AcquisitionLoad {
  const windowMs = (p.n * 1000) / p.odr;
  const featuresMs = cost(p.cpu, "features", 3 * p.n);
  const copyMs = cost(p.cpu, "fifo", p.n);
  const level = Math.ceil((p.odr * p.pollMs) / 1000);
  return {
    windowMs,
    featuresMs,
    copyMs,
    mainLoad: (featuresMs + copyMs) / windowMs,
    busShare: pollWireMs(p.program, level, p.busHz) / p.pollMs,
    ringNeedMs: RING_MARGIN * featuresMs,
  };
}

const pct = (x: number) => `${Math.round(x * 100)} %`;
const ms = (x: number) => `${Math.round(x)} ms`;

/** The limit a plan breaks (the configuration field and why), or undefined when the sampler and the main core keep up. */
export function acquisitionLimit(p: AcquisitionPlan): { field: string; problem: string } | undefined {
  const l = acquisitionLoad(p);
  if (l.busShare > MAX_BUS_SHARE) {
    return { field: "accelerometer.odr", problem: `${p.odr} Hz is too fast for the ${p.busHz / 1000} kHz bus: draining the FIFO takes ${pct(l.busShare)} of the sampler's core (limit ${pct(MAX_BUS_SHARE)})` };
  }
  if (l.mainLoad > MAX_MAIN_LOAD) {
    return {
      field: "accelerometer.odr",
      problem: `${p.odr} Hz with window.n ${p.n}: features (${ms(l.featuresMs)}) and sample copies (${ms(l.copyMs)}) take ${pct(l.mainLoad)} of each ${ms(l.windowMs)} window on this CPU (limit ${pct(MAX_MAIN_LOAD)})`,
    };
  }
  if (p.ringMs < l.ringNeedMs) {
    return { field: "acquisition.ringMs", problem: `${p.ringMs} ms holds less than ${RING_MARGIN} x one window's features (${ms(l.featuresMs)} on this CPU): use at least ${Math.ceil(l.ringNeedMs)}` };
  }
  return undefined;
}
