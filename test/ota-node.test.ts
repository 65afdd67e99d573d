/*
 * Updates over the air on simulated nodes against a real mosquitto (docs/ota.md):
 * the package is made and signed by node:crypto, served over real HTTP, and
 * what the node says is read by an independent subscriber. The new image is a
 * bundle the simulator boots in a fresh context, so "the behaviour changed" is
 * seen on the wire.
 */
import test from "ava";
import crypto from "node:crypto";
import { bundle, DEV_KEY, lastStatus, makePackage, startOtaRig } from "./helpers/ota.js";
import { servePackage, type Misbehaviour } from "./helpers/package-server.js";
import { serveImage } from "../tools/ota/image-server.js";

/** Good packages are served by `ota push`'s own image server; test/helpers/package-server.ts serves the bad answers. */
const LOOPBACK = { host: "127.0.0.1", port: 0 };
import { until } from "./helpers/wait.js";
import { createNodeHost } from "../hosts/node/host.js";
import { OtaAgent } from "../firmware/ota/agent.js";
import { SimI2CBus } from "../sim/bus.js";
import { VirtualClock } from "../sim/clock.js";
import { MemoryStorage } from "../sim/storage.js";

/** Runs after the bundle: the new image says hello on a topic of its own at every start (a behaviour the old one lacks). */
const HELLO = `{
  const start = SensorNodeFirmware.NodeApp.prototype.start;
  SensorNodeFirmware.NodeApp.prototype.start = function () {
    start.call(this);
    this.mqtt.publish("sensors/" + this.nodeId + "/hello", "from the new image", { qos: 1 });
  };
}`;

test("a signed image with a new version is downloaded, boots, confirms itself, and its code runs", async (t) => {
  const rig = await startOtaRig(t);
  const [node] = rig.nodes;
  await rig.runUntil(() => lastStatus(rig, node)?.state === "online", 10_000);
  t.is(lastStatus(rig, node).fw, "0.1.0");
  t.false(rig.observer.messages.some((m) => m.topic.endsWith("/hello")));

  const pkg = makePackage({ payload: await bundle("0.2.0", HELLO), version: "0.2.0" });
  const server = await serveImage(pkg.bytes, "pkg.snup", LOOPBACK);
  t.teardown(() => server.close());
  await rig.update(node, server.url, pkg);
  const confirmed = () => rig.states(node).includes("confirmed");
  t.true(await rig.runUntil(confirmed, 120_000), `states: ${rig.states(node).join(", ")}\n${rig.logs.slice(-20).join("\n")}`);

  const states = rig.states(node);
  t.deepEqual(states.slice(0, 1), ["downloading"]);
  t.deepEqual(
    states.filter((s) => s !== "downloading"),
    ["verifying", "rebooting", "confirmed"],
  );
  const final = rig.on(node, "cmd/ota/ack").at(-1);
  t.like(final, { ok: true, state: "confirmed", version: "0.2.0", from: "0.1.0" });
  // The status the new image publishes: its version, the outcome; the hello only the new code sends.
  t.true(await rig.runUntil(() => lastStatus(rig, node)?.ota?.state === "confirmed", 10_000));
  t.like(lastStatus(rig, node), { state: "online", fw: "0.2.0", ota: { state: "confirmed", version: "0.2.0", from: "0.1.0" } });
  t.true(rig.observer.messages.some((m) => m.topic === `sensors/${node.spec.nodeId}/hello`));
  t.is(node.flash.running.label, "ota_1");
  t.is(node.flash.running.state, "valid");
  // Telemetry goes on from the new image.
  const before = rig.on(node, "telemetry").length;
  await rig.runUntil(() => rig.on(node, "telemetry").length > before + 2, 20_000);
  t.true(rig.on(node, "telemetry").length > before + 2);
});

/** What every refused or failed update must leave: the old image running from its slot, confirmed, and still publishing. */
async function assertUntouched(t: import("ava").ExecutionContext, rig: Awaited<ReturnType<typeof startOtaRig>>, node: (typeof rig.nodes)[number]) {
  t.is(node.flash.running.label, "ota_0");
  t.is(node.flash.running.state, "valid");
  t.not(node.flash.slots[1].state, "new"); // nothing was marked to boot
  const before = rig.on(node, "telemetry").length;
  t.true(await rig.runUntil(() => rig.on(node, "telemetry").length > before + 1, 20_000), `telemetry goes on (${before} before; topics ${[...new Set(rig.observer.messages.map((m) => m.topic))].join(" ")})\n${rig.logs.filter((l) => l.startsWith(node.spec.nodeId)).slice(-12).join("\n")}`);
  t.is(lastStatus(rig, node).fw, "0.1.0");
}

