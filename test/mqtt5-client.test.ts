/*
 * The firmware MQTT client in MQTT 5 mode (protocolVersion 5) over real TCP and
 * wall-clock timers: against a real mosquitto 2.0 started by the test
 * (session expiry, Maximum Packet Size, a password file for refusals, unacked
 * messages resent with DUP through the fault proxy), and against a scripted
 * fake MQTT 5 broker built on mqtt-packet's v5 parser and generator for the
 * reason codes and CONNACK properties mosquitto will not produce on demand.
 */
import test from "ava";
import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import * as mqtt from "mqtt";
import * as mqttPacket from "mqtt-packet";
import { MqttClient, type MqttClientOptions, type PublishSource, type SourcedMessage } from "../firmware/mqtt/client.js";
import { mosquittoPath, startMosquitto } from "../tools/brokers/broker.js";
import { startFaultProxy } from "../tools/brokers/fault-proxy.js";
import { SimNode, nodeSpecs } from "../tools/simulator/simulation.js";
import { drive, waitIdle } from "../tools/simulator/drive.js";
import { VirtualClock } from "../sim/clock.js";
import { FileStorage } from "../hosts/node/storage.js";
import { createTestHost, EVENT_CEILING_MS, runVirtual, sleep, startFakeBroker, waitFor, type FakeBroker, type FakeBrokerCodec, type FakeConnection, type TestHost } from "./helpers/mqtt.js";

const haveMosquitto = mosquittoPath() !== undefined;
const withMosquitto = haveMosquitto ? test.serial : test.serial.skip;

function makeClient(host: TestHost, port: number, extra: Partial<MqttClientOptions> = {}): MqttClient {
  return new MqttClient({
    host,
    server: { host: "127.0.0.1", port },
    clientId: "node-5",
    keepalive: 30,
    cleanSession: true,
    protocolVersion: 5,
    backoff: { minMs: 50, maxMs: 400 },
    random: () => 0.5,
    ...extra,
  });
}

/** Records every packet the client writes (parsed by mqtt-packet v5), per connection. */
function tapWrites(host: TestHost): { conn: number; packet: mqttPacket.Packet }[] {
  const seen: { conn: number; packet: mqttPacket.Packet }[] = [];
  const tcp = host.io.tcp;
  let conns = 0;
  host.io.tcp = (options) => {
    const conn = conns++;
    const parser = mqttPacket.parser({ protocolVersion: 5 });
    parser.on("packet", (packet) => seen.push({ conn, packet }));
    parser.on("error", () => {});
    const socket = tcp(options);
    const write = socket.write.bind(socket);
    socket.write = (data) => {
      parser.parse(Buffer.from(data instanceof Uint8Array ? data : new Uint8Array(data as ArrayBuffer)));
      return write(data);
    };
    return socket;
  };
  return seen;
}

async function subscriber(port: number, filter: string) {
  const sub = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { protocolVersion: 5, clientId: `sub-${Math.random().toString(16).slice(2)}`, reconnectPeriod: 0 });
  const messages: { topic: string; payload: string; dup: boolean }[] = [];
  sub.on("message", (topic, payload, packet) => messages.push({ topic, payload: payload.toString(), dup: packet.dup }));
  await sub.subscribeAsync(filter, { qos: 1 });
  return { sub, messages };
}

// --- a scripted MQTT 5 broker on mqtt-packet ----------------------------------

/** mqtt-packet speaking MQTT 5: an independent implementation on the broker's side. */
const MQTT_PACKET_V5: FakeBrokerCodec<any> = {
  encode: (p) => mqttPacket.generate(p, { protocolVersion: 5 }),
  reader(emit, fail) {
    const parser = mqttPacket.parser({ protocolVersion: 5 });
    parser.on("packet", emit);
    parser.on("error", fail);
    return (data) => parser.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  },
};

type Fake5 = FakeBroker<any>;
const startFake5 = (onPacket: (conn: FakeConnection<any>, p: any) => void, now?: () => number): Promise<Fake5> => startFakeBroker(onPacket, MQTT_PACKET_V5, now);

