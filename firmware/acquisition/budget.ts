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
 *   window.overlap      the same main-core limit with a window's features every hop
 *                       (n x (1 - overlap) samples) instead of every n, when the
 *                       windows alone (no overlap) would keep under it;
 *   acquisition.ringMs  the ring holds less than RING_MARGIN x one window's features
 *                       time: the main core computes them in one stretch, while the
 *                       ring alone takes the samples.
 *
 * Costs come from the host's CPU model when it has one (the simulator, at its rate),
 * else from the ESP32 estimate below (the same figures the simulator's model uses).
 */
import type { CpuMeter, CpuWork, FifoProgram } from "../host.js";
import { OVERLAP_STEP } from "./acquirer.js";

/** The assumed ESP32 speed for XS code: 3 M computrons per second (docs/performance.md; an assumption). */
export const ESP32_COMPUTRONS_PER_S = 3_000_000;
/**
 * XS computrons to copy one x, y, z sample from the sampler's ring into the window:
 * xs.fifoCopyPerSample (106, ADXL345 int16 counts stored as they come, as the LIS3DH's;
 * tools/bench/xs-fifo-cases.ts).
 */
export const FIFO_COMPUTRONS_PER_SAMPLE = 106;
/**
 * The same for a part whose driver decodes the ring's bytes to g (the ADXL355: three
 * 20-bit big-endian entries with axis markers, stored as float32): xs.fifoDecodePerSample (288).
 */
export const FIFO_DECODE_COMPUTRONS_PER_SAMPLE = 288;
/** One axis-sample of a window's features on the device path: xs.devicePathPerWindow (1 168 434) / (3 x 4096). */
export const FEATURES_COMPUTRONS_PER_AXIS_SAMPLE = 1_168_434 / (3 * 4096);
/**
 * The C spectrum kernel's share, native ms per axis-sample on the ESP32: an estimate from
 * ESP-DSP's published cycles, the bench's dsp.esp32.kernelMsPerWindow for 3 x 4096
 * (test/esp32-estimates.test.ts keeps it the record's).
 */
export const FEATURES_NATIVE_MS_PER_AXIS_SAMPLE = 4.7 / (3 * 4096);

/**
 * One axis-sample of a window's bearing diagnostics (envelope, speed, defect bands) on
 * the device path, the XS part (the envelope pass and the kernel are C):
 * xs.envelopeDevicePathPerWindow / (3 x 4096) (tools/bench/xs-measure.ts, measureXsEnvelope).
 */
export const ENVELOPE_COMPUTRONS_PER_AXIS_SAMPLE = 16.4;
/**
 * The envelope's C code per axis-sample on the ESP32: the C envelope pass and the
 * kernel's second run from the first stage, an estimate from ESP-DSP's published cycles:
 * the bench's dsp.esp32.envelopeNativeMsPerWindow for 3 x 4096 (tools/bench/dsp.ts;
 * test/esp32-estimates.test.ts keeps it the record's).
 */
export const ENVELOPE_NATIVE_MS_PER_AXIS_SAMPLE = 11.1 / (3 * 4096);

/** Largest share of the main core for features and sample copies. */
const MAX_MAIN_LOAD = 0.85;
/** Largest share of the sampler's core on the bus. */
const MAX_BUS_SHARE = 0.95;
/** The ring holds at least this many times one window's features time. */
const RING_MARGIN = 1.25;

export interface AcquisitionPlan {
  odr: number;
  /** Window length, samples per axis. */
  n: number;
  /** Window overlap (configuration window.overlap): features every n x (1 - overlap) samples. Default 0. */
  overlap?: number;
  ringMs: number;
  pollMs: number;
  program: FifoProgram;
  /** I2C clock, Hz. */
  busHz: number;
  cpu?: CpuMeter;
  /** Bearing diagnostics run after each window's features (config machine.bearing or envelope). */
  envelope?: boolean;
}

/** The work's time on the device, ms: the host's CPU model, else the ESP32 estimate. */
function cost(cpu: CpuMeter | undefined, work: CpuWork, units: number): number {
  if (cpu?.cost) return cpu.cost(work, units);
  if (work === "features") return units * ((FEATURES_COMPUTRONS_PER_AXIS_SAMPLE * 1000) / ESP32_COMPUTRONS_PER_S + FEATURES_NATIVE_MS_PER_AXIS_SAMPLE);
  if (work === "envelope") return units * ((ENVELOPE_COMPUTRONS_PER_AXIS_SAMPLE * 1000) / ESP32_COMPUTRONS_PER_S + ENVELOPE_NATIVE_MS_PER_AXIS_SAMPLE);
  return (units * (work === "fifoDecode" ? FIFO_DECODE_COMPUTRONS_PER_SAMPLE : FIFO_COMPUTRONS_PER_SAMPLE) * 1000) / ESP32_COMPUTRONS_PER_S;
}

/** One window's features (and bearing diagnostics) on the main core, ms: one stretch, during which its timers wait. */
export function featuresTime(cpu: CpuMeter | undefined, n: number, envelope: boolean): number {
  return cost(cpu, "features", 3 * n) + (envelope ? cost(cpu, "envelope", 3 * n) : 0);
}

/**
 * The limit a plan breaks (the configuration field and why), or undefined when the
 * sampler and the main core keep up. Wire time of a poll: each transfer is address,
 * register, address again and its data bytes at 9 clocks, plus START, repeated START
 * and STOP.
 */
export function acquisitionLimit(p: AcquisitionPlan): { field: string; problem: string } | undefined {
  const g = p.program;
  const level = Math.ceil((p.odr * p.pollMs) / 1000);
  const transfers = 1 + Math.ceil(level / g.samplesPerRead) + (g.overrun?.register !== undefined && !g.overrun.whenFull ? 1 : 0);
  const clocks = transfers * 30 + (g.levelBytes + level * g.sampleBytes) * 9;
  const busShare = (clocks * 1000) / p.busHz / p.pollMs;
  if (busShare > MAX_BUS_SHARE) {
    return { field: "accelerometer.odr", problem: `${p.odr} Hz is too fast for the ${p.busHz / 1000} kHz bus: draining the FIFO takes ${Math.round(busShare * 100)} % of the sampler's core (limit ${MAX_BUS_SHARE * 100} %)` };
  }
  const featuresMs = featuresTime(p.cpu, p.n, p.envelope === true);
  const copy = g.int16Counts ? "fifo" : "fifoDecode";
  // The main core's share with a window's features every `hop` samples and each new sample copied once.
  const mainLoad = (hop: number) => (featuresMs + cost(p.cpu, copy, hop)) / ((hop * 1000) / p.odr);
  const windowMs = (p.n * 1000) / p.odr;
  const copyMs = cost(p.cpu, copy, p.n);
  if (mainLoad(p.n) > MAX_MAIN_LOAD) {
    return {
      field: "accelerometer.odr",
      problem: `${p.odr} Hz with window.n ${p.n}: features (${Math.round(featuresMs)} ms) and sample copies (${Math.round(copyMs)} ms) take ${Math.round(mainLoad(p.n) * 100)} % of each ${Math.round(windowMs)} ms window on this CPU (limit ${MAX_MAIN_LOAD * 100} %)`,
    };
  }
  const overlap = p.overlap ?? 0;
  const load = mainLoad(p.n * (1 - overlap));
  if (load > MAX_MAIN_LOAD) {
    let most = overlap - OVERLAP_STEP;
    while (most > 0 && mainLoad(p.n * (1 - most)) > MAX_MAIN_LOAD) most -= OVERLAP_STEP;
    const hopMs = (p.n * (1 - overlap) * 1000) / p.odr;
    return {
      field: "window.overlap",
      problem: `${overlap} with window.n ${p.n} at ${p.odr} Hz: features (${Math.round(featuresMs)} ms) every ${Math.round(hopMs)} ms and sample copies take ${Math.round(load * 100)} % of the main core on this CPU (limit ${MAX_MAIN_LOAD * 100} %): use at most ${most}`,
    };
  }
  if (p.ringMs < RING_MARGIN * featuresMs) {
    return { field: "acquisition.ringMs", problem: `${p.ringMs} ms holds less than ${RING_MARGIN} x one window's features (${Math.round(featuresMs)} ms on this CPU): use at least ${Math.ceil(RING_MARGIN * featuresMs)}` };
  }
  return undefined;
}
