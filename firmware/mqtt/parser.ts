/*
 * Streaming MQTT parser: feed whatever the socket gave with `push`, then call
 * `next` until it returns undefined. Handles packets split across reads and
 * several packets per read. A malformed packet yields one CodecError and the
 * parser stops (MQTT says close the connection); `reset()` for a new one.
 *
 * Bounded memory: a packet that arrives whole in one read is decoded straight
 * from that read; only a packet split across reads is gathered, and never one
 * larger than `maxPacketSize`. By default a larger packet is an error; with
 * `onSkipped` it is skipped as it streams (its bytes are counted down across
 * reads, never held) and reported once its last byte has passed, so the
 * connection goes on. A skipped QoS 1/2 PUBLISH is reported with its packet id
 * (and topic when it fits within the maximum) so it can still be acknowledged.
 *
 * `protocolVersion` (default 4) selects the wire format. A parsed CONNECT sets
 * it from the CONNECT's own protocol level (a server learns the client's
 * version that way, as mqtt-packet's parser does). The type parameter only
 * names what `next()` yields: `new MqttParser<Packet5>({ protocolVersion: 5 })`.
 */
import { Reader } from "./bytes.js";
import { checkFirstByte, cmdOf, decodePacket, type CodecOptions } from "./codec.js";
import { codecError, MAX_PACKET_SIZE, MQTT_3_1, MQTT_3_1_1, type AnyPacket, type CodecError, type Packet, type ProtocolVersion, type SkippedPacket } from "./packet.js";

export interface MqttParserOptions {
  /** Largest whole packet accepted (header included). Default: the protocol maximum. */
  maxPacketSize?: number;
  protocolVersion?: ProtocolVersion;
  /** Skip larger packets as they stream and report each here; without it a larger packet is an error. */
  onSkipped?: (skipped: SkippedPacket) => void;
}

const INITIAL_CAPACITY = 256;
const MAX_HEADER_BYTES = 5;
const CONTINUATION = 0x80;
/** PUBLISH QoS bits and the bytes of its topic length and packet id. */
const QOS_MASK = 0x06;
const U16_BYTES = 2;
const NO_INPUT = new Uint8Array(0);

/** Where a skip stands: reading the PUBLISH's topic length, its topic and packet id (or counting down a topic too large to hold, then the id), then counting down the rest. */
const SKIP_NONE = 0;
const SKIP_TOPIC_LENGTH = 1;
const SKIP_TOPIC_AND_ID = 2;
const SKIP_DROP_TOPIC = 3;
const SKIP_ID = 4;
const SKIP_REST = 5;

export class MqttParser<P extends AnyPacket = Packet> {
  readonly maxPacketSize: number;
  #options: CodecOptions;
  #onSkipped: ((skipped: SkippedPacket) => void) | undefined;
  /** The input being parsed (the caller's bytes, not copied) and how far it is consumed. */
  #in: Uint8Array = NO_INPUT;
  #inPos = 0;
  /** The current packet's fixed header, and its body length once the header is complete (-1 before). */
  #head = new Uint8Array(MAX_HEADER_BYTES);
  #headLength = 0;
  #length = -1;
  /** Body bytes gathered when a packet spans reads (never more than maxPacketSize). */
  #buf = new Uint8Array(INITIAL_CAPACITY);
  #have = 0;
  #skip = SKIP_NONE;
  /** Body bytes of the skipped packet not yet consumed, and of the current skip step. */
  #bodyLeft = 0;
  #dropLeft = 0;
  #skipped: SkippedPacket | undefined;
  #error: CodecError | undefined;
  #reported = false;

