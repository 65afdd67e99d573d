/*
 * MQTT 5 codec against mqtt-packet as the oracle (fixed vectors, 10,000 seeded
 * random packets with properties, both directions), malformed MQTT 5 input,
 * limits (maximum packet size both ways, UTF-8, topics, property lengths) and a
 * 100,000-input fuzz of the streaming parser over mixed 3.1.1/5 streams.
 */
import test from "ava";
import * as mp from "mqtt-packet";
import { encode, encodeInto, PROPERTIES, reasonName, type AnyPacket, type CodecError, type Packet5, type QoS } from "../firmware/mqtt/codec.js";
import { MqttParser } from "../firmware/mqtt/parser.js";
import { utf8Encode } from "../firmware/util/utf8.js";
import { fixedPackets5 } from "./xs/mqtt-case.js";
import { bytesOf, concat } from "./helpers/codec.js";
import { mulberry32 as rng } from "../sim/rng.js";

// ---- helpers ---------------------------------------------------------------



/** Deep copy with Uint8Arrays turned into Buffers (mqtt-packet's generate wants Buffers). */
function toOracle(x: any): any {
  if (x instanceof Uint8Array) return Buffer.from(x);
  if (Array.isArray(x)) return x.map(toOracle);
  if (typeof x === "object" && x !== null) {
    const o: any = Object.getPrototypeOf(x) === null ? Object.create(null) : {};
    for (const k of Object.keys(x)) o[k] = toOracle(x[k]);
    return o;
  }
  return x;
}

const PACKET_CLASS_FIELDS = ["length", "retain", "qos", "dup", "topic", "payload"];

/** mqtt-packet's parsed object in our shape: Buffers as Uint8Array, its Packet class defaults dropped. */
function fromOracle(x: any, top = true): any {
  if (Buffer.isBuffer(x)) return new Uint8Array(x);
  if (Array.isArray(x)) return x.map((v) => fromOracle(v, false));
  if (typeof x === "object" && x !== null) {
    const o: any = Object.getPrototypeOf(x) === null ? Object.create(null) : {};
    for (const k of Object.keys(x)) {
      if (top && k === "length") continue;
      if (top && x.cmd !== "publish" && PACKET_CLASS_FIELDS.includes(k)) continue;
      o[k] = fromOracle(x[k], false);
    }
    return o;
  }
  return x;
}

function oracleParse(bytes: Uint8Array, protocolVersion: 4 | 5): any[] {
  const parser = mp.parser({ protocolVersion });
  const out: any[] = [];
  let error: Error | undefined;
  parser.on("packet", (p: any) => out.push(p));
  parser.on("error", (e: Error) => (error ??= e));
  parser.parse(Buffer.from(bytes));
  if (error) throw error;
  return out;
}

function oracleGenerate(p: AnyPacket, protocolVersion: 4 | 5): Buffer {
  return mp.generate(toOracle(p), { protocolVersion } as any);
}

function parseAll(bytes: Uint8Array, protocolVersion: 4 | 5, maxPacketSize?: number): any[] {
  const parser = new MqttParser<Packet5>({ protocolVersion, maxPacketSize });
  parser.push(bytes);
  const out: any[] = [];
  for (let i = 0; i < 100_000; i++) {
    const p = parser.next();
    if (p === undefined) return out;
    out.push(p);
  }
  throw new Error("parser did not stop");
}

function up(o: { [k: string]: string | string[] }): any {
  return Object.assign(Object.create(null), o);
}

// ---- random MQTT 5 packets ------------------------------------------------------

const CHARS = ["a", "b", "z", "0", "-", "_", " ", "é", "€", "日", "😀", "$", "."];

