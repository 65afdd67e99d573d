/*
 * The firmware MQTT client over the real Node TCP socket and wall-clock timers,
 * against an embedded aedes broker (checked by an independent mqtt.js
 * subscriber) and a scripted fake broker for resend, DUP and keepalive timing.
 * Timing (backoff, keepalive) is asserted on a VirtualClock (createTestHost(clock),
 * runVirtual): the socket stays real, the timeline cannot be bent by a busy machine.
 */
import test from "ava";
import * as mqtt from "mqtt";
import * as mp from "mqtt-packet";
import { MqttClient, type MqttClientOptions } from "../firmware/mqtt/client.js";
import { encode, type Packet, type PublishPacket } from "../firmware/mqtt/codec.js";
import type { TCPOptions } from "../firmware/host.js";
import { bytesOf } from "./helpers/codec.js";
import { destroyAllSockets } from "../hosts/node/tcp.js";
import { VirtualClock } from "../sim/clock.js";
import { createTestHost, runVirtual, sleep, startBroker, startFakeBroker, waitFor, type TestHost } from "./helpers/mqtt.js";

const text = (b: Uint8Array) => Buffer.from(b).toString("utf8");

function makeClient(host: TestHost, port: number, extra: Partial<MqttClientOptions> = {}): MqttClient {
  return new MqttClient({
    host,
    server: { host: "127.0.0.1", port },
    clientId: "node-1",
    keepalive: 30,
    cleanSession: true,
    backoff: { minMs: 50, maxMs: 400 },
    random: () => 0.5,
    ...extra,
  });
}

async function subscriber(port: number, filter: string) {
  const sub = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: `sub-${Math.random().toString(16).slice(2)}`, reconnectPeriod: 0 });
  const messages: { topic: string; payload: string; retain: boolean; qos: number }[] = [];
  sub.on("message", (topic, payload, packet) => messages.push({ topic, payload: payload.toString(), retain: packet.retain, qos: packet.qos }));
  await sub.subscribeAsync(filter, { qos: 1 });
  return { sub, messages };
}

test.serial("connect with credentials and a will; retained status seen by mqtt.js; the will fires when the socket is killed", async (t) => {
  const seenCredentials: { user?: string; pass?: string }[] = [];
  const broker = await startBroker({
    authenticate: (_client, username, password, done) => {
      seenCredentials.push({ user: username, pass: password?.toString() });
      done(null, true);
    },
  });
  const host = createTestHost();
  const connects: boolean[] = [];
  const client = makeClient(host, broker.port, {
    username: "node",
    password: "s3cret-pass",
    will: { topic: "plant/node-1/status", payload: "offline", qos: 1, retain: true },
    onConnect: (sessionPresent) => {
      connects.push(sessionPresent);
      client.publish("plant/node-1/status", "online", { qos: 1, retain: true });
    },
  });
  try {
    client.start();
    await waitFor(() => client.connected && client.stats.acked === 1, "connect and retained status acked");
    t.deepEqual(connects, [false]);
    t.deepEqual(seenCredentials[0], { user: "node", pass: "s3cret-pass" });

    // A subscriber arriving later gets the retained "online".
    const { sub, messages } = await subscriber(broker.port, "plant/#");
    await waitFor(() => messages.length >= 1, "retained status");
    t.deepEqual(messages[0], { topic: "plant/node-1/status", payload: "online", retain: true, qos: 1 });

    // Yank the connection: the broker must publish the will.
    t.true(destroyAllSockets() >= 1);
    await waitFor(() => messages.some((m) => m.payload === "offline"), "will message");
    const will = messages.find((m) => m.payload === "offline")!;
    t.is(will.topic, "plant/node-1/status");
    // The client comes back by itself and re-announces itself.
    await waitFor(() => connects.length === 2 && messages.filter((m) => m.payload === "online").length === 2, "reconnect");
    t.is(client.stats.reconnects, 1);
    await sub.endAsync();

    t.false(host.logs.some((l) => l.message.includes("s3cret")), "password never logged");
    t.true(host.logs.some((l) => l.message.includes("node-1")));
  } finally {
    client.stop();
    host.dispose();
    await broker.close();
  }
});

