/*
 * Envelope (demodulated) spectrum of one window, for bearing defects: impacts
 * at a defect frequency ring a structural resonance, so the band around the
 * resonance carries them as amplitude modulation, which the envelope
 * spectrum shows as lines at the defect frequency and its harmonics.
 *
 * Per sample (one pass, no buffer of its own):
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
 *     ODR/4. The envelope's mean and RMS come from that spectrum (bin 0, and
 *     Parseval), its largest value from the pass.
 *
 * Features (EnvelopeFeatures): rms and peak of the envelope about its mean (g,
 * "gE"), fDom (largest envelope line, Hz, interpolated), and per defect the root
 * sum of squares of the largest line within +-tolerance of its first three
 * harmonics (g). Allocation-free per window.
 */
import { peakBin } from "./peak-bin.js";
import type { SpectrumKernel } from "./spectrum.js";
import type { IndexTable } from "./bitrev.js";
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
export interface SharedSpectrum {
  kernel: SpectrumKernel;
  halfWindow: Float32Array;
  base: IndexTable;
}

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
/** Bit reversal of the segment number (top 2 of the packed index's bits) for the data half. */
const SEGMENT_OFFSET = Object.freeze([0, 4, 2, 6]);

export class EnvelopeSpectrum {
  readonly n: number;
  readonly odr: number;
  /** Band-pass edges, Hz. */
  readonly bandHz: readonly [number, number];
  /** Envelope spectrum bin width (df / 2), Hz; bins 0..n/2 reach ODR/4. */
  readonly binHz: number;
  #shared: SharedSpectrum;
  // band-pass y = g (x_k - x_k-2) - a1 y_k-1 - a2 y_k-2, demodulation constant 2 cos(W)
  #g: number;
  #a1: number;
  #a2: number;
  #twoCos: number;
  /** 1 / sin(W): the magnitude's scale. */
  #invSin: number;
  /** One-sided power -> mean square of the zero-padded envelope spectrum (samples^2). */
  #powerScale: number;
  /** Highest padded bin of the envelope features: the band's width (the envelope holds no more), at most ODR/4. */
  #kMax: number;
  #gScale = 0;
  /** The last window's envelope: mean, mean square and largest value (sample units x sin W / g). */
  #mean = 0;
  #meanSquare = 0;
  #max = 0;

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
    const fc = Math.sqrt(lo * hi);
    const w = (2 * Math.PI * fc) / odr;
    const bw = Math.log2(hi / lo);
    const alpha = Math.sin(w) * Math.sinh(((Math.LN2 / 2) * bw * w) / Math.sin(w));
    const a0 = 1 + alpha;
    this.#g = alpha / a0;
    this.#a1 = (-2 * Math.cos(w)) / a0;
    this.#a2 = (1 - alpha) / a0;
    this.#twoCos = 2 * Math.cos(w);
    this.#invSin = 1 / Math.sin(w);
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
  compute(samples: ArrayLike<number>, out: EnvelopeFeatures, scale: number, shaftHz: number, orders: DefectOrders | undefined, tolerance: number): void {
    this.#demodulate(samples);
    const kernel = this.#shared.kernel;
    kernel.powerX4(1);
    const p = kernel.power;
    const gs = scale * this.#invSin * this.#g;
    this.#gScale = gs;
    const mean = this.#mean;
    const ms = this.#meanSquare - mean * mean;
    out.rms = (ms > 0 ? Math.sqrt(ms) : 0) * gs;
    out.peak = (this.#max - mean) * gs;
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


  /**
   * Band-pass, demodulate and place the Hann-windowed envelope into the
   * kernel (steps 1-3 of the header). Four samples per iteration, renaming
   * the filter's state instead of shifting it (the filter runs on g x its
   * output, g folded into the scale); two envelope values each.
   */
  #demodulate(samples: ArrayLike<number>): void {
    const n = this.n;
    const { kernel, halfWindow: hw, base } = this.#shared;
    const zr = kernel.packedRe;
    const zi = kernel.packedIm;
    // the zero-padded half and each value's zero partner of the first FFT stage
    zr.fill(0);
    zi.fill(0);
    const a1 = this.#a1, a2 = this.#a2, c2 = this.#twoCos;
    const seg = n >> 4; // packed points per segment: n/16 (4 segments of n/4 samples)
    let xa = samples[0], xb = xa, ya = 0, yb = 0;
    let u0 = 0, u1 = 0, y0 = 0, y1 = 0, y2 = 0, y3 = 0, q = 0, e = 0, mx = 0, s1 = 0, s2 = 0;
    let i = 0, j = 0, at = 0, r = 0, k = 0, wa = 0, wb = 0, b = 0;
    for (r = 0; r < 4; r++) {
      at = SEGMENT_OFFSET[r];
      // envelope value d = 2j (+1) has window w[2d] = hw[i] over the first half, 1 - hw[i - n/2] after
      wa = r < 2 ? 0 : 1;
      wb = r < 2 ? 1 : -1;
      k = r < 2 ? i : i - (n >> 1);
      for (j = 0; j < seg; j++) {
        u0 = samples[i];
        u1 = samples[i + 2];
        y0 = u0 - xa - a1 * yb - a2 * ya;
        xa = samples[i + 1];
        y1 = xa - xb - a1 * y0 - a2 * yb;
        y2 = u1 - u0 - a1 * y1 - a2 * y0;
        xb = samples[i + 3];
        y3 = xb - xa - a1 * y2 - a2 * y1;
        xa = u1;
        q = y1 * y1 - c2 * y1 * y0 + y0 * y0;
        e = Math.sqrt(q);
        s1 += e;
        s2 += q;
        if (e > mx) mx = e;
        b = base[j] + at;
        zr[b] = (wa + wb * hw[k]) * e;
        q = y3 * y3 - c2 * y3 * y2 + y2 * y2;
        e = Math.sqrt(q);
        s1 += e;
        s2 += q;
        if (e > mx) mx = e;
        zi[b] = (wa + wb * hw[k + 2]) * e;
        k += 4;
        ya = y2;
        yb = y3;
        i += 4;
      }
    }
    this.#max = mx;
    this.#mean = s1 / (n >> 1);
    this.#meanSquare = s2 / (n >> 1);
  }

}
