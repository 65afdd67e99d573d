/*
 * `sensor-node ota push` against a real mosquitto on loopback and fake nodes
 * written from the protocol (helpers/fake-ota-node.ts: real HTTP range
 * downloads, node:crypto for the signature and the hash, the payload run in a
 * fresh vm context). An independent mqtt.js observer records every command and
 * ack the broker routes. Timeouts run on a VirtualClock the test moves, so a
 * node times out because the test says so, never because the machine is slow.
 */
import test from "ava";
import crypto from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import * as mqtt from "mqtt";
import { freePort, startAedes, startMosquitto, type RunningBroker } from "../tools/brokers/broker.js";
import { FleetLink } from "../tools/ota/fleet-link.js";
import { packPackage } from "../tools/ota/pack.js";
import { runRollout, type NodeResult, type Progress, type RolloutOptions, type RolloutRow } from "../tools/ota/rollout.js";
import { serveImage } from "../tools/ota/image-server.js";
import { VirtualClock } from "../sim/clock.js";
import { FakeOtaNode, DROP_AFTER, type Misbehaviour } from "./helpers/fake-ota-node.js";
import { runCli } from "./helpers/cli.js";
import { until } from "./helpers/wait.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sensor-node-ota-push-"));
const pair = () => crypto.generateKeyPairSync("ec", { namedCurve: "prime256v1" });
const trusted = pair();
const foreign = pair();
const FROM = "1.2.0";
const TO = "1.3.0";

/** A sim package whose payload is a script; padded so that a download takes several ranges. */
function pkg(name: string, version: string, script: string, key = trusted.privateKey): string {
  const payload = Buffer.from(`${script}\n/*${"x".repeat(3 * DROP_AFTER)}*/\n`);
  const file = path.join(dir, name);
  fs.writeFileSync(file, packPackage({ target: "sim", version, counter: 0, payload, key }));
  return file;
}
const GOOD = pkg("good.snup", TO, `globalThis.firmware = ${JSON.stringify(TO)};`);
const BROKEN = pkg("broken.snup", TO, `throw new Error("boom at start");`);

let broker: Awaited<ReturnType<typeof startMosquitto>>;
test.before(async () => {
  broker = await startMosquitto();
});
test.after.always(() => broker?.close());

const id = (i: number) => `node-${String(i).padStart(2, "0")}`;

/** Nodes node-01..node-NN on `prefix`, running FROM; `special` gives some of them another key, another version or a misbehaviour. */
async function fleet(prefix: string, n: number, special: Record<string, { trusts?: crypto.KeyObject; fw?: string; misbehave?: Misbehaviour }> = {}): Promise<FakeOtaNode[]> {
  const nodes: FakeOtaNode[] = [];
  for (let i = 1; i <= n; i++) {
    const s = special[id(i)] ?? {};
    nodes.push(await FakeOtaNode.start({ broker: broker.url, prefix, id: id(i), fw: s.fw ?? FROM, trusts: s.trusts ?? trusted.publicKey, misbehave: s.misbehave }));
  }
  return nodes;
}

/** Every cmd/ota and every terminal ack, in the order the broker routed them to an independent subscriber. */
class Observer {
  readonly log: { kind: "cmd" | "done"; node: string; state?: string }[] = [];
  private constructor(private readonly client: mqtt.MqttClient) {}
  static async start(prefix: string): Promise<Observer> {
    const client = await mqtt.connectAsync(broker.url, { clientId: `observer-${prefix}` });
    const o = new Observer(client);
    client.on("message", (topic, payload) => {
      const [node, ...rest] = topic.slice(prefix.length + 1).split("/");
      if (rest.join("/") === "cmd/ota") o.log.push({ kind: "cmd", node });
      else {
        const ack = JSON.parse(payload.toString());
        if (["confirmed", "refused", "failed", "rolled-back"].includes(ack.state)) o.log.push({ kind: "done", node, state: ack.state });
      }
    });
    await client.subscribeAsync([`${prefix}/+/cmd/ota`, `${prefix}/+/cmd/ota/ack`], { qos: 1 });
    return o;
  }
  commanded(): string[] {
    return this.log.filter((e) => e.kind === "cmd").map((e) => e.node);
  }
  close(): Promise<void> {
    return this.client.endAsync();
  }
}

/** Fires the clock's timers up to `ms` (virtual), then sets it there. */
function clockTo(clock: VirtualClock, ms: number): void {
  while (clock.step(ms));
  clock.advance(ms - clock.now());
}

