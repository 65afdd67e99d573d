/*
 * MQTT packet objects (shapes close to mqtt-packet's, so it can serve as the
 * test oracle) and protocol constants. Only MQTT 3.1.1 (protocol level 4, and
 * 3.1 "MQIsdp" level 3 on CONNECT) is implemented; `protocolVersion` is carried
 * on CONNECT and in codec/parser options so MQTT 5 properties and reason codes
 * can be added as optional fields later.
 */

export type QoS = 0 | 1 | 2;
export type ProtocolVersion = 3 | 4 | 5;

export const MQTT_3_1 = 3;
export const MQTT_3_1_1 = 4;
export const MQTT_5 = 5;

/** Control packet types (high nibble of the first byte). */
export const PacketType = {
  connect: 1,
  connack: 2,
  publish: 3,
  puback: 4,
  pubrec: 5,
  pubrel: 6,
  pubcomp: 7,
  subscribe: 8,
  suback: 9,
  unsubscribe: 10,
  unsuback: 11,
  pingreq: 12,
  pingresp: 13,
  disconnect: 14,
} as const;

export type PacketCmd = keyof typeof PacketType;

/** Largest value the 4-byte remaining length can hold (268,435,455). */
export const MAX_REMAINING_LENGTH = 0x0fffffff;
/** Largest whole packet: first byte + 4 length bytes + body. */
export const MAX_PACKET_SIZE = 1 + 4 + MAX_REMAINING_LENGTH;
export const MAX_STRING_BYTES = 0xffff;
export const MAX_PACKET_ID = 0xffff;

/** SUBACK return code for a refused subscription. */
export const SUBACK_FAILURE = 0x80;

/** CONNACK return codes of MQTT 3.1.1 (section 3.2.2.3). */
export const ConnackCode = {
  accepted: 0,
  unacceptableProtocolVersion: 1,
  identifierRejected: 2,
  serverUnavailable: 3,
  badUsernameOrPassword: 4,
  notAuthorized: 5,
} as const;

const CONNACK_NAMES = [
  "accepted",
  "unacceptable protocol version",
  "identifier rejected",
  "server unavailable",
  "bad user name or password",
  "not authorized",
];

export function connackReason(code: number): string {
  return CONNACK_NAMES[code] ?? `reserved return code ${code}`;
}

export interface Will {
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
}

export interface ConnectPacket {
  cmd: "connect";
  /** Defaults to "MQTT" (or "MQIsdp" for level 3) when encoding. */
  protocolId?: "MQTT" | "MQIsdp";
  protocolVersion: ProtocolVersion;
  clean: boolean;
  /** Seconds; 0 disables keepalive. */
  keepalive: number;
  clientId: string;
  username?: string;
  password?: Uint8Array;
  will?: Will;
}

export interface ConnackPacket {
  cmd: "connack";
  sessionPresent: boolean;
  returnCode: number;
}

export interface PublishPacket {
  cmd: "publish";
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
  dup: boolean;
  /** Present (1..65535) exactly when qos > 0. */
  messageId?: number;
}

export interface IdOnlyPacket<C extends "puback" | "pubrec" | "pubrel" | "pubcomp" | "unsuback"> {
  cmd: C;
  messageId: number;
}
export type PubackPacket = IdOnlyPacket<"puback">;
export type PubrecPacket = IdOnlyPacket<"pubrec">;
export type PubrelPacket = IdOnlyPacket<"pubrel">;
export type PubcompPacket = IdOnlyPacket<"pubcomp">;
export type UnsubackPacket = IdOnlyPacket<"unsuback">;

export interface Subscription {
  topic: string;
  qos: QoS;
}

export interface SubscribePacket {
  cmd: "subscribe";
  messageId: number;
  subscriptions: Subscription[];
}

export interface SubackPacket {
  cmd: "suback";
  messageId: number;
  /** Per subscription: granted QoS 0..2, or SUBACK_FAILURE (0x80). */
  granted: number[];
}

export interface UnsubscribePacket {
  cmd: "unsubscribe";
  messageId: number;
  unsubscriptions: string[];
}

export interface EmptyPacket<C extends "pingreq" | "pingresp" | "disconnect"> {
  cmd: C;
}
export type PingreqPacket = EmptyPacket<"pingreq">;
export type PingrespPacket = EmptyPacket<"pingresp">;
export type DisconnectPacket = EmptyPacket<"disconnect">;

export type Packet =
  | ConnectPacket
  | ConnackPacket
  | PublishPacket
  | PubackPacket
  | PubrecPacket
  | PubrelPacket
  | PubcompPacket
  | SubscribePacket
  | SubackPacket
  | UnsubscribePacket
  | UnsubackPacket
  | PingreqPacket
  | PingrespPacket
  | DisconnectPacket;

/** A malformed packet or an unencodable object: a value, never a thrown exception. */
export interface CodecError {
  cmd: "error";
  message: string;
}
export type ParseError = CodecError;

export function codecError(message: string): CodecError {
  return { cmd: "error", message };
}

export function isCodecError(x: unknown): x is CodecError {
  return typeof x === "object" && x !== null && (x as { cmd?: unknown }).cmd === "error";
}
