/*
 * Scenario file v1 (docs/scenarios.md): parse and validate. Every error names
 * the place in the file (`machine.vibration[1].freq_hz`), and unknown keys are
 * errors, so a typo never silently changes a test.
 */
import { ConfigError, resolveConfig } from "../../firmware/app/config.js";

export type Axis = "x" | "y" | "z" | "all";

export type VibrationComponent =
  | { axis: Axis; kind: "sine"; freq_hz: number; vrms_mm_s: number }
  | { axis: Axis; kind: "noise"; g_rms: number };

export interface TemperaturePoint {
  at_s: number;
  value: number;
}

export interface SetEvent {
  at_s: number;
  kind: "set";
  path: string;
  value: number;
}

export interface Scenario {
  version: 1;
  name?: string;
  seed: number;
  duration_s: number;
  /** Wall time at the start of the run (ms since epoch). */
  startMs: number;
  node: { accelerometer: "adxl345"; temperature: "tmp117"; config: Record<string, unknown> };
  machine: { rpm: number; vibration: VibrationComponent[]; temperature_c: number | TemperaturePoint[] };
  events: SetEvent[];
}

export const DEFAULT_START = "2026-01-01T00:00:00Z";

export class ScenarioError extends Error {
  constructor(readonly where: string, problem: string) {
    super(`${where}: ${problem}`);
    this.name = "ScenarioError";
  }
}

/** Parses JSON text; `source` names the file in messages. */
export function parseScenario(text: string, source = "scenario"): Scenario {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new ScenarioError(source, `not valid JSON (${(error as Error).message})`);
  }
  return validateScenario(doc, source);
}

export function validateScenario(doc: unknown, source = "scenario"): Scenario {
  const v = new Reader(source);
  const root = v.object(doc, "", ["version", "name", "seed", "duration_s", "start", "node", "machine", "events", "expect"]);
  if (root.version !== 1) throw v.error("version", `expected 1, got ${show(root.version)}`);
  const duration = v.number(root.duration_s, "duration_s", { min: 0.001, max: 10 * 365 * 86400 });
  const start = root.start === undefined ? DEFAULT_START : v.string(root.start, "start");
  const startMs = Date.parse(start);
  if (!Number.isFinite(startMs) || !/^\d{4}-\d\d-\d\dT/.test(start)) throw v.error("start", `expected an ISO 8601 time like "${DEFAULT_START}", got ${show(start)}`);

  const nodeDoc = v.object(root.node ?? {}, "node", ["accelerometer", "temperature", "config"]);
  const node = {
    accelerometer: v.oneOf(nodeDoc.accelerometer ?? "adxl345", "node.accelerometer", ["adxl345"] as const),
    temperature: v.oneOf(nodeDoc.temperature ?? "tmp117", "node.temperature", ["tmp117"] as const),
    config: v.object(nodeDoc.config ?? {}, "node.config", undefined),
  };
  try {
    resolveConfig(node.config);
  } catch (error) {
    if (error instanceof ConfigError) throw v.error(`node.config.${error.field}`, error.message.replace(/^config\.[^:]*: /, ""));
    throw error;
  }

  const m = v.object(root.machine, "machine", ["rpm", "vibration", "temperature_c"]);
  const machine = {
    rpm: v.number(m.rpm ?? 0, "machine.rpm", { min: 0, max: 100000 }),
    vibration: v.array(m.vibration ?? [], "machine.vibration").map((c, i) => vibration(v, c, `machine.vibration[${i}]`)),
    temperature_c: temperature(v, m.temperature_c ?? 25, "machine.temperature_c", duration),
  };

  const events = v.array(root.events ?? [], "events").map((e, i) => event(v, e, `events[${i}]`, duration, machine));
  if (root.expect !== undefined) v.array(root.expect, "expect"); // checked by the scenario runner
  return {
    version: 1,
    name: root.name === undefined ? undefined : v.string(root.name, "name"),
    seed: v.integer(root.seed ?? 1, "seed", { min: 0, max: 2 ** 32 - 1 }),
    duration_s: duration,
    startMs,
    node: node as Scenario["node"],
    machine,
    events,
  };
}

function vibration(v: Reader, doc: unknown, at: string): VibrationComponent {
  const kind = v.oneOf((doc as { kind?: unknown })?.kind, `${at}.kind`, ["sine", "noise"] as const);
  if (kind === "sine") {
    const c = v.object(doc, at, ["axis", "kind", "freq_hz", "vrms_mm_s"]);
    return {
      axis: v.oneOf(c.axis ?? "all", `${at}.axis`, ["x", "y", "z", "all"] as const),
      kind,
      freq_hz: v.number(c.freq_hz, `${at}.freq_hz`, { min: 0.1, max: 20000 }),
      vrms_mm_s: v.number(c.vrms_mm_s, `${at}.vrms_mm_s`, { min: 0, max: 1000 }),
    };
  }
  const c = v.object(doc, at, ["axis", "kind", "g_rms"]);
  return {
    axis: v.oneOf(c.axis ?? "all", `${at}.axis`, ["x", "y", "z", "all"] as const),
    kind,
    g_rms: v.number(c.g_rms, `${at}.g_rms`, { min: 0, max: 100 }),
  };
}