  constructor(options?: MqttParserOptions) {
    const max = options?.maxPacketSize;
    this.maxPacketSize = typeof max === "number" && max > 0 ? Math.min(max, MAX_PACKET_SIZE) : MAX_PACKET_SIZE;
    this.#options = { protocolVersion: options?.protocolVersion ?? MQTT_3_1_1 };
    this.#onSkipped = options?.onSkipped;
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

  /** Bytes received and not yet consumed (a partial packet held, plus input next() has not reached). */
  get buffered(): number {
    return this.#headLength + this.#have + this.#in.length - this.#inPos;
  }

  /** Bytes of memory the parser holds for partial packets (grows only for a packet split across reads). */
  get capacity(): number {
    return this.#buf.length;
  }

  /** Takes received bytes (kept by reference until next() returns undefined). Ignored after an error until `reset()`. */
  push(data: Uint8Array | ArrayBuffer): void {
    if (this.#error !== undefined) return;
    const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
    if (bytes.length === 0) return;
    const left = this.#in.length - this.#inPos;
    if (left === 0) {
      this.#in = bytes;
    } else {
      // Pushed twice without draining: join the two (only callers that do so pay for it).
      const joined = new Uint8Array(left + bytes.length);
      joined.set(this.#in.subarray(this.#inPos));
      joined.set(bytes, left);
      this.#in = joined;
    }
    this.#inPos = 0;
  }

  /** The next complete packet, a CodecError (once) if the stream is malformed, or undefined when more bytes are needed. */
  next(): P | CodecError | undefined {
    if (this.#error !== undefined) {
      if (this.#reported) return undefined;
      this.#reported = true;
      return this.#error;
    }
    for (;;) {
      if (this.#skip !== SKIP_NONE) {
        const done = this.#skipStep();
        if (done !== true) return this.#waitOr(done);
        continue;
      }
      if (this.#length < 0) {
        const header = this.#readHeader();
        if (header !== true) return this.#waitOr(header);
        const total = this.#headLength + this.#length;
        if (total > this.maxPacketSize) {
          if (this.#onSkipped === undefined) return this.#fail(codecError(`packet of ${total} bytes exceeds the maximum of ${this.maxPacketSize}`));
          this.#startSkip(total);
          continue;
        }
      }
      return this.#body();
    }
  }

  /** Forgets buffered bytes and any error (for a new connection). The protocol version stays. */
  reset(): void {
    this.#in = NO_INPUT;
    this.#inPos = this.#headLength = this.#have = 0;
    this.#length = -1;
    this.#skip = SKIP_NONE;
    this.#skipped = undefined;
    this.#error = undefined;
    this.#reported = false;
    // A packet that spanned reads may have grown the buffer (up to maxPacketSize): a new connection starts small.
    if (this.#buf.length > INITIAL_CAPACITY) this.#buf = new Uint8Array(INITIAL_CAPACITY);
  }

  /** Copies header bytes from the input until the remaining length is complete: true, undefined (more needed) or an error. */
  #readHeader(): true | CodecError | undefined {
    const input = this.#in;
    const head = this.#head;
    while (this.#inPos < input.length) {
      const b = input[this.#inPos++];
      head[this.#headLength++] = b;
      if (this.#headLength === 1) {
        const bad = checkFirstByte(b, this.#options.protocolVersion);
        if (bad !== undefined) return bad;
        continue;
      }
      if ((b & CONTINUATION) !== 0) {
        if (this.#headLength === MAX_HEADER_BYTES) return codecError("remaining length longer than 4 bytes");
        continue;
      }
      if (b === 0 && this.#headLength > 2) return codecError("non-minimal remaining length"); // [MQTT-1.5.5-1]
      let length = 0;
      let multiplier = 1;
      for (let i = 1; i < this.#headLength; i++) {
        length += (head[i] & 0x7f) * multiplier;
        multiplier *= 128;
      }
      this.#length = length;
      return true;
    }
    return undefined;
  }

  /** Decodes the current packet once its body is here: straight from the input when whole, else gathered. */
  #body(): P | CodecError | undefined {
    const length = this.#length;
    let bytes: Uint8Array;
    let start: number;
    if (this.#have === 0 && this.#in.length - this.#inPos >= length) {
      bytes = this.#in;
      start = this.#inPos;
      this.#inPos += length;
    } else {
      if (!this.#gather(length)) return this.#waitOr(undefined);
      bytes = this.#buf;
      start = 0;
    }
    const packet = decodePacket(this.#head[0], bytes, start, start + length, this.#options);
    this.#endPacket();
    if (packet.cmd === "error") return this.#fail(packet);
    if (packet.cmd === "connect") this.#options = { protocolVersion: packet.protocolVersion === MQTT_3_1 ? MQTT_3_1_1 : packet.protocolVersion };
    return packet as P;
  }

  /** Gathers the current packet's first `n` body bytes into #buf; false until they are all here. */
  #gather(n: number): boolean {
    if (this.#buf.length < n) {
      let capacity = this.#buf.length;
      while (capacity < n) capacity *= 2;
      const grown = new Uint8Array(Math.min(capacity, Math.max(n, this.maxPacketSize)));
      grown.set(this.#buf.subarray(0, this.#have));
      this.#buf = grown;
    }
    const take = Math.min(n - this.#have, this.#in.length - this.#inPos);
    if (take > 0) {
      this.#buf.set(this.#in.subarray(this.#inPos, this.#inPos + take), this.#have);
      this.#have += take;
      this.#inPos += take;
    }
    return this.#have >= n;
  }

  #startSkip(total: number): void {
    const first = this.#head[0];
    const cmd = cmdOf(first);
    const skipped: SkippedPacket = { cmd, size: total };
    this.#skipped = skipped;
    this.#bodyLeft = this.#length;
    this.#skip = SKIP_REST;
    if (cmd !== "publish") return;
    const qos = ((first & QOS_MASK) >> 1) as 0 | 1 | 2;
    skipped.qos = qos;
    // QoS 1/2: topic and packet id come first in the body; read them so the message can still be acknowledged.
    if (qos > 0) this.#skip = SKIP_TOPIC_LENGTH;
  }

  /** Advances the skip: true when the packet is behind us (and reported), undefined for more input, or an error. */
  #skipStep(): true | CodecError | undefined {
    const skipped = this.#skipped!;
    for (;;) {
      switch (this.#skip) {
        case SKIP_TOPIC_LENGTH: {
          if (this.#bodyLeft < 2 * U16_BYTES) return codecError("PUBLISH too short for a topic and a packet id");
          if (!this.#gather(U16_BYTES)) return undefined;
          const topicLength = (this.#buf[0] << 8) | this.#buf[1];
          if (U16_BYTES + topicLength + U16_BYTES > this.#bodyLeft) return codecError("PUBLISH topic longer than the packet");
          if (this.#headLength + U16_BYTES + topicLength + U16_BYTES <= this.maxPacketSize) {
            this.#skip = SKIP_TOPIC_AND_ID;
          } else {
            // Even the topic is larger than we hold: count it down too, keep only the id.
            this.#take(U16_BYTES);
            this.#dropLeft = topicLength;
            this.#skip = SKIP_DROP_TOPIC;
          }
          continue;
        }
        case SKIP_TOPIC_AND_ID: {
          const topicLength = (this.#buf[0] << 8) | this.#buf[1];
          const n = U16_BYTES + topicLength + U16_BYTES;
          if (!this.#gather(n)) return undefined;
          const r = new Reader(this.#buf, 0, n - U16_BYTES);
          const topic = r.str("topic name");
          if (r.error === undefined) skipped.topic = topic;
          skipped.messageId = (this.#buf[n - 2] << 8) | this.#buf[n - 1];
          this.#take(n);
          this.#skip = SKIP_REST;
          break;
        }
        case SKIP_DROP_TOPIC:
          if (!this.#drop()) return undefined;
          this.#skip = SKIP_ID;
          continue;
        case SKIP_ID:
          if (!this.#gather(U16_BYTES)) return undefined;
          skipped.messageId = (this.#buf[0] << 8) | this.#buf[1];
          this.#take(U16_BYTES);
          this.#skip = SKIP_REST;
          break;
        default: {
          this.#dropLeft = this.#bodyLeft;
          if (!this.#drop()) return undefined;
          this.#skip = SKIP_NONE;
          this.#skipped = undefined;
          this.#endPacket();
          this.#onSkipped!(skipped);
          return true;
        }
      }
      if (skipped.messageId === 0) return codecError("packet id 0");
    }
  }

  /** The gathered bytes were read: they leave the body. */
  #take(n: number): void {
    this.#bodyLeft -= n;
    this.#have = 0;
  }

  /** Counts #dropLeft body bytes down over the input without keeping them; true when done. */
  #drop(): boolean {
    const n = Math.min(this.#dropLeft, this.#in.length - this.#inPos);
    this.#inPos += n;
    this.#dropLeft -= n;
    this.#bodyLeft -= n;
    return this.#dropLeft === 0;
  }

  #endPacket(): void {
    this.#headLength = this.#have = 0;
    this.#length = -1;
  }

  /** Undefined (more bytes needed; the input is all consumed, so let go of it) or the error that stops the parser. */
  #waitOr(error: CodecError | undefined): CodecError | undefined {
    if (error !== undefined) return this.#fail(error);
    this.#in = NO_INPUT;
    this.#inPos = 0;
    return undefined;
  }

  #fail(error: CodecError): CodecError {
    this.#error = error;
    this.#reported = true;
    this.#in = NO_INPUT;
    this.#inPos = this.#headLength = this.#have = 0;
    this.#length = -1;
    this.#skip = SKIP_NONE;
    return error;
  }
}
