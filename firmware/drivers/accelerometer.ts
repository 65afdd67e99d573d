/*
 * The accelerometer contract the acquisition layer relies on: FIFO burst reads
 * into a caller-owned buffer, interleaved x, y, z in g; optionally a watermark
 * interrupt that says when to read.
 */
import type { Digital, FifoProgram, SMBus } from "../host.js";
import type { InterruptOptions, SensorOptions } from "./sensor.js";
import { asError } from "../util/format.js";

export interface AccelerometerOptions {
  /** Output data rate wanted, Hz; the driver picks the nearest the part supports. */
  odr?: number;
  /** Full scale, +/- g. */
  rangeG?: number;
}

/** Constructor options of the accelerometer drivers (Sensor Class Pattern, docs/measurement.md). */
export interface AccelerometerDriverOptions extends AccelerometerOptions {
  sensor: SensorOptions;
  /**
   * The part's interrupt output (INT1), wired to a GPIO: with onSample, the part
   * raises it when its FIFO reaches the watermark (half the FIFO) and the driver
   * calls onSample; without it, the FIFO is polled.
   */
  interrupt?: InterruptOptions;
  /** The FIFO holds at least its watermark: drain it now (readFifo). Needs `interrupt`. */
  onSample?: () => void;
  /** If given, readFifo reports bus errors here and returns 0 instead of throwing. */
  onError?: (error: Error) => void;
}

export interface Accelerometer {
  /** Actual output data rate, Hz. */
  readonly odr: number;
  /** Actual full scale, +/- g. */
  readonly rangeG: number;
  /** FIFO depth in samples (what may pile up between two reads). */
  readonly fifoDepth: number;
  /**
   * g per count when every value readFifo delivers is a whole number of counts
   * within a signed 16-bit range (-32768..32767) at the current range and mode:
   * the acquirer then keeps its windows as 2-byte counts instead of 4-byte
   * floats. Undefined (finer parts, float frames): windows stay float32 g.
   */
  readonly lsbG?: number;
  configure(options: AccelerometerOptions): void;
  /**
   * Burst-drains up to `maxSamples` samples from the FIFO into `dest` as
   * interleaved x, y, z in g (dest.length >= 3 * maxSamples). Returns the
   * number of samples read. Throws on bus errors (unless onError was given).
   */
  readFifo(dest: Float32Array, maxSamples: number): number;
  /** How a FifoSampler drains this part's FIFO (frozen data); FIFO drivers have one. */
  readonly program?: FifoProgram;
  /**
   * Raw FIFO bytes (`samples` x program.sampleBytes, as the sampler's ring holds them)
   * to interleaved x, y, z in g in `dest`; returns the samples decoded (fewer when the
   * bytes are out of step, e.g. an ADXL355 set not starting on x). readFifo uses it too.
   */
  decode?(raw: Uint8Array, samples: number, dest: Float32Array): number;
  /** True if the FIFO overflowed (samples may have been lost) before the last readFifo. */
  readonly overrun: boolean;
  /** True when the watermark interrupt calls onSample: the acquirer then reads on it instead of polling. */
  readonly interrupt?: boolean;
  close(): void;
}

/** onSample calls per edge while the line stays active (bounded: a stuck line cannot hold the CPU). */
const MAX_SAMPLE_CALLS_PER_EDGE = 4;

/**
 * Opens the part's watermark line, active high, as the SDK's drivers do (the
 * options spread into the Digital constructor, the driver's edge and callback
 * last). onSample is called on the rising edge, then again while the line stays
 * high: a watermark not drained below its level gives no next edge.
 * Undefined without both `interrupt` and `onSample`.
 */
export function openWatermarkLine(options: AccelerometerDriverOptions): Digital | undefined {
  const { interrupt, onSample } = options;
  if (!interrupt || !onSample) return undefined;
  const Digital = interrupt.io;
  const line: Digital = new Digital({
    mode: Digital.Input,
    ...interrupt,
    edge: Digital.Rising,
    onReadable: () => {
      for (let i = 0; i < MAX_SAMPLE_CALLS_PER_EDGE && line.read() === 1; i++) onSample();
    },
  });
  return line;
}

/**
 * A FIFO read that failed on the bus: reported to `onError` (the acquirer keeps
 * running and counts it) and read as no samples, or thrown when nobody listens.
 */
export function fifoReadFailed(onError: ((error: Error) => void) | undefined, error: unknown): 0 {
  if (!onError) throw error;
  onError(asError(error));
  return 0;
}

/** Writes the part's low-power value, then releases the bus (and the interrupt line) even if that write fails. */
export function powerDownAndClose(io: SMBus, register: number, value: number, line?: Digital): void {
  try {
    line?.close();
    io.writeUint8(register, value);
  } finally {
    io.close();
  }
}
