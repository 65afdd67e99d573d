/*
 * MQTT 3.1.1 codec and parser against mqtt-packet as the oracle, plus strict
 * UTF-8, malformed input and a no-throw fuzz loop.
 */
import test from "ava";
import * as mp from "mqtt-packet";
import { encode, type Packet, type CodecError, type QoS } from "../firmware/mqtt/codec.js";
import { MqttParser } from "../firmware/mqtt/parser.js";
import { utf8ByteLength, utf8Decode, utf8Encode } from "../firmware/util/utf8.js";
import { bytesOf, concat } from "./helpers/codec.js";
import { mulberry32 as rng } from "../sim/rng.js";

// ---- helpers ---------------------------------------------------------------



/** Parses with mqtt-packet; returns its packets, or throws on its error. */
function oracleParse(bytes: Uint8Array): any[] {
  const parser = mp.parser({ protocolVersion: 4 });
  const out: any[] = [];
  let error: Error | undefined;
  parser.on("packet", (p: any) => out.push(p));
  parser.on("error", (e: Error) => (error ??= e));
  parser.parse(Buffer.from(bytes));
  if (error) throw error;
  return out;
}

/** Our object in the shape mqtt-packet's generate() wants (Buffers). */
function toOracle(p: Packet): any {
  const o: any = { ...p };
  if (p.cmd === "publish") o.payload = Buffer.from(p.payload);
  if (p.cmd === "connect") {
    if (p.password) o.password = Buffer.from(p.password);
    if (p.will) o.will = { ...p.will, payload: Buffer.from(p.will.payload) };
    o.protocolId = p.protocolVersion === 3 ? "MQIsdp" : "MQTT";
  }
  return o;
}

/** Keeps only the 3.1.1 fields, Buffers as arrays, so either side's object compares equal. */
function norm(p: any): any {
  const bin = (b: any) => (b === undefined ? undefined : Array.from(b as Uint8Array));
  switch (p.cmd) {
    case "connect":
      return {
        cmd: p.cmd,
        protocolVersion: p.protocolVersion,
        clean: p.clean,
        keepalive: p.keepalive,
        clientId: p.clientId,
        username: p.username ?? undefined,
        password: bin(p.password ?? undefined),
        will: p.will ? { topic: p.will.topic, payload: bin(p.will.payload), qos: p.will.qos, retain: p.will.retain } : undefined,
      };
    case "connack":
      return { cmd: p.cmd, sessionPresent: p.sessionPresent, returnCode: p.returnCode };
    case "publish":
      return { cmd: p.cmd, topic: p.topic, payload: bin(p.payload), qos: p.qos, retain: p.retain, dup: p.dup, messageId: p.qos > 0 ? p.messageId : undefined };
    case "puback":
    case "pubrec":
    case "pubrel":
    case "pubcomp":
    case "unsuback":
      return { cmd: p.cmd, messageId: p.messageId };
    case "subscribe":
      return { cmd: p.cmd, messageId: p.messageId, subscriptions: p.subscriptions.map((s: any) => ({ topic: s.topic, qos: s.qos })) };
    case "suback":
      return { cmd: p.cmd, messageId: p.messageId, granted: [...p.granted] };
    case "unsubscribe":
      return { cmd: p.cmd, messageId: p.messageId, unsubscriptions: [...p.unsubscriptions] };
    default:
      return { cmd: p.cmd };
  }
}

function parseAll(bytes: Uint8Array, options?: { maxPacketSize?: number }): (Packet | CodecError)[] {
  const parser = new MqttParser(options);
  parser.push(bytes);
  const out: (Packet | CodecError)[] = [];
  for (let i = 0; i < 100_000; i++) {
    const p = parser.next();
    if (p === undefined) return out;
    out.push(p);
  }
  throw new Error("parser did not stop");
}

function parseOne(bytes: Uint8Array): Packet | CodecError | undefined {
  const p = new MqttParser();
  p.push(bytes);
  return p.next();
}

// ---- random packets ----------------------------------------------------------

const TOPIC_CHARS = ["a", "b", "z", "0", "-", "_", " ", "é", "€", "日", "😀", "$", "."];

