/* CONNECT and CONNACK (MQTT 3.1.1 sections 3.1 and 3.2). */
import { checkString, Reader, stringFieldLength, Writer } from "../bytes.js";
import { checkTopicName } from "../topic.js";
import {
  codecError,
  MAX_STRING_BYTES,
  MQTT_3_1,
  MQTT_3_1_1,
  PacketType,
  type CodecError,
  type ConnackPacket,
  type ConnectPacket,
  type QoS,
  type Will,
} from "../packet.js";

const FLAG_USERNAME = 0x80;
const FLAG_PASSWORD = 0x40;
const FLAG_WILL_RETAIN = 0x20;
const WILL_QOS_SHIFT = 3;
const WILL_QOS_MASK = 0x18;
const FLAG_WILL = 0x04;
const FLAG_CLEAN = 0x02;
const FLAG_RESERVED = 0x01;
const MAX_KEEPALIVE_S = 0xffff;

const CONNACK_SESSION_PRESENT = 0x01;
const CONNACK_BODY_LENGTH = 2;
const MAX_CONNACK_CODE = 0xff;

function protocolIdFor(version: number): "MQTT" | "MQIsdp" | undefined {
  return version === MQTT_3_1_1 ? "MQTT" : version === MQTT_3_1 ? "MQIsdp" : undefined;
}

export function encodeConnect(p: ConnectPacket): Uint8Array | CodecError {
  const protocolId = protocolIdFor(p.protocolVersion);
  if (protocolId === undefined) return codecError(`unsupported protocol version ${p.protocolVersion}`);
  if (p.protocolId !== undefined && p.protocolId !== protocolId) return codecError(`protocol id ${p.protocolId} does not match version ${p.protocolVersion}`);
  const bad =
    checkString(p.clientId, "client id") ??
    (p.username !== undefined ? checkString(p.username, "user name") : undefined) ??
    (p.will !== undefined ? (checkString(p.will.topic, "will topic") ?? checkTopicName(p.will.topic)) : undefined);
  if (bad !== undefined) return codecError(bad);
  if (!Number.isInteger(p.keepalive) || p.keepalive < 0 || p.keepalive > MAX_KEEPALIVE_S) return codecError(`invalid keepalive ${p.keepalive}`);
  if (p.password !== undefined && p.username === undefined) return codecError("password without user name");
  if (p.password !== undefined && p.password.length > MAX_STRING_BYTES) return codecError("password longer than 65535 bytes");
  const will = p.will;
  if (will !== undefined) {
    if (will.qos !== 0 && will.qos !== 1 && will.qos !== 2) return codecError(`invalid will QoS ${will.qos}`);
    if (will.payload.length > MAX_STRING_BYTES) return codecError("will payload longer than 65535 bytes");
  }

  let flags = 0;
  if (p.clean) flags |= FLAG_CLEAN;
  if (will !== undefined) flags |= FLAG_WILL | (will.qos << WILL_QOS_SHIFT) | (will.retain ? FLAG_WILL_RETAIN : 0);
  if (p.username !== undefined) flags |= FLAG_USERNAME;
  if (p.password !== undefined) flags |= FLAG_PASSWORD;

  let length = stringFieldLength(protocolId) + 1 + 1 + 2 + stringFieldLength(p.clientId);
  if (will !== undefined) length += stringFieldLength(will.topic) + 2 + will.payload.length;
  if (p.username !== undefined) length += stringFieldLength(p.username);
  if (p.password !== undefined) length += 2 + p.password.length;

  const w = Writer.packet(PacketType.connect << 4, length);
  if (w === undefined) return codecError("packet too large");
  w.str(protocolId);
  w.u8(p.protocolVersion);
  w.u8(flags);
  w.u16(p.keepalive);
  w.str(p.clientId);
  if (will !== undefined) {
    w.str(will.topic);
    w.bin(will.payload);
  }
  if (p.username !== undefined) w.str(p.username);
  if (p.password !== undefined) w.bin(p.password);
  return w.bytes;
}

export function decodeConnect(r: Reader): ConnectPacket | CodecError {
  const protocolId = r.str("protocol name");
  const version = r.u8("protocol level");
  if (r.error !== undefined) return codecError(r.error);
  if (protocolId !== "MQTT" && protocolId !== "MQIsdp") return codecError(`unknown protocol name "${protocolId}"`);
  if (protocolIdFor(version) !== protocolId) return codecError(`unsupported protocol level ${version} for ${protocolId}`);
  const flags = r.u8("connect flags");
  const keepalive = r.u16("keepalive");
  const clientId = r.str("client id");
  if (r.error !== undefined) return codecError(r.error);
  if (flags & FLAG_RESERVED) return codecError("reserved connect flag set");
  const willQos = (flags & WILL_QOS_MASK) >> WILL_QOS_SHIFT;
  const hasWill = (flags & FLAG_WILL) !== 0;
  if (!hasWill && (willQos !== 0 || (flags & FLAG_WILL_RETAIN) !== 0)) return codecError("will QoS/retain set without will flag");
  if (willQos === 3) return codecError("will QoS 3");
  if ((flags & FLAG_PASSWORD) !== 0 && (flags & FLAG_USERNAME) === 0 && version === MQTT_3_1_1) return codecError("password flag without user name flag");

  const packet: ConnectPacket = {
    cmd: "connect",
    protocolId,
    protocolVersion: version as ConnectPacket["protocolVersion"],
    clean: (flags & FLAG_CLEAN) !== 0,
    keepalive,
    clientId,
  };
  if (hasWill) {
    const topic = r.str("will topic");
    const payload = r.bin("will payload");
    if (r.error === undefined) {
      const bad = checkTopicName(topic);
      if (bad !== undefined) return codecError(bad);
    }
    const will: Will = { topic, payload, qos: willQos as QoS, retain: (flags & FLAG_WILL_RETAIN) !== 0 };
    packet.will = will;
  }
  if (flags & FLAG_USERNAME) packet.username = r.str("user name");
  if (flags & FLAG_PASSWORD) packet.password = r.bin("password");
  if (r.error !== undefined) return codecError(r.error);
  if (r.remaining !== 0) return codecError("trailing bytes after CONNECT payload");
  return packet;
}

export function encodeConnack(p: ConnackPacket): Uint8Array | CodecError {
  if (!Number.isInteger(p.returnCode) || p.returnCode < 0 || p.returnCode > MAX_CONNACK_CODE) return codecError(`invalid return code ${p.returnCode}`);
  if (p.sessionPresent && p.returnCode !== 0) return codecError("session present with a refusal");
  const w = Writer.packet(PacketType.connack << 4, CONNACK_BODY_LENGTH)!;
  w.u8(p.sessionPresent ? CONNACK_SESSION_PRESENT : 0);
  w.u8(p.returnCode);
  return w.bytes;
}

export function decodeConnack(r: Reader): ConnackPacket | CodecError {
  if (r.remaining !== CONNACK_BODY_LENGTH) return codecError(`CONNACK remaining length ${r.remaining}, expected 2`);
  const ackFlags = r.u8("acknowledge flags");
  const returnCode = r.u8("return code");
  if (ackFlags & ~CONNACK_SESSION_PRESENT) return codecError("reserved CONNACK flags set");
  const sessionPresent = (ackFlags & CONNACK_SESSION_PRESENT) !== 0;
  // [MQTT-3.2.2-4]: a refusal must not claim a session.
  if (sessionPresent && returnCode !== 0) return codecError("session present with a refusal");
  return { cmd: "connack", sessionPresent, returnCode };
}
