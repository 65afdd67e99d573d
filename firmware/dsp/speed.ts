/*
 * Running speed from the spectrum: the 1x line, found with its harmonics'
 * support, per window. Each axis's power spectrum is looked at once, right
 * after its FFT (observe); of the confident estimates the axis with the
 * strongest 1x wins the window (finish).
 *
 * Per axis: the local maxima of the power between minHz and maxHz (at most
 * PEAKS of them, largest first), those within CANDIDATE_FLOOR of the largest
 * are candidates. The 1x is the lowest candidate of which the largest line is
 * a harmonic (1x..LARGEST_ORDER x within a bin): misalignment's strong 2x and
 * a pump's vane pass stay harmonics of it. With a hint, a candidate within
 * HINT_WINDOW of it is taken first: the last window's measured speed (so one
 * odd window cannot jump to another line), else the configured speed. The estimate is
 * the weighted mean of f_h / h over the harmonics found (weight: power x h^2,
 * since a harmonic's frequency divided by h is h times as precise), each
 * interpolated by a parabola through the log power (Hann main lobe);
 * confidence is the share of the energy between minHz and HARMONICS + 1/2
 * times 1x that lies in those harmonics' lobes. Of the axes' confident
 * estimates, the one with the strongest 1x line gives the window's speed.
 *
 * A configured speed is a hint: a measured speed of at least MIN_CONFIDENCE
 * replaces it (source "measured"); below that the configured speed stands
 * (source "configured"). Allocation-free per window.
 */
import { keepLargest, peakBin } from "./peak-bin.js";

export type SpeedSource = "configured" | "measured";

export interface SpeedEstimate {
  /** Running speed, rpm; NaN when unknown (nothing measured, nothing configured). */
  rpm: number;
  /** 0..1: share of the low-frequency energy in the 1x comb. */
  confidence: number;
  source: SpeedSource;
}

export interface SpeedOptions {
  n: number;
  odr: number;
  /** Lowest and highest running speed looked for, Hz (default 4 .. 100: 240 .. 6000 rpm). */
  minHz?: number;
  maxHz?: number;
}

/** Harmonics of 1x looked at for the estimate and its confidence. */
export const HARMONICS = 4;
/** The largest line may be up to this harmonic of the 1x (a pump's vane pass, a fan's blade pass). */
export const LARGEST_ORDER = 8;
/** Below this confidence a measurement does not replace a configured speed, nor is reported as the speed. */
export const MIN_CONFIDENCE = 0.3;
/** A configured speed steers the choice to candidates within this fraction of it (slip, a drive's small moves). */
export const HINT_WINDOW = 0.05;
/** Candidates: local maxima with at least this share of the largest one's power. */
const CANDIDATE_FLOOR = 0.05;
/** Local maxima kept per axis. */
const PEAKS = 8;
/** Bins each side of a line counted as its energy (Hann main lobe). */
const LOBE = 2;
const DEFAULT_MIN_HZ = 4;
const DEFAULT_MAX_HZ = 100;

export class SpeedTracker {
  readonly df: number;
  #kLo: number;
  #kHi: number;
  #m: number;
  #bins: Int32Array;
  #pows: Float64Array;
  /** This window's best estimate so far (Hz, confidence), and the last window's result. */
  #hz = NaN;
  #confidence = 0;
  /** The power of this window's chosen 1x line (the axes' estimates compete on it). */
  #linePower = 0;
  #lastHz = NaN;
  #lastMeasured = false;

  constructor(options: SpeedOptions) {
    const { n, odr } = options;
    this.df = odr / n;
    this.#m = n >> 1;
    this.#kLo = Math.max(LOBE + 1, Math.floor((options.minHz ?? DEFAULT_MIN_HZ) / this.df));
    this.#kHi = Math.min(this.#m - LOBE - 1, Math.ceil((options.maxHz ?? DEFAULT_MAX_HZ) / this.df));
    this.#bins = new Int32Array(PEAKS);
    this.#pows = new Float64Array(PEAKS);
  }

  /** A new window begins. */
  begin(): void {
    this.#hz = NaN;
    this.#confidence = 0;
    this.#linePower = 0;
  }