function randomPacketFactory(r: () => number) {
  const int = (n: number) => Math.floor(r() * n);
  const pick = <T>(a: readonly T[]): T => a[int(a.length)];
  const id = () => 1 + int(65535);
  const qos = (): QoS => int(3) as QoS;
  const bytes = (max: number) => {
    const b = new Uint8Array(int(max + 1));
    for (let i = 0; i < b.length; i++) b[i] = int(256);
    return b;
  };
  const text = (max: number) => {
    let s = "";
    const n = int(max + 1);
    for (let i = 0; i < n; i++) s += pick(TOPIC_CHARS);
    return s;
  };
  const topicName = () => {
    const levels = 1 + int(4);
    const parts: string[] = [];
    for (let i = 0; i < levels; i++) parts.push(text(6));
    const t = parts.join("/");
    return t.length === 0 ? "t" : t;
  };
  const topicFilter = () => {
    const levels = 1 + int(4);
    const parts: string[] = [];
    for (let i = 0; i < levels; i++) parts.push(r() < 0.2 ? "+" : text(5));
    if (r() < 0.3) parts.push("#");
    const t = parts.join("/");
    return t.length === 0 ? "#" : t;
  };
  return (): Packet => {
    switch (int(14)) {
      case 0: {
        const username = r() < 0.5 ? text(10) : undefined;
        const clientId = text(20);
        const p: Packet = { cmd: "connect", protocolVersion: 4, clean: clientId === "" || r() < 0.5, keepalive: int(65536), clientId };
        if (username !== undefined) p.username = username;
        if (username !== undefined && r() < 0.5) p.password = bytes(20);
        if (r() < 0.5) p.will = { topic: topicName(), payload: bytes(40), qos: qos(), retain: r() < 0.5 };
        return p;
      }
      case 1: {
        const returnCode = r() < 0.5 ? 0 : int(6);
        return { cmd: "connack", returnCode, sessionPresent: returnCode === 0 && r() < 0.5 };
      }
      case 2: {
        const q = qos();
        const p: Packet = { cmd: "publish", topic: topicName(), payload: bytes(r() < 0.05 ? 300 : 60), qos: q, retain: r() < 0.5, dup: q > 0 && r() < 0.5 };
        if (q > 0) p.messageId = id();
        return p;
      }
      case 3:
        return { cmd: "puback", messageId: id() };
      case 4:
        return { cmd: "pubrec", messageId: id() };
      case 5:
        return { cmd: "pubrel", messageId: id() };
      case 6:
        return { cmd: "pubcomp", messageId: id() };
      case 7: {
        const n = 1 + int(4);
        const subscriptions = [];
        for (let i = 0; i < n; i++) subscriptions.push({ topic: topicFilter(), qos: qos() });
        return { cmd: "subscribe", messageId: id(), subscriptions };
      }
      case 8: {
        const n = 1 + int(4);
        const granted = [];
        for (let i = 0; i < n; i++) granted.push(pick([0, 1, 2, 0x80]));
        return { cmd: "suback", messageId: id(), granted };
      }
      case 9: {
        const n = 1 + int(4);
        const unsubscriptions = [];
        for (let i = 0; i < n; i++) unsubscriptions.push(topicFilter());
        return { cmd: "unsubscribe", messageId: id(), unsubscriptions };
      }
      case 10:
        return { cmd: "unsuback", messageId: id() };
      case 11:
        return { cmd: "pingreq" };
      case 12:
        return { cmd: "pingresp" };
      default:
        return { cmd: "disconnect" };
    }
  };
}

// ---- fixed vectors -------------------------------------------------------------

const enc = (s: string) => utf8Encode(s);