/** Sends `pkg` (served as `serve`) and runs until the node's last ack is terminal; returns that ack. */
async function updateTo(rig: Awaited<ReturnType<typeof startOtaRig>>, node: (typeof rig.nodes)[number], url: string, pkg: ReturnType<typeof makePackage>, o: { size?: number; maxMs?: number; busy?: () => boolean } = {}) {
  const terminal = new Set(["confirmed", "refused", "failed", "rolled-back", "error"]);
  const acks = () => rig.on(node, "cmd/ota/ack").length;
  const mark = acks();
  await rig.update(node, url, pkg, o.size);
  const done = () => rig.states(node).slice(mark).some((s) => terminal.has(s));
  await rig.runUntil(done, o.maxMs ?? 120_000, o.busy);
  return rig.on(node, "cmd/ota/ack").slice(mark).find((a) => terminal.has(a.state ?? (a.ok ? "ok" : "error")));
}

test("refused before a byte is written, with the reason: wrong signature, wrong target, signature of the wrong length", async (t) => {
  const rig = await startOtaRig(t);
  const [node] = rig.nodes;
  await rig.runUntil(() => lastStatus(rig, node)?.state === "online", 10_000);
  const payload = await bundle("0.2.0");
  const { privateKey: stranger } = crypto.generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const wrongKey = makePackage({ payload, version: "0.2.0", key: stranger });
  const esp32 = makePackage({ payload, version: "0.2.0", target: "esp32" });
  // A DER signature announced in the header (71 bytes) instead of raw r || s: byte 6 of the header, signed as is.
  const der = makePackage({ payload, version: "0.2.0" });
  der.bytes = Buffer.from(der.bytes);
  der.bytes[6] = 71;
  der.bytes.set(crypto.sign("sha256", der.bytes.subarray(0, 80), { key: DEV_KEY, dsaEncoding: "ieee-p1363" }), 80);
  for (const [pkg, code] of [
    [wrongKey, "bad-signature"],
    [esp32, "wrong-target"],
    [der, "signature-length"],
  ] as const) {
    const server = await serveImage(pkg.bytes, "pkg.snup", LOOPBACK);
    t.teardown(() => server.close());
    const ack = await updateTo(rig, node, server.url, pkg);
    t.like(ack, { ok: false, state: "refused", version: "0.2.0" }, code);
    t.true(ack.error.startsWith(`${code}: `), ack.error);
    t.is(node.flash.written, 0, `${code}: nothing written`);
    t.like(lastStatus(rig, node).ota, { state: "refused", version: "0.2.0" });
  }
  await assertUntouched(t, rig, node);
});

test("refused after the download, the slot never marked: a hash mismatch, a truncated package; failed: a file shorter than announced", async (t) => {
  const rig = await startOtaRig(t);
  const [node] = rig.nodes;
  await rig.runUntil(() => lastStatus(rig, node)?.state === "online", 10_000);
  const payload = await bundle("0.2.0");
  // A header that signs a hash of other bytes: the signature is good, the payload is not what it vouches for.
  const good = makePackage({ payload, version: "0.2.0" });
  const forged = makePackage({ payload: Buffer.concat([payload.subarray(0, -1), Buffer.from("!")]), version: "0.2.0" });
  const mismatch = { ...forged, bytes: Buffer.concat([forged.bytes.subarray(0, 144), payload]) };
  const serve = async (bytes: Uint8Array) => {
    const server = await serveImage(bytes, "pkg.snup", LOOPBACK);
    t.teardown(() => server.close());
    return server;
  };
  let ack = await updateTo(rig, node, (await serve(mismatch.bytes)).url, mismatch);
  t.like(ack, { ok: false, state: "refused" });
  t.true(ack.error.startsWith("hash-mismatch: "), ack.error);

  // The whole package announced, a shorter file served: the server's own Content-Length gives it away.
  const short = good.bytes.subarray(0, good.bytes.length - 1000);
  ack = await updateTo(rig, node, (await serve(short)).url, good);
  t.like(ack, { ok: false, state: "failed" });
  t.regex(ack.error, new RegExp(`offers ${short.length} bytes; the command announced ${good.bytes.length}`));

  // A truncated package sent as if whole (the command names the short size): the signed header says more.
  ack = await updateTo(rig, node, (await serve(short)).url, good, { size: short.length });
  t.like(ack, { ok: false, state: "refused" });
  t.true(ack.error.startsWith("wrong-size: "), ack.error);
  await assertUntouched(t, rig, node);
});