function rollout(prefix: string, clock: VirtualClock, o: Partial<RolloutOptions>, progress: Progress[] = []) {
  return runRollout({ broker: broker.url, prefix, image: GOOD, clock, onProgress: (p) => progress.push(p), ...o });
}

const byNode = (rows: RolloutRow[]) => Object.fromEntries(rows.map((r) => [r.node, r]));

async function closeAll(nodes: FakeOtaNode[], observer: Observer): Promise<void> {
  await Promise.all(nodes.map((n) => n.close()));
  await observer.close();
}

/** An HTTP/1.1 exchange on a bare socket: the request as written, the answer as parsed here. */
function rawHttp(port: number, request: string): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1", () => socket.write(request.replace(/\n/g, "\r\n") + "\r\n"));
    const parts: Buffer[] = [];
    socket.on("data", (d) => parts.push(d));
    socket.on("error", reject);
    socket.on("end", () => {
      const all = Buffer.concat(parts);
      const split = all.indexOf("\r\n\r\n");
      const [statusLine, ...lines] = all.subarray(0, split).toString("latin1").split("\r\n");
      const headers: Record<string, string> = {};
      for (const line of lines) headers[line.slice(0, line.indexOf(":")).toLowerCase()] = line.slice(line.indexOf(":") + 1).trim();
      resolve({ status: Number(statusLine.split(" ")[1]), headers, body: all.subarray(split + 4) });
    });
  });
}

test("the image server answers ranges (206, Content-Range), whole GETs (200), HEAD, unknown paths (404) and unsatisfiable ranges (416) to a raw HTTP client", async (t) => {
  const bytes = crypto.randomBytes(5000);
  const server = await serveImage(bytes, "fw 1.snup", { host: "127.0.0.1", port: 0 });
  t.teardown(() => server.close());
  const url = new URL(server.url);
  t.is(url.pathname, "/fw%201.snup");
  const port = Number(url.port);
  const get = (range?: string, method = "GET", target = url.pathname) =>
    rawHttp(port, `${method} ${target} HTTP/1.1\nHost: 127.0.0.1\nConnection: close\n${range ? `Range: ${range}\n` : ""}`);

  const whole = await get();
  t.is(whole.status, 200);
  t.is(whole.headers["content-length"], "5000");
  t.is(whole.headers["accept-ranges"], "bytes");
  t.true(whole.body.equals(bytes));

  for (const [range, start, end] of [["bytes=1000-", 1000, 4999], ["bytes=10-19", 10, 19], ["bytes=4990-9999", 4990, 4999], ["bytes=-100", 4900, 4999], ["bytes=0-0", 0, 0]] as const) {
    const r = await get(range);
    t.is(r.status, 206, range);
    t.is(r.headers["content-range"], `bytes ${start}-${end}/5000`, range);
    t.is(Number(r.headers["content-length"]), end - start + 1, range);
    t.true(r.body.equals(bytes.subarray(start, end + 1)), range);
  }

  const head = await get(undefined, "HEAD");
  t.is(head.status, 200);
  t.is(head.headers["content-length"], "5000");
  t.is(head.body.length, 0);
  const headRange = await get("bytes=4000-", "HEAD");
  t.is(headRange.status, 206);
  t.is(headRange.headers["content-range"], "bytes 4000-4999/5000");
  t.is(headRange.body.length, 0);

  const past = await get("bytes=5000-");
  t.is(past.status, 416);
  t.is(past.headers["content-range"], "bytes */5000");
  t.is((await get(undefined, "GET", "/other.snup")).status, 404);
  t.is((await get(undefined, "GET", "/")).status, 404);
  t.is((await get(undefined, "POST")).status, 405);
  // Counted: the GETs with bytes (one whole, five ranges), not HEAD, errors or refusals.
  t.deepEqual(server.served, { requests: 6, bytes: 5000 + 4000 + 10 + 10 + 100 + 1 });
});

test.serial("50 nodes, an image that throws at start: the canary rolls back, the rollout halts, the 49 others never receive cmd/ota", async (t) => {
  const prefix = "broken";
  const nodes = await fleet(prefix, 50);
  const observer = await Observer.start(prefix);
  const report = await rollout(prefix, new VirtualClock(), { image: BROKEN, all: true });
  await until(() => observer.log.some((e) => e.kind === "done"), "the canary's rollback, as the observer sees it");
  await closeAll(nodes, observer);

  t.false(report.ok);
  t.is(report.halted?.node, "node-01");
  t.is(report.halted?.result, "rolled-back");
  t.regex(report.halted?.reason ?? "", /crashed at start: boom at start/);
  t.is(report.rows.length, 50);
  t.is(report.rows.filter((r) => r.result === "untouched").length, 49);
  t.deepEqual(observer.commanded(), ["node-01"]);
  t.deepEqual(nodes.filter((n) => n.commands.length > 0).map((n) => n.id), ["node-01"]);
  t.is(nodes[0].fw, FROM, "the canary runs its previous image again");
  t.deepEqual(nodes.flatMap((n) => n.errors), []);
});