test.serial("QoS 1: offline messages are queued (bounded, oldest dropped), sent after CONNACK and acknowledged in order", async (t) => {
  const broker = await startBroker();
  const { sub, messages } = await subscriber(broker.port, "data/#");
  const host = createTestHost();
  const client = makeClient(host, broker.port, { maxQueued: 5, maxInflight: 2 });
  const done: [number, boolean][] = [];
  try {
    for (let i = 0; i < 8; i++) client.publish("data/x", `m${i}`, { qos: 1 }, (ok) => done.push([i, ok]));
    client.publish("data/x", "qos0-offline", { qos: 0 }, (ok) => done.push([-1, ok]));
    t.deepEqual(done, [[0, false], [1, false], [2, false], [-1, false]], "oldest three and the offline QoS 0 dropped");
    t.is(client.stats.dropped, 4);
    t.is(client.pending, 5);

    client.start();
    await waitFor(() => done.length === 9, "queued messages acknowledged");
    t.deepEqual(done.slice(4), [[3, true], [4, true], [5, true], [6, true], [7, true]]);
    t.is(client.stats.acked, 5);
    t.is(client.stats.sent, 5);
    t.is(client.pending, 0);
    t.false(client.awaitingReply);

    // While connected: a burst beyond window (2) + queue (5): the first two fly at once,
    // the queue keeps the newest five, the rest are dropped as the queue overflows.
    for (let i = 0; i < 50; i++) client.publish("data/y", `b${i}`, { qos: 1 }, (ok) => done.push([100 + i, ok]));
    client.publish("data/z", "q0", { qos: 0 });
    await waitFor(() => client.stats.acked === 12, "burst acknowledged");
    await waitFor(() => messages.length === 13, "subscriber got everything");
    const kept = ["b0", "b1", "b45", "b46", "b47", "b48", "b49"];
    t.deepEqual(messages.filter((m) => m.topic === "data/x").map((m) => m.payload), ["m3", "m4", "m5", "m6", "m7"]);
    t.deepEqual(messages.filter((m) => m.topic === "data/y").map((m) => m.payload), kept);
    t.deepEqual(messages.filter((m) => m.topic === "data/z").map((m) => m.payload), ["q0"]);
    const burst = done.filter(([i]) => i >= 100);
    t.is(burst.length, 50);
    t.deepEqual(burst.filter(([, ok]) => ok).map(([i]) => `b${i - 100}`), kept);
    t.is(client.stats.dropped, 4 + 43);
  } finally {
    client.stop();
    host.dispose();
    await sub.endAsync();
    await broker.close();
  }
});

test.serial("CONNACK refusals: every 3.1.1 code is reported by name and backed off, never a tight loop", async (t) => {
  let code = 4;
  const broker = await startBroker({
    authenticate: (_c, _u, _p, done) => {
      const err = Object.assign(new Error("no"), { returnCode: code });
      done(err as any, false);
    },
  });
  const expected: Record<number, string> = {
    2: "identifier rejected",
    3: "server unavailable",
    4: "bad user name or password",
    5: "not authorized",
  };
  try {
    // aedes lets authenticate() choose codes 2..5; 1 comes from the fake broker test below.
    for (code = 2; code <= 5; code++) {
      const host = createTestHost();
      const refused: [number, string][] = [];
      const client = makeClient(host, broker.port, { onRefused: (c, r) => refused.push([c, r]) });
      client.start();
      await waitFor(() => refused.length === 1, `refusal ${code}`);
      t.deepEqual(refused[0], [code, expected[code]]);
      t.false(client.connected);
      client.stop();
      host.dispose();
    }

    // Timing, in virtual time (the socket is real; virtual time waits for each CONNACK): minMs 50
    // would allow ~30 attempts in 1.5 s; refusals wait far longer. With random 0 the first refusal
    // waits half of minMs * 2^3 = 400 ms, the next half of the 2000 ms cap.
    code = 5;
    const clock = new VirtualClock();
    const host = createTestHost(clock);
    const times: number[] = [];
    const client = makeClient(host, broker.port, { backoff: { minMs: 100, maxMs: 2000 }, random: () => 0, onRefused: () => times.push(clock.now()) });
    client.start();
    await runVirtual(clock, 1500, () => client.awaitingReply);
    client.stop();
    host.dispose();
    t.deepEqual(times, [0, 400, 1400], "three attempts in 1.5 s of virtual time, 400 then 1000 ms apart");
    t.is(client.stats.connects, 0);
    t.is(client.stats.refused, times.length);
    t.true(host.logs.some((l) => l.level === "error" && l.message.includes("not authorized")));
  } finally {
    await broker.close();
  }
});

