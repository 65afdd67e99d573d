/* PUBLISH and the id-only acknowledgements (PUBACK, PUBREC, PUBREL, PUBCOMP, UNSUBACK). */
import { checkString, Reader, stringFieldLength, Writer } from "../bytes.js";
import { checkTopicName } from "../topic.js";
import { codecError, MAX_PACKET_ID, PacketType, type CodecError, type IdOnlyPacket, type PublishPacket, type QoS } from "../packet.js";

const FLAG_DUP = 0x08;
const QOS_SHIFT = 1;
const QOS_MASK = 0x06;
const FLAG_RETAIN = 0x01;
/** PUBREL (like SUBSCRIBE and UNSUBSCRIBE) must carry flags 0b0010 [MQTT-3.6.1-1]. */
export const FLAGS_0010 = 0x02;
const ID_BODY_LENGTH = 2;

export function validPacketId(id: unknown): id is number {
  return typeof id === "number" && Number.isInteger(id) && id >= 1 && id <= MAX_PACKET_ID;
}

export function encodePublish(p: PublishPacket): Uint8Array | CodecError {
  const bad = checkString(p.topic, "topic") ?? checkTopicName(p.topic);
  if (bad !== undefined) return codecError(bad);
  if (p.qos !== 0 && p.qos !== 1 && p.qos !== 2) return codecError(`invalid QoS ${p.qos}`);
  if (p.qos > 0 && !validPacketId(p.messageId)) return codecError(`invalid packet id ${p.messageId} for QoS ${p.qos}`);
  if (p.qos === 0 && p.dup) return codecError("DUP set on a QoS 0 message");
  if (!(p.payload instanceof Uint8Array)) return codecError("payload is not a Uint8Array");
  const length = stringFieldLength(p.topic) + (p.qos > 0 ? 2 : 0) + p.payload.length;
  const first = (PacketType.publish << 4) | (p.dup ? FLAG_DUP : 0) | (p.qos << QOS_SHIFT) | (p.retain ? FLAG_RETAIN : 0);
  const w = Writer.packet(first, length);
  if (w === undefined) return codecError("packet too large");
  w.str(p.topic);
  if (p.qos > 0) w.u16(p.messageId!);
  w.raw(p.payload);
  return w.bytes;
}

/** Checks PUBLISH fixed-header flags before the body arrives; returns a reason or undefined. */
export function checkPublishFlags(flags: number): string | undefined {
  const qos = (flags & QOS_MASK) >> QOS_SHIFT;
  if (qos === 3) return "PUBLISH with QoS 3";
  if (qos === 0 && (flags & FLAG_DUP) !== 0) return "DUP set on a QoS 0 PUBLISH"; // [MQTT-3.3.1-2]
  return undefined;
}

export function decodePublish(flags: number, r: Reader): PublishPacket | CodecError {
  const qos = ((flags & QOS_MASK) >> QOS_SHIFT) as QoS;
  const topic = r.str("topic name");
  const messageId = qos > 0 ? r.u16("packet id") : undefined;
  if (r.error !== undefined) return codecError(r.error);
  const bad = checkTopicName(topic);
  if (bad !== undefined) return codecError(bad);
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
  return packet;
}

type IdCmd = "puback" | "pubrec" | "pubrel" | "pubcomp" | "unsuback";

export function encodeIdOnly(p: IdOnlyPacket<IdCmd>): Uint8Array | CodecError {
  if (!validPacketId(p.messageId)) return codecError(`invalid packet id ${p.messageId}`);
  const flags = p.cmd === "pubrel" ? FLAGS_0010 : 0;
  const w = Writer.packet((PacketType[p.cmd] << 4) | flags, ID_BODY_LENGTH)!;
  w.u16(p.messageId);
  return w.bytes;
}

export function decodeIdOnly<C extends IdCmd>(cmd: C, r: Reader): IdOnlyPacket<C> | CodecError {
  if (r.remaining !== ID_BODY_LENGTH) return codecError(`${cmd.toUpperCase()} remaining length ${r.remaining}, expected 2`);
  const messageId = r.u16("packet id");
  if (messageId === 0) return codecError("packet id 0");
  return { cmd, messageId };
}