test.serial("50 nodes, a good image, through the CLI: canary, then batches of 10 %, each after the last one confirmed; all 50 confirmed in the table; exit 0; the broker password never printed", async (t) => {
  const prefix = "good";
  const nodes = await fleet(prefix, 50);
  const observer = await Observer.start(prefix);
  const url = new URL(broker.url);
  const r = await runCli(["ota", "push", "--broker", `mqtt://operator:s3cret-pw@${url.host}`, "--image", GOOD, "--all", "--prefix", prefix]);
  await until(() => observer.log.filter((e) => e.kind === "done").length === 50, "50 terminal acks at the observer");
  await closeAll(nodes, observer);

  t.is(r.code, 0, r.stderr);
  t.notRegex(r.stdout + r.stderr, /s3cret-pw/);
  const rows = r.stdout.split("\n").filter((l) => /^node-\d\d /.test(l)).map((l) => l.split(/\s+/));
  t.deepEqual(rows.map((c) => c[0]), nodes.map((n) => n.id));
  for (const c of rows) t.deepEqual(c.slice(1, 4), [FROM, TO, "confirmed"], c.join(" "));
  t.regex(r.stdout, /50 confirmed of 50 targeted/);
  t.true(nodes.every((n) => n.fw === TO && n.commands.length === 1));
  // Every node downloaded in several ranges, resuming at the offset it had reached.
  t.true(nodes.every((n) => n.ranges.length > 1 && n.ranges[0] === "bytes=0-" && n.ranges[1] === `bytes=${DROP_AFTER}-`));

  // Waves from the spec: one canary, then batches of ceil(10 % of 50) = 5; a wave's commands leave only after every earlier node confirmed.
  const waveStart = (i: number) => (i === 0 ? 0 : 1 + Math.floor((i - 1) / 5) * 5);
  let confirmed = 0;
  for (const e of observer.log) {
    if (e.kind === "done") {
      t.is(e.state, "confirmed");
      confirmed++;
    } else t.true(confirmed >= waveStart(Number(e.node.slice(5)) - 1), `${e.node} commanded after ${confirmed} confirmations`);
  }
  t.regex(r.stderr, /canary: node-01\n/);
  t.regex(r.stderr, /batch 1 of 10: node-02, node-03, node-04, node-05, node-06 \(5 nodes\)/);
  t.deepEqual(nodes.flatMap((n) => n.errors), []);
});

const halts = test.macro(async (t, misbehaving: { trusts?: crypto.KeyObject; misbehave?: Misbehaviour }, result: NodeResult, reason: RegExp) => {
  const prefix = `halt-${result}`;
  const nodes = await fleet(prefix, 10, { "node-03": misbehaving });
  const observer = await Observer.start(prefix);
  const report = await rollout(prefix, new VirtualClock(), { all: true, canary: 1, batch: { nodes: 3 } });
  await closeAll(nodes, observer);

  const rows = byNode(report.rows);
  t.false(report.ok);
  t.is(report.halted?.node, "node-03");
  t.is(rows["node-03"].result, result);
  t.regex(rows["node-03"].reason ?? "", reason);
  // The rest of its batch finishes; nothing after it starts.
  for (const n of ["node-01", "node-02", "node-04"]) t.is(rows[n].result, "confirmed", n);
  for (let i = 5; i <= 10; i++) t.is(rows[id(i)].result, "untouched");
  t.deepEqual([...observer.commanded()].sort(), ["node-01", "node-02", "node-03", "node-04"]);
  t.is(nodes[2].fw, FROM);
  t.deepEqual(nodes.flatMap((n) => n.errors), []);
});

test.serial("a node that trusts another key refuses the image (bad-signature): its batch completes, the rollout halts", halts, { trusts: foreign.publicKey }, "refused", /^bad-signature/);
test.serial("a node whose download fails (HTTP 404) reports failed: its batch completes, the rollout halts", halts, { misbehave: "wrong-path" }, "failed", /HTTP 404/);

