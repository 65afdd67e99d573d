/*
 * Scenario file v1 (docs/scenarios.md): parse and validate. Every error names
 * the place in the file (`machine.vibration[1].freq_hz`), and unknown keys are
 * errors, so a typo never silently changes a test.
 */
import { ConfigError, resolveConfig } from "../../firmware/app/config.js";
import {
  BEARING_DEFECTS,
  SETTABLE_FIELDS,
  THERMAL_FIELDS,
  VIBRATION_KINDS,
  type BearingComponent,
  type BearingGeometry,
  type MachineAxis,
  type TemperaturePoint,
  type ThermalModel,
  type VibrationComponent,
} from "../../sim/machine/machine.js";
import { actionEvent, expectation, merge, type ActionEvent, type Expectation } from "./spec.js";
import { parseWifi } from "./wifi.js";
import type { SimWifiNetwork } from "../../sim/wifi.js";

export type { TemperaturePoint, ThermalModel, VibrationComponent };
export type Axis = MachineAxis;
export type { ActionEvent, ConfigEvent, Expectation, FaultEvent } from "./spec.js";

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
  node: { accelerometer: "adxl345" | "lis3dh" | "adxl355"; temperature: "tmp117" | "sht3x" | "mcp9808"; config: Record<string, unknown> };
  machine: {
    rpm: number;
    /** Seconds a speed change takes (default 1). */
    rpm_ramp_s?: number;
    vibration: VibrationComponent[];
    /** Absent when `thermal` is given (25 when neither is). */
    temperature_c?: number | TemperaturePoint[];
    thermal?: ThermalModel;
  };
  /** Machine changes (`set` events), in file order. */
  events: SetEvent[];
  /** Faults and config changes, in file order (the scenario runner applies them). */
  actions: ActionEvent[];
  /** Expectations, checked by the scenario runner (on every node of a fleet). */
  expect: Expectation[];
  /** A fleet (docs/scenarios.md, "Fleets"): groups of nodes, each on its own machine. Absent: one node. */
  fleet?: FleetGroup[];
  /** Wi-Fi networks in the nodes' range (absent: the default, sim/wifi.ts). */
  wifi?: SimWifiNetwork[];
}

/** One group of a fleet: `count` nodes named from `id`, on the group's machine (varied per node). */
export interface FleetGroup {
  name: string;
  count: number;
  /** Node id template; `{n}` is the node's number in the group (1..count). */
  id: string;
  /** The top-level node, merged with the group's. */
  node: Scenario["node"];
  /** The top-level machine, merged with the group's. */
  machine: Scenario["machine"];
  /** Machine values drawn per node, uniformly in [min, max], from the node's seed (in this order). */
  vary: { path: string; min: number; max: number }[];
  events: SetEvent[];
  actions: ActionEvent[];
  expect: Expectation[];
}

/** At most this many nodes in a fleet (all on one clock, in one process). */
export const MAX_FLEET_NODES = 1000;
/** Faults that act on the whole run, not one node: top-level events only in a fleet. */
export const FLEET_WIDE_FAULTS = ["broker-down", "clock-jump"];

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
  const root = v.object(doc, "", ["version", "name", "seed", "duration_s", "start", "node", "machine", "events", "expect", "fleet", "wifi"]);
  if (root.version !== 1) throw v.error("version", `expected 1, got ${show(root.version)}`);
  const duration = v.number(root.duration_s, "duration_s", { min: 0.001, max: 10 * 365 * 86400 });
  const start = root.start === undefined ? DEFAULT_START : v.string(root.start, "start");
  const startMs = Date.parse(start);
  if (!Number.isFinite(startMs) || !/^\d{4}-\d\d-\d\dT/.test(start)) throw v.error("start", `expected an ISO 8601 time like "${DEFAULT_START}", got ${show(start)}`);

  const node = parseNode(v, root.node ?? {}, "node");
  const machine = parseMachine(v, root.machine, "machine", duration, nodeOdr(node));
  const { events, actions } = parseEvents(v, root.events ?? [], "events", duration, machine, node);
  const expect = v.array(root.expect ?? [], "expect").map((e, i) => expectation(v, e, `expect[${i}]`, duration));
  const scenario: Scenario = {
    version: 1,
    name: root.name === undefined ? undefined : v.string(root.name, "name"),
    seed: v.integer(root.seed ?? 1, "seed", { min: 0, max: 2 ** 32 - 1 }),
    duration_s: duration,
    startMs,
    node,
    machine,
    events,
    actions,
    expect,
  };
  if (root.fleet !== undefined) scenario.fleet = parseFleet(v, root, scenario);
  if (root.wifi !== undefined) scenario.wifi = parseWifi(v, root.wifi, "wifi");
  return scenario;
}

