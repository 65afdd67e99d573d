/*
 * Per-axis vibration features for one window of samples (g). One real FFT per
 * axis per window; all buffers are allocated at construction; compute() writes
 * into the caller's AxisFeatures (and its typed arrays) and allocates nothing.
 *
 * Samples may be any linear unit, g = (value - offset) * scale (the acquirer's
 * 2-byte counts): compute() takes the scale only. The offset cancels, since the
 * first pass subtracts the first sample from every sample and bins 0 and 1 are
 * never used; the scale is folded into the results (aRms and aPeak times scale,
 * powers times scale^2), so the per-sample work is the same for any unit.
 *
 * Time domain (whole window, mean = gravity + offset removed):
 *  aRms     acceleration RMS, g (full bandwidth of the sensor)
 *  aPeak    max |a - mean|, g
 *  crest    aPeak / aRms (sqrt 2 for a sine); 0 for a constant signal
 *  kurtosis m4 / m2^2, the normalised 4th central moment (1.5 sine, 3 Gaussian,
 *           large for impulses); 0 for a constant signal
 *  Moments come from one pass of raw sums about the first sample (close to the
 *  mean), then are centred algebraically in float64.
 *
 * Frequency domain (periodic Hann window, one-sided power corrected by the
 * window energy, so a sum of bins is a mean square, Parseval):
 *  vRms   velocity RMS over bandHz, mm/s: each bin's acceleration power times
 *         (G / 2 pi f)^2 (1 - (df / f)^2). The second factor cancels, to second
 *         order, the bias of integrating a Hann main lobe with 1/f^2 (about
 *         +(df/f)^2: +0.6 % at 10 Hz, +2.4 % at 5 Hz with 0.78 Hz bins).
 *  fDom   frequency of the largest acceleration bin in the vRms band, Hz,
 *         refined by a parabola through the log power of it and its neighbours
 *  hfRms  acceleration RMS over hfBandHz (default 1000 Hz .. 0.45 ODR), g.
 *         NaN when the band is empty (ODR below ~2.3 kHz with the default):
 *         the payload omits non-finite values ("absent").
 *  peaks  the N largest distinct spectral peaks (local maxima of the power
 *         spectrum, so never two bins of one Hann main lobe) over peakBandHz
 *         (default: low edge of bandHz .. Nyquist), largest first: frequency
 *         (interpolated, Hz) and amplitude (g, 0-peak, from the energy of the
 *         peak bin and its two neighbours: within 1 % for an isolated tone)
 *  orders band values at 1x, 2x, 3x running speed once setRpm() is given:
 *         velocity RMS (mm/s) and acceleration RMS (g) over order frequency
 *         +- orderTolerance (default 5 %, which covers induction-motor slip),
 *         widened like the main band; NaN while the rpm is unknown or when the
 *         order lies above the last bin
 *  spectrum  single-sided amplitude spectrum, g 0-peak per bin (a tone on a bin
 *         centre reads its amplitude), bins 0..n/2, written only when the caller
 *         passes a Float32Array(n/2 + 1) (for capture commands; costs a sqrt per bin)
 *
 * Band edges. A Hann-windowed tone spreads over +-2 bins, so a band summed from
 * exactly the nominal edges would count half of a tone that sits on an edge. Each
 * band is therefore widened by EDGE_BINS = 1.5 bins on both sides: a tone anywhere
 * inside the nominal band counts fully (>= 98 % of its energy in the worst case,
 * half-way between bins, at the very edge), and the response falls to ~0 about
 * 3.5 bins outside. With n = 4096 at 3200 Hz (0.78 Hz bins) the transition is
 * ~7.3..10 Hz for a 10 Hz edge and 1000..1003 Hz at the top. Broadband noise is
 * integrated over the widened band (equivalent edges at the summed bins +- half
 * a bin). The measured table is in test/dsp.test.ts ("band edges").
 */
import { indexTable, log2, reverseBits, type IndexTable } from "./bitrev.js";
import { PowerSpectrum, type SpectrumKernel } from "./spectrum.js";

/** Standard gravity, mm/s^2 per g. */
export const G_MM_S2 = 9806.65;

/** ISO 10816 / 20816 velocity band, Hz. */
export const ISO_BAND_HZ: readonly [number, number] = [10, 1000];
/** ISO band for machines running below 600 rpm, Hz. */
export const LOW_SPEED_BAND_HZ: readonly [number, number] = [2, 1000];

/** Bins added on each side of a band (see the header). */
export const EDGE_BINS = 1.5;