const VECTORS: { name: string; packet: Packet; bytes: number[] }[] = [
  {
    name: "connect minimal",
    packet: { cmd: "connect", protocolVersion: 4, clean: true, keepalive: 30, clientId: "n1" },
    bytes: [0x10, 14, 0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0x02, 0, 30, 0, 2, 0x6e, 0x31],
  },
  {
    name: "connect full",
    packet: {
      cmd: "connect",
      protocolVersion: 4,
      clean: false,
      keepalive: 60,
      clientId: "c",
      username: "u",
      password: enc("p"),
      will: { topic: "s", payload: enc("off"), qos: 1, retain: true },
    },
    bytes: [0x10, 27, 0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0xec, 0, 60, 0, 1, 0x63, 0, 1, 0x73, 0, 3, 0x6f, 0x66, 0x66, 0, 1, 0x75, 0, 1, 0x70],
  },
  { name: "connack accepted, session", packet: { cmd: "connack", sessionPresent: true, returnCode: 0 }, bytes: [0x20, 2, 1, 0] },
  { name: "connack refused 5", packet: { cmd: "connack", sessionPresent: false, returnCode: 5 }, bytes: [0x20, 2, 0, 5] },
  {
    name: "publish qos0 retain",
    packet: { cmd: "publish", topic: "a/b", payload: enc("hi"), qos: 0, retain: true, dup: false },
    bytes: [0x31, 7, 0, 3, 0x61, 0x2f, 0x62, 0x68, 0x69],
  },
  {
    name: "publish qos1 dup",
    packet: { cmd: "publish", topic: "t", payload: new Uint8Array([0, 255]), qos: 1, retain: false, dup: true, messageId: 0x1234 },
    bytes: [0x3a, 7, 0, 1, 0x74, 0x12, 0x34, 0, 255],
  },
  {
    name: "publish qos2 utf-8 topic",
    packet: { cmd: "publish", topic: "é€😀", payload: new Uint8Array(0), qos: 2, retain: false, dup: false, messageId: 1 },
    bytes: [0x34, 13, 0, 9, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80, 0, 1],
  },
  { name: "puback", packet: { cmd: "puback", messageId: 7 }, bytes: [0x40, 2, 0, 7] },
  { name: "pubrec", packet: { cmd: "pubrec", messageId: 65535 }, bytes: [0x50, 2, 0xff, 0xff] },
  { name: "pubrel", packet: { cmd: "pubrel", messageId: 2 }, bytes: [0x62, 2, 0, 2] },
  { name: "pubcomp", packet: { cmd: "pubcomp", messageId: 3 }, bytes: [0x70, 2, 0, 3] },
  {
    name: "subscribe",
    packet: { cmd: "subscribe", messageId: 10, subscriptions: [{ topic: "a/+", qos: 1 }, { topic: "#", qos: 0 }] },
    bytes: [0x82, 12, 0, 10, 0, 3, 0x61, 0x2f, 0x2b, 1, 0, 1, 0x23, 0],
  },
  { name: "suback", packet: { cmd: "suback", messageId: 10, granted: [1, 0x80] }, bytes: [0x90, 4, 0, 10, 1, 0x80] },
  { name: "unsubscribe", packet: { cmd: "unsubscribe", messageId: 11, unsubscriptions: ["a/+"] }, bytes: [0xa2, 7, 0, 11, 0, 3, 0x61, 0x2f, 0x2b] },
  { name: "unsuback", packet: { cmd: "unsuback", messageId: 11 }, bytes: [0xb0, 2, 0, 11] },
  { name: "pingreq", packet: { cmd: "pingreq" }, bytes: [0xc0, 0] },
  { name: "pingresp", packet: { cmd: "pingresp" }, bytes: [0xd0, 0] },
  { name: "disconnect", packet: { cmd: "disconnect" }, bytes: [0xe0, 0] },
];

for (const v of VECTORS) {
  test(`vector: ${v.name}`, (t) => {
    const ours = bytesOf(encode(v.packet));
    t.deepEqual(Array.from(ours), v.bytes, "our encoding");
    t.deepEqual(Array.from(mp.generate(toOracle(v.packet) as any)), v.bytes, "mqtt-packet agrees with the vector");
    const parsed = parseAll(new Uint8Array(v.bytes));
    t.is(parsed.length, 1);
    t.deepEqual(norm(parsed[0]), norm(v.packet));
    t.deepEqual(norm(oracleParse(ours)[0]), norm(v.packet));
  });
}

test("VECTORS cover every 3.1.1 packet type", (t) => {
  t.is(new Set(VECTORS.map((v) => v.packet.cmd)).size, 14);
});

// ---- generated round trips ----------------------------------------------------

const GENERATED = 10_000;