function temperature(v: Reader, doc: unknown, at: string, duration: number): number | TemperaturePoint[] {
  if (typeof doc === "number") return v.number(doc, at, { min: -273, max: 1000 });
  const points = v.array(doc, at).map((p, i) => {
    const o = v.object(p, `${at}[${i}]`, ["at_s", "value"]);
    return {
      at_s: v.number(o.at_s, `${at}[${i}].at_s`, { min: 0, max: duration }),
      value: v.number(o.value, `${at}[${i}].value`, { min: -273, max: 1000 }),
    };
  });
  if (points.length === 0) throw v.error(at, "expected a number or at least one {at_s, value} point");
  for (let i = 1; i < points.length; i++) {
    if (points[i].at_s < points[i - 1].at_s) throw v.error(`${at}[${i}].at_s`, "points must be in time order");
  }
  return points;
}

function event(v: Reader, doc: unknown, at: string, duration: number, machine: Scenario["machine"]): SetEvent {
  const kind = v.oneOf((doc as { kind?: unknown })?.kind, `${at}.kind`, ["set"] as const);
  const e = v.object(doc, at, ["at_s", "kind", "path", "value"]);
  const atS = v.number(e.at_s, `${at}.at_s`, { min: 0, max: Infinity });
  if (atS > duration) throw v.error(`${at}.at_s`, `${atS} is after the end of the scenario (duration_s ${duration})`);
  const path = v.string(e.path, `${at}.path`);
  const value = v.number(e.value, `${at}.value`, { min: -1e9, max: 1e9 });
  checkSetPath(v, path, `${at}.path`, machine);
  return { at_s: atS, kind, path, value };
}

/** A `set` path names one numeric field of the machine: `machine.rpm`, `machine.vibration[0].vrms_mm_s`, `machine.temperature_c`. */
export function checkSetPath(v: Reader, path: string, at: string, machine: Scenario["machine"]): void {
  if (path === "machine.rpm" || path === "machine.temperature_c") return;
  const m = /^machine\.vibration\[(\d+)\]\.(freq_hz|vrms_mm_s|g_rms)$/.exec(path);
  if (!m) throw v.error(at, `unknown path ${show(path)} (use machine.rpm, machine.temperature_c or machine.vibration[i].<field>)`);
  const component = machine.vibration[Number(m[1])];
  if (!component) throw v.error(at, `machine.vibration has no element ${m[1]}`);
  if (!(m[2] in component)) throw v.error(at, `machine.vibration[${m[1]}] (${component.kind}) has no field ${m[2]}`);
}

export class Reader {
  constructor(readonly source: string) {}

  error(where: string, problem: string): ScenarioError {
    return new ScenarioError(where ? `${this.source}: ${where}` : this.source, problem);
  }

  object(doc: unknown, at: string, allowed: string[] | undefined): Record<string, unknown> {
    if (typeof doc !== "object" || doc === null || Array.isArray(doc)) throw this.error(at, `expected an object, got ${show(doc)}`);
    const o = doc as Record<string, unknown>;
    if (allowed) {
      for (const key of Object.keys(o)) {
        if (!allowed.includes(key)) throw this.error(at ? `${at}.${key}` : key, `unknown key (allowed here: ${allowed.join(", ")})`);
      }
    }
    return o;
  }

  array(doc: unknown, at: string): unknown[] {
    if (!Array.isArray(doc)) throw this.error(at, `expected an array, got ${show(doc)}`);
    return doc;
  }

  string(doc: unknown, at: string): string {
    if (typeof doc !== "string") throw this.error(at, `expected a string, got ${show(doc)}`);
    return doc;
  }

  number(doc: unknown, at: string, range: { min: number; max: number }): number {
    if (typeof doc !== "number" || !Number.isFinite(doc)) throw this.error(at, `expected a number, got ${show(doc)}`);
    if (doc < range.min || doc > range.max) throw this.error(at, `${doc} is out of range ${range.min}..${range.max}`);
    return doc;
  }

  integer(doc: unknown, at: string, range: { min: number; max: number }): number {
    const n = this.number(doc, at, range);
    if (!Number.isInteger(n)) throw this.error(at, `expected an integer, got ${n}`);
    return n;
  }

  oneOf<T extends string>(doc: unknown, at: string, allowed: readonly T[]): T {
    if (!allowed.includes(doc as T)) throw this.error(at, `expected one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}, got ${show(doc)}`);
    return doc as T;
  }
}

function show(v: unknown): string {
  if (v === undefined) return "nothing";
  if (Array.isArray(v)) return "an array";
  if (v !== null && typeof v === "object") return "an object";
  return JSON.stringify(v);
}