export function randomPacket5Factory(r: () => number): () => Packet5 {
  const int = (n: number) => Math.floor(r() * n);
  const pick = <T>(a: readonly T[]): T => a[int(a.length)];
  const id = () => 1 + int(65535);
  const qos = (): QoS => int(3) as QoS;
  const bytes = (max: number) => {
    const b = new Uint8Array(int(max + 1));
    for (let i = 0; i < b.length; i++) b[i] = int(256);
    return b;
  };
  const text = (max: number, min = 0) => {
    let s = "";
    const n = min + int(max - min + 1);
    for (let i = 0; i < n; i++) s += pick(CHARS);
    return s;
  };
  const topicName = () => {
    const parts: string[] = [];
    for (let i = 0, n = 1 + int(4); i < n; i++) parts.push(text(6));
    const t = parts.join("/");
    return t.length === 0 ? "t" : t;
  };
  const topicFilter = () => {
    const parts: string[] = [];
    for (let i = 0, n = 1 + int(4); i < n; i++) parts.push(r() < 0.2 ? "+" : text(5));
    if (r() < 0.3) parts.push("#");
    const t = parts.join("/");
    return t.length === 0 ? "#" : t;
  };
  const u32 = () => (r() < 0.2 ? pick([0, 1, 0xffffffff]) : int(0x100000000));
  const gens: { [name: string]: () => unknown } = {
    payloadFormatIndicator: () => r() < 0.5,
    messageExpiryInterval: u32,
    contentType: () => text(12),
    responseTopic: topicName,
    correlationData: () => bytes(16),
    subscriptionIdentifier: () => 1 + (r() < 0.3 ? 268435454 : int(20000)),
    sessionExpiryInterval: u32,
    assignedClientIdentifier: () => text(20),
    serverKeepAlive: () => int(65536),
    authenticationMethod: () => text(10, 1),
    authenticationData: () => bytes(20),
    requestProblemInformation: () => r() < 0.5,
    willDelayInterval: u32,
    requestResponseInformation: () => r() < 0.5,
    responseInformation: () => text(10),
    serverReference: () => text(10),
    reasonString: () => text(20),
    receiveMaximum: () => 1 + int(65535),
    topicAliasMaximum: () => int(65536),
    topicAlias: () => 1 + int(65535),
    maximumQoS: () => int(2),
    retainAvailable: () => r() < 0.5,
    userProperties: () => {
      const o = Object.create(null);
      for (let i = 0, n = 1 + int(3); i < n; i++) {
        const k = text(6, 1);
        o[k] = r() < 0.3 ? [text(6, 1), text(6, 1)] : text(8, 1);
      }
      return o;
    },
    maximumPacketSize: () => 1 + int(0xfffffffe),
    wildcardSubscriptionAvailable: () => r() < 0.5,
    subscriptionIdentifiersAvailable: () => r() < 0.5,
    sharedSubscriptionAvailable: () => r() < 0.5,
  };
  const props = (names: string[], extra?: (o: any) => void): any => {
    if (r() < 0.25) return undefined;
    const o: any = {};
    // a random subset in a random order: the encoding follows the object's key order
    const order = names.slice().sort(() => r() - 0.5);
    for (const n of order) if (r() < 0.4) o[n] = gens[n]();
    if (extra) extra(o);
    if (o.authenticationData !== undefined && o.authenticationMethod === undefined) o.authenticationMethod = gens.authenticationMethod();
    return Object.keys(o).length === 0 ? undefined : o;
  };
  const withProps = <T extends object>(p: T, names: string[], extra?: (o: any) => void): T => {
    const pr = props(names, extra);
    if (pr !== undefined) (p as any).properties = pr;
    return p;
  };
  const ACK_PROPS = ["reasonString", "userProperties"];
  const WILL = ["willDelayInterval", "payloadFormatIndicator", "messageExpiryInterval", "contentType", "responseTopic", "correlationData", "userProperties"];
  const CONNECT = ["sessionExpiryInterval", "receiveMaximum", "maximumPacketSize", "topicAliasMaximum", "requestResponseInformation", "requestProblemInformation", "userProperties", "authenticationMethod", "authenticationData"];
  const CONNACK = [
    "sessionExpiryInterval", "receiveMaximum", "maximumQoS", "retainAvailable", "maximumPacketSize", "assignedClientIdentifier", "topicAliasMaximum", "reasonString",
    "userProperties", "wildcardSubscriptionAvailable", "subscriptionIdentifiersAvailable", "sharedSubscriptionAvailable", "serverKeepAlive", "responseInformation",
    "serverReference", "authenticationMethod", "authenticationData",
  ];
  const PUBLISH = ["payloadFormatIndicator", "messageExpiryInterval", "topicAlias", "responseTopic", "correlationData", "userProperties", "contentType"];
  const codes = (cmd: string) => PUBLISH_CODES[cmd];
  return (): Packet5 => {
    switch (int(15)) {
      case 0: {
        const username = r() < 0.5 ? text(10) : undefined;
        const clientId = text(20);
        const p: any = { cmd: "connect", protocolId: "MQTT", protocolVersion: 5, clean: clientId === "" || r() < 0.5, keepalive: int(65536), clientId };
        if (username !== undefined) p.username = username;
        if (username !== undefined && r() < 0.5) p.password = bytes(20);
        if (r() < 0.5) p.will = withProps({ topic: topicName(), payload: bytes(40), qos: qos(), retain: r() < 0.5 }, WILL);
        return withProps(p, CONNECT);
      }
      case 1: {
        const reasonCode = r() < 0.5 ? 0 : pick(codes("connack"));
        return withProps({ cmd: "connack", reasonCode, sessionPresent: reasonCode === 0 && r() < 0.5 }, CONNACK);
      }
      case 2: {
        const q = qos();
        const p: any = { cmd: "publish", topic: topicName(), payload: bytes(r() < 0.05 ? 300 : 60), qos: q, retain: r() < 0.5, dup: q > 0 && r() < 0.5 };
        if (q > 0) p.messageId = id();
        withProps(p, PUBLISH, (o) => {
          if (r() < 0.3) o.subscriptionIdentifier = r() < 0.5 ? gens.subscriptionIdentifier() : [gens.subscriptionIdentifier(), gens.subscriptionIdentifier()];
        });
        if (p.properties?.topicAlias !== undefined && r() < 0.3) p.topic = "";
        return p;
      }
      case 3:
      case 4:
      case 5:
      case 6: {
        const cmd = (["puback", "pubrec", "pubrel", "pubcomp"] as const)[int(4)];
        return withProps({ cmd, messageId: id(), reasonCode: r() < 0.4 ? 0 : pick(codes(cmd)) }, ACK_PROPS) as Packet5;
      }
      case 7: {
        const subscriptions = [];
        for (let i = 0, n = 1 + int(4); i < n; i++) {
          const shared = r() < 0.15;
          subscriptions.push({ topic: shared ? `$share/${text(4, 1)}/${topicFilter()}` : topicFilter(), qos: qos(), nl: !shared && r() < 0.5, rap: r() < 0.5, rh: int(3) as 0 | 1 | 2 });
        }
        return withProps({ cmd: "subscribe", messageId: id(), subscriptions }, ["userProperties"], (o) => {
          if (r() < 0.3) o.subscriptionIdentifier = gens.subscriptionIdentifier();
        });
      }
      case 8: {
        const granted = [];
        for (let i = 0, n = 1 + int(4); i < n; i++) granted.push(pick(codes("suback")));
        return withProps({ cmd: "suback", messageId: id(), granted }, ACK_PROPS);
      }
      case 9: {
        const unsubscriptions = [];
        for (let i = 0, n = 1 + int(4); i < n; i++) unsubscriptions.push(topicFilter());
        return withProps({ cmd: "unsubscribe", messageId: id(), unsubscriptions }, ["userProperties"]);
      }
      case 10: {
        const granted = [];
        for (let i = 0, n = 1 + int(4); i < n; i++) granted.push(pick(codes("unsuback")));
        return withProps({ cmd: "unsuback", messageId: id(), granted }, ACK_PROPS);
      }
      case 11:
        return { cmd: "pingreq" };
      case 12:
        return { cmd: "pingresp" };
      case 13:
        return withProps({ cmd: "disconnect", reasonCode: r() < 0.4 ? 0 : pick(codes("disconnect")) }, ["sessionExpiryInterval", "reasonString", "userProperties", "serverReference"]);
      default:
        return withProps({ cmd: "auth", reasonCode: pick([0, 0x18, 0x19]) }, ["authenticationMethod", "authenticationData", "reasonString", "userProperties"]);
    }
  };
}