test(`${GENERATED} random packets: ours -> mqtt-packet and mqtt-packet -> ours`, (t) => {
  const next = randomPacketFactory(rng(0x5eed));
  const seen = new Set<string>();
  for (let i = 0; i < GENERATED; i++) {
    const p = next();
    seen.add(p.cmd);
    const ours = bytesOf(encode(p));
    const theirs = mp.generate(toOracle(p) as any);
    if (!Buffer.from(ours).equals(theirs)) return t.fail(`#${i} ${p.cmd}: bytes differ from mqtt-packet`);
    const back = oracleParse(ours);
    if (back.length !== 1) return t.fail(`#${i}: mqtt-packet parsed ${back.length} packets`);
    t.deepEqual(norm(back[0]), norm(p), `#${i} mqtt-packet parse of ours`);
    const mine = parseAll(new Uint8Array(theirs));
    if (mine.length !== 1) return t.fail(`#${i}: we parsed ${mine.length}`);
    t.deepEqual(norm(mine[0]), norm(p), `#${i} our parse of mqtt-packet`);
  }
  t.is(seen.size, 14, "every packet type generated");
});

test("encode: every packet is one array of exactly its size (no shared pool), kept packets stay byte-identical to mqtt-packet while thousands more are encoded", (t) => {
  const next = randomPacketFactory(rng(0x9001));
  const kept: { p: Packet; bytes: Uint8Array }[] = [];
  for (let i = 0; i < 3000; i++) {
    const p = i % 7 === 0 ? ({ cmd: "publish", topic: "t/big", payload: new Uint8Array(700 + ((i * 37) % 5000)).fill(i & 0xff), qos: 0, retain: false, dup: false } as Packet) : next();
    kept.push({ p, bytes: bytesOf(encode(p)) });
  }
  const buffers = new Set<ArrayBufferLike>();
  let large = 0;
  for (const [i, k] of kept.entries()) {
    if (!Buffer.from(k.bytes).equals(mp.generate(toOracle(k.p)))) return t.fail(`#${i} ${k.p.cmd}: bytes changed after later encodes`);
    buffers.add(k.bytes.buffer);
    if (k.bytes.length > 4096) large++;
    // Device first: no module-level pool pins memory; a packet's array is its own, exactly sized.
    if (k.bytes.byteOffset !== 0 || k.bytes.byteLength !== k.bytes.buffer.byteLength) return t.fail(`#${i}: ${k.bytes.length} B shares a buffer`);
  }
  t.true(large > 50, `${large} large packets`);
  t.is(buffers.size, kept.length, `${kept.length} packets in ${buffers.size} buffers`);
});

test("a remaining length of 2, 3 and 4 bytes round-trips (large payloads)", (t) => {
  for (const size of [200, 20_000, 2_200_000]) {
    const payload = new Uint8Array(size).map((_, i) => i & 0xff);
    const p: Packet = { cmd: "publish", topic: "big", payload, qos: 1, retain: false, dup: false, messageId: 9 };
    const ours = bytesOf(encode(p));
    t.true(Buffer.from(ours).equals(mp.generate(toOracle(p))), `size ${size}`);
    const [back] = parseAll(ours);
    t.deepEqual(norm(back), norm(p));
  }
});

test("partial feeds: a stream of packets pushed byte by byte parses identically", (t) => {
  const next = randomPacketFactory(rng(42));
  const packets = Array.from({ length: 200 }, next);
  const stream = concat(packets.map((p) => bytesOf(encode(p))));
  const parser = new MqttParser();
  const got: any[] = [];
  for (let i = 0; i < stream.length; i++) {
    parser.push(stream.subarray(i, i + 1));
    for (let p = parser.next(); p !== undefined; p = parser.next()) got.push(p);
  }
  t.is(got.length, packets.length);
  t.deepEqual(got.map(norm), packets.map(norm));
  t.is(parser.buffered, 0);
});

test("random chunking and several packets in one push", (t) => {
  const r = rng(7);
  const next = randomPacketFactory(r);
  const packets = Array.from({ length: 500 }, next);
  const stream = concat(packets.map((p) => bytesOf(encode(p))));
  t.deepEqual(parseAll(stream).map(norm), packets.map(norm), "all in one push");
  const parser = new MqttParser();
  const got: any[] = [];
  for (let i = 0; i < stream.length; ) {
    const n = 1 + Math.floor(r() * 300);
    parser.push(stream.slice(i, i + n).buffer); // ArrayBuffer, as TCPSocket.read() returns
    i += n;
    for (let p = parser.next(); p !== undefined; p = parser.next()) got.push(p);
  }
  t.deepEqual(got.map(norm), packets.map(norm));
});

