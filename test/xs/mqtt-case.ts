/*
 * XS parity cases for firmware/mqtt: encode a fixed set of packets (bytes must be
 * identical in XS and Node) and parse the concatenated stream back.
 */
import { encode, isCodecError, type Packet } from "../../firmware/mqtt/codec.js";
import { MqttParser } from "../../firmware/mqtt/parser.js";
import { serveCases, type CaseTable } from "./runtime.js";

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

export const cases: CaseTable = {
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
    return { bytes: total, packets: seen.length, cmds: seen.slice(0, 10), sum };
  },
};

serveCases(cases);