const publishes = (f: Fake5, conn?: number) =>
  f.received.filter((r) => r.packet.cmd === "publish" && (conn === undefined || r.conn === conn)).map((r) => r.packet as mqttPacket.IPublishPacket);

// --- fake broker ----------------------------------------------------------------

test.serial("CONNECT v5 carries clean start, session expiry, receive maximum, maximum packet size and a will with delay 0", async (t) => {
  const fake = await startFake5((conn, p) => {
    if (p.cmd === "connect") conn.send({ cmd: "connack", sessionPresent: false, reasonCode: 0 });
  });
  const host = createTestHost();
  const client = makeClient(host, fake.port, {
    cleanSession: false,
    sessionExpiryS: 3600,
    receiveMaximum: 20,
    maxPacketSize: 65536,
    will: { topic: "n/status", payload: "offline", qos: 1, retain: true },
  });
  try {
    client.start();
    await waitFor(() => client.connected, "connected");
    const connect = fake.received[0].packet as mqttPacket.IConnectPacket;
    t.is(connect.protocolVersion, 5);
    t.false(connect.clean);
    t.is(connect.properties?.sessionExpiryInterval, 3600);
    t.is(connect.properties?.receiveMaximum, 20);
    t.is(connect.properties?.maximumPacketSize, 65536);
    t.is(connect.will?.topic, "n/status");
    t.is((connect.will as any).properties?.willDelayInterval, 0);
    t.is(client.protocolVersion, 5);
    // clean session: Clean Start and no Session Expiry Interval (0: ends with the connection)
    client.stop();
    const host2 = createTestHost();
    const clean = makeClient(host2, fake.port);
    clean.start();
    await waitFor(() => clean.connected, "second client");
    const c2 = fake.received.filter((r) => r.packet.cmd === "connect")[1].packet as mqttPacket.IConnectPacket;
    t.true(c2.clean);
    t.is(c2.properties?.sessionExpiryInterval, undefined);
    clean.stop();
    host2.dispose();
  } finally {
    client.stop();
    host.dispose();
    await fake.close();
  }
});

test.serial("Receive Maximum from the CONNACK caps the in-flight window (counted on the broker); everything is delivered", async (t) => {
  let outstanding = 0;
  let peak = 0;
  const fake = await startFake5((conn, p) => {
    if (p.cmd === "connect") conn.send({ cmd: "connack", sessionPresent: false, reasonCode: 0, properties: { receiveMaximum: 3 } });
    if (p.cmd === "publish") {
      outstanding++;
      peak = Math.max(peak, outstanding);
      setTimeout(() => {
        outstanding--;
        conn.send({ cmd: "puback", messageId: p.messageId, reasonCode: 0 });
      }, 15);
    }
  });
  const host = createTestHost();
  const client = makeClient(host, fake.port, { maxInflight: 32 });
  const done: boolean[] = [];
  try {
    client.start();
    await waitFor(() => client.connected, "connected");
    t.is(client.limits.inflight, 3);
    for (let i = 0; i < 40; i++) client.publish("d/x", `m${i}`, { qos: 1 }, (ok) => done.push(ok));
    t.true(client.inflight <= 3);
    await waitFor(() => done.length === 40, "all acked");
    t.true(done.every((ok) => ok));
    t.is(peak, 3, `never more than 3 in flight at the broker (peak ${peak})`);
    t.deepEqual(publishes(fake).map((p) => String(p.payload)), Array.from({ length: 40 }, (_, i) => `m${i}`), "in order");
    t.true(host.logs.some((l) => l.message.includes("receive maximum 3")));
  } finally {
    client.stop();
    host.dispose();
    await fake.close();
  }
});

