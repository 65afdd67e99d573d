/*
 * The schema of Tahu's sparkplug_b.proto as the codec needs it: the field
 * numbers of Payload and Payload.Metric (shared by the encoder, payload.ts,
 * and the decoder, decode.ts), the DataType enum, and which Metric value
 * field each data type uses, with the range checks the encoder and the
 * command reader share. The tests compare our bytes with Tahu's own library,
 * so a wrong number fails them.
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
 */
import { fits64 } from "./protobuf.js";

// message Payload
export const P_TIMESTAMP = 1;
export const P_METRICS = 2;
export const P_SEQ = 3;
export const P_UUID = 4;
export const P_BODY = 5;
// 6 and up: extensions

// message Payload.Metric
export const M_NAME = 1;
export const M_ALIAS = 2;
export const M_TIMESTAMP = 3;
export const M_DATATYPE = 4;
export const M_IS_HISTORICAL = 5;
export const M_IS_TRANSIENT = 6;
export const M_IS_NULL = 7;
export const M_METADATA = 8;
export const M_PROPERTIES = 9;
// oneof value
export const M_INT = 10;
export const M_LONG = 11;
export const M_FLOAT = 12;
export const M_DOUBLE = 13;
export const M_BOOLEAN = 14;
export const M_STRING = 15;
export const M_BYTES = 16;
export const M_DATASET = 17;
export const M_TEMPLATE = 18;
export const M_EXTENSION = 19;

/** Sparkplug B data types (the DataType enum of sparkplug_b.proto). */
export const DataType = Object.freeze({
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
} as const);
export type DataTypeCode = number;

/** Names of the data types, by code (for logs and docs). */
export const DATA_TYPE_NAMES: readonly string[] = Object.freeze([
  "Unknown", "Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16", "UInt32", "UInt64", "Float", "Double",
  "Boolean", "String", "DateTime", "Text", "UUID", "DataSet", "Bytes", "File", "Template",
]);

export type MetricValue = number | bigint | boolean | string | Uint8Array | null;

/** Which oneof value field a metric carries. */
export type ValueField = "int" | "long" | "float" | "double" | "boolean" | "string" | "bytes" | "dataset" | "template" | "extension";

/** What the encoder and decoder return instead of throwing. */
export interface PayloadError {
  error: string;
}

export function isPayloadError(v: unknown): v is PayloadError {
  return typeof v === "object" && v !== null && typeof (v as PayloadError).error === "string" && !(v instanceof Uint8Array);
}

const INT32_MIN = -2147483648;
export const UINT32_MAX = 4294967295;

/** Allowed ranges [min, max] of the 32-bit integer types. */
export const INT_RANGE: Readonly<Record<number, readonly [number, number]>> = Object.freeze({
  [DataType.Int8]: Object.freeze([-128, 127] as const),
  [DataType.Int16]: Object.freeze([-32768, 32767] as const),
  [DataType.Int32]: Object.freeze([INT32_MIN, 2147483647] as const),
  [DataType.UInt8]: Object.freeze([0, 255] as const),
  [DataType.UInt16]: Object.freeze([0, 65535] as const),
  [DataType.UInt32]: Object.freeze([0, UINT32_MAX] as const),
});

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