const PUBLISH_CODES: { [cmd: string]: number[] } = {
  connack: [0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8c, 0x90, 0x95, 0x97, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9f],
  puback: [0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99],
  pubrec: [0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99],
  pubrel: [0x00, 0x92],
  pubcomp: [0x00, 0x92],
  suback: [0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8f, 0x91, 0x97, 0x9e, 0xa1, 0xa2],
  unsuback: [0x00, 0x11, 0x80, 0x83, 0x87, 0x8f, 0x91],
  disconnect: [0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8b, 0x8d, 0x8e, 0x8f, 0x90, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9e, 0x9f, 0xa0, 0xa1, 0xa2],
};

// ---- fixed vectors ----------------------------------------------------------------

const enc = (s: string) => utf8Encode(s);

const VECTORS5: { name: string; packet: Packet5; bytes: number[] }[] = [
  {
    name: "connect with session expiry and a will delay",
    packet: {
      cmd: "connect", protocolId: "MQTT", protocolVersion: 5, clean: true, keepalive: 30, clientId: "n",
      properties: { sessionExpiryInterval: 0x102 },
      will: { topic: "s", payload: enc("x"), qos: 1, retain: false, properties: { willDelayInterval: 5 } },
    },
    bytes: [0x10, 31, 0, 4, 0x4d, 0x51, 0x54, 0x54, 5, 0x0e, 0, 30, 5, 0x11, 0, 0, 1, 2, 0, 1, 0x6e, 5, 0x18, 0, 0, 0, 5, 0, 1, 0x73, 0, 1, 0x78],
  },
  { name: "connack success, no properties", packet: { cmd: "connack", sessionPresent: false, reasonCode: 0 }, bytes: [0x20, 3, 0, 0, 0] },
  {
    name: "connack with receive maximum and topic alias maximum",
    packet: { cmd: "connack", sessionPresent: true, reasonCode: 0, properties: { receiveMaximum: 10, topicAliasMaximum: 5 } },
    bytes: [0x20, 9, 1, 0, 6, 0x21, 0, 10, 0x22, 0, 5],
  },
  { name: "connack not authorized", packet: { cmd: "connack", sessionPresent: false, reasonCode: 0x87 }, bytes: [0x20, 3, 0, 0x87, 0] },
  {
    name: "publish qos1 with topic alias and user properties",
    packet: { cmd: "publish", topic: "t", payload: enc("hi"), qos: 1, retain: false, dup: false, messageId: 1, properties: { topicAlias: 2, userProperties: up({ k: "v" }) } },
    bytes: [0x32, 18, 0, 1, 0x74, 0, 1, 10, 0x23, 0, 2, 0x26, 0, 1, 0x6b, 0, 1, 0x76, 0x68, 0x69],
  },
  {
    name: "publish with an empty topic and a topic alias",
    packet: { cmd: "publish", topic: "", payload: new Uint8Array(0), qos: 0, retain: true, dup: false, properties: { topicAlias: 1 } },
    bytes: [0x31, 6, 0, 0, 3, 0x23, 0, 1],
  },
  { name: "puback short form", packet: { cmd: "puback", messageId: 7, reasonCode: 0 }, bytes: [0x40, 2, 0, 7] },
  { name: "puback no matching subscribers", packet: { cmd: "puback", messageId: 7, reasonCode: 0x10 }, bytes: [0x40, 4, 0, 7, 0x10, 0] },
  {
    name: "pubrec with a reason string",
    packet: { cmd: "pubrec", messageId: 1, reasonCode: 0x80, properties: { reasonString: "no" } },
    bytes: [0x50, 9, 0, 1, 0x80, 5, 0x1f, 0, 2, 0x6e, 0x6f],
  },
  { name: "pubrel packet id not found", packet: { cmd: "pubrel", messageId: 2, reasonCode: 0x92 }, bytes: [0x62, 4, 0, 2, 0x92, 0] },
  { name: "pubcomp short form", packet: { cmd: "pubcomp", messageId: 3, reasonCode: 0 }, bytes: [0x70, 2, 0, 3] },
  {
    name: "subscribe with options and a subscription identifier",
    packet: { cmd: "subscribe", messageId: 10, properties: { subscriptionIdentifier: 200 }, subscriptions: [{ topic: "a/+", qos: 1, nl: true, rap: true, rh: 2 }] },
    bytes: [0x82, 12, 0, 10, 3, 0x0b, 0xc8, 0x01, 0, 3, 0x61, 0x2f, 0x2b, 0x2d],
  },
  { name: "suback with reason codes", packet: { cmd: "suback", messageId: 10, granted: [1, 0xa2] }, bytes: [0x90, 5, 0, 10, 0, 1, 0xa2] },
  { name: "unsubscribe", packet: { cmd: "unsubscribe", messageId: 11, unsubscriptions: ["a"] }, bytes: [0xa2, 6, 0, 11, 0, 0, 1, 0x61] },
  { name: "unsuback no subscription existed", packet: { cmd: "unsuback", messageId: 11, granted: [0x11] }, bytes: [0xb0, 4, 0, 11, 0, 0x11] },
  { name: "pingreq", packet: { cmd: "pingreq" }, bytes: [0xc0, 0] },
  { name: "pingresp", packet: { cmd: "pingresp" }, bytes: [0xd0, 0] },
  { name: "disconnect normal", packet: { cmd: "disconnect", reasonCode: 0 }, bytes: [0xe0, 2, 0, 0] },
  {
    name: "disconnect with will and session expiry",
    packet: { cmd: "disconnect", reasonCode: 4, properties: { sessionExpiryInterval: 60 } },
    bytes: [0xe0, 7, 4, 5, 0x11, 0, 0, 0, 60],
  },
  {
    name: "auth continue",
    packet: { cmd: "auth", reasonCode: 0x18, properties: { authenticationMethod: "m", authenticationData: new Uint8Array([1]) } },
    bytes: [0xf0, 10, 0x18, 8, 0x15, 0, 1, 0x6d, 0x16, 0, 1, 1],
  },
];