test.serial("Maximum Packet Size from the CONNACK: a larger message is dropped with a clear error and counted, never a tight loop; smaller ones flow", async (t) => {
  const fake = await startFake5((conn, p) => {
    if (p.cmd === "connect") conn.send({ cmd: "connack", sessionPresent: false, reasonCode: 0, properties: { maximumPacketSize: 200 } });
    if (p.cmd === "publish" && p.qos === 1) conn.send({ cmd: "puback", messageId: p.messageId, reasonCode: 0 });
  });
  const host = createTestHost();
  const client = makeClient(host, fake.port);
  // A source like the outbox: it offers a message again unless told it is finished.
  const queue = ["small-1", "x".repeat(500), "small-2"];
  const settled: [string, boolean][] = [];
  let offered = 0;
  const source: PublishSource = {
    next(): SourcedMessage | undefined {
      const body = queue.shift();
      if (body === undefined) return undefined;
      offered++;
      return { topic: "d/src", payload: Buffer.from(body), retain: false, onDone: (ok) => (settled.push([body.slice(0, 7), ok]), ok ? undefined : queue.unshift(body)) };
    },
  };
  const done: [string, boolean][] = [];
  try {
    client.start();
    await waitFor(() => client.connected, "connected");
    t.is(client.limits.maximumPacketSize, 200);
    client.publish("d/own", "y".repeat(300), { qos: 1 }, (ok) => done.push(["big", ok]));
    client.publish("d/own", "ok", { qos: 1 }, (ok) => done.push(["ok", ok]));
    client.publish("d/own", "z".repeat(300), { qos: 0 }, (ok) => done.push(["big0", ok]));
    client.setSource(source);
    await waitFor(() => done.length === 3 && settled.length === 3, "all settled");
    await sleep(100);
    t.deepEqual(done.sort(), [["big", false], ["big0", false], ["ok", true]]);
    t.deepEqual(settled.sort(), [["small-1", true], ["small-2", true], ["xxxxxxx", true]], "the source is told the big one is finished");
    t.is(offered, 3, "offered once: no loop");
    t.is(client.stats.tooLarge, 3);
    t.is(client.stats.dropped, 3);
    t.is(client.stats.acked, 3);
    t.is(publishes(fake).length, 3, "only the small ones reached the broker");
    t.is(fake.connections.length, 1, "the connection stayed up");
    t.true(host.logs.some((l) => l.level === "error" && /dropped: PUBLISH of \d+ bytes exceeds the maximum packet size 200/.test(l.message)), "clear error");
  } finally {
    client.stop();
    host.dispose();
    await fake.close();
  }
});

test.serial("CONNACK refusals are reported by name: 0x86/0x87/0x8A back off long, 0x88/0x89 normally", async (t) => {
  let code = 0x86;
  const fake = await startFake5((conn, p) => {
    if (p.cmd === "connect") conn.send({ cmd: "connack", sessionPresent: false, reasonCode: code, properties: { reasonString: "go away" } });
  });
  const names: Record<number, string> = {
    0x80: "Unspecified error",
    0x84: "Unsupported Protocol Version",
    0x85: "Client Identifier not valid",
    0x86: "Bad User Name or Password",
    0x87: "Not authorized",
    0x88: "Server unavailable",
    0x89: "Server busy",
    0x8a: "Banned",
    0x8c: "Bad authentication method",
    0x90: "Topic Name invalid",
    0x95: "Packet too large",
    0x97: "Quota exceeded",
    0x9f: "Connection rate exceeded",
  };
  try {
    for (const c of Object.keys(names).map(Number)) {
      code = c;
      const host = createTestHost();
      const refused: [number, string][] = [];
      const client = makeClient(host, fake.port, { onRefused: (rc, r) => refused.push([rc, r]) });
      client.start();
      await waitFor(() => refused.length === 1, `refusal 0x${c.toString(16)}`);
      t.deepEqual(refused[0], [c, names[c]]);
      t.false(client.connected);
      t.true(host.logs.some((l) => l.level === "error" && l.message.includes(names[c]) && l.message.includes("go away")));
      client.stop();
      host.dispose();
    }

    // Timing in virtual time (the socket is real; virtual time waits for each CONNACK), minMs 100,
    // maxMs 2000, random 0: a long refusal waits half of 100 * 2^3 = 400 ms; a busy server only minMs.
    const gaps: Record<number, number> = {};
    for (const c of [0x86, 0x87, 0x8a, 0x89, 0x88]) {
      code = c;
      const clock = new VirtualClock();
      const host = createTestHost(clock);
      const times: number[] = [];
      const client = makeClient(host, fake.port, { backoff: { minMs: 100, maxMs: 2000 }, random: () => 0, onRefused: () => times.push(clock.now()) });
      client.start();
      await runVirtual(clock, 500, () => client.awaitingReply);
      client.stop();
      host.dispose();
      t.true(times.length >= 2, `two attempts 0x${c.toString(16)}: ${times}`);
      gaps[c] = times[1] - times[0];
    }
    for (const c of [0x86, 0x87, 0x8a]) t.is(gaps[c], 400, `0x${c.toString(16)}: long backoff`);
    for (const c of [0x88, 0x89]) t.is(gaps[c], 100, `0x${c.toString(16)}: normal backoff`);
  } finally {
    await fake.close();
  }
});