/** Top spectral peaks, preallocated; `count` entries are valid, largest first. */
export interface SpectrumPeaks {
  count: number;
  /** Hz */
  freq: Float64Array;
  /** g, 0-peak */
  amp: Float64Array;
}

/** Band values around the running-speed orders 1x, 2x, 3x (index 0, 1, 2). */
export interface OrderBands {
  /** The rpm used for this window (NaN when unknown). */
  rpm: number;
  /** Order frequency, Hz. */
  freq: Float64Array;
  /** Velocity RMS in the order band, mm/s. */
  vRms: Float64Array;
  /** Acceleration RMS in the order band, g. */
  aRms: Float64Array;
}

export interface AxisFeatures {
  /** g */
  aRms: number;
  /** g */
  aPeak: number;
  /** mm/s over bandHz */
  vRms: number;
  /** Hz */
  fDom: number;
  /** aPeak / aRms */
  crest?: number;
  /** m4 / m2^2 */
  kurtosis?: number;
  /** g over hfBandHz; NaN when not available at this ODR */
  hfRms?: number;
  /** Filled when present (capacity = freq.length). */
  peaks?: SpectrumPeaks;
  /** Filled when present. */
  orders?: OrderBands;
  /** Amplitude spectrum, filled when present (length >= n/2 + 1). */
  spectrum?: Float32Array;
}

export interface FeatureOptions {
  /** Window length (power of two). */
  n: number;
  /** Sample rate, Hz. */
  odr: number;
  /** Band for vRms and fDom, Hz (default ISO 10816: 10..1000; LOW_SPEED_BAND_HZ = 2..1000). */
  bandHz?: readonly [number, number];
  /** Band for hfRms, Hz (default 1000 .. 0.45 ODR). */
  hfBandHz?: readonly [number, number];
  /** Band searched for peaks, Hz (default bandHz low edge .. ODR / 2). */
  peakBandHz?: readonly [number, number];
  /** Half width of an order band as a fraction of the order frequency (default 0.05). */
  orderTolerance?: number;
  /** Number of orders (default 3: 1x, 2x, 3x). */
  orders?: number;
  /** Running speed, rpm (default unknown; see setRpm). */
  rpm?: number;
}

export class FeatureExtractor {
  readonly n: number;
  readonly odr: number;
  /** Bin width, Hz. */
  readonly df: number;
  /** Bins summed for vRms and searched for fDom, inclusive (the widened band). */
  readonly kLo: number;
  readonly kHi: number;
  /** Bins summed for hfRms, inclusive; hfLo > hfHi when not available. */
  readonly hfLo: number;
  readonly hfHi: number;
  readonly orderCount: number;
  readonly orderTolerance: number;
  #peakLo: number;
  #peakHi: number;
  /** The spectrum kernel (TS here; the C kernel in Moddable builds, see spectrum.ts). */
  #fft: SpectrumKernel;
  /**
   * The first half of the window, w[i] for i < n/2, in float32 (a window needs no
   * more; energy and sum are those of the rounded values). The second half is
   * 1 - w[i - n/2] (periodic Hann), which the first pass folds into its first
   * butterflies.
   */
  #halfWindow: Float32Array;
  /** Quarters of #halfWindow in the order the first pass reads them: #win[r][i] = w[i + r n/8] (i < n/8, r < 4); views, no copy. */
  #win: Float32Array[];
  /** #base[j] (j < n/16): where the first radix-8 butterfly of complex point j writes (the bit reversal of j in the n/2-point FFT). */
  #base: IndexTable;
  /** Moments and extremes from the small-window pass (n < 16). */
  #sums: Float64Array;
  /** 4 |X[k]|^2: the kernel's (float32 in both kernels; a view over its packed input). */
  #power: Float64Array | Float32Array;
  /** (G / (2 pi f_k))^2 (1 - (df/f_k)^2) per bin (0 for bins 0 and 1); float32: a weight needs no more than 6e-8. */
  #integrate: Float32Array;
  /** One-sided power scale: 2 / (n * sum w^2); bin power * scale = mean square (in sample units^2). */
  #scale: number;
  /** Amplitude scale: 2 / sum w. */
  #ampScale: number;
  /** #scale and #ampScale in g for the window computed last (its g per unit, squared and not). */
  #powerG = 0;
  #ampG = 0;
  #rpm = NaN;
  #orderLo: Int32Array;
  #orderHi: Int32Array;
  #orderFreq: Float64Array;
  #peakBin: Int32Array;
  #peakPow: Float64Array;