for (const v of VECTORS5) {
  test(`v5 vector: ${v.name}`, (t) => {
    const ours = bytesOf(encode(v.packet, { protocolVersion: 5 }));
    t.deepEqual(Array.from(ours), v.bytes, "our encoding");
    t.deepEqual(Array.from(oracleGenerate(v.packet, 5)), v.bytes, "mqtt-packet agrees with the vector");
    const parsed = parseAll(new Uint8Array(v.bytes), 5);
    t.is(parsed.length, 1);
    t.deepEqual(parsed[0], v.packet);
    t.deepEqual(fromOracle(oracleParse(ours, 5)[0]), v.packet);
  });
}

test("v5 VECTORS cover every packet type, AUTH included", (t) => {
  t.is(new Set(VECTORS5.map((v) => v.packet.cmd)).size, 15);
});

test("v5 short forms are accepted on input: ack with reason code only, DISCONNECT and AUTH with no body", (t) => {
  t.deepEqual(parseAll(new Uint8Array([0x40, 3, 0, 7, 0x10]), 5), [{ cmd: "puback", messageId: 7, reasonCode: 0x10 }]);
  t.deepEqual(parseAll(new Uint8Array([0xe0, 0]), 5), [{ cmd: "disconnect", reasonCode: 0 }]);
  t.deepEqual(parseAll(new Uint8Array([0xe0, 1, 0x8b]), 5), [{ cmd: "disconnect", reasonCode: 0x8b }]);
  t.deepEqual(parseAll(new Uint8Array([0xf0, 0]), 5), [{ cmd: "auth", reasonCode: 0 }]);
});

test("XS parity set (fixedPackets5): ours equals mqtt-packet and parses back to the same objects", (t) => {
  for (const p of fixedPackets5()) {
    const ours = bytesOf(encode(p, { protocolVersion: 5 }));
    t.true(Buffer.from(ours).equals(oracleGenerate(p, 5)), p.cmd);
    t.deepEqual(parseAll(ours, 5)[0], p);
    t.deepEqual(fromOracle(oracleParse(ours, 5)[0]), p);
  }
});

// ---- generated round trips --------------------------------------------------------

const GENERATED = 10_000;

test(`v5: ${GENERATED} random packets with properties: ours -> mqtt-packet and mqtt-packet -> ours`, (t) => {
  const next = randomPacket5Factory(rng(0x55eed5));
  const seen = new Set<string>();
  const propsSeen = new Set<string>();
  let failures = 0;
  for (let i = 0; i < GENERATED && failures < 5; i++) {
    const p = next();
    seen.add(p.cmd);
    const pr = (p as any).properties ?? {};
    for (const k of Object.keys(pr)) propsSeen.add(k);
    for (const k of Object.keys((p as any).will?.properties ?? {})) propsSeen.add(k);
    const ours = bytesOf(encode(p, { protocolVersion: 5 }));
    const theirs = oracleGenerate(p, 5);
    if (!Buffer.from(ours).equals(theirs)) {
      failures++;
      t.fail(`#${i} ${p.cmd}: bytes differ from mqtt-packet\n${JSON.stringify(toOracle(p))}\nours   ${Array.from(ours)}\ntheirs ${Array.from(theirs)}`);
      continue;
    }
    const back = oracleParse(ours, 5);
    if (back.length !== 1) return t.fail(`#${i}: mqtt-packet parsed ${back.length} packets`);
    t.deepEqual(fromOracle(back[0]), p, `#${i} mqtt-packet parse of ours`);
    const mine = parseAll(new Uint8Array(theirs), 5);
    if (mine.length !== 1) return t.fail(`#${i}: we parsed ${mine.length}`);
    t.deepEqual(mine[0], p, `#${i} our parse of mqtt-packet`);
  }
  t.is(seen.size, 15, "every packet type generated");
  t.is(propsSeen.size, PROPERTIES.length, `every property generated (missing: ${PROPERTIES.map((d) => d.name).filter((n) => !propsSeen.has(n))})`);
});

