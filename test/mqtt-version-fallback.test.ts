/*
 * A node configured for MQTT 5 against brokers that do not speak it (issue
 * 18): aedes answers an MQTT 5 CONNECT with a 3.1.1 CONNACK (return code 1)
 * and closes; aedes with a preConnect hook closes without a word; a 5.0
 * broker may say 0x84. The node says one clear line, falls back to 3.1.1 by
 * itself and delivers telemetry, seen by an independent mqtt.js subscriber;
 * against mosquitto (which speaks 5) nothing changes. The versions on the
 * wire are read by mqtt-packet from what the node writes. Virtual time: the
 * retries are counted in it, never waited for in real time.
 */
import test from "ava";
import * as mqttPacket from "mqtt-packet";
import { MqttClient } from "../firmware/mqtt/client.js";
import { ClientContext } from "../firmware/mqtt/context.js";
import { MqttParser } from "../firmware/mqtt/parser.js";
import { VersionFallback } from "../firmware/mqtt/version-fallback.js";
import { mosquittoPath, startMosquitto } from "../tools/brokers/broker.js";
import { Observer, SimNode, nodeSpecs } from "../tools/simulator/simulation.js";
import { drive, waitIdle } from "../tools/simulator/drive.js";
import { VirtualClock } from "../sim/clock.js";
import { createTestHost, runVirtual, startFakeBroker, type FakeBrokerCodec } from "./helpers/mqtt.js";
import { startRig } from "./helpers/rig.js";
import { EVENT_CEILING_MS, json, until } from "./helpers/wait.js";
import { tapConnections, type TappedConnection } from "./helpers/wire-tap.js";

const APP_LINE = "warn mqtt: the broker does not support MQTT 5; set mqtt.version 4";
const MQTT5_NODE = { ...nodeSpecs(undefined, 1, 5)[0], config: { mqtt: { version: 5 } } };

/** A scripted broker speaking mqtt-packet: its parser takes the version from each CONNECT; a reply with a reason code goes out as MQTT 5. */
const mqttPacketAnyVersion: FakeBrokerCodec<any> = {
  encode: (p) => mqttPacket.generate(p, { protocolVersion: p.reasonCode === undefined ? 4 : 5 }),
  reader(emit, fail) {
    const parser = mqttPacket.parser();
    parser.on("packet", emit);
    parser.on("error", fail);
    return (data) => parser.parse(Buffer.from(data));
  },
};

const versions = (wire: TappedConnection[]) => wire.map((c) => (c.written[0] as mqttPacket.IConnectPacket).protocolVersion);

test("the MQTT 5 parser reads a 2-byte CONNACK with a 3.1.1 refusal as mqtt-packet's 3.1.1 parser does; a 2-byte success stays malformed", (t) => {
  const parse = (bytes: number[], version: 4 | 5) => {
    const p = new MqttParser<any>({ protocolVersion: version });
    p.push(new Uint8Array(bytes));
    return p.next();
  };
  const oracle = (bytes: number[]) => {
    let packet: mqttPacket.Packet | undefined;
    const p = mqttPacket.parser({ protocolVersion: 4 });
    p.on("packet", (x) => (packet = x));
    p.parse(Buffer.from(bytes));
    const { cmd, sessionPresent, returnCode } = packet as mqttPacket.IConnackPacket;
    return { cmd, sessionPresent, returnCode };
  };
  for (let code = 1; code <= 5; code++) t.deepEqual(parse([0x20, 2, 0, code], 5), oracle([0x20, 2, 0, code]), `return code ${code}`);
  t.is(parse([0x20, 2, 0, 0], 5)?.cmd, "error", "an MQTT 5 CONNACK needs its property length");
  t.is(parse([0x20, 2, 0, 6], 5)?.cmd, "error", "not a 3.1.1 return code");
});

