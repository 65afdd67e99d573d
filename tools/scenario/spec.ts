/*
 * Scenario file v1, the parts the scenario runner acts on (docs/scenarios.md):
 * fault and config events, and expectations. Validated like the rest of the
 * file: every error names its place (`expect[2].within_s[1]`), unknown keys
 * and unknown metrics are errors.
 */
import { ConfigError, resolveConfig } from "../../firmware/app/config.js";
import { isKnownMetric, knownMetrics } from "../../firmware/monitor/metrics.js";
import type { Reader } from "./parse.js";

export const FAULTS = ["i2c-nack", "sensor-unplugged", "bus-stuck", "broker-down", "partition", "power-loss", "clock-jump"] as const;
export type FaultKind = (typeof FAULTS)[number];

export interface FaultEvent {
  at_s: number;
  kind: "fault";
  fault: FaultKind;
  /** How long the fault lasts (i2c-nack, sensor-unplugged, broker-down, partition; bus-stuck: a hard short while given). */
  for_s?: number;
  /** clock-jump: seconds the node's wall clock jumps by (negative: back). */
  by_s?: number;
  /** bus-stuck without for_s: SCL pulses a recovery needs (1..9, default 6). */
  clocks?: number;
}

export interface ConfigEvent {
  at_s: number;
  kind: "config";
  /** A partial node configuration, published on `<prefix>/<nodeId>/cmd/config`. */
  config: Record<string, unknown>;
}

export type ActionEvent = FaultEvent | ConfigEvent;

export const LEVELS = ["normal", "warning", "alarm", "fault"] as const;
export type Level = (typeof LEVELS)[number];
export type Window = [number, number];

export type Expectation =
  | { kind: "alarm"; metric: string; level: Level; within_s: Window; name?: string }
  | { kind: "no-alarm"; metric?: string; level?: Level; during_s?: Window; name?: string }
  | { kind: "metric"; metric: string; value: number; tolerance: number; pct: boolean; during_s: Window; name?: string }
  | { kind: "status"; state: "online" | "offline"; within_s: Window; name?: string }
  | { kind: "no-loss"; name?: string }
  | { kind: "latency"; max_ms: number; metric?: string; name?: string };

export const EXPECT_KINDS = ["alarm", "no-alarm", "metric", "status", "no-loss", "latency"] as const;

/** Faults that last `for_s` (required). */
const LASTING: FaultKind[] = ["i2c-nack", "sensor-unplugged", "broker-down", "partition"];

export function actionEvent(v: Reader, doc: Record<string, unknown>, at: string, atS: number, duration: number, nodeConfig: Record<string, unknown>): ActionEvent {
  if (doc.kind === "config") {
    const e = v.object(doc, at, ["at_s", "kind", "config"]);
    const config = v.object(e.config, `${at}.config`, undefined);
    try {
      resolveConfig(merge(nodeConfig, config));
    } catch (error) {
      if (error instanceof ConfigError) throw v.error(`${at}.config.${error.field}`, error.message.replace(/^config\.[^:]*: /, ""));
      throw error;
    }
    if (config.nodeId !== undefined) throw v.error(`${at}.config.nodeId`, "cannot be changed by command (it names the topics)");
    return { at_s: atS, kind: "config", config };
  }
  const fault = v.oneOf(doc.fault, `${at}.fault`, FAULTS);
  const allowed = ["at_s", "kind", "fault"];
  if (LASTING.includes(fault)) allowed.push("for_s");
  if (fault === "bus-stuck") allowed.push("for_s", "clocks");
  if (fault === "clock-jump") allowed.push("by_s");
  const e = v.object(doc, at, allowed);
  const out: FaultEvent = { at_s: atS, kind: "fault", fault };
  if (LASTING.includes(fault) || (fault === "bus-stuck" && e.for_s !== undefined)) {
    out.for_s = v.number(e.for_s, `${at}.for_s`, { min: 0.001, max: 1e9 });
    if (atS + out.for_s > duration) throw v.error(`${at}.for_s`, `the fault would end at ${atS + out.for_s} s, after the end of the scenario (duration_s ${duration})`);
  }
  if (fault === "bus-stuck" && e.clocks !== undefined) {
    if (out.for_s !== undefined) throw v.error(`${at}.clocks`, "give clocks (a jam the node clears with that many SCL pulses) or for_s (a short for that long), not both");
    out.clocks = v.integer(e.clocks, `${at}.clocks`, { min: 1, max: 9 });
  }
  if (fault === "clock-jump") out.by_s = v.number(e.by_s, `${at}.by_s`, { min: -1e9, max: 1e9 });
  return out;
}

const METRIC_HINT = "(per axis x/y/z: vRms, aRms, aPeak, crest, kurtosis, fDom, hfRms, order1x..order3x, env.rms, env.peak, env.fDom, env.bpfo, env.bpfi, env.bsf, env.ftf; temp.c, humidity.rh, speed.rpm; alarms also sensor.accelerometer, sensor.temperature, <metric>.rate, <metric>.baseline; * matches any part)";

/** Metric names that alarm messages may carry. */
export function isAlarmMetric(metric: string): boolean {
  if (metric === "sensor.accelerometer" || metric === "sensor.temperature") return true;
  const base = metric.replace(/\.(rate|baseline)$/, "");
  return isKnownMetric(base);
}