test("v5: a stream of random packets in random chunks parses identically; a CONNECT switches a 3.1.1 parser to 5", (t) => {
  const r = rng(99);
  const next = randomPacket5Factory(r);
  const packets = Array.from({ length: 1000 }, next).filter((p) => p.cmd !== "connect");
  const connect: Packet5 = { cmd: "connect", protocolId: "MQTT", protocolVersion: 5, clean: true, keepalive: 10, clientId: "c", properties: { receiveMaximum: 5 } };
  const stream = concat([bytesOf(encode(connect)), ...packets.map((p) => bytesOf(encode(p, { protocolVersion: 5 })))]);
  const parser = new MqttParser<Packet5>(); // 3.1.1 until the CONNECT says 5 (the server side)
  const got: any[] = [];
  for (let i = 0; i < stream.length; ) {
    const n = 1 + Math.floor(r() * 64);
    parser.push(stream.subarray(i, i + n));
    i += n;
    for (let p = parser.next(); p !== undefined; p = parser.next()) got.push(p);
  }
  t.is(parser.protocolVersion, 5);
  t.deepEqual(got, [connect, ...packets]);
});

test("encodeInto writes the same bytes as encode at any offset, and fails cleanly when out of room", (t) => {
  const r = rng(314);
  const next = randomPacket5Factory(r);
  const out = new Uint8Array(2048);
  for (let i = 0; i < 3000; i++) {
    const p5 = next();
    const [p, v] = r() < 0.5 ? [p5, 5 as const] : [toV4(p5), 4 as const];
    const want = bytesOf(encode(p, { protocolVersion: v }));
    const at = Math.floor(r() * 64);
    out.fill(0xee);
    const n = encodeInto(p, out, at, { protocolVersion: v });
    if (n !== want.length) return t.fail(`#${i} ${p.cmd}: wrote ${JSON.stringify(n)}, want ${want.length}`);
    if (!Buffer.from(out.subarray(at, at + n)).equals(want)) return t.fail(`#${i} ${p.cmd}: bytes differ`);
    if (out[at - 1] !== undefined && at > 0 && out[at - 1] !== 0xee) return t.fail(`#${i}: wrote before the offset`);
    if (out[at + n] !== 0xee) return t.fail(`#${i}: wrote past the packet`);
    const small = new Uint8Array(want.length - 1);
    const e = encodeInto(p, small, 0, { protocolVersion: v }) as CodecError;
    if (e.cmd !== "error" || !/too small/.test(e.message) || e.needed !== want.length) return t.fail(`#${i}: ${JSON.stringify(e)}`);
  }
  t.is((encodeInto({ cmd: "puback", messageId: 0 }, out) as CodecError).cmd, "error");
});

// ---- malformed MQTT 5 input ---------------------------------------------------------

