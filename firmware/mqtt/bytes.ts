/*
 * Byte cursors for the codec. Encoders compute the body length first, so a
 * Writer either allocates one array of exactly the packet's size or writes
 * into the caller's buffer, and every field goes straight into it. The
 * Reader records the first problem and then returns neutral values, so
 * decoders read straight through and check `error` once, not after every field.
 *
 * Strings are encoded and measured here (not through util/utf8's generic
 * helpers) so the hot path has no per-character allocation; decoding falls
 * back to the strict util/utf8 decoder for anything but plain ASCII.
 */
import { utf8Decode } from "../util/utf8.js";
import { MAX_REMAINING_LENGTH, MAX_STRING_BYTES, MAX_VARINT } from "./packet.js";

/** Bytes a variable byte integer takes for `n` (1..4). */
export function varintLength(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : 4;
}

/** Plain ASCII without NUL: one byte per character (a native test, far cheaper in XS than the loop below). */
const ASCII = Object.freeze(/^[\x01-\x7f]*$/);
/** utf8Length result for a string with U+0000. */
export const STRING_HAS_NULL = -1;
/** utf8Length result for a string with an unpaired surrogate (not encodable as UTF-8). */
export const STRING_LONE_SURROGATE = -2;

/** UTF-8 byte length of `s`, or STRING_HAS_NULL / STRING_LONE_SURROGATE when MQTT cannot carry it [MQTT-1.5.4]. */
export function utf8Length(s: string): number {
  if (ASCII.test(s)) return s.length;
  const len = s.length;
  let n = len;
  for (let i = 0; i < len; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      if (c === 0) return STRING_HAS_NULL;
    } else if (c < 0x800) {
      n += 1;
    } else if (c < 0xd800 || c > 0xdfff) {
      n += 2;
    } else {
      if (c > 0xdbff || i + 1 >= len) return STRING_LONE_SURROGATE;
      const d = s.charCodeAt(i + 1);
      if (d < 0xdc00 || d > 0xdfff) return STRING_LONE_SURROGATE;
      n += 2; // two UTF-16 units, four bytes
      i++;
    }
  }
  return n;
}

/** Bytes of a length-prefixed UTF-8 string field (for a string already checked). */
export function stringFieldLength(s: string): number {
  return 2 + utf8Length(s);
}

/** Why a string cannot be encoded, or undefined when it can. */
export function checkString(s: unknown, what: string): string | undefined {
  if (typeof s !== "string") return `${what} is not a string`;
  const n = utf8Length(s);
  if (n === STRING_HAS_NULL) return `${what} contains U+0000`;
  if (n === STRING_LONE_SURROGATE) return `${what} contains an unpaired surrogate`;
  if (n > MAX_STRING_BYTES) return `${what} is longer than 65535 bytes`;
  return undefined;
}

/**
 * Called as `charCodeAt.call(s, i)`: a method or `length` read on a primitive
 * string makes XS wrap it in a String object (2 heap slots each time), a call
 * through the prototype's function does not. The encode hot path uses these.
 */
const charCodeAt = String.prototype.charCodeAt;
const indexOf = String.prototype.indexOf;

/** `s.length` without the wrapper: an empty search from past the end answers the length (ECMA-262 String.prototype.indexOf). */
export function lengthOf(s: string): number {
  return indexOf.call(s, "", Infinity);
}

/** Until begin() allocates (encode mode): no bytes. Zero length, so nothing in it can change. */
const NO_BYTES = new Uint8Array(0);

/**
 * Where one packet is written; the caller owns it, so no encode leaves state
 * in the module. `new Writer()`: begin() allocates one array of exactly the
 * packet's size (encode()). `new Writer(out, offset)`: begin() writes into the
 * caller's array (the client's one send buffer) or, when it has no room,
 * records the packet's size in `needed` and fails (the caller may grow it).
 * A sender that owns one Writer calls reset() per packet (no object per packet).
 */