test.serial("reconnects after the broker closes the connection and resubscribes; commands arrive with PUBACK", async (t) => {
  const broker = await startBroker();
  const host = createTestHost();
  const received: string[] = [];
  const disconnects: string[] = [];
  const client = makeClient(host, broker.port, {
    onMessage: (topic, payload) => received.push(`${topic}=${text(payload)}`),
    onDisconnect: (r) => disconnects.push(r),
  });
  const sender = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, { reconnectPeriod: 0 });
  try {
    client.subscribe("cmd/#", 1);
    client.start();
    await waitFor(() => client.connected && !client.awaitingReply, "connected and subscribed");
    await sender.publishAsync("cmd/reboot", "now", { qos: 1 });
    await sender.publishAsync("cmd/ping", "q0", { qos: 0 });
    await waitFor(() => received.length === 2, "commands");
    t.deepEqual(received, ["cmd/reboot=now", "cmd/ping=q0"]);

    // The broker drops us (server-side close of this client only).
    const brokerSide = (broker.aedes as any).clients["node-1"];
    t.truthy(brokerSide);
    brokerSide.close();
    await waitFor(() => disconnects.length === 1, "disconnect noticed");
    await waitFor(() => client.connected && client.stats.connects === 2 && !client.awaitingReply, "reconnected");
    t.is(client.stats.reconnects, 1);
    await sender.publishAsync("cmd/after", "yes", { qos: 1 });
    await waitFor(() => received.length === 3, "command after reconnect (resubscribed)");
    t.is(received[2], "cmd/after=yes");
    t.true(client.stats.received >= 3);
  } finally {
    client.stop();
    host.dispose();
    await sender.endAsync();
    await broker.close();
  }
});

test.serial("unacknowledged QoS 1 is resent after reconnect with its id: DUP=1 when the session resumed, DUP=0 when not", async (t) => {
  const fake = await startFakeBroker((conn, p) => {
    if (p.cmd === "connect") conn.send({ cmd: "connack", sessionPresent: conn.index === 1, returnCode: 0 });
    if (p.cmd === "publish") {
      if (conn.index === 0 || conn.index === 1) setTimeout(() => conn.close(), 20); // never ack, drop
      else conn.send({ cmd: "puback", messageId: p.messageId! });
    }
  });
  const host = createTestHost();
  const done: boolean[] = [];
  const client = makeClient(host, fake.port, { cleanSession: false });
  try {
    client.start();
    await waitFor(() => client.connected, "connected");
    client.publish("d/t", "payload", { qos: 1 }, (ok) => done.push(ok));
    await waitFor(() => done.length === 1, "finally acked");
    t.deepEqual(done, [true]);
    const pubs = fake.received.filter((r) => r.packet.cmd === "publish").map((r) => ({ conn: r.conn, p: r.packet as PublishPacket }));
    t.deepEqual(pubs.map((x) => x.conn), [0, 1, 2]);
    t.true(pubs.every((x) => x.p.messageId === pubs[0].p.messageId && text(x.p.payload) === "payload"));
    t.false(pubs[0].p.dup, "first transmission");
    t.true(pubs[1].p.dup, "resent into the resumed session (sessionPresent=1 on connection 1)");
    t.false(pubs[2].p.dup, "resent into a new session (sessionPresent=0 on connection 2)");
    t.is(client.stats.resent, 2);
    const connect = fake.received.find((r) => r.packet.cmd === "connect")!.packet as Packet & { cmd: "connect" };
    t.false(connect.clean);
  } finally {
    client.stop();
    host.dispose();
    await fake.close();
  }
});

