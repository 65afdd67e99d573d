/*
 * Alarm rules: what a user writes in `monitor.rules`, validated and normalised.
 * A rule watches one metric (a telemetry value such as `x.vRms` or `temp.c`, or
 * its rate of rise) against a warning and an alarm level with reset levels
 * (hysteresis) and delays counted in windows.
 */

export type Level = "normal" | "warning" | "alarm" | "fault";

/** Levels ordered by severity: the overall level is the highest rank. */
export const LEVEL_RANK: Readonly<Record<Level, number>> = Object.freeze({ normal: 0, warning: 1, alarm: 2, fault: 3 });

export interface RuleInput {
  metric?: unknown;
  /** "level" (default) compares the value; "rate" compares its rise per minute. */
  kind?: unknown;
  warning?: unknown;
  alarm?: unknown;
  /** Level at or below which warning clears (default: 95% of warning). */
  warningReset?: unknown;
  alarmReset?: unknown;
  /** Windows a higher level must hold before it is raised (default 1: at once). */
  onDelay?: unknown;
  /** Windows a lower level must hold before it is lowered (default 1). */
  offDelay?: unknown;
  /** Raise when `n` of the last `m` windows are above the level (instead of onDelay). */
  n?: unknown;
  m?: unknown;
  /** For "rate" rules: the span over which the rise is measured, in seconds (default 60). */
  spanS?: unknown;
  /** Keep the highest level until acknowledged by command. */
  latch?: unknown;
}

export interface Rule {
  metric: string;
  kind: "level" | "rate";
  /** Name the transitions carry: the metric, or `<metric>.rate`. */
  name: string;
  warning: number | undefined;
  alarm: number | undefined;
  warningReset: number | undefined;
  alarmReset: number | undefined;
  onDelay: number;
  offDelay: number;
  n: number;
  m: number;
  spanS: number;
  latch: boolean;
}

export class RuleError extends Error {
  constructor(readonly field: string, problem: string) {
    super(`${field}: ${problem}`);
    this.name = "RuleError";
  }
}

/** Default hysteresis when no reset level is given. */
export const DEFAULT_RESET_FRACTION = 0.95;
const MAX_DELAY_WINDOWS = 1000;

/** Validates one rule; `at` names it in errors (`monitor.rules[2]`). */
export function parseRule(input: RuleInput, at: string, knownMetric: (metric: string) => boolean): Rule {
  if (typeof input !== "object" || input === null || Array.isArray(input)) throw new RuleError(at, "expected an object");
  for (const key of Object.keys(input)) {
    if (!RULE_KEYS.includes(key)) throw new RuleError(`${at}.${key}`, `unknown key (allowed: ${RULE_KEYS.join(", ")})`);
  }
  if (typeof input.metric !== "string" || !knownMetric(input.metric)) {
    throw new RuleError(`${at}.metric`, `unknown metric ${JSON.stringify(input.metric)}`);
  }
  const kind = input.kind ?? "level";
  if (kind !== "level" && kind !== "rate") throw new RuleError(`${at}.kind`, `expected "level" or "rate", got ${JSON.stringify(kind)}`);
  const warning = optionalNumber(input.warning, `${at}.warning`);
  const alarm = optionalNumber(input.alarm, `${at}.alarm`);
  if (warning === undefined && alarm === undefined) throw new RuleError(at, "needs a warning or an alarm level");
  if (warning !== undefined && alarm !== undefined && warning >= alarm) {
    throw new RuleError(`${at}.warning`, `${warning} must be below the alarm level ${alarm}`);
  }
  const warningReset = reset(input.warningReset, warning, `${at}.warningReset`, "warning");
  const alarmReset = reset(input.alarmReset, alarm, `${at}.alarmReset`, "alarm");
  const onDelay = windows(input.onDelay, `${at}.onDelay`);
  const offDelay = windows(input.offDelay, `${at}.offDelay`);
  let n = 0;
  let m = 0;
  if (input.n !== undefined || input.m !== undefined) {
    if (input.onDelay !== undefined) throw new RuleError(`${at}.n`, "use either onDelay or n of m, not both");
    n = windows(input.n, `${at}.n`);
    m = windows(input.m, `${at}.m`);
    if (n > m) throw new RuleError(`${at}.n`, `${n} must not exceed m (${m})`);
  }
  const spanS = input.spanS === undefined ? 60 : positive(input.spanS, `${at}.spanS`);
  if (input.latch !== undefined && typeof input.latch !== "boolean") throw new RuleError(`${at}.latch`, "expected true or false");
  return {
    metric: input.metric,
    kind,
    name: kind === "rate" ? `${input.metric}.rate` : input.metric,
    warning,
    alarm,
    warningReset,
    alarmReset,
    onDelay,
    offDelay,
    n,
    m,
    spanS,
    latch: input.latch === true,
  };
}

const RULE_KEYS: readonly string[] = Object.freeze(["metric", "kind", "warning", "alarm", "warningReset", "alarmReset", "onDelay", "offDelay", "n", "m", "spanS", "latch"]);

function optionalNumber(v: unknown, field: string): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "number" || !Number.isFinite(v)) throw new RuleError(field, `expected a number, got ${JSON.stringify(v)}`);
  return v;
}

function positive(v: unknown, field: string): number {
  const n = optionalNumber(v, field);
  if (n === undefined || n <= 0) throw new RuleError(field, `expected a positive number, got ${JSON.stringify(v)}`);
  return n;
}

function windows(v: unknown, field: string): number {
  if (v === undefined) return 1;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > MAX_DELAY_WINDOWS) {
    throw new RuleError(field, `expected a whole number of windows 1..${MAX_DELAY_WINDOWS}, got ${JSON.stringify(v)}`);
  }
  return v;
}

function reset(v: unknown, level: number | undefined, field: string, name: string): number | undefined {
  if (level === undefined) {
    if (v !== undefined) throw new RuleError(field, `set without a ${name} level`);
    return undefined;
  }
  if (v === undefined) return level >= 0 ? level * DEFAULT_RESET_FRACTION : level / DEFAULT_RESET_FRACTION;
  const r = optionalNumber(v, field)!;
  if (r > level) throw new RuleError(field, `${r} is on the wrong side of the ${name} level ${level} (it must not exceed it)`);
  return r;
}