  constructor(options: FeatureOptions) {
    const { n, odr } = options;
    if (!(n >= 8) || (n & (n - 1)) !== 0) throw new RangeError(`window ${n} is not a power of two >= 8`);
    if (!(odr > 0)) throw new RangeError(`bad ODR ${odr}`);
    const [lo, hi] = options.bandHz ?? ISO_BAND_HZ;
    this.n = n;
    this.odr = odr;
    const m = n >> 1;
    const df = odr / n;
    this.df = df;
    this.#fft = new PowerSpectrum(n);
    // periodic Hann: w[i] = 0.5 - 0.5 cos(2 pi i / n), w[i + n/2] = 1 - w[i]
    const hw = new Float32Array(m);
    let energy = 0;
    for (let i = 0; i < m; i++) {
      hw[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n);
      const w = hw[i];
      energy += w * w + (1 - w) * (1 - w);
    }
    const sum = m; // w[i] + w[i + n/2] = 1
    this.#halfWindow = hw;
    // the power spectrum comes as 4 |X[k]|^2 (PowerSpectrum.powerX4): exact factors 1/4 and 1/2 here
    this.#scale = 2 / (n * energy) / 4;
    this.#ampScale = 2 / sum / 2;
    const e = n >> 3;
    this.#win = [];
    for (let r = 0; r < 4; r++) this.#win.push(hw.subarray(r * e, (r + 1) * e));
    const bits = log2(m);
    this.#base = indexTable(n >> 4, m);
    for (let j = 0; j < this.#base.length; j++) this.#base[j] = reverseBits(j, bits);
    this.#sums = new Float64Array(6);
    this.#power = this.#fft.power;
    this.#integrate = new Float32Array(m + 1);
    for (let k = 2; k < m; k++) {
      const v = G_MM_S2 / (2 * Math.PI * k * df);
      this.#integrate[k] = v * v * (1 - 1 / (k * k));
    }
    // bins 0 and 1 carry the window's image of the mean: never summed
    const band = (a: number, b: number): [number, number] => [Math.max(2, Math.ceil(a / df - EDGE_BINS)), Math.min(m - 1, Math.floor(b / df + EDGE_BINS))];
    [this.kLo, this.kHi] = band(lo, hi);
    const [hLo, hHi] = options.hfBandHz ?? [1000, 0.45 * odr];
    if (hHi > hLo && hLo < odr / 2) [this.hfLo, this.hfHi] = band(hLo, hHi);
    else [this.hfLo, this.hfHi] = [1, 0];
    const [pLo, pHi] = options.peakBandHz ?? [lo, odr / 2];
    [this.#peakLo, this.#peakHi] = band(pLo, pHi);
    this.orderCount = options.orders ?? 3;
    this.orderTolerance = options.orderTolerance ?? 0.05;
    this.#orderLo = new Int32Array(this.orderCount);
    this.#orderHi = new Int32Array(this.orderCount);
    this.#orderFreq = new Float64Array(this.orderCount);
    this.#peakBin = new Int32Array(16);
    this.#peakPow = new Float64Array(16);
    this.setRpm(options.rpm ?? NaN);
  }

  /** Running speed for the order bands, rpm; NaN, 0 or undefined: unknown. Allocation-free. */
  setRpm(rpm: number | undefined): void {
    const ok = rpm !== undefined && rpm > 0 && rpm < Infinity;
    this.#rpm = ok ? rpm : NaN;
    const m = this.n >> 1;
    for (let i = 0; i < this.orderCount; i++) {
      const f = ok ? ((i + 1) * rpm) / 60 : NaN;
      this.#orderFreq[i] = f;
      const half = this.orderTolerance * f;
      const a = Math.max(2, Math.ceil((f - half) / this.df - EDGE_BINS));
      const b = Math.min(m - 1, Math.floor((f + half) / this.df + EDGE_BINS));
      // an order whose band is cut by Nyquist (or unknown) is not measured
      const valid = ok && (f + half) / this.df + EDGE_BINS <= m - 1;
      this.#orderLo[i] = valid ? a : 1;
      this.#orderHi[i] = valid ? b : 0;
    }
  }

  get rpm(): number {
    return this.#rpm;
  }

  /** A result object with every field (peaks: `peaks` entries, default 5; spectrum on request). Allocates: call at setup. */
  createAxisFeatures(options: { peaks?: number; spectrum?: boolean } = {}): AxisFeatures {
    const p = options.peaks ?? 5;
    const o = this.orderCount;
    const f: AxisFeatures = {
      aRms: 0,
      aPeak: 0,
      vRms: 0,
      fDom: 0,
      crest: 0,
      kurtosis: 0,
      hfRms: NaN,
      peaks: { count: 0, freq: new Float64Array(p), amp: new Float64Array(p) },
      orders: { rpm: NaN, freq: new Float64Array(o), vRms: new Float64Array(o), aRms: new Float64Array(o) },
    };
    if (options.spectrum) f.spectrum = new Float32Array((this.n >> 1) + 1);
    return f;
  }

  /** Features of one window; `scale`: g per unit of the samples (the offset of the unit needs no removing, see the header). */
  compute(samples: Float32Array | Uint16Array, out: AxisFeatures, scale = 1): void {
    const n = this.n;
    this.#powerG = this.#scale * scale * scale;
    this.#ampG = this.#ampScale * scale;
    const fft = this.#fft;
    const zr = fft.packedRe;
    const zi = fft.packedIm;
    // One pass: raw moments about c (the first sample, near the mean), extremes,
    // the windowed samples and the FFT's first three stages. The mean is not
    // removed before windowing: a constant times the periodic Hann window only
    // reaches bins 0 and 1, which no feature uses.
    const c = samples[0];
    let s1 = 0, s2 = 0, s3 = 0, s4 = 0, mx = 0, mn = 0;
    let i = 0, i1 = 0, b = 0;
    if (n < 16) {
      this.#fallbackPass(samples, c);
      s1 = this.#sums[0];
      s2 = this.#sums[1];
      s3 = this.#sums[2];
      s4 = this.#sums[3];
      mx = this.#sums[4];
      mn = this.#sums[5];
      fft.powerX4(1);
    } else {
      // The n/2 complex points z_k = x_2k + i x_2k+1 go through an n/2-point FFT
      // (RealFFT). Its first three decimation-in-time stages are radix-8
      // butterflies on z_j, z_(j + n/16), ..., z_(j + 7n/16): the samples at
      // 2j + r n/8 and 2j + 1 + r n/8, r = 0..7, read here together; the
      // butterfly's outputs go to bitrev(j) .. bitrev(j) + 7.
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
      fft.powerX4(8);
    }
    const mu = s1 / n;
    const e2 = s2 / n;
    const mu2 = mu * mu;
    let m2 = e2 - mu2;
    let m4 = s4 / n - 4 * mu * (s3 / n) + 6 * mu2 * e2 - 3 * mu2 * mu2;
    if (!(m2 > 0)) m2 = 0;
    if (!(m4 > 0)) m4 = 0;
    // in g: moments of order k scale by scale^k; crest and kurtosis are ratios and need none
    const rms = Math.sqrt(m2) * scale;
    const up = mx - mu;
    const down = mu - mn;
    const peak = (up > down ? up : down) * scale;
    out.aRms = rms;
    out.aPeak = peak;
    out.crest = rms > 0 ? peak / rms : 0;
    out.kurtosis = m2 > 0 ? m4 / (m2 * m2) : 0;

    const p = this.#power;
    const powerG = this.#powerG;

    // vRms and fDom over the band
    const integrate = this.#integrate;
    // two bins per iteration (XS charges ~9 per loop iteration)
    let vel = 0, best = -1, bestPower = 0, v = 0, u = 0, k = this.kLo;
    const kHi = this.kHi;
    for (; k < kHi; k += 2) {
      v = p[k];
      u = p[k + 1];
      vel += v * integrate[k] + u * integrate[k + 1];
      if (v > bestPower) {
        bestPower = v;
        best = k;
      }
      if (u > bestPower) {
        bestPower = u;
        best = k + 1;
      }
    }
    if (k === kHi) {
      v = p[k];
      vel += v * integrate[k];
      if (v > bestPower) {
        bestPower = v;
        best = k;
      }
    }
    out.vRms = Math.sqrt(vel * powerG);
    out.fDom = best < 0 ? 0 : this.#interpolate(best) * this.df;

    // hfRms
    if (this.hfLo <= this.hfHi) {
      let hf = 0;
      const hfHi = this.hfHi;
      const last4 = hfHi - 3;
      for (k = this.hfLo; k <= last4; k += 4) hf += p[k] + p[k + 1] + p[k + 2] + p[k + 3];
      for (; k <= hfHi; k++) hf += p[k];
      out.hfRms = Math.sqrt(hf * powerG);
    } else {
      out.hfRms = NaN;
    }

    if (out.peaks) this.#peaks(out.peaks);
    if (out.orders) this.#orders(out.orders);
    if (out.spectrum) this.amplitudeSpectrum(out.spectrum);
  }

  /** Windows shorter than 16: moments and extremes into #sums, windowed samples into the FFT's bit-reversed input. */
  #fallbackPass(samples: Float32Array | Uint16Array, c: number): void {
    const n = this.n;
    const m = n >> 1;
    const fft = this.#fft;
    const zr = fft.packedRe;
    const zi = fft.packedIm;
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
    const t = this.#sums;
    t[0] = s1;
    t[1] = s2;
    t[2] = s3;
    t[3] = s4;
    t[4] = mx;
    t[5] = mn;
  }

  /**
   * Single-sided amplitude spectrum (g 0-peak per bin, bins 0..n/2) of the axis
   * computed last, into `dest` (length >= n/2 + 1). Allocation-free.
   */
  amplitudeSpectrum(dest: Float32Array): void {
    const p = this.#power;
    const m = this.n >> 1;
    const a = this.#ampG;
    dest[0] = 0.5 * a * Math.sqrt(p[0]);
    for (let k = 1; k < m; k++) dest[k] = a * Math.sqrt(p[k]);
    dest[m] = 0.5 * a * Math.sqrt(p[m]);
  }

  #peaks(out: SpectrumPeaks): void {
    const cap = out.freq.length < 16 ? out.freq.length : 16;
    const bins = this.#peakBin;
    const pows = this.#peakPow;
    const p = this.#power;
    // local maxima above the smallest kept peak; two bins per iteration, a b c d = p[k-1] .. p[k+2]
    let count = 0, floor = 0, k = this.#peakLo, at = 0, a = p[k - 1], b = p[k], c = 0, d = 0;
    const hi = this.#peakHi;
    for (; k < hi; k += 2) {
      c = p[k + 1];
      if (b > floor && b > a && b >= c) {
        // insert (k, b) into the sorted list, dropping the smallest when full
        at = count < cap ? count++ : cap - 1;
        while (at > 0 && pows[at - 1] < b) {
          pows[at] = pows[at - 1];
          bins[at] = bins[at - 1];
          at--;
        }
        pows[at] = b;
        bins[at] = k;
        if (count === cap) floor = pows[cap - 1];
      }
      d = p[k + 2];
      if (c > floor && c > b && c >= d) {
        // insert (k + 1, c) into the sorted list, dropping the smallest when full
        at = count < cap ? count++ : cap - 1;
        while (at > 0 && pows[at - 1] < c) {
          pows[at] = pows[at - 1];
          bins[at] = bins[at - 1];
          at--;
        }
        pows[at] = c;
        bins[at] = k + 1;
        if (count === cap) floor = pows[cap - 1];
      }
      a = c;
      b = d;
    }
    if (k === hi) {
      c = p[k + 1];
      if (b > floor && b > a && b >= c) {
        // insert (k, b) into the sorted list, dropping the smallest when full
        at = count < cap ? count++ : cap - 1;
        while (at > 0 && pows[at - 1] < b) {
          pows[at] = pows[at - 1];
          bins[at] = bins[at - 1];
          at--;
        }
        pows[at] = b;
        bins[at] = k;
        if (count === cap) floor = pows[cap - 1];
      }
    }
    const scale = this.#powerG;
    for (let i = 0; i < count; i++) {
      k = bins[i];
      out.freq[i] = this.#interpolate(k) * this.df;
      out.amp[i] = Math.sqrt(2 * scale * (p[k - 1] + p[k] + p[k + 1]));
    }
    out.count = count;
  }

