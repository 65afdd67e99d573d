/*
 * Sparkplug B payload (Eclipse Tahu sparkplug_b.proto, namespace spBv1.0):
 * the encoder for what an edge node sends. The field numbers, data types and
 * their value fields are in schema.ts, the decoder in decode.ts; this module
 * re-exports them, so importers need only this one.
 *
 * Supported: Payload.timestamp/metrics/seq/uuid/body; Metric.name/alias/
 * timestamp/datatype/is_historical/is_transient/is_null and the scalar values
 * (int, long, float, double, boolean, string, bytes).
 *
 * Field order on the wire follows the field numbers, as protobufjs writes
 * them, so an object encoded here and by Tahu's encodePayload gives the same
 * bytes. Two passes: exact sizes first, then one buffer written once.
 */
import { int64Size, lenSize, ProtoWriter, tagSize, varint32Size, WIRE_FIXED32, WIRE_FIXED64, WIRE_LEN, WIRE_VARINT, type Int64 } from "./protobuf.js";
import { utf8ByteLength } from "../util/utf8.js";
import {
  checkValue,
  UINT32_MAX,
  valueFieldOf,
  type DataTypeCode,
  type MetricValue,
  type PayloadError,
  M_ALIAS,
  M_BOOLEAN,
  M_BYTES,
  M_DATATYPE,
  M_DOUBLE,
  M_FLOAT,
  M_INT,
  M_IS_HISTORICAL,
  M_IS_NULL,
  M_IS_TRANSIENT,
  M_LONG,
  M_NAME,
  M_STRING,
  M_TIMESTAMP,
  P_BODY,
  P_METRICS,
  P_SEQ,
  P_TIMESTAMP,
  P_UUID,
} from "./schema.js";

export { checkValue, DATA_TYPE_NAMES, DataType, isPayloadError, valueFieldOf, type DataTypeCode, type MetricValue, type PayloadError, type ValueField } from "./schema.js";
export { decodePayload, integerAs, valueAs, type DecodedMetric, type DecodedPayload, type DecodeOptions } from "./decode.js";

/** A metric to encode. */
export interface Metric {
  name?: string;
  alias?: number;
  /** ms since the epoch (UTC). */
  timestamp?: number;
  /** Selects the value field; written to the wire unless `omitDatatype`. */
  datatype: DataTypeCode;
  /** DATA and CMD messages SHOULD NOT carry the datatype (the birth declared it). */
  omitDatatype?: boolean;
  isHistorical?: boolean;
  isTransient?: boolean;
  /** null means is_null = true and no value. undefined means no value field at all. */
  value?: MetricValue;
}

export interface Payload {
  /** ms since the epoch (UTC); omitted while the clock is not set. */
  timestamp?: number;
  metrics: readonly Metric[];
  /** 0..255 on every message but NDEATH. */
  seq?: number;
  uuid?: string;
  body?: Uint8Array;
}

function checkUint64(v: number | undefined, what: string): string | undefined {
  if (v === undefined) return undefined;
  if (!Number.isSafeInteger(v) || v < 0) return `${what} must be a non-negative safe integer`;
  return undefined;
}

function metricBodySize(m: Metric, nameBytes: number): number {
  let n = 0;
  if (m.name !== undefined) n += tagSize(M_NAME) + lenSize(nameBytes);
  if (m.alias !== undefined) n += tagSize(M_ALIAS) + int64Size(m.alias);
  if (m.timestamp !== undefined) n += tagSize(M_TIMESTAMP) + int64Size(m.timestamp);
  if (!m.omitDatatype) n += tagSize(M_DATATYPE) + varint32Size(m.datatype);
  if (m.isHistorical !== undefined) n += tagSize(M_IS_HISTORICAL) + 1;
  if (m.isTransient !== undefined) n += tagSize(M_IS_TRANSIENT) + 1;
  if (m.value === null) n += tagSize(M_IS_NULL) + 1;
  else if (m.value !== undefined) n += valueSize(m.datatype, m.value);
  return n;
}

function valueSize(datatype: number, v: Exclude<MetricValue, null>): number {
  switch (valueFieldOf(datatype)) {
    case "int":
      return tagSize(M_INT) + varint32Size((v as number) >>> 0);
    case "long":
      return tagSize(M_LONG) + int64Size(v as Int64);
    case "float":
      return tagSize(M_FLOAT) + 4;
    case "double":
      return tagSize(M_DOUBLE) + 8;
    case "boolean":
      return tagSize(M_BOOLEAN) + 1;
    case "string":
      return tagSize(M_STRING) + lenSize(utf8ByteLength(v as string));
    case "bytes":
      return tagSize(M_BYTES) + lenSize((v as Uint8Array).length);
    default:
      return 0;
  }
}