/** `*` matches one dotted part or a part of one (`*.vRms`, `x.*`, `sensor.*`). */
export function metricMatcher(pattern: string): (metric: string) => boolean {
  if (!pattern.includes("*")) return (m) => m === pattern;
  const re = new RegExp("^" + pattern.split("*").map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join("[^.]*") + "$");
  return (m) => re.test(m);
}

function checkMetric(v: Reader, doc: unknown, at: string, telemetry: boolean): string {
  const metric = v.string(doc, at);
  const candidates = telemetry ? knownMetrics() : [...knownMetrics(), "sensor.accelerometer", "sensor.temperature", ...knownMetrics().flatMap((m) => [`${m}.rate`, `${m}.baseline`])];
  const ok = metric.includes("*") ? !telemetry && candidates.some(metricMatcher(metric)) : telemetry ? isKnownMetric(metric) : isAlarmMetric(metric);
  if (!ok) throw v.error(at, `unknown metric ${JSON.stringify(metric)} ${telemetry ? "(telemetry metrics: per axis x/y/z: vRms, aRms, aPeak, crest, kurtosis, fDom, hfRms, order1x..order3x, env.rms, env.peak, env.fDom, env.bpfo, env.bpfi, env.bsf, env.ftf; temp.c, humidity.rh, speed.rpm)" : METRIC_HINT}`);
  return metric;
}

function window(v: Reader, doc: unknown, at: string, duration: number): Window {
  const list = v.array(doc, at);
  if (list.length !== 2) throw v.error(at, `expected [from_s, to_s], got ${list.length} number(s)`);
  const a = v.number(list[0], `${at}[0]`, { min: 0, max: duration });
  const b = v.number(list[1], `${at}[1]`, { min: 0, max: duration });
  if (b < a) throw v.error(`${at}[1]`, `${b} is before the start of the window (${a})`);
  return [a, b];
}

export function expectation(v: Reader, doc: unknown, at: string, duration: number): Expectation {
  const kind = v.oneOf((doc as { kind?: unknown })?.kind, `${at}.kind`, EXPECT_KINDS);
  const keys: Record<(typeof EXPECT_KINDS)[number], string[]> = {
    alarm: ["metric", "level", "within_s"],
    "no-alarm": ["metric", "level", "during_s"],
    metric: ["metric", "value", "tolerance", "during_s"],
    status: ["state", "within_s"],
    "no-loss": [],
    latency: ["max_ms", "metric"],
  };
  const e = v.object(doc, at, ["kind", "name", ...keys[kind]]);
  const name = e.name === undefined ? undefined : v.string(e.name, `${at}.name`);
  const named = <T extends object>(x: T): T => (name === undefined ? x : { ...x, name });
  switch (kind) {
    case "alarm":
      return named({ kind, metric: checkMetric(v, e.metric, `${at}.metric`, false), level: v.oneOf(e.level, `${at}.level`, LEVELS), within_s: window(v, e.within_s, `${at}.within_s`, duration) });
    case "no-alarm": {
      const out: Expectation = { kind };
      if (e.metric !== undefined) out.metric = checkMetric(v, e.metric, `${at}.metric`, false);
      if (e.level !== undefined) out.level = v.oneOf(e.level, `${at}.level`, LEVELS);
      if (e.during_s !== undefined) out.during_s = window(v, e.during_s, `${at}.during_s`, duration);
      return named(out);
    }
    case "metric": {
      const metric = checkMetric(v, e.metric, `${at}.metric`, true);
      const value = v.number(e.value, `${at}.value`, { min: -1e9, max: 1e9 });
      let tolerance: number;
      let pct = false;
      if (typeof e.tolerance === "string" && /^\d+(\.\d+)?%$/.test(e.tolerance)) {
        tolerance = Number(e.tolerance.slice(0, -1));
        pct = true;
      } else if (typeof e.tolerance === "number") {
        tolerance = v.number(e.tolerance, `${at}.tolerance`, { min: 0, max: 1e9 });
      } else {
        throw v.error(`${at}.tolerance`, `expected a number (absolute, in the metric's unit) or a percentage like "10%", got ${JSON.stringify(e.tolerance) ?? "nothing"}`);
      }
      return named({ kind, metric, value, tolerance, pct, during_s: window(v, e.during_s, `${at}.during_s`, duration) });
    }
    case "status":
      return named({ kind, state: v.oneOf(e.state, `${at}.state`, ["online", "offline"] as const), within_s: window(v, e.within_s, `${at}.within_s`, duration) });
    case "no-loss":
      return named({ kind });
    case "latency": {
      const out: Expectation = { kind, max_ms: v.number(e.max_ms, `${at}.max_ms`, { min: 0, max: 1e12 }) };
      if (e.metric !== undefined) out.metric = checkMetric(v, e.metric, `${at}.metric`, false);
      return named(out);
    }
  }
}

/** Deep merge of plain objects (arrays and values replace), as `cmd/config` applies a partial document. */
export function merge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, value] of Object.entries(over)) {
    const prev = out[k];
    out[k] = isPlain(prev) && isPlain(value) ? merge(prev, value) : value;
  }
  return out;
}

function isPlain(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}
