/*
 * A node fresh from the factory, set up over its setup API (docs/provisioning.md):
 * unprovisioned it samples and publishes nothing; provisioned it restarts,
 * connects and publishes (seen by an independent subscriber); the settings
 * survive restarts and a power cut; every bad input of issue 16 is refused with
 * its field and code while the node stays provisionable; the HTTP server
 * survives odd requests; the setup key guards the API and a factory reset.
 */
import test from "ava";
import * as mqtt from "mqtt";
import { startFactoryNode, type FactoryNode } from "./helpers/factory.js";
import { makePemSet, type PemSet } from "./helpers/pki.js";
import { json } from "./helpers/wait.js";
import { provisionOverHttp, SetupError } from "../tools/provision/setup-client.js";
import { SimNode } from "../tools/simulator/simulation.js";
import { freePort } from "../tools/brokers/broker.js";
import { VirtualClock } from "../sim/clock.js";
import type { SimWifi } from "../sim/wifi.js";

let pem: PemSet;
test.before(() => {
  pem = makePemSet();
});
test.after.always(() => pem?.cleanup());

const telemetryOf = (f: FactoryNode, nodeId: string) => f.observer.messages.filter((m) => m.topic === `sensors/${nodeId}/telemetry`);

test.serial("unprovisioned: the banner shows the setup key, the node samples and evaluates, and publishes nothing", async (t) => {
  const f = await startFactoryNode(t);
  t.regex(f.key, /^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/);
  const banner = f.logs.filter((l) => l.includes(f.key));
  t.is(banner.length, 1);
  t.regex(banner[0], /^warn unprovisioned: setup key .*; setup page on port \d+; access point sensor-node-[0-9a-f]{4} \(WPA2, passphrase: the setup key\) with the page at http:\/\/127\.0\.0\.1:\d+\/; sampling, publishing nothing until provisioned/);
  await f.until(() => f.node.app.windows >= 3, "three windows");
  const state = (await f.api("state")).body;
  t.like(state, { state: "unprovisioned", provisioned: false, broker: null, mqtt: { connected: false, attempts: 0, error: null } });
  t.regex(state.nodeId, /^node-02[0-9a-f]{10}$/, "the id comes from the hardware id");
  // Its own network: named for the last four hex digits of the hardware id, the setup key as WPA2 passphrase.
  t.deepEqual((f.node.host.wifi as SimWifi).openAccessPoint, { ssid: `sensor-node-${state.nodeId.slice(-4)}`, passphrase: f.key });
  t.true(state.windows >= 3 && state.vRms.x > 2 && state.vRms.x < 3, `readings: ${JSON.stringify(state.vRms)}`);
  t.is(f.node.app.mqtt.stats.attempts, 0, "no connection attempted");
  t.is(f.node.app.outbox.size, 0, "nothing kept for later");
  t.deepEqual(f.observer.messages, []);
  t.like((await f.api("settings")).body, { provisioned: false, broker: null, passwordSet: false, mqttPasswordSet: false, keySet: false, ca: null });
  const page = await fetch(f.url);
  t.is(page.status, 200);
  t.regex(page.headers.get("content-type") ?? "", /^text\/html/);
  t.regex(page.headers.get("content-security-policy") ?? "", /frame-ancestors 'none'/);
  t.regex(await page.text(), /<title>sensor-node setup<\/title>/);
});

test.serial("provisioned over the API: the node restarts, connects and publishes; reads show no secrets; the API then needs the key", async (t) => {
  const f = await startFactoryNode(t);
  const states: string[] = [];
  const connected = await provisionOverHttp({
    url: f.url,
    key: f.key,
    fields: { broker: f.brokerUrl, nodeId: "pump-7", mqttUser: "pump-7", mqttPassword: "mqtt-Pw-4411", machineGroup: 1, foundation: "flexible", rpm: 1480 },
    onState: (s) => states.push(s.state),
  });
  t.like(connected, { state: "connected", provisioned: true, nodeId: "pump-7", broker: f.brokerUrl, mqtt: { connected: true, error: null } });
  t.is(connected.boot, 2, "restarted once");
  await f.until(() => telemetryOf(f, "pump-7").length >= 2, "telemetry at the subscriber");
  t.like(json(telemetryOf(f, "pump-7")[0].payload), { v: 1, boot: 2, state: "normal" });
  // The provisioned machine class and speed are the node's configuration now.
  t.like(f.node.app.config.machine, { group: 1, foundation: "flexible", rpm: 1480 });
  t.is(f.node.app.config.machine.rpm, 1480);
  t.is(f.node.app.config.mqtt.username, "pump-7");
  // Without the key, nothing; with it, the settings without secrets.
  t.like(await f.api("state"), { status: 401, body: { ok: false, errors: [{ code: "setup-key" }] } });
  t.like(await f.api("settings", { key: "AAAA-BBBB-CCCC" }), { status: 401 });
  t.like(await f.api("provision", { body: { rpm: 1 } }), { status: 401 });
  const settings = await f.api("settings", { key: f.key.toLowerCase() }); // case and dashes do not matter
  t.is(settings.status, 200);
  t.deepEqual(settings.body, {
    v: 1, provisioned: true, ssid: null, passwordSet: false, broker: f.brokerUrl, nodeId: "pump-7", mqttUser: "pump-7",
    mqttPasswordSet: true, ca: null, cert: null, keySet: false, machineGroup: 1, foundation: "flexible", rpm: 1480,
  });
  t.log(`states seen while waiting: ${[...new Set(states)].join(" -> ")}`);
});

