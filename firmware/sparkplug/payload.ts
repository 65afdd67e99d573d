/*
 * Sparkplug B payload (Eclipse Tahu sparkplug_b.proto, namespace spBv1.0):
 * encoder for what an edge node sends, decoder for what it receives (NCMD,
 * DCMD) and for tests.
 *
 * Supported: Payload.timestamp/metrics/seq/uuid/body; Metric.name/alias/
 * timestamp/datatype/is_historical/is_transient/is_null and the scalar values
 * (int, long, float, double, boolean, string, bytes). The decoder skips
 * metadata and properties and marks DataSet/Template/extension values as
 * unsupported (`field` tells which) instead of failing the whole payload.
 *
 * Value mapping (Sparkplug 3.0, section 6.4.16):
 *   Int8/Int16/Int32    int_value,  32-bit two's complement (-1 -> 0xFFFFFFFF)
 *   UInt8/UInt16/UInt32 int_value
 *   Int64               long_value, 64-bit two's complement
 *   UInt64, DateTime    long_value
 *   Float / Double      float_value / double_value
 *   Boolean             boolean_value
 *   String, Text, UUID  string_value
 *   Bytes, File         bytes_value
 * (Tahu's JavaScript library 1.0.3 puts UInt32 in long_value; the decoder
 * accepts UInt32 from either field.)
 *
 * Field order on the wire follows the field numbers, as protobufjs writes
 * them, so an object encoded here and by Tahu's encodePayload gives the same
 * bytes.
 */
import {
  fits64,
  int64Size,
  join64,
  lenSize,
  ProtoError,
  ProtoReader,
  ProtoWriter,
  tagSize,
  varint32Size,
  WIRE_FIXED32,
  WIRE_FIXED64,
  WIRE_LEN,
  WIRE_VARINT,
  type Int64,
} from "./protobuf.js";
import { utf8ByteLength } from "../util/utf8.js";

/** Sparkplug B data types (the DataType enum of sparkplug_b.proto). */
export const DataType = {
  Unknown: 0,
  Int8: 1,
  Int16: 2,
  Int32: 3,
  Int64: 4,
  UInt8: 5,
  UInt16: 6,
  UInt32: 7,
  UInt64: 8,
  Float: 9,
  Double: 10,
  Boolean: 11,
  String: 12,
  DateTime: 13,
  Text: 14,
  UUID: 15,
  DataSet: 16,
  Bytes: 17,
  File: 18,
  Template: 19,
} as const;
export type DataTypeCode = number;

/** Names of the data types, by code (for logs and docs). */
export const DATA_TYPE_NAMES: readonly string[] = [
  "Unknown", "Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16", "UInt32", "UInt64", "Float", "Double",
  "Boolean", "String", "DateTime", "Text", "UUID", "DataSet", "Bytes", "File", "Template",
];

export type MetricValue = number | bigint | boolean | string | Uint8Array | null;

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

/** Which oneof value field a decoded metric carried. */
export type ValueField = "int" | "long" | "float" | "double" | "boolean" | "string" | "bytes" | "dataset" | "template" | "extension";

export interface DecodedMetric {
  name?: string;
  alias?: Int64;
  timestamp?: Int64;
  datatype?: number;
  isHistorical?: boolean;
  isTransient?: boolean;
  isNull?: boolean;
  /** Which value field was present (absent when none). */
  field?: ValueField;
  /**
   * The value, interpreted by `datatype` when present (signed types sign-extended),
   * otherwise raw (unsigned). Undefined for dataset/template/extension and when absent.
   */
  value?: number | bigint | boolean | string | Uint8Array;
  /** Raw halves of int_value / long_value, for re-interpretation once the datatype is known (alias-only CMDs). */
  rawLo?: number;
  rawHi?: number;
}

export interface DecodedPayload {
  timestamp?: Int64;
  metrics: DecodedMetric[];
  seq?: Int64;
  uuid?: string;
  body?: Uint8Array;
}

export interface PayloadError {
  error: string;
}

