/*
 * MQTT packet objects and protocol constants for MQTT 3.1.1 (protocol level 4,
 * and 3.1 "MQIsdp" level 3 on CONNECT) and MQTT 5.0 (level 5).
 *
 * Shapes follow mqtt-packet's (it is our test oracle): MQTT 5 adds optional
 * `properties` (camelCase names, user properties as `{ key: value | [values] }`)
 * and `reasonCode` on the acknowledgements, DISCONNECT and AUTH. The one shape
 * that differs by version is CONNACK: `returnCode` in 3.1.1 (ConnackPacket),
 * `reasonCode` in 5 (Connack5Packet). `Packet` is the 3.1.1 union (what a
 * version-4 parser yields), `Packet5` the version-5 one, `AnyPacket` either.
 * Return and reason codes live in reason-codes.ts (re-exported here).
 */
export * from "./reason-codes.js";

export type QoS = 0 | 1 | 2;
export type ProtocolVersion = 3 | 4 | 5;

export const MQTT_3_1 = 3;
export const MQTT_3_1_1 = 4;
export const MQTT_5 = 5;

/** Control packet types (high nibble of the first byte). */
export const PacketType = Object.freeze({
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
  /** MQTT 5 only. */
  auth: 15,
} as const);

export type PacketCmd = keyof typeof PacketType;

/** Largest value the 4-byte remaining length (or any variable byte integer) can hold (268,435,455). */
export const MAX_REMAINING_LENGTH = 0x0fffffff;
export const MAX_VARINT = MAX_REMAINING_LENGTH;
/** Largest whole packet: first byte + 4 length bytes + body. */
export const MAX_PACKET_SIZE = 1 + 4 + MAX_REMAINING_LENGTH;
export const MAX_STRING_BYTES = 0xffff;
export const MAX_PACKET_ID = 0xffff;

// ---- MQTT 5 properties ------------------------------------------------------

/** User properties: a name maps to one value, or to several when the name repeats (order kept). */
export type UserProperties = { [name: string]: string | string[] };

export interface ConnectProperties {
  sessionExpiryInterval?: number;
  receiveMaximum?: number;
  maximumPacketSize?: number;
  topicAliasMaximum?: number;
  requestResponseInformation?: boolean;
  requestProblemInformation?: boolean;
  userProperties?: UserProperties;
  authenticationMethod?: string;
  authenticationData?: Uint8Array;
}

export interface WillProperties {
  willDelayInterval?: number;
  payloadFormatIndicator?: boolean;
  messageExpiryInterval?: number;
  contentType?: string;
  responseTopic?: string;
  correlationData?: Uint8Array;
  userProperties?: UserProperties;
}

export interface ConnackProperties {
  sessionExpiryInterval?: number;
  receiveMaximum?: number;
  maximumQoS?: number;
  retainAvailable?: boolean;
  maximumPacketSize?: number;
  assignedClientIdentifier?: string;
  topicAliasMaximum?: number;
  reasonString?: string;
  userProperties?: UserProperties;
  wildcardSubscriptionAvailable?: boolean;
  subscriptionIdentifiersAvailable?: boolean;
  sharedSubscriptionAvailable?: boolean;
  serverKeepAlive?: number;
  responseInformation?: string;
  serverReference?: string;
  authenticationMethod?: string;
  authenticationData?: Uint8Array;
}

export interface PublishProperties {
  payloadFormatIndicator?: boolean;
  messageExpiryInterval?: number;
  topicAlias?: number;
  responseTopic?: string;
  correlationData?: Uint8Array;
  userProperties?: UserProperties;
  /** Several when a message matched several subscriptions (server to client). */
  subscriptionIdentifier?: number | number[];
  contentType?: string;
}

/** PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK, UNSUBACK. */
export interface AckProperties {
  reasonString?: string;
  userProperties?: UserProperties;
}

export interface SubscribeProperties {
  subscriptionIdentifier?: number;
  userProperties?: UserProperties;
}

export interface UnsubscribeProperties {
  userProperties?: UserProperties;
}

export interface DisconnectProperties {
  sessionExpiryInterval?: number;
  reasonString?: string;
  userProperties?: UserProperties;
  serverReference?: string;
}

export interface AuthProperties {
  authenticationMethod?: string;
  authenticationData?: Uint8Array;
  reasonString?: string;
  userProperties?: UserProperties;
}

// ---- packets ------------------------------------------------------------------

export interface Will {
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
  /** MQTT 5. */
  properties?: WillProperties;
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
  /** MQTT 5. */
  properties?: ConnectProperties;
}

/** CONNACK of MQTT 3.1.1. */
export interface ConnackPacket {
  cmd: "connack";
  sessionPresent: boolean;
  returnCode: number;
}

