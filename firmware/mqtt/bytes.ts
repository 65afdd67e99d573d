/*
 * Byte cursors for the codec. The Writer is sized exactly up front (encoders
 * compute the body length first) so a packet costs one allocation. The Reader
 * records the first problem and then returns neutral values, so decoders read
 * straight through and check `error` once instead of after every field.
 */
import { utf8ByteLength, utf8Decode, utf8Write } from "../util/utf8.js";
import { MAX_REMAINING_LENGTH, MAX_STRING_BYTES } from "./packet.js";

/** Bytes the remaining-length varint takes for `n` (1..4). */
export function varintLength(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : 4;
}

/** Bytes of a length-prefixed UTF-8 string field. */
export function stringFieldLength(s: string): number {
  return 2 + utf8ByteLength(s);
}

export class Writer {
  readonly bytes: Uint8Array;
  pos = 0;

  private constructor(size: number) {
    this.bytes = new Uint8Array(size);
  }

  /** Allocates a whole packet and writes its fixed header; undefined when the body is too long for MQTT. */
  static packet(firstByte: number, bodyLength: number): Writer | undefined {
    if (bodyLength > MAX_REMAINING_LENGTH) return undefined;
    const w = new Writer(1 + varintLength(bodyLength) + bodyLength);
    w.u8(firstByte);
    let n = bodyLength;
    do {
      let b = n % 0x80;
      n = Math.floor(n / 0x80);
      if (n > 0) b |= 0x80;
      w.u8(b);
    } while (n > 0);
    return w;
  }

  u8(v: number): void {
    this.bytes[this.pos++] = v;
  }
  u16(v: number): void {
    this.bytes[this.pos++] = v >> 8;
    this.bytes[this.pos++] = v & 0xff;
  }
  /** Length-prefixed UTF-8 string (caller checked it fits in 65535 bytes). */
  str(s: string): void {
    const at = this.pos;
    this.pos = utf8Write(s, this.bytes, at + 2);
    const n = this.pos - at - 2;
    this.bytes[at] = n >> 8;
    this.bytes[at + 1] = n & 0xff;
  }
  /** Length-prefixed binary data. */
  bin(b: Uint8Array): void {
    this.u16(b.length);
    this.raw(b);
  }
  raw(b: Uint8Array): void {
    this.bytes.set(b, this.pos);
    this.pos += b.length;
  }
}

/** Why a string cannot be encoded, or undefined when it can. */
export function checkString(s: unknown, what: string): string | undefined {
  if (typeof s !== "string") return `${what} is not a string`;
  if (s.indexOf("\u0000") >= 0) return `${what} contains U+0000`;
  if (utf8ByteLength(s) > MAX_STRING_BYTES) return `${what} is longer than 65535 bytes`;
  return undefined;
}

export class Reader {
  error: string | undefined;

  constructor(
    readonly bytes: Uint8Array,
    public pos: number,
    readonly end: number,
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

  /** Length-prefixed UTF-8 string, validated (no ill-formed UTF-8, no U+0000). */
  str(what: string): string {
    const n = this.u16(what);
    if (!this.#need(n, what)) return "";
    const s = utf8Decode(this.bytes, this.pos, this.pos + n, { forbidNull: true });
    this.pos += n;
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

  /** Everything up to the end of the packet (a copy). */
  rest(): Uint8Array {
    if (this.error !== undefined) return new Uint8Array(0);
    const b = this.bytes.slice(this.pos, this.end);
    this.pos = this.end;
    return b;
  }
}