export function isPayloadError(v: unknown): v is PayloadError {
  return typeof v === "object" && v !== null && typeof (v as PayloadError).error === "string" && !(v instanceof Uint8Array);
}

// Field numbers (sparkplug_b.proto).
const P_TIMESTAMP = 1;
const P_METRICS = 2;
const P_SEQ = 3;
const P_UUID = 4;
const P_BODY = 5;

const M_NAME = 1;
const M_ALIAS = 2;
const M_TIMESTAMP = 3;
const M_DATATYPE = 4;
const M_IS_HISTORICAL = 5;
const M_IS_TRANSIENT = 6;
const M_IS_NULL = 7;
const M_METADATA = 8;
const M_PROPERTIES = 9;
const M_INT = 10;
const M_LONG = 11;
const M_FLOAT = 12;
const M_DOUBLE = 13;
const M_BOOLEAN = 14;
const M_STRING = 15;
const M_BYTES = 16;
const M_DATASET = 17;
const M_TEMPLATE = 18;
const M_EXTENSION = 19;

const INT32_MIN = -2147483648;
const UINT32_MAX = 4294967295;

/** Allowed ranges of the 32-bit integer types. */
const INT_RANGE: Record<number, [number, number]> = {
  [DataType.Int8]: [-128, 127],
  [DataType.Int16]: [-32768, 32767],
  [DataType.Int32]: [INT32_MIN, 2147483647],
  [DataType.UInt8]: [0, 255],
  [DataType.UInt16]: [0, 65535],
  [DataType.UInt32]: [0, UINT32_MAX],
};

/** The value field a data type uses; undefined for types this encoder does not write (DataSet, Template, Unknown). */
export function valueFieldOf(datatype: DataTypeCode): ValueField | undefined {
  switch (datatype) {
    case DataType.Int8:
    case DataType.Int16:
    case DataType.Int32:
    case DataType.UInt8:
    case DataType.UInt16:
    case DataType.UInt32:
      return "int";
    case DataType.Int64:
    case DataType.UInt64:
    case DataType.DateTime:
      return "long";
    case DataType.Float:
      return "float";
    case DataType.Double:
      return "double";
    case DataType.Boolean:
      return "boolean";
    case DataType.String:
    case DataType.Text:
    case DataType.UUID:
      return "string";
    case DataType.Bytes:
    case DataType.File:
      return "bytes";
    default:
      return undefined;
  }
}

/** Checks that `value` fits `datatype`; returns an error text or undefined. */
export function checkValue(datatype: DataTypeCode, value: MetricValue | undefined): string | undefined {
  if (value === null || value === undefined) return undefined;
  const field = valueFieldOf(datatype);
  switch (field) {
    case "int": {
      const [min, max] = INT_RANGE[datatype];
      if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) return `${DATA_TYPE_NAMES[datatype]} needs an integer in ${min}..${max}`;
      return undefined;
    }
    case "long": {
      const signed = datatype === DataType.Int64;
      if ((typeof value !== "number" && typeof value !== "bigint") || !fits64(value, signed)) return `${DATA_TYPE_NAMES[datatype]} needs a ${signed ? "signed" : "non-negative"} 64-bit integer (a safe integer or a bigint)`;
      return undefined;
    }
    case "float":
    case "double":
      return typeof value === "number" ? undefined : `${DATA_TYPE_NAMES[datatype]} needs a number`;
    case "boolean":
      return typeof value === "boolean" ? undefined : "Boolean needs true or false";
    case "string":
      return typeof value === "string" ? undefined : `${DATA_TYPE_NAMES[datatype]} needs a string`;
    case "bytes":
      return value instanceof Uint8Array ? undefined : `${DATA_TYPE_NAMES[datatype]} needs a Uint8Array`;
    default:
      return `data type ${datatype} is not supported by this encoder`;
  }
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

export interface DecodeOptions {
  /** Refuse payloads with more metrics than this (default 1024). */
  maxMetrics?: number;
}

