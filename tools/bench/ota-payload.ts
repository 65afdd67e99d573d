/*
 * The bench's update payload, the same bytes in Node (to sign it) and in XS (to
 * stream it without holding it): byte i of the payload is a fixed function of i.
 */

/** Fills `into` with payload bytes from offset `at`. */
export function fillPayload(into: Uint8Array, at: number): void {
  for (let i = 0; i < into.length; i++) {
    const n = at + i;
    into[i] = (n * 31 + (n >>> 8) * 7 + 11) & 0xff;
  }
}
