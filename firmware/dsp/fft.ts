/*
 * FFT, in place, on caller-owned Float64Array (or Float32Array) buffers, with
 * twiddles and the bit-reversal permutation precomputed for one size.
 * Forward transform: X[k] = sum_j x[j] e^(-2 pi i j k / n). No allocation per call.
 *
 * Cost model (XS): the interpreter charges roughly one computron per bytecode,
 * so what counts is loads, stores and loop iterations, not flops. Hence:
 *  - decimation in time on bit-reversed input, in radix-4 passes (each pass does
 *    two radix-2 stages with 3 complex multiplies and one load/store per point);
 *    one trivial radix-2 pass first when log2(n) is odd;
 *  - callers that produce the input themselves may write it straight into
 *    bit-reversed positions (`bitrev`) and call `forwardPermuted`, saving the
 *    permutation pass (RealFFT and the feature extractor do);
 *  - RealFFT computes n real points with one n/2 complex FFT and a split step
 *    that handles bins k and n/2 - k together.
 */

type Buffer = Float64Array | Float32Array;

export class FFT {
  readonly n: number;
  /** rev[i]: the bit-reversed index of i (log2 n bits). Write input x[i] at rev[i] for `forwardPermuted`. */
  readonly bitrev: Uint32Array;
  /** cos/sin of 2 pi k / n for k < n (a full turn: radix-4 needs angles up to 3/4 turn). */
  #cos: Float64Array;
  #sin: Float64Array;