const DEFAULT_MAX_METRICS = 1024;

/**
 * Decodes a Sparkplug B payload. Malformed input (truncation, bad varints,
 * lengths past the end, wrong wire types for known fields, invalid UTF-8,
 * groups) gives a PayloadError; this function never throws.
 */
export function decodePayload(bytes: Uint8Array, options?: DecodeOptions): DecodedPayload | PayloadError {
  try {
    return decodeInner(bytes, options?.maxMetrics ?? DEFAULT_MAX_METRICS);
  } catch (e) {
    if (e instanceof ProtoError) return { error: e.message };
    return { error: `malformed payload: ${e instanceof Error ? e.message : String(e)}` };
  }
}

function expectWire(wire: number, want: number, what: string): void {
  if (wire !== want) throw new ProtoError(`${what}: wire type ${wire}, expected ${want}`);
}

function decodeInner(bytes: Uint8Array, maxMetrics: number): DecodedPayload {
  if (!(bytes instanceof Uint8Array)) throw new ProtoError("payload is not bytes");
  const r = new ProtoReader(bytes);
  const out: DecodedPayload = { metrics: [] };
  while (!r.done) {
    const { field, wire } = r.tag();
    switch (field) {
      case P_TIMESTAMP:
        expectWire(wire, WIRE_VARINT, "timestamp");
        out.timestamp = r.uint64();
        break;
      case P_METRICS: {
        expectWire(wire, WIRE_LEN, "metric");
        if (out.metrics.length >= maxMetrics) throw new ProtoError(`more than ${maxMetrics} metrics`);
        const [start, end] = r.lenRange();
        out.metrics.push(decodeMetric(bytes, start, end));
        break;
      }
      case P_SEQ:
        expectWire(wire, WIRE_VARINT, "seq");
        out.seq = r.uint64();
        break;
      case P_UUID:
        expectWire(wire, WIRE_LEN, "uuid");
        out.uuid = r.string();
        break;
      case P_BODY:
        expectWire(wire, WIRE_LEN, "body");
        out.body = r.bytesField();
        break;
      default:
        r.skip(wire); // extensions 6 to max
    }
  }
  return out;
}

function decodeMetric(bytes: Uint8Array, start: number, end: number): DecodedMetric {
  const r = new ProtoReader(bytes, start, end);
  const m: DecodedMetric = {};
  while (!r.done) {
    const { field, wire } = r.tag();
    switch (field) {
      case M_NAME:
        expectWire(wire, WIRE_LEN, "metric name");
        m.name = r.string();
        break;
      case M_ALIAS:
        expectWire(wire, WIRE_VARINT, "metric alias");
        m.alias = r.uint64();
        break;
      case M_TIMESTAMP:
        expectWire(wire, WIRE_VARINT, "metric timestamp");
        m.timestamp = r.uint64();
        break;
      case M_DATATYPE:
        expectWire(wire, WIRE_VARINT, "metric datatype");
        m.datatype = r.uint32();
        break;
      case M_IS_HISTORICAL:
        expectWire(wire, WIRE_VARINT, "is_historical");
        m.isHistorical = r.bool();
        break;
      case M_IS_TRANSIENT:
        expectWire(wire, WIRE_VARINT, "is_transient");
        m.isTransient = r.bool();
        break;
      case M_IS_NULL:
        expectWire(wire, WIRE_VARINT, "is_null");
        m.isNull = r.bool();
        break;
      case M_METADATA:
      case M_PROPERTIES:
        expectWire(wire, WIRE_LEN, "metric metadata/properties");
        r.lenRange();
        break;
      case M_INT:
        expectWire(wire, WIRE_VARINT, "int_value");
        r.varint();
        m.field = "int";
        m.rawLo = r.lo; // uint32: the high half is discarded
        m.rawHi = 0;
        break;
      case M_LONG:
        expectWire(wire, WIRE_VARINT, "long_value");
        r.varint();
        m.field = "long";
        m.rawLo = r.lo;
        m.rawHi = r.hi;
        break;
      case M_FLOAT:
        expectWire(wire, WIRE_FIXED32, "float_value");
        m.field = "float";
        m.value = r.float();
        break;
      case M_DOUBLE:
        expectWire(wire, WIRE_FIXED64, "double_value");
        m.field = "double";
        m.value = r.double();
        break;
      case M_BOOLEAN:
        expectWire(wire, WIRE_VARINT, "boolean_value");
        m.field = "boolean";
        m.value = r.bool();
        break;
      case M_STRING:
        expectWire(wire, WIRE_LEN, "string_value");
        m.field = "string";
        m.value = r.string();
        break;
      case M_BYTES:
        expectWire(wire, WIRE_LEN, "bytes_value");
        m.field = "bytes";
        m.value = r.bytesField();
        break;
      case M_DATASET:
      case M_TEMPLATE:
      case M_EXTENSION:
        expectWire(wire, WIRE_LEN, "dataset/template/extension value");
        r.lenRange();
        m.field = field === M_DATASET ? "dataset" : field === M_TEMPLATE ? "template" : "extension";
        m.value = undefined;
        m.rawLo = m.rawHi = undefined;
        break;
      default:
        r.skip(wire);
    }
  }
  if (m.field === "int" || m.field === "long") {
    if (m.field === "int") m.value = m.rawLo;
    else m.value = join64(m.rawLo!, m.rawHi!, false);
    if (m.datatype !== undefined) {
      const v = integerAs(m, m.datatype);
      if (v !== undefined) m.value = v;
    }
  }
  return m;
}

