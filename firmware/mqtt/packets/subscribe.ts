/* SUBSCRIBE, SUBACK and UNSUBSCRIBE (MQTT 3.1.1 sections 3.8 to 3.10). */
import { checkString, Reader, stringFieldLength, Writer } from "../bytes.js";
import { checkTopicFilter } from "../topic.js";
import { codecError, PacketType, SUBACK_FAILURE, type CodecError, type QoS, type SubackPacket, type SubscribePacket, type Subscription, type UnsubscribePacket } from "../packet.js";
import { FLAGS_0010, validPacketId } from "./publish.js";

const REQUESTED_QOS_MASK = 0x03;

function validGranted(code: number): boolean {
  return code === 0 || code === 1 || code === 2 || code === SUBACK_FAILURE;
}

export function encodeSubscribe(p: SubscribePacket): Uint8Array | CodecError {
  if (!validPacketId(p.messageId)) return codecError(`invalid packet id ${p.messageId}`);
  if (!Array.isArray(p.subscriptions) || p.subscriptions.length === 0) return codecError("SUBSCRIBE without subscriptions"); // [MQTT-3.8.3-3]
  let length = 2;
  for (const s of p.subscriptions) {
    const bad = checkString(s.topic, "topic filter") ?? checkTopicFilter(s.topic);
    if (bad !== undefined) return codecError(bad);
    if (s.qos !== 0 && s.qos !== 1 && s.qos !== 2) return codecError(`invalid QoS ${s.qos}`);
    length += stringFieldLength(s.topic) + 1;
  }
  const w = Writer.packet((PacketType.subscribe << 4) | FLAGS_0010, length);
  if (w === undefined) return codecError("packet too large");
  w.u16(p.messageId);
  for (const s of p.subscriptions) {
    w.str(s.topic);
    w.u8(s.qos);
  }
  return w.bytes;
}

export function decodeSubscribe(r: Reader): SubscribePacket | CodecError {
  const messageId = r.u16("packet id");
  if (r.error !== undefined) return codecError(r.error);
  if (messageId === 0) return codecError("packet id 0");
  const subscriptions: Subscription[] = [];
  while (r.remaining > 0 && r.error === undefined) {
    const topic = r.str("topic filter");
    const options = r.u8("requested QoS");
    if (r.error !== undefined) break;
    const bad = checkTopicFilter(topic);
    if (bad !== undefined) return codecError(bad);
    if (options & ~REQUESTED_QOS_MASK) return codecError("reserved bits set in requested QoS"); // [MQTT-3.8.3-4]
    if ((options & REQUESTED_QOS_MASK) === 3) return codecError("requested QoS 3");
    subscriptions.push({ topic, qos: options as QoS });
  }
  if (r.error !== undefined) return codecError(r.error);
  if (subscriptions.length === 0) return codecError("SUBSCRIBE without subscriptions");
  return { cmd: "subscribe", messageId, subscriptions };
}

export function encodeSuback(p: SubackPacket): Uint8Array | CodecError {
  if (!validPacketId(p.messageId)) return codecError(`invalid packet id ${p.messageId}`);
  if (!Array.isArray(p.granted) || p.granted.length === 0) return codecError("SUBACK without return codes");
  for (const g of p.granted) if (!validGranted(g)) return codecError(`invalid SUBACK return code ${g}`);
  const w = Writer.packet(PacketType.suback << 4, 2 + p.granted.length);
  if (w === undefined) return codecError("packet too large");
  w.u16(p.messageId);
  for (const g of p.granted) w.u8(g);
  return w.bytes;
}

export function decodeSuback(r: Reader): SubackPacket | CodecError {
  const messageId = r.u16("packet id");
  if (r.error !== undefined) return codecError(r.error);
  if (messageId === 0) return codecError("packet id 0");
  if (r.remaining === 0) return codecError("SUBACK without return codes");
  const granted: number[] = [];
  while (r.remaining > 0) {
    const g = r.u8("return code");
    if (!validGranted(g)) return codecError(`invalid SUBACK return code ${g}`);
    granted.push(g);
  }
  return { cmd: "suback", messageId, granted };
}

export function encodeUnsubscribe(p: UnsubscribePacket): Uint8Array | CodecError {
  if (!validPacketId(p.messageId)) return codecError(`invalid packet id ${p.messageId}`);
  if (!Array.isArray(p.unsubscriptions) || p.unsubscriptions.length === 0) return codecError("UNSUBSCRIBE without topic filters"); // [MQTT-3.10.3-2]
  let length = 2;
  for (const t of p.unsubscriptions) {
    const bad = checkString(t, "topic filter") ?? checkTopicFilter(t);
    if (bad !== undefined) return codecError(bad);
    length += stringFieldLength(t);
  }
  const w = Writer.packet((PacketType.unsubscribe << 4) | FLAGS_0010, length);
  if (w === undefined) return codecError("packet too large");
  w.u16(p.messageId);
  for (const t of p.unsubscriptions) w.str(t);
  return w.bytes;
}

export function decodeUnsubscribe(r: Reader): UnsubscribePacket | CodecError {
  const messageId = r.u16("packet id");
  if (r.error !== undefined) return codecError(r.error);
  if (messageId === 0) return codecError("packet id 0");
  const unsubscriptions: string[] = [];
  while (r.remaining > 0) {
    const t = r.str("topic filter");
    if (r.error !== undefined) return codecError(r.error);
    const bad = checkTopicFilter(t);
    if (bad !== undefined) return codecError(bad);
    unsubscriptions.push(t);
  }
  if (unsubscriptions.length === 0) return codecError("UNSUBSCRIBE without topic filters");
  return { cmd: "unsubscribe", messageId, unsubscriptions };
}