export class Writer {
  bytes: Uint8Array;
  pos: number;
  /** Set when the caller's array had no room: the bytes the packet takes. */
  needed = 0;
  #into: boolean;

  constructor(out?: Uint8Array, offset = 0) {
    this.#into = out !== undefined;
    this.bytes = out ?? NO_BYTES;
    this.pos = offset;
  }

  /** Ready for the next packet, written into `out` at `offset` (as a new Writer(out, offset) would be). */
  reset(out: Uint8Array, offset: number): void {
    this.#into = true;
    this.bytes = out;
    this.pos = offset;
    this.needed = 0;
  }

  /**
   * Places a packet of `bodyLength` body bytes and writes its fixed header;
   * false when the body is too long for MQTT or the caller's array has no room.
   */
  begin(firstByte: number, bodyLength: number): boolean {
    if (bodyLength > MAX_REMAINING_LENGTH) return false;
    const size = 1 + varintLength(bodyLength) + bodyLength;
    if (!this.#into) {
      this.bytes = new Uint8Array(size);
      this.pos = 0;
    } else if (this.pos + size > this.bytes.length) {
      this.needed = size;
      return false;
    }
    this.bytes[this.pos++] = firstByte;
    this.varint(bodyLength);
    return true;
  }

  u8(v: number): void {
    this.bytes[this.pos++] = v;
  }
  u16(v: number): void {
    const b = this.bytes;
    b[this.pos++] = v >> 8;
    b[this.pos++] = v;
  }
  u32(v: number): void {
    const b = this.bytes;
    let p = this.pos;
    b[p++] = v >>> 24;
    b[p++] = v >>> 16;
    b[p++] = v >>> 8;
    b[p++] = v;
    this.pos = p;
  }
  /** Variable byte integer (caller checked 0..MAX_VARINT). */
  varint(v: number): void {
    const b = this.bytes;
    let p = this.pos;
    while (v >= 0x80) {
      b[p++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    b[p++] = v;
    this.pos = p;
  }
  /** Length-prefixed UTF-8 string (caller checked it with checkString). */
  str(s: string): void {
    const b = this.bytes;
    const at = this.pos;
    let o = at + 2;
    const len = lengthOf(s);
    for (let i = 0; i < len; i++) {
      let c = charCodeAt.call(s, i);
      if (c < 0x80) {
        b[o++] = c;
      } else if (c < 0x800) {
        b[o++] = 0xc0 | (c >> 6);
        b[o++] = 0x80 | (c & 0x3f);
      } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < len) {
        const d = charCodeAt.call(s, ++i);
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        b[o++] = 0xf0 | (c >> 18);
        b[o++] = 0x80 | ((c >> 12) & 0x3f);
        b[o++] = 0x80 | ((c >> 6) & 0x3f);
        b[o++] = 0x80 | (c & 0x3f);
      } else {
        b[o++] = 0xe0 | (c >> 12);
        b[o++] = 0x80 | ((c >> 6) & 0x3f);
        b[o++] = 0x80 | (c & 0x3f);
      }
    }
    const n = o - at - 2;
    b[at] = n >> 8;
    b[at + 1] = n;
    this.pos = o;
  }
  /**
   * A length-prefixed topic name of `n` characters when every one is plain
   * (ASCII but NUL, '#' and '+', so one byte each and valid [MQTT-3.3.2-2]):
   * true. False otherwise, with `pos` unchanged. Copies first and checks after
   * (the bits of all characters together, then three native searches): the
   * cheapest shape in XS computrons, and nothing allocated.
   */
  plainTopic(s: string, n: number): boolean {
    const b = this.bytes;
    const at = this.pos;
    const codeAt = charCodeAt; // a local: cheaper than the module binding in the loop
    let bits = 0;
    let o = at + 2;
    for (let i = 0; i < n; i++) bits |= b[o++] = codeAt.call(s, i);
    if (bits > 0x7f || indexOf.call(s, "#") >= 0 || indexOf.call(s, "+") >= 0 || indexOf.call(s, "\0") >= 0) return false;
    b[at] = n >> 8;
    b[at + 1] = n;
    this.pos = o;
    return true;
  }
  /** Length-prefixed binary data. */
  bin(b: Uint8Array): void {
    this.u16(b.length);
    this.raw(b);
  }
  raw(b: Uint8Array): void {
    if (b.length < 16) {
      const out = this.bytes;
      let p = this.pos;
      for (let i = 0; i < b.length; i++) out[p++] = b[i];
      this.pos = p;
      return;
    }
    this.bytes.set(b, this.pos);
    this.pos += b.length;
  }
}

/** Longest ASCII string decoded with one fromCharCode.apply (small enough for the XS stack). */
const ASCII_FAST_MAX = 256;

export class Reader {
  error: string | undefined;