/** CONNACK of MQTT 5. */
export interface Connack5Packet {
  cmd: "connack";
  sessionPresent: boolean;
  reasonCode: number;
  properties?: ConnackProperties;
}

export interface PublishPacket {
  cmd: "publish";
  /** May be "" in MQTT 5 when `properties.topicAlias` is set. */
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
  dup: boolean;
  /** Present (1..65535) exactly when qos > 0. */
  messageId?: number;
  /** MQTT 5. */
  properties?: PublishProperties;
}

export type AckCmd = "puback" | "pubrec" | "pubrel" | "pubcomp";

/** PUBACK, PUBREC, PUBREL, PUBCOMP. */
export interface AckPacket<C extends AckCmd> {
  cmd: C;
  messageId: number;
  /** MQTT 5: absent or 0 is Success; a decoded MQTT 5 ack always has it. */
  reasonCode?: number;
  /** MQTT 5. */
  properties?: AckProperties;
}
export type PubackPacket = AckPacket<"puback">;
export type PubrecPacket = AckPacket<"pubrec">;
export type PubrelPacket = AckPacket<"pubrel">;
export type PubcompPacket = AckPacket<"pubcomp">;

export interface UnsubackPacket {
  cmd: "unsuback";
  messageId: number;
  /** MQTT 5: one reason code per topic filter (mqtt-packet calls them `granted` here too). */
  granted?: number[];
  /** MQTT 5. */
  properties?: AckProperties;
}

/** Kept for 3.1.1 code that treats the id-only acknowledgements alike. */
export type IdOnlyPacket<C extends AckCmd | "unsuback"> = C extends AckCmd ? AckPacket<C> : UnsubackPacket;

/** MQTT 5 Retain Handling: 0 send retained on subscribe, 1 only if new, 2 never. */
export type RetainHandling = 0 | 1 | 2;

export interface Subscription {
  topic: string;
  qos: QoS;
  /** MQTT 5 No Local. */
  nl?: boolean;
  /** MQTT 5 Retain As Published. */
  rap?: boolean;
  /** MQTT 5 Retain Handling. */
  rh?: RetainHandling;
}

export interface SubscribePacket {
  cmd: "subscribe";
  messageId: number;
  subscriptions: Subscription[];
  /** MQTT 5. */
  properties?: SubscribeProperties;
}

export interface SubackPacket {
  cmd: "suback";
  messageId: number;
  /** Per subscription: granted QoS 0..2, or SUBACK_FAILURE (0x80); MQTT 5 reason codes in version 5. */
  granted: number[];
  /** MQTT 5. */
  properties?: AckProperties;
}

export interface UnsubscribePacket {
  cmd: "unsubscribe";
  messageId: number;
  unsubscriptions: string[];
  /** MQTT 5. */
  properties?: UnsubscribeProperties;
}

export interface EmptyPacket<C extends "pingreq" | "pingresp"> {
  cmd: C;
}
export type PingreqPacket = EmptyPacket<"pingreq">;
export type PingrespPacket = EmptyPacket<"pingresp">;

export interface DisconnectPacket {
  cmd: "disconnect";
  /** MQTT 5: absent means 0 (Normal disconnection). */
  reasonCode?: number;
  /** MQTT 5. */
  properties?: DisconnectProperties;
}

/** MQTT 5 only. */
export interface AuthPacket {
  cmd: "auth";
  reasonCode: number;
  properties?: AuthProperties;
}

type CommonPacket =
  | ConnectPacket
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

/** An MQTT 3.1.1 packet (what a version-4 parser yields). */
export type Packet = CommonPacket | ConnackPacket;
/** An MQTT 5 packet (what a version-5 parser yields). */
export type Packet5 = CommonPacket | Connack5Packet | AuthPacket;
export type AnyPacket = Packet | Packet5;

/**
 * A packet larger than the receiver's maximum, skipped as it streamed
 * (MqttParser with onSkipped). A QoS 1/2 PUBLISH carries its packet id, so it
 * can still be acknowledged, and its topic when that fit within the maximum.
 */
export interface SkippedPacket {
  cmd: PacketCmd;
  /** The whole packet, header included, in bytes. */
  size: number;
  qos?: QoS;
  messageId?: number;
  topic?: string;
}

/** A malformed packet or an unencodable object: a value, never a thrown exception. */
export interface CodecError {
  cmd: "error";
  message: string;
  /** encodeInto only: the output had no room; the packet takes this many bytes. */
  needed?: number;
}
export type ParseError = CodecError;

export function codecError(message: string): CodecError {
  return { cmd: "error", message };
}

export function isCodecError(x: unknown): x is CodecError {
  return typeof x === "object" && x !== null && (x as { cmd?: unknown }).cmd === "error";
}