test.serial("keepalive: PINGREQ only after keepalive seconds with nothing sent; missing PINGRESP drops the connection", async (t) => {
  let answerPings = true;
  // Virtual time: the client's timers run on it, the socket is real. Virtual time waits for every
  // reply the fake broker gives (so a packet is stamped at the virtual time it was sent), but not for
  // a PINGRESP the test withholds: while connected and unanswered, it moves on.
  const clock = new VirtualClock();
  const fake = await startFakeBroker(
    (conn, p) => {
      if (p.cmd === "connect") conn.send({ cmd: "connack", sessionPresent: false, returnCode: 0 });
      if (p.cmd === "pingreq" && answerPings) conn.send({ cmd: "pingresp" });
    },
    undefined,
    () => clock.now(),
  );
  const host = createTestHost(clock);
  const disconnects: [number, string][] = [];
  const client = makeClient(host, fake.port, { keepalive: 1, pingTimeoutMs: 300, onDisconnect: (r) => disconnects.push([clock.now(), r]) });
  const busy = () => client.awaitingReply && (answerPings || !client.connected);
  const pingsAt = () => fake.received.filter((r) => r.packet.cmd === "pingreq").map((r) => r.at);
  try {
    client.start();
    await runVirtual(clock, 0, busy);
    t.true(client.connected);
    await runVirtual(clock, 2600, busy);
    t.deepEqual(pingsAt(), [1000, 2000], "idle: one PINGREQ a second after the CONNECT, then every second");

    // Traffic every 300 ms keeps the link alive without PINGREQ (the timer counts from the last packet sent).
    for (let i = 0; i < 8; i++) {
      client.publish("k/a", "x", { qos: 0 });
      await runVirtual(clock, clock.now() + 300, busy);
    }
    t.deepEqual(pingsAt(), [1000, 2000], "no PINGREQ while publishing");
    t.true(client.connected);
    const lastSent = clock.now() - 300;

    // The broker stops answering: the connection is declared dead 300 ms after the PINGREQ and re-established.
    answerPings = false;
    while (disconnects.length === 0 && clock.now() < lastSent + 10_000) await runVirtual(clock, clock.now() + 100, busy);
    answerPings = true;
    t.is(disconnects.length, 1);
    t.regex(disconnects[0][1], /PINGRESP/);
    // (The withheld PINGREQ's arrival is not stamped: virtual time did not wait for it.)
    t.is(disconnects[0][0], lastSent + 1000 + 300, "a PINGREQ a second after the last publish; dropped when its PINGRESP was 300 ms late");
    t.is(client.stats.pingTimeouts, 1);
    await runVirtual(clock, clock.now() + 1000, busy);
    t.true(fake.connections.length === 2 && client.connected, "reconnected");
  } finally {
    client.stop();
    host.dispose();
    await fake.close();
  }
});

