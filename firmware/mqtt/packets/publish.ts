/* PUBLISH and its acknowledgements PUBACK, PUBREC, PUBREL, PUBCOMP (3.1.1 and 5). */
import { checkString, lengthOf, Reader, utf8Length, Writer } from "../bytes.js";
import { checkTopicName } from "../topic.js";
import {
  codecError,
  MAX_PACKET_ID,
  MAX_STRING_BYTES,
  MQTT_5,
  PacketType,
  validReasonCode,
  type AckCmd,
  type AckPacket,
  type CodecError,
  type ProtocolVersion,
  type PublishPacket,
  type QoS,
} from "../packet.js";
import { blockLength, contextOf, hasProperties, measureProperties, readProperties, writeProperties } from "./properties.js";

const FLAG_DUP = 0x08;
const QOS_SHIFT = 1;
const QOS_MASK = 0x06;
const FLAG_RETAIN = 0x01;
/** PUBREL (like SUBSCRIBE and UNSUBSCRIBE) must carry flags 0b0010 [MQTT-3.6.1-1]. */
export const FLAGS_0010 = 0x02;
const ID_BODY_LENGTH = 2;
const PUBLISH_CONTEXT = contextOf(PacketType.publish);

export function validPacketId(id: unknown): id is number {
  return typeof id === "number" && Number.isInteger(id) && id >= 1 && id <= MAX_PACKET_ID;
}

/**
 * The common PUBLISH first: valid, with a plain topic (see Writer.plainTopic),
 * written with no allocation (no regular expression, no string wrapper).
 * Anything unusual goes, with w as it was, to encodeAnyTopic, which encodes
 * it or reports the first problem. In encode() mode a topic found not plain
 * only after begin() costs that array again.
 */
export function encodePublish(p: PublishPacket, version: ProtocolVersion, w: Writer): CodecError | undefined {
  const topic = p.topic;
  if (typeof topic !== "string") return encodeAnyTopic(p, version, w);
  const topicLength = lengthOf(topic); // the byte count if it proves plain
  if (topicLength === 0 || topicLength > MAX_STRING_BYTES) return encodeAnyTopic(p, version, w);
  const v5 = version === MQTT_5;
  const props = p.properties;
  let propsLength = 0;
  if (props !== undefined) {
    const pl = v5 ? measureProperties(props, PUBLISH_CONTEXT) : "";
    if (typeof pl === "string") return encodeAnyTopic(p, version, w);
    propsLength = pl;
  }
  const qos = p.qos;
  const payload = p.payload;
  if ((qos !== 0 && qos !== 1 && qos !== 2) || (qos > 0 ? !validPacketId(p.messageId) : p.dup) || !(payload instanceof Uint8Array)) {
    return encodeAnyTopic(p, version, w);
  }
  const length = 2 + topicLength + (qos > 0 ? 2 : 0) + (v5 ? blockLength(propsLength) : 0) + payload.length;
  const first = (PacketType.publish << 4) | (p.dup ? FLAG_DUP : 0) | (qos << QOS_SHIFT) | (p.retain ? FLAG_RETAIN : 0);
  const start = w.pos;
  if (!w.begin(first, length) || !w.plainTopic(topic, topicLength)) {
    w.pos = start;
    w.needed = 0;
    return encodeAnyTopic(p, version, w);
  }
  if (qos > 0) w.u16(p.messageId!);
  if (v5) writeProperties(w, props, propsLength);
  w.raw(payload);
  return undefined;
}

/** Any PUBLISH, checked in full (the topic's UTF-8 length and rules), or why it cannot be encoded. */
function encodeAnyTopic(p: PublishPacket, version: ProtocolVersion, w: Writer): CodecError | undefined {
  const topic = p.topic;
  if (typeof topic !== "string") return codecError("topic is not a string");
  const topicLength = utf8Length(topic);
  if (topicLength < 0 || topicLength > MAX_STRING_BYTES) return codecError(checkString(topic, "topic")!);
  const v5 = version === MQTT_5;
  const props = p.properties;
  let propsLength = 0;
  if (v5 && props !== undefined) {
    const pl = measureProperties(props, PUBLISH_CONTEXT);
    if (typeof pl === "string") return codecError(pl);
    propsLength = pl;
  } else if (!v5 && props !== undefined && hasProperties(props)) {
    return codecError("PUBLISH properties need MQTT 5");
  }
  // MQTT 5: an empty topic name is allowed when a Topic Alias stands for it (3.3.2.3.4).
  if (topicLength > 0 || !(v5 && props !== undefined && props.topicAlias !== undefined)) {
    const bad = checkTopicName(topic);
    if (bad !== undefined) return codecError(bad);
  }
  const qos = p.qos;
  if (qos !== 0 && qos !== 1 && qos !== 2) return codecError(`invalid QoS ${qos}`);
  if (qos > 0 && !validPacketId(p.messageId)) return codecError(`invalid packet id ${p.messageId} for QoS ${qos}`);
  if (qos === 0 && p.dup) return codecError("DUP set on a QoS 0 message");
  const payload = p.payload;
  if (!(payload instanceof Uint8Array)) return codecError("payload is not a Uint8Array");
  const length = 2 + topicLength + (qos > 0 ? 2 : 0) + (v5 ? blockLength(propsLength) : 0) + payload.length;
  const first = (PacketType.publish << 4) | (p.dup ? FLAG_DUP : 0) | (qos << QOS_SHIFT) | (p.retain ? FLAG_RETAIN : 0);
  if (!w.begin(first, length)) return codecError("packet too large");
  w.str(topic);
  if (qos > 0) w.u16(p.messageId!);
  if (v5) writeProperties(w, props, propsLength);
  w.raw(payload);
  return undefined;
}

