/*
 * Per-axis vibration features for one window of samples (g):
 *  aRms  - acceleration RMS, g, mean (gravity) removed
 *  aPeak - max |a - mean|, g
 *  vRms  - velocity RMS over the band, mm/s: Hann window, FFT, each bin divided
 *          by 2 pi f (integration), one-sided Parseval sum corrected by the
 *          window's energy (sum of w^2), as ISO 10816/20816 band RMS
 *  fDom  - frequency of the largest acceleration peak in the band, Hz,
 *          refined by quadratic interpolation of the log spectrum
 * All buffers are allocated once; compute() allocates nothing.
 */
import { RealFFT } from "./fft.js";

/** Standard gravity, mm/s^2 per g. */
export const G_MM_S2 = 9806.65;

export interface AxisFeatures {
  aRms: number;
  aPeak: number;
  vRms: number;
  fDom: number;
}

export interface FeatureOptions {
  /** Window length (power of two). */
  n: number;
  /** Sample rate, Hz. */
  odr: number;
  /** Band for vRms and fDom, Hz (default ISO 10816: 10..1000). */
  bandHz?: [number, number];
}

export class FeatureExtractor {
  readonly n: number;
  readonly odr: number;
  /** Bins included in the band, inclusive. */
  readonly kLo: number;
  readonly kHi: number;
  #fft: RealFFT;
  #window: Float64Array;
  #buf: Float64Array;
  #re: Float64Array;
  #im: Float64Array;
  /** (G / (2 pi f_k))^2 per bin in the band: acceleration power -> velocity power in (mm/s)^2. */
  #integrate: Float64Array;
  /** One-sided power scale: 2 / (n * sum w^2). */
  #scale: number;

  constructor(options: FeatureOptions) {
    const { n, odr } = options;
    const [lo, hi] = options.bandHz ?? [10, 1000];
    this.n = n;
    this.odr = odr;
    this.#fft = new RealFFT(n);
    this.#window = new Float64Array(n);
    let energy = 0;
    for (let i = 0; i < n; i++) {
      const w = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n); // periodic Hann
      this.#window[i] = w;
      energy += w * w;
    }
    this.#scale = 2 / (n * energy);
    this.#buf = new Float64Array(n);
    this.#re = new Float64Array(n / 2 + 1);
    this.#im = new Float64Array(n / 2 + 1);
    const df = odr / n;
    this.kLo = Math.max(1, Math.ceil(lo / df));
    this.kHi = Math.min(n / 2 - 1, Math.floor(hi / df));
    this.#integrate = new Float64Array(n / 2 + 1);
    for (let k = this.kLo; k <= this.kHi; k++) {
      const v = G_MM_S2 / (2 * Math.PI * k * df);
      this.#integrate[k] = v * v;
    }
  }

  compute(samples: Float32Array, out: AxisFeatures): void {
    const n = this.n;
    let sum = 0;
    for (let i = 0; i < n; i++) sum += samples[i];
    const mean = sum / n;
    let sq = 0;
    let peak = 0;
    const buf = this.#buf;
    const w = this.#window;
    for (let i = 0; i < n; i++) {
      const d = samples[i] - mean;
      sq += d * d;
      const m = d < 0 ? -d : d;
      if (m > peak) peak = m;
      buf[i] = d * w[i];
    }
    out.aRms = Math.sqrt(sq / n);
    out.aPeak = peak;

    const re = this.#re;
    const im = this.#im;
    this.#fft.forward(buf, re, im);
    const integrate = this.#integrate;
    let vel = 0;
    let best = -1;
    let bestPower = 0;
    for (let k = this.kLo; k <= this.kHi; k++) {
      const p = re[k] * re[k] + im[k] * im[k];
      vel += p * integrate[k];
      if (p > bestPower) {
        bestPower = p;
        best = k;
      }
    }
    out.vRms = Math.sqrt(vel * this.#scale);
    out.fDom = best < 0 ? 0 : this.#interpolate(best) * (this.odr / n);
  }

  /** Peak bin refined by a parabola through the log power of it and its neighbours. */
  #interpolate(k: number): number {
    const re = this.#re;
    const im = this.#im;
    const pl = re[k - 1] * re[k - 1] + im[k - 1] * im[k - 1];
    const pc = re[k] * re[k] + im[k] * im[k];
    const pr = re[k + 1] * re[k + 1] + im[k + 1] * im[k + 1];
    if (!(pl > 0 && pr > 0)) return k;
    const a = Math.log(pl);
    const b = Math.log(pc);
    const c = Math.log(pr);
    const den = a - 2 * b + c;
    if (!(den < 0)) return k;
    const p = (0.5 * (a - c)) / den;
    return k + (p > 0.5 ? 0.5 : p < -0.5 ? -0.5 : p);
  }
}
