/*
 * Shapes shared by the benchmark modules (tools/bench/*.ts) and the runner.
 * A benchmark module measures one area and returns figures; each figure names the
 * baseline it was measured against in the same run, so ratios hold on a noisy machine.
 */
import type { XsChildResult } from "./xs-measure.js";

/** Window of the node's default configuration. */
export const WINDOW = { n: 4096, odr: 3200, axes: 3 };

export interface Goal {
  /** What is compared: the value or the ratio to the baseline. */
  of: "value" | "ratio";
  op: "<=" | ">=" | "==";
  target: number;
  /** As printed, e.g. ">= 1.5x". */
  text: string;
}

export interface Figure {
  /** Stable key for --json and for budgets, e.g. "dsp.xs.featuresPerSample". */
  id: string;
  /** Printed name. */
  name: string;
  value: number;
  unit: string;
  /** The named baseline measured in the same run, if the figure has one. */
  baseline?: { name: string; value: number };
  /** value / baseline.value (or the figure's own ratio, e.g. speed-up). */
  ratio?: number;
  /** Wall figures: the ratio's spread over rounds (10th and 90th percentile). */
  ratioSpread?: [number, number];
  /** Wall figures: the value's spread over the rounds of its measurement in this run (rounds.ts). */
  spread?: Spread;
  goal?: Goal;
  /** Set by the runner from goal: true = pass, false = miss, undefined = no goal. */
  pass?: boolean;
  /**
   * Deterministic (computrons, heap, wire bytes: the same on any machine), wall clock
   * (reported, never asserted), or estimate (an ESP32 figure: deterministic figures
   * turned into device time or bytes by a named assumption, docs/performance.md).
   */
  kind: "deterministic" | "wall" | "estimate";
  note?: string;
  /**
   * The keys of bench/budgets.json this figure's run measures, with the value in the
   * budget's unit (CI measures the same in test/*budgets*.test.ts and test/xs-node.test.ts);
   * the docs' budget table shows them beside the ceilings.
   */
  budgets?: Record<string, number>;
  /**
   * A statement printed in place of figures (the table prints "name: text" on a line
   * of its own, value NaN), e.g. "refused at configuration: <reason>".
   */
  text?: string;
  /** The benchmark that measured it (set by the runner; `npm run figures -- --update --only` replaces a benchmark's figures by it). */
  module?: string;
}

/**
 * How far a wall figure moved over the rounds that measured it (docs/performance.md,
 * "Wall figures"): every wall figure of the record carries one (test/figures.test.ts).
 */
export interface Spread {
  /** The value's low and high over the rounds, by `stat`. */
  range: [number, number];
  rounds: number;
  /** 10th-90th percentile with 10 rounds or more, else lowest-highest. */
  stat: "p10-p90" | "min-max";
  /** What a round is, when not the whole measurement repeated (e.g. blocks of one run). */
  over?: string;
}

export interface BenchContext {
  quick: boolean;
  /** Progress lines (stderr). */
  log(message: string): void;
  /** The XS figures, measured once per run in a child process (see xs-child.ts). */
  xs(): Promise<XsChildResult>;
}

export interface BenchModule {
  /** Short name, used by `--only`. */
  name: string;
  title: string;
  /** Included in `--quick`. The module sees ctx.quick and may reduce itself. */
  quick: boolean;
  run(ctx: BenchContext): Promise<Figure[]>;
}

export function goal(of: Goal["of"], op: Goal["op"], target: number, text?: string): Goal {
  return { of, op, target, text: text ?? `${op} ${target}${of === "ratio" ? "x" : ""}` };
}

export function judge(f: Figure): boolean | undefined {
  if (!f.goal) return undefined;
  const v = f.goal.of === "ratio" ? f.ratio : f.value;
  if (v === undefined || !Number.isFinite(v)) return false;
  return f.goal.op === "<=" ? v <= f.goal.target : f.goal.op === ">=" ? v >= f.goal.target : v === f.goal.target;
}

/** Median of a non-empty list. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The q-quantile (0..1) by nearest rank. */
export function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}
