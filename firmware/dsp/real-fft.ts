/*
 * Real FFT post-processing: the split step that turns one n/2-point complex
 * FFT of packed real samples into bins 0..n/2, and packedPowerX4, the portable
 * spectrum kernel's step (spectrum.ts), which writes the power spectrum over
 * its packed input. The split's twiddles are the complex FFT's table (one
 * AngleTable at resolution n, angles.ts).
 */
import type { IndexTable } from "./bitrev.js";
import { anglesFor, type Samples, type Storage } from "./angles.js";
import { FFT } from "./complex-fft.js";

/**
 * FFT of n real samples through one complex FFT of n/2 points (even samples as
 * real part, odd as imaginary, then the split step). Output bins 0..n/2.
 */
export class RealFFT {
  readonly n: number;
  /**
   * The packed complex input, in bit-reversed order: sample x[2j] goes to
   * packedRe[bitrev[j]] and x[2j+1] to packedIm[bitrev[j]] (see `packedPowerX4`).
   * Views of one buffer: packedRe, then packedIm.
   */
  readonly packedRe: Samples;
  readonly packedIm: Samples;
  /** packedPowerX4's output, bins 0..n/2: a view over packedRe and packedIm[0], which it overwrites. */
  readonly power: Samples;
  #fft: FFT;
  /** cos/sin of 2 pi k / n (k <= n/4), shared with the complex FFT's twiddles. */
  #cos: Samples;
  #sin: Samples;

  /**
   * `storage`: of the angle table and the packed buffer. Float32Array halves the
   * RAM; the arithmetic stays float64, each stored value is rounded to float32
   * (as the C kernel, which computes in float32 throughout).
   */
  constructor(n: number, storage: Storage = Float64Array) {
    if (!(n >= 2) || (n & (n - 1)) !== 0) throw new RangeError(`real FFT size ${n} is not a power of two >= 2`);
    this.n = n;
    const m = n >> 1;
    // n = 2 gets resolution 4: its split has no bin between 0 and n/2, so reads no twiddle
    const angles = anglesFor(n, storage);
    this.#fft = new FFT(m, angles);
    this.#cos = angles.cos;
    this.#sin = angles.sin;
    const packed = new storage(n);
    this.packedRe = packed.subarray(0, m);
    this.packedIm = packed.subarray(m);
    this.power = packed.subarray(0, m + 1);
  }

  /** Bit reversal of the n/2-point complex FFT (built on first use). */
  get bitrev(): IndexTable {
    return this.#fft.bitrev;
  }

  /** Spectrum of `input` (length n) into outRe/outIm (length >= n/2 + 1). `input` is not modified. */
  forward(input: Samples, outRe: Samples, outIm: Samples): void {
    const m = this.n >> 1;
    const zr = this.packedRe;
    const zi = this.packedIm;
    const rev = this.bitrev;
    for (let j = 0; j < m; j++) {
      const r = rev[j];
      zr[r] = input[2 * j];
      zi[r] = input[2 * j + 1];
    }
    this.#fft.forwardPermuted(zr, zi);
    this.#split(outRe, outIm);
  }

  /**
   * Power spectrum times 4, 4 |X[k]|^2 for k = 0..n/2, into `power`, of the
   * samples the caller wrote into packedRe/packedIm in bit-reversed order and,
   * when h > 1, already transformed in blocks of h (see FFT.forwardFrom). The
   * split step's halvings are left out (callers fold the exact factor 4 into
   * their scale). Overwrites the packed input.
   */
  packedPowerX4(h: number): void {
    this.#fft.forwardFrom(this.packedRe, this.packedIm, h);
    const m = this.n >> 1;
    const zr = this.packedRe;
    const zi = this.packedIm;
    // power[k] is zr[k] and power[m] is zi[0]: each is written after its last read
    const power = this.power;
    const cos = this.#cos;
    const sin = this.#sin;
    let ar = zr[0], ai = zi[0], br = 0, bi = 0, er = 0, ei = 0, or = 0, oi = 0, c = 0, s = 0, tr = 0, ti = 0, xr = 0, xi = 0;
    er = 2 * (ar + ai);
    power[0] = er * er;
    er = 2 * (ar - ai);
    power[m] = er * er;
    // bins k and b = m - k from the same two loads (as #split, without the halvings)
    // a while loop with k++ and b-- as statements: `for (...; k++, b--)` costs XS 10 more per iteration
    let k = 1, b = m - 1;
    while (k <= b) {
      ar = zr[k];
      ai = zi[k];
      br = zr[b];
      bi = zi[b];
      er = ar + br;
      ei = ai - bi;
      or = ai + bi;
      oi = br - ar;
      c = cos[k];
      s = sin[k];
      tr = or * c + oi * s;
      ti = oi * c - or * s;
      xr = er + tr;
      xi = ei + ti;
      power[k] = xr * xr + xi * xi;
      xr = er - tr;
      xi = ti - ei;
      power[b] = xr * xr + xi * xi;
      k++;
      b--;
    }
  }

  /** Split step: X[k] = E[k] + e^(-2 pi i k / n) O[k], bins k and m - k from the same two loads. */
  #split(outRe: Samples, outIm: Samples): void {
    const m = this.n >> 1;
    const zr = this.packedRe;
    const zi = this.packedIm;
    const cos = this.#cos;
    const sin = this.#sin;
    // k = 0 and k = m: Z[0] alone
    outRe[0] = zr[0] + zi[0];
    outIm[0] = 0;
    outRe[m] = zr[0] - zi[0];
    outIm[m] = 0;
    let k = 1, b = m - 1;
    let ar = 0, ai = 0, br = 0, bi = 0, er = 0, ei = 0, or = 0, oi = 0, c = 0, s = 0, tr = 0, ti = 0;
    for (; k <= b; k++, b--) {
      ar = zr[k];
      ai = zi[k];
      br = zr[b];
      bi = zi[b];
      // even part E = (Z[k] + conj Z[m-k]) / 2, odd part O = (Z[k] - conj Z[m-k]) / 2i
      er = 0.5 * (ar + br);
      ei = 0.5 * (ai - bi);
      or = 0.5 * (ai + bi);
      oi = 0.5 * (br - ar);
      c = cos[k];
      s = sin[k];
      tr = or * c + oi * s;
      ti = oi * c - or * s;
      // bin m - k: E[m-k] = conj E[k], O[m-k] = conj O[k], twiddle e^(-2 pi i (m-k)/n) = -conj(e^(-2 pi i k/n))
      outRe[k] = er + tr;
      outIm[k] = ei + ti;
      outRe[b] = er - tr;
      outIm[b] = ti - ei;
    }
  }
}