  constructor(n: number) {
    if (!(n >= 1) || (n & (n - 1)) !== 0) throw new RangeError(`FFT size ${n} is not a power of two`);
    this.n = n;
    this.#cos = new Float64Array(n);
    this.#sin = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      const a = (2 * Math.PI * k) / n;
      this.#cos[k] = Math.cos(a);
      this.#sin[k] = Math.sin(a);
    }
    this.bitrev = new Uint32Array(n);
    let bits = 0;
    while (1 << bits < n) bits++;
    for (let i = 0; i < n; i++) {
      let r = 0;
      for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
      this.bitrev[i] = r;
    }
  }

  /** In-place forward transform of (re, im), each of length n. */
  forward(re: Buffer, im: Buffer): void {
    const n = this.n;
    const rev = this.bitrev;
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
    this.forwardPermuted(re, im);
  }

  /** In-place inverse transform, scaled by 1/n (so inverse(forward(x)) = x). */
  inverse(re: Buffer, im: Buffer): void {
    // inverse(x) = conj(forward(conj(x))) / n
    const n = this.n;
    for (let i = 0; i < n; i++) im[i] = -im[i];
    this.forward(re, im);
    const s = 1 / n;
    for (let i = 0; i < n; i++) {
      re[i] *= s;
      im[i] = -im[i] * s;
    }
  }

  /** Forward transform of data already stored in bit-reversed order (x[i] at bitrev[i]); output in natural order. */
  forwardPermuted(re: Buffer, im: Buffer): void {
    // Locals are declared once, outside the loops: a block-scoped declaration in a
    // loop body costs XS extra computrons per iteration.
    const n = this.n;
    if (n < 2) return;
    const cos = this.#cos;
    const sin = this.#sin;
    let h = 1, log = 0, a = 0, b = 0, j = 0, k1 = 0, span = 0, step = 0;
    let p0 = 0, p1 = 0, p2 = 0, p3 = 0;
    let xr = 0, xi = 0, ar = 0, ai = 0, br = 0, bi = 0, cr = 0, ci = 0, dr = 0, di = 0;
    let t1r = 0, t1i = 0, t2r = 0, t2i = 0, t3r = 0, t3i = 0;
    let w1r = 0, w1i = 0, w2r = 0, w2i = 0, w3r = 0, w3i = 0;
    while (1 << log < n) log++;
    if (log & 1) {
      // radix-2 stage of size 2: twiddle 1
      for (a = 0; a < n; a += 2) {
        b = a + 1;
        xr = re[b];
        xi = im[b];
        ar = re[a];
        ai = im[a];
        re[b] = ar - xr;
        im[b] = ai - xi;
        re[a] = ar + xr;
        im[a] = ai + xi;
      }
      h = 2;
    }
    // radix-4 passes: blocks of h combine four at a time into blocks of 4h
    for (; h < n; h <<= 2) {
      span = h << 2;
      step = n / span; // W_span^j = table[j * step]
      for (j = 0; j < h; j++) {
        k1 = j * step;
        w1r = cos[k1];
        w1i = -sin[k1];
        w2r = cos[2 * k1];
        w2i = -sin[2 * k1];
        w3r = cos[3 * k1];
        w3i = -sin[3 * k1];
        for (p0 = j; p0 < n; p0 += span) {
          p1 = p0 + h;
          p2 = p1 + h;
          p3 = p2 + h;
          // the block at p2 holds the sub-DFT of indices 1 mod 4, p1 of 2 mod 4, p3 of 3 mod 4
          xr = re[p2];
          xi = im[p2];
          t1r = xr * w1r - xi * w1i;
          t1i = xr * w1i + xi * w1r;
          xr = re[p1];
          xi = im[p1];
          t2r = xr * w2r - xi * w2i;
          t2i = xr * w2i + xi * w2r;
          xr = re[p3];
          xi = im[p3];
          t3r = xr * w3r - xi * w3i;
          t3i = xr * w3i + xi * w3r;
          xr = re[p0];
          xi = im[p0];
          ar = xr + t2r;
          ai = xi + t2i;
          br = xr - t2r;
          bi = xi - t2i;
          cr = t1r + t3r;
          ci = t1i + t3i;
          dr = t1r - t3r;
          di = t1i - t3i;
          re[p0] = ar + cr;
          im[p0] = ai + ci;
          re[p2] = ar - cr;
          im[p2] = ai - ci;
          re[p1] = br + di;
          im[p1] = bi - dr;
          re[p3] = br - di;
          im[p3] = bi + dr;
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
  /**
   * The packed complex input, in bit-reversed order: sample x[2j] goes to
   * packedRe[bitrev[j]] and x[2j+1] to packedIm[bitrev[j]] (see `forwardPacked`).
   */
  readonly packedRe: Float64Array;
  readonly packedIm: Float64Array;
  /** Bit reversal of the n/2-point complex FFT. */
  readonly bitrev: Uint32Array;
  #fft: FFT;
  #cos: Float64Array;
  #sin: Float64Array;

  constructor(n: number) {
    if (!(n >= 2) || (n & (n - 1)) !== 0) throw new RangeError(`real FFT size ${n} is not a power of two >= 2`);
    this.n = n;
    const m = n >> 1;
    this.#fft = new FFT(m);
    this.bitrev = this.#fft.bitrev;
    this.packedRe = new Float64Array(m);
    this.packedIm = new Float64Array(m);
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
    const zr = this.packedRe;
    const zi = this.packedIm;
    const rev = this.bitrev;
    for (let j = 0; j < m; j++) {
      const r = rev[j];
      zr[r] = input[2 * j];
      zi[r] = input[2 * j + 1];
    }
    this.#fft.forwardPermuted(zr, zi);
    this.#split(outRe, outIm, undefined);
  }

  /**
   * Power spectrum |X[k]|^2, k = 0..n/2, of the samples the caller wrote into
   * packedRe/packedIm (bit-reversed order). Destroys the packed input.
   */
  forwardPackedPower(power: Buffer): void {
    this.#fft.forwardPermuted(this.packedRe, this.packedIm);
    this.#split(undefined, undefined, power);
  }

  /** Split step: X[k] = E[k] + e^(-2 pi i k / n) O[k], bins k and m - k from the same two loads. */
  #split(outRe: Buffer | undefined, outIm: Buffer | undefined, power: Buffer | undefined): void {
    const m = this.n >> 1;
    const zr = this.packedRe;
    const zi = this.packedIm;
    const cos = this.#cos;
    const sin = this.#sin;
    // k = 0 and k = m: Z[0] alone
    {
      const ar = zr[0];
      const ai = zi[0];
      const x0 = ar + ai;
      const xm = ar - ai;
      if (power) {
        power[0] = x0 * x0;
        power[m] = xm * xm;
      } else {
        outRe![0] = x0;
        outIm![0] = 0;
        outRe![m] = xm;
        outIm![m] = 0;
      }
    }
    let k = 1, b = m - 1;
    let ar = 0, ai = 0, br = 0, bi = 0, er = 0, ei = 0, or = 0, oi = 0, c = 0, s = 0, tr = 0, ti = 0, xr = 0, xi = 0;
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
      if (power) {
        xr = er + tr;
        xi = ei + ti;
        power[k] = xr * xr + xi * xi;
        xr = er - tr;
        xi = ti - ei;
        power[b] = xr * xr + xi * xi;
      } else {
        outRe![k] = er + tr;
        outIm![k] = ei + ti;
        outRe![b] = er - tr;
        outIm![b] = ti - ei;
      }
    }
  }
}