/** Checks PUBLISH fixed-header flags before the body arrives; returns a reason or undefined. */
export function checkPublishFlags(flags: number): string | undefined {
  const qos = (flags & QOS_MASK) >> QOS_SHIFT;
  if (qos === 3) return "PUBLISH with QoS 3";
  if (qos === 0 && (flags & FLAG_DUP) !== 0) return "DUP set on a QoS 0 PUBLISH"; // [MQTT-3.3.1-2]
  return undefined;
}

export function decodePublish(flags: number, r: Reader, version: ProtocolVersion): PublishPacket | CodecError {
  const qos = ((flags & QOS_MASK) >> QOS_SHIFT) as QoS;
  const topic = r.str("topic name");
  const messageId = qos > 0 ? r.u16("packet id") : undefined;
  const properties = version === MQTT_5 ? readProperties(r, PUBLISH_CONTEXT) : undefined;
  if (r.error !== undefined) return codecError(r.error);
  if (topic.length > 0 || properties === undefined || properties.topicAlias === undefined) {
    const bad = checkTopicName(topic);
    if (bad !== undefined) return codecError(bad);
  }
  if (messageId === 0) return codecError("packet id 0");
  const packet: PublishPacket = {
    cmd: "publish",
    topic,
    payload: r.rest(),
    qos,
    retain: (flags & FLAG_RETAIN) !== 0,
    dup: (flags & FLAG_DUP) !== 0,
  };
  if (messageId !== undefined) packet.messageId = messageId;
  if (properties !== undefined) packet.properties = properties;
  return packet;
}

/**
 * PUBACK/PUBREC/PUBREL/PUBCOMP. MQTT 5: reason code 0 without properties is
 * the short 2-byte form; otherwise reason code and property block follow
 * (a property length of 0 is written, as mqtt-packet does).
 */
export function encodeAck(p: AckPacket<AckCmd>, version: ProtocolVersion, w: Writer): CodecError | undefined {
  if (!validPacketId(p.messageId)) return codecError(`invalid packet id ${p.messageId}`);
  const first = (PacketType[p.cmd] << 4) | (p.cmd === "pubrel" ? FLAGS_0010 : 0);
  const code = p.reasonCode === undefined ? 0 : p.reasonCode;
  if (version !== MQTT_5) {
    if (code !== 0 || hasProperties(p.properties)) return codecError(`${p.cmd.toUpperCase()} reason code and properties need MQTT 5`);
    if (!w.begin(first, ID_BODY_LENGTH)) return codecError("packet too large");
    w.u16(p.messageId);
    return undefined;
  }
  if (!validReasonCode(p.cmd, code)) return codecError(`invalid ${p.cmd.toUpperCase()} reason code ${code}`);
  const pl = measureProperties(p.properties, contextOf(PacketType[p.cmd]));
  if (typeof pl === "string") return codecError(pl);
  if (code === 0 && pl === 0) {
    if (!w.begin(first, ID_BODY_LENGTH)) return codecError("packet too large");
    w.u16(p.messageId);
    return undefined;
  }
  if (!w.begin(first, ID_BODY_LENGTH + 1 + blockLength(pl))) return codecError("packet too large");
  w.u16(p.messageId);
  w.u8(code);
  writeProperties(w, p.properties, pl);
  return undefined;
}

export function decodeAck<C extends AckCmd>(cmd: C, r: Reader, version: ProtocolVersion): AckPacket<C> | CodecError {
  if (version !== MQTT_5) {
    if (r.remaining !== ID_BODY_LENGTH) return codecError(`${cmd.toUpperCase()} remaining length ${r.remaining}, expected 2`);
    const messageId = r.u16("packet id");
    if (messageId === 0) return codecError("packet id 0");
    return { cmd, messageId };
  }
  if (r.remaining < ID_BODY_LENGTH) return codecError(`${cmd.toUpperCase()} remaining length ${r.remaining}, expected at least 2`);
  const messageId = r.u16("packet id");
  if (messageId === 0) return codecError("packet id 0");
  // 3.4.2.1: no reason code means Success; fewer than 4 bytes means no property length.
  const reasonCode = r.remaining > 0 ? r.u8("reason code") : 0;
  if (!validReasonCode(cmd, reasonCode)) return codecError(`invalid ${cmd.toUpperCase()} reason code 0x${reasonCode.toString(16)}`);
  const properties = r.remaining > 0 ? readProperties(r, contextOf(PacketType[cmd])) : undefined;
  if (r.error !== undefined) return codecError(r.error);
  if (r.remaining !== 0) return codecError(`trailing bytes after ${cmd.toUpperCase()} properties`);
  const packet: AckPacket<C> = { cmd, messageId, reasonCode };
  if (properties !== undefined) packet.properties = properties;
  return packet;
}
