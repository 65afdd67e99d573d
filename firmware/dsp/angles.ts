/*
 * Twiddle factors for the FFTs: one table of sin over half a turn, cos a view
 * of it from a quarter turn on. The complex FFT (fft.ts) and RealFFT's split
 * step (real-fft.ts) share one table: RAM is what counts on the device.
 */

export type Samples = Float64Array | Float32Array;

/** Storage of tables and buffers: Float64Array (exact to 1e-16) or Float32Array (half the RAM; 6e-8 relative per stored value). */
export type Storage = Float64ArrayConstructor | Float32ArrayConstructor;

/** Smallest table resolution: the cos view starts a quarter turn in, at an integer index. */
const MIN_RESOLUTION = 4;

/**
 * sin(2 pi t / N) for t <= N/2 in one array, and cos(2 pi t / N) = sin(2 pi (t + N/4) / N)
 * as a view of it from N/4 on: cos and sin up to a quarter turn. RealFFT's split needs
 * a quarter turn at N = n; the n/2-point FFT's twiddles (at 2 pi / (n/2)) are every
 * second entry, its passes read angles up to a quarter turn and make the others by
 * symmetry or as products. N/2 + 1 entries instead of 2N + 2 (separate cos and sin
 * tables per level, a full turn for the FFT).
 */
export class AngleTable {
  /** Entries per turn (a power of two >= MIN_RESOLUTION). */
  readonly resolution: number;
  readonly sin: Samples;
  readonly cos: Samples;

  constructor(resolution: number, type: Storage = Float64Array) {
    if (!(resolution >= MIN_RESOLUTION) || (resolution & (resolution - 1)) !== 0) throw new RangeError(`angle table resolution ${resolution} is not a power of two >= ${MIN_RESOLUTION}`);
    this.resolution = resolution;
    const quarter = resolution >> 2;
    const sin = new type((resolution >> 1) + 1);
    for (let t = 0; t < sin.length; t++) sin[t] = Math.sin((2 * Math.PI * t) / resolution);
    this.sin = sin;
    this.cos = sin.subarray(quarter);
  }
}

/** The table an n-point transform needs: resolution n (at least MIN_RESOLUTION: n = 2 reads no twiddle, its table only has to exist). */
export function anglesFor(n: number, type: Storage = Float64Array): AngleTable {
  return new AngleTable(n < MIN_RESOLUTION ? MIN_RESOLUTION : n, type);
}