test.serial("provisioning survives a restart, a power cut and a new simulator process on the same flash", async (t) => {
  const f = await startFactoryNode(t);
  await provisionOverHttp({ url: f.url, key: f.key, fields: { broker: f.brokerUrl, nodeId: "fan-3" } });
  f.node.restart();
  await f.until(() => f.node.app.mqtt.connected, "connected after a restart");
  f.node.powerLoss();
  await f.until(() => f.node.app.mqtt.connected, "connected after a power cut");
  t.is(f.node.field?.provisioned, true);
  const boot = f.node.app.boot;
  await f.until(() => telemetryOf(f, "fan-3").some((m) => json(m.payload).boot === boot), "telemetry from the last boot");
  // Another process: a new SimNode on the same storage (the flash) boots provisioned.
  f.node.stop();
  const port = await freePort();
  const again = new SimNode({
    clock: new VirtualClock({ epochMs: Date.now() }),
    spec: { nodeId: "factory", seed: 5, machine: { rpm: 1500, vibration: [], temperature_c: 30 }, config: {} },
    broker: { host: "0.0.0.0", port: 1, secure: false },
    storage: f.storage,
    factory: { setupPort: port },
  });
  t.teardown(() => again.stop());
  t.is(again.field?.provisioned, true);
  t.is(again.app.nodeId, "fan-3");
  t.is(again.field?.setupKey, f.key, "the setup key is kept too");
});

