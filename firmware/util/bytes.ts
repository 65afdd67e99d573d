/*
 * Byte helpers shared by firmware modules. XS-compatible: Uint8Array only.
 */

/** The parts joined into one array; a single part is returned as is (no copy). */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