const MALFORMED5: { name: string; bytes: number[]; match: RegExp }[] = [
  { name: "duplicate topic alias", bytes: [0x30, 11, 0, 1, 0x74, 6, 0x23, 0, 1, 0x23, 0, 2, 0x78], match: /duplicate property topicAlias/ },
  { name: "duplicate session expiry in CONNACK", bytes: [0x20, 13, 0, 0, 10, 0x11, 0, 0, 0, 1, 0x11, 0, 0, 0, 2], match: /duplicate property sessionExpiryInterval/ },
  { name: "duplicate reason string on PUBACK", bytes: [0x40, 12, 0, 1, 0x80, 8, 0x1f, 0, 1, 0x61, 0x1f, 0, 1, 0x62], match: /duplicate/ },
  { name: "subscription identifier twice in SUBSCRIBE", bytes: [0x82, 11, 0, 1, 4, 0x0b, 1, 0x0b, 2, 0, 1, 0x61, 0], match: /duplicate/ },
  { name: "property not allowed (topic alias in CONNACK)", bytes: [0x20, 6, 0, 0, 3, 0x23, 0, 1], match: /not allowed in CONNACK/ },
  { name: "property not allowed (session expiry in PUBLISH)", bytes: [0x30, 9, 0, 1, 0x74, 5, 0x11, 0, 0, 0, 1], match: /not allowed in PUBLISH/ },
  { name: "will delay in CONNECT properties", bytes: [0x10, 18, 0, 4, 0x4d, 0x51, 0x54, 0x54, 5, 2, 0, 0, 5, 0x18, 0, 0, 0, 1, 0, 0], match: /not allowed in CONNECT/ },
  { name: "unknown property identifier", bytes: [0x30, 6, 0, 1, 0x74, 2, 0x05, 0], match: /unknown property identifier 0x5/ },
  { name: "property length beyond the packet", bytes: [0x30, 6, 0, 1, 0x74, 9, 0x23, 0], match: /beyond the end/ },
  { name: "property value crosses the property length", bytes: [0x30, 9, 0, 1, 0x74, 2, 0x23, 0, 1, 0x61, 0x62], match: /truncated/ },
  { name: "non-minimal property length", bytes: [0x30, 6, 0, 1, 0x74, 0x80, 0x00, 0x61], match: /non-minimal/ },
  { name: "topic alias 0", bytes: [0x30, 8, 0, 1, 0x74, 3, 0x23, 0, 0, 0x61], match: /invalid topicAlias 0/ },
  { name: "receive maximum 0", bytes: [0x20, 6, 0, 0, 3, 0x21, 0, 0], match: /invalid receiveMaximum 0/ },
  { name: "maximum packet size 0", bytes: [0x20, 8, 0, 0, 5, 0x27, 0, 0, 0, 0], match: /invalid maximumPacketSize 0/ },
  { name: "maximum QoS 2", bytes: [0x20, 5, 0, 0, 2, 0x24, 2], match: /invalid maximumQoS 2/ },
  { name: "payload format indicator 2", bytes: [0x30, 6, 0, 1, 0x74, 2, 0x01, 2], match: /invalid payloadFormatIndicator 2/ },
  { name: "subscription identifier 0", bytes: [0x30, 6, 0, 1, 0x74, 2, 0x0b, 0], match: /invalid subscriptionIdentifier 0/ },
  { name: "response topic with a wildcard", bytes: [0x30, 9, 0, 1, 0x74, 5, 0x08, 0, 2, 0x61, 0x23], match: /responseTopic.*wildcard/ },
  { name: "user property with invalid UTF-8", bytes: [0x30, 10, 0, 1, 0x74, 6, 0x26, 0, 1, 0xff, 0, 0], match: /UTF-8/ },
  { name: "reason string with U+0000", bytes: [0x40, 8, 0, 1, 0x80, 4, 0x1f, 0, 1, 0x00], match: /UTF-8/ },
  { name: "empty topic without alias", bytes: [0x30, 3, 0, 0, 0], match: /empty topic/ },
  { name: "PUBACK invalid reason code", bytes: [0x40, 3, 0, 1, 0x05], match: /invalid PUBACK reason code/ },
  { name: "PUBREL reason code of PUBACK", bytes: [0x62, 3, 0, 1, 0x10], match: /invalid PUBREL reason code/ },
  { name: "CONNACK invalid reason code", bytes: [0x20, 3, 0, 0x01, 0], match: /invalid CONNACK reason code/ },
  { name: "CONNACK without property length", bytes: [0x20, 2, 0, 0], match: /at least 3/ },
  { name: "CONNACK session present with a refusal", bytes: [0x20, 3, 1, 0x87, 0], match: /session present/ },
  { name: "SUBACK invalid reason code", bytes: [0x90, 4, 0, 1, 0, 0x03], match: /invalid SUBACK/ },
  { name: "UNSUBACK invalid reason code", bytes: [0xb0, 4, 0, 1, 0, 0x01], match: /invalid UNSUBACK/ },
  { name: "UNSUBACK without reason codes", bytes: [0xb0, 3, 0, 1, 0], match: /without reason codes/ },
  { name: "DISCONNECT invalid reason code", bytes: [0xe0, 1, 0x01], match: /invalid DISCONNECT/ },
  { name: "AUTH invalid reason code", bytes: [0xf0, 2, 0x87, 0], match: /invalid AUTH/ },
  { name: "AUTH with fixed-header flags", bytes: [0xf1, 0], match: /flags/ },
  { name: "SUBSCRIBE reserved option bits", bytes: [0x82, 7, 0, 1, 0, 0, 1, 0x61, 0x40], match: /reserved bits/ },
  { name: "SUBSCRIBE retain handling 3", bytes: [0x82, 7, 0, 1, 0, 0, 1, 0x61, 0x30], match: /retain handling 3/ },
  { name: "SUBSCRIBE No Local on a shared subscription", bytes: [0x82, 16, 0, 1, 0, 0, 10, ...Array.from(enc("$share/g/")), 0x61, 0x04], match: /No Local on shared/ },
  { name: "SUBSCRIBE shared subscription without filter", bytes: [0x82, 14, 0, 1, 0, 0, 8, ...Array.from(enc("$share/g")), 0, 0].slice(0, 16), match: /share name and a topic filter|truncated/ },
  { name: "SUBSCRIBE shared subscription with a wildcard name", bytes: [0x82, 16, 0, 1, 0, 0, 10, ...Array.from(enc("$share/+/a")), 0], match: /wildcard in share name/ },
  { name: "CONNECT auth data without method", bytes: [0x10, 18, 0, 4, 0x4d, 0x51, 0x54, 0x54, 5, 2, 0, 0, 4, 0x16, 0, 1, 9, 0, 1, 0x63], match: /authentication data without/ },
  { name: "CONNECT truncated property block", bytes: [0x10, 11, 0, 4, 0x4d, 0x51, 0x54, 0x54, 5, 2, 0, 0, 5], match: /beyond the end/ },
  { name: "trailing bytes after DISCONNECT properties", bytes: [0xe0, 3, 0, 0, 0x99], match: /trailing/ },
];

for (const m of MALFORMED5) {
  test(`v5 malformed: ${m.name}`, (t) => {
    const parser = new MqttParser<Packet5>({ protocolVersion: 5 });
    parser.push(new Uint8Array(m.bytes));
    const p = parser.next();
    t.is(p?.cmd, "error", JSON.stringify(p));
    t.regex((p as CodecError).message, m.match);
    t.is(parser.next(), undefined, "stopped after the error");
  });
}