test.serial("server DISCONNECT 0x8B / 0x9C: logged by name, counted, reconnected with backoff (0x9C long)", async (t) => {
  let code = 0x8b;
  const fake = await startFake5((conn, p) => {
    if (p.cmd === "connect") {
      conn.send({ cmd: "connack", sessionPresent: false, reasonCode: 0 });
      if (conn.index % 2 === 0) setTimeout(() => conn.send({ cmd: "disconnect", reasonCode: code, properties: code === 0x9c ? { serverReference: "other:1883" } : {} }), 30);
    }
  });
  try {
    // The gap is virtual time: the DISCONNECT comes in real time while virtual time stands still, then
    // virtual time runs to the reconnect (minMs 100, random 0: 100 ms; long: half of 100 * 2^3 = 400 ms).
    for (const [c, name, gapMs] of [[0x8b, "Server shutting down", 100], [0x9c, "Use another server", 400]] as const) {
      code = c;
      const clock = new VirtualClock();
      const host = createTestHost(clock);
      const disconnects: string[] = [];
      const connectedAt: number[] = [];
      const base = fake.connections.length;
      const client = makeClient(host, fake.port, { backoff: { minMs: 100, maxMs: 2000 }, random: () => 0, onDisconnect: (r) => disconnects.push(r), onConnect: () => connectedAt.push(clock.now()) });
      client.start();
      await runVirtual(clock, 0, () => client.awaitingReply);
      await waitFor(() => disconnects.length === 1, `DISCONNECT 0x${c.toString(16)}`);
      const at = clock.now();
      t.regex(disconnects[0], new RegExp(name));
      t.is(client.stats.serverDisconnects, 1);
      t.true(host.logs.some((l) => l.level === "warn" && l.message.includes(`DISCONNECT: 0x${c.toString(16).toUpperCase()} ${name}`)));
      await runVirtual(clock, at + 1000, () => client.awaitingReply);
      t.true(client.connected && fake.connections.length === base + 2, "reconnected");
      t.is(connectedAt.length, 2);
      t.is(connectedAt[1] - at, gapMs, `reconnected ${gapMs} ms after the DISCONNECT`);
      t.is(client.stats.reconnects, 1);
      t.is(client.stats.protocolErrors, 0);
      client.stop();
      host.dispose();
    }
  } finally {
    await fake.close();
  }
});

test.serial("PUBACK 0x87: the message is not delivered, counted and reported, not resent; 0x10 No matching subscribers is success", async (t) => {
  const fake = await startFake5((conn, p) => {
    if (p.cmd === "connect") conn.send({ cmd: "connack", sessionPresent: conn.index > 0, reasonCode: 0 });
    if (p.cmd === "publish") {
      const code = String(p.topic).startsWith("denied/") ? 0x87 : String(p.topic).startsWith("nobody/") ? 0x10 : 0;
      conn.send({ cmd: "puback", messageId: p.messageId, reasonCode: code, properties: code === 0x87 ? { reasonString: "ACL" } : undefined });
    }
  });
  const host = createTestHost();
  const rejected: [string, number, string][] = [];
  const done: [string, boolean][] = [];
  const client = makeClient(host, fake.port, { cleanSession: false, sessionExpiryS: 60, onRejected: (topic, c, r) => rejected.push([topic, c, r]) });
  try {
    client.start();
    await waitFor(() => client.connected, "connected");
    client.publish("denied/x", "no", { qos: 1 }, (ok) => done.push(["denied", ok]));
    client.publish("nobody/x", "fine", { qos: 1 }, (ok) => done.push(["nobody", ok]));
    client.publish("ok/x", "fine", { qos: 1 }, (ok) => done.push(["ok", ok]));
    await waitFor(() => done.length === 3, "all settled");
    t.deepEqual(done, [["denied", false], ["nobody", true], ["ok", true]]);
    t.deepEqual(rejected, [["denied/x", 0x87, "Not authorized"]]);
    t.is(client.stats.rejected, 1);
    t.is(client.stats.acked, 2);
    t.is(client.pending, 0, "nothing kept for a resend");
    t.true(host.logs.some((l) => l.level === "error" && l.message.includes("0x87 Not authorized (ACL); not resent")));
    // A reconnect into the resumed session resends nothing.
    fake.connections[0].close();
    await waitFor(() => client.connected && fake.connections.length === 2, "reconnected");
    await sleep(150);
    t.is(publishes(fake).filter((p) => p.topic === "denied/x").length, 1, "sent once, ever");
    t.is(client.stats.resent, 0);
  } finally {
    client.stop();
    host.dispose();
    await fake.close();
  }
});

