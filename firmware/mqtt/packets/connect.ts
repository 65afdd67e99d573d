/* CONNECT and CONNACK (MQTT 3.1.1 sections 3.1 and 3.2, MQTT 5 sections 3.1 and 3.2). */
import { checkString, Reader, stringFieldLength, Writer } from "../bytes.js";
import { checkTopicName } from "../topic.js";
import {
  codecError,
  MAX_STRING_BYTES,
  MQTT_3_1,
  MQTT_3_1_1,
  MQTT_5,
  PacketType,
  validReasonCode,
  type CodecError,
  type Connack5Packet,
  type ConnackPacket,
  type ConnectPacket,
  type ProtocolVersion,
  type QoS,
  type Will,
} from "../packet.js";
import { blockLength, contextOf, hasProperties, IN_WILL, measureProperties, readProperties, writeProperties } from "./properties.js";

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
/** 3.1.1 CONNACK refusals: 1 unacceptable protocol level .. 5 not authorized. */
const FIRST_3_1_1_REFUSAL = 1;
const LAST_3_1_1_REFUSAL = 5;
const CONNECT_CONTEXT = contextOf(PacketType.connect);
const CONNACK_CONTEXT = contextOf(PacketType.connack);

function protocolIdFor(version: number): "MQTT" | "MQIsdp" | undefined {
  return version === MQTT_3_1_1 || version === MQTT_5 ? "MQTT" : version === MQTT_3_1 ? "MQIsdp" : undefined;
}

export function encodeConnect(p: ConnectPacket, w: Writer): CodecError | undefined {
  const protocolId = protocolIdFor(p.protocolVersion);
  if (protocolId === undefined) return codecError(`unsupported protocol version ${p.protocolVersion}`);
  if (p.protocolId !== undefined && p.protocolId !== protocolId) return codecError(`protocol id ${p.protocolId} does not match version ${p.protocolVersion}`);
  const v5 = p.protocolVersion === MQTT_5;
  const bad =
    checkString(p.clientId, "client id") ??
    (p.username !== undefined ? checkString(p.username, "user name") : undefined) ??
    (p.will !== undefined ? (checkString(p.will.topic, "will topic") ?? checkTopicName(p.will.topic)) : undefined);
  if (bad !== undefined) return codecError(bad);
  if (!Number.isInteger(p.keepalive) || p.keepalive < 0 || p.keepalive > MAX_KEEPALIVE_S) return codecError(`invalid keepalive ${p.keepalive}`);
  // MQTT 5 allows a password without a user name (3.1.2.9); 3.1.1 does not [MQTT-3.1.2-22].
  if (p.password !== undefined && p.username === undefined && !v5) return codecError("password without user name");
  if (p.password !== undefined && !(p.password instanceof Uint8Array)) return codecError("password is not a Uint8Array");
  if (p.password !== undefined && p.password.length > MAX_STRING_BYTES) return codecError("password longer than 65535 bytes");
  const will = p.will;
  if (will !== undefined) {
    if (will.qos !== 0 && will.qos !== 1 && will.qos !== 2) return codecError(`invalid will QoS ${will.qos}`);
    if (!(will.payload instanceof Uint8Array)) return codecError("will payload is not a Uint8Array");
    if (will.payload.length > MAX_STRING_BYTES) return codecError("will payload longer than 65535 bytes");
  }

  let propsLength = 0;
  let willPropsLength = 0;
  if (v5) {
    const pl = measureProperties(p.properties, CONNECT_CONTEXT);
    if (typeof pl === "string") return codecError(pl);
    propsLength = pl;
    if (will !== undefined) {
      const wl = measureProperties(will.properties, IN_WILL);
      if (typeof wl === "string") return codecError(wl);
      willPropsLength = wl;
    }
  } else if (hasProperties(p.properties) || (will !== undefined && hasProperties(will.properties))) {
    return codecError("CONNECT properties need MQTT 5");
  }

  let flags = 0;
  if (p.clean) flags |= FLAG_CLEAN;
  if (will !== undefined) flags |= FLAG_WILL | (will.qos << WILL_QOS_SHIFT) | (will.retain ? FLAG_WILL_RETAIN : 0);
  if (p.username !== undefined) flags |= FLAG_USERNAME;
  if (p.password !== undefined) flags |= FLAG_PASSWORD;

  let length = stringFieldLength(protocolId) + 1 + 1 + 2 + stringFieldLength(p.clientId);
  if (v5) length += blockLength(propsLength);
  if (will !== undefined) length += (v5 ? blockLength(willPropsLength) : 0) + stringFieldLength(will.topic) + 2 + will.payload.length;
  if (p.username !== undefined) length += stringFieldLength(p.username);
  if (p.password !== undefined) length += 2 + p.password.length;

  if (!w.begin(PacketType.connect << 4, length)) return codecError("packet too large");
  w.str(protocolId);
  w.u8(p.protocolVersion);
  w.u8(flags);
  w.u16(p.keepalive);
  if (v5) writeProperties(w, p.properties, propsLength);
  w.str(p.clientId);
  if (will !== undefined) {
    if (v5) writeProperties(w, will.properties, willPropsLength);
    w.str(will.topic);
    w.bin(will.payload);
  }
  if (p.username !== undefined) w.str(p.username);
  if (p.password !== undefined) w.bin(p.password);
  return undefined;
}