test("payloads do not alias the parser buffer", (t) => {
  const parser = new MqttParser();
  parser.push(bytesOf(encode({ cmd: "publish", topic: "t", payload: enc("abc"), qos: 0, retain: false, dup: false })));
  const p = parser.next() as any;
  parser.push(bytesOf(encode({ cmd: "publish", topic: "t", payload: enc("xyz"), qos: 0, retain: false, dup: false })));
  parser.next();
  t.deepEqual(Array.from(p.payload), Array.from(enc("abc")));
});

// ---- malformed input -------------------------------------------------------------

const MALFORMED: { name: string; bytes: number[]; match: RegExp }[] = [
  { name: "5-byte remaining length", bytes: [0x30, 0xff, 0xff, 0xff, 0xff, 0x01], match: /longer than 4 bytes/ },
  { name: "reserved type 0", bytes: [0x00, 0], match: /reserved packet type/ },
  { name: "reserved type 15", bytes: [0xf0, 0], match: /reserved packet type/ },
  { name: "PUBREL flags 0000", bytes: [0x60, 2, 0, 1], match: /flags/ },
  { name: "SUBSCRIBE flags 0000", bytes: [0x80, 6, 0, 1, 0, 1, 0x61, 0], match: /flags/ },
  { name: "UNSUBSCRIBE flags 0000", bytes: [0xa0, 5, 0, 1, 0, 1, 0x61], match: /flags/ },
  { name: "PINGREQ flag set", bytes: [0xc1, 0], match: /flags/ },
  { name: "CONNACK flag set", bytes: [0x28, 2, 0, 0], match: /flags/ },
  { name: "PUBLISH QoS 3", bytes: [0x36, 5, 0, 1, 0x74, 0, 1], match: /QoS 3/ },
  { name: "PUBLISH DUP on QoS 0", bytes: [0x38, 3, 0, 1, 0x74], match: /DUP/ },
  { name: "PUBLISH packet id 0", bytes: [0x32, 5, 0, 1, 0x74, 0, 0], match: /packet id 0/ },
  { name: "PUBLISH wildcard topic +", bytes: [0x30, 5, 0, 3, 0x61, 0x2f, 0x2b], match: /wildcard/ },
  { name: "PUBLISH wildcard topic #", bytes: [0x30, 3, 0, 1, 0x23], match: /wildcard/ },
  { name: "PUBLISH empty topic", bytes: [0x30, 2, 0, 0], match: /empty topic/ },
  { name: "PUBLISH topic overlong UTF-8", bytes: [0x30, 4, 0, 2, 0xc0, 0xaf], match: /UTF-8/ },
  { name: "PUBLISH topic surrogate", bytes: [0x30, 5, 0, 3, 0xed, 0xa0, 0x80], match: /UTF-8/ },
  { name: "PUBLISH topic > U+10FFFF", bytes: [0x30, 6, 0, 4, 0xf4, 0x90, 0x80, 0x80], match: /UTF-8/ },
  { name: "PUBLISH topic U+0000", bytes: [0x30, 3, 0, 1, 0x00], match: /UTF-8/ },
  { name: "PUBLISH topic truncated sequence", bytes: [0x30, 4, 0, 2, 0x61, 0xe2], match: /UTF-8/ },
  { name: "PUBLISH topic length beyond packet", bytes: [0x30, 3, 0, 9, 0x61], match: /truncated/ },
  { name: "PUBACK remaining length 3", bytes: [0x40, 3, 0, 1, 0], match: /remaining length/ },
  { name: "PUBACK packet id 0", bytes: [0x40, 2, 0, 0], match: /packet id 0/ },
  { name: "CONNACK remaining length 1", bytes: [0x20, 1, 0], match: /remaining length/ },
  { name: "CONNACK reserved ack flags", bytes: [0x20, 2, 0x02, 0], match: /reserved/ },
  { name: "CONNACK session present with refusal", bytes: [0x20, 2, 1, 4], match: /session present/ },
  { name: "PINGRESP with a body", bytes: [0xd0, 1, 0], match: /remaining length/ },
  { name: "SUBSCRIBE no topics", bytes: [0x82, 2, 0, 1], match: /without/ },
  { name: "SUBSCRIBE QoS 3", bytes: [0x82, 6, 0, 1, 0, 1, 0x61, 3], match: /QoS 3/ },
  { name: "SUBSCRIBE reserved option bits", bytes: [0x82, 6, 0, 1, 0, 1, 0x61, 0x04], match: /reserved/ },
  { name: "SUBSCRIBE bad filter a#", bytes: [0x82, 7, 0, 1, 0, 2, 0x61, 0x23, 0], match: /'#'/ },
  { name: "SUBSCRIBE bad filter #/a", bytes: [0x82, 8, 0, 1, 0, 3, 0x23, 0x2f, 0x61, 0], match: /'#'/ },
  { name: "SUBSCRIBE bad filter a+", bytes: [0x82, 7, 0, 1, 0, 2, 0x61, 0x2b, 0], match: /'\+'/ },
  { name: "SUBSCRIBE missing QoS byte", bytes: [0x82, 5, 0, 1, 0, 1, 0x61], match: /truncated/ },
  { name: "SUBACK invalid code", bytes: [0x90, 3, 0, 1, 3], match: /return code/ },
  { name: "SUBACK no codes", bytes: [0x90, 2, 0, 1], match: /without/ },
  { name: "UNSUBSCRIBE no topics", bytes: [0xa2, 2, 0, 1], match: /without/ },
  { name: "CONNECT unknown protocol", bytes: [0x10, 12, 0, 4, 0x4d, 0x51, 0x54, 0x58, 4, 2, 0, 0, 0, 0], match: /protocol name/ },
  { name: "CONNECT level 6", bytes: [0x10, 12, 0, 4, 0x4d, 0x51, 0x54, 0x54, 6, 2, 0, 0, 0, 0], match: /unsupported protocol level/ },
  { name: "CONNECT level 5 named MQIsdp", bytes: [0x10, 14, 0, 6, 0x4d, 0x51, 0x49, 0x73, 0x64, 0x70, 5, 2, 0, 0, 0, 0], match: /unsupported protocol level/ },
  { name: "AUTH in 3.1.1", bytes: [0xf0, 0], match: /reserved packet type 15/ },
  { name: "non-minimal remaining length", bytes: [0xc0, 0x80, 0x00], match: /non-minimal/ },
  { name: "PUBACK with a reason code in 3.1.1", bytes: [0x40, 3, 0, 1, 0x10], match: /remaining length/ },
  { name: "CONNECT reserved flag", bytes: [0x10, 12, 0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 3, 0, 0, 0, 0], match: /reserved connect flag/ },
  { name: "CONNECT will QoS without will", bytes: [0x10, 12, 0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0x0a, 0, 0, 0, 0], match: /without will flag/ },
  { name: "CONNECT will QoS 3", bytes: [0x10, 12, 0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0x1e, 0, 0, 0, 0], match: /truncated|QoS 3/ },
  { name: "CONNECT password without user", bytes: [0x10, 14, 0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0x42, 0, 0, 0, 0, 0, 0], match: /password/ },
  { name: "CONNECT trailing bytes", bytes: [0x10, 13, 0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 2, 0, 0, 0, 0, 9], match: /trailing/ },
  { name: "CONNECT truncated client id", bytes: [0x10, 12, 0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 2, 0, 0, 0, 5], match: /truncated/ },
];

