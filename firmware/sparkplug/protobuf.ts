/*
 * A small protocol-buffers (proto2 wire format) writer and reader, enough for
 * the Sparkplug B payload. XS-compatible: plain Uint8Array and our own UTF-8.
 *
 * Writing is two-pass: the caller computes the exact size first (the *Size
 * helpers below), allocates once, then writes; so there is no back-patching
 * and no copy of nested messages.
 *
 * 64-bit integers travel as a (lo, hi) pair of uint32 halves. The public
 * helpers accept a JS number (a safe integer; negative means 64-bit two's
 * complement) or a bigint, and hand back a number when the value is a safe
 * integer, a bigint otherwise.
 *
 * The reader never throws to its caller's caller: it throws a ProtoError,
 * which the payload decoder catches and returns as a value. Every read checks
 * bounds, varints are at most 10 bytes, and every loop advances, so malformed
 * input cannot hang it.
 */
import { utf8ByteLength, utf8Decode, utf8Write } from "../util/utf8.js";

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LEN = 2;
export const WIRE_START_GROUP = 3;
export const WIRE_END_GROUP = 4;
export const WIRE_FIXED32 = 5;

const TWO_32 = 4294967296;
/** Largest field number protobuf allows (2^29 - 1). */
export const MAX_FIELD = 536870911;

export type Int64 = number | bigint;

/** Splits a 64-bit integer into uint32 halves (two's complement for negatives). Written to `out`. */
export interface Halves {
  lo: number;
  hi: number;
}

/** True when `v` fits in 64 bits: signed (int64) or unsigned (uint64) per `signed`. */
export function fits64(v: Int64, signed: boolean): boolean {
  if (typeof v === "bigint") {
    return signed ? v >= -(BigInt(1) << BigInt(63)) && v < BigInt(1) << BigInt(63) : v >= BigInt(0) && v < BigInt(1) << BigInt(64);
  }
  if (!Number.isSafeInteger(v)) return false;
  return signed || v >= 0;
}

/** Writes the two's complement halves of `v` (which must fit in 64 bits) into `out`. */
export function split64(v: Int64, out: Halves): void {
  if (typeof v === "bigint") {
    const u = BigInt.asUintN(64, v);
    out.lo = Number(u & BigInt(0xffffffff));
    out.hi = Number(u >> BigInt(32));
    return;
  }
  const neg = v < 0;
  const a = neg ? -v : v;
  let lo = a % TWO_32 >>> 0;
  let hi = Math.floor(a / TWO_32) >>> 0;
  if (neg) {
    lo = (~lo + 1) >>> 0;
    hi = (~hi + (lo === 0 ? 1 : 0)) >>> 0;
  }
  out.lo = lo;
  out.hi = hi;
}

/** The value of uint32 halves as an unsigned (or, with `signed`, two's complement) integer: a number when safe, else a bigint. */
export function join64(lo: number, hi: number, signed: boolean): Int64 {
  if (signed && hi >= 0x80000000) {
    // negative: -(~x + 1)
    let nlo = (~lo + 1) >>> 0;
    let nhi = (~hi + (nlo === 0 ? 1 : 0)) >>> 0;
    if (nhi < 0x200000) return -(nhi * TWO_32 + nlo);
    return -((BigInt(nhi) << BigInt(32)) | BigInt(nlo));
  }
  if (hi < 0x200000) return hi * TWO_32 + lo;
  return (BigInt(hi) << BigInt(32)) | BigInt(lo);
}

/** Bytes a varint of a uint32 takes. */
export function varint32Size(v: number): number {
  v = v >>> 0;
  if (v < 0x80) return 1;
  if (v < 0x4000) return 2;
  if (v < 0x200000) return 3;
  if (v < 0x10000000) return 4;
  return 5;
}

/** Bytes a varint of the 64-bit value (lo, hi) takes. */
export function varint64Size(lo: number, hi: number): number {
  if (hi === 0) return varint32Size(lo);
  const bits = 64 - Math.clz32(hi);
  return Math.ceil(bits / 7);
}

export function tagSize(field: number): number {
  return varint32Size(field << 3);
}

/** Size of a length-delimited field's body prefix plus body. */
export function lenSize(bodyBytes: number): number {
  return varint32Size(bodyBytes) + bodyBytes;
}

export function stringSize(s: string): number {
  return lenSize(utf8ByteLength(s));
}

/** Size of a varint holding a 64-bit value. */
export function int64Size(v: Int64): number {
  if (typeof v === "number") {
    if (v < 0) return 10; // two's complement: the top bit is set
    return v < TWO_32 ? varint32Size(v) : varint64Size(0, Math.floor(v / TWO_32) >>> 0); // the high half decides
  }
  const h: Halves = { lo: 0, hi: 0 }; // bigints only (beyond 2^53): rare
  split64(v, h);
  return varint64Size(h.lo, h.hi);
}

