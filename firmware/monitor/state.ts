/*
 * The per-rule alarm state machine: normal / warning / alarm, with hysteresis
 * (reset levels), on-delay or n-of-m to raise, off-delay to lower, optional
 * latching until acknowledged. One call per window; no allocation per call
 * except the transition it returns.
 */
import { LEVEL_RANK, type Level, type Rule } from "./rules.js";

export interface Transition {
  metric: string;
  level: Level;
  prev: Level;
  value: number;
  /** The level crossed (raising) or the reset level passed (lowering). */
  limit: number | undefined;
}

/** The levels a rule moves between, by rank (a rule never raises `fault`). */
const BY_RANK: readonly Level[] = Object.freeze(["normal", "warning", "alarm"] as const);
/** Samples kept to measure a rate of rise. */
const RATE_RING = 256;

/*
 * One per rule, so kept small: the helpers are TypeScript-private prototype
 * methods (XS installs every #method on each instance, a slot per rule), and
 * only rate rules carry a rate ring.
 */
export class RuleState {
  readonly rule: Rule;
  level: Level = "normal";
  /** Last value evaluated (the rate, for rate rules). */
  value = Number.NaN;
  /** Consecutive windows at or above warning, and alarm (numbers, not an array: no object per rule). */
  #warningRun = 0;
  #alarmRun = 0;
  /** n-of-m history per level, as a ring: only n-of-m rules have one (3 typed arrays each). */
  #hits: Uint8Array[] | undefined;
  #hitPos = 0;
  #below = 0; // consecutive windows that ask for a lower level
  #acknowledged = true;
  /** The rate ring: 4 KiB per rule, so only rate rules have one. */
  #rate: RateRing | undefined;

  constructor(rule: Rule) {
    this.rule = rule;
    const m = rule.m;
    if (rule.n) this.#hits = [new Uint8Array(m), new Uint8Array(m), new Uint8Array(m)];
    if (rule.kind === "rate") this.#rate = new RateRing();
  }

  /** Feeds one window's value observed at `tMs`; returns the transition it caused, if any. */
  evaluate(raw: number, tMs: number): Transition | undefined {
    const value = this.#rate ? this.#rate.rise(raw, tMs, this.rule.spanS * 1000) : raw;
    if (!Number.isFinite(value)) return undefined;
    this.value = value;
    const r = this.rule;
    const current = LEVEL_RANK[this.level];
    const atWarning = r.warning !== undefined && value >= r.warning;
    const atAlarm = r.alarm !== undefined && value >= r.alarm;
    this.record(1, atWarning || atAlarm);
    this.record(2, atAlarm);

    // Raise: the highest level whose delay condition holds.
    for (let rank = 2; rank > current; rank--) {
      if (this.armed(rank)) return this.move(BY_RANK[rank], value, rank === 2 ? r.alarm : r.warning);
    }

    // Lower: with hysteresis, a level holds until the value falls to its reset level.
    let target = 0;
    if (current >= 2 && r.alarm !== undefined && value > r.alarmReset!) target = 2;
    else if (atWarning || (current >= 1 && r.warning !== undefined && value > r.warningReset!)) target = 1;
    if (target < current && !(r.latch && !this.#acknowledged)) {
      if (++this.#below >= r.offDelay) return this.move(BY_RANK[target], value, current === 2 ? r.alarmReset : r.warningReset);
    } else {
      this.#below = 0;
    }
    return undefined;
  }

  /** Releases a latched level; the next window lowers it if the value allows. */
  acknowledge(): void {
    this.#acknowledged = true;
  }

  get latched(): boolean {
    return this.rule.latch && !this.#acknowledged;
  }

  /** Forgets history (delays, rate samples) without changing the level. */
  resetHistory(): void {
    this.#warningRun = 0;
    this.#alarmRun = 0;
    if (this.#hits) for (const h of this.#hits) h.fill(0);
    this.#below = 0;
    if (this.#rate) this.#rate.count = 0;
  }

  private record(rank: number, hit: boolean): void {
    if (rank === 2) this.#alarmRun = hit ? this.#alarmRun + 1 : 0;
    else this.#warningRun = hit ? this.#warningRun + 1 : 0;
    if (this.#hits) {
      this.#hits[rank][this.#hitPos] = hit ? 1 : 0;
      if (rank === 2) this.#hitPos = (this.#hitPos + 1) % this.rule.m;
    }
  }

  private armed(rank: number): boolean {
    const r = this.rule;
    if (rank === 1 && r.warning === undefined) return false;
    if (rank === 2 && r.alarm === undefined) return false;
    if (!this.#hits) return (rank === 2 ? this.#alarmRun : this.#warningRun) >= r.onDelay;
    let count = 0;
    for (const hit of this.#hits[rank]) count += hit;
    return count >= r.n;
  }

  private move(level: Level, value: number, limit: number | undefined): Transition {
    const prev = this.level;
    this.level = level;
    this.#below = 0;
    if (LEVEL_RANK[level] > LEVEL_RANK[prev]) this.#acknowledged = false;
    return { metric: this.rule.name, level, prev, value, limit };
  }
}

/** Recent samples of a rate rule's metric. */
class RateRing {
  readonly times = new Float64Array(RATE_RING);
  readonly values = new Float64Array(RATE_RING);
  head = 0;
  count = 0;

  /** Adds a sample; returns the rise per minute over `spanMs`, NaN until half a span is known. */
  rise(value: number, tMs: number, spanMs: number): number {
    const { times, values } = this;
    if (!Number.isFinite(value)) return Number.NaN;
    times[this.head] = tMs;
    values[this.head] = value;
    this.head = (this.head + 1) % RATE_RING;
    if (this.count < RATE_RING) this.count++;
    // Oldest sample still inside the span.
    let oldest = -1;
    for (let k = this.count - 1; k >= 1; k--) {
      const i = (this.head - 1 - k + RATE_RING) % RATE_RING;
      if (tMs - times[i] <= spanMs) {
        oldest = i;
        break;
      }
    }
    if (oldest < 0) return Number.NaN;
    const dt = tMs - times[oldest];
    if (dt < spanMs / 2) return Number.NaN;
    return ((value - values[oldest]) * 60000) / dt;
  }
}