  #orders(out: OrderBands): void {
    const p = this.#power;
    const integrate = this.#integrate;
    const scale = this.#powerG;
    out.rpm = this.#rpm;
    const count = out.freq.length < this.orderCount ? out.freq.length : this.orderCount;
    for (let i = 0; i < count; i++) {
      const a = this.#orderLo[i];
      const b = this.#orderHi[i];
      out.freq[i] = this.#orderFreq[i];
      if (a > b) {
        out.vRms[i] = NaN;
        out.aRms[i] = NaN;
        continue;
      }
      let vel = 0;
      let acc = 0;
      for (let k = a; k <= b; k++) {
        vel += p[k] * integrate[k];
        acc += p[k];
      }
      out.vRms[i] = Math.sqrt(vel * scale);
      out.aRms[i] = Math.sqrt(acc * scale);
    }
  }

  /** Peak bin refined by a parabola through the log power of it and its neighbours. */
  #interpolate(k: number): number {
    const p = this.#power;
    const pl = p[k - 1];
    const pc = p[k];
    const pr = p[k + 1];
    if (!(pl > 0 && pr > 0)) return k;
    const a = Math.log(pl);
    const b = Math.log(pc);
    const c = Math.log(pr);
    const den = a - 2 * b + c;
    if (!(den < 0)) return k;
    const d = (0.5 * (a - c)) / den;
    return k + (d > 0.5 ? 0.5 : d < -0.5 ? -0.5 : d);
  }
}