test("the version for the next CONNECT: an answer in 3.1.1 settles it; silence counts only before an MQTT 5 CONNECT was answered, and a silent 3.1.1 try goes back to 5", (t) => {
  const fallback = () => {
    const host = createTestHost();
    const context = new ClientContext({ host, server: { host: "127.0.0.1", port: 1 }, clientId: "", keepalive: 0, cleanSession: true, protocolVersion: 5, versionAdvice: "set the version to 4" });
    const lines = () => host.logs.map((l) => `${l.level} ${l.message}`);
    return { versions: new VersionFallback(context), lines };
  };

  const outage = fallback();
  outage.versions.answered();
  for (let i = 0; i < 5; i++) outage.versions.unanswered();
  t.is(outage.versions.version, 5, "MQTT 5 was answered: later silence is an outage, not the version");
  t.deepEqual(outage.lines(), []);

  const silent = fallback();
  silent.versions.unanswered();
  t.is(silent.versions.version, 5, "one silent close proves nothing");
  silent.versions.unanswered();
  t.is(silent.versions.version, 4);
  t.deepEqual(silent.lines(), ["warn mqtt: the broker left 2 MQTT 5 CONNECTs unanswered: trying MQTT 3.1.1"]);
  silent.versions.unanswered();
  t.is(silent.versions.version, 5);
  t.regex(silent.lines().at(-1)!, /MQTT 3\.1\.1 got no answer either.*back to MQTT 5/);
  silent.versions.unanswered();
  silent.versions.unanswered();
  t.is(silent.versions.version, 4, "two more silent closes: 3.1.1 again");
  silent.versions.answered();
  t.true(silent.versions.fellBack);
  t.deepEqual(silent.lines().slice(-2), [
    "warn mqtt: the broker does not support MQTT 5; set the version to 4",
    "info mqtt: falling back to MQTT 3.1.1 until restart (it left 2 MQTT 5 CONNECTs unanswered, then answered MQTT 3.1.1)",
  ]);
  silent.versions.unanswered();
  t.is(silent.versions.version, 4, "settled until restart");

  const refused = fallback();
  refused.versions.refused("a 3.1.1 CONNACK");
  t.true(refused.versions.fellBack);
  t.is(refused.versions.version, 4);
  t.deepEqual(refused.lines(), ["warn mqtt: the broker does not support MQTT 5; set the version to 4", "info mqtt: falling back to MQTT 3.1.1 until restart (a 3.1.1 CONNACK)"]);
});

test("aedes answers an MQTT 5 CONNECT with a 3.1.1 CONNACK: the node says so in one line, goes on with 3.1.1 and delivers telemetry", async (t) => {
  const logs: string[] = [];
  const { node, runTo, on } = await startRig(t, { spec: MQTT5_NODE, start: false, log: (level, m) => logs.push(`${level} ${m}`) });
  const wire = tapConnections(node.host.io);
  node.start();
  await runTo(10_000);
  await until(() => on("telemetry").length >= 3, "telemetry over MQTT 3.1.1");
  // What aedes actually sends: CONNACK, remaining length 2, return code 1 (unacceptable protocol version).
  t.deepEqual(wire[0].read, [0x20, 0x02, 0x00, 0x01]);
  t.deepEqual(versions(wire), [5, 4]);
  t.is(logs.filter((l) => l === APP_LINE).length, 1, logs.join("\n"));
  t.true(logs.includes("info mqtt: falling back to MQTT 3.1.1 until restart (it answered in MQTT 3.1.1: CONNACK return code 1, unacceptable protocol version)"));
  t.false(logs.some((l) => /malformed/i.test(l)), "no 'malformed packet'");
  t.true(on("telemetry").every((m) => m.boot === node.app.boot && typeof m.vib.x.vRms === "number"));

  // A lost connection later: the next CONNECT is 3.1.1 straight away, and nothing is said again.
  const before = on("telemetry").length;
  node.host.killConnections();
  await runTo(40_000);
  await until(() => on("telemetry").length > before + 3, "telemetry after the reconnect");
  t.deepEqual(versions(wire).slice(2), wire.slice(2).map(() => 4));
  t.is(logs.filter((l) => l === APP_LINE).length, 1);
});

test("a 3.1.1 broker that closes MQTT 5 connections without a word (aedes, preConnect): after two, 3.1.1 is tried, answered, and kept", async (t) => {
  const logs: string[] = [];
  const { node, runTo, on } = await startRig(t, {
    spec: MQTT5_NODE,
    start: false,
    log: (level, m) => logs.push(`${level} ${m}`),
    aedes: { preConnect: (_client, packet, done) => (packet.protocolVersion === 5 ? done(new Error("MQTT 5 not supported"), false) : done(null, true)) },
  });
  const wire = tapConnections(node.host.io);
  node.start();
  await runTo(15_000);
  await until(() => on("telemetry").length >= 3, "telemetry over MQTT 3.1.1");
  t.deepEqual(versions(wire), [5, 5, 4]);
  t.deepEqual([wire[0].read, wire[1].read], [[], []], "closed without an answer");
  t.true(logs.some((l) => /left 2 MQTT 5 CONNECTs unanswered: trying MQTT 3\.1\.1/.test(l)));
  t.true(logs.includes("info mqtt: falling back to MQTT 3.1.1 until restart (it left 2 MQTT 5 CONNECTs unanswered, then answered MQTT 3.1.1)"));
  t.is(logs.filter((l) => l === APP_LINE).length, 1, logs.join("\n"));
});

