/*
 * Node configuration: defaults, merge of a partial document, and validation.
 * Every error names the field, so a bad file or command says exactly what is wrong.
 */
import { DEFAULT_MONITOR, Monitor, type MonitorConfig } from "../monitor/monitor.js";
import { RuleError } from "../monitor/rules.js";
import { isKnownMetric } from "../monitor/metrics.js";
import { DEFAULT_MACHINE_CLASS, type Foundation, type MachineGroup } from "../monitor/iso.js";
import { OVERLAP_MAX, OVERLAP_STEP } from "../acquisition/acquirer.js";
import { BEARINGS, geometryProblem, ordersProblem, type BearingGeometry, type BearingSpec, type DefectOrders } from "../dsp/bearing-geometry.js";

export interface MqttConfig {
  host: string;
  port: number;
  secure: boolean;
  username?: string;
  password?: string;
  /**
   * TLS material for hosts that load it from files (the Node simulator host);
   * ignored by the firmware itself. On the device, certificates come from the
   * Moddable manifest's resources (docs/security.md).
   */
  tls?: MqttTlsFiles;
  /** Seconds; 0 disables keepalive. */
  keepalive: number;
  cleanSession: boolean;
  /** 4 = MQTT 3.1.1, 5 = MQTT 5.0 (docs/mqtt.md). */
  version: 4 | 5;
  /** MQTT 5 with cleanSession false: Session Expiry Interval in seconds (0: the session ends with the connection). */
  sessionExpiryS: number;
  /** Topic prefix: `<prefix>/<nodeId>/...`. */
  prefix: string;
}

export interface MqttTlsFiles {
  /** PEM file of the CA(s) to verify the broker with (default: the host's trust store). */
  caFile?: string;
  /** PEM client certificate and key, for brokers that require one (mTLS). */
  certFile?: string;
  keyFile?: string;
  /** Name to check the broker's certificate against (default: mqtt.host). */
  servername?: string;
}

export interface AccelerometerConfig {
  /** "auto": the first accelerometer the bus scan finds; "hil": sample frames over MQTT (docs/hil.md). */
  kind: "auto" | "adxl345" | "lis3dh" | "adxl355" | "hil";
  /** 0: the part's default addresses (scanned). */
  address: number;
  /** Output data rate in Hz (the driver picks the nearest supported rate). */
  odr: number;
  rangeG: number;
}

export interface TemperatureConfig {
  /** "auto": the first temperature sensor the bus scan finds. */
  kind: "auto" | "tmp117" | "sht3x" | "mcp9808";
  /** 0: the part's default addresses (scanned). */
  address: number;
}

export interface NodeConfig {
  /** Empty: derived from the host's hardware id. */
  nodeId: string;
  mqtt: MqttConfig;
  accelerometer: AccelerometerConfig;
  temperature: TemperatureConfig;
  /** Samples per analysis window (power of two); overlap: the share of a window repeated at the start of the next (0..0.75 in eighths). */
  window: { n: number; overlap: number };
  /**
   * Continuous sampling, or a duty cycle that captures `captureS` every `periodS`
   * (less bus and CPU; windows never span a gap). On FIFO overrun a window is
   * restarted (default) or kept with the loss flagged.
   */
  /** ringMs: the FIFO sampler's ring, ms of samples (docs/configuration.md; unused without a sampler); absent: by mode, samplerRingMs. */
  acquisition: { mode: "continuous" | "duty"; captureS: number; periodS: number; overrun: "restart" | "flag"; ringMs?: number };
  /** Feature band for vRms in Hz (ISO 10816/20816: 10-1000). */
  band: { lowHz: number; highHz: number };
  /** Running speed in rpm when known (0: unknown; enables order bands); ISO 10816-3 class (the default zone rules, docs/monitoring.md). */
  machine: { rpm: number; group: MachineGroup; foundation: Foundation; bearing?: BearingSpec };
  /** Envelope analysis (bearing diagnostics, docs/measurement.md): on when this or machine.bearing is given; bandHz: the band-pass (default 0.3 .. 0.9 x ODR/2). */
  envelope?: { bandHz?: [number, number] };
  monitor: MonitorSettings;
  telemetry: TelemetryConfig;
  /** Home Assistant MQTT discovery. */
  homeassistant: { enabled: boolean; prefix: string };
  /** What the node publishes: JSON schema v1 (docs/payloads.md) or Sparkplug B (docs/sparkplug.md). */
  payload: "json" | "sparkplug";
  /** Sparkplug group; the edge node id is the node id, the sensor is device "sensor". */
  sparkplug: { groupId: string; primaryHostId: string };
  /** Updates over the air (docs/ota.md): seconds a new image has to reach the broker before the previous one boots again. */
  ota: { confirmS: number };
}

