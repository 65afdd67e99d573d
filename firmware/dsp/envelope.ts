/*
 * Envelope (demodulated) spectrum of one window, for bearing defects: impacts
 * at a defect frequency ring a structural resonance, so the band around the
 * resonance carries them as amplitude modulation, which the envelope
 * spectrum shows as lines at the defect frequency and its harmonics.
 *
 * Per sample (one pass, no buffer of its own; demodulate.ts, the C pass on the
 * device path):
 *  1. band-pass: one biquad (RBJ band-pass) over bandHz (default 0.3 .. 0.9 x
 *     ODR/2); its zero at DC removes gravity and the unit's offset, so the
 *     acquirer's 2-byte counts go in as they are;
 *  2. demodulation, at every second sample: the magnitude of the band signal
 *     from two successive outputs, |y|^2 = (y_k^2 - 2 cos(W) y_k y_k-1 +
 *     y_k-1^2) / sin(W)^2 at the band's centre W: exact for a tone at W, a
 *     ripple at twice the carrier elsewhere in the band, but no harmonics of
 *     the carrier, which rectifying leaves and which alias onto the envelope
 *     band at these rates (docs/decisions.md 30);
 *  3. the envelope, n/2 values at ODR/2, Hann-windowed, goes into the feature
 *     extractor's spectrum kernel (the same buffer as the window's FFT, which
 *     the caller is done with), zero-padded to n; bins are df/2 apart up to
 *     ODR/4. The envelope's mean, RMS and largest value come from the pass's
 *     sums.
 *
 * Features (EnvelopeFeatures): rms and peak of the envelope about its mean (g,
 * "gE"), fDom (largest envelope line, Hz, interpolated), and per defect the root
 * sum of squares of the largest line within +-tolerance of its first three
 * harmonics (g). Allocation-free per window.
 */
import { peakBin } from "./peak-bin.js";
import { Demodulator, LARGEST, SUM, SUM_SQUARES, type DemodulationFilter, type DemodulationTarget } from "./demodulate.js";
import type { WindowSamples } from "./fft-first-pass.js";
import type { DefectOrders } from "./bearing-geometry.js";

export interface EnvelopeFeatures {
  /** Envelope RMS about its mean, g. */
  rms: number;
  /** Largest envelope value above its mean, g. */
  peak: number;
  /** Frequency of the largest envelope line, Hz. */
  fDom: number;
  /** Envelope amplitude at each defect frequency (RSS of 3 harmonics), g; NaN without a bearing or speed. */
  bpfo: number;
  bpfi: number;
  bsf: number;
  ftf: number;
}

export interface EnvelopeOptions {
  n: number;
  odr: number;
  /** Band-pass edges, Hz (default DEFAULT_BAND x ODR/2). */
  bandHz?: readonly [number, number];
}

/** What the feature extractor shares: its kernel, its half Hann window (n/2, float32) and the first pass's bit-reversal base table. */
export type SharedSpectrum = DemodulationTarget;

/** Default band as fractions of ODR/2 (issue 19: the resonance band of a clamped node). */
export const DEFAULT_BAND = Object.freeze([0.3, 0.9] as const);
/** Harmonics of each defect frequency summed. */
export const DEFECT_HARMONICS = 3;
/** Padded bins (df/2) each side of a line's peak summed for its amplitude: the whole Hann main lobe (+-2 bins of df). */
const LOBE = 4;
/** Lowest padded bin searched for fDom: above the envelope mean's main lobe (+-4 padded bins). */
const FIRST_BIN = 5;
/** Shortest window: the first pass's base table (n/16 entries) must hold a segment. */
const MIN_N = 64;

/**
 * The envelope pass's constants for a band of lo..hi Hz (step 1 of the header): the
 * RBJ band-pass (constant 0 dB peak gain) centred on the band's geometric centre W
 * (radians per sample), and its gain g = alpha / a0, which the pass leaves out.
 */
export function bandPassFilter(lo: number, hi: number, odr: number): DemodulationFilter & { g: number; w: number } {
  const w = (2 * Math.PI * Math.sqrt(lo * hi)) / odr;
  const alpha = Math.sin(w) * Math.sinh(((Math.LN2 / 2) * Math.log2(hi / lo) * w) / Math.sin(w));
  const a0 = 1 + alpha;
  return { g: alpha / a0, w, a1: (-2 * Math.cos(w)) / a0, a2: (1 - alpha) / a0, twoCos: 2 * Math.cos(w) };
}

export class EnvelopeSpectrum {
  readonly n: number;
  readonly odr: number;
  /** Band-pass edges, Hz. */
  readonly bandHz: readonly [number, number];
  /** Envelope spectrum bin width (df / 2), Hz; bins 0..n/2 reach ODR/4. */
  readonly binHz: number;
  #shared: SharedSpectrum;
  /** Steps 1-3: the pass over the samples into the kernel's input. */
  #demodulator: Demodulator;
  /** The band-pass's gain: the pass runs the biquad on g x its output, g goes into the scale. */
  #g: number;
  /** 1 / sin(W): the magnitude's scale. */
  #invSin: number;
  /** One-sided power -> mean square of the zero-padded envelope spectrum (samples^2). */
  #powerScale: number;
  /** Highest padded bin of the envelope features: the band's width (the envelope holds no more), at most ODR/4. */
  #kMax: number;
  #gScale = 0;