for (const m of MALFORMED) {
  test(`malformed: ${m.name}`, (t) => {
    const parser = new MqttParser();
    parser.push(new Uint8Array(m.bytes));
    const p = parser.next();
    t.is(p?.cmd, "error", JSON.stringify(p));
    t.regex((p as CodecError).message, m.match);
    t.is(parser.next(), undefined, "stopped after the error");
    parser.push(new Uint8Array([0xc0, 0]));
    t.is(parser.next(), undefined, "ignores input until reset");
    parser.reset();
    parser.push(new Uint8Array([0xc0, 0]));
    t.deepEqual(parser.next(), { cmd: "pingreq" }, "works again after reset");
  });
}

test("a valid packet before a malformed one is still delivered", (t) => {
  const got = parseAll(new Uint8Array([0xd0, 0, 0x60, 2, 0, 1, 0xd0, 0]));
  t.deepEqual(got.map((p) => p.cmd), ["pingresp", "error"]);
});

test("bad flags and oversized packets fail before the body arrives", (t) => {
  const p1 = new MqttParser();
  p1.push(new Uint8Array([0x36, 100])); // QoS 3, body pending
  t.is(p1.next()?.cmd, "error");
  const p2 = new MqttParser({ maxPacketSize: 1024 });
  p2.push(new Uint8Array([0x30, 0x80, 0x10])); // 2048-byte body announced
  const e = p2.next() as CodecError;
  t.is(e.cmd, "error");
  t.regex(e.message, /exceeds the maximum/);
  const p3 = new MqttParser({ maxPacketSize: 1024 });
  p3.push(new Uint8Array([0x30, 0x80])); // varint incomplete: wait
  t.is(p3.next(), undefined);
});

