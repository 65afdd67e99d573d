/* SUBSCRIBE, SUBACK, UNSUBSCRIBE and UNSUBACK (3.1.1 sections 3.8 to 3.11, MQTT 5 the same). */
import { checkString, Reader, stringFieldLength, Writer } from "../bytes.js";
import { checkTopicFilter, isSharedFilter } from "../topic.js";
import {
  codecError,
  MQTT_5,
  PacketType,
  SUBACK_FAILURE,
  validReasonCode,
  type CodecError,
  type ProtocolVersion,
  type QoS,
  type RetainHandling,
  type SubackPacket,
  type SubscribePacket,
  type Subscription,
  type UnsubackPacket,
  type UnsubscribePacket,
} from "../packet.js";
import { FLAGS_0010, validPacketId } from "./publish.js";
import { blockLength, contextOf, hasProperties, measureProperties, readProperties, writeProperties } from "./properties.js";

const REQUESTED_QOS_MASK = 0x03;
const OPTION_NL = 0x04;
const OPTION_RAP = 0x08;
const RH_SHIFT = 4;
const RH_MASK = 0x30;
const OPTIONS_RESERVED_5 = 0xc0;
const SUBSCRIBE_CONTEXT = contextOf(PacketType.subscribe);
const SUBACK_CONTEXT = contextOf(PacketType.suback);
const UNSUBSCRIBE_CONTEXT = contextOf(PacketType.unsubscribe);
const UNSUBACK_CONTEXT = contextOf(PacketType.unsuback);

function validGranted(code: number): boolean {
  return code === 0 || code === 1 || code === 2 || code === SUBACK_FAILURE;
}

/** The subscription options byte, or a reason string. */
function optionsByte(s: Subscription, v5: boolean): number | string {
  if (s.qos !== 0 && s.qos !== 1 && s.qos !== 2) return `invalid QoS ${s.qos}`;
  const nl = s.nl === undefined ? false : s.nl;
  const rap = s.rap === undefined ? false : s.rap;
  const rh = s.rh === undefined ? 0 : s.rh;
  if (typeof nl !== "boolean" || typeof rap !== "boolean") return "invalid subscription option (nl/rap are booleans)";
  if (rh !== 0 && rh !== 1 && rh !== 2) return `invalid retain handling ${rh}`;
  if (!v5) return nl || rap || rh !== 0 ? "subscription options nl/rap/rh need MQTT 5" : s.qos;
  if (nl && isSharedFilter(s.topic)) return `No Local on shared subscription "${s.topic}"`; // [MQTT-3.8.3-4]
  return s.qos | (nl ? OPTION_NL : 0) | (rap ? OPTION_RAP : 0) | (rh << RH_SHIFT);
}

/** Measures the property block for a version-5 packet or rejects properties in 3.1.1; -1 plus message on error. */
function propsFor(props: object | undefined, context: number, v5: boolean, what: string): number | string {
  if (v5) return measureProperties(props, context);
  return hasProperties(props) ? `${what} properties need MQTT 5` : 0;
}

export function encodeSubscribe(p: SubscribePacket, version: ProtocolVersion, w: Writer): CodecError | undefined {
  const v5 = version === MQTT_5;
  if (!validPacketId(p.messageId)) return codecError(`invalid packet id ${p.messageId}`);
  if (!Array.isArray(p.subscriptions) || p.subscriptions.length === 0) return codecError("SUBSCRIBE without subscriptions"); // [MQTT-3.8.3-3]
  const pl = propsFor(p.properties, SUBSCRIBE_CONTEXT, v5, "SUBSCRIBE");
  if (typeof pl === "string") return codecError(pl);
  let length = 2 + (v5 ? blockLength(pl) : 0);
  const options: number[] = [];
  for (const s of p.subscriptions) {
    const bad = checkString(s.topic, "topic filter") ?? checkTopicFilter(s.topic, version);
    if (bad !== undefined) return codecError(bad);
    const o = optionsByte(s, v5);
    if (typeof o === "string") return codecError(o);
    options.push(o);
    length += stringFieldLength(s.topic) + 1;
  }
  if (!w.begin((PacketType.subscribe << 4) | FLAGS_0010, length)) return codecError("packet too large");
  w.u16(p.messageId);
  if (v5) writeProperties(w, p.properties, pl);
  for (let i = 0; i < p.subscriptions.length; i++) {
    w.str(p.subscriptions[i].topic);
    w.u8(options[i]);
  }
  return undefined;
}

