/*
 * XS parity cases for firmware/mqtt: encode a fixed set of packets (bytes must be
 * identical in XS and Node) and parse the concatenated stream back, for MQTT
 * 3.1.1 and (fixedPackets5, encodeAll5, and inside roundTrip) MQTT 5.
 */
import { encode, isCodecError, type Packet, type Packet5 } from "../../firmware/mqtt/codec.js";
import { MqttParser } from "../../firmware/mqtt/parser.js";
import { serveCases, type CaseTable } from "../../tools/xs/cases/runtime.js";

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** The fixed packet set (also used by the Node side against mqtt-packet). */
export function fixedPackets(): Packet[] {
  const big = new Uint8Array(20000);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7 + 3) & 0xff;
  return [
    { cmd: "connect", protocolVersion: 4, clean: true, keepalive: 30, clientId: "node-a1b2c3",
      username: "sensor", password: utf8("s3cret"),
      will: { topic: "sensors/node-a1b2c3/status", payload: utf8("offline"), qos: 1, retain: true } },
    { cmd: "connect", protocolVersion: 4, clean: true, keepalive: 0, clientId: "" },
    { cmd: "connect", protocolVersion: 4, clean: false, keepalive: 65535, clientId: "sim-1", username: "u" },
    { cmd: "publish", topic: "sensors/node-a1b2c3/telemetry", payload: utf8('{"v":1,"seq":42,"vib":{"x":{"vRms":2.51}}}'), qos: 1, retain: false, dup: false, messageId: 1 },
    { cmd: "publish", topic: "sensors/node-a1b2c3/status", payload: utf8("online"), qos: 0, retain: true, dup: false },
    { cmd: "publish", topic: "sensors/ünïcödé/€/telemetry", payload: big, qos: 1, retain: false, dup: true, messageId: 65535 },
    { cmd: "puback", messageId: 1 },
    { cmd: "subscribe", messageId: 2, subscriptions: [{ topic: "sensors/node-a1b2c3/cmd/+", qos: 1 }, { topic: "fleet/#", qos: 0 }] },
    { cmd: "unsubscribe", messageId: 3, unsubscriptions: ["fleet/#"] },
    { cmd: "pingreq" },
    { cmd: "disconnect" },
  ] as Packet[];
}

/** User properties as the parser returns them (null prototype), so decoded packets compare equal. */
function userProps(o: { [k: string]: string | string[] }): { [k: string]: string | string[] } {
  const up = Object.create(null) as { [k: string]: string | string[] };
  for (const k of Object.keys(o)) up[k] = o[k];
  return up;
}

/** The fixed MQTT 5 set: every packet type, every property type, short and long ack forms. */
export function fixedPackets5(): Packet5[] {
  return [
    { cmd: "connect", protocolId: "MQTT", protocolVersion: 5, clean: true, keepalive: 30, clientId: "node-a1b2c3", username: "sensor", password: utf8("s3cret"),
      properties: { sessionExpiryInterval: 3600, receiveMaximum: 20, maximumPacketSize: 65536, topicAliasMaximum: 10, requestProblemInformation: true,
        userProperties: userProps({ fw: "1.2.0", cap: ["fft", "sparkplug"] }), authenticationMethod: "SCRAM-SHA-1", authenticationData: new Uint8Array([1, 2, 3]) },
      will: { topic: "sensors/node-a1b2c3/status", payload: utf8("offline"), qos: 1, retain: true,
        properties: { willDelayInterval: 5, payloadFormatIndicator: true, messageExpiryInterval: 86400, contentType: "text/plain",
          responseTopic: "sensors/node-a1b2c3/reply", correlationData: new Uint8Array([9, 8]), userProperties: userProps({ k: "v" }) } } },
    { cmd: "connack", sessionPresent: true, reasonCode: 0,
      properties: { receiveMaximum: 100, maximumQoS: 1, retainAvailable: false, maximumPacketSize: 1048576, assignedClientIdentifier: "auto-1",
        topicAliasMaximum: 16, wildcardSubscriptionAvailable: true, subscriptionIdentifiersAvailable: true, sharedSubscriptionAvailable: false, serverKeepAlive: 60,
        responseInformation: "resp/", serverReference: "other:1883", reasonString: "welcome" } },
    { cmd: "connack", sessionPresent: false, reasonCode: 0x87 },
    { cmd: "publish", topic: "sensors/node-a1b2c3/telemetry", payload: utf8('{"v":1,"seq":42}'), qos: 1, retain: false, dup: false, messageId: 7,
      properties: { payloadFormatIndicator: true, messageExpiryInterval: 600, topicAlias: 3, contentType: "application/json", responseTopic: "r/1",
        correlationData: new Uint8Array([0xde, 0xad]), userProperties: userProps({ unit: "mm/s" }), subscriptionIdentifier: [1, 268435455] } },
    { cmd: "publish", topic: "", payload: utf8("aliased"), qos: 0, retain: false, dup: false, properties: { topicAlias: 3 } },
    { cmd: "puback", messageId: 7, reasonCode: 0 },
    { cmd: "puback", messageId: 8, reasonCode: 0x10 },
    { cmd: "pubrec", messageId: 9, reasonCode: 0x80, properties: { reasonString: "quota", userProperties: userProps({ a: "b" }) } },
    { cmd: "pubrel", messageId: 9, reasonCode: 0x92 },
    { cmd: "pubcomp", messageId: 9, reasonCode: 0 },
    { cmd: "subscribe", messageId: 2, properties: { subscriptionIdentifier: 300 },
      subscriptions: [{ topic: "sensors/+/cmd/#", qos: 1, nl: true, rap: true, rh: 2 }, { topic: "$share/g/fleet/#", qos: 0, nl: false, rap: false, rh: 1 }] },
    { cmd: "suback", messageId: 2, granted: [1, 0x9e], properties: { reasonString: "no shared" } },
    { cmd: "unsubscribe", messageId: 3, unsubscriptions: ["fleet/#"], properties: { userProperties: userProps({ why: "done" }) } },
    { cmd: "unsuback", messageId: 3, granted: [0x11] },
    { cmd: "pingreq" },
    { cmd: "pingresp" },
    { cmd: "auth", reasonCode: 0x18, properties: { authenticationMethod: "SCRAM-SHA-1", authenticationData: utf8("c=biws") } },
    { cmd: "disconnect", reasonCode: 0x04, properties: { sessionExpiryInterval: 0, reasonString: "bye", serverReference: "b:1883" } },
    { cmd: "disconnect", reasonCode: 0 },
  ];
}