/**
 * The integer value of a decoded metric read as `datatype` (signed types are
 * sign-extended), or undefined when the metric has no int/long value.
 */
export function integerAs(m: DecodedMetric, datatype: number): Int64 | undefined {
  if (m.rawLo === undefined) return undefined;
  const lo = m.rawLo;
  const hi = m.rawHi ?? 0;
  switch (datatype) {
    case DataType.Int8:
    case DataType.Int16:
    case DataType.Int32:
      return lo | 0;
    case DataType.Int64:
      return join64(lo, hi, true);
    case DataType.UInt8:
    case DataType.UInt16:
    case DataType.UInt32:
      return m.field === "int" ? lo : join64(lo, hi, false);
    default:
      return m.field === "int" ? lo : join64(lo, hi, false);
  }
}

/**
 * The value of a decoded metric as `datatype` expects it, or a PayloadError
 * (wrong value field, out of range for the type, null). Used for command
 * writes, which carry only an alias or name and no datatype.
 */
export function valueAs(m: DecodedMetric, datatype: number): MetricValue | PayloadError {
  if (m.isNull === true) return null;
  const want = valueFieldOf(datatype);
  if (want === undefined) return { error: `data type ${datatype} not supported` };
  if (m.field === undefined) return { error: "no value" };
  const name = DATA_TYPE_NAMES[datatype];
  if (want === "int" || want === "long") {
    // Accept either integer field (Tahu JS puts UInt32 in long_value).
    if (m.field !== "int" && m.field !== "long") return { error: `${name} expects an integer value, got ${m.field}` };
    if (want === "int") {
      const signed = datatype <= DataType.Int32;
      // int_value is 32 bits (signed types sign-extended); a long_value must fit as a whole.
      const n = m.field === "int" ? (signed ? m.rawLo! | 0 : m.rawLo!) : join64(m.rawLo!, m.rawHi!, signed);
      const [min, max] = INT_RANGE[datatype];
      if (typeof n !== "number" || n < min || n > max) return { error: `${name} out of range` };
      return n;
    }
    const v = integerAs(m, datatype)!;
    return v;
  }
  if (want === "float" || want === "double") {
    if (m.field !== "float" && m.field !== "double") return { error: `${name} expects a ${want} value, got ${m.field}` };
    return m.value as number;
  }
  if (m.field !== want) return { error: `${name} expects a ${want} value, got ${m.field}` };
  return m.value as MetricValue;
}
