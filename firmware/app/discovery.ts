/*
 * Home Assistant MQTT discovery: one retained config message per metric under
 * `<discoveryPrefix>/sensor/<nodeId>/<object>/config`, pointing at the node's
 * telemetry topic with a value template, and at the status topic for
 * availability. An empty retained payload removes an entity (sent for metrics
 * that no longer exist, e.g. after a sensor change).
 */
import { FIRMWARE_VERSION_TEXT } from "./version.js";

export interface DiscoveryEntity {
  /** Object id: unique within the node, [a-z0-9_]. */
  object: string;
  name: string;
  /** Jinja template reading the value from the telemetry JSON. */
  template: string;
  unit?: string;
  deviceClass?: string;
  stateClass?: "measurement" | "total_increasing";
  icon?: string;
  category?: "diagnostic";
}

const AXES = Object.freeze(["x", "y", "z"] as const);

/** Envelope values exposed per axis with bearing diagnostics (g): the envelope's RMS and the four defect amplitudes. */
const ENVELOPE_ENTITIES = Object.freeze([
  ["rms", "envelope RMS"],
  ["bpfo", "outer race (BPFO)"],
  ["bpfi", "inner race (BPFI)"],
  ["bsf", "ball spin (BSF)"],
  ["ftf", "cage (FTF)"],
] as const);

/** The entities a node exposes: velocity and acceleration per axis, dominant frequency, temperature, state; with bearing diagnostics (`envelope`) its envelope values and the running speed. */
export function discoveryEntities(options: { humidity: boolean; envelope?: boolean }): DiscoveryEntity[] {
  const out: DiscoveryEntity[] = [];
  for (const a of AXES) {
    const up = a.toUpperCase();
    out.push(
      { object: `${a}_vrms`, name: `${up} velocity RMS`, template: vib(a, "vRms"), unit: "mm/s", deviceClass: "speed", stateClass: "measurement", icon: "mdi:sine-wave" },
      { object: `${a}_arms`, name: `${up} acceleration RMS`, template: vib(a, "aRms"), unit: "g", stateClass: "measurement", icon: "mdi:vibrate" },
      { object: `${a}_apeak`, name: `${up} acceleration peak`, template: vib(a, "aPeak"), unit: "g", stateClass: "measurement", icon: "mdi:vibrate" },
      { object: `${a}_fdom`, name: `${up} dominant frequency`, template: vib(a, "fDom"), unit: "Hz", deviceClass: "frequency", stateClass: "measurement" },
    );
  }
  if (options.envelope) {
    for (const a of AXES) {
      for (const [key, name] of ENVELOPE_ENTITIES) {
        out.push({ object: `${a}_env_${key}`, name: `${a.toUpperCase()} ${name}`, template: vib(a, `env.${key}`), unit: "g", stateClass: "measurement", icon: "mdi:cog-sync" });
      }
    }
    out.push({ object: "speed", name: "Running speed", template: "{{ value_json.speed.rpm if value_json.speed is defined else None }}", unit: "rpm", stateClass: "measurement", icon: "mdi:speedometer" });
  }
  out.push({ object: "temperature", name: "Temperature", template: "{{ value_json.temp.c if value_json.temp is defined else None }}", unit: "°C", deviceClass: "temperature", stateClass: "measurement" });
  if (options.humidity) {
    out.push({ object: "humidity", name: "Humidity", template: "{{ value_json.humidity.rh if value_json.humidity is defined else None }}", unit: "%", deviceClass: "humidity", stateClass: "measurement" });
  }
  out.push(
    { object: "state", name: "Condition", template: "{{ value_json.state }}", icon: "mdi:alert-circle-outline" },
    { object: "run_hours", name: "Running hours", template: "{{ value_json.runHours if value_json.runHours is defined else None }}", unit: "h", deviceClass: "duration", stateClass: "total_increasing", category: "diagnostic" },
  );
  return out;
}

function vib(axis: string, feature: string): string {
  return `{{ value_json.vib.${axis}.${feature} if value_json.vib is defined else None }}`;
}

export interface DiscoveryContext {
  discoveryPrefix: string;
  nodeId: string;
  telemetryTopic: string;
  statusTopic: string;
  model: string;
}

export function discoveryTopic(ctx: DiscoveryContext, entity: DiscoveryEntity): string {
  return `${ctx.discoveryPrefix}/sensor/${ctx.nodeId}/${entity.object}/config`;
}

/** The discovery config for one entity (abbreviations avoided: full key names read better in a broker). */
export function discoveryPayload(ctx: DiscoveryContext, e: DiscoveryEntity): string {
  const body: Record<string, unknown> = {
    name: e.name,
    unique_id: `${ctx.nodeId}_${e.object}`,
    object_id: `${ctx.nodeId}_${e.object}`.toLowerCase().replace(/[^a-z0-9_]/g, "_"),
    state_topic: ctx.telemetryTopic,
    value_template: e.template,
    availability_topic: ctx.statusTopic,
    availability_template: "{{ value_json.state }}",
    payload_available: "online",
    payload_not_available: "offline",
    expire_after: 300,
    device: {
      identifiers: [ctx.nodeId],
      name: ctx.nodeId,
      manufacturer: "sensor-node",
      model: ctx.model,
      sw_version: FIRMWARE_VERSION_TEXT,
    },
  };
  if (e.unit) body.unit_of_measurement = e.unit;
  if (e.deviceClass) body.device_class = e.deviceClass;
  if (e.stateClass) body.state_class = e.stateClass;
  if (e.icon) body.icon = e.icon;
  if (e.category) body.entity_category = e.category;
  return JSON.stringify(body);
}
