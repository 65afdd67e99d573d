/*
 * The client's send path: every packet is encoded into one send buffer
 * (grown in steps to the largest packet sent, up to SEND_BUFFER_MAX; larger
 * packets get an array of their own) and written from it. The Host's socket
 * copies what `write` takes (ECMA-419), and bytes it has no room for yet are
 * copied into a queue that goes out on onWritable, so the buffer is free
 * again as soon as `send` returns.
 *
 * Once the buffer has grown, a PUBLISH with a plain topic written while
 * nothing is queued allocates nothing on XS: one Writer reset per packet, and
 * one view of the buffer (write() takes a whole buffer, no length), made
 * again only when a packet's length differs from the previous one's
 * (docs/mqtt.md, "Send path").
 */
import type { TCPSocket } from "../host.js";
import { Writer } from "./bytes.js";
import { encode, encodeInto, type CodecOptions } from "./codec.js";
import { errorText } from "./context.js";
import { isCodecError, type AnyPacket, type CodecError } from "./packet.js";

const SEND_BUFFER_INITIAL = 256;
const SEND_BUFFER_STEP = 256;
const SEND_BUFFER_MAX = 4096;

export class SendPath {
  socket: TCPSocket | undefined;
  #out: Uint8Array[] = [];
  #buffer = new Uint8Array(SEND_BUFFER_INITIAL);
  /** Reset for every packet encoded into #buffer. */
  #writer = new Writer(this.#buffer, 0);
  /** The last packet's bytes: #buffer's first #view.length bytes, reused while packets keep that length. */
  #view = this.#buffer.subarray(0, 0);
  /** Room the socket last reported (Infinity for a host that does not meter). */
  #writable = 0;

  /** Forgets the socket and what was queued for it (no room until the next one says so); returns the socket to close. */
  detach(): TCPSocket | undefined {
    const socket = this.socket;
    this.socket = undefined;
    this.#out = [];
    this.#writable = 0;
    return socket;
  }

  /** The socket reported room for `bytes` (no count: do not meter either). Writes what waits; an error message when a write failed. */
  writable(bytes: number): string | undefined {
    this.#writable = typeof bytes === "number" && bytes > 0 ? bytes : Number.POSITIVE_INFINITY;
    return this.flush();
  }

  /**
   * Encodes `packet` with `codec` and writes it as far as the socket takes it:
   * undefined when done (the rest queued), a CodecError when it cannot be
   * encoded, or the socket's error message when a write failed.
   */
  send(packet: AnyPacket, codec: CodecOptions): CodecError | string | undefined {
    const bytes = this.#encode(packet, codec);
    if (isCodecError(bytes)) return bytes;
    const out = this.#out;
    const socket = this.socket;
    if (socket !== undefined && out.length === 0 && bytes.length <= this.#writable) {
      // Nothing waits and there is room: straight to the socket, no queue entry.
      try {
        socket.write(bytes);
      } catch (e) {
        return errorText(e);
      }
      this.#writable -= bytes.length;
      return undefined;
    }
    out.push(bytes);
    const failed = this.flush();
    // What the socket did not take must survive the buffer's next use (only the newest entry can be in it).
    const last = out.length - 1;
    if (last >= 0 && out[last].buffer === this.#buffer.buffer) out[last] = out[last].slice();
    return failed;
  }

  /** Writes queued bytes within the room the socket last reported; an error message when a write failed. */
  flush(): string | undefined {
    const socket = this.socket;
    if (socket === undefined) return undefined;
    const out = this.#out;
    try {
      while (out.length > 0 && this.#writable > 0) {
        const chunk = out[0];
        if (chunk.length <= this.#writable) {
          socket.write(chunk);
          this.#writable -= chunk.length;
          out.shift();
        } else {
          socket.write(chunk.subarray(0, this.#writable));
          out[0] = chunk.subarray(this.#writable);
          this.#writable = 0;
        }
      }
    } catch (e) {
      return errorText(e);
    }
    return undefined;
  }

  /** stop(): everything queued, then `last`, straight to the socket (its own buffer absorbs it). */
  drain(last: AnyPacket, codec: CodecOptions): void {
    const socket = this.socket;
    if (socket === undefined) return;
    const bye = encode(last, codec);
    try {
      for (const chunk of this.#out) socket.write(chunk);
      if (bye instanceof Uint8Array) socket.write(bye);
    } catch {
      // The connection is going away either way.
    }
    this.#out = [];
  }

  /** In the send buffer (no allocation once it has grown), or an array of its own beyond SEND_BUFFER_MAX. */
  #encode(packet: AnyPacket, codec: CodecOptions): Uint8Array | CodecError {
    let n = encodeInto(packet, this.#buffer, 0, codec, this.#writer);
    if (isCodecError(n) && n.needed !== undefined) {
      const max = codec.maximumPacketSize;
      // Beyond the cap, or beyond what the server takes (encode() then reports that): no growth.
      if (n.needed > SEND_BUFFER_MAX || (max !== undefined && n.needed > max)) return encode(packet, codec);
      this.#buffer = new Uint8Array(Math.ceil(n.needed / SEND_BUFFER_STEP) * SEND_BUFFER_STEP);
      this.#view = this.#buffer.subarray(0, 0);
      n = encodeInto(packet, this.#buffer, 0, codec, this.#writer);
    }
    if (isCodecError(n)) return n;
    // write() takes a whole buffer: a view of exactly this packet, kept for the next packet of the same length.
    if (this.#view.length !== n) this.#view = this.#buffer.subarray(0, n);
    return this.#view;
  }
}
