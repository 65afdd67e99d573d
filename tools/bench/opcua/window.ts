/*
 * The measurement window both bench processes share: telemetry whose `ts` (the
 * synthetic node's wall clock when it published) falls in [from, to) counts.
 * Windows before it only build the address space and warm up.
 */

export interface MeasureWindow {
  /** Wall ms (Date.now()), inclusive. */
  from: number;
  /** Wall ms, exclusive. */
  to: number;
}

export const inWindow = (w: MeasureWindow | undefined, ts: number | undefined): boolean => w !== undefined && ts !== undefined && ts >= w.from && ts < w.to;

/** p50 and p99 (nearest rank) of a list of ms, and how many. */
export interface Spread {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

export function spread(values: number[]): Spread {
  const s = Float64Array.from(values).sort();
  const at = (q: number) => (s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] : NaN);
  return { count: s.length, p50: at(0.5), p99: at(0.99), max: s.length ? s[s.length - 1] : NaN };
}

/** Wall time in ms with a fraction, comparable across the bench's processes (each stamps with it). */
export const wallNow = (): number => performance.timeOrigin + performance.now();
