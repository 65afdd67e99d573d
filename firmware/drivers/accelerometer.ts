/*
 * The accelerometer contract the acquisition layer relies on: FIFO burst reads
 * into a caller-owned buffer, interleaved x, y, z in g.
 */
import type { SMBus } from "../host.js";
import { asError } from "../util/format.js";

export interface AccelerometerOptions {
  /** Output data rate wanted, Hz; the driver picks the nearest the part supports. */
  odr?: number;
  /** Full scale, +/- g. */
  rangeG?: number;
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
  /** True if the FIFO overflowed (samples may have been lost) before the last readFifo. */
  readonly overrun: boolean;
  close(): void;
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

/** Writes the part's low-power value, then releases the bus even if that write fails. */
export function powerDownAndClose(io: SMBus, register: number, value: number): void {
  try {
    io.writeUint8(register, value);
  } finally {
    io.close();
  }
}