test("a lower security counter is refused once a higher one runs (anti-rollback)", async (t) => {
  const rig = await startOtaRig(t);
  const [node] = rig.nodes;
  await rig.runUntil(() => lastStatus(rig, node)?.state === "online", 10_000);
  const v2 = makePackage({ payload: await bundle("0.2.0"), version: "0.2.0", counter: 5 });
  const first = await serveImage(v2.bytes, "pkg.snup", LOOPBACK);
  t.teardown(() => first.close());
  t.like(await updateTo(rig, node, first.url, v2), { ok: true, state: "confirmed" });
  const v3 = makePackage({ payload: await bundle("0.3.0"), version: "0.3.0", counter: 4 });
  const second = await serveImage(v3.bytes, "pkg.snup", LOOPBACK);
  t.teardown(() => second.close());
  const ack = await updateTo(rig, node, second.url, v3);
  t.like(ack, { ok: false, state: "refused", version: "0.3.0" });
  t.is(ack.error, "old-counter: security counter 4 is lower than the running image's 5");
  t.is(lastStatus(rig, node).fw, "0.2.0");
  t.is(node.flash.running.label, "ota_1");
});

test("a dropped connection mid-download resumes from where it stopped (Range), and the update completes", async (t) => {
  const rig = await startOtaRig(t);
  const [node] = rig.nodes;
  await rig.runUntil(() => lastStatus(rig, node)?.state === "online", 10_000);
  const pkg = makePackage({ payload: await bundle("0.2.0"), version: "0.2.0" });
  const server = await servePackage(pkg.bytes, { kind: "drop", bytes: 60_000, times: 3 });
  t.teardown(() => server.close());
  t.like(await updateTo(rig, node, server.url, pkg), { ok: true, state: "confirmed" });
  // Four requests: the first from 0, each later one from where the last was cut (60 000 bytes later).
  t.deepEqual(server.ranges, ["bytes=0-", "bytes=60000-", "bytes=120000-", "bytes=180000-"]);
  t.is(lastStatus(rig, node).fw, "0.2.0");
});

test("bad servers fail the update with the reason, and the node keeps its image and telemetry", async (t) => {
  const rig = await startOtaRig(t);
  const [node] = rig.nodes;
  await rig.runUntil(() => lastStatus(rig, node)?.state === "online", 10_000);
  const pkg = makePackage({ payload: await bundle("0.2.0"), version: "0.2.0" });
  // Virtual time must pass while a stalled server withholds bytes: leave the download out of `busy`.
  const mqttBusy = () => node.app.mqtt.awaitingReply;
  const cases: [Misbehaviour, RegExp, (() => boolean)?][] = [
    [{ kind: "html" }, /^the server answered with an HTML page/],
    [{ kind: "status", status: 404 }, /^HTTP 404 Not Found$/],
    [{ kind: "redirect-loop" }, /^more than 5 redirects$/],
    [{ kind: "extra", extra: 512 }, /more bytes than its Content-Length|more than the \d+ bytes the command announced/],
    [{ kind: "stall", bytes: 5000 }, /^no data for 30 s, at 5000 of \d+ bytes \(5 attempts\)$/, mqttBusy],
  ];
  for (const [behaviour, error, busy] of cases) {
    const server = await servePackage(pkg.bytes, behaviour);
    t.teardown(() => server.close());
    const telemetry = rig.on(node, "telemetry").length;
    const started = rig.clock.now();
    const ack = await updateTo(rig, node, server.url, pkg, { busy, maxMs: 600_000 });
    t.like(ack, { ok: false, state: "failed" }, behaviour.kind);
    t.regex(ack?.error ?? "", error, behaviour.kind);
    if (behaviour.kind === "stall") {
      // Minutes of a stalled download: the windows went on being published meanwhile (one per 1.28 s).
      const windows = (rig.clock.now() - started) / 1280;
      t.true(rig.on(node, "telemetry").length - telemetry >= 0.9 * windows - 2, `${rig.on(node, "telemetry").length - telemetry} telemetry in ${windows.toFixed(0)} windows' time`);
    }
  }
  // A URL nothing listens on: connection refused, retried, then failed.
  const ack = await updateTo(rig, node, "http://127.0.0.1:9/pkg.snup", pkg, { busy: mqttBusy, maxMs: 600_000 });
  t.like(ack, { ok: false, state: "failed" });
  await assertUntouched(t, rig, node);
});