test("a 5.0 broker answering 0x84 Unsupported Protocol Version: a refusal by name, then 3.1.1 after the long backoff", async (t) => {
  // 0x84 to MQTT 5, accepted in 3.1.1.
  const fake = await startFakeBroker<any>((conn, p) => {
    if (p.cmd !== "connect") return;
    conn.send(p.protocolVersion === 5 ? { cmd: "connack", sessionPresent: false, reasonCode: 0x84 } : { cmd: "connack", sessionPresent: false, returnCode: 0 });
  }, mqttPacketAnyVersion);
  t.teardown(() => fake.close());
  const clock = new VirtualClock();
  const host = createTestHost(clock);
  const refused: string[] = [];
  const client = new MqttClient({
    host,
    server: { host: "127.0.0.1", port: fake.port },
    clientId: "node-84",
    keepalive: 30,
    cleanSession: true,
    protocolVersion: 5,
    backoff: { minMs: 100, maxMs: 2000 },
    random: () => 0,
    versionAdvice: "set protocolVersion 4",
    onRefused: (_code, name) => refused.push(name),
  });
  t.teardown(() => (client.stop(), host.dispose()));
  client.start();
  await runVirtual(clock, 1000, () => client.awaitingReply);
  t.true(client.connected);
  t.is(client.protocolVersion, 4);
  t.deepEqual(fake.received.filter((r) => r.packet.cmd === "connect").map((r) => r.packet.protocolVersion), [5, 4]);
  t.deepEqual(refused, ["Unsupported Protocol Version"]);
  t.is(host.logs.filter((l) => l.message === "mqtt: the broker does not support MQTT 5; set protocolVersion 4").length, 1);
  t.true(host.logs.some((l) => l.message === "mqtt: falling back to MQTT 3.1.1 until restart (CONNACK 0x84 Unsupported Protocol Version)"));
  const connects = fake.received.filter((r) => r.packet.cmd === "connect");
  t.is(connects.length, 2);
  t.true(host.logs.some((l) => l.level === "error" && l.message.includes("0x84 Unsupported Protocol Version")));
  t.true(host.logs.some((l) => /retry in 400 ms/.test(l.message)), "a refusal's long backoff: half of 100 * 2^3");
});

test("a broker that never answers an MQTT 5 CONNECT (the connection stays open): two connect timeouts, then 3.1.1, answered and kept", async (t) => {
  const fake = await startFakeBroker<any>((conn, p) => {
    if (p.cmd === "connect" && p.protocolVersion === 4) conn.send({ cmd: "connack", sessionPresent: false, returnCode: 0 });
  }, mqttPacketAnyVersion);
  t.teardown(() => fake.close());
  const clock = new VirtualClock();
  const host = createTestHost(clock);
  const client = new MqttClient({ host, server: { host: "127.0.0.1", port: fake.port }, clientId: "silent-5", keepalive: 30, cleanSession: true, protocolVersion: 5, connectTimeoutMs: 5000, backoff: { minMs: 100, maxMs: 100 }, random: () => 0 });
  t.teardown(() => (client.stop(), host.dispose()));
  client.start();
  const connects = () => fake.received.filter((r) => r.packet.cmd === "connect");
  // Virtual time waits for each CONNECT to reach the broker, and for a CONNACK only where one will come
  // (3.1.1): the MQTT 5 attempts run into their timeout.
  await runVirtual(clock, 20_000, () => client.awaitingReply && (connects().length < client.stats.attempts || client.protocolVersion === 4));
  t.true(client.connected);
  t.deepEqual(connects().map((r) => r.packet.protocolVersion), [5, 5, 4]);
  t.deepEqual(host.logs.filter((l) => /no CONNACK in time/.test(l.message)).length, 2);
  t.true(host.logs.some((l) => l.message === "mqtt: falling back to MQTT 3.1.1 until restart (it left 2 MQTT 5 CONNECTs unanswered, then answered MQTT 3.1.1)"));
});

(mosquittoPath() !== undefined ? test : test.skip)("mosquitto speaks MQTT 5: no fallback, every CONNECT is 5, telemetry delivered", async (t) => {
  const broker = await startMosquitto();
  t.teardown(() => broker.close());
  const clock = new VirtualClock({ epochMs: Date.parse("2026-01-01T00:00:00Z") });
  const logs: string[] = [];
  const node = new SimNode({ clock, spec: MQTT5_NODE, broker: { host: broker.host, port: broker.port, secure: false }, log: (level, m) => logs.push(`${level} ${m}`) });
  t.teardown(() => node.stop());
  const wire = tapConnections(node.host.io);
  const observer = await Observer.connect(broker.url, "sensors/#", () => clock.wall()!);
  t.teardown(() => observer.close());
  const busy = () => node.busy;
  const run = async (until: number) => {
    await drive({ clock, until, speed: "max", busy, maxWaitMs: EVENT_CEILING_MS });
    await waitIdle(busy, EVENT_CEILING_MS);
  };
  const telemetry = () => observer.messages.filter((m) => m.topic.endsWith("/telemetry")).map((m) => json(m.payload));
  node.start();
  await run(10_000);
  await until(() => telemetry().length >= 3, "telemetry over MQTT 5");
  node.host.killConnections();
  await run(40_000);
  await until(() => wire.length >= 2 && telemetry().length >= 6, "telemetry after the reconnect");
  t.true(versions(wire).every((v) => v === 5), String(versions(wire)));
  t.is(node.app.mqtt.protocolVersion, 5);
  t.false(logs.some((l) => /MQTT 3\.1\.1|does not support MQTT 5/.test(l)), logs.filter((l) => l.includes("mqtt")).join("\n"));
});