test.serial("session present: unacked messages resent with DUP and their ids, within the new server's Receive Maximum", async (t) => {
  const fake = await startFake5((conn, p) => {
    if (p.cmd === "connect") {
      // 0: accepts, never acks, is dropped. 1: session present, receive maximum 2, acks.
      conn.send({ cmd: "connack", sessionPresent: conn.index === 1, reasonCode: 0, properties: conn.index === 1 ? { receiveMaximum: 2 } : undefined });
    }
    if (p.cmd === "publish" && conn.index === 1) setTimeout(() => conn.send({ cmd: "puback", messageId: p.messageId, reasonCode: 0 }), 10);
  });
  const host = createTestHost();
  const done: boolean[] = [];
  const client = makeClient(host, fake.port, { cleanSession: false, sessionExpiryS: 600 });
  try {
    client.start();
    await waitFor(() => client.connected, "connected");
    for (let i = 0; i < 5; i++) client.publish("d/s", `m${i}`, { qos: 1 }, (ok) => done.push(ok));
    await waitFor(() => publishes(fake, 0).length === 5, "five sent, unacked");
    fake.connections[0].close();
    await waitFor(() => done.length === 5, "acked after the resume");
    const first = publishes(fake, 0);
    const second = publishes(fake, 1);
    t.deepEqual(second.map((p) => String(p.payload)), ["m0", "m1", "m2", "m3", "m4"], "in order");
    t.true(second[0].dup && second[1].dup, "resent with DUP into the resumed session");
    t.deepEqual([second[0].messageId, second[1].messageId], [first[0].messageId, first[1].messageId], "same packet ids");
    t.false(second[2].dup, "beyond the receive maximum: sent afresh as the window opened");
    t.is(client.stats.resent, 2);
    t.is(client.limits.inflight, 2);
  } finally {
    client.stop();
    host.dispose();
    await fake.close();
  }
});

test.serial("Server Keep Alive replaces ours; Assigned Client Identifier is used on the next CONNECT; SUBACK 0x87 logged by name", async (t) => {
  const clock = new VirtualClock();
  const fake = await startFake5((conn, p) => {
    if (p.cmd === "connect") conn.send({ cmd: "connack", sessionPresent: false, reasonCode: 0, properties: { serverKeepAlive: 1, assignedClientIdentifier: "auto-42" } });
    if (p.cmd === "pingreq") conn.send({ cmd: "pingresp" });
    if (p.cmd === "subscribe") conn.send({ cmd: "suback", messageId: p.messageId, granted: [0x87] });
  }, () => clock.now());
  // Virtual time (PINGREQs stamped by the fake broker on it; virtual time waits for each reply).
  const host = createTestHost(clock);
  const client = makeClient(host, fake.port, { clientId: "", keepalive: 60 });
  try {
    client.subscribe("cmd/#", 1);
    client.start();
    await runVirtual(clock, 0, () => client.awaitingReply);
    t.true(client.connected);
    t.is(client.clientId, "auto-42");
    t.is(client.limits.keepalive, 1);
    await runVirtual(clock, 1300, () => client.awaitingReply);
    const pings = fake.received.filter((r) => r.packet.cmd === "pingreq").map((r) => r.at);
    t.deepEqual(pings, [1000], "a PINGREQ after the server's 1 s keepalive, not our 60 s");
    t.true(host.logs.some((l) => l.level === "warn" && l.message.includes('"cmd/#" refused by the broker: 0x87 Not authorized')));
    fake.connections[0].close();
    await waitFor(() => !client.connected, "the close noticed");
    await runVirtual(clock, clock.now() + 1000, () => client.awaitingReply);
    t.true(fake.connections.length === 2 && client.connected, "reconnected");
    const connects = fake.received.filter((r) => r.packet.cmd === "connect").map((r) => (r.packet as mqttPacket.IConnectPacket).clientId);
    t.deepEqual(connects, ["", "auto-42"]);
  } finally {
    client.stop();
    host.dispose();
    await fake.close();
  }
});

