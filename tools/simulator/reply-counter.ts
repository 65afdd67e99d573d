/*
 * Counts the broker's replies (CONNACK, PUBACK, PUBREC, PUBCOMP, SUBACK, UNSUBACK,
 * PINGRESP) in a connection's incoming bytes from each packet's fixed header alone
 * (type and remaining length, the same in MQTT 3.1.1 and 5). Under the CPU model a
 * packet that arrives while the node computes is read only when it is done
 * (decision 76); with this count the simulator knows that every reply the node
 * awaits is in, and lets virtual time move on to deliver them.
 */

/** Control packet types that answer a node's own packet (MQTT 3.1.1 table 2.1). */
const REPLY_TYPES = Object.freeze([2, 4, 5, 7, 9, 11, 13]);

export class ReplyCounter {
  /** The packet's first byte while its length is read; undefined between packets. */
  #first: number | undefined;
  #length = 0;
  #multiplier = 1;
  /** Bytes of the body still to skip; -1 while the length is being read. */
  #left = -1;

  /** The replies whose last byte is in `data`. */
  count(data: Uint8Array): number {
    let replies = 0;
    let i = 0;
    while (i < data.length) {
      if (this.#first === undefined) {
        this.#first = data[i++];
        this.#length = 0;
        this.#multiplier = 1;
        this.#left = -1;
        continue;
      }
      if (this.#left < 0) {
        const b = data[i++];
        this.#length += (b & 0x7f) * this.#multiplier;
        this.#multiplier *= 128;
        if (b & 0x80) continue;
        this.#left = this.#length;
      } else {
        const skip = Math.min(this.#left, data.length - i);
        i += skip;
        this.#left -= skip;
      }
      if (this.#left === 0) {
        if (REPLY_TYPES.includes(this.#first >> 4)) replies++;
        this.#first = undefined;
      }
    }
    return replies;
  }
}