test("truncated packets wait for more bytes instead of failing", (t) => {
  const whole = bytesOf(encode({ cmd: "subscribe", messageId: 5, subscriptions: [{ topic: "a/b", qos: 1 }] }));
  for (let n = 0; n < whole.length; n++) {
    const p = new MqttParser();
    p.push(whole.subarray(0, n));
    t.is(p.next(), undefined, `prefix of ${n} bytes`);
  }
});

test("encode returns an error value for unencodable objects", (t) => {
  const bad: any[] = [
    { cmd: "publish", topic: "a/+", payload: new Uint8Array(0), qos: 0, retain: false, dup: false },
    { cmd: "publish", topic: "a", payload: new Uint8Array(0), qos: 1, retain: false, dup: false, messageId: 0 },
    { cmd: "publish", topic: "a", payload: new Uint8Array(0), qos: 3, retain: false, dup: false, messageId: 1 },
    { cmd: "publish", topic: "", payload: new Uint8Array(0), qos: 0, retain: false, dup: false },
    { cmd: "publish", topic: "a\u0000", payload: new Uint8Array(0), qos: 0, retain: false, dup: false },
    { cmd: "publish", topic: "x".repeat(65536), payload: new Uint8Array(0), qos: 0, retain: false, dup: false },
    { cmd: "puback", messageId: 65536 },
    { cmd: "subscribe", messageId: 1, subscriptions: [] },
    { cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "a/#/b", qos: 0 }] },
    { cmd: "suback", messageId: 1, granted: [3] },
    { cmd: "connect", protocolVersion: 4, clean: true, keepalive: 70000, clientId: "c" },
    { cmd: "connect", protocolVersion: 4, clean: true, keepalive: 0, clientId: "c", password: new Uint8Array(1) },
    { cmd: "connect", protocolVersion: 6, clean: true, keepalive: 0, clientId: "c" },
    { cmd: "connect", protocolVersion: 4, clean: true, keepalive: 0, clientId: "c", properties: { sessionExpiryInterval: 10 } },
    { cmd: "publish", topic: "a", payload: new Uint8Array(0), qos: 0, retain: false, dup: false, properties: { contentType: "x" } },
    { cmd: "publish", topic: "a\ud800", payload: new Uint8Array(0), qos: 0, retain: false, dup: false },
    { cmd: "puback", messageId: 1, reasonCode: 0x10 },
    { cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "a", qos: 0, nl: true }] },
    { cmd: "disconnect", reasonCode: 4 },
    { cmd: "auth", reasonCode: 0 },
    { cmd: "connack", sessionPresent: true, returnCode: 2 },
    { cmd: "nonsense" },
    null,
  ];
  for (const p of bad) {
    const r = encode(p);
    t.false(r instanceof Uint8Array, JSON.stringify(p)?.slice(0, 80));
    t.is((r as CodecError).cmd, "error");
  }
  t.regex((encode({ cmd: "pingreq" }, { protocolVersion: 6 as any }) as CodecError).message, /unknown protocol version/);
});

// ---- fuzz ------------------------------------------------------------------------

const FUZZ_ROUNDS = 20_000;