test.serial("bad input: each refused with its field and code, nothing half-applied, and the node stays provisionable", async (t) => {
  const f = await startFactoryNode(t);
  const good = { broker: f.brokerUrl };
  const tls = "mqtts://127.0.0.1:8883";
  const big = "x".repeat(1024 * 1024);
  const cases: { what: string; body?: unknown; raw?: string; status: number; field?: string; code: string }[] = [
    { what: "broker URL with a bad scheme", body: { broker: "http://127.0.0.1:1883" }, status: 400, field: "broker", code: "bad-scheme" },
    { what: "broker URL with credentials in it", body: { broker: "mqtt://u:p@127.0.0.1" }, status: 400, field: "broker", code: "invalid" },
    { what: "broker port out of range", body: { broker: "mqtt://127.0.0.1:70000" }, status: 400, field: "broker", code: "invalid" },
    { what: "no broker at all", body: { nodeId: "x-1" }, status: 400, field: "broker", code: "required" },
    { what: "expired client certificate", body: { broker: tls, cert: pem.pem.expiredCert, key: pem.pem.ecSec1 }, status: 400, field: "cert", code: "expired" },
    { what: "CA not yet valid", body: { broker: tls, ca: pem.pem.futureCert }, status: 400, field: "ca", code: "not-yet-valid" },
    { what: "PEM that is not a certificate", body: { broker: tls, ca: pem.pem.csr }, status: 400, field: "ca", code: "not-a-certificate" },
    { what: "a key in the CA field", body: { broker: tls, ca: pem.pem.ecSec1 }, status: 400, field: "ca", code: "not-a-certificate" },
    { what: "a key that does not match the certificate", body: { broker: tls, cert: pem.pem.ecCert, key: pem.pem.otherEcSec1 }, status: 400, field: "key", code: "key-mismatch" },
    { what: "a certificate without its key", body: { broker: tls, cert: pem.pem.ecCert }, status: 400, field: "key", code: "required" },
    { what: "a CA with a plain mqtt:// broker", body: { broker: f.brokerUrl, ca: pem.pem.caCert }, status: 400, field: "broker", code: "needs-tls" },
    { what: "a control character in the node id", body: { broker: f.brokerUrl, nodeId: "pump\u0007" }, status: 400, field: "nodeId", code: "control-character" },
    { what: "a line break in the MQTT user", body: { broker: f.brokerUrl, mqttUser: "a\nb" }, status: 400, field: "mqttUser", code: "control-character" },
    { what: "a NUL in the Wi-Fi network name", body: { broker: f.brokerUrl, ssid: "plant\u0000" }, status: 400, field: "ssid", code: "control-character" },
    { what: "a Wi-Fi password too short for WPA2", body: { broker: f.brokerUrl, ssid: "plant", password: "short" }, status: 400, field: "password", code: "invalid" },
    { what: "a node id the config rules refuse", body: { broker: f.brokerUrl, nodeId: "pump 7" }, status: 400, field: "nodeId", code: "invalid" },
    { what: "a machine group that is not 1 or 2", body: { broker: f.brokerUrl, machineGroup: 3 }, status: 400, field: "machineGroup", code: "invalid" },
    { what: "a speed of the wrong type", body: { broker: f.brokerUrl, rpm: "fast" }, status: 400, field: "rpm", code: "type" },
    { what: "an unknown field", body: { broker: f.brokerUrl, wifiPassword: "x" }, status: 400, field: "wifiPassword", code: "unknown-field" },
    { what: "a 1 MB upload", body: { broker: f.brokerUrl, ca: big }, status: 413, code: "too-large" },
    { what: "a body that is not JSON", raw: "{broker:", status: 400, code: "bad-json" },
  ];
  for (const c of cases) {
    const r = await f.api("provision", c.raw !== undefined ? { raw: c.raw } : { body: c.body });
    t.is(r.status, c.status, `${c.what}: HTTP ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
    const error = r.body.errors?.find((e: { field?: string }) => e.field === c.field);
    t.like(error, c.field ? { field: c.field, code: c.code } : { code: c.code }, `${c.what}: ${JSON.stringify(r.body.errors).slice(0, 300)}`);
    t.true(typeof error?.message === "string" && error.message.length > 5 && !error.message.includes("\n"), `${c.what}: one clear line`);
    t.log(`${c.what}: ${r.status} ${error?.field ?? "(request)"} ${error?.code}: ${error?.message}`);
  }
  // Every problem in one form is reported at once, and nothing of it is stored.
  const many = await f.api("provision", { body: { broker: "ftp://x", nodeId: "a b", rpm: -1, ca: pem.pem.csr } });
  t.deepEqual(many.body.errors.map((e: { field: string }) => e.field).sort(), ["broker", "ca", "nodeId", "rpm"]);
  t.like((await f.api("state")).body, { state: "unprovisioned", boot: 1 });
  t.like((await f.api("settings")).body, { broker: null, nodeId: null, ca: null });
  t.is(f.node.restarts, 0);
  // Still provisionable: the good form goes through.
  const ok = await provisionOverHttp({ url: f.url, key: f.key, fields: { ...good, nodeId: "after-bad" } });
  t.is(ok.state, "connected");
});

test.serial("an unreachable broker is named (broker: unreachable) after provisioning, and a corrected form provisions", async (t) => {
  const f = await startFactoryNode(t);
  const closed = await freePort();
  const error = await provisionOverHttp({ url: f.url, key: f.key, fields: { broker: `mqtt://127.0.0.1:${closed}`, nodeId: "lost-1" } }).catch((e) => e);
  t.true(error instanceof SetupError, String(error));
  t.like((error as SetupError).errors[0], { field: "broker", code: "unreachable" });
  t.regex((error as SetupError).message, /^broker: connect ECONNREFUSED 127\.0\.0\.1:\d+ \(unreachable\)$/);
  t.like((await f.api("state", { key: f.key })).body, { state: "error", provisioned: true, mqtt: { connected: false, error: { field: "broker", code: "unreachable" } } });
  const fixed = await provisionOverHttp({ url: f.url, key: f.key, fields: { broker: f.brokerUrl } });
  t.like(fixed, { state: "connected", nodeId: "lost-1" });
  t.log(`unreachable broker: ${(error as Error).message}`);
});

test.serial("the HTTP server survives odd requests and answers each with a status and a code; the node keeps sampling", async (t) => {
  const f = await startFactoryNode(t);
  const windows = f.node.app.windows;
  const codeOf = (answer: string) => /"code":"([a-z-]+)"/.exec(answer)?.[1];
  const statusOf = (answer: string) => Number(/^HTTP\/1\.1 (\d{3}) /.exec(answer)?.[1]);
  const cases: [string, string | Uint8Array, number, string][] = [
    ["a malformed request line", "GET\r\n\r\n", 400, "bad-request"],
    ["a request line without a version", "GET /api/state\r\n\r\n", 400, "bad-request"],
    ["an absolute URL", "GET http://x/ HTTP/1.1\r\n\r\n", 400, "bad-request"],
    ["binary garbage", new Uint8Array(Array.from({ length: 300 }, (_, i) => (i * 131 + 7) & 0xff)), 400, "bad-request"],
    ["a 5 KB request line", `GET /${"a".repeat(5000)} HTTP/1.1\r\n\r\n`, 414, "too-long"],
    ["a 20 KB header", `GET / HTTP/1.1\r\nX-Big: ${"b".repeat(20000)}\r\n\r\n`, 431, "headers-too-large"],
    ["200 headers of 100 bytes", `GET / HTTP/1.1\r\n${`X-H: ${"h".repeat(95)}\r\n`.repeat(200)}\r\n`, 431, "headers-too-large"],
    ["a control character in a header", "GET / HTTP/1.1\r\nX-A: a\u0001b\r\n\r\n", 400, "bad-request"],
    ["a folded header", "GET / HTTP/1.1\r\nX-A: a\r\n b\r\n\r\n", 400, "bad-request"],
    ["a 1 MB body", `POST /api/provision HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 1048576\r\n\r\n${"{".repeat(1048576)}`, 413, "too-large"],
    ["a chunked body", "POST /api/provision HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n2\r\n{}\r\n0\r\n\r\n", 411, "length-required"],
    ["a POST without Content-Length", "POST /api/provision HTTP/1.1\r\nContent-Type: application/json\r\n\r\n", 411, "length-required"],
    ["two different Content-Lengths", "POST /api/provision HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}", 400, "bad-request"],
    ["a form post (not JSON)", "POST /api/provision HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 5\r\n\r\nbro=x", 415, "unsupported-media-type"],
    ["a body that is not UTF-8", "POST /api/provision HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 4\r\n\r\n\"\xff\xfe\"", 400, "bad-json"],
    ["an unknown page", "GET /admin HTTP/1.1\r\n\r\n", 404, "not-found"],
    ["a wrong method", "DELETE /api/state HTTP/1.1\r\n\r\n", 405, "method"],
  ];
  for (const [what, bytes, status, code] of cases) {
    const answer = await f.raw(typeof bytes === "string" ? Buffer.from(bytes, "latin1") : bytes);
    t.is(statusOf(answer), status, `${what}: ${answer.slice(0, 200)}`);
    t.is(codeOf(answer), code, what);
    t.regex(answer, /\r\nConnection: close\r\n/, what);
  }
  // Half a request and silence: the connection is dropped after its deadline (virtual time), the node goes on.
  const half = f.raw("GET /api/st");
  t.regex(await half, /^$/, "closed without an answer");
  t.like(await f.api("state"), { status: 200, body: { state: "unprovisioned" } });
  await f.until(() => f.node.app.windows > windows + 2, "windows go on");
  t.is(f.node.restarts, 0);
  t.false(f.logs.some((l) => /^error /.test(l)), f.logs.filter((l) => /^error /.test(l)).join("\n"));
});

test.serial("the setup key: wrong keys are refused, five lock the API for a minute (virtual), then the right key works", async (t) => {
  const f = await startFactoryNode(t);
  await provisionOverHttp({ url: f.url, key: f.key, fields: { broker: f.brokerUrl } });
  for (let i = 0; i < 5; i++) t.like(await f.api("state", { key: `WRONG-KEY-${i}` }), { status: 401, body: { errors: [{ code: "setup-key" }] } });
  const locked = await f.api("state", { key: f.key });
  t.like(locked, { status: 429, body: { errors: [{ code: "locked" }] } });
  const from = f.clock.now();
  await f.until(() => f.clock.now() > from + 61_000, "a virtual minute");
  t.like(await f.api("state", { key: f.key }), { status: 200, body: { state: "connected" } });
});

test.serial("factory reset: cmd/factory-reset needs the setup key (never echoed); the API and the reset button reset too; each time a new key", async (t) => {
  const f = await startFactoryNode(t);
  const first = await provisionOverHttp({ url: f.url, key: f.key, fields: { broker: f.brokerUrl, nodeId: "press-2", mqttPassword: "pw-Reset-0099", mqttUser: "press-2" } });
  t.is(first.state, "connected");
  const client = await mqtt.connectAsync(f.brokerUrl);
  t.teardown(() => client.endAsync());
  const acks: any[] = [];
  await client.subscribeAsync("sensors/press-2/cmd/factory-reset/ack", { qos: 1 });
  client.on("message", (_topic, payload) => acks.push(JSON.parse(payload.toString())));
  await client.publishAsync("sensors/press-2/cmd/factory-reset", JSON.stringify({ key: "WRONG-WRON-WRON" }), { qos: 1 });
  await f.until(() => acks.length === 1, "the refusal's ack");
  t.deepEqual(acks[0], { v: 1, ok: false, error: "key: expected this node's setup key" });
  await client.publishAsync("sensors/press-2/cmd/factory-reset", JSON.stringify({ key: f.key }), { qos: 1 });
  await f.until(() => acks.length === 2, "the reset's ack");
  t.deepEqual(acks[1], { v: 1, ok: true, restartInMs: 1000 });
  t.false(JSON.stringify(acks).includes(f.key.slice(0, 4)), "no ack carries the key");
  await f.until(() => f.node.field?.provisioned === false, "unprovisioned again");
  const key2 = f.node.field!.setupKey;
  t.not(key2, f.key, "a new setup key");
  t.like((await f.api("settings")).body, { provisioned: false, broker: null, nodeId: null, mqttPasswordSet: false });
  t.true(f.logs.some((l) => l.startsWith("warn unprovisioned: setup key " + key2)));
  // The API's reset (always with the key), then the reset button.
  await provisionOverHttp({ url: f.url, key: key2, fields: { broker: f.brokerUrl } });
  t.like(await f.api("factory-reset", { body: {} }), { status: 401 });
  t.like(await f.api("factory-reset", { body: {}, key: key2 }), { status: 200, body: { ok: true } });
  await f.until(() => f.node.field?.provisioned === false, "unprovisioned after the API's reset");
  await provisionOverHttp({ url: f.url, key: f.node.field!.setupKey, fields: { broker: f.brokerUrl } });
  f.node.host.holdResetButton();
  await f.until(() => f.node.field?.provisioned === false, "unprovisioned after the button");
  t.true(f.logs.some((l) => l === "warn reset button held: forgetting the provisioned settings; restart in 1000 ms"));
});

test.serial("Wi-Fi first (Improv's part): saveWifi stores the network without a restart, checks it like the form, and the node stays unprovisioned", async (t) => {
  const f = await startFactoryNode(t);
  const field = f.node.field!;
  t.like(field.saveWifi("plant", "short", "Improv"), { errors: [{ field: "password", code: "invalid" }] });
  t.like(field.saveWifi("pl\u0000ant", "plant-secret", "Improv"), { errors: [{ field: "ssid", code: "control-character" }] });
  t.is(field.saveWifi("plant", "plant-secret", "Improv"), undefined);
  t.is(f.node.restarts, 0);
  t.like((await f.api("settings")).body, { provisioned: false, ssid: "plant", passwordSet: true, broker: null });
  // The rest through the setup API; the Wi-Fi stays.
  await provisionOverHttp({ url: f.url, key: f.key, fields: { broker: f.brokerUrl } });
  t.like((await f.api("settings", { key: f.key })).body, { provisioned: true, ssid: "plant", passwordSet: true });
});

test.serial("Wi-Fi given on the setup page: a wrong password or an unknown network is named (password / ssid: wifi), nothing is sent meanwhile; corrected, the node joins and publishes", async (t) => {
  const f = await startFactoryNode(t); // in range: plant / plant-secret
  const wrong = await provisionOverHttp({ url: f.url, key: f.key, fields: { ssid: "plant", password: "not-the-secret", broker: f.brokerUrl, nodeId: "wifi-1" } }).catch((e) => e);
  t.true(wrong instanceof SetupError, String(wrong));
  t.like((wrong as SetupError).errors[0], { field: "password", code: "wifi" });
  t.regex((wrong as SetupError).message, /^password: wrong password \(handshake failed\) \(wifi\)$/);
  t.like((await f.api("state", { key: f.key })).body, { state: "error", wifi: { ssid: "plant", connected: false }, mqtt: { attempts: 0 } });
  t.false(JSON.stringify(f.logs).includes("not-the-secret"), "the wrong password is not logged either");
  const absent = await provisionOverHttp({ url: f.url, key: f.key, fields: { ssid: "mill", password: "plant-secret" } }).catch((e) => e);
  t.like((absent as SetupError).errors?.[0], { field: "ssid", code: "wifi" }, String(absent));
  const fixed = await provisionOverHttp({ url: f.url, key: f.key, fields: { ssid: "plant", password: "plant-secret" } });
  t.like(fixed, { state: "connected", nodeId: "wifi-1", wifi: { ssid: "plant", connected: true } });
  await f.until(() => telemetryOf(f, "wifi-1").length > 0, "telemetry once the network is up");
});
