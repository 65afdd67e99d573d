/*
 * MQTT 3.1.1 and 5.0 codec: `encode(packet, options)` to bytes and
 * `decodePacket(...)` from one complete packet. Streaming input goes through
 * MqttParser (parser.ts). Both return a CodecError value for bad input
 * instead of throwing.
 *
 * `options.protocolVersion` (default 4) selects the wire format of everything
 * but CONNECT, which carries its own version. In version 5 the packets carry
 * `properties` and reason codes (see packet.ts); in 3.1.1 an MQTT 5-only field
 * with a non-default value is an encode error rather than silently dropped.
 * `options.maximumPacketSize` is the peer's limit: a larger packet is an error,
 * except that (as MQTT 5 requires of acknowledgements) Reason String and then
 * User Properties are dropped from acks, DISCONNECT and AUTH to make them fit.
 */
import { Reader, Writer } from "./bytes.js";
import {
  codecError,
  isCodecError,
  MAX_PACKET_SIZE,
  MQTT_3_1,
  MQTT_3_1_1,
  MQTT_5,
  type AnyPacket,
  type CodecError,
  type PacketCmd,
  type ProtocolVersion,
} from "./packet.js";
import { decodeAuth, decodeDisconnect, encodeAuth, encodeDisconnect, encodeEmpty } from "./packets/control.js";
import { decodeConnack, decodeConnect, encodeConnack, encodeConnect } from "./packets/connect.js";
import { checkPublishFlags, decodeAck, decodePublish, encodeAck, encodePublish, FLAGS_0010 } from "./packets/publish.js";
import {
  decodeSuback,
  decodeSubscribe,
  decodeUnsuback,
  decodeUnsubscribe,
  encodeSuback,
  encodeSubscribe,
  encodeUnsuback,
  encodeUnsubscribe,
} from "./packets/subscribe.js";

export * from "./packet.js";
export { checkTopicFilter, checkTopicName } from "./topic.js";
export { PROPERTIES, propertyId } from "./packets/properties.js";

export interface CodecOptions {
  /** Wire format of everything but CONNECT (which carries its own). Default 4 (3.1.1). */
  protocolVersion?: ProtocolVersion;
  /** Encode: the receiver's Maximum Packet Size (whole packet, bytes); larger packets are an error. */
  maximumPacketSize?: number;
}

const CMD_BY_TYPE: readonly (PacketCmd | undefined)[] = Object.freeze([
  undefined, // 0 reserved
  "connect",
  "connack",
  "publish",
  "puback",
  "pubrec",
  "pubrel",
  "pubcomp",
  "subscribe",
  "suback",
  "unsubscribe",
  "unsuback",
  "pingreq",
  "pingresp",
  "disconnect",
  "auth", // 15: reserved in 3.1.1
]);

/** The protocol version an options object selects, or a CodecError for an unknown one. */
function versionOf(options: CodecOptions | undefined): ProtocolVersion | CodecError {
  const v = options === undefined ? undefined : options.protocolVersion;
  if (v === undefined || v === MQTT_3_1_1) return MQTT_3_1_1;
  if (v === MQTT_5) return MQTT_5;
  if (v === MQTT_3_1) return MQTT_3_1_1; // same wire format after CONNECT
  return codecError(`unknown protocol version ${String(v)}`);
}

/** Encodes `packet` into `w` (which allocates the packet's array, or places it in the caller's). */
function encodeAny(packet: AnyPacket, v: ProtocolVersion, w: Writer): CodecError | undefined {
  switch (packet.cmd) {
    case "connect":
      return encodeConnect(packet, w);
    case "connack":
      return encodeConnack(packet, v, w);
    case "publish":
      return encodePublish(packet, v, w);
    case "puback":
    case "pubrec":
    case "pubrel":
    case "pubcomp":
      return encodeAck(packet, v, w);
    case "subscribe":
      return encodeSubscribe(packet, v, w);
    case "suback":
      return encodeSuback(packet, v, w);
    case "unsubscribe":
      return encodeUnsubscribe(packet, v, w);
    case "unsuback":
      return encodeUnsuback(packet, v, w);
    case "pingreq":
    case "pingresp":
      return encodeEmpty(packet.cmd, w);
    case "disconnect":
      return encodeDisconnect(packet, v, w);
    case "auth":
      return encodeAuth(packet, v, w);
    default:
      return codecError(`unknown packet cmd ${String((packet as { cmd?: unknown }).cmd)}`);
  }
}

/** One packet into a fresh array of exactly its size; never throws. */
function encodeFresh(packet: AnyPacket, v: ProtocolVersion): Uint8Array | CodecError {
  const w = new Writer();
  let e: CodecError | undefined;
  try {
    e = encodeAny(packet, v, w);
  } catch (x) {
    // Defensive: a hostile object (getters, proxies) must still not make encode throw.
    e = codecError(`cannot encode ${String((packet as { cmd?: unknown }).cmd)}: ${String(x)}`);
  }
  return e ?? w.bytes;
}

/** Packets whose Reason String and User Properties may be dropped to respect the receiver's maximum packet size. */
const TRIMMABLE: { readonly [cmd: string]: boolean } = Object.freeze({ connack: true, puback: true, pubrec: true, pubrel: true, pubcomp: true, suback: true, unsuback: true, disconnect: true, auth: true });

