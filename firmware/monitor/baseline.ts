/*
 * Baseline learning: while a healthy machine runs, learn each watched metric's
 * typical level and spread (Welford's running mean and variance), then derive
 * warning and alarm levels as multiples of that baseline. Learned state is a
 * small JSON document the app persists, so a reboot does not start over.
 * On by default (firmware/app/config.ts): its running state is one typed array.
 */
import type { RuleInput } from "./rules.js";

/** Numbers kept per metric: n, mean, m2. */
const STATS = 3;

export interface BaselineConfig {
  metrics: string[];
  /** Running seconds to learn over. */
  learnS: number;
  /** Warning and alarm as multiples of the learned mean. */
  warning: number;
  alarm: number;
  /** Levels are never closer to the mean than this many standard deviations. */
  minSigma: number;
  onDelay: number;
}

export interface BaselineStats {
  n: number;
  mean: number;
  m2: number;
}

export interface BaselineSnapshot {
  v: 1;
  learnedS: number;
  stats: Record<string, BaselineStats>;
}

export class Baseline {
  readonly config: BaselineConfig;
  learnedS = 0;
  /** Per watched metric, in config.metrics order: count, mean, sum of squared deviations (STATS apart). */
  #stats: Float64Array;
  #lastT: number | undefined;

  constructor(config: BaselineConfig, snapshot?: unknown) {
    this.config = config;
    this.#stats = new Float64Array(STATS * config.metrics.length);
    if (snapshot !== undefined) this.restore(snapshot);
  }

  get ready(): boolean {
    return this.learnedS >= this.config.learnS;
  }

  /** Feeds one window while the machine runs. Returns true on the window that completes learning. */
  learn(read: (metric: string) => number | undefined, tMs: number, running: boolean): boolean {
    if (this.ready) return false;
    if (!running) {
      this.#lastT = undefined;
      return false;
    }
    if (this.#lastT !== undefined) this.learnedS += (tMs - this.#lastT) / 1000;
    this.#lastT = tMs;
    const s = this.#stats;
    const metrics = this.config.metrics;
    for (let i = 0, k = 0; i < metrics.length; i++, k += STATS) {
      const x = read(metrics[i]);
      if (x === undefined || !Number.isFinite(x)) continue;
      const n = ++s[k];
      const d = x - s[k + 1];
      s[k + 1] += d / n;
      s[k + 2] += d * (x - s[k + 1]);
    }
    return this.ready;
  }

  stats(metric: string): { mean: number; sd: number } | undefined {
    const k = STATS * this.config.metrics.indexOf(metric);
    const s = this.#stats;
    if (k < 0 || s[k] < 2) return undefined;
    return { mean: s[k + 1], sd: Math.sqrt(s[k + 2] / (s[k] - 1)) };
  }

  /** Rules derived from the learned baseline (empty until ready). */
  rules(): RuleInput[] {
    if (!this.ready) return [];
    const out: RuleInput[] = [];
    const c = this.config;
    c.metrics.forEach((metric, i) => {
      const s = this.stats(metric);
      if (!s || c.metrics.indexOf(metric) !== i) return; // a metric listed twice gets one rule
      const warning = Math.max(s.mean * c.warning, s.mean + c.minSigma * s.sd);
      const alarm = Math.max(s.mean * c.alarm, s.mean + 2 * c.minSigma * s.sd, warning * 1.01);
      out.push({ metric, warning: round(warning), alarm: round(alarm), onDelay: c.onDelay });
    });
    return out;
  }

  snapshot(): BaselineSnapshot {
    const stats: Record<string, BaselineStats> = {};
    const s = this.#stats;
    this.config.metrics.forEach((m, i) => (stats[m] = { n: s[STATS * i], mean: s[STATS * i + 1], m2: s[STATS * i + 2] }));
    return { v: 1, learnedS: this.learnedS, stats };
  }

  reset(): void {
    this.learnedS = 0;
    this.#lastT = undefined;
    this.#stats.fill(0);
  }

  /** Takes a snapshot that holds every watched metric; one that does not, or is malformed, is ignored (learning starts over). */
  private restore(snapshot: unknown): void {
    const snap = snapshot as Partial<BaselineSnapshot>;
    if (!snap || snap.v !== 1 || typeof snap.learnedS !== "number" || typeof snap.stats !== "object" || !snap.stats) return;
    const s = this.#stats;
    const metrics = this.config.metrics;
    for (let i = 0, k = 0; i < metrics.length; i++, k += STATS) {
      const saved = (snap.stats as Record<string, BaselineStats>)[metrics[i]];
      if (!saved || !Number.isInteger(saved.n) || !Number.isFinite(saved.mean) || !Number.isFinite(saved.m2) || saved.n < 0 || saved.m2 < 0) {
        s.fill(0);
        return;
      }
      s[k] = saved.n;
      s[k + 1] = saved.mean;
      s[k + 2] = saved.m2;
    }
    this.learnedS = Math.max(0, snap.learnedS);
  }
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
