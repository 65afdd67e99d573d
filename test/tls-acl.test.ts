/*
 * TLS, credentials and ACLs end to end: the firmware on the Node host, in
 * virtual time, against a real mosquitto with a TLS listener, an mTLS listener
 * (client certificate required), a password file and the ACL recommended in
 * docs/security.md. Certificates are made at test time with the openssl CLI.
 * An operator (mqtt.js, password auth on the plain loopback listener) watches.
 */
import test from "ava";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import * as mqtt from "mqtt";
import { freePort, startMosquitto } from "../tools/brokers/broker.js";
import { Observer, SimNode, type NodeSpec } from "../tools/simulator/simulation.js";
import { drive, waitIdle } from "../tools/simulator/drive.js";
import { VirtualClock } from "../sim/clock.js";
import { makeTlsFixtures, recommendedAcl, tlsListener, writePasswordFile, type TlsFixtures } from "../tools/brokers/tls-fixtures.js";
import { EVENT_CEILING_MS, until, json } from "./helpers/wait.js";

const PASSWORDS: Record<string, string> = {
  operator: "op-Secret-7f3a",
  "node-tls": "pw-node-tls-Q8v1",
  "node-rogue": "pw-node-rogue-Z2k9",
  "node-mtls": "pw-node-mtls-L0p4",
  "node-nocert": "pw-node-nocert-C3x7",
  "node-badpw": "pw-node-badpw-right-9Hh2",
  "press-1": "pw-press-1-Mm5t",
  "press-2": "pw-press-2-Rr8y",
};
const WRONG_PASSWORD = "pw-node-badpw-WRONG-4Jd6";
const MACHINE: NodeSpec["machine"] = { rpm: 1500, vibration: [{ axis: "x", kind: "sine", freq_hz: 25, vrms_mm_s: 3 }], temperature_c: 35 };

interface Env {
  pki: TlsFixtures;
  plainUrl: string;
  tlsPort: number;
  mtlsPort: number;
  observer: Observer;
  close(): Promise<void>;
}

let env: Env;
/** Every log line of every node in this file (the password check reads them all). */
const allLogs: string[] = [];

test.before(async () => {
  const pki = makeTlsFixtures({ clients: ["node-mtls"] });
  const passwd = writePasswordFile(path.join(pki.dir, "passwd"), PASSWORDS);
  const acl = path.join(pki.dir, "acl");
  fs.writeFileSync(acl, recommendedAcl("sensors", ["operator"]));
  const tlsPort = await freePort();
  const mtlsPort = await freePort();
  const broker = await startMosquitto({
    extraConfig: [
      "allow_anonymous false",
      `password_file ${passwd}`,
      `acl_file ${acl}`,
      ...tlsListener(pki, tlsPort, pki.server),
      ...tlsListener(pki, mtlsPort, pki.server, { requireCertificate: true }),
    ],
  });
  const plainUrl = `mqtt://operator:${PASSWORDS.operator}@127.0.0.1:${broker.port}`;
  const observer = await Observer.connect(plainUrl, "sensors/#", () => Date.now());
  env = {
    pki,
    plainUrl,
    tlsPort,
    mtlsPort,
    observer,
    async close() {
      await observer.close();
      await broker.close();
      pki.cleanup();
    },
  };
});

test.after.always(async () => {
  await env?.close();
});

function startNode(t: any, nodeId: string, port: number, mqttConfig: Record<string, unknown>) {
  const clock = new VirtualClock({ epochMs: Date.parse("2026-01-01T00:00:00Z") });
  const logs: string[] = [];
  const spec: NodeSpec = { nodeId, seed: 7, machine: MACHINE, config: { mqtt: mqttConfig } };
  const node = new SimNode({
    clock,
    spec,
    broker: { host: "127.0.0.1", port, secure: true },
    log: (level, message) => {
      logs.push(`${level} ${message}`);
      allLogs.push(`${nodeId} ${level} ${message}`);
    },
  });
  t.teardown(() => node.stop());
  node.start();
  const runTo = async (ms: number) => {
    await drive({ clock, until: ms, speed: "max", busy: () => node.busy, maxWaitMs: EVENT_CEILING_MS });
    await waitIdle(() => node.busy, EVENT_CEILING_MS);
  };
  const seen = (suffix: string) => env.observer.messages.filter((m) => m.topic === `sensors/${nodeId}/${suffix}`);
  return { node, clock, logs, runTo, seen };
}

/** "retry in N ms" figures from the node's log, in order. */
const retryDelays = (logs: string[]) => logs.map((l) => /retry in (\d+) ms/.exec(l)).filter((m) => m !== null).map((m) => Number(m![1]));