  /** Looks at one axis's power spectrum (any scale); `configuredHz`: the configured speed, or NaN. */
  observe(p: ArrayLike<number>, configuredHz: number): void {
    // the last window's measured speed steers the choice first (a drive moves a few per cent a window at most), else the configured one
    const hintHz = this.#lastMeasured ? this.#lastHz : configuredHz;
    const count = this.#localMaxima(p);
    if (count === 0) return;
    const bins = this.#bins;
    const pows = this.#pows;
    const df = this.df;
    const strongest = peakBin(p, bins[0]);
    let chosen = -1;
    let chosenF = Infinity;
    for (let i = 0; i < count; i++) {
      if (pows[i] < CANDIDATE_FLOOR * pows[0]) break;
      const f = peakBin(p, bins[i]);
      if (hintHz > 0 && Math.abs(f * df - hintHz) <= HINT_WINDOW * hintHz) {
        chosen = i;
        break;
      }
      const h = Math.round(strongest / f);
      if (h >= 1 && h <= LARGEST_ORDER && Math.abs(strongest - h * f) <= 1 && f < chosenF) {
        chosen = i;
        chosenF = f;
      }
    }
    if (chosen < 0) return;
    this.#refine(p, peakBin(p, bins[chosen]));
  }

  /** The speed to use now: this window's best so far when confident, else the last window's. Hz, NaN when unknown. */
  get currentHz(): number {
    return this.#confidence >= MIN_CONFIDENCE ? this.#hz : this.#lastHz;
  }

  /** Whether currentHz was measured (else configured, or unknown). */
  get currentMeasured(): boolean {
    return this.#confidence >= MIN_CONFIDENCE || this.#lastMeasured;
  }

  /** Ends the window: the speed it reports, given the configured speed (rpm, 0: none). */
  finish(configuredRpm: number, out: SpeedEstimate): void {
    const measured = this.#confidence >= MIN_CONFIDENCE;
    out.confidence = this.#confidence;
    if (measured) {
      out.rpm = this.#hz * 60;
      out.source = "measured";
    } else {
      out.rpm = configuredRpm > 0 ? configuredRpm : NaN;
      out.source = configuredRpm > 0 ? "configured" : "measured";
    }
    this.#lastHz = out.rpm / 60;
    this.#lastMeasured = measured;
  }

  /** Fills #bins/#pows with the largest local maxima in range, largest first; returns how many. */
  #localMaxima(p: ArrayLike<number>): number {
    const bins = this.#bins;
    const pows = this.#pows;
    let count = 0;
    for (let k = this.#kLo; k <= this.#kHi; k++) {
      const v = p[k];
      if (!(v > p[k - 1] && v >= p[k + 1])) continue;
      if (count === PEAKS && v <= pows[PEAKS - 1]) continue;
      count = keepLargest(bins, pows, count, k, v);
    }
    return count;
  }

  /** Weighted mean of the harmonics' f_h / h around the 1x at bin f1 (fractional); keeps it when more confident than the axes before. */
  #refine(p: ArrayLike<number>, f1: number): void {
    const m = this.#m;
    let sum = 0, weight = 0, comb = 0, line = 0;
    for (let h = 1; h <= HARMONICS; h++) {
      const centre = Math.round(h * f1);
      if (centre + LOBE + 1 >= m) break;
      let k = centre;
      if (p[centre - 1] > p[k]) k = centre - 1;
      if (p[centre + 1] > p[k]) k = centre + 1;
      if (!(p[k] > p[k - 1] && p[k] >= p[k + 1])) continue;
      if (h === 1) line = p[k];
      const w = p[k] * h * h;
      sum += (w * peakBin(p, k)) / h;
      weight += w;
      for (let j = k - LOBE; j <= k + LOBE; j++) comb += p[j];
    }
    if (!(weight > 0)) return;
    let total = 0;
    const top = Math.min(m - 1, Math.ceil((HARMONICS + 0.5) * f1));
    for (let k = this.#kLo - LOBE; k <= top; k++) total += p[k];
    const confidence = total > 0 ? Math.min(1, comb / total) : 0;
    // Among confident estimates the axis with the strongest 1x wins (a weak axis's low line can explain its own little energy well); else the most confident.
    const confident = confidence >= MIN_CONFIDENCE;
    const better = confident ? this.#confidence < MIN_CONFIDENCE || line > this.#linePower : confidence > this.#confidence;
    if (better) {
      this.#confidence = confidence;
      this.#linePower = line;
      this.#hz = (sum / weight) * this.df;
    }
  }

}