// --- real mosquitto ---------------------------------------------------------------

withMosquitto("mosquitto, MQTT 5: connect, QoS 1 acked, subscriber sees it; server limits from the CONNACK (max_packet_size, max_inflight_messages)", async (t) => {
  const broker = await startMosquitto({ extraConfig: ["max_packet_size 1000", "max_inflight_messages 4"] });
  t.teardown(() => broker.close());
  const { sub, messages } = await subscriber(broker.port, "m5/#");
  t.teardown(() => sub.endAsync());
  const host = createTestHost();
  const client = makeClient(host, broker.port);
  t.teardown(() => (client.stop(), host.dispose()));
  const done: [string, boolean][] = [];
  client.start();
  await waitFor(() => client.connected, "connected");
  t.is(client.limits.maximumPacketSize, 1000);
  t.is(client.limits.inflight, 4, "mosquitto's Receive Maximum (max_inflight_messages) caps our window of 32");
  t.log(`mosquitto limits: ${JSON.stringify(client.limits)}`);
  for (let i = 0; i < 20; i++) client.publish("m5/a", `m${i}`, { qos: 1 }, (ok) => done.push([`m${i}`, ok]));
  client.publish("m5/big", "b".repeat(2000), { qos: 1 }, (ok) => done.push(["big", ok]));
  client.publish("m5/a", "after", { qos: 1 }, (ok) => done.push(["after", ok]));
  await waitFor(() => done.length === 22, "settled");
  await waitFor(() => messages.length === 21, "subscriber got the 21 small ones");
  t.deepEqual(done.find(([n]) => n === "big"), ["big", false]);
  t.is(client.stats.acked, 21);
  t.is(client.stats.tooLarge, 1);
  t.true(client.connected, "not disconnected by the broker (the big one never left)");
  t.is(client.stats.connects, 1);
  t.deepEqual(messages.map((m) => m.payload), [...Array.from({ length: 20 }, (_, i) => `m${i}`), "after"]);
});

