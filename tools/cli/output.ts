/*
 * How the simulator shows MQTT traffic: one JSON object per line (`--json`, a
 * public contract: docs/cli.md) or short human-readable lines.
 */

export interface ObservedMessage {
  /** Wall time (ms since epoch) at which the subscriber received it; virtual in simulated time. */
  t: number;
  topic: string;
  qos: number;
  retain: boolean;
  payload: Uint8Array;
}

/** Parses the payload as JSON when it is JSON, else undefined. */
export function parsePayload(payload: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(payload));
  } catch {
    return undefined;
  }
}

export function formatJsonLine(m: ObservedMessage): string {
  const parsed = parsePayload(m.payload);
  const payload = parsed === undefined ? Buffer.from(m.payload).toString("base64") : parsed;
  return JSON.stringify({ t: m.t, topic: m.topic, qos: m.qos, retain: m.retain, payload });
}

type Json = Record<string, any>;

export function formatReadable(m: ObservedMessage): string {
  const time = new Date(m.t).toISOString().slice(11, 23);
  const parts = m.topic.split("/");
  const kind = parts[parts.length - 1];
  const node = parts.length >= 3 ? parts[parts.length - 2] : m.topic;
  const p = parsePayload(m.payload) as Json | undefined;
  if (!p || typeof p !== "object") return `${time} ${m.topic} (${m.payload.length} bytes)`;
  switch (kind) {
    case "telemetry":
      return `${time} ${node} #${p.seq} ${String(p.state).padEnd(6)} ${vibration(p.vib)}${temperature(p.temp)}${faults(p.faults)}`;
    case "status":
      return `${time} ${node} status ${p.state} boot ${p.boot}${p.sensors ? ` sensors ${p.sensors.accelerometer ?? "-"}/${p.sensors.temperature ?? "-"}` : ""}${faults(p.faults)}`;
    case "alarm":
      return `${time} ${node} ALARM ${p.metric} ${p.prev} -> ${p.level}${p.reason ? ` (${p.reason}: ${p.detail})` : ""}${p.value !== undefined ? ` value ${p.value} limit ${p.limit}` : ""}`;
    default:
      return `${time} ${m.topic} ${JSON.stringify(p)}`;
  }
}

/** A number with `digits` decimals, or "?" for anything else: a payload someone else published must not stop the simulation. */
function fixed(v: unknown, digits: number): string {
  return typeof v === "number" ? v.toFixed(digits) : "?";
}

function vibration(v: Json | undefined): string {
  if (!v || typeof v !== "object") return "vib -  ";
  const [x, y, z]: Json[] = [v.x ?? {}, v.y ?? {}, v.z ?? {}];
  const lost = v.lost ? ` LOST ${v.lost}` : "";
  // ISO 10816-3 zones x/y/z, when the node reports them (docs/monitoring.md).
  const zones = x.zone ? ` zone ${x.zone}/${y.zone}/${z.zone}` : "";
  return `vRms x ${fixed(x.vRms, 2)} y ${fixed(y.vRms, 2)} z ${fixed(z.vRms, 2)} mm/s${zones}  aRms x ${fixed(x.aRms, 4)} g  fDom x ${fixed(x.fDom, 1)} Hz${lost}  `;
}

function temperature(t: Json | undefined): string {
  return t ? `${fixed(t.c, 2)} degC` : "temp -";
}

function faults(f: Json[] | undefined): string {
  return Array.isArray(f) && f.length ? `  FAULT ${f.map((x) => `${x?.sensor}: ${x?.reason}`).join(", ")}` : "";
}

/** The nodes' log lines on stderr: warnings and errors, informational ones too with --verbose. */
export function nodeLogPrinter(verbose: boolean): (nodeId: string, level: string, message: string) => void {
  return (nodeId, level, message) => {
    if (level === "debug" || (level === "info" && !verbose)) return;
    process.stderr.write(`${nodeId} ${level}: ${message}\n`);
  };
}