  constructor(options: EnvelopeOptions, shared: SharedSpectrum) {
    const { n, odr } = options;
    this.n = n;
    this.odr = odr;
    this.#shared = shared;
    const nyquist = odr / 2;
    const [lo, hi] = options.bandHz ?? [DEFAULT_BAND[0] * nyquist, DEFAULT_BAND[1] * nyquist];
    if (!(n >= MIN_N) || (n & (n - 1)) !== 0) throw new RangeError(`envelope window ${n} is not a power of two >= ${MIN_N}`);
    if (!(lo > 0 && hi > lo && hi < nyquist)) throw new RangeError(`envelope band ${lo}..${hi} Hz is not inside 0..${nyquist} Hz`);
    this.bandHz = [lo, hi];
    const filter = bandPassFilter(lo, hi, odr);
    this.#g = filter.g;
    this.#demodulator = new Demodulator(n, shared, filter);
    this.#invSin = 1 / Math.sin(filter.w);
    this.binHz = odr / n / 2;
    // energy of the Hann window at the even samples (the envelope's n/2 values)
    const hw = shared.halfWindow;
    let energy = 0;
    for (let i = 0; i < n >> 1; i += 2) energy += hw[i] * hw[i] + (1 - hw[i]) * (1 - hw[i]);
    this.#powerScale = 2 / (n * energy) / 4;
    this.#kMax = Math.min(n >> 1, Math.floor((hi - lo) / this.binHz)) - LOBE - 1;
  }

  /** A result with every field NaN (allocates: call at setup). */
  static createFeatures(): EnvelopeFeatures {
    return { rms: NaN, peak: NaN, fDom: NaN, bpfo: NaN, bpfi: NaN, bsf: NaN, ftf: NaN };
  }

  /**
   * Envelope features of one window. `scale`: g per unit of the samples;
   * `shaftHz` and `orders`: the running speed and the bearing's defect orders
   * (defect values NaN without them); `tolerance`: half width of a defect band
   * as a fraction of its frequency. Overwrites the kernel's buffers.
   */
  compute(samples: WindowSamples, out: EnvelopeFeatures, scale: number, shaftHz: number, orders: DefectOrders | undefined, tolerance: number): void {
    const d = this.#demodulator;
    d.run(samples);
    const kernel = this.#shared.kernel;
    kernel.powerX4(1);
    const p = kernel.power;
    const gs = scale * this.#invSin * this.#g;
    this.#gScale = gs;
    // the envelope's mean, mean square and largest value over its n/2 values (sample units x sin W / g)
    const half = this.n >> 1;
    const mean = d.sums[SUM] / half;
    const ms = d.sums[SUM_SQUARES] / half - mean * mean;
    out.rms = (ms > 0 ? Math.sqrt(ms) : 0) * gs;
    out.peak = (d.sums[LARGEST] - mean) * gs;
    // two bins per iteration (XS charges per loop iteration)
    let best = FIRST_BIN, top = p[FIRST_BIN], k = FIRST_BIN + 1, v = 0, u = 0;
    const kMax = this.#kMax;
    for (; k < kMax; k += 2) {
      v = p[k];
      u = p[k + 1];
      if (v > top || u > top) {
        best = u > v ? k + 1 : k;
        top = u > v ? u : v;
      }
    }
    if (k === kMax && p[k] > top) best = k;
    out.fDom = peakBin(this.#shared.kernel.power, best) * this.binHz;
    const known = orders !== undefined && shaftHz > 0;
    out.bpfo = known ? this.#defect(orders.bpfo * shaftHz, tolerance) : NaN;
    out.bpfi = known ? this.#defect(orders.bpfi * shaftHz, tolerance) : NaN;
    out.bsf = known ? this.#defect(orders.bsf * shaftHz, tolerance) : NaN;
    out.ftf = known ? this.#defect(orders.ftf * shaftHz, tolerance) : NaN;
  }

  /** Envelope amplitude spectrum (g 0-peak per padded bin, binHz apart, bins 0..n/2) of the window computed last. */
  amplitudeSpectrum(dest: Float32Array): void {
    const p = this.#shared.kernel.power;
    // a line on a bin: sqrt(4 |X|^2) = A x (sum of the window) = A n/4 (the Hann window over the n/2 envelope values sums to n/4)
    const a = (this.#gScale * 4) / this.n;
    for (let k = 0; k <= this.n >> 1; k++) dest[k] = a * Math.sqrt(p[k]);
  }

  /** RSS of the largest line's amplitude within +-tolerance of each of the first harmonics of fHz that lie below the envelope's top. */
  #defect(fHz: number, tolerance: number): number {
    const p = this.#shared.kernel.power;
    const kMax = this.#kMax;
    let sum = 0;
    for (let h = 1; h <= DEFECT_HARMONICS; h++) {
      const f = h * fHz;
      const a = Math.max(FIRST_BIN, Math.floor((f * (1 - tolerance)) / this.binHz) - 1);
      const b = Math.ceil((f * (1 + tolerance)) / this.binHz) + 1;
      if (b > kMax) break;
      let best = a;
      for (let k = a + 1; k <= b; k++) if (p[k] > p[best]) best = k;
      sum += this.#lineSquare(best);
    }
    return Math.sqrt(sum) * this.#gScale;
  }

  /** Squared amplitude (samples^2) of the line peaking at padded bin k: its lobe's power as a mean square, times 2. */
  #lineSquare(k: number): number {
    const p = this.#shared.kernel.power;
    let e = 0;
    for (let j = k - LOBE; j <= k + LOBE; j++) e += p[j];
    return 2 * this.#powerScale * e;
  }
}
