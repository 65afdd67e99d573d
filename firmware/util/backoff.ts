/*
 * Capped exponential backoff with full jitter, for everything that retries a
 * link (the MQTT client, the Wi-Fi supervisor, SNTP). Attempt n waits a random
 * time in [minMs, min(maxMs, minMs * 2^n)]: the floor keeps a peer that
 * accepts and drops at once from being hammered; the jitter keeps a plant full
 * of nodes from retrying in step after an outage. The random source is
 * injectable so virtual-time runs are deterministic.
 */

export interface BackoffOptions {
  /** First delay's ceiling and every delay's floor. Default 1 s. */
  minMs?: number;
  /** Largest delay. Default 60 s. */
  maxMs?: number;
  /** Jitter source in [0, 1); default Math.random. */
  random?: () => number;
}

const DEFAULT_MIN_MS = 1000;
const DEFAULT_MAX_MS = 60_000;
/** A long wait (a refusal that will not fix itself soon) skips this many doublings... */
const LONG_EXTRA_DOUBLINGS = 3;
/** ...and never waits less than this share of its cap. */
const LONG_FLOOR_SHARE = 0.5;
/** 2^30 x any sane minMs is past every cap; stops Math.pow from overflowing to Infinity. */
const MAX_DOUBLINGS = 30;

/**
 * The delay before attempt `attempt` (0-based) for a jitter value `random` in
 * [0, 1): floor + random * (cap - floor) with cap = min(maxMs, minMs * 2^attempt)
 * and floor = minMs, or, when `long`, at least half the cap. Out-of-range
 * random values count as 0.5.
 */
export function backoffDelay(attempt: number, random: number, minMs: number, maxMs: number, long = false): number {
  const min = Math.max(1, minMs);
  const max = Math.max(min, maxMs);
  const cap = Math.min(max, min * Math.pow(2, Math.min(attempt, MAX_DOUBLINGS)));
  const floor = long ? Math.max(min, cap * LONG_FLOOR_SHARE) : min;
  const r = random >= 0 && random < 1 ? random : 0.5;
  return floor + r * (cap - floor);
}

/** Counts failed attempts and draws the next delay; `reset()` after a success. */
export class Backoff {
  /** Attempts since the last reset (a long wait counts LONG_EXTRA_DOUBLINGS more). */
  attempts = 0;
  readonly minMs: number;
  readonly maxMs: number;
  readonly #random: () => number;

  constructor(options?: BackoffOptions) {
    this.minMs = options?.minMs ?? DEFAULT_MIN_MS;
    this.maxMs = options?.maxMs ?? DEFAULT_MAX_MS;
    this.#random = options?.random ?? Math.random;
  }

  /** The delay before the next attempt; `long` for a refusal: skip ahead and wait at least half the cap. */
  next(long = false): number {
    if (long) this.attempts += LONG_EXTRA_DOUBLINGS;
    return backoffDelay(this.attempts++, this.#random(), this.minMs, this.maxMs, long);
  }

  reset(): void {
    this.attempts = 0;
  }
}
