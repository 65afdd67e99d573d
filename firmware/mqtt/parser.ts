/*
 * Streaming MQTT parser: feed whatever the socket gave with `push`, then call
 * `next` until it returns undefined. Handles packets split across reads and
 * several packets per read. A malformed packet yields one CodecError and the
 * parser stops (MQTT says close the connection); `reset()` for a new one.
 *
 * `protocolVersion` (default 4) selects the wire format. A parsed CONNECT sets
 * it from the CONNECT's own protocol level (a server learns the client's
 * version that way, as mqtt-packet's parser does). The type parameter only
 * names what `next()` yields: `new MqttParser<Packet5>({ protocolVersion: 5 })`.
 */
import { checkFirstByte, decodePacket, type CodecOptions } from "./codec.js";
import { codecError, MAX_PACKET_SIZE, MQTT_3_1, MQTT_3_1_1, type AnyPacket, type CodecError, type Packet, type ProtocolVersion } from "./packet.js";

export interface MqttParserOptions {
  /** Largest whole packet accepted (header included); larger ones are an error. Default: the protocol maximum. */
  maxPacketSize?: number;
  protocolVersion?: ProtocolVersion;
}

const INITIAL_CAPACITY = 256;
const MAX_VARINT_BYTES = 4;
const CONTINUATION = 0x80;

export class MqttParser<P extends AnyPacket = Packet> {
  readonly maxPacketSize: number;
  #options: CodecOptions;
  #buf = new Uint8Array(INITIAL_CAPACITY);
  #start = 0;
  #end = 0;
  #error: CodecError | undefined;
  #reported = false;

  constructor(options?: MqttParserOptions) {
    const max = options?.maxPacketSize;
    this.maxPacketSize = typeof max === "number" && max > 0 ? Math.min(max, MAX_PACKET_SIZE) : MAX_PACKET_SIZE;
    this.#options = { protocolVersion: options?.protocolVersion ?? MQTT_3_1_1 };
  }

  /** The wire format in use (changes when a CONNECT is parsed). */
  get protocolVersion(): ProtocolVersion {
    return this.#options.protocolVersion!;
  }
  set protocolVersion(v: ProtocolVersion) {
    this.#options = { protocolVersion: v };
  }

  /** The error that stopped the parser, if any. */
  get error(): CodecError | undefined {
    return this.#error;
  }

  /** Bytes received but not yet consumed by a complete packet. */
  get buffered(): number {
    return this.#end - this.#start;
  }

  /** Appends received bytes. Ignored after an error until `reset()`. */
  push(data: Uint8Array | ArrayBuffer): void {
    if (this.#error !== undefined) return;
    const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
    if (bytes.length === 0) return;
    const used = this.#end - this.#start;
    if (this.#end + bytes.length > this.#buf.length) {
      if (used + bytes.length <= this.#buf.length) {
        this.#buf.copyWithin(0, this.#start, this.#end);
      } else {
        let capacity = this.#buf.length;
        while (capacity < used + bytes.length) capacity *= 2;
        const grown = new Uint8Array(capacity);
        grown.set(this.#buf.subarray(this.#start, this.#end));
        this.#buf = grown;
      }
      this.#start = 0;
      this.#end = used;
    }
    this.#buf.set(bytes, this.#end);
    this.#end += bytes.length;
  }

  /** The next complete packet, a CodecError (once) if the stream is malformed, or undefined when more bytes are needed. */
  next(): P | CodecError | undefined {
    if (this.#error !== undefined) {
      if (this.#reported) return undefined;
      this.#reported = true;
      return this.#error;
    }
    const available = this.#end - this.#start;
    if (available < 2) return undefined;
    const buf = this.#buf;
    const first = buf[this.#start];
    const badFirst = checkFirstByte(first, this.#options.protocolVersion);
    if (badFirst !== undefined) return this.#fail(badFirst);

    let length = 0;
    let multiplier = 1;
    let i = 0;
    for (; ; i++) {
      if (i >= MAX_VARINT_BYTES) return this.#fail(codecError("remaining length longer than 4 bytes"));
      if (1 + i >= available) return undefined;
      const b = buf[this.#start + 1 + i];
      length += (b & 0x7f) * multiplier;
      multiplier *= 128;
      if ((b & CONTINUATION) === 0) {
        if (b === 0 && i > 0) return this.#fail(codecError("non-minimal remaining length")); // [MQTT-1.5.5-1]
        break;
      }
    }
    const headerLength = 2 + i;
    const total = headerLength + length;
    if (total > this.maxPacketSize) return this.#fail(codecError(`packet of ${total} bytes exceeds the maximum of ${this.maxPacketSize}`));
    if (available < total) return undefined;

    const bodyStart = this.#start + headerLength;
    const packet = decodePacket(first, buf, bodyStart, bodyStart + length, this.#options);
    this.#start += total;
    if (this.#start === this.#end) this.#start = this.#end = 0;
    if (packet.cmd === "error") return this.#fail(packet);
    if (packet.cmd === "connect") this.#options = { protocolVersion: packet.protocolVersion === MQTT_3_1 ? MQTT_3_1_1 : packet.protocolVersion };
    return packet as P;
  }

  /** Forgets buffered bytes and any error (for a new connection). The protocol version stays. */
  reset(): void {
    this.#start = this.#end = 0;
    this.#error = undefined;
    this.#reported = false;
    if (this.#buf.length > INITIAL_CAPACITY) this.#buf = new Uint8Array(INITIAL_CAPACITY);
  }

  #fail(error: CodecError): CodecError {
    this.#error = error;
    this.#reported = true;
    this.#start = this.#end = 0;
    return error;
  }
}
