/*
 * Issue 16's first "Must show": `sensor-node provision` against `sensor-node sim
 * --factory` over the pseudo-terminal (Improv for the Wi-Fi, then the setup API
 * for the rest), against a plain broker, then against mosquitto with TLS (CA)
 * and with mTLS, each ending in telemetry at an independent subscriber; a wrong
 * CA ends in exit 1 with the node's own error naming the field. Certificates:
 * openssl at test time; the pty: socat (both installed by .ci/run).
 */
import test from "ava";
import { spawn } from "node:child_process";
import * as mqtt from "mqtt";
import { freePort, startMosquitto } from "../tools/brokers/broker.js";
import { makeTlsFixtures, tlsListener, type TlsFixtures } from "../tools/brokers/tls-fixtures.js";
import { BIN, runCli } from "./helpers/cli.js";
import { EVENT_CEILING_MS, until } from "./helpers/wait.js";

interface Env {
  pki: TlsFixtures;
  plainUrl: string;
  tls: number;
  mtls: number;
  subscriber: mqtt.MqttClient;
  topics: string[];
  close(): Promise<void>;
}
let env: Env;

test.before(async () => {
  const pki = makeTlsFixtures({ clients: ["press-m"] });
  const [tls, mtls] = [await freePort(), await freePort()];
  const broker = await startMosquitto({ extraConfig: [...tlsListener(pki, tls, pki.server), ...tlsListener(pki, mtls, pki.server, { requireCertificate: true })] });
  // The independent subscriber, on the plain loopback listener.
  const subscriber = await mqtt.connectAsync(broker.url);
  const topics: string[] = [];
  subscriber.on("message", (topic) => topics.push(topic));
  await subscriber.subscribeAsync("sensors/+/telemetry");
  env = {
    pki,
    plainUrl: broker.url,
    tls,
    mtls,
    subscriber,
    topics,
    async close() {
      await subscriber.endAsync();
      await broker.close();
      pki.cleanup();
    },
  };
});
test.after.always(async () => env?.close());

/** `sim --factory` (its own subscriber on the plain listener) until it has printed its pty. */
async function factory(t: { teardown(fn: () => unknown): void }) {
  const child = spawn(process.execPath, [BIN, "sim", "--factory", "--broker", env.plainUrl], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  child.stdout.resume();
  const closed = new Promise<void>((r) => child.on("close", () => r()));
  t.teardown(() => (child.kill("SIGINT"), closed));
  await until(() => /^serial: \S+$/m.test(stderr) && /^setup: \S+$/m.test(stderr), `sim --factory's serial and setup lines:\n${stderr}`);
  return { port: /^serial: (\S+)$/m.exec(stderr)![1], stderr: () => stderr };
}

const WIFI = ["--ssid", "plant", "--password", "plant-secret"];

const cases = [
  { what: "a plain broker", nodeId: "press-p", broker: () => env.plainUrl, files: () => [] as string[] },
  { what: "mosquitto over TLS with the CA", nodeId: "press-t", broker: () => `mqtts://127.0.0.1:${env.tls}`, files: () => ["--ca", env.pki.caFile] },
  {
    what: "mosquitto over mTLS with the CA, a client certificate and its key",
    nodeId: "press-m",
    broker: () => `mqtts://127.0.0.1:${env.mtls}`,
    files: () => ["--ca", env.pki.caFile, "--cert", env.pki.clients["press-m"].cert, "--key", env.pki.clients["press-m"].key],
  },
];

for (const c of cases) {
  test.serial(`sensor-node provision over the pty, then the setup API: ${c.what}, ending in telemetry at an independent subscriber`, async (t) => {
    const sim = await factory(t);
    const r = await runCli(["provision", "--port", sim.port, ...WIFI, "--broker", c.broker(), "--node-id", c.nodeId, "--machine-group", "1", ...c.files()], EVENT_CEILING_MS * 6);
    t.is(r.code, 0, r.stderr);
    t.regex(r.stdout, /^http:\/\/127\.0\.0\.1:\d+\/\n$/, "the redirect URL: the node's setup page");
    t.regex(r.stderr, /provisioned on "plant"/);
    t.regex(r.stderr, new RegExp(`${c.nodeId}: connected to ${c.broker().replace(/[.]/g, "\\.")}`));
    await until(() => env.topics.includes(`sensors/${c.nodeId}/telemetry`), `telemetry from ${c.nodeId} at the subscriber`);
    t.false(r.stderr.includes("plant-secret") || sim.stderr().includes("plant-secret"), "no Wi-Fi password in any output");
    t.log(r.stderr.trim().split("\n").join(" | "));
  });
}

test.serial("sensor-node provision with a CA that did not sign the broker: exit 1 with the node's own error naming the field", async (t) => {
  const sim = await factory(t);
  const r = await runCli(["provision", "--port", sim.port, ...WIFI, "--broker", `mqtts://127.0.0.1:${env.tls}`, "--node-id", "press-x", "--ca", env.pki.rogueCaFile], EVENT_CEILING_MS * 6);
  t.is(r.code, 1, r.stderr);
  t.regex(r.stderr, /^sensor-node provision: ca: TLS connection failed: .+ \(tls\)$/m);
  t.false(r.stderr.includes("    at "), "no stack trace");
  t.false(env.topics.includes("sensors/press-x/telemetry"));
});

test.serial("sensor-node provision with a PEM file that cannot be read: exit 2 before the node is touched", async (t) => {
  const r = await runCli(["provision", "--port", "/dev/null", ...WIFI, "--broker", env.plainUrl, "--ca", "/nonexistent/ca.pem"]);
  t.is(r.code, 2);
  t.is(r.stderr, "sensor-node provision: --ca: cannot read /nonexistent/ca.pem: ENOENT (no such file or folder)\n");
});
