/*
 * What `sensor-node sim` runs do, seen from outside (issue 18): a clean stop
 * leaves the retained status "offline" (an independent mqtt.js subscriber on
 * mosquitto reads it after the run), `--nodes 2 --scenario` publishes every
 * node's telemetry with the scenario's faults applied as `sensor-node
 * scenario` applies them, `t` is never before the payload's `ts`, a run that
 * lost messages exits 1, and `bench --quick` gives no verdict on a goal it did
 * not try.
 */
import test from "ava";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawn } from "node:child_process";
import * as mqtt from "mqtt";
import { BIN, runCli } from "./helpers/cli.js";
import { until, EVENT_CEILING_MS } from "./helpers/wait.js";
import { startMosquitto } from "../tools/brokers/broker.js";
import { startFaultProxy } from "../tools/brokers/fault-proxy.js";
import { imbalancedMachine } from "./helpers/scenario-files.js";
import { parseScenario } from "../tools/scenario/parse.js";
import { runScenario } from "../tools/scenario/runner.js";
import { ESP32_COMPUTRONS_PER_S } from "../sim/cpu.js";
import { capacityFigures } from "../tools/bench/fleet.js";
import { judge } from "../tools/bench/types.js";
import type { CapacityResult } from "../tools/fleet/capacity.js";
import type { FleetResult } from "../tools/fleet/fleet.js";

const START_2026 = Date.UTC(2026, 0, 1);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sensor-node-runs-"));
const write = (name: string, doc: unknown) => {
  const f = path.join(dir, name);
  fs.writeFileSync(f, JSON.stringify(doc));
  return f;
};

/** The accelerometer pulled out at 5 s for 4 s, the power cut at 12 s. */
const faults = write("faults.json", {
  version: 1,
  name: "faults",
  seed: 5,
  duration_s: 20,
  machine: imbalancedMachine(1.2, 0.004),
  events: [
    { at_s: 5, kind: "fault", fault: "sensor-unplugged", for_s: 4 },
    { at_s: 12, kind: "fault", fault: "power-loss" },
  ],
});

const parse = (stdout: string) => stdout.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as { t: number; topic: string; retain: boolean; payload: any });

/** Every retained message under `filter` on the broker at `url`, as a new subscriber receives them. */
async function retained(url: string, filter: string, count: number): Promise<Map<string, any>> {
  const client = await mqtt.connectAsync(url, { clientId: `retained-${process.pid}-${Math.random()}`, reconnectPeriod: 0 });
  const seen = new Map<string, any>();
  client.on("message", (topic, payload, packet) => {
    if (packet.retain) seen.set(topic, JSON.parse(payload.toString()));
  });
  try {
    await client.subscribeAsync(filter, { qos: 1 });
    await until(() => seen.size >= count, `${count} retained message(s) under ${filter}`);
    return seen;
  } finally {
    await client.endAsync(true);
  }
}

/** Deletes the retained messages on `topics` (an empty retained message clears one), so that what is retained later is a run's own. */
async function clearRetained(url: string, topics: string[]): Promise<void> {
  const client = await mqtt.connectAsync(url, { clientId: `clear-${process.pid}-${Math.random()}`, reconnectPeriod: 0 });
  for (const topic of topics) await client.publishAsync(topic, "", { qos: 1, retain: true });
  await client.endAsync();
}

const STATUS = ["node-1", "node-2", "node-3"].map((id) => `sensors/${id}/status`);