test("malformed commands are refused with the field named; a second command while one runs is refused", async (t) => {
  const rig = await startOtaRig(t);
  const [node] = rig.nodes;
  await rig.runUntil(() => lastStatus(rig, node)?.state === "online", 10_000);
  const topic = `sensors/${node.spec.nodeId}/cmd/ota`;
  const good = { url: "http://127.0.0.1:1/x", version: "0.2.0", sha256: "ab".repeat(32), size: 1000 };
  const bodies: [unknown, RegExp][] = [
    [{ ...good, url: "ftp://x/y" }, /^url: not an http:\/\/ or https:\/\/ URL/],
    [{ ...good, version: "latest" }, /^version: /],
    [{ ...good, sha256: "xyz" }, /^sha256: /],
    [{ ...good, size: -5 }, /^size: /],
    [{ ...good, extra: 1 }, /^unknown field "extra"/],
    [{ ...good, version: "0.1.0" }, /^already running 0\.1\.0$/],
  ];
  for (const [body] of bodies) await rig.plant.publishAsync(topic, JSON.stringify(body), { qos: 1 });
  await rig.runUntil(() => rig.on(node, "cmd/ota/ack").length >= bodies.length, 10_000);
  const acks = rig.on(node, "cmd/ota/ack");
  bodies.forEach(([, error], i) => {
    t.false(acks[i].ok);
    t.regex(acks[i].error, error);
  });
  t.is(lastStatus(rig, node).ota, undefined); // a refused command changes no update state
});

/** Starts must throw in the new image: what a bad release does on its first boot. */
const THROWS_AT_START = `SensorNodeFirmware.NodeApp.prototype.start = function () { throw new Error("boom: sensor table missing"); };`;
/** The new image never reaches the broker (a release that breaks the network stack). */
const NEVER_CONNECTS = `SensorNodeFirmware.NodeApp.prototype.connect = function () {};`;

test("an image that throws at start and one that never connects both roll back, and the old image says why", async (t) => {
  const confirmS = 60;
  const rig = await startOtaRig(t, { nodes: 2, confirmS });
  const [crasher, silent] = rig.nodes;
  await rig.runUntil(() => rig.nodes.every((n) => lastStatus(rig, n)?.state === "online"), 10_000);
  const crash = makePackage({ payload: await bundle("0.2.0", THROWS_AT_START), version: "0.2.0" });
  const mute = makePackage({ payload: await bundle("0.2.1", NEVER_CONNECTS), version: "0.2.1" });
  const s1 = await serveImage(crash.bytes, "pkg.snup", LOOPBACK);
  t.teardown(() => s1.close());
  const s2 = await serveImage(mute.bytes, "pkg.snup", LOOPBACK);
  t.teardown(() => s2.close());
  const started = rig.clock.now();
  await rig.update(crasher, s1.url, crash);
  await rig.update(silent, s2.url, mute);
  const rolledBack = (n: (typeof rig.nodes)[number]) => rig.states(n).includes("rolled-back");
  // Bounded in virtual time by the confirm timeout plus a restart and a reconnection.
  t.true(await rig.runUntil(() => rig.nodes.every(rolledBack), (confirmS + 60) * 1000), rig.logs.slice(-15).join("\n"));
  t.true(rig.clock.now() - started <= (confirmS + 60) * 1000);

  const a = rig.on(crasher, "cmd/ota/ack").at(-1);
  t.like(a, { ok: false, state: "rolled-back", version: "0.2.0" });
  t.is(a.error, "crashed at start: boom: sensor table missing");
  const b = rig.on(silent, "cmd/ota/ack").at(-1);
  t.like(b, { ok: false, state: "rolled-back", version: "0.2.1" });
  t.is(b.error, `not confirmed within ${confirmS} s (no broker connection)`);
  for (const n of rig.nodes) {
    t.like(lastStatus(rig, n), { state: "online", fw: "0.1.0", ota: { state: "rolled-back" } });
    t.is(n.flash.running.label, "ota_0");
    t.is(n.flash.slots[1].state, "aborted");
  }
  // The crashed image never ran long enough to publish; the silent one never connected: only the old image spoke.
  await assertUntouched(t, rig, crasher);
});

