/*
 * Packets larger than the node's maximum (default 8 KiB): the parser skips
 * them as they stream without holding them, a QoS 1 PUBLISH still gets its
 * PUBACK (QoS 2 its PUBREC), what follows in the stream parses, and the
 * client's connection stays up. mqtt-packet generates the broker's bytes and
 * parses the client's (the oracle).
 */
import test from "ava";
import * as net from "node:net";
import * as mp from "mqtt-packet";
import { MqttClient, DEFAULT_MAX_PACKET_SIZE } from "../firmware/mqtt/client.js";
import { MqttParser } from "../firmware/mqtt/parser.js";
import type { AnyPacket, CodecError, SkippedPacket } from "../firmware/mqtt/codec.js";
import { createTestHost, waitFor } from "./helpers/mqtt.js";

const MAX = 8192;
const MiB = 1024 * 1024;

function publishBytes(size: number, qos: 0 | 1 | 2, messageId: number, topic = "plant/big", protocolVersion: 4 | 5 = 4): Buffer {
  return mp.generate({ cmd: "publish", topic, payload: Buffer.alloc(size, 0x5a), qos, messageId, retain: false, dup: false, protocolVersion } as mp.IPublishPacket, { protocolVersion });
}

/** Feeds `stream` in `chunk`-byte reads, draining after each; checks the parser never holds more than `max`. */
function feed(t: { true(v: boolean, m?: string): void }, parser: MqttParser<AnyPacket>, stream: Uint8Array, chunk: number, max: number): (AnyPacket | CodecError)[] {
  const got: (AnyPacket | CodecError)[] = [];
  let worst = 0;
  for (let i = 0; i < stream.length; i += chunk) {
    parser.push(stream.subarray(i, i + chunk));
    for (let p = parser.next(); p !== undefined; p = parser.next()) got.push(p);
    worst = Math.max(worst, parser.buffered, parser.capacity);
  }
  t.true(worst <= max, `the parser held at most ${worst} bytes (maximum ${max})`);
  return got;
}

for (const version of [4, 5] as const) {
  test(`parser, MQTT ${version === 5 ? "5" : "3.1.1"}: a 1 MiB PUBLISH in 1 KiB reads is skipped without being held; QoS 1 and 2 reported with their ids; the packets around it parse`, (t) => {
    const skipped: SkippedPacket[] = [];
    const parser = new MqttParser<AnyPacket>({ maxPacketSize: MAX, protocolVersion: version, onSkipped: (s) => skipped.push(s) });
    const before = publishBytes(100, 1, 7, "plant/small", version);
    const big1 = publishBytes(MiB, 1, 4242, "plant/big", version);
    const big2 = publishBytes(MiB, 2, 4243, "plant/big2", version);
    const big0 = publishBytes(MiB, 0, 0, "plant/big0", version);
    const after = mp.generate({ cmd: "pingresp" } as mp.IPingrespPacket);
    const edge = publishBytes(MAX - 20, 1, 9, "plant/fits", version); // just within the maximum: delivered
    const stream = new Uint8Array(Buffer.concat([before, big1, after, big2, big0, edge, after]));
    const small = publishBytes(20_000, 1, 4241, "plant/big", version);
    const got1 = feed(t, parser, new Uint8Array(Buffer.concat([before, small, after])), 1, MAX);
    t.deepEqual(got1.map((p) => p.cmd), ["publish", "pingresp"], "byte by byte");
    t.like(skipped, [{ cmd: "publish", qos: 1, messageId: 4241, topic: "plant/big", size: small.length }]);
    for (const chunk of [1024, 7, 8192, 65536]) {
      skipped.length = 0;
      const got = feed(t, parser, stream, chunk, MAX);
      t.deepEqual(got.map((p) => p.cmd), ["publish", "pingresp", "publish", "pingresp"], `${chunk}-byte reads`);
      t.like(got[0], { topic: "plant/small", messageId: 7 });
      t.like(got[2], { topic: "plant/fits", messageId: 9 });
      t.is((got[2] as { payload: Uint8Array }).payload.length, MAX - 20);
      t.like(skipped, [
        { cmd: "publish", qos: 1, messageId: 4242, topic: "plant/big", size: big1.length },
        { cmd: "publish", qos: 2, messageId: 4243, topic: "plant/big2", size: big2.length },
        { cmd: "publish", qos: 0, size: big0.length },
      ]);
      t.is(skipped[2].messageId, undefined, "QoS 0: nothing to acknowledge");
      t.is(parser.buffered, 0);
    }
  });
}

