/*
 * Wall figures measured in rounds (docs/performance.md, "Wall figures"): the
 * value's spread over the rounds, and the figure of the median round when a whole
 * measurement (a broker, a fleet, a gateway) is repeated.
 */
import { median, quantile, type Figure, type Spread } from "./types.js";

/** Rounds from which the spread is the 10th-90th percentile; below, lowest-highest. */
export const PERCENTILE_ROUNDS = 10;

export function spreadOf(values: number[], over?: string): Spread {
  if (!values.length) throw new Error("spreadOf: no rounds");
  const p = values.length >= PERCENTILE_ROUNDS;
  const range: [number, number] = p ? [quantile(values, 0.1), quantile(values, 0.9)] : [Math.min(...values), Math.max(...values)];
  return { range, rounds: values.length, stat: p ? "p10-p90" : "min-max", ...(over ? { over } : {}) };
}

/** "median of 5 rounds, spread min-max" (for notes). */
export function roundsText(s: Spread, of = "median"): string {
  return `${of} of ${s.rounds} ${s.over ?? "rounds"}, spread ${s.stat}`;
}

/** The median and the spread of per-round values. */
export function summarize(values: number[], over?: string): { value: number; spread: Spread } {
  return { value: median(values), spread: spreadOf(values, over) };
}

/**
 * Figures measured by repeating a whole run: per id (in the first round's order, then
 * any a later round added), the figure of the round whose value is the median (its
 * baseline and note with it, so one row stays one run), and the spread over every
 * round that measured it. `note` says what the value is in words.
 */
export function medianRounds(rounds: Figure[][]): Figure[] {
  const ids: string[] = [];
  for (const figures of rounds) for (const f of figures) if (!ids.includes(f.id)) ids.push(f.id);
  return ids.map((id) => {
    const all = rounds.map((figures) => figures.find((f) => f.id === id)).filter((f): f is Figure => f !== undefined);
    const sorted = [...all].sort((a, b) => a.value - b.value);
    const mid = sorted[(sorted.length - 1) >> 1];
    const spread = spreadOf(all.map((f) => f.value));
    const ratios = all.map((f) => f.ratio).filter((r): r is number => r !== undefined && Number.isFinite(r));
    const text = `the median round of ${spread.rounds} (spread ${spread.stat} over the rounds)`;
    return {
      ...mid,
      spread,
      ...(ratios.length === all.length && all.length > 1 ? { ratioSpread: spreadOf(ratios).range } : {}),
      note: mid.note ? `${text}; ${mid.note}` : text,
    };
  });
}