test("v5: the same inputs that MQTT 5 accepts are errors for a 3.1.1 parser where the format differs", (t) => {
  t.is(parseAll(new Uint8Array([0x20, 3, 0, 0, 0]), 4)[0].cmd, "error", "CONNACK with properties");
  t.is(parseAll(new Uint8Array([0xf0, 0]), 4)[0].cmd, "error", "AUTH");
  t.is(parseAll(new Uint8Array([0xe0, 2, 0, 0]), 4)[0].cmd, "error", "DISCONNECT with a body");
  t.deepEqual(parseAll(new Uint8Array([0x82, 6, 0, 1, 0, 1, 0x61, 0x04]), 4)[0].cmd, "error", "SUBSCRIBE with nl");
});

// ---- encode limits --------------------------------------------------------------------

test("v5 encode rejects what MQTT 5 forbids, as error values", (t) => {
  const bad: any[] = [
    { cmd: "publish", topic: "t", payload: new Uint8Array(0), qos: 0, retain: false, dup: false, properties: { sessionExpiryInterval: 1 } },
    { cmd: "publish", topic: "t", payload: new Uint8Array(0), qos: 0, retain: false, dup: false, properties: { topicAlias: 0 } },
    { cmd: "publish", topic: "t", payload: new Uint8Array(0), qos: 0, retain: false, dup: false, properties: { topicAlias: [1, 2] } },
    { cmd: "publish", topic: "t", payload: new Uint8Array(0), qos: 0, retain: false, dup: false, properties: { payloadFormatIndicator: 1 } },
    { cmd: "publish", topic: "t", payload: new Uint8Array(0), qos: 0, retain: false, dup: false, properties: { responseTopic: "a/#" } },
    { cmd: "publish", topic: "t", payload: new Uint8Array(0), qos: 0, retain: false, dup: false, properties: { contentType: "a\u0000" } },
    { cmd: "publish", topic: "t", payload: new Uint8Array(0), qos: 0, retain: false, dup: false, properties: { userProperties: { k: "\ud800" } } },
    { cmd: "publish", topic: "t", payload: new Uint8Array(0), qos: 0, retain: false, dup: false, properties: { userProperties: { k: 5 } } },
    { cmd: "publish", topic: "t", payload: new Uint8Array(0), qos: 0, retain: false, dup: false, properties: { subscriptionIdentifier: 268435456 } },
    { cmd: "publish", topic: "t", payload: new Uint8Array(0), qos: 0, retain: false, dup: false, properties: { correlationData: "x" } },
    { cmd: "publish", topic: "t", payload: new Uint8Array(0), qos: 0, retain: false, dup: false, properties: { bogus: 1 } },
    { cmd: "publish", topic: "", payload: new Uint8Array(0), qos: 0, retain: false, dup: false },
    { cmd: "connack", sessionPresent: false, reasonCode: 0x01 },
    { cmd: "connack", sessionPresent: false, reasonCode: 0, properties: { maximumQoS: 2 } },
    { cmd: "puback", messageId: 1, reasonCode: 0x92 },
    { cmd: "pubrel", messageId: 1, reasonCode: 0x10 },
    { cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "$share/g/a", qos: 0, nl: true }] },
    { cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "$share//a", qos: 0 }] },
    { cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "a", qos: 0, rh: 3 }] },
    { cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "a", qos: 0 }], properties: { subscriptionIdentifier: [1, 2] } },
    { cmd: "suback", messageId: 1, granted: [0x11] },
    { cmd: "unsuback", messageId: 1, granted: [] },
    { cmd: "disconnect", reasonCode: 0x18 },
    { cmd: "auth", reasonCode: 0x04 },
    { cmd: "connect", protocolVersion: 5, clean: true, keepalive: 0, clientId: "c", will: { topic: "w", payload: new Uint8Array(0), qos: 0, retain: false, properties: { sessionExpiryInterval: 1 } } },
  ];
  for (const p of bad) {
    const r = encode(p, { protocolVersion: 5 });
    t.false(r instanceof Uint8Array, JSON.stringify(p));
    t.is((r as CodecError).cmd, "error");
  }
  // MQTT 5 allows a password without a user name.
  t.true(encode({ cmd: "connect", protocolVersion: 5, clean: true, keepalive: 0, clientId: "c", password: enc("p") }) instanceof Uint8Array);
});

test("maximum packet size: encode refuses larger packets, drops reason string then user properties from acks", (t) => {
  const pub: Packet5 = { cmd: "publish", topic: "t", payload: new Uint8Array(100), qos: 0, retain: false, dup: false };
  const size = bytesOf(encode(pub, { protocolVersion: 5 })).length;
  t.true(encode(pub, { protocolVersion: 5, maximumPacketSize: size }) instanceof Uint8Array);
  t.regex((encode(pub, { protocolVersion: 5, maximumPacketSize: size - 1 }) as CodecError).message, /exceeds the maximum packet size/);
  t.regex((encode(pub, { maximumPacketSize: 50 }) as CodecError).message, /exceeds/, "3.1.1 too");
  const ack: Packet5 = { cmd: "puback", messageId: 1, reasonCode: 0x80, properties: { reasonString: "x".repeat(50), userProperties: up({ a: "b" }) } };
  const noReason = bytesOf(encode(ack, { protocolVersion: 5, maximumPacketSize: 20 }));
  t.deepEqual(parseAll(noReason, 5)[0], { cmd: "puback", messageId: 1, reasonCode: 0x80, properties: { userProperties: up({ a: "b" }) } });
  const bare = bytesOf(encode(ack, { protocolVersion: 5, maximumPacketSize: 6 }));
  t.deepEqual(parseAll(bare, 5)[0], { cmd: "puback", messageId: 1, reasonCode: 0x80 });
  t.is((encode(ack, { protocolVersion: 5, maximumPacketSize: 5 }) as CodecError).cmd, "error");
  t.is((ack.properties as any).reasonString.length, 50, "the caller's object is not modified");
  // and on input: the parser's limit
  const big = bytesOf(encode({ ...pub, payload: new Uint8Array(5000) }, { protocolVersion: 5 }));
  t.regex(parseAll(big, 5, 4096)[0].message, /exceeds the maximum of 4096/);
});