test("parser: a topic larger than the maximum is counted down too; the packet id after it is still read", (t) => {
  const skipped: SkippedPacket[] = [];
  const parser = new MqttParser<AnyPacket>({ maxPacketSize: 1024, onSkipped: (s) => skipped.push(s) });
  const stream = new Uint8Array(Buffer.concat([publishBytes(3000, 1, 77, "t/".padEnd(5000, "x")), mp.generate({ cmd: "pingresp" } as mp.IPingrespPacket)]));
  const got = feed(t, parser, stream, 100, 1024);
  t.deepEqual(got.map((p) => p.cmd), ["pingresp"]);
  t.like(skipped, [{ cmd: "publish", qos: 1, messageId: 77 }]);
  t.is(skipped[0].topic, undefined, "the topic was not held");
});

test("parser: without onSkipped an oversize packet is still an error (codec users keep the old contract); a skipped PUBLISH with packet id 0 is malformed", (t) => {
  const strict = new MqttParser({ maxPacketSize: MAX });
  strict.push(publishBytes(MAX, 1, 1));
  t.regex((strict.next() as CodecError).message, /exceeds the maximum of 8192/);
  const lenient = new MqttParser({ maxPacketSize: 64, onSkipped: () => t.fail("not a valid packet") });
  const bad = publishBytes(200, 1, 1);
  bad[bad.length - 200 - 2] = 0; // packet id 1 -> 0
  bad[bad.length - 200 - 1] = 0;
  lenient.push(bad);
  t.regex((lenient.next() as CodecError).message, /packet id 0/);
});