export function decodeConnect(r: Reader): ConnectPacket | CodecError {
  const protocolId = r.str("protocol name");
  const version = r.u8("protocol level");
  if (r.error !== undefined) return codecError(r.error);
  if (protocolId !== "MQTT" && protocolId !== "MQIsdp") return codecError(`unknown protocol name "${protocolId}"`);
  if (protocolIdFor(version) !== protocolId) return codecError(`unsupported protocol level ${version} for ${protocolId}`);
  const v5 = version === MQTT_5;
  const flags = r.u8("connect flags");
  const keepalive = r.u16("keepalive");
  if (r.error !== undefined) return codecError(r.error);
  if (flags & FLAG_RESERVED) return codecError("reserved connect flag set");
  const willQos = (flags & WILL_QOS_MASK) >> WILL_QOS_SHIFT;
  const hasWill = (flags & FLAG_WILL) !== 0;
  if (!hasWill && (willQos !== 0 || (flags & FLAG_WILL_RETAIN) !== 0)) return codecError("will QoS/retain set without will flag");
  if (willQos === 3) return codecError("will QoS 3");
  if ((flags & FLAG_PASSWORD) !== 0 && (flags & FLAG_USERNAME) === 0 && version === MQTT_3_1_1) return codecError("password flag without user name flag");
  const properties = v5 ? readProperties(r, CONNECT_CONTEXT) : undefined;
  const clientId = r.str("client id");
  if (r.error !== undefined) return codecError(r.error);
  if (properties !== undefined && properties.authenticationData !== undefined && properties.authenticationMethod === undefined) {
    return codecError("authentication data without authentication method"); // 3.1.2.11.10
  }

  const packet: ConnectPacket = {
    cmd: "connect",
    protocolId,
    protocolVersion: version as ProtocolVersion,
    clean: (flags & FLAG_CLEAN) !== 0,
    keepalive,
    clientId,
  };
  if (properties !== undefined) packet.properties = properties;
  if (hasWill) {
    const willProperties = v5 ? readProperties(r, IN_WILL) : undefined;
    const topic = r.str("will topic");
    const payload = r.bin("will payload");
    if (r.error === undefined) {
      const bad = checkTopicName(topic);
      if (bad !== undefined) return codecError(bad);
    }
    const will: Will = { topic, payload, qos: willQos as QoS, retain: (flags & FLAG_WILL_RETAIN) !== 0 };
    if (willProperties !== undefined) will.properties = willProperties;
    packet.will = will;
  }
  if (flags & FLAG_USERNAME) packet.username = r.str("user name");
  if (flags & FLAG_PASSWORD) packet.password = r.bin("password");
  if (r.error !== undefined) return codecError(r.error);
  if (r.remaining !== 0) return codecError("trailing bytes after CONNECT payload");
  return packet;
}