test.serial("a clean stop (--duration, Ctrl-C; one node and a fleet) leaves each node's retained status \"offline\" with its boot", async (t) => {
  const broker = await startMosquitto();
  t.teardown(() => broker.close());
  // --duration, one node: it published "online" (retained), then stopped.
  await clearRetained(broker.url, STATUS);
  const one = await runCli(["sim", "--broker", broker.url, "--duration", "3", "--speed", "max", "--json"]);
  t.is(one.code, 0, one.stderr);
  const online = parse(one.stdout).find((m) => m.topic === "sensors/node-1/status" && m.payload.state === "online");
  t.truthy(online, "the node said online");
  t.deepEqual((await retained(broker.url, "sensors/node-1/status", 1)).get("sensors/node-1/status"), { v: 1, state: "offline", boot: online!.payload.boot });

  // --duration, a fleet of three on two workers.
  await clearRetained(broker.url, STATUS);
  const fleet = await runCli(["sim", "--nodes", "3", "--workers", "2", "--broker", broker.url, "--duration", "3", "--speed", "max"]);
  t.is(fleet.code, 0, fleet.stderr);
  const statuses = await retained(broker.url, "sensors/+/status", 3);
  for (const topic of STATUS) t.is(statuses.get(topic)?.state, "offline", topic);

  // Ctrl-C in a paced run, once the node has published telemetry.
  await clearRetained(broker.url, STATUS);
  const child = spawn(process.execPath, [BIN, "sim", "--broker", broker.url, "--json"], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
  t.teardown(() => child.kill("SIGKILL"));
  await until(() => /"topic":"sensors\/node-1\/telemetry"/.test(stdout), "telemetry from the paced run", EVENT_CEILING_MS * 2);
  child.kill("SIGINT");
  t.is(await exited, 0, stderr);
  const boot = parse(stdout).find((m) => m.topic === "sensors/node-1/telemetry")!.payload.boot;
  t.deepEqual((await retained(broker.url, "sensors/node-1/status", 1)).get("sensors/node-1/status"), { v: 1, state: "offline", boot });
});

test("sim --nodes 2 --scenario: both nodes publish telemetry, the scenario's faults act on both, and t is never before ts", async (t) => {
  const r = await runCli(["sim", "--nodes", "2", "--scenario", faults, "--speed", "max", "--json"]);
  t.is(r.code, 0, r.stderr);
  const lines = parse(r.stdout);
  for (const id of ["node-1", "node-2"]) {
    const mine = lines.filter((m) => m.topic.startsWith(`sensors/${id}/`));
    const telemetry = mine.filter((m) => m.topic.endsWith("/telemetry"));
    t.true(telemetry.length >= 10, `${id}: ${telemetry.length} telemetry messages in 20 s`);
    // sensor-unplugged from 5 s: a fault alarm on the accelerometer while it is out.
    const fault = mine.find((m) => m.topic.endsWith("/alarm") && m.payload.level === "fault");
    t.truthy(fault, `${id}: a fault alarm`);
    t.true(fault!.payload.ts >= START_2026 + 5000 && fault!.payload.ts <= START_2026 + 9000 + 2000, `${id}: fault at ${fault!.payload.ts - START_2026} ms`);
    // power-loss at 12 s: the node boots again.
    const boots = new Set(telemetry.map((m) => m.payload.boot));
    t.deepEqual([...boots].sort(), [1, 2], `${id}: boots ${[...boots]}`);
  }
  for (const m of lines) if (typeof m.payload?.ts === "number") t.true(m.t >= m.payload.ts, `${m.topic}: t ${m.t} before ts ${m.payload.ts}`);
});

test("sim --scenario applies fault events as sensor-node scenario does: the same message log", async (t) => {
  const [sim, scenario] = await Promise.all([runCli(["sim", "--scenario", faults, "--speed", "max", "--json"]), runCli(["scenario", faults, "--json"])]);
  t.is(sim.code, 0, sim.stderr);
  t.true(scenario.code === 0, scenario.stderr); // no expectations: the scenario holds
  t.true(parse(sim.stdout).some((m) => m.payload?.level === "fault"), "the unplugged sensor shows");
  t.is(sim.stdout, scenario.stdout);
});

test("a fleet's --json: t never before ts; --speed max starts at 2026-01-01, a paced run at the real time", async (t) => {
  const max = await runCli(["sim", "--nodes", "3", "--workers", "2", "--json", "--duration", "4", "--speed", "max"]);
  t.is(max.code, 0, max.stderr);
  const fast = parse(max.stdout).filter((m) => typeof m.payload?.ts === "number");
  t.true(fast.length >= 9, `${fast.length} stamped messages`);
  for (const m of fast) {
    t.true(m.payload.ts >= START_2026 && m.payload.ts <= START_2026 + 5000, `${m.topic}: ts ${new Date(m.payload.ts).toISOString()}`);
    t.true(m.t >= m.payload.ts, `${m.topic}: t ${m.t} before ts ${m.payload.ts}`);
  }
  const before = Date.now();
  const paced = await runCli(["sim", "--nodes", "3", "--workers", "2", "--json", "--duration", "3"]);
  const after = Date.now();
  t.is(paced.code, 0, paced.stderr);
  const live = parse(paced.stdout).filter((m) => typeof m.payload?.ts === "number");
  t.true(live.length >= 6, `${live.length} stamped messages`);
  for (const m of live) {
    t.true(m.payload.ts >= before && m.payload.ts <= after, `${m.topic}: ts ${m.payload.ts} is real time within the run (${before}..${after})`);
    t.true(m.t >= m.payload.ts, `${m.topic}: t ${m.t} before ts ${m.payload.ts}`);
  }
});

/** A line's form: every number a 9, the ISO zones Z (the values differ from run to run; the fields and their order do not). */
const form = (line: string) => line.replace(/\d+(\.\d+)?/g, "9").replace(/zone [A-D]\/[A-D]\/[A-D]/, "zone Z/Z/Z");

test("README's sample line of `npm start` has the form of a real run's first telemetry line, its time the wall clock's time of day (UTC)", async (t) => {
  const readme = fs.readFileSync(path.join(path.dirname(BIN), "..", "README.md"), "utf8");
  const sample = /`npm start` prints[\s\S]*?```\n(.*)\n```/.exec(readme)?.[1];
  t.truthy(sample, "README.md has the sample line after \"`npm start` prints\"");
  // npm start is `sensor-node sim` at real-time pace, until Ctrl-C; --duration ends the same run.
  const before = Date.now();
  const r = await runCli(["sim", "--duration", "3"]);
  const after = Date.now();
  t.is(r.code, 0, r.stderr);
  const line = r.stdout.split("\n").find((l) => / node-1 #1 /.test(l));
  t.truthy(line, `a first telemetry line in:\n${r.stdout}`);
  t.is(form(sample!), form(line!));
  // HH:MM:SS.mmm of a moment within the run (UTC); a run across midnight wraps.
  const [hh, mm, ss] = line!.slice(0, 12).split(":").map(Number);
  const ofDay = ((hh * 60 + mm) * 60 + ss) * 1000;
  const day = 86_400_000;
  const since = (ofDay - (before % day) + day) % day;
  t.true(since <= after - before, `${line!.slice(0, 12)} is between ${new Date(before).toISOString()} and ${new Date(after).toISOString()}`);
});

test("a Sparkplug B fleet: its messages reach --json (spBv1.0/...) and the run exits 0", async (t) => {
  const r = await runCli(["sim", "--nodes", "2", "--workers", "2", "--payload", "sparkplug", "--json", "--duration", "3", "--speed", "max"]);
  t.is(r.code, 0, r.stderr);
  const topics = new Set(parse(r.stdout).map((m) => m.topic));
  for (const id of ["node-1", "node-2"]) t.true(topics.has(`spBv1.0/sensors/NBIRTH/${id}`), `NBIRTH of ${id}`);
});

test.serial("a run that lost messages exits 1, saying how many of the node's own count", async (t) => {
  const broker = await startMosquitto();
  t.teardown(() => broker.close());
  const proxy = await startFaultProxy({ target: { host: broker.host, port: broker.port } });
  t.teardown(() => proxy.close());
  // An independent subscriber on the broker itself: once it has seen telemetry seq 2, the link stalls.
  const watcher = await mqtt.connectAsync(broker.url, { clientId: `watcher-${process.pid}`, reconnectPeriod: 0 });
  t.teardown(() => watcher.endAsync(true));
  let seq = 0;
  watcher.on("message", (_topic, payload) => (seq = Math.max(seq, JSON.parse(payload.toString()).seq)));
  await watcher.subscribeAsync("sensors/+/telemetry", { qos: 1 });
  const run = runCli(["sim", "--broker", `mqtt://127.0.0.1:${proxy.port}`, "--duration", "15"]);
  await until(() => seq >= 2, "telemetry seq 2 at the broker", EVENT_CEILING_MS * 2);
  proxy.stall(true);
  const r = await run;
  t.is(r.code, 1, r.stderr);
  const last = r.stderr.trimEnd().split("\n").at(-1)!;
  const m = /^sensor-node sim: (\d+) of (\d+) telemetry and alarm messages not delivered \(the nodes' last boot\)$/.exec(last);
  t.truthy(m, last);
  t.true(Number(m![1]) >= 1 && Number(m![2]) > Number(m![1]), last);
  t.false(r.stderr.includes("    at "));
});

test("bench fleet --quick: no verdict on the 2000-node goal when every step up to 1000 kept up; a MISS when a step below it did not", (t) => {
  const run = (nodes: number, keptUp: boolean) => ({ nodes, keptUp, reasons: keptUp ? [] : ["300 of 20000 messages not delivered"], cpuPct: 50, delivered: nodes * 10, published: nodes * 10, virtualS: 10 }) as unknown as FleetResult;
  const untried: CapacityResult = { capacity: 1000, best: run(1000, true), runs: [run(250, true), run(500, true), run(1000, true)] };
  const quick = capacityFigures(untried, true).find((f) => f.id === "fleet.capacity")!;
  t.is(quick.value, 1000);
  t.is(judge(quick), undefined, "not judged: 2000 nodes were never tried");
  t.regex(quick.note!, /at least/);
  const short: CapacityResult = { capacity: 500, best: run(500, true), failed: run(1000, false), runs: [run(250, true), run(500, true), run(1000, false)] };
  t.is(judge(capacityFigures(short, true).find((f) => f.id === "fleet.capacity")!), false, "a step below 2000 failed: a MISS");
  const full: CapacityResult = { capacity: 2500, best: run(2500, true), failed: run(3000, false), runs: [] };
  t.is(judge(capacityFigures(full, false).find((f) => f.id === "fleet.capacity")!), true);
});

test("config check: an unknown key lists the keys allowed there: those of the effective configuration, and the optional ones", async (t) => {
  const good = write("good.json", {});
  const shown = await runCli(["config", "check", good]);
  t.is(shown.code, 0, shown.stderr);
  const mqttKeys = Object.keys(JSON.parse(shown.stdout).mqtt).filter((k) => k !== "password");
  const bad = write("bad.json", { mqtt: { hots: "broker.local" } });
  const r = await runCli(["config", "check", bad]);
  t.is(r.code, 2);
  const listed = /config\.mqtt\.hots: unknown key \(allowed here: ([^)]+)\)/.exec(r.stderr)?.[1].split(", ");
  t.truthy(listed, r.stderr);
  for (const k of [...mqttKeys, "username", "password", "tls"]) t.true(listed!.includes(k), `${k} in ${listed}`);
});

test("config check refuses what the node refuses when it opens the part, in the node's words; a bearing with the default ring passes at each part's top rate", async (t) => {
  // LIS3DH at its top rate, features every quarter window: the node (simulated at the ESP32 rate it assumes) refuses it at startup.
  const config = { accelerometer: { kind: "lis3dh", odr: 5376 }, window: { overlap: 0.75 } };
  const file = write("lis3dh-overlap.json", config);
  const r = await runCli(["config", "check", file]);
  t.is(r.code, 2);
  t.is(r.stdout, "");
  const said = r.stderr.trim().split("\n");
  t.is(said.length, 1, r.stderr);
  const logged: string[] = [];
  const scenario = parseScenario(JSON.stringify({ version: 1, seed: 1, duration_s: 5, node: { accelerometer: "lis3dh", config }, machine: imbalancedMachine(1, 0.004), expect: [] }), "refused");
  await runScenario(scenario, { cpu: { rate: ESP32_COMPUTRONS_PER_S }, onLog: (level, message) => void (level === "warn" && logged.push(message)) });
  const refusal = logged.map((m) => /\(config\): (config\..*)$/.exec(m)?.[1]).find((m) => m !== undefined);
  t.truthy(refusal, logged.join("\n"));
  t.is(said[0], `${file}: ${refusal}`);
  t.regex(said[0], /config\.window\.overlap: /);

  // machine.bearing without acquisition.ringMs: accepted at every part's top rate (the datasheets' fastest ODRs), with a ring of the bearing mode.
  const plain = JSON.parse((await runCli(["config", "check", write("plain.json", {})])).stdout).acquisition.ringMs as number;
  for (const [kind, odr] of [["adxl345", 3200], ["lis3dh", 5376], ["adxl355", 4000]] as const) {
    const shown = await runCli(["config", "check", write(`${kind}-bearing.json`, { accelerometer: { kind, odr }, machine: { bearing: "6205" } })]);
    t.is(shown.code, 0, shown.stderr);
    t.true(JSON.parse(shown.stdout).acquisition.ringMs > plain, `${kind}: a longer ring than without a bearing`);
  }
});