test.serial("a malformed packet from the broker drops the connection with a reason, and stop() sends DISCONNECT", async (t) => {
  const fake = await startFakeBroker((conn, p) => {
    if (p.cmd === "connect") {
      conn.send({ cmd: "connack", sessionPresent: false, returnCode: 0 });
      if (conn.index === 0) conn.socket.write(Buffer.from([0x30, 0x03, 0x00, 0x01, 0x23])); // PUBLISH to "#"
    }
  });
  const host = createTestHost();
  const disconnects: string[] = [];
  const client = makeClient(host, fake.port, { onDisconnect: (r) => disconnects.push(r) });
  try {
    client.start();
    await waitFor(() => disconnects.length === 1, "malformed packet noticed");
    t.regex(disconnects[0], /malformed.*wildcard/);
    t.is(client.stats.protocolErrors, 1);
    await waitFor(() => client.connected && fake.connections.length === 2, "reconnected");
    client.stop();
    t.false(client.connected);
    await waitFor(() => fake.received.some((r) => r.conn === 1 && r.packet.cmd === "disconnect"), "DISCONNECT");
    await sleep(200);
    t.is(fake.connections.length, 2, "no reconnect after stop()");
  } finally {
    client.stop();
    host.dispose();
    await fake.close();
  }
});

test.serial("CONNACK code 1 and a reserved code are refusals too", async (t) => {
  let code = 1;
  const fake = await startFakeBroker((conn, p) => {
    if (p.cmd === "connect") conn.send({ cmd: "connack", sessionPresent: false, returnCode: code });
  });
  try {
    for (const [c, name] of [[1, "unacceptable protocol version"], [6, "reserved return code 6"]] as const) {
      code = c;
      const host = createTestHost();
      const refused: [number, string][] = [];
      const client = makeClient(host, fake.port, { onRefused: (rc, r) => refused.push([rc, r]) });
      client.start();
      await waitFor(() => refused.length === 1, `refusal ${c}`);
      t.deepEqual(refused[0], [c, name]);
      t.false(client.connected);
      client.stop();
      host.dispose();
    }
  } finally {
    await fake.close();
  }
});

test.serial("send path: a metered socket taking a few bytes at a time gets every PUBLISH intact, in order, byte-identical to mqtt-packet's (send buffer reuse, growth, own array past the cap)", async (t) => {
  const host = createTestHost();
  const wire: number[] = [];
  const ROOM = 100;
  let socketOptions: TCPOptions | undefined;
  let rx: Uint8Array[] = [];
  host.io.tcp = (o) => {
    socketOptions = o;
    setImmediate(() => o.onWritable?.(ROOM));
    return {
      read: () => {
        const b = Buffer.concat(rx);
        rx = [];
        return new Uint8Array(b).buffer;
      },
      // Copies, as every host does (firmware/host.ts): the client reuses its send buffer on return.
      write: (d) => wire.push(...(d instanceof Uint8Array ? d : new Uint8Array(d))),
      close: () => {},
    };
  };
  const client = makeClient(host, 1, { maxInflight: 64 });
  try {
    client.start();
    await waitFor(() => wire.length > 0, "CONNECT");
    const connectLength = wire.length;
    rx.push(bytesOf(encode({ cmd: "connack", sessionPresent: false, returnCode: 0 })));
    socketOptions!.onReadable?.(4);
    t.true(client.connected);
    const sizes = [10, 90, 300, 5, 1200, 40, 3000, 7, 6000, 64, 500, 2];
    const expected: Buffer[] = [];
    sizes.forEach((size, i) => {
      const payload = new Uint8Array(size).map((_, k) => (k * 31 + i) & 0xff);
      const topic = `t/${i}`;
      client.publish(topic, payload, { qos: 1 });
      expected.push(mp.generate({ cmd: "publish", topic, payload: Buffer.from(payload), qos: 1, retain: false, dup: false, messageId: i + 1 } as mp.IPublishPacket));
      // Room comes back now and then, so some packets go straight out and others wait in pieces.
      if (i % 3 === 2) socketOptions!.onWritable?.(ROOM);
    });
    const total = connectLength + expected.reduce((n, b) => n + b.length, 0);
    for (let i = 0; i < 1000 && wire.length < total; i++) socketOptions!.onWritable?.(ROOM);
    t.is(client.stats.sent, sizes.length);
    t.true(Buffer.from(wire.slice(connectLength)).equals(Buffer.concat(expected)), "the byte stream after CONNECT is mqtt-packet's, packet for packet");
  } finally {
    client.stop();
    host.dispose();
  }
});
