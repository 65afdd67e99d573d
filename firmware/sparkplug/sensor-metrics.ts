/*
 * The sensor node's Sparkplug metric catalogue (docs/sparkplug.md) and the
 * mapping from one window's results to metric values. Aliases follow the
 * catalogue order (EdgeNode assigns them: node metrics 1.., then device
 * metrics), so the same firmware always births the same aliases.
 *
 * Units as in the JSON schema: velocity mm/s, acceleration g, frequency Hz,
 * temperature degC.
 */
import type { AxisFeatures } from "../dsp/features.js";
import type { SpeedEstimate } from "../dsp/speed.js";
import { ENVELOPE_FEATURES } from "../monitor/metrics.js";
import { DataType, type MetricValue } from "./payload.js";
import type { MetricDef } from "./edge-node.js";

export const AXES = Object.freeze(["x", "y", "z"] as const);

/** Per-axis features, in the order they are born: name suffix, deadband. */
const AXIS_METRICS: readonly (readonly [keyof AxisFeatures & string, number])[] = Object.freeze([
  Object.freeze(["vRms", 0.001] as const), // mm/s
  Object.freeze(["aRms", 0.00001] as const), // g
  Object.freeze(["aPeak", 0.00001] as const), // g
  Object.freeze(["crest", 0.001] as const),
  Object.freeze(["kurtosis", 0.001] as const),
  Object.freeze(["fDom", 0.01] as const), // Hz
]);

/** Edge-node metrics besides bdSeq and Node Control/Rebirth. */
export function sensorNodeMetrics(): MetricDef[] {
  return [
    { name: "Node Control/Reboot", datatype: DataType.Boolean, initial: false, writable: true },
    { name: "Properties/Firmware", datatype: DataType.String, initial: "" },
    { name: "Properties/Hardware Id", datatype: DataType.String, initial: "" },
    { name: "Properties/Boot", datatype: DataType.Int64, initial: 0 },
    { name: "Properties/Config Version", datatype: DataType.Int64, initial: 0 },
  ];
}

/** Envelope metrics' deadband: g to 5 decimals (fDom's Hz: to 2). */
const ENVELOPE_DEADBAND = 0.00001;
const FREQUENCY_DEADBAND = 0.01;

/** Device (sensor) metrics; with bearing diagnostics (`envelope`) the envelope per axis and the speed follow, after the others (their aliases stay). */
export function sensorDeviceMetrics(options: { envelope?: boolean } = {}): MetricDef[] {
  const defs: MetricDef[] = [
    { name: "State", datatype: DataType.String, initial: "normal" },
    { name: "Faults", datatype: DataType.String, initial: "" },
  ];
  for (const axis of AXES) {
    for (const [key, deadband] of AXIS_METRICS) defs.push({ name: `Vibration/${axis}/${key}`, datatype: DataType.Float, deadband });
  }
  defs.push(
    { name: "Vibration/ODR", datatype: DataType.Float },
    { name: "Vibration/Samples", datatype: DataType.Int32 },
    { name: "Vibration/Lost", datatype: DataType.Int64, initial: 0 },
    { name: "Temperature/C", datatype: DataType.Float, deadband: 0.001 },
    { name: "Running/Active", datatype: DataType.Boolean },
    { name: "Running/Hours", datatype: DataType.Double, deadband: 0.001 },
  );
  if (options.envelope) {
    for (const axis of AXES) {
      for (const key of ENVELOPE_FEATURES) defs.push({ name: `Vibration/${axis}/env/${key}`, datatype: DataType.Float, deadband: key === "fDom" ? FREQUENCY_DEADBAND : ENVELOPE_DEADBAND });
    }
    defs.push({ name: "Speed/RPM", datatype: DataType.Float, deadband: 0.1 }, { name: "Speed/Confidence", datatype: DataType.Float, deadband: 0.01 }, { name: "Speed/Source", datatype: DataType.String, initial: "" });
  }
  return defs;
}

export interface SensorWindow {
  state?: string;
  /** Comma-separated "sensor:reason" list; empty when healthy. */
  faults?: readonly { sensor: string; reason: string }[];
  vib?: { odr: number; n: number; lost: number; x: AxisFeatures; y: AxisFeatures; z: AxisFeatures; speed?: SpeedEstimate };
  temperatureC?: number;
  running?: { running: boolean; hours: number };
}

/** Device metric values for one window (only what is known; the rest keep their last value). */
export function sensorDeviceValues(w: SensorWindow): Record<string, MetricValue> {
  const out: Record<string, MetricValue> = {};
  if (w.state !== undefined) out["State"] = w.state;
  if (w.faults !== undefined) out["Faults"] = w.faults.map((f) => `${f.sensor}:${f.reason}`).join(",");
  if (w.vib !== undefined) {
    for (const axis of AXES) {
      const f = w.vib[axis];
      for (const [key] of AXIS_METRICS) {
        const v = f[key];
        out[`Vibration/${axis}/${key}`] = typeof v === "number" ? v : null;
      }
    }
    for (const axis of AXES) {
      const env = w.vib[axis].env;
      if (env) for (const key of ENVELOPE_FEATURES) out[`Vibration/${axis}/env/${key}`] = Number.isFinite(env[key]) ? env[key] : null;
    }
    const speed = w.vib.speed;
    if (speed) {
      out["Speed/RPM"] = Number.isFinite(speed.rpm) ? speed.rpm : null;
      out["Speed/Confidence"] = speed.confidence;
      out["Speed/Source"] = speed.source;
    }
    out["Vibration/ODR"] = w.vib.odr;
    out["Vibration/Samples"] = w.vib.n;
    out["Vibration/Lost"] = w.vib.lost;
  }
  if (w.temperatureC !== undefined) out["Temperature/C"] = w.temperatureC;
  if (w.running !== undefined) {
    out["Running/Active"] = w.running.running;
    out["Running/Hours"] = w.running.hours;
  }
  return out;
}