function encodeSet(packets: readonly (Packet | Packet5)[], protocolVersion: 4 | 5): Uint8Array[] {
  return packets.map((p) => {
    const r = encode(p, { protocolVersion });
    if (isCodecError(r)) throw new Error(`${p.cmd}: ${r.message}`);
    return r;
  });
}

export const cases: CaseTable = {
  encodeAll5(): unknown {
    return fixedPackets5().map((p) => {
      const r = encode(p, { protocolVersion: 5 });
      return isCodecError(r) ? { error: r.message } : Array.from(r);
    });
  },
  encodeAll(): unknown {
    return fixedPackets().map((p) => {
      const r = encode(p);
      return isCodecError(r) ? { error: r.message } : Array.from(r);
    });
  },
  /** Encodes the set `repeat` times into one stream and parses it back in 1000-byte pieces. */
  roundTrip(arg: { repeat: number }): unknown {
    const parts: Uint8Array[] = [];
    let total = 0;
    for (let k = 0; k < arg.repeat; k++) {
      for (const p of fixedPackets()) {
        const r = encode(p);
        if (isCodecError(r)) throw new Error(r.message);
        parts.push(r);
        total += r.length;
      }
    }
    const stream = new Uint8Array(total);
    let o = 0;
    for (const p of parts) {
      stream.set(p, o);
      o += p.length;
    }
    const parser = new MqttParser();
    const seen: string[] = [];
    let sum = 0;
    for (let i = 0; i < stream.length; i += 1000) {
      parser.push(stream.subarray(i, Math.min(stream.length, i + 1000)));
      for (let pkt = parser.next(); pkt !== undefined; pkt = parser.next()) {
        if (isCodecError(pkt)) throw new Error(pkt.message);
        seen.push(pkt.cmd);
        if (pkt.cmd === "publish") for (let j = 0; j < pkt.payload.length; j++) sum = (sum * 31 + pkt.payload[j]) >>> 0;
      }
    }
    // MQTT 5: the fixed set encoded (bytes compared XS vs Node) and parsed back in 7-byte pieces.
    const parts5 = encodeSet(fixedPackets5(), 5);
    const parser5 = new MqttParser<Packet5>({ protocolVersion: 5 });
    const seen5: string[] = [];
    for (const part of parts5) {
      for (let i = 0; i < part.length; i += 7) {
        parser5.push(part.subarray(i, Math.min(part.length, i + 7)));
        for (let pkt = parser5.next(); pkt !== undefined; pkt = parser5.next()) {
          if (isCodecError(pkt)) throw new Error(pkt.message);
          seen5.push(pkt.cmd + ("reasonCode" in pkt && pkt.reasonCode !== undefined ? `:${pkt.reasonCode}` : ""));
        }
      }
    }
    return { bytes: total, packets: seen.length, cmds: seen.slice(0, 10), sum, v5: { bytes: parts5.map((b) => Array.from(b)), parsed: seen5 } };
  },
};

serveCases(cases);
