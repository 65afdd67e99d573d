/*
 * Baseline learning: while a healthy machine runs, learn each watched metric's
 * typical level and spread (Welford's running mean and variance), then derive
 * warning and alarm levels as multiples of that baseline. Learned state is a
 * small JSON document the app persists, so a reboot does not start over.
 */
import type { RuleInput } from "./rules.js";

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
  #stats = new Map<string, BaselineStats>();
  #lastT: number | undefined;

  constructor(config: BaselineConfig, snapshot?: unknown) {
    this.config = config;
    for (const m of config.metrics) this.#stats.set(m, { n: 0, mean: 0, m2: 0 });
    if (snapshot !== undefined) this.#restore(snapshot);
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
    for (const [metric, s] of this.#stats) {
      const x = read(metric);
      if (x === undefined || !Number.isFinite(x)) continue;
      s.n++;
      const d = x - s.mean;
      s.mean += d / s.n;
      s.m2 += d * (x - s.mean);
    }
    return this.ready;
  }

  stats(metric: string): { mean: number; sd: number } | undefined {
    const s = this.#stats.get(metric);
    if (!s || s.n < 2) return undefined;
    return { mean: s.mean, sd: Math.sqrt(s.m2 / (s.n - 1)) };
  }

  /** Rules derived from the learned baseline (empty until ready). */
  rules(): RuleInput[] {
    if (!this.ready) return [];
    const out: RuleInput[] = [];
    const c = this.config;
    for (const metric of c.metrics) {
      const s = this.stats(metric);
      if (!s) continue;
      const warning = Math.max(s.mean * c.warning, s.mean + c.minSigma * s.sd);
      const alarm = Math.max(s.mean * c.alarm, s.mean + 2 * c.minSigma * s.sd, warning * 1.01);
      out.push({ metric, warning: round(warning), alarm: round(alarm), onDelay: c.onDelay });
    }
    return out;
  }

  snapshot(): BaselineSnapshot {
    const stats: Record<string, BaselineStats> = {};
    for (const [m, s] of this.#stats) stats[m] = { ...s };
    return { v: 1, learnedS: this.learnedS, stats };
  }

  reset(): void {
    this.learnedS = 0;
    this.#lastT = undefined;
    for (const s of this.#stats.values()) {
      s.n = 0;
      s.mean = 0;
      s.m2 = 0;
    }
  }

  /** Takes what a snapshot holds for the metrics still watched; ignores anything malformed. */
  #restore(snapshot: unknown): void {
    const snap = snapshot as Partial<BaselineSnapshot>;
    if (!snap || snap.v !== 1 || typeof snap.learnedS !== "number" || typeof snap.stats !== "object" || !snap.stats) return;
    for (const [metric, s] of this.#stats) {
      const saved = (snap.stats as Record<string, BaselineStats>)[metric];
      if (!saved || !Number.isInteger(saved.n) || !Number.isFinite(saved.mean) || !Number.isFinite(saved.m2) || saved.n < 0 || saved.m2 < 0) return;
      s.n = saved.n;
      s.mean = saved.mean;
      s.m2 = saved.m2;
    }
    this.learnedS = Math.max(0, snap.learnedS);
  }
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