/** A broker on a raw socket: mqtt-packet parses what the client sends and generates what it gets. */
async function rawBroker(version: 4 | 5, onPacket: (socket: net.Socket, p: mp.Packet) => void) {
  const received: mp.Packet[] = [];
  /** Every byte the client sent, as it came. */
  const raw: Buffer[] = [];
  const sockets: net.Socket[] = [];
  const server = net.createServer((socket) => {
    sockets.push(socket);
    socket.on("error", () => {});
    const parser = mp.parser({ protocolVersion: version });
    parser.on("packet", (p) => {
      received.push(p);
      onPacket(socket, p);
    });
    socket.on("data", (d) => {
      raw.push(d);
      parser.parse(d);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    port: (server.address() as net.AddressInfo).port,
    received,
    raw,
    sockets,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Writes `bytes` in `chunk`-byte pieces, letting each go out on its own. */
async function trickle(socket: net.Socket, bytes: Buffer, chunk: number): Promise<void> {
  for (let i = 0; i < bytes.length; i += chunk) {
    if (!socket.write(bytes.subarray(i, i + chunk))) await new Promise((r) => socket.once("drain", r));
    if ((i / chunk) % 64 === 0) await new Promise((r) => setImmediate(r));
  }
}

for (const version of [4, 5] as const) {
  test.serial(`client, MQTT ${version === 5 ? "5" : "3.1.1"}: a 1 MiB QoS 1 PUBLISH is skipped, logged, counted and PUBACKed with its id; QoS 2 gets its PUBREC; the next message is delivered on the same connection`, async (t) => {
    const host = createTestHost();
    const messages: string[] = [];
    const skippedEvents: SkippedPacket[] = [];
    const broker = await rawBroker(version, (socket, p) => {
      if (p.cmd !== "connect") return;
      socket.write(mp.generate({ cmd: "connack", sessionPresent: false, ...(version === 5 ? { reasonCode: 0 } : { returnCode: 0 }) } as mp.IConnackPacket, { protocolVersion: version }));
      void (async () => {
        await trickle(socket, publishBytes(MiB, 1, 4242, "plant/cmd/big", version), 1460);
        await trickle(socket, publishBytes(MiB, 2, 4243, "plant/cmd/big2", version), 1460);
        socket.write(publishBytes(5, 1, 4244, "plant/cmd/next", version));
      })();
    });
    const client = new MqttClient({
      host,
      server: { host: "127.0.0.1", port: broker.port },
      clientId: "node-oversize",
      keepalive: 30,
      cleanSession: true,
      protocolVersion: version,
      backoff: { minMs: 50, maxMs: 400 },
      random: () => 0.5,
      onMessage: (topic) => messages.push(topic),
      onSkipped: (s) => skippedEvents.push(s),
    });
    try {
      client.start();
      await waitFor(() => messages.includes("plant/cmd/next"), "the message after the oversize ones", 20_000);
      await waitFor(() => broker.received.filter((p) => p.cmd === "puback").length >= 2, "PUBACKs");
      const connect = broker.received.find((p) => p.cmd === "connect") as mp.IConnectPacket;
      if (version === 5) t.is(connect.properties?.maximumPacketSize, DEFAULT_MAX_PACKET_SIZE, "8 KiB announced in CONNECT");
      t.is(DEFAULT_MAX_PACKET_SIZE, 8192);
      const acks = broker.received.filter((p) => p.cmd === "puback" || p.cmd === "pubrec").map((p) => [p.cmd, (p as mp.IPubackPacket).messageId]);
      t.deepEqual(acks, [
        ["puback", 4242],
        ["pubrec", 4243],
        ["puback", 4244],
      ]);
      t.deepEqual(messages, ["plant/cmd/next"], "the oversize messages are not delivered");
      t.is(client.stats.skipped, 2);
      t.is(client.stats.received, 1);
      t.is(client.stats.protocolErrors, 0);
      t.is(client.stats.connects, 1, "the connection stayed up");
      t.is(broker.sockets.length, 1);
      t.true(client.connected);
      t.like(skippedEvents, [
        { cmd: "publish", qos: 1, messageId: 4242, topic: "plant/cmd/big" },
        { cmd: "publish", qos: 2, messageId: 4243, topic: "plant/cmd/big2" },
      ]);
      const errors = host.logs.filter((l) => l.level === "error").map((l) => l.message);
      t.true(
        errors.some((m) => /skipped a PUBLISH to "plant\/cmd\/big" \(packet id 4242, QoS 1: acknowledged\) of 1048\d+ bytes from the broker: larger than the maximum packet size 8192/.test(m)),
        errors.join("\n"),
      );
    } finally {
      client.stop();
      host.dispose();
      await broker.close();
    }
  });
}

test.serial("client: the PUBACK for a skipped message is byte-identical to mqtt-packet's", async (t) => {
  const host = createTestHost();
  const broker = await rawBroker(4, (socket, p) => {
    if (p.cmd === "connect") {
      socket.write(mp.generate({ cmd: "connack", sessionPresent: false, returnCode: 0 } as mp.IConnackPacket));
      void trickle(socket, publishBytes(20_000, 1, 0x1234, "a/b"), 512);
    }
  });
  const client = new MqttClient({ host, server: { host: "127.0.0.1", port: broker.port }, clientId: "n", keepalive: 0, cleanSession: true });
  try {
    client.start();
    await waitFor(() => broker.received.some((p) => p.cmd === "puback"), "PUBACK");
    const all = Buffer.concat(broker.raw);
    const expected = mp.generate({ cmd: "puback", messageId: 0x1234 } as mp.IPubackPacket);
    t.true(all.includes(expected), `${all.toString("hex")} contains ${expected.toString("hex")}`);
  } finally {
    client.stop();
    host.dispose();
    await broker.close();
  }
});