export interface BaselineSettings {
  enabled: boolean;
  metrics: string[];
  learnS: number;
  warning: number;
  alarm: number;
  minSigma: number;
  onDelay: number;
}

export interface MonitorSettings extends MonitorConfig {
  baseline: BaselineSettings;
}

export interface TelemetryConfig {
  /** Publish a window's telemetry only if some value moved by more than this percentage (0: every window). */
  deadbandPct: number;
  /** With a deadband, publish at least this often anyway (seconds). */
  maxSilenceS: number;
}

/** Never modified (resolveConfig copies it); preloaded on Moddable, so read-only in flash there. */
export const DEFAULT_CONFIG: NodeConfig = {
  nodeId: "",
  mqtt: { host: "127.0.0.1", port: 1883, secure: false, keepalive: 30, cleanSession: true, version: 4, sessionExpiryS: 0, prefix: "sensors" },
  accelerometer: { kind: "auto", address: 0, odr: 3200, rangeG: 4 },
  temperature: { kind: "auto", address: 0 },
  window: { n: 4096, overlap: 0 },
  acquisition: { mode: "continuous", captureS: 5, periodS: 60, overrun: "restart" },
  band: { lowHz: 10, highHz: 1000 },
  machine: { rpm: 0, ...DEFAULT_MACHINE_CLASS },
  monitor: {
    ...DEFAULT_MONITOR,
    // On by default: a doubling of the machine's own vibration crosses 1.5 x the learned mean even over the sensor's noise (docs/decisions.md).
    baseline: { enabled: true, metrics: ["x.vRms", "y.vRms", "z.vRms"], learnS: 3600, warning: 1.5, alarm: 3, minSigma: 3, onDelay: 2 },
  },
  telemetry: { deadbandPct: 0, maxSilenceS: 60 },
  homeassistant: { enabled: false, prefix: "homeassistant" },
  payload: "json",
  sparkplug: { groupId: "sensors", primaryHostId: "" },
  ota: { confirmS: 300 },
};