function nodeOdr(node: Scenario["node"]): number {
  return resolveConfig(node.config).accelerometer.odr;
}

function parseNode(v: Reader, doc: unknown, at: string): Scenario["node"] {
  const nodeDoc = v.object(doc, at, ["accelerometer", "temperature", "config"]);
  const node = {
    accelerometer: v.oneOf(nodeDoc.accelerometer ?? "adxl345", `${at}.accelerometer`, ["adxl345", "lis3dh", "adxl355"] as const),
    temperature: v.oneOf(nodeDoc.temperature ?? "tmp117", `${at}.temperature`, ["tmp117", "sht3x", "mcp9808"] as const),
    config: v.object(nodeDoc.config ?? {}, `${at}.config`, undefined),
  };
  try {
    resolveConfig(node.config);
  } catch (error) {
    if (error instanceof ConfigError) throw v.error(`${at}.config.${error.field}`, error.message.replace(/^config\.[^:]*: /, ""));
    throw error;
  }
  return node;
}

function parseMachine(v: Reader, doc: unknown, at: string, duration: number, odr: number): Scenario["machine"] {
  const m = v.object(doc, at, ["rpm", "rpm_ramp_s", "vibration", "temperature_c", "thermal"]);
  if (m.thermal !== undefined && m.temperature_c !== undefined) {
    throw v.error(`${at}.thermal`, `give ${at}.temperature_c (a profile) or ${at}.thermal (a model), not both`);
  }
  const machine: Scenario["machine"] = {
    rpm: v.number(m.rpm ?? 0, `${at}.rpm`, MACHINE_RANGES.rpm),
    rpm_ramp_s: v.number(m.rpm_ramp_s ?? 1, `${at}.rpm_ramp_s`, MACHINE_RANGES.rpm_ramp_s),
    vibration: v.array(m.vibration ?? [], `${at}.vibration`).map((c, i) => vibration(v, c, `${at}.vibration[${i}]`, odr)),
  };
  if (m.thermal !== undefined) machine.thermal = thermal(v, m.thermal, `${at}.thermal`);
  else machine.temperature_c = temperature(v, m.temperature_c ?? 25, `${at}.temperature_c`, duration);
  return machine;
}

function parseEvents(v: Reader, doc: unknown, at: string, duration: number, machine: Scenario["machine"], node: Scenario["node"]): { events: SetEvent[]; actions: ActionEvent[] } {
  const events: SetEvent[] = [];
  const actions: ActionEvent[] = [];
  v.array(doc, at).forEach((e, i) => {
    const parsed = event(v, e, `${at}[${i}]`, duration, machine, nodeOdr(node), node.config);
    if (parsed.kind === "set") events.push(parsed);
    else actions.push(parsed);
  });
  return { events, actions };
}

const ID_RE = /^[A-Za-z0-9_.:-]+$/;

/**
 * `fleet`: groups of nodes. A group's `node` and `machine` are merged over the
 * top-level ones (objects merge, arrays and values replace; a group giving
 * `thermal` drops an inherited `temperature_c` and the other way round). Every
 * place in an error is the group's (`fleet[1].expect[0].metric`).
 */
