/*
 * Sparkplug B payload decoder: what an edge node receives (NCMD, DCMD) and
 * what the tests read back. It skips metadata and properties and marks
 * DataSet/Template/extension values as unsupported (`field` tells which)
 * instead of failing the whole payload; it never throws.
 */
import { join64, ProtoError, ProtoReader, WIRE_FIXED32, WIRE_FIXED64, WIRE_LEN, WIRE_VARINT, type Int64 } from "./protobuf.js";
import {
  DATA_TYPE_NAMES,
  DataType,
  INT_RANGE,
  valueFieldOf,
  type MetricValue,
  type PayloadError,
  type ValueField,
  M_ALIAS,
  M_BOOLEAN,
  M_BYTES,
  M_DATASET,
  M_DATATYPE,
  M_DOUBLE,
  M_EXTENSION,
  M_FLOAT,
  M_INT,
  M_IS_HISTORICAL,
  M_IS_NULL,
  M_IS_TRANSIENT,
  M_LONG,
  M_METADATA,
  M_NAME,
  M_PROPERTIES,
  M_STRING,
  M_TEMPLATE,
  M_TIMESTAMP,
  P_BODY,
  P_METRICS,
  P_SEQ,
  P_TIMESTAMP,
  P_UUID,
} from "./schema.js";

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
