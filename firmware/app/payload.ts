/*
 * Payload schema v1 (docs/payloads.md): telemetry, alarm and status messages.
 * Numbers are rounded to what the sensors can resolve, so payloads stay short
 * and Node and XS runs print the same bytes.
 */
import type { AxisFeatures } from "../dsp/features.js";
import type { Transition } from "../monitor/state.js";
import type { SpeedEstimate } from "../dsp/speed.js";
import { ENVELOPE_FEATURES } from "../monitor/metrics.js";
import type { OtaReport } from "../ota/agent.js";

export const SCHEMA_VERSION = 1;

export type Level = "normal" | "warning" | "alarm" | "fault";

export interface Fault {
  /** Which part failed: "accelerometer", "temperature", "bus". */
  sensor: string;
  /** Machine-readable reason: "absent", "nack", "wrong-id", "bus-stuck", "overrun", "invalid-data", "error". */
  reason: string;
  /** Human-readable detail (the driver's error message). */
  detail: string;
}

export interface Envelope {
  boot: number;
  seq: number;
  /** Wall time in ms since the epoch; omitted while the clock is not set. */
  ts: number | undefined;
}

export interface VibrationSummary {
  odr: number;
  n: number;
  lost: number;
  x: AxisFeatures;
  y: AxisFeatures;
  z: AxisFeatures;
  /** ISO 10816-3 zone per axis, when zones are configured. */
  zones?: Record<string, string>;
  /** Running speed, with bearing diagnostics on. */
  speed?: SpeedEstimate;
}

/** Store-and-forward state (docs/outbox.md): messages waiting for a PUBACK, drops by the bound policy and refusals by the server (cumulative). */
export interface OutboxInfo {
  queued: number;
  dropped: number;
  rejected: number;
}

export interface RunningInfo {
  running: boolean;
  hours: number;
}

export function telemetryPayload(
  env: Envelope,
  state: Level,
  vib: VibrationSummary | undefined,
  temperatureC: number | undefined,
  faults: readonly Fault[],
  running?: RunningInfo,
  humidity?: number,
  outbox?: OutboxInfo,
): string {
  const body: Record<string, unknown> = { v: SCHEMA_VERSION, boot: env.boot, seq: env.seq };
  if (env.ts !== undefined) body.ts = Math.round(env.ts);
  body.state = state;
  if (running) {
    body.running = running.running;
    body.runHours = round(running.hours, 3);
  }
  if (vib) {
    body.vib = {
      odr: round(vib.odr, 3),
      n: vib.n,
      lost: vib.lost,
      x: axis(vib.x, vib.zones?.x),
      y: axis(vib.y, vib.zones?.y),
      z: axis(vib.z, vib.zones?.z),
    };
  }
  if (vib?.speed) body.speed = speedJson(vib.speed);
  if (temperatureC !== undefined) body.temp = { c: round(temperatureC, 3) };
  if (humidity !== undefined) body.humidity = { rh: round(humidity, 2) };
  body.faults = faults.map(faultJson);
  if (outbox) {
    const o: Record<string, number> = { queued: outbox.queued, dropped: outbox.dropped };
    if (outbox.rejected > 0) o.rejected = outbox.rejected; // rare: only when a broker refused messages
    body.outbox = o;
  }
  return JSON.stringify(body);
}

/** A level transition of a metric rule. */
export function alarmPayload(env: Envelope, t: Transition): string {
  const body: Record<string, unknown> = { v: SCHEMA_VERSION, boot: env.boot, seq: env.seq };
  if (env.ts !== undefined) body.ts = Math.round(env.ts);
  body.metric = t.metric;
  body.level = t.level;
  body.prev = t.prev;
  body.value = round(t.value, 4);
  if (t.limit !== undefined) body.limit = round(t.limit, 4);
  return JSON.stringify(body);
}

