/*
 * The first pass over a real window, for its FFT: the n samples go in as n/2
 * complex points z_k = x_2k + i x_2k+1 of an n/2-point FFT (RealFFT's
 * packing), Hann-windowed, in bit-reversed order, with the first three
 * decimation-in-time stages (one radix-8 butterfly per 16 samples) already
 * done; the spectrum kernel (spectrum.ts: TS or C) does the rest from h = 8.
 *
 * The pass reads every sample once, so it also gathers what the time-domain
 * features need: raw moments about the first sample (close to the mean) and
 * the extremes. Fused, because XS charges per load and per loop iteration: a
 * second pass over the samples would cost more than the moments themselves.
 *
 * The mean is not removed before windowing: a constant times the periodic
 * Hann window only reaches bins 0 and 1, which no feature uses. Unrolled with
 * locals declared once outside the loop (a block-scoped declaration in a loop
 * body costs XS extra computrons per iteration). Its own module, apart from
 * the TS transforms (complex-fft.ts, real-fft.ts), so that Moddable builds,
 * whose kernel is C, do not load those. No allocation per call.
 */
import { indexTable, log2, reverseBits, type IndexTable } from "./bitrev.js";

/** The samples of one window: any linear unit (floats in g, or the acquirer's 2-byte counts). */
export type WindowSamples = Float32Array | Uint16Array;

export class FirstPass {
  readonly n: number;
  /** sum of w^2 over the window (the float32 values it applies): the power spectrum's scale. */
  readonly energy: number;
  /** After run(): the sums of x, x^2, x^3, x^4 and the max and min of x = sample - samples[0] in this order. */
  readonly sums: Float64Array;
  /**
   * The first half of the window, w[i] for i < n/2, in float32 (a window needs no
   * more; energy and sum are those of the rounded values). The second half is
   * 1 - w[i - n/2] (periodic Hann), which the pass folds into its first
   * butterflies.
   */
  #halfWindow: Float32Array;
  /** Quarters of #halfWindow in the order the pass reads them: #win[r][i] = w[i + r n/8] (i < n/8, r < 4); views, no copy. */
  #win: Float32Array[];
  /** #base[j] (j < n/16): where the radix-8 butterfly of complex point j writes (the bit reversal of j in the n/2-point FFT). */
  #base: IndexTable;

