/*
 * MQTT 3.1.1 codec: `encode(packet)` to bytes and `decodePacket(...)` from one
 * complete packet. Streaming input goes through MqttParser (parser.ts). Both
 * return a CodecError value for bad input instead of throwing.
 *
 * MQTT 5 later: `options.protocolVersion` selects the wire format; version 5
 * adds properties after the variable header and reason codes on acks, which
 * fit as optional fields on the same packet objects.
 */
import { Reader } from "./bytes.js";
import {
  codecError,
  MQTT_3_1_1,
  MQTT_5,
  PacketType,
  type CodecError,
  type Packet,
  type PacketCmd,
  type ProtocolVersion,
} from "./packet.js";
import { decodeConnack, decodeConnect, encodeConnack, encodeConnect } from "./packets/connect.js";
import { checkPublishFlags, decodeIdOnly, decodePublish, encodeIdOnly, encodePublish, FLAGS_0010 } from "./packets/publish.js";
import { decodeSuback, decodeSubscribe, decodeUnsubscribe, encodeSuback, encodeSubscribe, encodeUnsubscribe } from "./packets/subscribe.js";

export * from "./packet.js";
export { checkTopicFilter, checkTopicName } from "./topic.js";

export interface CodecOptions {
  /** Wire format of everything but CONNECT (which carries its own). Default 4 (3.1.1). */
  protocolVersion?: ProtocolVersion;
}

const CMD_BY_TYPE: (PacketCmd | undefined)[] = [
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
  undefined, // 15: AUTH in MQTT 5, reserved in 3.1.1
];

/** Packets whose whole encoding is the two bytes [type << 4, 0]. */
function encodeEmpty(cmd: "pingreq" | "pingresp" | "disconnect"): Uint8Array {
  return new Uint8Array([PacketType[cmd] << 4, 0]);
}

function unsupportedVersion(v: ProtocolVersion | undefined): CodecError | undefined {
  if (v === undefined || v === MQTT_3_1_1 || v === 3) return undefined;
  return codecError(v === MQTT_5 ? "MQTT 5 is not supported yet" : `unknown protocol version ${v}`);
}

/** Encodes a packet; returns a CodecError (never throws) when the object cannot be encoded. */
export function encode(packet: Packet, options?: CodecOptions): Uint8Array | CodecError {
  if (typeof packet !== "object" || packet === null) return codecError("not a packet object");
  const bad = unsupportedVersion(options?.protocolVersion);
  if (bad !== undefined && packet.cmd !== "connect") return bad;
  switch (packet.cmd) {
    case "connect":
      return encodeConnect(packet);
    case "connack":
      return encodeConnack(packet);
    case "publish":
      return encodePublish(packet);
    case "puback":
    case "pubrec":
    case "pubrel":
    case "pubcomp":
    case "unsuback":
      return encodeIdOnly(packet);
    case "subscribe":
      return encodeSubscribe(packet);
    case "suback":
      return encodeSuback(packet);
    case "unsubscribe":
      return encodeUnsubscribe(packet);
    case "pingreq":
    case "pingresp":
    case "disconnect":
      return encodeEmpty(packet.cmd);
    default:
      return codecError(`unknown packet cmd ${(packet as { cmd?: unknown }).cmd}`);
  }
}

/**
 * Checks the first byte of a packet (type and fixed-header flags, section
 * 2.2.2) so the parser can reject garbage before waiting for its body.
 */
export function checkFirstByte(first: number): CodecError | undefined {
  const type = first >> 4;
  const flags = first & 0x0f;
  const cmd = CMD_BY_TYPE[type];
  if (cmd === undefined) return codecError(`reserved packet type ${type}`);
  if (cmd === "publish") {
    const bad = checkPublishFlags(flags);
    return bad === undefined ? undefined : codecError(bad);
  }
  const expected = cmd === "pubrel" || cmd === "subscribe" || cmd === "unsubscribe" ? FLAGS_0010 : 0;
  if (flags !== expected) return codecError(`invalid fixed-header flags 0x${flags.toString(16)} on ${cmd.toUpperCase()}`);
  return undefined;
}

/**
 * Decodes one complete packet whose first byte is `first` and whose body is
 * bytes[start, end). The result never aliases `bytes`.
 */
export function decodePacket(first: number, bytes: Uint8Array, start: number, end: number, options?: CodecOptions): Packet | CodecError {
  const badFirst = checkFirstByte(first);
  if (badFirst !== undefined) return badFirst;
  const cmd = CMD_BY_TYPE[first >> 4]!;
  const bad = unsupportedVersion(options?.protocolVersion);
  if (bad !== undefined && cmd !== "connect") return bad;
  const r = new Reader(bytes, start, end);
  switch (cmd) {
    case "connect":
      return decodeConnect(r);
    case "connack":
      return decodeConnack(r);
    case "publish":
      return decodePublish(first & 0x0f, r);
    case "puback":
    case "pubrec":
    case "pubrel":
    case "pubcomp":
    case "unsuback":
      return decodeIdOnly(cmd, r);
    case "subscribe":
      return decodeSubscribe(r);
    case "suback":
      return decodeSuback(r);
    case "unsubscribe":
      return decodeUnsubscribe(r);
    default:
      if (end !== start) return codecError(`${cmd.toUpperCase()} with remaining length ${end - start}, expected 0`);
      return { cmd };
  }
}
