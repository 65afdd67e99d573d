/*
 * Trust from provisioning (issue 16 item 4, the Node host): a factory node given
 * a CA (and a client certificate and key) through its setup API connects to a
 * real mosquitto over TLS and over mTLS, and its telemetry reaches an
 * independent subscriber. A wrong CA, a broker certificate for another name and
 * a missing client certificate fail closed, each named in the node's state
 * (field and code) and in one log line. Certificates: openssl, at test time.
 */
import test from "ava";
import * as fs from "node:fs";
import { freePort, startMosquitto } from "../tools/brokers/broker.js";
import { makeTlsFixtures, tlsListener, type TlsFixtures } from "../tools/brokers/tls-fixtures.js";
import { provisionOverHttp, SetupError } from "../tools/provision/setup-client.js";
import { startFactoryNode } from "./helpers/factory.js";
import { json } from "./helpers/wait.js";

interface Env {
  pki: TlsFixtures;
  plainUrl: string;
  tls: number;
  mtls: number;
  misnamed: number;
  close(): Promise<void>;
}
let env: Env;

test.before(async () => {
  const pki = makeTlsFixtures({ clients: ["pump-m"] });
  const [tls, mtls, misnamed] = [await freePort(), await freePort(), await freePort()];
  const broker = await startMosquitto({
    extraConfig: [...tlsListener(pki, tls, pki.server), ...tlsListener(pki, mtls, pki.server, { requireCertificate: true }), ...tlsListener(pki, misnamed, pki.misnamedServer)],
  });
  env = {
    pki,
    plainUrl: broker.url,
    tls,
    mtls,
    misnamed,
    async close() {
      await broker.close();
      pki.cleanup();
    },
  };
});
test.after.always(async () => env?.close());

const read = (file: string) => fs.readFileSync(file, "utf8");

test.serial("TLS with the provisioned CA: connected, telemetry at an independent subscriber", async (t) => {
  const f = await startFactoryNode(t, { brokerUrl: env.plainUrl });
  const state = await provisionOverHttp({ url: f.url, key: f.key, fields: { broker: `mqtts://127.0.0.1:${env.tls}`, nodeId: "pump-t", ca: read(env.pki.caFile) } });
  t.like(state, { state: "connected", nodeId: "pump-t" });
  t.true(f.logs.some((l) => /connecting to 127\.0\.0\.1:\d+ \(TLS\)/.test(l)), "the log says TLS");
  await f.until(() => f.observer.messages.some((m) => m.topic === "sensors/pump-t/telemetry"), "telemetry");
  const telemetry = f.observer.messages.filter((m) => m.topic === "sensors/pump-t/telemetry").map((m) => json(m.payload));
  t.like(telemetry[0], { v: 1, boot: 2 });
  const settings = (await f.api("settings", { key: f.key })).body;
  t.like(settings.ca, { subject: "sensor-node test CA", count: 1, expired: false });
});

test.serial("mTLS with the provisioned client certificate and key: connected, telemetry at an independent subscriber", async (t) => {
  const f = await startFactoryNode(t, { brokerUrl: env.plainUrl });
  const client = env.pki.clients["pump-m"];
  const state = await provisionOverHttp({
    url: f.url,
    key: f.key,
    fields: { broker: `mqtts://127.0.0.1:${env.mtls}`, nodeId: "pump-m", ca: read(env.pki.caFile), cert: read(client.cert), key: read(client.key) },
  });
  t.like(state, { state: "connected", nodeId: "pump-m" });
  await f.until(() => f.observer.messages.some((m) => m.topic === "sensors/pump-m/telemetry"), "telemetry over mTLS");
  t.like((await f.api("settings", { key: f.key })).body, { cert: { subject: "pump-m" }, keySet: true });
});

test.serial("fails closed: a wrong CA, a certificate for another name, no client certificate; each named, never connected", async (t) => {
  const cases = [
    { what: "a CA that did not sign the broker", port: env.tls, fields: { ca: read(env.pki.rogueCaFile) }, field: "ca", code: "tls" },
    { what: "a broker certificate for another name", port: env.misnamed, fields: { ca: read(env.pki.caFile) }, field: "broker", code: "tls-name" },
    { what: "no client certificate where one is required", port: env.mtls, fields: { ca: read(env.pki.caFile) }, field: "cert", code: "client-certificate" },
  ];
  for (const c of cases) {
    const f = await startFactoryNode(t, { brokerUrl: env.plainUrl });
    const error = await provisionOverHttp({ url: f.url, key: f.key, fields: { broker: `mqtts://127.0.0.1:${c.port}`, nodeId: "bad-tls", ...c.fields } }).catch((e) => e);
    t.true(error instanceof SetupError, `${c.what}: ${error}`);
    t.like((error as SetupError).errors[0], { field: c.field, code: c.code }, `${c.what}: ${(error as Error).message}`);
    t.like((await f.api("state", { key: f.key })).body, { state: "error", mqtt: { connected: false, error: { field: c.field, code: c.code } } });
    t.is(f.node.app.mqtt.stats.connects, 0);
    t.false(f.observer.messages.some((m) => m.topic.startsWith("sensors/bad-tls/")), "nothing got through");
    const line = f.logs.find((l) => /connect failed: TLS connection failed: /.test(l));
    t.truthy(line, c.what);
    t.false(line!.includes("\n"));
    t.log(`${c.what}: ${(error as Error).message}`);
  }
});
