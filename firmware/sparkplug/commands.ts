/*
 * What an edge node reads (docs/sparkplug.md): NCMD / DCMD payloads, turned
 * into accepted writes of writable metrics plus a Rebirth request, and the
 * primary host's STATE message. Refusals are reported one by one; nothing
 * here throws on bad input.
 */
import { utf8Decode } from "../util/utf8.js";
import { decodePayload, isPayloadError, valueAs, type DataTypeCode, type DecodedMetric, type MetricValue } from "./payload.js";
import { REBIRTH_METRIC, type Catalogue, type Entry } from "./catalogue.js";

export interface MetricWrite {
  name: string;
  alias: number | undefined;
  datatype: DataTypeCode;
  value: MetricValue;
}

export interface Command {
  /** Accepted writes, in payload order (Rebirth is not among them). */
  writes: MetricWrite[];
  /** Node Control/Rebirth was written true. */
  rebirth: boolean;
}

/** Reads an NCMD (`device` false) or DCMD payload; `reject` hears every refused metric (or the whole payload). */
export function readCommand(catalogue: Catalogue, device: boolean, payload: Uint8Array, reject: (message: string) => void): Command {
  const kind = device ? "DCMD" : "NCMD";
  const out: Command = { writes: [], rebirth: false };
  const decoded = decodePayload(payload);
  if (isPayloadError(decoded)) {
    reject(`${kind} refused: ${decoded.error}`);
    return out;
  }
  for (const m of decoded.metrics) {
    const e = resolve(catalogue, m);
    const label = m.name !== undefined ? `"${m.name}"` : `alias ${String(m.alias)}`;
    if (e === undefined || e.device !== device) {
      reject(`${kind}: unknown metric ${label}`);
      continue;
    }
    if (!e.def.writable) {
      reject(`${kind}: metric ${label} is not writable`);
      continue;
    }
    const value = valueAs(m, e.def.datatype);
    if (isPayloadError(value)) {
      reject(`${kind}: metric ${label}: ${value.error}`);
      continue;
    }
    if (e.def.name === REBIRTH_METRIC) {
      if (value === true) out.rebirth = true;
      continue;
    }
    out.writes.push({ name: e.def.name, alias: e.alias, datatype: e.def.datatype, value });
  }
  return out;
}

/** A command addresses a metric by name or, after the birth, by alias. */
function resolve(catalogue: Catalogue, m: DecodedMetric): Entry | undefined {
  if (m.name !== undefined) return catalogue.byName.get(m.name);
  if (typeof m.alias === "number") return catalogue.byAlias.get(m.alias);
  return undefined;
}

/** A primary host's STATE payload, `{"online": bool, "timestamp": ms}` (Sparkplug 3.0); undefined when it is not one. */
export function readState(payload: Uint8Array): { online: boolean; timestamp: number } | undefined {
  const text = utf8Decode(payload);
  if (text === undefined) return undefined;
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v !== "object" || v === null) return undefined;
    const o = v as Record<string, unknown>;
    if (typeof o.online !== "boolean" || typeof o.timestamp !== "number" || !Number.isFinite(o.timestamp)) return undefined;
    return { online: o.online, timestamp: o.timestamp };
  } catch {
    return undefined; // not JSON
  }
}