test(`fuzz: ${FUZZ_ROUNDS} mutated inputs never throw and always terminate`, (t) => {
  const r = rng(2024);
  const next = randomPacketFactory(r);
  const seeds = Array.from({ length: 300 }, () => bytesOf(encode(next())));
  let packets = 0;
  let errors = 0;
  for (let round = 0; round < FUZZ_ROUNDS; round++) {
    const base = concat([seeds[Math.floor(r() * seeds.length)], seeds[Math.floor(r() * seeds.length)]]);
    const input = Array.from(base);
    const mutations = 1 + Math.floor(r() * 4);
    for (let m = 0; m < mutations; m++) {
      const at = Math.floor(r() * input.length);
      switch (Math.floor(r() * 5)) {
        case 0:
          input[at] = Math.floor(r() * 256);
          break;
        case 1:
          input[at] ^= 1 << Math.floor(r() * 8);
          break;
        case 2:
          input.splice(at, 1);
          break;
        case 3:
          input.splice(at, 0, Math.floor(r() * 256));
          break;
        default:
          input.length = at; // truncate
      }
    }
    const parser = new MqttParser({ maxPacketSize: 4096 });
    const bytes = new Uint8Array(input);
    try {
      for (let i = 0; i < bytes.length; ) {
        const n = 1 + Math.floor(r() * 16);
        parser.push(bytes.subarray(i, i + n));
        i += n;
        for (let k = 0; ; k++) {
          if (k > bytes.length + 1) return t.fail(`round ${round}: next() did not stop`);
          const p = parser.next();
          if (p === undefined) break;
          if (p.cmd === "error") errors++;
          else packets++;
        }
      }
    } catch (e) {
      return t.fail(`round ${round}: threw ${e} on [${input}]`);
    }
  }
  t.true(packets > 1000 && errors > 1000, `packets ${packets}, errors ${errors}`);
});

// ---- UTF-8 ---------------------------------------------------------------------

test("utf8: encode matches Buffer, decode round-trips, byteLength agrees", (t) => {
  const r = rng(99);
  for (let i = 0; i < 2000; i++) {
    let s = "";
    const n = Math.floor(r() * 20);
    for (let k = 0; k < n; k++) {
      const kind = r();
      const cp = kind < 0.4 ? Math.floor(r() * 0x80) : kind < 0.6 ? 0x80 + Math.floor(r() * 0x780) : kind < 0.8 ? 0x800 + Math.floor(r() * 0xd000) : 0x10000 + Math.floor(r() * 0x100000);
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      s += String.fromCodePoint(cp);
    }
    const ours = utf8Encode(s);
    t.true(Buffer.from(ours).equals(Buffer.from(s, "utf8")), JSON.stringify(s));
    t.is(utf8ByteLength(s), ours.length);
    t.is(utf8Decode(ours), s);
  }
  // A lone surrogate encodes as U+FFFD, like TextEncoder.
  t.deepEqual(Array.from(utf8Encode("a\ud800b")), Array.from(new TextEncoder().encode("a\ud800b")));
  t.is(utf8Decode(utf8Encode("x".repeat(5000))), "x".repeat(5000), "long strings decode in chunks");
});

test("utf8: strict decode agrees with a fatal TextDecoder on random bytes", (t) => {
  const r = rng(5);
  const td = new TextDecoder("utf-8", { fatal: true });
  let rejected = 0;
  for (let i = 0; i < 20_000; i++) {
    const b = new Uint8Array(1 + Math.floor(r() * 6));
    for (let k = 0; k < b.length; k++) b[k] = r() < 0.5 ? 0x80 + Math.floor(r() * 0x80) : Math.floor(r() * 256);
    let expected: string | undefined;
    try {
      expected = td.decode(b);
    } catch {
      expected = undefined;
    }
    const ours = utf8Decode(b);
    if (ours !== expected) return t.fail(`[${Array.from(b)}]: ours ${JSON.stringify(ours)} vs ${JSON.stringify(expected)}`);
    if (ours === undefined) rejected++;
  }
  t.true(rejected > 1000);
  t.is(utf8Decode(new Uint8Array([0x61, 0])), "a\u0000");
  t.is(utf8Decode(new Uint8Array([0x61, 0]), 0, 2, { forbidNull: true }), undefined);
  for (const bad of [[0xc0, 0x80], [0xe0, 0x80, 0x80], [0xf0, 0x80, 0x80, 0x80], [0xed, 0xbf, 0xbf], [0xf4, 0x90, 0x80, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0x80]]) {
    t.is(utf8Decode(new Uint8Array(bad)), undefined, `[${bad}]`);
  }
  t.is(utf8Decode(new Uint8Array([0xf4, 0x8f, 0xbf, 0xbf])), "\u{10ffff}");
});

test("parseOne helper sanity", (t) => {
  t.deepEqual(parseOne(new Uint8Array([0xe0, 0])), { cmd: "disconnect" });
});