withMosquitto("mosquitto, MQTT 5: session expiry: the connection is killed, the reconnect resumes the session and unacked messages go again with DUP; after expiry no session", async (t) => {
  const broker = await startMosquitto();
  t.teardown(() => broker.close());
  const proxy = await startFaultProxy({ target: { host: broker.host, port: broker.port }, protocolVersion: 5 });
  t.teardown(() => proxy.close());
  const { sub, messages } = await subscriber(broker.port, "exp/#");
  t.teardown(() => sub.endAsync());
  const host = createTestHost();
  const wire = tapWrites(host);
  const connects: boolean[] = [];
  const client = makeClient(host, proxy.port, { clientId: "exp-node", cleanSession: false, sessionExpiryS: 2, onConnect: (sp) => connects.push(sp) });
  t.teardown(() => (client.stop(), host.dispose()));
  client.start();
  await waitFor(() => client.connected, "connected");
  t.deepEqual(connects, [false]);

  // Three PUBACKs lost, then the connection dies without DISCONNECT.
  proxy.dropNext("puback", 3, "toClient");
  const done: boolean[] = [];
  for (let i = 0; i < 3; i++) client.publish("exp/a", `m${i}`, { qos: 1 }, (ok) => done.push(ok));
  await waitFor(() => proxy.stats.dropped.puback === 3, "PUBACKs swallowed");
  t.is(client.inflight, 3);
  proxy.dropConnections();
  await waitFor(() => done.length === 3, "acked after the resume");
  t.deepEqual(connects, [false, true], "session present within the expiry");
  t.is(client.stats.resent, 3);
  const resent = wire.filter((w) => w.conn === 1 && w.packet.cmd === "publish").map((w) => w.packet as mqttPacket.IPublishPacket);
  t.deepEqual(resent.map((p) => [String(p.payload), p.dup]), [["m0", true], ["m1", true], ["m2", true]]);
  const firstIds = wire.filter((w) => w.conn === 0 && w.packet.cmd === "publish").map((w) => (w.packet as mqttPacket.IPublishPacket).messageId);
  t.deepEqual(resent.map((p) => p.messageId), firstIds, "same packet ids");
  await waitFor(() => messages.length >= 3, "subscriber");
  t.deepEqual([...new Set(messages.map((m) => m.payload))], ["m0", "m1", "m2"]);

  // Offline longer than the 2 s expiry: the broker forgot the session.
  // mosquitto's expiry runs on its own (real) clock: the wait has to be real. A busy machine can only
  // make it longer, which keeps it past the expiry; nothing here depends on it being short.
  proxy.refuseConnections(true);
  proxy.dropConnections();
  await sleep(3000);
  proxy.refuseConnections(false);
  await waitFor(() => connects.length === 3, "reconnected after the expiry", EVENT_CEILING_MS);
  t.is(connects[2], false, "no session after the expiry");
});

// mosquitto 2.0 answers a v5 CONNECT with bad credentials with 0x87 Not authorized (not 0x86); the fake broker covers 0x86.
withMosquitto("mosquitto, MQTT 5: a password file: a wrong password and no credentials are refused (0x87), reported by name and backed off long; right ones connect", async (t) => {
  const passwd = spawnSync("sh", ["-c", "command -v mosquitto_passwd"], { encoding: "utf8" }).stdout.trim();
  if (passwd === "") return t.pass("mosquitto_passwd not installed");
  const broker0 = await startMosquitto();
  await broker0.close();
  const file = path.join(broker0.dir, "passwd");
  fs.writeFileSync(file, "");
  const r = spawnSync(passwd, ["-b", file, "node", "right-pass"], { encoding: "utf8" });
  t.is(r.status, 0, r.stderr);
  const broker = await startMosquitto({ dir: broker0.dir, extraConfig: ["allow_anonymous false", `password_file ${file}`] });
  t.teardown(() => broker.close());

  for (const [creds, code, name] of [
    [{ username: "node", password: "wrong-pass" }, 0x87, "Not authorized"],
    [{}, 0x87, "Not authorized"],
  ] as const) {
    // Virtual time (it waits for each CONNACK from mosquitto): the gap is the backoff itself.
    const clock = new VirtualClock();
    const host = createTestHost(clock);
    const refused: [number, string][] = [];
    const times: number[] = [];
    const client = makeClient(host, broker.port, { ...creds, backoff: { minMs: 100, maxMs: 2000 }, random: () => 0, onRefused: (c, n) => (refused.push([c, n]), times.push(clock.now())) });
    client.start();
    await runVirtual(clock, 500, () => client.awaitingReply);
    client.stop();
    host.dispose();
    t.is(refused.length, 2, `two refusals ${name}`);
    t.deepEqual(refused[0], [code, name]);
    t.is(times[1] - times[0], 400, `${name}: long backoff (half of 100 * 2^3)`);
    t.true(host.logs.some((l) => l.level === "error" && l.message.includes(name)));
    t.false(host.logs.some((l) => l.message.includes("wrong-pass")), "password never logged");
  }
  const host = createTestHost();
  const client = makeClient(host, broker.port, { username: "node", password: "right-pass" });
  client.start();
  await waitFor(() => client.connected, "connected with the right password");
  t.is(client.stats.refused, 0);
  client.stop();
  host.dispose();
});

// --- a simulated node in MQTT 5 mode, end to end ------------------------------------

