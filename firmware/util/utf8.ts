/*
 * UTF-8 without TextEncoder/TextDecoder (XS on the device has neither).
 *
 * Encoding follows the WHATWG encoder: a lone surrogate in a JS string becomes
 * U+FFFD. Decoding is strict (RFC 3629): overlong forms, surrogates (U+D800..
 * U+DFFF), code points above U+10FFFF and truncated sequences are rejected,
 * because MQTT requires receivers to close the connection on such input.
 */

const REPLACEMENT = 0xfffd;
const MAX_CODE_POINT = 0x10ffff;

function isHighSurrogate(u: number): boolean {
  return u >= 0xd800 && u <= 0xdbff;
}
function isLowSurrogate(u: number): boolean {
  return u >= 0xdc00 && u <= 0xdfff;
}

/**
 * The code point at `i` of `s` (a lone surrogate reads as U+FFFD). It took 2
 * UTF-16 units exactly when it is above U+FFFF. A number, not a [cp, units]
 * pair: a pair per character was an array allocated per byte of every payload.
 */
function codePointAt(s: string, i: number): number {
  const u = s.charCodeAt(i);
  if (isHighSurrogate(u) && i + 1 < s.length) {
    const v = s.charCodeAt(i + 1);
    if (isLowSurrogate(v)) return 0x10000 + ((u - 0xd800) << 10) + (v - 0xdc00);
  }
  if (u >= 0xd800 && u <= 0xdfff) return REPLACEMENT;
  return u;
}

function encodedLength(cp: number): number {
  return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

/** Number of bytes `s` takes in UTF-8. */
export function utf8ByteLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; ) {
    const cp = codePointAt(s, i);
    n += encodedLength(cp);
    i += cp > 0xffff ? 2 : 1;
  }
  return n;
}

/** Writes `s` as UTF-8 into `out` at `offset`; returns the offset after the last byte. `out` must be large enough. */
export function utf8Write(s: string, out: Uint8Array, offset: number): number {
  let o = offset;
  for (let i = 0; i < s.length; ) {
    const cp = codePointAt(s, i);
    i += cp > 0xffff ? 2 : 1;
    if (cp < 0x80) {
      out[o++] = cp;
    } else if (cp < 0x800) {
      out[o++] = 0xc0 | (cp >> 6);
      out[o++] = 0x80 | (cp & 0x3f);
    } else if (cp < 0x10000) {
      out[o++] = 0xe0 | (cp >> 12);
      out[o++] = 0x80 | ((cp >> 6) & 0x3f);
      out[o++] = 0x80 | (cp & 0x3f);
    } else {
      out[o++] = 0xf0 | (cp >> 18);
      out[o++] = 0x80 | ((cp >> 12) & 0x3f);
      out[o++] = 0x80 | ((cp >> 6) & 0x3f);
      out[o++] = 0x80 | (cp & 0x3f);
    }
  }
  return o;
}

export function utf8Encode(s: string): Uint8Array {
  const out = new Uint8Array(utf8ByteLength(s));
  utf8Write(s, out, 0);
  return out;
}

export interface Utf8DecodeOptions {
  /** Reject U+0000 (MQTT forbids it in every string [MQTT-1.5.3-2]). */
  forbidNull?: boolean;
}

/** Smallest code point for each sequence length; anything below is an overlong form. */
const MIN_FOR_LENGTH: readonly number[] = Object.freeze([0, 0, 0x80, 0x800, 0x10000]);

/**
 * Decodes bytes[start, end) strictly. Returns the string, or undefined when the
 * bytes are not well-formed UTF-8 (or contain U+0000 with `forbidNull`).
 */
export function utf8Decode(bytes: Uint8Array, start = 0, end = bytes.length, options?: Utf8DecodeOptions): string | undefined {
  const forbidNull = options?.forbidNull === true;
  let out = "";
  // Collect UTF-16 units in a small array and flush in chunks: fromCharCode with
  // thousands of arguments may overflow the XS stack.
  const CHUNK = 512;
  const units: number[] = [];
  let i = start;
  while (i < end) {
    const b = bytes[i];
    let cp: number;
    let len: number;
    if (b < 0x80) {
      cp = b;
      len = 1;
    } else if ((b & 0xe0) === 0xc0) {
      cp = b & 0x1f;
      len = 2;
    } else if ((b & 0xf0) === 0xe0) {
      cp = b & 0x0f;
      len = 3;
    } else if ((b & 0xf8) === 0xf0) {
      cp = b & 0x07;
      len = 4;
    } else {
      return undefined; // continuation byte in lead position, or 0xF8..0xFF
    }
    if (i + len > end) return undefined;
    for (let k = 1; k < len; k++) {
      const c = bytes[i + k];
      if ((c & 0xc0) !== 0x80) return undefined;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < MIN_FOR_LENGTH[len] && len > 1) return undefined;
    if (cp > MAX_CODE_POINT || (cp >= 0xd800 && cp <= 0xdfff)) return undefined;
    if (cp === 0 && forbidNull) return undefined;
    i += len;
    if (cp >= 0x10000) {
      const v = cp - 0x10000;
      units.push(0xd800 + (v >> 10), 0xdc00 + (v & 0x3ff));
    } else {
      units.push(cp);
    }
    if (units.length >= CHUNK) {
      out += String.fromCharCode.apply(null, units);
      units.length = 0;
    }
  }
  if (units.length > 0) out += String.fromCharCode.apply(null, units);
  return out;
}
