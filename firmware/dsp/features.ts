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
import { peakBin } from "./peak-bin.js";
import { FirstPass, type WindowSamples } from "./fft-first-pass.js";
import { PowerSpectrum, type SpectrumKernel } from "./spectrum.js";
import { EnvelopeSpectrum } from "./envelope.js";
import type { AxisFeatures, FeatureOptions, OrderBands, SpectrumPeaks } from "./feature-types.js";

export type { AxisFeatures, FeatureOptions, OrderBands, SpectrumPeaks } from "./feature-types.js";

/** Standard gravity, mm/s^2 per g. */
export const G_MM_S2 = 9806.65;

/** ISO 10816 / 20816 velocity band, Hz. */
export const ISO_BAND_HZ: readonly [number, number] = Object.freeze([10, 1000] as const);
/** ISO band for machines running below 600 rpm, Hz. */
export const LOW_SPEED_BAND_HZ: readonly [number, number] = Object.freeze([2, 1000] as const);

/** Bins added on each side of a band (see the header). */
export const EDGE_BINS = 1.5;

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
  /** The Hann window and the FFT's first three stages, with the moments on the way (fft-first-pass.ts). */
  #first: FirstPass;
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
    const first = new FirstPass(n);
    this.#first = first;
    // periodic Hann: w[i] + w[i + n/2] = 1, so the window sums to n/2
    const sum = m;
    // the power spectrum comes as 4 |X[k]|^2 (PowerSpectrum.powerX4): exact factors 1/4 and 1/2 here
    this.#scale = 2 / (n * first.energy) / 4;
    this.#ampScale = 2 / sum / 2;
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

  /**
   * The envelope analysis on this extractor's spectrum kernel and window (no
   * buffer of its own; envelope.ts). Its compute() overwrites the power
   * spectrum: take what you need of it (amplitudeSpectrum, the speed) first.
   */
  createEnvelope(bandHz?: readonly [number, number]): EnvelopeSpectrum {
    const first = this.#first;
    return new EnvelopeSpectrum({ n: this.n, odr: this.odr, bandHz }, { kernel: this.#fft, halfWindow: first.halfWindow, base: first.base });
  }

  /** 4 |X[k]|^2 of the axis computed last, k = 0..n/2 (the kernel's; overwritten by the next window or the envelope). */
  get power(): Float64Array | Float32Array {
    return this.#power;
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
  compute(samples: WindowSamples, out: AxisFeatures, scale = 1): void {
    const n = this.n;
    this.#powerG = this.#scale * scale * scale;
    this.#ampG = this.#ampScale * scale;
    const fft = this.#fft;
    // moments, extremes and the FFT's first stages in one pass over the samples (fft-first-pass.ts)
    const first = this.#first;
    fft.powerX4(first.run(samples, fft.packedRe, fft.packedIm));
    const t = first.sums;
    const s1 = t[0], s2 = t[1], s3 = t[2], s4 = t[3], mx = t[4], mn = t[5];
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
    out.fDom = best < 0 ? 0 : peakBin(this.#power, best) * this.df;

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
      out.freq[i] = peakBin(p, k) * this.df;
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
}