export function faultAlarmPayload(env: Envelope, fault: Fault, prev: Level): string {
  const body: Record<string, unknown> = { v: SCHEMA_VERSION, boot: env.boot, seq: env.seq };
  if (env.ts !== undefined) body.ts = Math.round(env.ts);
  body.metric = `sensor.${fault.sensor}`;
  body.level = "fault";
  body.prev = prev;
  body.reason = fault.reason;
  body.detail = fault.detail;
  return JSON.stringify(body);
}

export function clearedAlarmPayload(env: Envelope, sensor: string): string {
  const body: Record<string, unknown> = { v: SCHEMA_VERSION, boot: env.boot, seq: env.seq };
  if (env.ts !== undefined) body.ts = Math.round(env.ts);
  body.metric = `sensor.${sensor}`;
  body.level = "normal";
  body.prev = "fault";
  return JSON.stringify(body);
}

/** Why the node last started (docs/device.md): the hardware reset cause, refined by the reason stored before a deliberate restart. */
export type ResetReason = "power-on" | "watchdog" | "restart-command" | "config-change" | "panic" | "unknown";

export interface StatusInfo {
  online: boolean;
  /** Why the node last started, when its host knows (hosts/moddable/main.ts gives it to startNode). */
  reset?: ResetReason;
  boot: number;
  ts: number | undefined;
  firmware: string;
  sensors: { accelerometer: string | null; temperature: string | null };
  faults: readonly Fault[];
  config?: { version: number; error?: string };
  /** The last update over the air, once the node took one (firmware/ota/agent.ts). */
  ota?: OtaReport;
}

export function statusPayload(info: StatusInfo): string {
  const body: Record<string, unknown> = { v: SCHEMA_VERSION, state: info.online ? "online" : "offline", boot: info.boot };
  if (info.ts !== undefined) body.ts = Math.round(info.ts);
  if (info.online) {
    body.fw = info.firmware;
    if (info.reset) body.reset = info.reset;
    body.sensors = info.sensors;
    body.faults = info.faults.map(faultJson);
    if (info.config) body.config = info.config.error ? info.config : { version: info.config.version };
    if (info.ota) body.ota = info.ota;
  }
  return JSON.stringify(body);
}

function axis(f: AxisFeatures, zone: string | undefined): Record<string, number | string> {
  const out: Record<string, number | string> = { vRms: round(f.vRms, 3), aRms: round(f.aRms, 5), aPeak: round(f.aPeak, 5) };
  optional(out, "crest", f.crest, 3);
  optional(out, "kurtosis", f.kurtosis, 3);
  out.fDom = round(f.fDom, 2);
  optional(out, "hfRms", f.hfRms, 5);
  if (f.orders) for (let i = 0; i < f.orders.vRms.length && i < 3; i++) optional(out, `order${i + 1}x`, f.orders.vRms[i], 3);
  if (zone) out.zone = zone;
  if (f.env) {
    const env: Record<string, number | string> = {};
    for (const key of ENVELOPE_FEATURES) optional(env, key, f.env[key], key === "fDom" ? 2 : 5);
    (out as Record<string, unknown>).env = env;
  }
  return out;
}

/** `speed`: rpm absent while unknown. */
function speedJson(s: SpeedEstimate): Record<string, number | string> {
  const out: Record<string, number | string> = {};
  optional(out, "rpm", s.rpm, 1);
  out.confidence = round(s.confidence, 2);
  out.source = s.source;
  return out;
}

/** Values that do not exist at this ODR or without an rpm are NaN: absent from the payload, never a number. */
function optional(out: Record<string, number | string>, key: string, value: number | undefined, digits: number): void {
  if (value !== undefined && Number.isFinite(value)) out[key] = round(value, digits);
}

function faultJson(f: Fault): Record<string, string> {
  return { sensor: f.sensor, reason: f.reason, detail: f.detail };
}

/** Rounds to `digits` decimals; non-finite values never reach a payload as numbers. */
export function round(value: number, digits: number): number {
  if (!Number.isFinite(value)) return 0;
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
