/*
 * From a telemetry payload (JSON schema v1, docs/payloads.md), or a Sparkplug B
 * metric's name (docs/sparkplug.md), to the variables under a node's object:
 * each reading goes into its folder of BrowseNames with its value and, when
 * the gateway knows them, its unit and range (units.ts). Fields the gateway
 * does not know (a newer firmware's) are served too, under the payload's own
 * names: nothing in the payload is dropped for being new.
 */
import { AXIS_QUANTITIES, ENVELOPE_QUANTITIES, NODE_QUANTITIES, UNITS, type Quantity } from "./units.js";

export type ReadingValue = number | string | boolean;

/**
 * Where a payload's readings go, folder by folder of BrowseNames from the
 * node's object down (e.g. folder("Vibration").folder("X").value("vRms", ...)):
 * the address space, without a path built per reading.
 */
export interface ReadingSink {
  folder(name: string): ReadingSink;
  /** A reading; `quantity` when the gateway knows its unit and range (an AnalogItemType; otherwise a DataItemType). */
  value(name: string, value: ReadingValue, quantity?: Quantity): void;
}

/** Envelope fields live one level below the axis, under the payload's name. */
const ENVELOPE_KEY = "env";
/** Deepest nesting served for unknown objects (a payload is data, not a tree to walk forever). */
const MAX_DEPTH = 4;
/** Envelope fields the gateway reads itself (not readings). */
const ENVELOPE_FIELDS = new Set(["v", "ts"]);

/** Top-level fields with a name of their own in the address space. */
const NAMED = Object.freeze({ state: "State", boot: "Boot", seq: "Seq", runHours: "RunHours", running: "Running", faults: "Faults" } as Record<string, string>);

/** Leaf names whose unit is plain whatever their place (e.g. a `speed` object's `rpm`). */
const LEAF_QUANTITIES: Readonly<Record<string, Quantity>> = Object.freeze({ rpm: { name: "speed", unit: UNITS.rpm, range: { low: 0, high: 100_000 } } });

const AXES = Object.freeze({ x: "X", y: "Y", z: "Z" } as Record<string, string>);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isScalar = (v: unknown): v is ReadingValue => (typeof v === "number" && Number.isFinite(v)) || typeof v === "string" || typeof v === "boolean";

/** The readings of one telemetry payload, in payload order, into `sink`. */
export function telemetryReadings(payload: Record<string, unknown>, sink: ReadingSink): void {
  for (const key in payload) {
    const value = payload[key];
    if (ENVELOPE_FIELDS.has(key)) continue;
    if (key === "vib" && isObject(value)) vibration(value, sink.folder("Vibration"));
    else if (key === "temp" && isObject(value)) leaf(sink, "Temperature", value.c, NODE_QUANTITIES.temperature);
    else if (key === "humidity" && isObject(value)) leaf(sink, "Humidity", value.rh, NODE_QUANTITIES.humidity);
    else if (key === "outbox" && isObject(value)) generic(sink, "Outbox", value, 1);
    else if (key === "faults" && Array.isArray(value)) sink.value("Faults", JSON.stringify(value));
    else if (key === "runHours") leaf(sink, "RunHours", value, NODE_QUANTITIES.runHours);
    else generic(sink, NAMED[key] ?? key, value, 1);
  }
}

function vibration(vib: Record<string, unknown>, sink: ReadingSink): void {
  for (const key in vib) {
    const value = vib[key];
    const axis = AXES[key];
    if (axis && isObject(value)) {
      const folder = sink.folder(axis);
      for (const name in value) {
        const v = value[name];
        if (name === ENVELOPE_KEY && isObject(v)) {
          const env = folder.folder(ENVELOPE_KEY);
          for (const e in v) leaf(env, e, v[e], ENVELOPE_QUANTITIES[e]);
        } else generic(folder, name, v, 3, AXIS_QUANTITIES[name]);
      }
    } else generic(sink, key, value, 2, key === "odr" ? NODE_QUANTITIES.odr : undefined);
  }
}

function leaf(sink: ReadingSink, name: string, value: unknown, quantity?: Quantity): void {
  if (isScalar(value)) sink.value(name, value, typeof value === "number" ? quantity : undefined);
}

