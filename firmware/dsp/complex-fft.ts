/*
 * Complex FFT, in place, on caller-owned Float64Array (or Float32Array)
 * buffers, with twiddles (angles.ts) and the bit-reversal permutation
 * precomputed for one size. Forward transform:
 * X[k] = sum_j x[j] e^(-2 pi i j k / n). No allocation per call.
 *
 * Cost model (XS): the interpreter charges roughly one computron per bytecode,
 * so what counts is loads, stores and loop iterations, not flops. Hence:
 *  - decimation in time on bit-reversed input, in radix-8 passes (a radix-2 or
 *    radix-4 pass first when log2(n) is not a multiple of 3);
 *  - callers that produce the input themselves may write it straight into
 *    bit-reversed positions (`bitReversal` in bitrev.ts) and call
 *    `forwardPermuted`, saving the permutation pass (RealFFT does), or do the
 *    first stages themselves and call `forwardFrom` (the feature extractor's
 *    first pass, fft-first-pass.ts).
 *
 * RAM: the angle table may be shared (RealFFT's split uses the same one); the
 * bit-reversal table is built only when `forward` (which permutes) is first used.
 */
import { bitReversal, type IndexTable } from "./bitrev.js";
import { anglesFor, type AngleTable, type Samples } from "./angles.js";

export class FFT {
  readonly n: number;
  #bitrev: IndexTable | undefined;
  /** cos/sin of 2 pi t / #res: the twiddle W_n^k is at t = k #res / n. */
  #cos: Samples;
  #sin: Samples;
  #res: number;

  /** `table` (shared with other users, e.g. RealFFT's split) must have a resolution that is a multiple of n. */
  constructor(n: number, table?: AngleTable) {
    if (!(n >= 1) || (n & (n - 1)) !== 0) throw new RangeError(`FFT size ${n} is not a power of two`);
    const angles = table ?? anglesFor(n);
    if (angles.resolution % n !== 0) throw new RangeError(`angle table resolution ${angles.resolution} is not a multiple of ${n}`);
    this.n = n;
    this.#cos = angles.cos;
    this.#sin = angles.sin;
    this.#res = angles.resolution;
  }