export function decodeSubscribe(r: Reader, version: ProtocolVersion): SubscribePacket | CodecError {
  const v5 = version === MQTT_5;
  const messageId = r.u16("packet id");
  const properties = v5 ? readProperties(r, SUBSCRIBE_CONTEXT) : undefined;
  if (r.error !== undefined) return codecError(r.error);
  if (messageId === 0) return codecError("packet id 0");
  const subscriptions: Subscription[] = [];
  while (r.remaining > 0 && r.error === undefined) {
    const topic = r.str("topic filter");
    const options = r.u8("subscription options");
    if (r.error !== undefined) break;
    const bad = checkTopicFilter(topic, version);
    if (bad !== undefined) return codecError(bad);
    if (options & (v5 ? OPTIONS_RESERVED_5 : ~REQUESTED_QOS_MASK)) return codecError("reserved bits set in subscription options"); // [MQTT-3.8.3-4] / [MQTT-3.8.3-5]
    const qos = options & REQUESTED_QOS_MASK;
    if (qos === 3) return codecError("requested QoS 3");
    if (!v5) {
      subscriptions.push({ topic, qos: qos as QoS });
      continue;
    }
    const rh = (options & RH_MASK) >> RH_SHIFT;
    if (rh === 3) return codecError("retain handling 3");
    const nl = (options & OPTION_NL) !== 0;
    if (nl && isSharedFilter(topic)) return codecError(`No Local on shared subscription "${topic}"`);
    subscriptions.push({ topic, qos: qos as QoS, nl, rap: (options & OPTION_RAP) !== 0, rh: rh as RetainHandling });
  }
  if (r.error !== undefined) return codecError(r.error);
  if (subscriptions.length === 0) return codecError("SUBSCRIBE without subscriptions");
  const packet: SubscribePacket = { cmd: "subscribe", messageId, subscriptions };
  if (properties !== undefined) packet.properties = properties;
  return packet;
}

/** SUBACK and (MQTT 5) UNSUBACK: packet id, properties, one code per filter. */
function encodeCodes(type: number, cmd: "suback" | "unsuback", messageId: number, codes: number[], props: object | undefined, v5: boolean, w: Writer): CodecError | undefined {
  if (!validPacketId(messageId)) return codecError(`invalid packet id ${messageId}`);
  if (!Array.isArray(codes) || codes.length === 0) return codecError(`${cmd.toUpperCase()} without reason codes`);
  for (const g of codes) {
    if (v5 ? !validReasonCode(cmd, g) : !validGranted(g)) return codecError(`invalid ${cmd.toUpperCase()} return code ${g}`);
  }
  const pl = propsFor(props, contextOf(type), v5, cmd.toUpperCase());
  if (typeof pl === "string") return codecError(pl);
  if (!w.begin(type << 4, 2 + (v5 ? blockLength(pl) : 0) + codes.length)) return codecError("packet too large");
  w.u16(messageId);
  if (v5) writeProperties(w, props, pl);
  for (const g of codes) w.u8(g);
  return undefined;
}

export function encodeSuback(p: SubackPacket, version: ProtocolVersion, w: Writer): CodecError | undefined {
  return encodeCodes(PacketType.suback, "suback", p.messageId, p.granted, p.properties, version === MQTT_5, w);
}

export function decodeSuback(r: Reader, version: ProtocolVersion): SubackPacket | CodecError {
  const v5 = version === MQTT_5;
  const messageId = r.u16("packet id");
  const properties = v5 ? readProperties(r, SUBACK_CONTEXT) : undefined;
  if (r.error !== undefined) return codecError(r.error);
  if (messageId === 0) return codecError("packet id 0");
  if (r.remaining === 0) return codecError("SUBACK without return codes");
  const granted: number[] = [];
  while (r.remaining > 0) {
    const g = r.u8("return code");
    if (v5 ? !validReasonCode("suback", g) : !validGranted(g)) return codecError(`invalid SUBACK return code ${g}`);
    granted.push(g);
  }
  const packet: SubackPacket = { cmd: "suback", messageId, granted };
  if (properties !== undefined) packet.properties = properties;
  return packet;
}