/** Encodes a packet; returns a CodecError (never throws) when the object cannot be encoded. */
export function encode(packet: AnyPacket, options?: CodecOptions): Uint8Array | CodecError {
  if (typeof packet !== "object" || packet === null) return codecError("not a packet object");
  const v = versionOf(options);
  if (typeof v !== "number") return v;
  const bytes = encodeFresh(packet, v);
  const max = options === undefined ? undefined : options.maximumPacketSize;
  if (max === undefined || isCodecError(bytes) || bytes.length <= max) return bytes;
  const props = (packet as { properties?: { [k: string]: unknown } }).properties;
  if (v === MQTT_5 && TRIMMABLE[packet.cmd] === true && props !== undefined) {
    // MQTT 5 3.4.2.2.2/3: drop Reason String, then User Properties, rather than exceed the limit.
    const fewer: { [k: string]: unknown } = { ...props, reasonString: undefined };
    for (let step = 0; step < 2; step++) {
      const smaller = encodeFresh({ ...packet, properties: fewer } as AnyPacket, v);
      if (!isCodecError(smaller) && smaller.length <= max) return smaller;
      fewer.userProperties = undefined;
    }
  }
  return codecError(`${packet.cmd.toUpperCase()} of ${bytes.length} bytes exceeds the maximum packet size ${max}`);
}

/**
 * Encodes a packet straight into `out` at `offset` (for a preallocated send
 * buffer). Returns the number of bytes written, or a CodecError when the
 * packet cannot be encoded or does not fit in `out` (then with `needed`, the
 * packet's size, so a caller can grow its buffer). `writer`, when given, is
 * the caller's own, reset here for this packet: a sender that keeps one
 * allocates nothing per packet (a PUBLISH with a plain topic; SendPath).
 */
export function encodeInto(packet: AnyPacket, out: Uint8Array, offset = 0, options?: CodecOptions, writer?: Writer): number | CodecError {
  if (typeof packet !== "object" || packet === null) return codecError("not a packet object");
  if (!(out instanceof Uint8Array) || !Number.isInteger(offset) || offset < 0 || offset > out.length) return codecError("invalid output buffer or offset");
  const v = versionOf(options);
  if (typeof v !== "number") return v;
  let w: Writer;
  if (writer === undefined) w = new Writer(out, offset);
  else {
    w = writer;
    w.reset(out, offset);
  }
  let e: CodecError | undefined;
  try {
    e = encodeAny(packet, v, w);
  } catch (x) {
    return codecError(`cannot encode ${String((packet as { cmd?: unknown }).cmd)}: ${String(x)}`);
  }
  if (w.needed > 0) {
    const small = codecError(`output buffer too small: ${packet.cmd.toUpperCase()} takes ${w.needed} bytes, ${out.length - offset} free`);
    small.needed = w.needed;
    return small;
  }
  if (e !== undefined) return e;
  const n = w.pos - offset;
  const max = options === undefined ? undefined : options.maximumPacketSize;
  if (max === undefined || n <= max) return n;
  const trimmed = encode(packet, options); // drops optional properties, or explains the error
  if (isCodecError(trimmed)) return trimmed;
  out.set(trimmed, offset);
  return trimmed.length;
}

/**
 * Checks the first byte of a packet (type and fixed-header flags, section
 * 2.2.2) so the parser can reject garbage before waiting for its body.
 */
export function checkFirstByte(first: number, protocolVersion?: ProtocolVersion): CodecError | undefined {
  const type = first >> 4;
  const flags = first & 0x0f;
  const cmd = CMD_BY_TYPE[type];
  if (cmd === undefined || (cmd === "auth" && protocolVersion !== MQTT_5)) return codecError(`reserved packet type ${type}`);
  if (cmd === "publish") {
    const bad = checkPublishFlags(flags);
    return bad === undefined ? undefined : codecError(bad);
  }
  const expected = cmd === "pubrel" || cmd === "subscribe" || cmd === "unsubscribe" ? FLAGS_0010 : 0;
  if (flags !== expected) return codecError(`invalid fixed-header flags 0x${flags.toString(16)} on ${cmd.toUpperCase()}`);
  return undefined;
}

/** The packet type a first byte names (one that checkFirstByte accepted). */
export function cmdOf(first: number): PacketCmd {
  return CMD_BY_TYPE[first >> 4]!;
}

/**
 * Decodes one complete packet whose first byte is `first` and whose body is
 * bytes[start, end). The result never aliases `bytes`.
 */
export function decodePacket(first: number, bytes: Uint8Array, start: number, end: number, options?: CodecOptions): AnyPacket | CodecError {
  const v = versionOf(options);
  if (typeof v !== "number") return v;
  const badFirst = checkFirstByte(first, v);
  if (badFirst !== undefined) return badFirst;
  if (end - start > MAX_PACKET_SIZE) return codecError("packet too large");
  const cmd = CMD_BY_TYPE[first >> 4]!;
  const r = new Reader(bytes, start, end);
  switch (cmd) {
    case "connect":
      return decodeConnect(r);
    case "connack":
      return decodeConnack(r, v);
    case "publish":
      return decodePublish(first & 0x0f, r, v);
    case "puback":
    case "pubrec":
    case "pubrel":
    case "pubcomp":
      return decodeAck(cmd, r, v);
    case "subscribe":
      return decodeSubscribe(r, v);
    case "suback":
      return decodeSuback(r, v);
    case "unsubscribe":
      return decodeUnsubscribe(r, v);
    case "unsuback":
      return decodeUnsuback(r, v);
    case "disconnect":
      return decodeDisconnect(r, v);
    case "auth":
      return decodeAuth(r);
    default:
      if (end !== start) return codecError(`${cmd.toUpperCase()} with remaining length ${end - start}, expected 0`);
      return { cmd } as AnyPacket;
  }
}