  /** rev[i]: the bit-reversed index of i (log2 n bits). Built on first use (forward permutes with it; forwardFrom does not). */
  get bitrev(): IndexTable {
    if (!this.#bitrev) this.#bitrev = bitReversal(this.n);
    return this.#bitrev;
  }

  /** In-place forward transform of (re, im), each of length n. */
  forward(re: Samples, im: Samples): void {
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
  inverse(re: Samples, im: Samples): void {
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
  forwardPermuted(re: Samples, im: Samples): void {
    this.forwardFrom(re, im, 1);
  }

  /**
   * The remaining stages of a transform whose first stages the caller has done:
   * (re, im) holds n/h consecutive DFTs of length h, each of the bit-reversed
   * input's block (as after log2(h) decimation-in-time stages); h a power of two.
   * Radix-8 passes, with one radix-2 or radix-4 pass first when log2(n/h) is not a
   * multiple of 3.
   */
  forwardFrom(re: Samples, im: Samples, h: number): void {
    const n = this.n;
    let log = 0;
    while (h << log < n) log++;
    if (log % 3 === 1) {
      this.#radix2(re, im, h);
      h <<= 1;
    } else if (log % 3 === 2) {
      this.#radix4(re, im, h);
      h <<= 2;
    }
    for (; h < n; h <<= 3) this.#radix8(re, im, h);
  }

  // Locals are declared once, outside the loops: a block-scoped declaration in a
  // loop body costs XS extra computrons per iteration.

  #radix2(re: Samples, im: Samples, h: number): void {
    const n = this.n;
    const cos = this.#cos;
    const sin = this.#sin;
    const span = h << 1;
    const step = this.#res / span;
    const quarter = this.#res >> 2;
    let j = 0, a = 0, b = 0, k = 0, wr = 0, wi = 0, xr = 0, xi = 0, tr = 0, ti = 0;
    // a first pass only (forwardFrom): h is the caller's block size, few twiddles
    for (j = 0; j < h; j++) {
      k = j * step;
      if (k <= quarter) {
        wr = cos[k];
        wi = -sin[k];
      } else {
        // past a quarter turn: cos t = -sin(t - 1/4 turn), sin t = cos(t - 1/4 turn)
        wr = -sin[k - quarter];
        wi = -cos[k - quarter];
      }
      for (a = j; a < n; a += span) {
        b = a + h;
        xr = re[b];
        xi = im[b];
        tr = xr * wr - xi * wi;
        ti = xr * wi + xi * wr;
        xr = re[a];
        xi = im[a];
        re[b] = xr - tr;
        im[b] = xi - ti;
        re[a] = xr + tr;
        im[a] = xi + ti;
      }
    }
  }

  /** Blocks of h combine four at a time into blocks of 4h. */
  #radix4(re: Samples, im: Samples, h: number): void {
    const n = this.n;
    const cos = this.#cos;
    const sin = this.#sin;
    const span = h << 2;
    const step = this.#res / span; // W_span^j = table[j * step]
    let j = 0, k1 = 0, p0 = 0, p1 = 0, p2 = 0, p3 = 0;
    let xr = 0, xi = 0, ar = 0, ai = 0, br = 0, bi = 0, cr = 0, ci = 0, dr = 0, di = 0;
    let t1r = 0, t1i = 0, t2r = 0, t2i = 0, t3r = 0, t3i = 0;
    let w1r = 0, w1i = 0, w2r = 0, w2i = 0, w3r = 0, w3i = 0;
    for (j = 0; j < h; j++) {
      k1 = j * step;
      w1r = cos[k1];
      w1i = -sin[k1];
      // W^2 and W^3 as products: the table holds a quarter turn, 3 k1 can be beyond it
      w2r = w1r * w1r - w1i * w1i;
      w2i = 2 * w1r * w1i;
      w3r = w2r * w1r - w2i * w1i;
      w3i = w2r * w1i + w2i * w1r;
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

  /**
   * Blocks of h combine eight at a time into blocks of 8h. The block at offset
   * t*h holds the sub-DFT of the indices congruent to bitrev3(t) mod 8; output q
   * goes to offset q*h. An 8-point DFT = two 4-point DFTs (even and odd inputs)
   * and the twiddles 1, (1-i)/sqrt 2, -i, -(1+i)/sqrt 2.
   */
  #radix8(re: Samples, im: Samples, h: number): void {
    const n = this.n;
    const cos = this.#cos;
    const sin = this.#sin;
    const span = h << 3;
    const step = this.#res / span;
    const r = Math.SQRT1_2;
    let j = 0, k = 0, p0 = 0, p1 = 0, p2 = 0, p3 = 0, p4 = 0, p5 = 0, p6 = 0, p7 = 0;
    let w1r = 0, w1i = 0, w2r = 0, w2i = 0, w3r = 0, w3i = 0, w4r = 0, w4i = 0, w5r = 0, w5i = 0, w6r = 0, w6i = 0, w7r = 0, w7i = 0;
    let xr = 0, xi = 0;
    let a0r = 0, a0i = 0, a1r = 0, a1i = 0, a2r = 0, a2i = 0, a3r = 0, a3i = 0, a4r = 0, a4i = 0, a5r = 0, a5i = 0, a6r = 0, a6i = 0, a7r = 0, a7i = 0;
    let s0r = 0, s0i = 0, d0r = 0, d0i = 0, s1r = 0, s1i = 0, d1r = 0, d1i = 0;
    let s2r = 0, s2i = 0, d2r = 0, d2i = 0, s3r = 0, s3i = 0, d3r = 0, d3i = 0;
    let e0r = 0, e0i = 0, e1r = 0, e1i = 0, e2r = 0, e2i = 0, e3r = 0, e3i = 0;
    let o0r = 0, o0i = 0, o1r = 0, o1i = 0, o2r = 0, o2i = 0, o3r = 0, o3i = 0;
    for (j = 0; j < h; j++) {
      k = j * step;
      w1r = cos[k];
      w1i = -sin[k];
      w2r = cos[2 * k];
      w2i = -sin[2 * k];
      // W^3 .. W^7 as products: the table holds a quarter turn (2k < N/4), and a complex
      // product costs XS about what two table reads with an index product do
      w3r = w2r * w1r - w2i * w1i;
      w3i = w2r * w1i + w2i * w1r;
      w4r = w2r * w2r - w2i * w2i;
      w4i = 2 * w2r * w2i;
      w5r = w4r * w1r - w4i * w1i;
      w5i = w4r * w1i + w4i * w1r;
      w6r = w4r * w2r - w4i * w2i;
      w6i = w4r * w2i + w4i * w2r;
      w7r = w4r * w3r - w4i * w3i;
      w7i = w4r * w3i + w4i * w3r;
      for (p0 = j; p0 < n; p0 += span) {
        p1 = p0 + h;
        p2 = p1 + h;
        p3 = p2 + h;
        p4 = p3 + h;
        p5 = p4 + h;
        p6 = p5 + h;
        p7 = p6 + h;
        // a_r = W^(r j) * (sub-DFT of residue r), residue r at offset bitrev3(r)
        a0r = re[p0];
        a0i = im[p0];
        xr = re[p4];
        xi = im[p4];
        a1r = xr * w1r - xi * w1i;
        a1i = xr * w1i + xi * w1r;
        xr = re[p2];
        xi = im[p2];
        a2r = xr * w2r - xi * w2i;
        a2i = xr * w2i + xi * w2r;
        xr = re[p6];
        xi = im[p6];
        a3r = xr * w3r - xi * w3i;
        a3i = xr * w3i + xi * w3r;
        xr = re[p1];
        xi = im[p1];
        a4r = xr * w4r - xi * w4i;
        a4i = xr * w4i + xi * w4r;
        xr = re[p5];
        xi = im[p5];
        a5r = xr * w5r - xi * w5i;
        a5i = xr * w5i + xi * w5r;
        xr = re[p3];
        xi = im[p3];
        a6r = xr * w6r - xi * w6i;
        a6i = xr * w6i + xi * w6r;
        xr = re[p7];
        xi = im[p7];
        a7r = xr * w7r - xi * w7i;
        a7i = xr * w7i + xi * w7r;
        // even DFT4 (a0, a2, a4, a6)
        s0r = a0r + a4r;
        s0i = a0i + a4i;
        d0r = a0r - a4r;
        d0i = a0i - a4i;
        s1r = a2r + a6r;
        s1i = a2i + a6i;
        d1r = a2r - a6r;
        d1i = a2i - a6i;
        e0r = s0r + s1r;
        e0i = s0i + s1i;
        e2r = s0r - s1r;
        e2i = s0i - s1i;
        e1r = d0r + d1i;
        e1i = d0i - d1r;
        e3r = d0r - d1i;
        e3i = d0i + d1r;
        // odd DFT4 (a1, a3, a5, a7)
        s2r = a1r + a5r;
        s2i = a1i + a5i;
        d2r = a1r - a5r;
        d2i = a1i - a5i;
        s3r = a3r + a7r;
        s3i = a3i + a7i;
        d3r = a3r - a7r;
        d3i = a3i - a7i;
        o0r = s2r + s3r;
        o0i = s2i + s3i;
        o2r = s2i - s3i; // -i (s2 - s3)
        o2i = s3r - s2r;
        xr = d2r + d3i;
        xi = d2i - d3r;
        o1r = (xr + xi) * r; // (1 - i)/sqrt 2 (d2 - i d3)
        o1i = (xi - xr) * r;
        xr = d2r - d3i;
        xi = d2i + d3r;
        o3r = (xi - xr) * r; // -(1 + i)/sqrt 2 (d2 + i d3)
        o3i = -(xr + xi) * r;
        re[p0] = e0r + o0r;
        im[p0] = e0i + o0i;
        re[p4] = e0r - o0r;
        im[p4] = e0i - o0i;
        re[p1] = e1r + o1r;
        im[p1] = e1i + o1i;
        re[p5] = e1r - o1r;
        im[p5] = e1i - o1i;
        re[p2] = e2r + o2r;
        im[p2] = e2i + o2i;
        re[p6] = e2r - o2r;
        im[p6] = e2i - o2i;
        re[p3] = e3r + o3r;
        im[p3] = e3i + o3i;
        re[p7] = e3r - o3r;
        im[p7] = e3i - o3i;
      }
    }
  }
}
