/*
 * A minimal DER (ITU-T X.690) reader: enough to walk an X.509 certificate and
 * a private key without copying them. An element is its tag and the bounds of
 * its content in the caller's bytes; anything malformed reads as undefined.
 */

export interface Element {
  /** The identifier octet (single-byte tags only: all X.509 needs). */
  tag: number;
  /** Content start and end offsets in the bytes read. */
  start: number;
  end: number;
}

export const SEQUENCE = 0x30;
export const INTEGER = 0x02;
export const BIT_STRING = 0x03;
export const OCTET_STRING = 0x04;
export const OID = 0x06;
export const UTC_TIME = 0x17;
export const GENERALIZED_TIME = 0x18;
export const SET = 0x31;
/** Context-specific, constructed [0] and [1]. */
export const CONTEXT_0 = 0xa0;
export const CONTEXT_1 = 0xa1;

/** The element at `offset`, whose content must end by `limit`. */
export function element(der: Uint8Array, offset: number, limit = der.length): Element | undefined {
  if (offset + 2 > limit) return undefined;
  const tag = der[offset];
  if ((tag & 0x1f) === 0x1f) return undefined; // multi-byte tag numbers: not in X.509
  let length = der[offset + 1];
  let start = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 3 || start + count > limit) return undefined; // indefinite or > 16 MiB: not DER we take
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + der[start + i];
    start += count;
  }
  const end = start + length;
  return end <= limit ? { tag, start, end } : undefined;
}

/** The elements inside `parent` (constructed), in order; undefined if any is malformed. */
export function children(der: Uint8Array, parent: Element): Element[] | undefined {
  const out: Element[] = [];
  for (let o = parent.start; o < parent.end; ) {
    const e = element(der, o, parent.end);
    if (!e) return undefined;
    out.push(e);
    o = e.end;
  }
  return out;
}

/** The children of `e` if it has tag `tag` (a SEQUENCE unless told). */
export function sequence(der: Uint8Array, e: Element | undefined, tag = SEQUENCE): Element[] | undefined {
  return e && e.tag === tag ? children(der, e) : undefined;
}

/** Content bytes of an element (a view, no copy). */
export function content(der: Uint8Array, e: Element): Uint8Array {
  return der.subarray(e.start, e.end);
}

/** True when the two elements' contents are the same bytes (INTEGER leading zeros count: DER has none to spare). */
export function sameContent(a: Uint8Array, ea: Element, b: Uint8Array, eb: Element): boolean {
  if (ea.end - ea.start !== eb.end - eb.start) return false;
  for (let i = 0; i < ea.end - ea.start; i++) if (a[ea.start + i] !== b[eb.start + i]) return false;
  return true;
}

/** True when the content of `e` (an OID) is `oid` (its DER content bytes). */
export function isOid(der: Uint8Array, e: Element | undefined, oid: readonly number[]): boolean {
  if (!e || e.tag !== OID || e.end - e.start !== oid.length) return false;
  for (let i = 0; i < oid.length; i++) if (der[e.start + i] !== oid[i]) return false;
  return true;
}

/** A UTCTime or GeneralizedTime in Z form, as ms since the epoch; undefined if it is not one. */
export function time(der: Uint8Array, e: Element | undefined): number | undefined {
  if (!e || (e.tag !== UTC_TIME && e.tag !== GENERALIZED_TIME)) return undefined;
  const digits = e.tag === UTC_TIME ? 12 : 14;
  if (e.end - e.start !== digits + 1 || der[e.end - 1] !== 0x5a) return undefined; // ...Z
  const field = (at: number, n: number) => {
    let v = 0;
    for (let i = 0; i < n; i++) {
      const d = der[e.start + at + i] - 48;
      if (d < 0 || d > 9) return NaN;
      v = v * 10 + d;
    }
    return v;
  };
  const short = e.tag === UTC_TIME;
  let year = short ? field(0, 2) : field(0, 4);
  if (short) year += year >= 50 ? 1900 : 2000; // RFC 5280 4.1.2.5.1
  const o = short ? 2 : 4;
  const ms = Date.UTC(year, field(o, 2) - 1, field(o + 2, 2), field(o + 4, 2), field(o + 6, 2), field(o + 8, 2));
  return Number.isFinite(ms) ? ms : undefined;
}
