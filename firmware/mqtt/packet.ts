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
  /** MQTT 5 only. */
  auth: 15,
} as const;

export type PacketCmd = keyof typeof PacketType;

/** Largest value the 4-byte remaining length (or any variable byte integer) can hold (268,435,455). */
export const MAX_REMAINING_LENGTH = 0x0fffffff;
export const MAX_VARINT = MAX_REMAINING_LENGTH;
/** Largest whole packet: first byte + 4 length bytes + body. */
export const MAX_PACKET_SIZE = 1 + 4 + MAX_REMAINING_LENGTH;
export const MAX_STRING_BYTES = 0xffff;
export const MAX_PACKET_ID = 0xffff;

/** SUBACK return code for a refused subscription (3.1.1; "Unspecified error" in 5). */
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

/** Name of a 3.1.1 CONNACK return code. For MQTT 5 reason codes use `reasonName`. */
export function connackReason(code: number): string {
  return CONNACK_NAMES[code] ?? `reserved return code ${code}`;
}

// ---- MQTT 5 reason codes (section 2.4) -------------------------------------

/** MQTT 5 reason codes by name. 0x00 is Success / Normal disconnection / Granted QoS 0. */
export const ReasonCode = {
  success: 0x00,
  grantedQos1: 0x01,
  grantedQos2: 0x02,
  disconnectWithWill: 0x04,
  noMatchingSubscribers: 0x10,
  noSubscriptionExisted: 0x11,
  continueAuthentication: 0x18,
  reAuthenticate: 0x19,
  unspecifiedError: 0x80,
  malformedPacket: 0x81,
  protocolError: 0x82,
  implementationSpecificError: 0x83,
  unsupportedProtocolVersion: 0x84,
  clientIdentifierNotValid: 0x85,
  badUserNameOrPassword: 0x86,
  notAuthorized: 0x87,
  serverUnavailable: 0x88,
  serverBusy: 0x89,
  banned: 0x8a,
  serverShuttingDown: 0x8b,
  badAuthenticationMethod: 0x8c,
  keepAliveTimeout: 0x8d,
  sessionTakenOver: 0x8e,
  topicFilterInvalid: 0x8f,
  topicNameInvalid: 0x90,
  packetIdentifierInUse: 0x91,
  packetIdentifierNotFound: 0x92,
  receiveMaximumExceeded: 0x93,
  topicAliasInvalid: 0x94,
  packetTooLarge: 0x95,
  messageRateTooHigh: 0x96,
  quotaExceeded: 0x97,
  administrativeAction: 0x98,
  payloadFormatInvalid: 0x99,
  retainNotSupported: 0x9a,
  qosNotSupported: 0x9b,
  useAnotherServer: 0x9c,
  serverMoved: 0x9d,
  sharedSubscriptionsNotSupported: 0x9e,
  connectionRateExceeded: 0x9f,
  maximumConnectTime: 0xa0,
  subscriptionIdentifiersNotSupported: 0xa1,
  wildcardSubscriptionsNotSupported: 0xa2,
} as const;

const REASON_NAMES: { [code: number]: string } = {
  0x00: "Success",
  0x01: "Granted QoS 1",
  0x02: "Granted QoS 2",
  0x04: "Disconnect with Will Message",
  0x10: "No matching subscribers",
  0x11: "No subscription existed",
  0x18: "Continue authentication",
  0x19: "Re-authenticate",
  0x80: "Unspecified error",
  0x81: "Malformed Packet",
  0x82: "Protocol Error",
  0x83: "Implementation specific error",
  0x84: "Unsupported Protocol Version",
  0x85: "Client Identifier not valid",
  0x86: "Bad User Name or Password",
  0x87: "Not authorized",
  0x88: "Server unavailable",
  0x89: "Server busy",
  0x8a: "Banned",
  0x8b: "Server shutting down",
  0x8c: "Bad authentication method",
  0x8d: "Keep Alive timeout",
  0x8e: "Session taken over",
  0x8f: "Topic Filter invalid",
  0x90: "Topic Name invalid",
  0x91: "Packet Identifier in use",
  0x92: "Packet Identifier not found",
  0x93: "Receive Maximum exceeded",
  0x94: "Topic Alias invalid",
  0x95: "Packet too large",
  0x96: "Message rate too high",
  0x97: "Quota exceeded",
  0x98: "Administrative action",
  0x99: "Payload format invalid",
  0x9a: "Retain not supported",
  0x9b: "QoS not supported",
  0x9c: "Use another server",
  0x9d: "Server moved",
  0x9e: "Shared Subscriptions not supported",
  0x9f: "Connection rate exceeded",
  0xa0: "Maximum connect time",
  0xa1: "Subscription Identifiers not supported",
  0xa2: "Wildcard Subscriptions not supported",
};

/**
 * Name of an MQTT 5 reason code as the spec writes it; `cmd` picks the
 * packet-specific meaning of 0x00 (Normal disconnection, Granted QoS 0).
 */
export function reasonName(code: number, cmd?: PacketCmd): string {
  if (code === 0 && cmd === "disconnect") return "Normal disconnection";
  if (code === 0 && cmd === "suback") return "Granted QoS 0";
  return REASON_NAMES[code] ?? `unknown reason code 0x${code.toString(16)}`;
}

function codeSet(codes: number[]): boolean[] {
  const set: boolean[] = [];
  for (let i = 0; i < 256; i++) set.push(false);
  for (const c of codes) set[c] = true;
  return set;
}

const ERRORS_COMMON = [0x80, 0x83, 0x87];
/** Reason codes each MQTT 5 packet may carry (section 2.4 table 2-6), indexed by code. */
export const VALID_REASON_CODES: { readonly [cmd: string]: readonly boolean[] } = {
  connack: codeSet([0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8c, 0x90, 0x95, 0x97, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9f]),
  puback: codeSet([0x00, 0x10, ...ERRORS_COMMON, 0x90, 0x91, 0x97, 0x99]),
  pubrec: codeSet([0x00, 0x10, ...ERRORS_COMMON, 0x90, 0x91, 0x97, 0x99]),
  pubrel: codeSet([0x00, 0x92]),
  pubcomp: codeSet([0x00, 0x92]),
  suback: codeSet([0x00, 0x01, 0x02, ...ERRORS_COMMON, 0x8f, 0x91, 0x97, 0x9e, 0xa1, 0xa2]),
  unsuback: codeSet([0x00, 0x11, ...ERRORS_COMMON, 0x8f, 0x91]),
  disconnect: codeSet([
    0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8b, 0x8d, 0x8e, 0x8f, 0x90, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0x9b, 0x9c, 0x9d,
    0x9e, 0x9f, 0xa0, 0xa1, 0xa2,
  ]),
  auth: codeSet([0x00, 0x18, 0x19]),
};

export function validReasonCode(cmd: PacketCmd, code: unknown): boolean {
  const set = VALID_REASON_CODES[cmd];
  return typeof code === "number" && set !== undefined && set[code] === true;
}

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