function parseFleet(v: Reader, root: Record<string, unknown>, scenario: Scenario): FleetGroup[] {
  const list = v.array(root.fleet, "fleet");
  if (list.length === 0) throw v.error("fleet", "expected at least one group");
  if (scenario.node.config.nodeId !== undefined) throw v.error("node.config.nodeId", "a fleet names its nodes by each group's id (fleet[i].id)");
  const duration = scenario.duration_s;
  const names = new Set<string>();
  const ids = new Map<string, string>();
  let total = 0;
  const groups = list.map((doc, k) => {
    const at = `fleet[${k}]`;
    const g = v.object(doc, at, ["name", "count", "id", "node", "machine", "vary", "events", "expect"]);
    const name = g.name === undefined ? `group-${k + 1}` : v.string(g.name, `${at}.name`);
    if (!ID_RE.test(name)) throw v.error(`${at}.name`, `expected letters, digits, _ . : - only, got ${show(name)}`);
    if (names.has(name)) throw v.error(`${at}.name`, `${show(name)} names an earlier group too`);
    names.add(name);
    const count = v.integer(g.count, `${at}.count`, { min: 1, max: MAX_FLEET_NODES });
    total += count;
    if (total > MAX_FLEET_NODES) throw v.error(`${at}.count`, `the fleet would have ${total} nodes, more than ${MAX_FLEET_NODES}`);
    const id = g.id === undefined ? `${name}-{n}` : v.string(g.id, `${at}.id`);
    if (!ID_RE.test(id.replace(/\{n\}/g, "1"))) throw v.error(`${at}.id`, `expected letters, digits, _ . : - and {n} only, got ${show(id)}`);
    if (count > 1 && !id.includes("{n}")) throw v.error(`${at}.id`, `${count} nodes need {n} in their id (like "${name}-{n}")`);
    for (let n = 1; n <= count; n++) {
      const nodeId = id.replace(/\{n\}/g, String(n));
      const other = ids.get(nodeId);
      if (other !== undefined) throw v.error(`${at}.id`, `node id ${show(nodeId)} is taken by ${other}`);
      ids.set(nodeId, at);
    }
    const nodeDoc = v.object(g.node ?? {}, `${at}.node`, ["accelerometer", "temperature", "config"]);
    const node = parseNode(v, merge((root.node ?? {}) as Record<string, unknown>, nodeDoc), `${at}.node`);
    if (isObject(nodeDoc.config) && nodeDoc.config.nodeId !== undefined) throw v.error(`${at}.node.config.nodeId`, `a group's nodes are named by ${at}.id`);
    const machineDoc = v.object(g.machine ?? {}, `${at}.machine`, undefined);
    const inherited: Record<string, unknown> = { ...(root.machine as Record<string, unknown>) };
    if (machineDoc.thermal !== undefined) delete inherited.temperature_c;
    if (machineDoc.temperature_c !== undefined) delete inherited.thermal;
    const machine = parseMachine(v, merge(inherited, machineDoc), `${at}.machine`, duration, nodeOdr(node));
    const varyDoc = v.object(g.vary ?? {}, `${at}.vary`, undefined);
    const vary = Object.keys(varyDoc).map((path) => {
      const where = `${at}.vary.${path}`;
      const field = checkSetPath(v, path, where, machine);
      const range = v.array(varyDoc[path], where);
      if (range.length !== 2) throw v.error(where, `expected [min, max], got ${range.length} number(s)`);
      const min = v.number(range[0], `${where}[0]`, MACHINE_RANGES[field]);
      const max = v.number(range[1], `${where}[1]`, MACHINE_RANGES[field]);
      if (max < min) throw v.error(`${where}[1]`, `${max} is below the minimum (${min})`);
      if (field === "resonance_hz") checkResonance(v, max, `${where}[1]`, nodeOdr(node));
      return { path, min, max };
    });
    // The top-level events act on every node: their paths must exist on this group's machine too.
    ((root.events ?? []) as { kind?: unknown; path?: string }[]).forEach((e, i) => {
      if (e.kind === "set") checkSetPath(v, e.path!, `events[${i}].path (on ${at}.machine)`, machine);
    });
    const { events, actions } = parseEvents(v, g.events ?? [], `${at}.events`, duration, machine, node);
    actions.forEach((e) => {
      if (e.kind === "fault" && FLEET_WIDE_FAULTS.includes(e.fault)) {
        const i = (g.events as unknown[]).findIndex((x) => (x as { fault?: unknown }).fault === e.fault);
        throw v.error(`${at}.events[${i}].fault`, `${e.fault} acts on the whole fleet: give it in the top-level events`);
      }
    });
    const expect = v.array(g.expect ?? [], `${at}.expect`).map((e, i) => expectation(v, e, `${at}.expect[${i}]`, duration));
    return { name, count, id, node, machine, vary, events, actions, expect };
  });
  return groups;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/**
 * Sets one machine value given by a `set` path (checked by checkSetPath) in a
 * machine description, before the run: a copy with that value.
 */
export function withMachineValue(machine: Scenario["machine"], path: string, value: number): Scenario["machine"] {
  const out = JSON.parse(JSON.stringify(machine)) as Scenario["machine"];
  const parts = path
    .replace(/^machine\./, "")
    .split(/\.|\[|\]\.?/)
    .filter((p) => p !== "");
  let at: Record<string, unknown> = out as unknown as Record<string, unknown>;
  for (const p of parts.slice(0, -1)) at = at[p] as Record<string, unknown>;
  at[parts[parts.length - 1]] = value;
  return out;
}

/** Ranges of the numeric machine and component fields, for the file and for `set` values. */
const MACHINE_RANGES = {
  rpm: { min: 0, max: 100000 },
  rpm_ramp_s: { min: 0, max: 3600 },
  temperature_c: { min: -273, max: 1000 },
  ambient_c: { min: -273, max: 1000 },
  rise_c: { min: -1000, max: 1000 },
  tau_s: { min: 0.001, max: 1e9 },
  initial_c: { min: -273, max: 1000 },
  freq_hz: { min: 0.1, max: 20000 },
  vrms_mm_s: { min: 0, max: 1000 },
  g_rms: { min: 0, max: 100 },
  clip: { min: 0.05, max: 1 },
  severity_g: { min: 0, max: 100 },
  resonance_hz: { min: 1, max: 20000 },
  damping: { min: 0.001, max: 0.9 },
  jitter: { min: 0, max: 0.2 },
  teeth: { min: 1, max: 1000 },
  sidebands: { min: 0, max: 5 },
  balls: { min: 3, max: 200 },
  ball_d_mm: { min: 0.1, max: 1000 },
  pitch_d_mm: { min: 0.1, max: 10000 },
  contact_deg: { min: 0, max: 60 },
} as const;

type RangedField = keyof typeof MACHINE_RANGES;

const AXES = ["x", "y", "z", "all"] as const;

/** Keys allowed per component kind (besides axis and kind). */
const COMPONENT_KEYS: { [K in VibrationComponent["kind"]]: string[] } = {
  sine: ["freq_hz", "vrms_mm_s"],
  noise: ["g_rms"],
  harmonics: ["vrms_mm_s"],
  imbalance: ["vrms_mm_s"],
  misalignment: ["vrms_mm_s"],
  looseness: ["vrms_mm_s", "clip"],
  bearing: ["defect", "severity_g", "bearing", "resonance_hz", "damping", "jitter"],
  gear: ["teeth", "g_rms", "sidebands"],
};

function vibration(v: Reader, doc: unknown, at: string, odr: number): VibrationComponent {
  const kind = v.oneOf((doc as { kind?: unknown })?.kind, `${at}.kind`, VIBRATION_KINDS);
  const c = v.object(doc, at, ["axis", "kind", ...COMPONENT_KEYS[kind]]);
  const axis = v.oneOf(c.axis ?? "all", `${at}.axis`, AXES);
  const num = (field: RangedField) => v.number(c[field], `${at}.${field}`, MACHINE_RANGES[field]);
  const opt = (field: RangedField) => (c[field] === undefined ? undefined : num(field));
  switch (kind) {
    case "sine":
      return { axis, kind, freq_hz: num("freq_hz"), vrms_mm_s: num("vrms_mm_s") };
    case "noise":
      return { axis, kind, g_rms: num("g_rms") };
    case "harmonics": {
      const list = v.array(c.vrms_mm_s, `${at}.vrms_mm_s`);
      if (list.length === 0 || list.length > 100) throw v.error(`${at}.vrms_mm_s`, `expected 1 to 100 velocities (mm/s of 1x, 2x, ...), got ${list.length}`);
      return { axis, kind, vrms_mm_s: list.map((x, k) => v.number(x, `${at}.vrms_mm_s[${k}]`, MACHINE_RANGES.vrms_mm_s)) };
    }
    case "imbalance":
    case "misalignment":
      return { axis, kind, vrms_mm_s: num("vrms_mm_s") } as VibrationComponent;
    case "looseness":
      return withOptional({ axis, kind, vrms_mm_s: num("vrms_mm_s") }, { clip: opt("clip") });
    case "bearing": {
      const out: BearingComponent = {
        axis,
        kind,
        defect: v.oneOf(c.defect, `${at}.defect`, BEARING_DEFECTS),
        severity_g: num("severity_g"),
      };
      if (c.bearing !== undefined) out.bearing = bearingGeometry(v, c.bearing, `${at}.bearing`);
      const resonance = opt("resonance_hz");
      if (resonance !== undefined) checkResonance(v, resonance, `${at}.resonance_hz`, odr);
      return withOptional(out, { resonance_hz: resonance, damping: opt("damping"), jitter: opt("jitter") });
    }
    case "gear": {
      const teeth = v.integer(c.teeth, `${at}.teeth`, MACHINE_RANGES.teeth);
      return withOptional({ axis, kind, teeth, g_rms: num("g_rms") }, { sidebands: opt("sidebands") });
    }
  }
}

/** Copies the defined optional fields onto the component (absent stays absent). */
function withOptional<T extends object>(out: T, optional: Record<string, number | undefined>): T {
  for (const key of Object.keys(optional)) if (optional[key] !== undefined) (out as Record<string, unknown>)[key] = optional[key];
  return out;
}

function bearingGeometry(v: Reader, doc: unknown, at: string): BearingGeometry {
  const b = v.object(doc, at, ["balls", "ball_d_mm", "pitch_d_mm", "contact_deg"]);
  const g = {
    balls: v.integer(b.balls, `${at}.balls`, MACHINE_RANGES.balls),
    ball_d_mm: v.number(b.ball_d_mm, `${at}.ball_d_mm`, MACHINE_RANGES.ball_d_mm),
    pitch_d_mm: v.number(b.pitch_d_mm, `${at}.pitch_d_mm`, MACHINE_RANGES.pitch_d_mm),
    contact_deg: v.number(b.contact_deg ?? 0, `${at}.contact_deg`, MACHINE_RANGES.contact_deg),
  };
  if (g.pitch_d_mm <= g.ball_d_mm) throw v.error(`${at}.pitch_d_mm`, `the pitch diameter (${g.pitch_d_mm} mm) must exceed the ball diameter (${g.ball_d_mm} mm)`);
  return g;
}

/** A resonance at or above the accelerometer's Nyquist frequency would alias: refuse it. */
function checkResonance(v: Reader, hz: number, at: string, odr: number): void {
  if (hz >= odr / 2) throw v.error(at, `${hz} Hz is at or above the accelerometer's Nyquist frequency (${odr / 2} Hz at node.config accelerometer.odr ${odr}); it would alias`);
}

function thermal(v: Reader, doc: unknown, at: string): ThermalModel {
  const o = v.object(doc, at, ["ambient_c", "rise_c", "tau_s", "initial_c"]);
  const model: ThermalModel = {
    ambient_c: v.number(o.ambient_c, `${at}.ambient_c`, MACHINE_RANGES.ambient_c),
    rise_c: v.number(o.rise_c, `${at}.rise_c`, MACHINE_RANGES.rise_c),
    tau_s: v.number(o.tau_s, `${at}.tau_s`, MACHINE_RANGES.tau_s),
  };
  if (o.initial_c !== undefined) model.initial_c = v.number(o.initial_c, `${at}.initial_c`, MACHINE_RANGES.initial_c);
  return model;
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

function event(v: Reader, doc: unknown, at: string, duration: number, machine: Scenario["machine"], odr = 3200, nodeConfig: Record<string, unknown> = {}): SetEvent | ActionEvent {
  const kind = v.oneOf((doc as { kind?: unknown })?.kind, `${at}.kind`, ["set", "fault", "config"] as const);
  const atS = v.number(v.object(doc, at, undefined).at_s, `${at}.at_s`, { min: 0, max: Infinity });
  if (atS > duration) throw v.error(`${at}.at_s`, `${atS} is after the end of the scenario (duration_s ${duration})`);
  if (kind !== "set") return actionEvent(v, doc as Record<string, unknown>, at, atS, duration, nodeConfig);
  const e = v.object(doc, at, ["at_s", "kind", "path", "value"]);
  const path = v.string(e.path, `${at}.path`);
  const value = v.number(e.value, `${at}.value`, { min: -1e9, max: 1e9 });
  const field = checkSetPath(v, path, `${at}.path`, machine);
  const range = MACHINE_RANGES[field];
  if (value < range.min || value > range.max) throw v.error(`${at}.value`, `${value} is out of range ${range.min}..${range.max} for ${path}`);
  if (field === "resonance_hz") checkResonance(v, value, `${at}.value`, odr);
  return { at_s: atS, kind, path, value };
}

/**
 * A `set` path names one numeric field of the machine: `machine.rpm`,
 * `machine.rpm_ramp_s`, `machine.temperature_c`, `machine.thermal.<field>`,
 * `machine.vibration[i].<field>` or `machine.vibration[i].<field>[k]`
 * (the fields of SETTABLE_FIELDS). Returns the field's name.
 */
export function checkSetPath(v: Reader, path: string, at: string, machine: Scenario["machine"]): RangedField {
  if (path === "machine.rpm" || path === "machine.rpm_ramp_s") return path.slice(8) as RangedField;
  if (path === "machine.temperature_c") {
    if (machine.thermal) throw v.error(at, "this machine has a thermal model (machine.thermal): set machine.thermal.ambient_c, rise_c or tau_s instead");
    return "temperature_c";
  }
  const t = /^machine\.thermal\.([a-z_]+)$/.exec(path);
  if (t) {
    if (!machine.thermal) throw v.error(at, "this machine has no thermal model (machine.thermal)");
    if (!THERMAL_FIELDS.includes(t[1])) throw v.error(at, `machine.thermal has no settable field ${t[1]} (use ${THERMAL_FIELDS.join(", ")})`);
    return t[1] as RangedField;
  }
  const m = /^machine\.vibration\[(\d+)\]\.([a-z0-9_]+)(?:\[(\d+)\])?$/.exec(path);
  if (!m) throw v.error(at, `unknown path ${show(path)} (use machine.rpm, machine.rpm_ramp_s, machine.temperature_c, machine.thermal.<field> or machine.vibration[i].<field>)`);
  const component = machine.vibration[Number(m[1])];
  if (!component) throw v.error(at, `machine.vibration has no element ${m[1]}`);
  const settable = SETTABLE_FIELDS[component.kind];
  const field = m[2] as RangedField;
  if (m[3] !== undefined) {
    if (!settable.includes(`${field}[]`)) throw v.error(at, `machine.vibration[${m[1]}] (${component.kind}) has no list field ${field}`);
    const list = (component as unknown as Record<string, unknown>)[field] as unknown[];
    if (Number(m[3]) >= list.length) throw v.error(at, `machine.vibration[${m[1]}].${field} has no element ${m[3]}`);
    return field;
  }
  if (!settable.includes(field)) {
    const hint = settable.length ? ` (settable: ${settable.map((f) => f.replace("[]", "[k]")).join(", ")})` : "";
    throw v.error(at, `machine.vibration[${m[1]}] (${component.kind}) has no field ${m[2]}${hint}`);
  }
  return field;
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
