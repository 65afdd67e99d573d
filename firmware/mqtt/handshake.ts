/*
 * What the client says when it connects and how it reads the answer: the
 * CONNECT packet (will evaluated per CONNECT, MQTT 5 session expiry and our
 * limits), and which refusals and server DISCONNECTs mean "do not hurry back"
 * (a long backoff, docs/mqtt.md).
 */
import { hex } from "../util/format.js";
import { utf8Encode } from "../util/utf8.js";
import type { ClientContext } from "./context.js";
import { connackReason, MQTT_5, reasonName, ReasonCode, type ConnackProperties, type ConnectPacket } from "./packet.js";

const DEFAULT_RECEIVE_MAXIMUM = 32;
const MAX_SESSION_EXPIRY_S = 0xffffffff;

/** The CONNECT for the next connection, as `clientId`, announcing `maxPacketSize` in MQTT 5. */
export function connectPacket(c: ClientContext, clientId: string, maxPacketSize: number): ConnectPacket {
  const o = c.options;
  const w = typeof o.will === "function" ? o.will() : o.will;
  const v5 = c.version === MQTT_5;
  const packet: ConnectPacket = {
    cmd: "connect",
    protocolVersion: c.version,
    clean: o.cleanSession,
    keepalive: o.keepalive,
    clientId,
    username: o.username,
    password: o.password === undefined ? undefined : utf8Encode(o.password),
    will:
      w === undefined
        ? undefined
        : {
            topic: w.topic,
            payload: typeof w.payload === "string" ? utf8Encode(w.payload) : w.payload,
            qos: w.qos,
            retain: w.retain,
            // Published as soon as the connection dies, as in 3.1.1.
            properties: v5 ? { willDelayInterval: 0 } : undefined,
          },
  };
  if (v5) {
    const expiry = o.cleanSession ? 0 : Math.max(0, Math.min(MAX_SESSION_EXPIRY_S, Math.floor(o.sessionExpiryS ?? 0)));
    packet.properties = {
      sessionExpiryInterval: expiry > 0 ? expiry : undefined,
      receiveMaximum: o.receiveMaximum ?? DEFAULT_RECEIVE_MAXIMUM,
      maximumPacketSize: maxPacketSize,
    };
  }
  return packet;
}

export interface Refusal {
  /** The code's name (3.1.1 return code or MQTT 5 reason code). */
  reason: string;
  /** The log line. */
  line: string;
  /** Back off long: the refusal will not fix itself soon. */
  long: boolean;
}

/** A CONNACK refusal: every 3.1.1 refusal backs off long; in MQTT 5 all but Server unavailable and Server busy. */
export function refusal(version: 4 | 5, code: number, props: ConnackProperties | undefined): Refusal {
  if (version !== MQTT_5) {
    const reason = connackReason(code);
    return { reason, line: `broker refused the connection: ${code} (${reason})`, long: true };
  }
  const reason = reasonName(code, "connack");
  const why = props?.reasonString;
  const moved = props?.serverReference;
  return {
    reason,
    line: `broker refused the connection: 0x${hex(code)} ${reason}${why ? ` (${why})` : ""}${moved ? `; server reference "${moved}" (not followed)` : ""}`,
    // A busy or unavailable server may take us in a moment; anything else (credentials, authorization, ban, quota, bad id...) will not fix itself soon.
    long: code !== ReasonCode.serverUnavailable && code !== ReasonCode.serverBusy,
  };
}

/** MQTT 5 DISCONNECT from the server: not authorized, taken over by another client with our id, an administrator's action, a redirection we do not follow: do not hurry back. */
export function disconnectIsLong(code: number): boolean {
  return (
    code === ReasonCode.notAuthorized ||
    code === ReasonCode.sessionTakenOver ||
    code === ReasonCode.administrativeAction ||
    code === ReasonCode.useAnotherServer ||
    code === ReasonCode.serverMoved
  );
}