function writeValue(w: ProtoWriter, datatype: number, v: Exclude<MetricValue, null>): void {
  switch (valueFieldOf(datatype)) {
    case "int":
      w.tag(M_INT, WIRE_VARINT);
      w.varint32((v as number) >>> 0);
      return;
    case "long":
      w.tag(M_LONG, WIRE_VARINT);
      w.int64(v as Int64);
      return;
    case "float":
      w.tag(M_FLOAT, WIRE_FIXED32);
      w.float(v as number);
      return;
    case "double":
      w.tag(M_DOUBLE, WIRE_FIXED64);
      w.double(v as number);
      return;
    case "boolean":
      w.tag(M_BOOLEAN, WIRE_VARINT);
      w.bool(v as boolean);
      return;
    case "string":
      w.tag(M_STRING, WIRE_LEN);
      w.string(v as string);
      return;
    case "bytes":
      w.tag(M_BYTES, WIRE_LEN);
      w.lenBytes(v as Uint8Array);
      return;
  }
}

/**
 * Encodes a payload. Returns the bytes, or a PayloadError naming the first
 * metric whose value does not fit its datatype (nothing is thrown).
 */
export function encodePayload(p: Payload): Uint8Array | PayloadError {
  const bad = checkUint64(p.timestamp, "timestamp") ?? checkUint64(p.seq, "seq");
  if (bad !== undefined) return { error: bad };
  const metrics = p.metrics;
  const nameBytes: number[] = [];
  const bodySizes: number[] = [];
  let size = 0;
  if (p.timestamp !== undefined) size += tagSize(P_TIMESTAMP) + int64Size(p.timestamp);
  for (let i = 0; i < metrics.length; i++) {
    const m = metrics[i];
    const what = `metric ${m.name !== undefined ? `"${m.name}"` : m.alias !== undefined ? `alias ${m.alias}` : `#${i}`}`;
    const e =
      checkUint64(m.alias, `${what}: alias`) ??
      checkUint64(m.timestamp, `${what}: timestamp`) ??
      (Number.isInteger(m.datatype) && m.datatype >= 0 && m.datatype <= UINT32_MAX ? undefined : `${what}: datatype must be a uint32`) ??
      (m.value !== undefined && m.value !== null ? checkValue(m.datatype, m.value) : undefined);
    if (e !== undefined) return { error: e.startsWith(what) ? e : `${what}: ${e}` };
    const nb = m.name !== undefined ? utf8ByteLength(m.name) : 0;
    nameBytes.push(nb);
    const body = metricBodySize(m, nb);
    bodySizes.push(body);
    size += tagSize(P_METRICS) + lenSize(body);
  }
  if (p.seq !== undefined) size += tagSize(P_SEQ) + int64Size(p.seq);
  if (p.uuid !== undefined) size += tagSize(P_UUID) + lenSize(utf8ByteLength(p.uuid));
  if (p.body !== undefined) size += tagSize(P_BODY) + lenSize(p.body.length);

  const w = new ProtoWriter(size);
  if (p.timestamp !== undefined) {
    w.tag(P_TIMESTAMP, WIRE_VARINT);
    w.int64(p.timestamp);
  }
  for (let i = 0; i < metrics.length; i++) {
    const m = metrics[i];
    w.tag(P_METRICS, WIRE_LEN);
    w.varint32(bodySizes[i]);
    const start = w.pos;
    if (m.name !== undefined) {
      w.tag(M_NAME, WIRE_LEN);
      w.string(m.name, nameBytes[i]);
    }
    if (m.alias !== undefined) {
      w.tag(M_ALIAS, WIRE_VARINT);
      w.int64(m.alias);
    }
    if (m.timestamp !== undefined) {
      w.tag(M_TIMESTAMP, WIRE_VARINT);
      w.int64(m.timestamp);
    }
    if (!m.omitDatatype) {
      w.tag(M_DATATYPE, WIRE_VARINT);
      w.varint32(m.datatype);
    }
    if (m.isHistorical !== undefined) {
      w.tag(M_IS_HISTORICAL, WIRE_VARINT);
      w.bool(m.isHistorical);
    }
    if (m.isTransient !== undefined) {
      w.tag(M_IS_TRANSIENT, WIRE_VARINT);
      w.bool(m.isTransient);
    }
    if (m.value === null) {
      w.tag(M_IS_NULL, WIRE_VARINT);
      w.bool(true);
    } else if (m.value !== undefined) {
      writeValue(w, m.datatype, m.value);
    }
    if (w.pos - start !== bodySizes[i]) return { error: `internal: metric ${i} size mismatch` };
  }
  if (p.seq !== undefined) {
    w.tag(P_SEQ, WIRE_VARINT);
    w.int64(p.seq);
  }
  if (p.uuid !== undefined) {
    w.tag(P_UUID, WIRE_LEN);
    w.string(p.uuid);
  }
  if (p.body !== undefined) {
    w.tag(P_BODY, WIRE_LEN);
    w.lenBytes(p.body);
  }
  if (w.pos !== size) return { error: "internal: payload size mismatch" };
  return w.bytes;
}
