/*
 * Base64 (RFC 4648) decoding without atob (XS on the device has none), for
 * PEM bodies. White space is skipped; anything else outside the alphabet, or a
 * length that is not whole, gives undefined.
 */

function sextet(c: number): number {
  if (c >= 65 && c <= 90) return c - 65; // A-Z
  if (c >= 97 && c <= 122) return c - 71; // a-z
  if (c >= 48 && c <= 57) return c + 4; // 0-9
  if (c === 43) return 62; // +
  if (c === 47) return 63; // /
  return -1;
}

/** The bytes `text` encodes, or undefined when it is not base64. */
export function base64Decode(text: string): Uint8Array | undefined {
  let digits = 0;
  let padding = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13) continue;
    if (c === 61) padding++;
    else if (padding || sextet(c) < 0) return undefined; // data after '=', or not base64
    else digits++;
  }
  if ((digits + padding) % 4 !== 0 || padding > 2) return undefined;
  const out = new Uint8Array((digits * 3) >> 2);
  let bits = 0;
  let acc = 0;
  let o = 0;
  for (let i = 0; i < text.length && o < out.length; i++) {
    const v = sextet(text.charCodeAt(i));
    if (v < 0) continue;
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}