export class ConfigError extends Error {
  constructor(readonly field: string, problem: string) {
    super(`config.${field}: ${problem}`);
    this.name = "ConfigError";
  }
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Bearing diagnostics (envelope, speed, defect bands) are on: the config names a bearing or an envelope band. */
export function bearingDiagnostics(c: NodeConfig): boolean {
  return c.machine.bearing !== undefined || c.envelope !== undefined;
}

/** The FIFO sampler's ring when acquisition.ringMs is not set, ms: 1.25 x a window's features of n 4096 on the ESP32 estimate fit (docs/decisions.md 21). */
export const DEFAULT_RING_MS = 500;
/** The same with bearing diagnostics, whose envelope makes a window's work longer (docs/decisions.md 67). */
export const BEARING_RING_MS = 750;

/** The FIFO sampler's ring, ms of samples: acquisition.ringMs as set, else the default for the node's mode. */
export function samplerRingMs(c: NodeConfig): number {
  return c.acquisition.ringMs ?? (bearingDiagnostics(c) ? BEARING_RING_MS : DEFAULT_RING_MS);
}

/** Deep-merges `partial` over the defaults and validates the result. Throws ConfigError. */
export function resolveConfig(partial: unknown, base: NodeConfig = DEFAULT_CONFIG): NodeConfig {
  const merged = merge(base as unknown as Json, upgradeLegacy(partial) as Json, "") as unknown as NodeConfig;
  validate(merged);
  return merged;
}

/**
 * Configs written before the machine class moved to `machine` stay valid:
 * `monitor.iso: {group, foundation}` is `machine.group`/`machine.foundation`
 * with `monitor.iso: true`, and `monitor.iso: null` is `false`. A class given
 * both ways must agree.
 */
function upgradeLegacy(partial: unknown): unknown {
  const monitor = isObject(partial) ? partial.monitor : undefined;
  const iso = isObject(monitor) ? monitor.iso : undefined;
  if (iso === null) return { ...(partial as object), monitor: { ...(monitor as object), iso: false } };
  if (!isObject(iso)) return partial;
  const doc = partial as { [key: string]: Json };
  const machine: { [key: string]: Json } = isObject(doc.machine) ? { ...doc.machine } : {};
  for (const key of Object.keys(iso)) {
    if (key !== "group" && key !== "foundation") throw unknownKey(`monitor.iso.${key}`, ["group", "foundation"]);
    if (key === "group") oneOf(iso[key], "monitor.iso.group", [1, 2]);
    else oneOf(iso[key], "monitor.iso.foundation", ["rigid", "flexible"]);
    if (machine[key] !== undefined && machine[key] !== iso[key]) {
      throw new ConfigError(`monitor.iso.${key}`, `${describe(iso[key])} conflicts with machine.${key} ${describe(machine[key])}: set the machine class in machine.group and machine.foundation only (monitor.iso is true or false)`);
    }
    machine[key] = iso[key];
  }
  return { ...doc, machine, monitor: { ...(monitor as object), iso: true } };
}

function merge(base: Json, over: Json, path: string): Json {
  if (over === undefined) return clone(base);
  if (isObject(base)) {
    if (!isObject(over)) throw new ConfigError(path || "(root)", `expected an object, got ${describe(over)}`);
    const out: { [key: string]: Json } = {};
    for (const key of Object.keys(base)) out[key] = merge(base[key], over[key], join(path, key));
    for (const key of Object.keys(over)) {
      if (!(key in base) && !OPTIONAL_KEYS.includes(join(path, key))) {
        const optional = OPTIONAL_KEYS.map((k) => k.slice(k.lastIndexOf(".") + 1)).filter((k) => OPTIONAL_KEYS.includes(join(path, k)));
        throw unknownKey(join(path, key), [...Object.keys(base), ...optional]);
      }
      if (!(key in base)) out[key] = clone(over[key]);
    }
    return out;
  }
  return clone(over);
}

/** The error for a key the configuration does not have, with the keys it has there (built only on this path). */
function unknownKey(field: string, allowed: readonly string[]): ConfigError {
  return new ConfigError(field, `unknown key (allowed here: ${allowed.join(", ")})`);
}

/** Keys a document may add that the defaults do not have. */
const OPTIONAL_KEYS = Object.freeze(["mqtt.username", "mqtt.password", "mqtt.tls", "acquisition.ringMs", "machine.bearing", "envelope"]);
const GEOMETRY_KEYS = Object.freeze(["balls", "ball_d_mm", "pitch_d_mm", "contact_deg"]);
const ORDER_KEYS = Object.freeze(["bpfo", "bpfi", "bsf", "ftf"]);
const TLS_KEYS = Object.freeze(["caFile", "certFile", "keyFile", "servername"]);

/** A node id: one topic level of 1-64 of A-Z a-z 0-9 _ - (tools that address nodes check ids with it too). */
export function isNodeId(id: string): boolean {
  return /^[A-Za-z0-9_-]{1,64}$/.test(id);
}

/** A topic prefix: non-empty, no wildcards, no trailing '/'. */
export function isTopicPrefix(prefix: string): boolean {
  return /^[^#+\u0000]+$/.test(prefix) && !prefix.endsWith("/");
}

function validate(c: NodeConfig): void {
  str(c.nodeId, "nodeId");
  if (c.nodeId !== "" && !isNodeId(c.nodeId)) throw new ConfigError("nodeId", "use 1-64 of A-Z a-z 0-9 _ -");
  str(c.mqtt.host, "mqtt.host");
  if (c.mqtt.host === "") throw new ConfigError("mqtt.host", "must not be empty");
  int(c.mqtt.port, "mqtt.port", 1, 65535);
  bool(c.mqtt.secure, "mqtt.secure");
  int(c.mqtt.keepalive, "mqtt.keepalive", 0, 65535);
  bool(c.mqtt.cleanSession, "mqtt.cleanSession");
  oneOf(c.mqtt.version, "mqtt.version", [4, 5]);
  int(c.mqtt.sessionExpiryS, "mqtt.sessionExpiryS", 0, 0xffffffff);
  str(c.mqtt.prefix, "mqtt.prefix");
  if (!isTopicPrefix(c.mqtt.prefix)) {
    throw new ConfigError("mqtt.prefix", "must be a non-empty topic without wildcards or a trailing '/'");
  }
  if (c.mqtt.username !== undefined) str(c.mqtt.username, "mqtt.username");
  if (c.mqtt.password !== undefined) str(c.mqtt.password, "mqtt.password");
  if (c.mqtt.tls !== undefined) {
    const tls = c.mqtt.tls as unknown;
    if (!isObject(tls)) throw new ConfigError("mqtt.tls", `expected an object {caFile, certFile, keyFile, servername}, got ${describe(tls)}`);
    for (const key of Object.keys(tls)) {
      if (!TLS_KEYS.includes(key)) throw unknownKey(`mqtt.tls.${key}`, TLS_KEYS);
      str(tls[key], `mqtt.tls.${key}`);
      if (tls[key] === "") throw new ConfigError(`mqtt.tls.${key}`, "must not be empty");
    }
    if ((tls.certFile === undefined) !== (tls.keyFile === undefined)) throw new ConfigError("mqtt.tls", "certFile and keyFile go together");
  }
  oneOf(c.accelerometer.kind, "accelerometer.kind", ["auto", "adxl345", "lis3dh", "adxl355", "hil"]);
  address(c.accelerometer.address, "accelerometer.address");
  num(c.accelerometer.odr, "accelerometer.odr", 0.1, 5376);
  oneOf(c.accelerometer.rangeG, "accelerometer.rangeG", [2, 4, 8, 16]);
  oneOf(c.temperature.kind, "temperature.kind", ["auto", "tmp117", "sht3x", "mcp9808"]);
  address(c.temperature.address, "temperature.address");
  int(c.window.n, "window.n", 256, 16384);
  if ((c.window.n & (c.window.n - 1)) !== 0) throw new ConfigError("window.n", "must be a power of two");
  num(c.window.overlap, "window.overlap", 0, OVERLAP_MAX);
  if (c.window.overlap % OVERLAP_STEP !== 0) throw new ConfigError("window.overlap", `${c.window.overlap} is not a multiple of ${OVERLAP_STEP} (0, 0.25, 0.5, 0.75 ...)`);
  oneOf(c.acquisition.mode, "acquisition.mode", ["continuous", "duty"]);
  num(c.acquisition.captureS, "acquisition.captureS", 0.01, 86400);
  num(c.acquisition.periodS, "acquisition.periodS", 0.01, 86400);
  if (c.acquisition.captureS > c.acquisition.periodS) throw new ConfigError("acquisition.captureS", `must not exceed acquisition.periodS (${c.acquisition.periodS})`);
  oneOf(c.acquisition.overrun, "acquisition.overrun", ["restart", "flag"]);
  if (c.acquisition.ringMs !== undefined) num(c.acquisition.ringMs, "acquisition.ringMs", 20, 5000);
  num(c.band.lowHz, "band.lowHz", 0.5, 10000);
  num(c.band.highHz, "band.highHz", 1, 10000);
  if (c.band.highHz <= c.band.lowHz) throw new ConfigError("band.highHz", "must be above band.lowHz");
  num(c.machine.rpm, "machine.rpm", 0, 100000);
  oneOf(c.machine.group, "machine.group", [1, 2]);
  oneOf(c.machine.foundation, "machine.foundation", ["rigid", "flexible"]);
  if (c.machine.bearing !== undefined) validateBearing(c.machine.bearing);
  if (c.envelope !== undefined) validateEnvelope(c.envelope, c.accelerometer.odr);
  num(c.telemetry.deadbandPct, "telemetry.deadbandPct", 0, 100);
  num(c.telemetry.maxSilenceS, "telemetry.maxSilenceS", 1, 86400);
  // At least a Wi-Fi join, a broker backoff and a TLS handshake; at most an hour on probation.
  num(c.ota.confirmS, "ota.confirmS", 30, 3600);
  validateMonitor(c.monitor, c.machine);
  oneOf(c.payload, "payload", ["json", "sparkplug"]);
  str(c.sparkplug.groupId, "sparkplug.groupId");
  if (!/^[^/+#\u0000]{1,64}$/.test(c.sparkplug.groupId)) throw new ConfigError("sparkplug.groupId", "1-64 characters, none of / + #");
  str(c.sparkplug.primaryHostId, "sparkplug.primaryHostId");
  if (/[/+#]/.test(c.sparkplug.primaryHostId)) throw new ConfigError("sparkplug.primaryHostId", "must not contain / + #");
  // Sparkplug 3.0, "Edge Node Session Establishment": every client uses clean sessions; a resumed one would not get the host's retained STATE again.
  if (c.payload === "sparkplug" && !c.mqtt.cleanSession) throw new ConfigError("mqtt.cleanSession", "must be true with payload sparkplug (Sparkplug B uses clean sessions)");
  bool(c.homeassistant.enabled, "homeassistant.enabled");
  str(c.homeassistant.prefix, "homeassistant.prefix");
  if (!/^[A-Za-z0-9_/-]+$/.test(c.homeassistant.prefix) || c.homeassistant.prefix.endsWith("/")) throw new ConfigError("homeassistant.prefix", "must be a topic prefix without wildcards or a trailing '/'");
}

function validateMonitor(m: MonitorSettings, machine: NodeConfig["machine"]): void {
  if (!Array.isArray(m.rules)) throw new ConfigError("monitor.rules", `expected an array, got ${describe(m.rules)}`);
  bool(m.iso, "monitor.iso");
  num(m.running.thresholdMmS, "monitor.running.thresholdMmS", 0, 1000);
  num(m.running.graceS, "monitor.running.graceS", 0, 86400);
  int(m.isoOnDelay, "monitor.isoOnDelay", 1, 1000);
  const b = m.baseline;
  bool(b.enabled, "monitor.baseline.enabled");
  if (!Array.isArray(b.metrics)) throw new ConfigError("monitor.baseline.metrics", `expected an array, got ${describe(b.metrics)}`);
  b.metrics.forEach((metric, i) => {
    if (typeof metric !== "string" || !isKnownMetric(metric)) throw new ConfigError(`monitor.baseline.metrics[${i}]`, `unknown metric ${describe(metric)}`);
  });
  num(b.learnS, "monitor.baseline.learnS", 1, 365 * 86400);
  num(b.warning, "monitor.baseline.warning", 1, 1000);
  num(b.alarm, "monitor.baseline.alarm", 1, 1000);
  if (b.alarm <= b.warning) throw new ConfigError("monitor.baseline.alarm", `must be above monitor.baseline.warning (${b.warning})`);
  num(b.minSigma, "monitor.baseline.minSigma", 0, 100);
  int(b.onDelay, "monitor.baseline.onDelay", 1, 1000);
  try {
    new Monitor(m, isKnownMetric, 0, machine);
  } catch (error) {
    if (error instanceof RuleError) throw new ConfigError(error.field, error.message.slice(error.field.length + 2));
    throw error;
  }
}

function validateBearing(b: unknown): void {
  const forms = "{balls, ball_d_mm, pitch_d_mm, contact_deg} or the defect orders {bpfo, bpfi, bsf, ftf}";
  if (typeof b === "string") {
    if (!(b in BEARINGS)) throw new ConfigError("machine.bearing", `unknown designation ${describe(b)} (known: ${Object.keys(BEARINGS).join(", ")}; or give ${forms})`);
    return;
  }
  if (!isObject(b)) throw new ConfigError("machine.bearing", `expected a designation, ${forms}, got ${describe(b)}`);
  // the form is the one the first key belongs to: a stray key then names the form's keys
  const keys = ORDER_KEYS.includes(Object.keys(b)[0]) ? ORDER_KEYS : GEOMETRY_KEYS;
  for (const key of Object.keys(b)) if (!keys.includes(key)) throw unknownKey(`machine.bearing.${key}`, keys);
  for (const key of keys) if (typeof b[key] !== "number") throw new ConfigError(`machine.bearing.${key}`, `expected a number, got ${describe(b[key])}`);
  const problem = keys === ORDER_KEYS ? ordersProblem(b as unknown as DefectOrders) : geometryProblem(b as unknown as BearingGeometry);
  if (problem) throw new ConfigError(`machine.bearing.${problem.slice(0, problem.indexOf(":"))}`, problem.slice(problem.indexOf(":") + 2));
}

function validateEnvelope(e: unknown, odr: number): void {
  if (!isObject(e)) throw new ConfigError("envelope", `expected an object {bandHz}, got ${describe(e)}`);
  for (const key of Object.keys(e)) if (key !== "bandHz") throw unknownKey(`envelope.${key}`, ["bandHz"]);
  const band = e.bandHz;
  if (band === undefined) return;
  if (!Array.isArray(band) || band.length !== 2 || typeof band[0] !== "number" || typeof band[1] !== "number") throw new ConfigError("envelope.bandHz", `expected [low, high] in Hz, got ${describe(band)}`);
  if (!(band[0] > 0 && band[1] > band[0] && band[1] < odr / 2)) throw new ConfigError("envelope.bandHz", `[${band[0]}, ${band[1]}] must rise and lie inside 0..${odr / 2} Hz (half the ODR)`);
}

function address(v: unknown, field: string): void {
  int(v, field, 0, 0x77);
  if ((v as number) !== 0 && (v as number) < 0x08) throw new ConfigError(field, `0x${(v as number).toString(16)} is a reserved I2C address (use 0x08..0x77, or 0 to scan)`);
}

function str(v: unknown, field: string): void {
  if (typeof v !== "string") throw new ConfigError(field, `expected a string, got ${describe(v)}`);
}
function bool(v: unknown, field: string): void {
  if (typeof v !== "boolean") throw new ConfigError(field, `expected true or false, got ${describe(v)}`);
}
function num(v: unknown, field: string, min: number, max: number): void {
  if (typeof v !== "number" || !Number.isFinite(v)) throw new ConfigError(field, `expected a number, got ${describe(v)}`);
  if (v < min || v > max) throw new ConfigError(field, `${v} is out of range ${min}..${max}`);
}
function int(v: unknown, field: string, min: number, max: number): void {
  num(v, field, min, max);
  if (!Number.isInteger(v)) throw new ConfigError(field, `expected an integer, got ${v}`);
}
function oneOf<T>(v: unknown, field: string, allowed: readonly T[]): void {
  if (!allowed.includes(v as T)) throw new ConfigError(field, `expected one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}, got ${describe(v)}`);
}

function isObject(v: unknown): v is { [key: string]: Json } {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
/**
 * A deep copy as JSON would make it (undefined members dropped), without JSON: on
 * Moddable, DEFAULT_CONFIG is preloaded into flash, and XS's JSON.stringify throws
 * "read only value" on any object in flash (it marks the objects it visits).
 */
function clone(v: Json): Json {
  if (typeof v !== "object" || v === null) return v;
  if (Array.isArray(v)) return v.map((e) => (e === undefined ? null : clone(e)));
  const out: { [key: string]: Json } = {};
  for (const key of Object.keys(v)) if (v[key] !== undefined) out[key] = clone(v[key]);
  return out;
}
function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}
function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "string") return JSON.stringify(v.length > 40 ? v.slice(0, 40) + "..." : v);
  if (typeof v === "object") return "an object";
  return String(v);
}

/**
 * Merges partial document `over` onto partial document `base`: objects merge
 * key by key, anything else (numbers, strings, arrays such as rule lists) is
 * replaced. Neither input is modified.
 */
export function mergePartial(base: unknown, over: unknown): unknown {
  if (over === undefined) return clone(base as Json);
  if (!isObject(base) || !isObject(over)) return clone(over as Json);
  const out: { [key: string]: Json } = clone(base) as { [key: string]: Json };
  for (const key of Object.keys(over)) out[key] = mergePartial(base[key], over[key]) as Json;
  return out;
}

/** Top-level sections whose change can be applied to a running node without a restart. */
export const LIVE_SECTIONS = Object.freeze(["monitor", "telemetry", "machine", "homeassistant"] as const);

/** Names of the top-level sections that differ between two configs (either may have an optional one, `envelope`, the other lacks). */
export function changedSections(a: NodeConfig, b: NodeConfig): string[] {
  const keys = Object.keys(a) as (keyof NodeConfig)[];
  for (const k of Object.keys(b) as (keyof NodeConfig)[]) if (!keys.includes(k)) keys.push(k);
  return keys.filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
}
