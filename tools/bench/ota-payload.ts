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

/** Byte n depends on n's low 16 bits only (n * 31 on its low 8, (n >>> 8) * 7 on the next 8): the payload repeats every 64 KiB. */
export const PAYLOAD_PERIOD = 65536;

/** One period of the payload: a server copies from it instead of computing every byte (a copy costs XS next to nothing). */
export function payloadPeriod(): Uint8Array {
  const period = new Uint8Array(PAYLOAD_PERIOD);
  fillPayload(period, 0);
  return period;
}

/** Copies payload bytes from offset `at` into `into`, from `period` (payloadPeriod()). */
export function copyPayload(into: Uint8Array, at: number, period: Uint8Array): void {
  let done = 0;
  while (done < into.length) {
    const from = (at + done) % PAYLOAD_PERIOD;
    const n = Math.min(into.length - done, PAYLOAD_PERIOD - from);
    into.set(period.subarray(from, from + n), done);
    done += n;
  }
}