export function encodeUnsubscribe(p: UnsubscribePacket, version: ProtocolVersion, w: Writer): CodecError | undefined {
  const v5 = version === MQTT_5;
  if (!validPacketId(p.messageId)) return codecError(`invalid packet id ${p.messageId}`);
  if (!Array.isArray(p.unsubscriptions) || p.unsubscriptions.length === 0) return codecError("UNSUBSCRIBE without topic filters"); // [MQTT-3.10.3-2]
  const pl = propsFor(p.properties, UNSUBSCRIBE_CONTEXT, v5, "UNSUBSCRIBE");
  if (typeof pl === "string") return codecError(pl);
  let length = 2 + (v5 ? blockLength(pl) : 0);
  for (const t of p.unsubscriptions) {
    const bad = checkString(t, "topic filter") ?? checkTopicFilter(t, version);
    if (bad !== undefined) return codecError(bad);
    length += stringFieldLength(t);
  }
  if (!w.begin((PacketType.unsubscribe << 4) | FLAGS_0010, length)) return codecError("packet too large");
  w.u16(p.messageId);
  if (v5) writeProperties(w, p.properties, pl);
  for (const t of p.unsubscriptions) w.str(t);
  return undefined;
}

export function decodeUnsubscribe(r: Reader, version: ProtocolVersion): UnsubscribePacket | CodecError {
  const messageId = r.u16("packet id");
  const properties = version === MQTT_5 ? readProperties(r, UNSUBSCRIBE_CONTEXT) : undefined;
  if (r.error !== undefined) return codecError(r.error);
  if (messageId === 0) return codecError("packet id 0");
  const unsubscriptions: string[] = [];
  while (r.remaining > 0) {
    const t = r.str("topic filter");
    if (r.error !== undefined) return codecError(r.error);
    const bad = checkTopicFilter(t, version);
    if (bad !== undefined) return codecError(bad);
    unsubscriptions.push(t);
  }
  if (unsubscriptions.length === 0) return codecError("UNSUBSCRIBE without topic filters");
  const packet: UnsubscribePacket = { cmd: "unsubscribe", messageId, unsubscriptions };
  if (properties !== undefined) packet.properties = properties;
  return packet;
}

export function encodeUnsuback(p: UnsubackPacket, version: ProtocolVersion, w: Writer): CodecError | undefined {
  if (version === MQTT_5) return encodeCodes(PacketType.unsuback, "unsuback", p.messageId, p.granted!, p.properties, true, w);
  if (!validPacketId(p.messageId)) return codecError(`invalid packet id ${p.messageId}`);
  if ((p.granted !== undefined && p.granted.length > 0) || hasProperties(p.properties)) return codecError("UNSUBACK reason codes and properties need MQTT 5");
  if (!w.begin(PacketType.unsuback << 4, 2)) return codecError("packet too large");
  w.u16(p.messageId);
  return undefined;
}

export function decodeUnsuback(r: Reader, version: ProtocolVersion): UnsubackPacket | CodecError {
  if (version !== MQTT_5) {
    if (r.remaining !== 2) return codecError(`UNSUBACK remaining length ${r.remaining}, expected 2`);
    const messageId = r.u16("packet id");
    if (messageId === 0) return codecError("packet id 0");
    return { cmd: "unsuback", messageId };
  }
  const messageId = r.u16("packet id");
  const properties = readProperties(r, UNSUBACK_CONTEXT);
  if (r.error !== undefined) return codecError(r.error);
  if (messageId === 0) return codecError("packet id 0");
  if (r.remaining === 0) return codecError("UNSUBACK without reason codes");
  const granted: number[] = [];
  while (r.remaining > 0) {
    const g = r.u8("reason code");
    if (!validReasonCode("unsuback", g)) return codecError(`invalid UNSUBACK reason code ${g}`);
    granted.push(g);
  }
  const packet: UnsubackPacket = { cmd: "unsuback", messageId, granted };
  if (properties !== undefined) packet.properties = properties;
  return packet;
}
