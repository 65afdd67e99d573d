/*
 * MQTT return and reason codes: the 3.1.1 CONNACK return codes, the MQTT 5
 * reason codes (section 2.4) with their names as the spec writes them, and
 * which codes each MQTT 5 packet may carry. Frozen constant tables.
 */
import type { PacketCmd } from "./packet.js";

/** SUBACK return code for a refused subscription (3.1.1; "Unspecified error" in 5). */
export const SUBACK_FAILURE = 0x80;

/** CONNACK return codes of MQTT 3.1.1 (section 3.2.2.3). */
export const ConnackCode = Object.freeze({
  accepted: 0,
  unacceptableProtocolVersion: 1,
  identifierRejected: 2,
  serverUnavailable: 3,
  badUsernameOrPassword: 4,
  notAuthorized: 5,
} as const);

const CONNACK_NAMES: readonly string[] = Object.freeze([
  "accepted",
  "unacceptable protocol version",
  "identifier rejected",
  "server unavailable",
  "bad user name or password",
  "not authorized",
]);

/** Name of a 3.1.1 CONNACK return code. For MQTT 5 reason codes use `reasonName`. */
export function connackReason(code: number): string {
  return CONNACK_NAMES[code] ?? `reserved return code ${code}`;
}

// ---- MQTT 5 reason codes (section 2.4) -------------------------------------

/** MQTT 5 reason codes by name. 0x00 is Success / Normal disconnection / Granted QoS 0. */
export const ReasonCode = Object.freeze({
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
} as const);

const REASON_NAMES: { readonly [code: number]: string } = Object.freeze({
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
});

/**
 * Name of an MQTT 5 reason code as the spec writes it; `cmd` picks the
 * packet-specific meaning of 0x00 (Normal disconnection, Granted QoS 0).
 */
export function reasonName(code: number, cmd?: PacketCmd): string {
  if (code === 0 && cmd === "disconnect") return "Normal disconnection";
  if (code === 0 && cmd === "suback") return "Granted QoS 0";
  return REASON_NAMES[code] ?? `unknown reason code 0x${code.toString(16)}`;
}

function codeSet(codes: readonly number[]): readonly boolean[] {
  const set: boolean[] = [];
  for (let i = 0; i < 256; i++) set.push(false);
  for (const c of codes) set[c] = true;
  return Object.freeze(set);
}

const ERRORS_COMMON: readonly number[] = Object.freeze([0x80, 0x83, 0x87]);
/** Reason codes each MQTT 5 packet may carry (section 2.4 table 2-6), indexed by code. */
export const VALID_REASON_CODES: { readonly [cmd: string]: readonly boolean[] } = Object.freeze({
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
});

export function validReasonCode(cmd: PacketCmd, code: unknown): boolean {
  const set = VALID_REASON_CODES[cmd];
  return typeof code === "number" && set !== undefined && set[code] === true;
}