  /** `n`: samples per window, a power of two >= 8. */
  constructor(n: number) {
    this.n = n;
    const m = n >> 1;
    // periodic Hann: w[i] = 0.5 - 0.5 cos(2 pi i / n), w[i + n/2] = 1 - w[i]
    const hw = new Float32Array(m);
    let energy = 0;
    for (let i = 0; i < m; i++) {
      hw[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n);
      const w = hw[i];
      energy += w * w + (1 - w) * (1 - w);
    }
    this.energy = energy;
    this.#halfWindow = hw;
    const e = n >> 3;
    this.#win = [];
    for (let r = 0; r < 4; r++) this.#win.push(hw.subarray(r * e, (r + 1) * e));
    const bits = log2(m);
    this.#base = indexTable(n >> 4, m);
    for (let j = 0; j < this.#base.length; j++) this.#base[j] = reverseBits(j, bits);
    this.sums = new Float64Array(6);
  }

  /** The first half of the periodic Hann window (float32), shared with the envelope (envelope.ts). */
  get halfWindow(): Float32Array {
    return this.#halfWindow;
  }

  /** The bit-reversal base table (n/16 entries), shared with the envelope. */
  get base(): IndexTable {
    return this.#base;
  }

  /**
   * Writes `samples` (length n) into the packed input (zr, zi: n/2 each) and
   * fills `sums`. Returns h, the size of the blocks already transformed (8; 1
   * for windows shorter than 16, which are only windowed and placed): the
   * kernel's powerX4(h) goes on from there.
   */
  run(samples: WindowSamples, zr: Float32Array | Float64Array, zi: Float32Array | Float64Array): number {
    const n = this.n;
    const c = samples[0];
    if (n < 16) {
      this.#small(samples, c, zr, zi);
      return 1;
    }
    let s1 = 0, s2 = 0, s3 = 0, s4 = 0, mx = 0, mn = 0;
    let i = 0, i1 = 0, b = 0;
    // z_j, z_(j + n/16), ..., z_(j + 7n/16) (the samples at 2j + r n/8 and
    // 2j + 1 + r n/8, r = 0..7) meet in one radix-8 butterfly, whose outputs
    // go to bitrev(j) .. bitrev(j) + 7.
    const e = n >> 3;
    const e1 = e, e2 = 2 * e, e3 = 3 * e, e4 = 4 * e, e5 = 5 * e, e6 = 6 * e, e7 = 7 * e;
    const base = this.#base;
    const win = this.#win;
    const w0 = win[0], w1 = win[1], w2 = win[2], w3 = win[3];
    const h = Math.SQRT1_2;
    let x0 = 0, x1 = 0, x2 = 0, x3 = 0, x4 = 0, x5 = 0, x6 = 0, x7 = 0, y0 = 0, y1 = 0, y2 = 0, y3 = 0, y4 = 0, y5 = 0, y6 = 0, y7 = 0;
    let qx0 = 0, qx1 = 0, qx2 = 0, qx3 = 0, qx4 = 0, qx5 = 0, qx6 = 0, qx7 = 0, qy0 = 0, qy1 = 0, qy2 = 0, qy3 = 0, qy4 = 0, qy5 = 0, qy6 = 0, qy7 = 0;
    let u0r = 0, u0i = 0, v0r = 0, v0i = 0, u1r = 0, u1i = 0, v1r = 0, v1i = 0, u2r = 0, u2i = 0, v2r = 0, v2i = 0, u3r = 0, u3i = 0, v3r = 0, v3i = 0;
    let e0r = 0, e0i = 0, e1r = 0, e1i = 0, e2r = 0, e2i = 0, e3r = 0, e3i = 0, o0r = 0, o0i = 0, o1r = 0, o1i = 0, o2r = 0, o2i = 0, o3r = 0, o3i = 0, tr = 0, ti = 0, wt = 0;
    for (i = 0; i < e; i += 2) {
      b = base[i >> 1];
      i1 = i + 1;
      x0 = samples[i] - c;
      y0 = samples[i1] - c;
      x1 = samples[i + e1] - c;
      y1 = samples[i1 + e1] - c;
      x2 = samples[i + e2] - c;
      y2 = samples[i1 + e2] - c;
      x3 = samples[i + e3] - c;
      y3 = samples[i1 + e3] - c;
      x4 = samples[i + e4] - c;
      y4 = samples[i1 + e4] - c;
      x5 = samples[i + e5] - c;
      y5 = samples[i1 + e5] - c;
      x6 = samples[i + e6] - c;
      y6 = samples[i1 + e6] - c;
      x7 = samples[i + e7] - c;
      y7 = samples[i1 + e7] - c;
      qx0 = x0 * x0;
      qy0 = y0 * y0;
      qx1 = x1 * x1;
      qy1 = y1 * y1;
      qx2 = x2 * x2;
      qy2 = y2 * y2;
      qx3 = x3 * x3;
      qy3 = y3 * y3;
      qx4 = x4 * x4;
      qy4 = y4 * y4;
      qx5 = x5 * x5;
      qy5 = y5 * y5;
      qx6 = x6 * x6;
      qy6 = y6 * y6;
      qx7 = x7 * x7;
      qy7 = y7 * y7;
      s1 += x0 + y0 + x1 + y1 + x2 + y2 + x3 + y3 + x4 + y4 + x5 + y5 + x6 + y6 + x7 + y7;
      s2 += qx0 + qy0 + qx1 + qy1 + qx2 + qy2 + qx3 + qy3 + qx4 + qy4 + qx5 + qy5 + qx6 + qy6 + qx7 + qy7;
      s3 += qx0 * x0 + qy0 * y0 + qx1 * x1 + qy1 * y1 + qx2 * x2 + qy2 * y2 + qx3 * x3 + qy3 * y3 + qx4 * x4 + qy4 * y4 + qx5 * x5 + qy5 * y5 + qx6 * x6 + qy6 * y6 + qx7 * x7 + qy7 * y7;
      s4 += qx0 * qx0 + qy0 * qy0 + qx1 * qx1 + qy1 * qy1 + qx2 * qx2 + qy2 * qy2 + qx3 * qx3 + qy3 * qy3 + qx4 * qx4 + qy4 * qy4 + qx5 * qx5 + qy5 * qy5 + qx6 * qx6 + qy6 * qy6 + qx7 * qx7 + qy7 * qy7;
      // extremes: one comparison orders each pair, then the larger meets the max and the smaller the min
      if (x0 > y0) {
        if (x0 > mx) mx = x0;
        if (y0 < mn) mn = y0;
      } else {
        if (y0 > mx) mx = y0;
        if (x0 < mn) mn = x0;
      }
      if (x1 > y1) {
        if (x1 > mx) mx = x1;
        if (y1 < mn) mn = y1;
      } else {
        if (y1 > mx) mx = y1;
        if (x1 < mn) mn = x1;
      }
      if (x2 > y2) {
        if (x2 > mx) mx = x2;
        if (y2 < mn) mn = y2;
      } else {
        if (y2 > mx) mx = y2;
        if (x2 < mn) mn = x2;
      }
      if (x3 > y3) {
        if (x3 > mx) mx = x3;
        if (y3 < mn) mn = y3;
      } else {
        if (y3 > mx) mx = y3;
        if (x3 < mn) mn = x3;
      }
      if (x4 > y4) {
        if (x4 > mx) mx = x4;
        if (y4 < mn) mn = y4;
      } else {
        if (y4 > mx) mx = y4;
        if (x4 < mn) mn = x4;
      }
      if (x5 > y5) {
        if (x5 > mx) mx = x5;
        if (y5 < mn) mn = y5;
      } else {
        if (y5 > mx) mx = y5;
        if (x5 < mn) mn = x5;
      }
      if (x6 > y6) {
        if (x6 > mx) mx = x6;
        if (y6 < mn) mn = y6;
      } else {
        if (y6 > mx) mx = y6;
        if (x6 < mn) mn = x6;
      }
      if (x7 > y7) {
        if (x7 > mx) mx = x7;
        if (y7 < mn) mn = y7;
      } else {
        if (y7 > mx) mx = y7;
        if (x7 < mn) mn = x7;
      }
      // 8-point DFT of the windowed a_r = (x_r + i y_r) w_r (no twiddles: the first three
      // stages). w_(r+4) = 1 - w_r, so the first butterflies a_r +- a_(r+4) are
      // x_(r+4) + w_r (x_r - x_(r+4)) and w_r (x_r + x_(r+4)) - x_(r+4) (per part)
      wt = w0[i];
      u0r = x4 + wt * (x0 - x4);
      v0r = wt * (x0 + x4) - x4;
      wt = w0[i1];
      u0i = y4 + wt * (y0 - y4);
      v0i = wt * (y0 + y4) - y4;
      wt = w2[i];
      u1r = x6 + wt * (x2 - x6);
      v1r = wt * (x2 + x6) - x6;
      wt = w2[i1];
      u1i = y6 + wt * (y2 - y6);
      v1i = wt * (y2 + y6) - y6;
      e0r = u0r + u1r;
      e0i = u0i + u1i;
      e2r = u0r - u1r;
      e2i = u0i - u1i;
      e1r = v0r + v1i;
      e1i = v0i - v1r;
      e3r = v0r - v1i;
      e3i = v0i + v1r;
      wt = w1[i];
      u2r = x5 + wt * (x1 - x5);
      v2r = wt * (x1 + x5) - x5;
      wt = w1[i1];
      u2i = y5 + wt * (y1 - y5);
      v2i = wt * (y1 + y5) - y5;
      wt = w3[i];
      u3r = x7 + wt * (x3 - x7);
      v3r = wt * (x3 + x7) - x7;
      wt = w3[i1];
      u3i = y7 + wt * (y3 - y7);
      v3i = wt * (y3 + y7) - y7;
      o0r = u2r + u3r;
      o0i = u2i + u3i;
      o2r = u2i - u3i;
      o2i = u3r - u2r;
      tr = v2r + v3i;
      ti = v2i - v3r;
      o1r = (tr + ti) * h;
      o1i = (ti - tr) * h;
      tr = v2r - v3i;
      ti = v2i + v3r;
      o3r = (ti - tr) * h;
      o3i = -(tr + ti) * h;
      zr[b] = e0r + o0r;
      zi[b] = e0i + o0i;
      zr[b + 4] = e0r - o0r;
      zi[b + 4] = e0i - o0i;
      zr[b + 1] = e1r + o1r;
      zi[b + 1] = e1i + o1i;
      zr[b + 5] = e1r - o1r;
      zi[b + 5] = e1i - o1i;
      zr[b + 2] = e2r + o2r;
      zi[b + 2] = e2i + o2i;
      zr[b + 6] = e2r - o2r;
      zi[b + 6] = e2i - o2i;
      zr[b + 3] = e3r + o3r;
      zi[b + 3] = e3i + o3i;
      zr[b + 7] = e3r - o3r;
      zi[b + 7] = e3i - o3i;
    }

    const t = this.sums;
    t[0] = s1;
    t[1] = s2;
    t[2] = s3;
    t[3] = s4;
    t[4] = mx;
    t[5] = mn;
    return 8;
  }

  /** Windows shorter than 16: moments and extremes into `sums`, windowed samples into the bit-reversed input. */
  #small(samples: WindowSamples, c: number, zr: Float32Array | Float64Array, zi: Float32Array | Float64Array): void {
    const n = this.n;
    const m = n >> 1;
    const bits = log2(m);
    const hw = this.#halfWindow;
    let s1 = 0, s2 = 0, s3 = 0, s4 = 0, mx = 0, mn = 0, x = 0, q = 0, wx = 0, r = 0;
    for (let i = 0; i < n; i++) {
      x = samples[i] - c;
      q = x * x;
      s1 += x;
      s2 += q;
      s3 += q * x;
      s4 += q * q;
      if (x > mx) mx = x;
      else if (x < mn) mn = x;
      wx = x * (i < m ? hw[i] : 1 - hw[i - m]);
      r = reverseBits(i >> 1, bits);
      if (i & 1) zi[r] = wx;
      else zr[r] = wx;
    }
    const t = this.sums;
    t[0] = s1;
    t[1] = s2;
    t[2] = s3;
    t[3] = s4;
    t[4] = mx;
    t[5] = mn;
  }
}