test("reason code names", (t) => {
  t.is(reasonName(0x87), "Not authorized");
  t.is(reasonName(0, "disconnect"), "Normal disconnection");
  t.is(reasonName(0, "suback"), "Granted QoS 0");
  t.is(reasonName(0x9e), "Shared Subscriptions not supported");
  t.regex(reasonName(0x42), /unknown/);
});

/** The 3.1.1 counterpart of a random MQTT 5 packet (no properties, reason codes or subscription options). */
function toV4(p: Packet5): AnyPacket {
  const q: any = { ...p };
  delete q.properties;
  switch (p.cmd) {
    case "connect":
      q.protocolVersion = 4;
      if (q.will) q.will = { ...q.will, properties: undefined };
      if (q.password && q.username === undefined) q.username = "u";
      return q;
    case "connack":
      return { cmd: "connack", sessionPresent: p.sessionPresent, returnCode: p.reasonCode === 0 ? 0 : 1 + (p.reasonCode % 5) };
    case "publish":
      if (q.topic === "") q.topic = "t";
      return q;
    case "puback":
    case "pubrec":
    case "pubrel":
    case "pubcomp":
      return { cmd: p.cmd, messageId: p.messageId };
    case "subscribe":
      return { cmd: "subscribe", messageId: p.messageId, subscriptions: p.subscriptions.map((s) => ({ topic: s.topic, qos: s.qos })) };
    case "suback":
      return { cmd: "suback", messageId: p.messageId, granted: p.granted.map((g) => (g <= 2 ? g : 0x80)) };
    case "unsuback":
      return { cmd: "unsuback", messageId: p.messageId };
    case "disconnect":
      return { cmd: "disconnect" };
    case "auth":
      return { cmd: "pingreq" };
    default:
      return q;
  }
}

// ---- fuzz -------------------------------------------------------------------------------

const FUZZ_ROUNDS = 100_000;

test(`fuzz: ${FUZZ_ROUNDS} mutated 3.1.1 and 5 inputs never throw, never hang (the rate is logged)`, async (t) => {
  const r = rng(0xf022);
  const next5 = randomPacket5Factory(r);
  const seeds5 = Array.from({ length: 400 }, () => bytesOf(encode(next5(), { protocolVersion: 5 })));
  const seeds4 = Array.from({ length: 400 }, () => bytesOf(encode(toV4(next5()))));
  let packets = 0;
  let errors = 0;
  let bytesFed = 0;
  const input = new Uint8Array(8192);
  const t0 = performance.now();
  for (let round = 0; round < FUZZ_ROUNDS; round++) {
    const v5 = r() < 0.6;
    const seeds = v5 ? seeds5 : seeds4;
    const a = seeds[Math.floor(r() * seeds.length)];
    const b = seeds[Math.floor(r() * seeds.length)];
    let n = 0;
    input.set(a, 0);
    input.set(b, a.length);
    n = a.length + b.length;
    for (let m = 0, count = 1 + Math.floor(r() * 4); m < count && n > 0; m++) {
      const at = Math.floor(r() * n);
      switch (Math.floor(r() * 5)) {
        case 0:
          input[at] = Math.floor(r() * 256);
          break;
        case 1:
          input[at] ^= 1 << Math.floor(r() * 8);
          break;
        case 2:
          input.copyWithin(at, at + 1, n);
          n--;
          break;
        case 3:
          if (n < input.length) {
            input.copyWithin(at + 1, at, n);
            input[at] = Math.floor(r() * 256);
            n++;
          }
          break;
        default:
          n = at; // truncate
      }
    }
    const parser = new MqttParser<Packet5>({ maxPacketSize: 4096, protocolVersion: v5 ? 5 : 4 });
    bytesFed += n;
    try {
      for (let i = 0; i < n; ) {
        const k = 1 + Math.floor(r() * 24);
        parser.push(input.subarray(i, Math.min(n, i + k)));
        i += k;
        for (let steps = 0; ; steps++) {
          if (steps > n + 1) return t.fail(`round ${round}: next() did not stop`);
          const p = parser.next();
          if (p === undefined) break;
          if (p.cmd === "error") errors++;
          else packets++;
        }
      }
    } catch (e) {
      return t.fail(`round ${round}: threw ${e} on [${Array.from(input.subarray(0, n))}]`);
    }
  }
  const ms = performance.now() - t0;
  t.log(`fuzz: ${FUZZ_ROUNDS} inputs (${(bytesFed / 1e6).toFixed(1)} MB) in ${ms.toFixed(0)} ms = ${Math.round(FUZZ_ROUNDS / (ms / 1000))} inputs/s; ${packets} packets, ${errors} errors`);
  t.true(packets > 10_000 && errors > 10_000, `packets ${packets}, errors ${errors}`);
  // The rate is logged, not asserted: npm test has no timed pass/fail (docs/performance.md).
});