  constructor(
    readonly bytes: Uint8Array,
    public pos: number,
    /** End of the region being read; narrowed while reading a property block. */
    public end: number,
  ) {}

  get remaining(): number {
    return this.end - this.pos;
  }

  fail(message: string): void {
    if (this.error === undefined) this.error = message;
  }

  #need(n: number, what: string): boolean {
    if (this.error !== undefined) return false;
    if (this.pos + n > this.end) {
      this.fail(`truncated ${what}`);
      return false;
    }
    return true;
  }

  u8(what: string): number {
    if (!this.#need(1, what)) return 0;
    return this.bytes[this.pos++];
  }

  u16(what: string): number {
    if (!this.#need(2, what)) return 0;
    const v = (this.bytes[this.pos] << 8) | this.bytes[this.pos + 1];
    this.pos += 2;
    return v;
  }

  u32(what: string): number {
    if (!this.#need(4, what)) return 0;
    const b = this.bytes;
    const p = this.pos;
    this.pos = p + 4;
    return ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
  }

  /** Variable byte integer: at most 4 bytes, minimally encoded [MQTT-1.5.5-1]. */
  varint(what: string): number {
    let v = 0;
    let mul = 1;
    for (let i = 0; i < 4; i++) {
      if (!this.#need(1, what)) return 0;
      const b = this.bytes[this.pos++];
      v += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) {
        if (b === 0 && i > 0) this.fail(`non-minimal ${what}`);
        return v;
      }
      mul *= 0x80;
    }
    this.fail(`${what} longer than 4 bytes`);
    return 0;
  }

  /** Length-prefixed UTF-8 string, validated (no ill-formed UTF-8, no U+0000). */
  str(what: string): string {
    const n = this.u16(what);
    if (!this.#need(n, what)) return "";
    const b = this.bytes;
    const start = this.pos;
    const end = start + n;
    this.pos = end;
    if (n <= ASCII_FAST_MAX) {
      let ascii = true;
      for (let i = start; i < end; i++) {
        const c = b[i];
        if (c >= 0x80 || c === 0) {
          ascii = false;
          break;
        }
      }
      if (ascii) return String.fromCharCode.apply(null, b.subarray(start, end) as unknown as number[]);
    }
    const s = utf8Decode(b, start, end, { forbidNull: true });
    if (s === undefined) {
      this.fail(`invalid UTF-8 in ${what}`);
      return "";
    }
    return s;
  }

  /** Length-prefixed binary data (a copy). */
  bin(what: string): Uint8Array {
    const n = this.u16(what);
    if (!this.#need(n, what)) return new Uint8Array(0);
    const b = this.bytes.slice(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  /** Everything up to the end of the region (a copy). */
  rest(): Uint8Array {
    if (this.error !== undefined) return new Uint8Array(0);
    const b = this.bytes.slice(this.pos, this.end);
    this.pos = this.end;
    return b;
  }
}

export { MAX_VARINT };
