/* PINGREQ, PINGRESP, DISCONNECT and (MQTT 5) AUTH. */
import { Reader, Writer } from "../bytes.js";
import {
  codecError,
  isCodecError,
  MQTT_5,
  PacketType,
  validReasonCode,
  type AuthPacket,
  type CodecError,
  type DisconnectPacket,
  type ProtocolVersion,
} from "../packet.js";
import { blockLength, contextOf, hasProperties, measureProperties, readProperties, writeProperties } from "./properties.js";

/** PINGREQ/PINGRESP, and DISCONNECT in 3.1.1: the fixed header alone. */
export function encodeEmpty(cmd: "pingreq" | "pingresp" | "disconnect", w: Writer): CodecError | undefined {
  return w.begin(PacketType[cmd] << 4, 0) ? undefined : codecError("packet too large");
}

/**
 * DISCONNECT and AUTH in MQTT 5: reason code and property block, always both
 * (as mqtt-packet writes them; the receiver also accepts the short forms).
 */
function encodeReasoned(cmd: "disconnect" | "auth", code: number, props: object | undefined, w: Writer): CodecError | undefined {
  if (!validReasonCode(cmd, code)) return codecError(`invalid ${cmd.toUpperCase()} reason code ${code}`);
  const pl = measureProperties(props, contextOf(PacketType[cmd]));
  if (typeof pl === "string") return codecError(pl);
  if (!w.begin(PacketType[cmd] << 4, 1 + blockLength(pl))) return codecError("packet too large");
  w.u8(code);
  writeProperties(w, props, pl);
  return undefined;
}

/** Reads [reason code [properties]]: remaining length 0 means Success, 1 means no properties. */
function decodeReasoned(cmd: "disconnect" | "auth", r: Reader): { reasonCode: number; properties?: { [k: string]: unknown } } | CodecError {
  const reasonCode = r.remaining > 0 ? r.u8("reason code") : 0;
  if (!validReasonCode(cmd, reasonCode)) return codecError(`invalid ${cmd.toUpperCase()} reason code 0x${reasonCode.toString(16)}`);
  const properties = r.remaining > 0 ? readProperties(r, contextOf(PacketType[cmd])) : undefined;
  if (r.error !== undefined) return codecError(r.error);
  if (r.remaining !== 0) return codecError(`trailing bytes after ${cmd.toUpperCase()} properties`);
  return properties === undefined ? { reasonCode } : { reasonCode, properties };
}

export function encodeDisconnect(p: DisconnectPacket, version: ProtocolVersion, w: Writer): CodecError | undefined {
  const code = p.reasonCode === undefined ? 0 : p.reasonCode;
  if (version === MQTT_5) return encodeReasoned("disconnect", code, p.properties, w);
  if (code !== 0 || hasProperties(p.properties)) return codecError("DISCONNECT reason code and properties need MQTT 5");
  return encodeEmpty("disconnect", w);
}

export function decodeDisconnect(r: Reader, version: ProtocolVersion): DisconnectPacket | CodecError {
  if (version !== MQTT_5) {
    if (r.remaining !== 0) return codecError(`DISCONNECT with remaining length ${r.remaining}, expected 0`);
    return { cmd: "disconnect" };
  }
  const body = decodeReasoned("disconnect", r);
  if (isCodecError(body)) return body;
  const packet: DisconnectPacket = { cmd: "disconnect", reasonCode: body.reasonCode };
  if (body.properties !== undefined) packet.properties = body.properties;
  return packet;
}

export function encodeAuth(p: AuthPacket, version: ProtocolVersion, w: Writer): CodecError | undefined {
  if (version !== MQTT_5) return codecError("AUTH needs MQTT 5");
  return encodeReasoned("auth", p.reasonCode === undefined ? 0 : p.reasonCode, p.properties, w);
}

export function decodeAuth(r: Reader): AuthPacket | CodecError {
  const body = decodeReasoned("auth", r);
  if (isCodecError(body)) return body;
  const packet: AuthPacket = { cmd: "auth", reasonCode: body.reasonCode };
  if (body.properties !== undefined) packet.properties = body.properties;
  return packet;
}