test.serial("a node that never answers times out exactly at --confirm-timeout on the rollout's clock; the nodes that answered do not; later nodes untouched", async (t) => {
  const prefix = "silent";
  const nodes = await fleet(prefix, 6, { "node-03": { misbehave: "silent" } });
  const observer = await Observer.start(prefix);
  const clock = new VirtualClock();
  const progress: Progress[] = [];
  let settled = false;
  const running = rollout(prefix, clock, { all: true, canary: 1, batch: { nodes: 3 }, confirmTimeoutS: 120 }, progress);
  void running.then(() => (settled = true));
  const confirmed = (node: string) => progress.some((p) => p.node === node && p.state === "confirmed");
  await until(() => confirmed("node-02") && confirmed("node-04") && nodes[2].commands.length === 1, "node-02 and node-04 confirmed, node-03 commanded");

  clockTo(clock, 120_000 - 1);
  await new Promise((r) => setImmediate(r));
  t.false(settled, "one millisecond before the timeout the rollout still waits");
  clockTo(clock, 120_000);
  const report = await running;
  await closeAll(nodes, observer);

  const rows = byNode(report.rows);
  t.is(report.halted?.node, "node-03");
  t.is(rows["node-03"].result, "timeout");
  t.is(rows["node-03"].seconds, 120);
  t.is(rows["node-03"].reason, "not confirmed within 120 s");
  for (const n of ["node-01", "node-02", "node-04"]) t.is(rows[n].result, "confirmed", n);
  t.is(rows["node-05"].result, "untouched");
  t.is(rows["node-06"].result, "untouched");
  t.deepEqual([...observer.commanded()].sort(), ["node-01", "node-02", "node-03", "node-04"]);
});

test.serial("with every ack lost, the retained status alone carries an update to confirmed, and a rollback to rolled-back", async (t) => {
  const quiet = { misbehave: "no-acks" as const };
  const good = await fleet("no-acks-good", 3, { "node-01": quiet, "node-02": quiet, "node-03": quiet });
  const ok = await rollout("no-acks-good", new VirtualClock(), { all: true });
  const broken = await fleet("no-acks-broken", 3, { "node-01": quiet, "node-02": quiet, "node-03": quiet });
  const failed = await rollout("no-acks-broken", new VirtualClock(), { all: true, image: BROKEN });
  await Promise.all([...good, ...broken].map((n) => n.close()));

  t.true(ok.ok);
  t.deepEqual(ok.rows.map((r) => r.result), ["confirmed", "confirmed", "confirmed"]);
  t.false(failed.ok);
  t.deepEqual(failed.rows.map((r) => r.result), ["rolled-back", "untouched", "untouched"]);
  t.regex(failed.rows[0].reason ?? "", /crashed at start: boom at start/);
});

test.serial("named nodes without a status or offline are not commanded and make the run fail without halting it; --all leaves offline nodes out and skips nodes already on the version", async (t) => {
  const prefix = "mixed";
  const nodes = await fleet(prefix, 4, { "node-02": { fw: TO } });
  const observer = await Observer.start(prefix);
  // node-05's last will: retained offline.
  const will = await mqtt.connectAsync(broker.url);
  await will.publishAsync(`${prefix}/node-05/status`, JSON.stringify({ v: 1, state: "offline", boot: 3 }), { qos: 1, retain: true });
  await will.endAsync();

  const named = await rollout(prefix, new VirtualClock(), { nodes: ["node-03", "node-09", "node-05"] });
  const a = byNode(named.rows);
  t.false(named.ok);
  t.is(named.halted, undefined);
  t.is(a["node-03"].result, "confirmed");
  t.is(a["node-09"].result, "no-status");
  t.is(a["node-05"].result, "offline");
  t.true(a["node-05"].targeted);

  const all = await rollout(prefix, new VirtualClock(), { all: true });
  await closeAll(nodes, observer);
  const b = byNode(all.rows);
  t.true(all.ok);
  t.deepEqual(all.rows.map((r) => [r.node, r.result]), [["node-01", "confirmed"], ["node-02", "current"], ["node-03", "current"], ["node-04", "confirmed"], ["node-05", "offline"]]);
  t.false(b["node-05"].targeted);
  t.deepEqual([...observer.commanded()].sort(), ["node-01", "node-03", "node-04"]);
});