export function encodeConnack(p: ConnackPacket | Connack5Packet, version: ProtocolVersion, w: Writer): CodecError | undefined {
  if (version === MQTT_5) {
    const q = p as Connack5Packet;
    const code = q.reasonCode;
    if (!validReasonCode("connack", code)) return codecError(`invalid CONNACK reason code ${code}`);
    if (q.sessionPresent && code !== 0) return codecError("session present with a refusal");
    const pl = measureProperties(q.properties, CONNACK_CONTEXT);
    if (typeof pl === "string") return codecError(pl);
    if (!w.begin(PacketType.connack << 4, CONNACK_BODY_LENGTH + blockLength(pl))) return codecError("packet too large");
    w.u8(q.sessionPresent ? CONNACK_SESSION_PRESENT : 0);
    w.u8(code);
    writeProperties(w, q.properties, pl);
    return undefined;
  }
  const q = p as ConnackPacket;
  if (!Number.isInteger(q.returnCode) || q.returnCode < 0 || q.returnCode > MAX_CONNACK_CODE) return codecError(`invalid return code ${q.returnCode}`);
  if (q.sessionPresent && q.returnCode !== 0) return codecError("session present with a refusal");
  if (!w.begin(PacketType.connack << 4, CONNACK_BODY_LENGTH)) return codecError("packet too large");
  w.u8(q.sessionPresent ? CONNACK_SESSION_PRESENT : 0);
  w.u8(q.returnCode);
  return undefined;
}

export function decodeConnack(r: Reader, version: ProtocolVersion): ConnackPacket | Connack5Packet | CodecError {
  const v5 = version === MQTT_5;
  if (!v5 && r.remaining !== CONNACK_BODY_LENGTH) return codecError(`CONNACK remaining length ${r.remaining}, expected 2`);
  // A 3.1.1 server answers an MQTT 5 CONNECT with its own 2-byte refusal (return code 1, unacceptable
  // protocol level: 3.1.1 [MQTT-3.1.2-2]): decoded as such, so the client can tell it from a malformed packet.
  const legacy = v5 && r.remaining === CONNACK_BODY_LENGTH;
  if (v5 && !legacy && r.remaining < CONNACK_BODY_LENGTH + 1) return codecError(`CONNACK remaining length ${r.remaining}, expected at least 3`);
  const ackFlags = r.u8("acknowledge flags");
  const code = r.u8("return code");
  if (ackFlags & ~CONNACK_SESSION_PRESENT) return codecError("reserved CONNACK flags set");
  const sessionPresent = (ackFlags & CONNACK_SESSION_PRESENT) !== 0;
  // [MQTT-3.2.2-4] (5: [MQTT-3.2.2-6]): a refusal must not claim a session.
  if (sessionPresent && code !== 0) return codecError("session present with a refusal");
  if (legacy && (code < FIRST_3_1_1_REFUSAL || code > LAST_3_1_1_REFUSAL)) return codecError(`CONNACK remaining length 2, expected at least 3`);
  if (!v5 || legacy) return { cmd: "connack", sessionPresent, returnCode: code };
  if (!validReasonCode("connack", code)) return codecError(`invalid CONNACK reason code 0x${code.toString(16)}`);
  const properties = readProperties(r, CONNACK_CONTEXT);
  if (r.error !== undefined) return codecError(r.error);
  if (r.remaining !== 0) return codecError("trailing bytes after CONNACK properties");
  const packet: Connack5Packet = { cmd: "connack", sessionPresent, reasonCode: code };
  if (properties !== undefined) packet.properties = properties;
  return packet;
}