test("power lost at ten points of the download and the slot write: the node always boots and runs its image", async (t) => {
  const rig = await startOtaRig(t);
  const [node] = rig.nodes;
  await rig.runUntil(() => lastStatus(rig, node)?.state === "online", 10_000);
  const pkg = makePackage({ payload: await bundle("0.2.0"), version: "0.2.0" });
  const total = pkg.bytes.length;
  // Inside the header, inside the signature, the first payload byte, then through the payload to its last byte.
  const points = [40, 120, 145, ...[0.1, 0.25, 0.4, 0.55, 0.7, 0.85].map((f) => Math.floor(total * f)), total - 1];
  t.is(points.length, 10);
  for (const at of points) {
    const server = await servePackage(pkg.bytes, { kind: "stall", bytes: at });
    t.teardown(() => server.close());
    const boots = node.restarts;
    await rig.update(node, server.url, pkg);
    // Until the node has taken every byte the server sent (the slot holds the payload among them), then cut the power.
    // Command, download and slot writes are real I/O: no virtual time needs to pass for them.
    await until(() => server.sent >= at && node.flash.written >= Math.max(0, at - 144), `the node to take ${at} bytes`);
    t.is(node.flash.written, Math.max(0, at - 144), `at ${at}`);
    node.powerLoss();
    t.is(node.restarts, boots + 1);
    // The status of the new boot (the one before may have said "failed" already).
    t.true(await rig.runUntil(() => lastStatus(rig, node)?.boot === node.app.boot && lastStatus(rig, node)?.ota?.state === "failed", 20_000), `at ${at}`);
    t.like(lastStatus(rig, node), { state: "online", fw: "0.1.0", ota: { state: "failed", error: "interrupted by a restart" } });
    t.is(node.flash.running.label, "ota_0", `at ${at}`);
  }
  // After all that, the same package installs.
  const server = await serveImage(pkg.bytes, "pkg.snup", LOOPBACK);
  t.teardown(() => server.close());
  t.like(await updateTo(rig, node, server.url, pkg), { ok: true, state: "confirmed" });
});

test("power lost after the image is marked but before it confirms: the boot loader goes back to the old image", async (t) => {
  const rig = await startOtaRig(t);
  const [node] = rig.nodes;
  await rig.runUntil(() => lastStatus(rig, node)?.state === "online", 10_000);
  const pkg = makePackage({ payload: await bundle("0.2.0", NEVER_CONNECTS), version: "0.2.0" });
  const server = await serveImage(pkg.bytes, "pkg.snup", LOOPBACK);
  t.teardown(() => server.close());
  await rig.update(node, server.url, pkg);
  // The new image has booted on probation (it never connects, so nothing else happens).
  t.true(await rig.runUntil(() => node.flash.running.state === "pending-verify", 30_000));
  node.powerLoss();
  t.true(await rig.runUntil(() => rig.states(node).includes("rolled-back"), 30_000));
  t.like(rig.on(node, "cmd/ota/ack").at(-1), { state: "rolled-back", version: "0.2.0", error: "the new image restarted before confirming itself" });
  t.is(node.flash.running.label, "ota_0");
  t.is(lastStatus(rig, node).fw, "0.1.0");
});

test("a host without firmware slots (the Moddable lin build) refuses cmd/ota, saying why, and keeps no update state", (t) => {
  const clock = new VirtualClock();
  const storage = new MemoryStorage();
  const host = createNodeHost({ time: clock, bus: new SimI2CBus({ now: () => clock.now() }), storage, hardwareId: "lin" });
  t.is(host.firmware, undefined);
  const reports: unknown[] = [];
  const agent = new OtaAgent({ host, runningVersion: "0.1.0", confirmS: 300, report: (r) => reports.push(r), restart: () => t.fail("no restart") });
  agent.boot(undefined);
  const result = agent.command({ url: "http://127.0.0.1:1/fw.snup", version: "0.2.0", sha256: "ab".repeat(32), size: 1000 });
  t.deepEqual(result, { ok: false, error: "this node cannot update over the air (its host has no firmware slots)" });
  t.is(agent.report, undefined);
  t.is(storage.get("ota"), undefined);
  t.deepEqual(reports, []);
});
