/*
 * Radix-2 FFT, in place, on caller-owned Float64Array (or Float32Array) buffers,
 * with twiddles and the bit-reversal permutation precomputed for one size.
 * Forward transform: X[k] = sum_j x[j] e^(-2 pi i j k / n). No allocation per call.
 */

type Buffer = Float64Array | Float32Array;

export class FFT {
  readonly n: number;
  #cos: Float64Array;
  #sin: Float64Array;
  #rev: Uint32Array;

  constructor(n: number) {
    if (!(n >= 1) || (n & (n - 1)) !== 0) throw new RangeError(`FFT size ${n} is not a power of two`);
    this.n = n;
    const half = n >> 1;
    this.#cos = new Float64Array(half);
    this.#sin = new Float64Array(half);
    for (let k = 0; k < half; k++) {
      const a = (2 * Math.PI * k) / n;
      this.#cos[k] = Math.cos(a);
      this.#sin[k] = Math.sin(a);
    }
    this.#rev = new Uint32Array(n);
    let bits = 0;
    while (1 << bits < n) bits++;
    for (let i = 0; i < n; i++) {
      let r = 0;
      for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
      this.#rev[i] = r;
    }
  }

  /** In-place forward transform of (re, im), each of length n. */
  forward(re: Buffer, im: Buffer): void {
    this.#transform(re, im, -1);
  }

  /** In-place inverse transform, scaled by 1/n (so inverse(forward(x)) = x). */
  inverse(re: Buffer, im: Buffer): void {
    this.#transform(re, im, 1);
    const s = 1 / this.n;
    for (let i = 0; i < this.n; i++) {
      re[i] *= s;
      im[i] *= s;
    }
  }

  #transform(re: Buffer, im: Buffer, sign: number): void {
    const n = this.n;
    const rev = this.#rev;
    for (let i = 0; i < n; i++) {
      const j = rev[i];
      if (j > i) {
        let t = re[i];
        re[i] = re[j];
        re[j] = t;
        t = im[i];
        im[i] = im[j];
        im[j] = t;
      }
    }
    const cos = this.#cos;
    const sin = this.#sin;
    for (let size = 2; size <= n; size <<= 1) {
      const half = size >> 1;
      const step = n / size;
      for (let start = 0; start < n; start += size) {
        for (let j = 0, k = 0; j < half; j++, k += step) {
          const wr = cos[k];
          const wi = sign * sin[k];
          const a = start + j;
          const b = a + half;
          const tr = re[b] * wr - im[b] * wi;
          const ti = re[b] * wi + im[b] * wr;
          re[b] = re[a] - tr;
          im[b] = im[a] - ti;
          re[a] += tr;
          im[a] += ti;
        }
      }
    }
  }
}

/**
 * FFT of n real samples through one complex FFT of n/2 points (even samples as
 * real part, odd as imaginary, then the split step). Output bins 0..n/2.
 */
export class RealFFT {
  readonly n: number;
  #fft: FFT;
  #zr: Float64Array;
  #zi: Float64Array;
  #cos: Float64Array;
  #sin: Float64Array;

  constructor(n: number) {
    if (!(n >= 2) || (n & (n - 1)) !== 0) throw new RangeError(`real FFT size ${n} is not a power of two >= 2`);
    this.n = n;
    const m = n >> 1;
    this.#fft = new FFT(m);
    this.#zr = new Float64Array(m);
    this.#zi = new Float64Array(m);
    this.#cos = new Float64Array(m + 1);
    this.#sin = new Float64Array(m + 1);
    for (let k = 0; k <= m; k++) {
      const a = (2 * Math.PI * k) / n;
      this.#cos[k] = Math.cos(a);
      this.#sin[k] = Math.sin(a);
    }
  }

  /** Spectrum of `input` (length n) into outRe/outIm (length >= n/2 + 1). `input` is not modified. */
  forward(input: Buffer, outRe: Buffer, outIm: Buffer): void {
    const m = this.n >> 1;
    const zr = this.#zr;
    const zi = this.#zi;
    for (let j = 0; j < m; j++) {
      zr[j] = input[2 * j];
      zi[j] = input[2 * j + 1];
    }
    this.#fft.forward(zr, zi);
    const cos = this.#cos;
    const sin = this.#sin;
    for (let k = 0; k <= m; k++) {
      const a = k === m ? 0 : k;
      const b = k === 0 ? 0 : m - k;
      const ar = zr[a];
      const ai = zi[a];
      const br = zr[b];
      const bi = zi[b];
      // even part E = (Z[k] + conj Z[m-k]) / 2, odd part O = (Z[k] - conj Z[m-k]) / 2i
      const er = 0.5 * (ar + br);
      const ei = 0.5 * (ai - bi);
      const or = 0.5 * (ai + bi);
      const oi = -0.5 * (ar - br);
      const c = cos[k];
      const s = sin[k];
      // X[k] = E + e^(-2 pi i k / n) O
      outRe[k] = er + or * c + oi * s;
      outIm[k] = ei + oi * c - or * s;
    }
  }
}