/** Brokers that deliver a subscription's retained messages differently: mosquitto before it reads on, aedes as a stream beside later packets. */
const inventory = test.macro(async (t, start: () => Promise<RunningBroker>) => {
  const b = await start();
  t.teardown(() => b.close());
  const nodes = 1000;
  const publisher = await mqtt.connectAsync(b.url);
  for (let i = 0; i < nodes; i++) publisher.publish(`inv/n${i}/status`, JSON.stringify({ v: 1, state: "online", boot: 1, fw: `1.0.${i}` }), { qos: 1, retain: true });
  await publisher.publishAsync(`inv/n${nodes - 1}/status`, JSON.stringify({ v: 1, state: "offline", boot: 1 }), { qos: 1, retain: true });
  await publisher.endAsync();
  const link = await FleetLink.open({ broker: b.url, prefix: "inv", clock: new VirtualClock(), onStatus: () => {}, onAck: () => {}, onNotice: () => {} });
  const statuses = new Map(link.statuses);
  await link.close();
  t.is(statuses.size, nodes);
  t.is(statuses.get("n500")?.fw, "1.0.500");
  t.false(statuses.get(`n${nodes - 1}`)?.online);
});
test.serial("--all's inventory: every retained status of 1 000 nodes, from mosquitto", inventory, () => startMosquitto());
test.serial("--all's inventory: every retained status of 1 000 nodes, from aedes (retained messages streamed)", inventory, () => startAedes());

test("bad input is one line naming the option or file, exit 2; an unreachable broker is exit 1 without its password", async (t) => {
  const url = new URL(broker.url);
  const base = ["ota", "push", "--broker", broker.url];
  const notPackage = path.join(dir, "app.js");
  fs.writeFileSync(notPackage, "globalThis.x = 1;\n");
  const truncated = path.join(dir, "truncated.snup");
  fs.writeFileSync(truncated, fs.readFileSync(GOOD).subarray(0, -10));
  const cases: [string[], RegExp][] = [
    [[...base, "--image", notPackage, "--all"], /--image: .*app\.js is not an update package/],
    [[...base, "--image", truncated, "--all"], /--image: .*truncated\.snup is \d+ bytes but its header announces \d+ \(truncated or padded\)/],
    [[...base, "--image", path.join(dir, "missing.snup"), "--all"], /--image: cannot read .*missing\.snup: ENOENT/],
    [[...base, "--image", GOOD], /--node ID \.\.\.\) or --all/],
    [[...base, "--image", GOOD, "--all", "--node", "node-01"], /--node ID \.\.\.\) or --all/],
    [[...base, "--image", GOOD, "--node", "node/1"], /--node "node\/1" is not a node id/],
    [[...base, "--image", GOOD, "--all", "--batch", "0"], /--batch expects/],
    [[...base, "--image", GOOD, "--all", "--batch", "150%"], /--batch expects/],
    [[...base, "--image", GOOD, "--all", "--serve", "localhost"], /--serve expects HOST:PORT/],
    [[...base, "--image", GOOD, "--all", "--serve", "0.0.0.0:8080"], /--serve 0\.0\.0\.0:8080: .*give one they reach/],
    [[...base, "--image", GOOD, "--all", "--serve", `127.0.0.1:${url.port}`], /--serve 127\.0\.0\.1:\d+: cannot listen \(EADDRINUSE\)/],
    [[...base, "--image", GOOD, "--all", "--prefix", "a/#"], /--prefix "a\/#"/],
    [[...base, "--image", GOOD, "--all", "--confirm-timeout", "0"], /--confirm-timeout must be between/],
    [["ota", "push", "--image", GOOD, "--all"], /--broker URL is required/],
    [["ota", "push", "--broker", "http://x", "--image", GOOD, "--all"], /--broker: unsupported scheme/],
  ];
  for (const [args, message] of cases) {
    const r = await runCli(args);
    t.is(r.code, 2, args.join(" "));
    const lines = r.stderr.trim().split("\n");
    t.is(lines.length, 1, r.stderr);
    t.regex(lines[0], message);
  }
  const closed = await freePort();
  const r = await runCli(["ota", "push", "--broker", `mqtt://operator:hunter2@127.0.0.1:${closed}`, "--image", GOOD, "--all"]);
  t.is(r.code, 1);
  t.regex(r.stderr.trim().split("\n").at(-1)!, /^sensor-node ota push: cannot reach the broker at mqtt:\/\/operator:\*\*\*@127\.0\.0\.1:\d+: .*ECONNREFUSED/);
  t.notRegex(r.stdout + r.stderr, /hunter2|\n\s+at /);
});