/** Writes into a buffer of exactly the size computed beforehand. */
export class ProtoWriter implements Halves {
  readonly bytes: Uint8Array;
  pos = 0;
  /** Halves of the last 64-bit integer written (the writer's own scratch: no module-level state). */
  lo = 0;
  hi = 0;
  #view: DataView;

  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.#view = new DataView(this.bytes.buffer);
  }

  tag(field: number, wire: number): void {
    this.varint32(((field << 3) | wire) >>> 0);
  }

  varint32(v: number): void {
    v = v >>> 0;
    const b = this.bytes;
    while (v >= 0x80) {
      b[this.pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    b[this.pos++] = v;
  }

  varint64(lo: number, hi: number): void {
    const b = this.bytes;
    lo >>>= 0;
    hi >>>= 0;
    while (hi !== 0 || lo >= 0x80) {
      b[this.pos++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    b[this.pos++] = lo;
  }

  int64(v: Int64): void {
    split64(v, this);
    this.varint64(this.lo, this.hi);
  }

  bool(v: boolean): void {
    this.bytes[this.pos++] = v ? 1 : 0;
  }

  float(v: number): void {
    this.#view.setFloat32(this.pos, v, true);
    this.pos += 4;
  }

  double(v: number): void {
    this.#view.setFloat64(this.pos, v, true);
    this.pos += 8;
  }

  /** A length-delimited string; `byteLength` is its UTF-8 size when already known. */
  string(s: string, byteLength = utf8ByteLength(s)): void {
    this.varint32(byteLength);
    this.pos = utf8Write(s, this.bytes, this.pos);
  }

  lenBytes(data: Uint8Array): void {
    this.varint32(data.length);
    this.bytes.set(data, this.pos);
    this.pos += data.length;
  }
}

/** Thrown inside the reader; the payload decoder turns it into an error value. */
export class ProtoError extends Error {}

export class ProtoReader {
  readonly bytes: Uint8Array;
  pos: number;
  readonly end: number;
  /** Halves of the last 64-bit varint read. */
  lo = 0;
  hi = 0;
  #view: DataView;

  constructor(bytes: Uint8Array, start = 0, end = bytes.length) {
    this.bytes = bytes;
    this.pos = start;
    this.end = end;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  /** Reads a varint of up to 64 bits into lo/hi. */
  varint(): void {
    let lo = 0;
    let hi = 0;
    const b = this.bytes;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new ProtoError("truncated varint");
      const byte = b[this.pos++];
      const bits = byte & 0x7f;
      if (i < 4) {
        lo |= bits << (7 * i);
      } else if (i === 4) {
        lo |= bits << 28;
        hi = bits >>> 4;
      } else {
        hi |= bits << (7 * i - 32);
        if (i === 9 && byte > 1) throw new ProtoError("varint exceeds 64 bits");
      }
      if ((byte & 0x80) === 0) {
        this.lo = lo >>> 0;
        this.hi = hi >>> 0;
        return;
      }
    }
    throw new ProtoError("varint longer than 10 bytes");
  }

  /** A varint as a uint32 (higher bits are discarded, as protobuf does for uint32 fields). */
  uint32(): number {
    this.varint();
    return this.lo;
  }

  /** A varint that must be 0 or 1 (anything else is accepted as true, as protobuf does). */
  bool(): boolean {
    this.varint();
    return this.lo !== 0 || this.hi !== 0;
  }

  uint64(): Int64 {
    this.varint();
    return join64(this.lo, this.hi, false);
  }

  float(): number {
    this.#need(4);
    const v = this.#view.getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }

  double(): number {
    this.#need(8);
    const v = this.#view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** Reads a length prefix; returns [start, end) of the body and moves past it. */
  lenRange(): [number, number] {
    this.varint();
    if (this.hi !== 0 || this.lo > this.end - this.pos) throw new ProtoError("length beyond the end of the message");
    const start = this.pos;
    this.pos += this.lo;
    return [start, this.pos];
  }

  string(): string {
    const [start, end] = this.lenRange();
    const s = utf8Decode(this.bytes, start, end);
    if (s === undefined) throw new ProtoError("string is not valid UTF-8");
    return s;
  }

  bytesField(): Uint8Array {
    const [start, end] = this.lenRange();
    return this.bytes.slice(start, end);
  }

  /** Reads a tag; returns field number and wire type. */
  tag(): { field: number; wire: number } {
    this.varint();
    if (this.hi !== 0) throw new ProtoError("tag exceeds 32 bits");
    const field = this.lo >>> 3;
    const wire = this.lo & 7;
    if (field === 0) throw new ProtoError("field number 0");
    return { field, wire };
  }

  /** Skips a field of the given wire type (groups are refused: proto2 groups are not in the Sparkplug schema). */
  skip(wire: number): void {
    switch (wire) {
      case WIRE_VARINT:
        this.varint();
        return;
      case WIRE_FIXED64:
        this.#need(8);
        this.pos += 8;
        return;
      case WIRE_LEN:
        this.lenRange();
        return;
      case WIRE_FIXED32:
        this.#need(4);
        this.pos += 4;
        return;
      default:
        throw new ProtoError(`unsupported wire type ${wire}`);
    }
  }

  #need(n: number): void {
    if (this.end - this.pos < n) throw new ProtoError("truncated fixed-size field");
  }
}
