/*
 * ECDSA signatures between DER (openssl dgst -sign) and raw r || s (the package's
 * form), written here from X.690 so tests do not lean on the code under test.
 */

/** DER SEQUENCE { INTEGER r, INTEGER s } -> r || s, 32 bytes each. */
export function derToRaw(der: Uint8Array): Uint8Array {
  if (der[0] !== 0x30) throw new Error("not a DER SEQUENCE");
  let at = der[1] & 0x80 ? 2 + (der[1] & 0x7f) : 2;
  const out = new Uint8Array(64);
  for (let i = 0; i < 2; i++) {
    if (der[at] !== 0x02) throw new Error("not a DER INTEGER");
    const len = der[at + 1];
    let v = der.subarray(at + 2, at + 2 + len);
    while (v.length > 32 && v[0] === 0) v = v.subarray(1);
    out.set(v, i * 32 + 32 - v.length);
    at += 2 + len;
  }
  return out;
}

/** r || s -> DER, minimal INTEGERs (a leading 0 where the high bit is set). */
export function rawToDer(raw: Uint8Array): Uint8Array {
  const ints = [raw.subarray(0, 32), raw.subarray(32, 64)].map((v) => {
    let i = 0;
    while (i < v.length - 1 && v[i] === 0) i++;
    const body = v[i] & 0x80 ? [0, ...v.subarray(i)] : [...v.subarray(i)];
    return [0x02, body.length, ...body];
  });
  const content = [...ints[0], ...ints[1]];
  return Uint8Array.from([0x30, content.length, ...content]);
}