/** A scalar as one reading, an object as a folder of readings (bounded depth); arrays as JSON text. */
function generic(sink: ReadingSink, name: string, value: unknown, depth: number, quantity?: Quantity): void {
  if (isScalar(value)) return leaf(sink, name, value, quantity ?? LEAF_QUANTITIES[name]);
  if (Array.isArray(value)) return sink.value(name, JSON.stringify(value));
  if (!isObject(value) || depth >= MAX_DEPTH) return;
  const folder = sink.folder(name);
  for (const k in value) generic(folder, k, value[k], depth + 1);
}

/** Sparkplug B metric names the gateway maps itself (firmware/sparkplug/sensor-metrics.ts, docs/sparkplug.md), as their JSON fields are. */
const SPARKPLUG_NAMED: Readonly<Record<string, { path: string[]; quantity?: Quantity }>> = Object.freeze({
  "Properties/Firmware": { path: ["Firmware"] },
  "Properties/Boot": { path: ["Boot"] },
  State: { path: ["State"] },
  Faults: { path: ["Faults"] },
  "Vibration/ODR": { path: ["Vibration", "odr"], quantity: NODE_QUANTITIES.odr },
  "Vibration/Samples": { path: ["Vibration", "n"] },
  "Vibration/Lost": { path: ["Vibration", "lost"] },
  "Temperature/C": { path: ["Temperature"], quantity: NODE_QUANTITIES.temperature },
  "Running/Active": { path: ["Running"] },
  "Running/Hours": { path: ["RunHours"], quantity: NODE_QUANTITIES.runHours },
  "Speed/RPM": { path: ["speed", "rpm"], quantity: LEAF_QUANTITIES.rpm },
  "Speed/Confidence": { path: ["speed", "confidence"] },
  "Speed/Source": { path: ["speed", "source"] },
});

/**
 * The variable of a Sparkplug B metric: the same as its JSON field's
 * (`Vibration/x/vRms` is `vib.x.vRms`, `Temperature/C` is `temp.c`), a metric
 * the gateway does not know under its own name ("/" makes folders), and
 * undefined for the session's own metrics (`bdSeq`, `Node Control/...`).
 */
export function sparkplugMetric(name: string): { path: string[]; quantity?: Quantity } | undefined {
  if (name === "bdSeq" || name.startsWith("Node Control/")) return undefined;
  const named = SPARKPLUG_NAMED[name];
  if (named) return named;
  const parts = name.split("/");
  const axis = parts[0] === "Vibration" ? AXES[parts[1]] : undefined;
  if (axis && parts.length === 3) return { path: ["Vibration", axis, parts[2]], quantity: AXIS_QUANTITIES[parts[2]] };
  if (axis && parts.length === 4 && parts[2] === ENVELOPE_KEY) return { path: ["Vibration", axis, ENVELOPE_KEY, parts[3]], quantity: ENVELOPE_QUANTITIES[parts[3]] };
  return { path: parts };
}

/** Sparkplug's `Faults` text (`sensor:reason,...`) as the JSON payload's `faults` (docs/payloads.md), without `detail`. */
export function sparkplugFaults(text: string): string {
  const faults = text.split(",").filter(Boolean).map((f) => {
    const i = f.indexOf(":");
    return i < 0 ? { sensor: f, reason: "" } : { sensor: f.slice(0, i), reason: f.slice(i + 1) };
  });
  return JSON.stringify(faults);
}

/**
 * The variable an alarm's metric watches (`x.vRms`, `x.vRms.rate`, `temp.c`,
 * `humidity.rh`, `x.env.rms`): its path, or undefined for metrics that are no
 * variable (`sensor.<part>` faults).
 */
export function metricPath(metric: string): string[] | undefined {
  const parts = metric.split(".");
  if (parts[parts.length - 1] === "rate") parts.pop();
  if (parts[0] === "temp" && parts[1] === "c") return ["Temperature"];
  if (parts[0] === "humidity" && parts[1] === "rh") return ["Humidity"];
  const axis = AXES[parts[0]];
  if (axis && parts.length >= 2) return ["Vibration", axis, ...parts.slice(1)];
  return undefined;
}

/** The unit and range of the variable at `path` (a metric's input variable created before its first telemetry). */
export function quantityOf(path: string[]): Quantity | undefined {
  if (path[0] === "Temperature") return NODE_QUANTITIES.temperature;
  if (path[0] === "Humidity") return NODE_QUANTITIES.humidity;
  if (path[0] === "Vibration" && path.length === 3) return AXIS_QUANTITIES[path[2]];
  if (path[0] === "Vibration" && path[2] === ENVELOPE_KEY) return ENVELOPE_QUANTITIES[path[3]];
  return undefined;
}