/** A loopback TCP tap in front of `port` that records the first byte each connection sends. */
async function tap(port: number) {
  const firstBytes: number[] = [];
  const server = net.createServer((c) => {
    const up = net.connect(port, "127.0.0.1");
    let first = true;
    c.on("data", (d) => {
      if (first) firstBytes.push(d[0]);
      first = false;
    });
    c.pipe(up).pipe(c);
    c.on("error", () => up.destroy());
    up.on("error", () => c.destroy());
    c.on("close", () => up.destroy());
    up.on("close", () => c.destroy());
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return { port: (server.address() as net.AddressInfo).port, firstBytes, close: () => new Promise<void>((r) => server.close(() => r())) };
}

test.serial("over TLS with CA verification the node connects and publishes", async (t) => {
  const { node, logs, runTo, seen } = startNode(t, "node-tls", env.tlsPort, { username: "node-tls", password: PASSWORDS["node-tls"], tls: { caFile: env.pki.caFile } });
  await runTo(8000);
  await until(() => seen("telemetry").length >= 4, "telemetry over TLS");
  t.true(logs.some((l) => /connecting to 127\.0\.0\.1:\d+ \(TLS\)/.test(l)), "the log says TLS");
  t.is(node.app.mqtt.stats.connects, 1);
  t.is(node.app.mqtt.stats.attempts, 1);
  const seqs = seen("telemetry").map((m) => json(m.payload).seq as number);
  for (let i = 1; i < seqs.length; i++) t.is(seqs[i], seqs[i - 1] + 1);
  t.is(json(seen("status").at(-1)!.payload).state, "online");
});

test.serial("a broker certificate from an unknown CA fails closed: clear TLS error, never plain MQTT, retries with backoff", async (t) => {
  const wire = await tap(env.tlsPort);
  t.teardown(() => wire.close());
  const { node, logs, runTo, seen } = startNode(t, "node-rogue", wire.port, { username: "node-rogue", password: PASSWORDS["node-rogue"], tls: { caFile: env.pki.rogueCaFile } });
  await runTo(180_000);
  const stats = node.app.mqtt.stats;
  t.is(stats.connects, 0);
  t.is(seen("telemetry").length + seen("status").length, 0, "nothing got through");
  const failures = logs.filter((l) => /connect failed: TLS connection failed: .*(certificate|self[- ]signed|verify)/i.test(l));
  t.true(failures.length >= 3, `clear TLS errors in the log:\n${logs.slice(0, 4).join("\n")}`);
  // Every byte stream the node opened started with a TLS record (0x16 handshake), never an MQTT CONNECT (0x10).
  t.is(wire.firstBytes.length, stats.attempts);
  t.true(wire.firstBytes.every((b) => b === 0x16), `first bytes ${wire.firstBytes.map((b) => b.toString(16))}`);
  // Backoff: 180 s of trying is a handful of attempts, not a tight loop; the waits grow to the cap.
  const delays = retryDelays(logs);
  t.true(stats.attempts >= 4 && stats.attempts <= 20, `${stats.attempts} attempts in 180 s (delays ${delays})`);
  t.true(delays.every((d) => d >= 1000), `delays ${delays}`);
  t.true(Math.max(...delays) >= 16_000, `delays grow: ${delays}`);
  t.false(logs.some((l) => l.includes("\n")), "one line per error");
  t.log(`wrong CA: ${stats.attempts} attempts in 180 s virtual; retry delays ${delays.join(", ")} ms; first log line: ${failures[0]}`);
});

test.serial("a client certificate required by the broker: provided it connects, missing it is refused", async (t) => {
  const good = startNode(t, "node-mtls", env.mtlsPort, {
    username: "node-mtls",
    password: PASSWORDS["node-mtls"],
    tls: { caFile: env.pki.caFile, certFile: env.pki.clients["node-mtls"].cert, keyFile: env.pki.clients["node-mtls"].key },
  });
  await good.runTo(6000);
  await until(() => good.seen("telemetry").length >= 2, "telemetry over mTLS");
  t.is(good.node.app.mqtt.stats.connects, 1);

  const bad = startNode(t, "node-nocert", env.mtlsPort, { username: "node-nocert", password: PASSWORDS["node-nocert"], tls: { caFile: env.pki.caFile } });
  await bad.runTo(60_000);
  t.is(bad.node.app.mqtt.stats.connects, 0);
  t.is(bad.seen("telemetry").length, 0);
  const failed = bad.logs.filter((l) => /connect failed: TLS connection failed: .*certificate required/.test(l));
  t.true(failed.length >= 2 && bad.node.app.mqtt.stats.attempts <= 10, `${bad.node.app.mqtt.stats.attempts} attempts in 60 s`);
  t.false(bad.logs.some((l) => l.includes("\n")), "one line per error");
  t.log(`no client certificate: ${bad.node.app.mqtt.stats.attempts} attempts in 60 s; ${failed[0]}`);
});

test.serial("a bad password: the CONNACK refusal is reported by name, backed off long, and the password is never logged", async (t) => {
  const { node, logs, runTo, seen } = startNode(t, "node-badpw", env.tlsPort, { username: "node-badpw", password: WRONG_PASSWORD, tls: { caFile: env.pki.caFile } });
  await runTo(240_000);
  const stats = node.app.mqtt.stats;
  t.is(stats.connects, 0);
  t.is(seen("telemetry").length, 0);
  t.true(stats.refused >= 2, `${stats.refused} refusals`);
  t.true(logs.some((l) => /broker refused the connection: [45] \((not authorized|bad user name or password)\)/.test(l)), logs.filter((l) => /refused/.test(l))[0]);
  const delays = retryDelays(logs);
  // First refusal waits 4-8 s, later ones 30-60 s: about 6 attempts in 4 minutes at most.
  t.true(delays[0] >= 4000, `first delay ${delays[0]}`);
  t.true(delays.slice(1).every((d) => d >= 30_000), `delays ${delays}`);
  t.true(stats.attempts <= 7, `${stats.attempts} attempts in 240 s`);
  t.log(`bad password: ${logs.find((l) => /refused the connection/.test(l))}; ${stats.attempts} attempts, ${stats.refused} refusals in 240 s virtual; delays ${delays.join(", ")} ms`);
});

test.serial("a node's credentials cannot command another node (ACL), while the operator's can", async (t) => {
  const p2 = startNode(t, "press-2", env.tlsPort, { username: "press-2", password: PASSWORDS["press-2"], tls: { caFile: env.pki.caFile } });
  await p2.runTo(4000);
  await until(() => p2.seen("status").length >= 1, "press-2 online");
  const bootBefore = p2.node.app.boot;

  // press-1's credentials, over TLS, at press-2's command topics.
  const intruder = await mqtt.connectAsync(`mqtts://127.0.0.1:${env.tlsPort}`, { username: "press-1", password: PASSWORDS["press-1"], clientId: "press-1-tool", ca: fs.readFileSync(env.pki.caFile), reconnectPeriod: 0 });
  t.teardown(() => intruder.endAsync(true));
  await intruder.publishAsync("sensors/press-2/cmd/restart", "{}", { qos: 1 });
  await intruder.publishAsync("sensors/press-2/cmd/config", JSON.stringify({ telemetry: { deadbandPct: 50 } }), { qos: 1 });
  // The operator's command afterwards is the control: once its ack is seen, the intruder's would have been too.
  const operator = await mqtt.connectAsync(env.plainUrl, { clientId: "operator-tool", reconnectPeriod: 0 });
  t.teardown(() => operator.endAsync(true));
  await operator.publishAsync("sensors/press-2/cmd/ack-alarm", "{}", { qos: 1 });
  for (let ms = 5000; ms <= 12_000 && p2.seen("cmd/ack-alarm/ack").length === 0; ms += 1000) await p2.runTo(ms);
  await until(() => p2.seen("cmd/ack-alarm/ack").length === 1, "the operator's command acknowledged");
  await p2.runTo(20_000);
  t.is(p2.seen("cmd/restart/ack").length, 0);
  t.is(p2.seen("cmd/config/ack").length, 0);
  t.is(p2.node.restarts, 0);
  t.is(p2.node.app.boot, bootBefore);
  t.is(p2.node.app.config.telemetry.deadbandPct, 0);
  t.false(p2.logs.some((l) => /command (restart|config)/.test(l)), "the node never saw the forged commands");
  t.true(p2.logs.some((l) => /command ack-alarm/.test(l)));
});

test.serial("a node's credentials cannot publish on another node's telemetry topic", async (t) => {
  const intruder = await mqtt.connectAsync(`mqtts://127.0.0.1:${env.tlsPort}`, { username: "press-1", password: PASSWORDS["press-1"], clientId: "press-1", ca: fs.readFileSync(env.pki.caFile), reconnectPeriod: 0 });
  t.teardown(() => intruder.endAsync(true));
  const forged = JSON.stringify({ v: 1, boot: 1, seq: 1, state: "alarm", forged: true });
  await intruder.publishAsync("sensors/press-2/telemetry", forged, { qos: 1 });
  await intruder.publishAsync("sensors/press-2/alarm", forged, { qos: 1 });
  await intruder.publishAsync("sensors/press-2/status", forged, { qos: 1, retain: true });
  // Its own topic is allowed: the control message arrives after the forged ones would have.
  await intruder.publishAsync("sensors/press-1/telemetry", JSON.stringify({ v: 1, control: true }), { qos: 1 });
  await until(() => env.observer.messages.some((m) => m.topic === "sensors/press-1/telemetry"), "press-1's own telemetry");
  await new Promise((r) => setTimeout(r, 200));
  t.false(env.observer.messages.some((m) => m.topic.startsWith("sensors/press-2/") && json(m.payload).forged), "no forged message reached the subscriber");
});

// Runs last (serial tests run in order) and reads what every node above logged and published.
test.serial("no password ever appears in a log line or a published message", (t) => {
  t.true(allLogs.length > 0, "the tests above ran and logged");
  t.log(`${allLogs.length} log lines and ${env.observer.messages.length} messages checked`);
  for (const secret of [...Object.values(PASSWORDS), WRONG_PASSWORD]) {
    const leak = allLogs.find((l) => l.includes(secret));
    t.is(leak, undefined, `password leaked: ${leak}`);
  }
  // Nor in anything the nodes published.
  for (const m of env.observer.messages) {
    const text = Buffer.from(m.payload).toString("utf8");
    for (const secret of [...Object.values(PASSWORDS), WRONG_PASSWORD]) t.false(text.includes(secret), m.topic);
  }
});