withMosquitto("SimNode with mqtt.version 5 against mosquitto: telemetry delivered, the will on kill, nothing lost over a SIGKILLed broker restart", async (t) => {
  const broker = await startMosquitto({ persistence: true });
  let current = broker;
  t.teardown(() => current.kill("SIGKILL"));
  // An independent subscriber on a persistent session, recording (boot, seq) and the status topic.
  const seen: { boot: number; seq: number }[] = [];
  const status: string[] = [];
  const sub = mqtt.connect(broker.url, { clientId: `v5-e2e-${process.pid}`, clean: false, reconnectPeriod: 100, connectTimeout: 3000 });
  sub.on("error", () => {});
  sub.on("message", (topic, payload) => {
    if (topic.endsWith("/status")) status.push(JSON.parse(String(payload)).state);
    else if (/\/(telemetry|alarm)$/.test(topic)) {
      const body = JSON.parse(String(payload));
      seen.push({ boot: body.boot, seq: body.seq });
    }
  });
  t.teardown(() => sub.endAsync(true));
  const subscribe = async () => {
    await waitFor(() => sub.connected, "subscriber connected", 10_000);
    await sub.subscribeAsync(["sensors/+/telemetry", "sensors/+/alarm", "sensors/+/status"], { qos: 1 });
  };
  await subscribe();

  const storageDir = fs.mkdtempSync(path.join(broker.dir, "node-"));
  const clock = new VirtualClock({ epochMs: Date.parse("2026-01-01T00:00:00Z") });
  const spec = { ...nodeSpecs(undefined, 1, 42)[0], config: { mqtt: { version: 5, cleanSession: false, sessionExpiryS: 3600 } } };
  const node = new SimNode({ clock, spec, broker: { host: broker.host, port: broker.port, secure: false }, storage: new FileStorage(storageDir) });
  t.teardown(() => node.stop());
  const busy = () => node.busy;
  let peakClient = 0;
  const run = async (to: number) => {
    await drive({ clock, until: to, speed: "max", busy, maxWaitMs: EVENT_CEILING_MS, onProgress: () => (peakClient = Math.max(peakClient, node.app.mqtt.pending)) });
    await waitIdle(busy, EVENT_CEILING_MS);
  };
  node.start();
  await run(15_000);
  t.is(node.app.mqtt.protocolVersion, 5);
  t.true(node.app.mqtt.connected);
  await waitFor(() => seen.length >= 5 && status.includes("online"), "telemetry and status online", 10_000);

  // The connection dies without DISCONNECT: mosquitto publishes the will (Will Delay Interval 0).
  node.host.killConnections();
  await waitFor(() => status.includes("offline"), "the will", 10_000);
  await run(40_000);
  t.true(node.app.mqtt.connected, "reconnected");

  // The broker is SIGKILLed for a minute of virtual time and restarted from its persistence.
  await current.kill("SIGKILL");
  await run(100_000);
  t.false(node.app.mqtt.connected);
  t.true(node.app.outbox.stats.queued >= 30, `queued ${node.app.outbox.stats.queued}`);
  current = await startMosquitto({ persistence: true, dir: broker.dir, port: broker.port });
  await subscribe();
  await run(220_000);
  t.is(node.app.outbox.stats.queued, 0, "outbox drained");
  const last = node.app.seq;
  await waitFor(() => new Set(seen.filter((s) => s.boot === node.app.boot).map((s) => s.seq)).size >= last, `${last} messages at the subscriber`, 20_000).catch(() => {});
  const got = seen.filter((s) => s.boot === node.app.boot).map((s) => s.seq);
  const missing: number[] = [];
  for (let i = 1; i <= last; i++) if (!got.includes(i)) missing.push(i);
  t.deepEqual(missing, [], "every (boot, seq) arrived");
  const firsts = [...new Set(got)];
  t.deepEqual(firsts, [...firsts].sort((a, b) => a - b), "in order");
  t.true(node.app.mqtt.stats.reconnects >= 2);
  t.is(node.app.mqtt.stats.rejected + node.app.mqtt.stats.tooLarge, 0);
  t.true(peakClient <= 32 + 64, `client held at most ${peakClient}`);
  t.log(`${last} messages, ${got.length - firsts.length} duplicates, ${node.app.mqtt.stats.reconnects} reconnects, ${node.app.mqtt.stats.resent} resent`);
});
