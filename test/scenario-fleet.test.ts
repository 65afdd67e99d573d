/*
 * Fleet scenarios (docs/scenarios.md, "Fleets"): the fleet form of the file,
 * its validation, one runner for N nodes on one clock, per-group verdicts
 * naming failing nodes, JUnit, and byte-identical logs for one seed.
 */
import test from "ava";
import * as fs from "node:fs";
import * as path from "node:path";
import { runCli } from "./helpers/cli.js";
import { imbalancedMachine, scenarioWriter } from "./helpers/scenario-files.js";
import { parseScenario } from "../tools/scenario/parse.js";
import { planRun } from "../tools/scenario/plan.js";
import { StampedLog } from "../tools/scenario/runner.js";
import type { ObservedMessage } from "../tools/cli/output.js";

const { dir, write } = scenarioWriter("scenario-fleet-");

const FLEET_100 = "scenarios/fleet-100.json";

type Doc = Record<string, any>;

/** A small fleet: 3 steady pumps (partitioned, unplugged) and 4 fans whose imbalance steps up at 8 s. */
const small = (): Doc => ({
  version: 1,
  name: "small fleet",
  seed: 9,
  duration_s: 28,
  node: {
    config: {
      accelerometer: { kind: "adxl345", odr: 400 },
      window: { n: 256 },
      band: { lowHz: 10, highHz: 190 },
      acquisition: { mode: "duty", captureS: 0.7, periodS: 1 },
      machine: { group: 2, foundation: "rigid" },
    },
  },
  machine: imbalancedMachine(1.0, 0.004),
  fleet: [
    {
      name: "pumps",
      count: 3,
      id: "pump-{n}",
      vary: { "machine.rpm": [1400, 1800] },
      events: [
        { at_s: 4, kind: "fault", fault: "partition", for_s: 3 },
        { at_s: 16, kind: "fault", fault: "sensor-unplugged", for_s: 2 },
      ],
      expect: [
        { kind: "status", state: "offline", within_s: [4, 5] },
        { kind: "alarm", metric: "sensor.accelerometer", level: "fault", within_s: [16, 21] },
      ],
    },
    {
      name: "fans",
      count: 4,
      vary: { "machine.vibration[0].vrms_mm_s": [0.5, 1.5] },
      events: [
        { at_s: 8, kind: "set", path: "machine.vibration[0].vrms_mm_s", value: 3.5 },
        { at_s: 16, kind: "fault", fault: "power-loss" },
        { at_s: 18, kind: "config", config: { monitor: { rules: [{ metric: "temp.c", warning: 30 }] } } },
      ],
      expect: [
        { kind: "alarm", metric: "x.vRms", level: "warning", within_s: [8, 13] },
        { kind: "alarm", metric: "temp.c", level: "warning", within_s: [18, 22] },
      ],
    },
  ],
  events: [{ at_s: 22, kind: "fault", fault: "broker-down", for_s: 2 }],
  expect: [{ kind: "no-loss" }, { kind: "status", state: "online", within_s: [0, 2] }],
});

test("the fleet form parses: groups merged over the top level, ids from the template, values varied per node within their ranges", (t) => {
  const s = parseScenario(JSON.stringify(small()), "f.json");
  t.is(s.fleet?.length, 2);
  const plan = planRun(s);
  t.true(plan.fleet);
  t.deepEqual(
    plan.nodes.map((x) => x.spec.nodeId),
    ["pump-1", "pump-2", "pump-3", "fans-1", "fans-2", "fans-3", "fans-4"],
  );
  // Seeds as `sim --nodes` gives them, distinct per node.
  t.deepEqual(
    plan.nodes.map((x) => x.spec.seed),
    [0, 1, 2, 3, 4, 5, 6].map((g) => 9 + g * 7919),
  );
  const rpms = plan.nodes.slice(0, 3).map((x) => x.spec.machine.rpm);
  for (const rpm of rpms) t.true(rpm >= 1400 && rpm <= 1800, String(rpm));
  t.is(new Set(rpms).size, 3, "every pump its own speed");
  const fans = plan.nodes.slice(3).map((x) => (x.spec.machine.vibration[0] as { vrms_mm_s: number }).vrms_mm_s);
  for (const v of fans) t.true(v >= 0.5 && v <= 1.5, String(v));
  t.is(new Set(fans).size, 4);
  for (const x of plan.nodes.slice(3)) t.is(x.spec.machine.rpm, 1780, "not varied: the top-level value");
  // The group's node config is the top level's (merged); the top-level broker-down acts once, the group faults on their nodes.
  t.is((plan.nodes[0].spec.config.window as { n: number }).n, 256);
  const brokerDown = plan.actions.find((a) => a.event.kind === "fault" && a.event.fault === "broker-down");
  t.is(brokerDown?.nodes, undefined);
  t.deepEqual(plan.actions.find((a) => a.event.kind === "fault" && a.event.fault === "partition")?.nodes, [0, 1, 2]);
  t.deepEqual(plan.actions.find((a) => a.event.kind === "config")?.nodes, [3, 4, 5, 6]);
  t.deepEqual(
    plan.suites.map((x) => [x.group, x.nodes.length, x.expect.length]),
    [
      [undefined, 7, 2],
      ["pumps", 3, 2],
      ["fans", 4, 2],
    ],
  );
  // Same file, same plan.
  t.deepEqual(planRun(parseScenario(JSON.stringify(small()), "f.json")), plan);
  // A group's machine replaces parts of the top-level one; giving thermal drops the inherited temperature_c.
  const doc = small();
  doc.fleet[0].machine = { thermal: { ambient_c: 20, rise_c: 30, tau_s: 50 } };
  const hot = parseScenario(JSON.stringify(doc), "f.json").fleet![0].machine;
  t.deepEqual(hot.thermal, { ambient_c: 20, rise_c: 30, tau_s: 50 });
  t.is(hot.temperature_c, undefined);
  t.is(hot.vibration.length, 2);
});

test("the log orders messages by stamp, then node, keeping each node's own order, and hands out only final stamps", (t) => {
  const seen: string[] = [];
  const log = new StampedLog("sensors", (m) => seen.push(`${m.t} ${m.topic}`));
  const m = (t: number, topic: string): ObservedMessage => ({ t, topic, qos: 1, retain: false, payload: new Uint8Array() });
  log.add(m(10, "sensors/b/alarm"));
  log.add(m(10, "sensors/a/telemetry"));
  log.add(m(10, "sensors/b/telemetry"));
  log.add(m(12, "sensors/a/alarm"));
  log.add(m(10, "sensors/a/alarm"));
  t.is(log.flush(10).length, 0, "stamp 10 may still get messages while the clock is at 10");
  t.is(log.flush(11).length, 4);
  t.deepEqual(seen, ["10 sensors/a/telemetry", "10 sensors/a/alarm", "10 sensors/b/alarm", "10 sensors/b/telemetry"]);
  t.is(log.flush(Infinity).length, 5);
  t.is(seen[4], "12 sensors/a/alarm");
});

test("a small fleet with faults on groups passes, the report counts nodes per group, and one seed gives a byte-identical log", async (t) => {
  const file = write(small());
  const junit = path.join(dir, "small.xml");
  const a = await runCli(["scenario", file, "--json", "--junit", junit]);
  t.is(a.code, 0, a.stderr);
  t.regex(a.stderr, /fleet of 7 nodes in 2 group\(s\)/);
  t.regex(a.stderr, /PASS {2}\[\* 0\] no-loss: holds on 7\/7 nodes\n {8}seen: {5}pump-1: \d+ of \d+ delivered in order/);
  t.regex(a.stderr, /PASS {2}\[pumps 0\] status offline within 4\.\.5 s: holds on 3\/3 nodes/);
  t.regex(a.stderr, /PASS {2}\[pumps 1\] alarm sensor\.accelerometer fault within 16\.\.21 s: holds on 3\/3 nodes/);
  t.regex(a.stderr, /PASS {2}\[fans 0\] alarm x\.vRms warning within 8\.\.13 s: holds on 4\/4 nodes/);
  t.regex(a.stderr, /PASS {2}\[fans 1\] alarm temp\.c warning within 18\.\.22 s: holds on 4\/4 nodes/);
  t.regex(a.stderr, /all 6 expectation\(s\) hold/);
  const lines = a.stdout.trim().split("\n");
  const messages = lines.map((l) => JSON.parse(l) as { t: number; topic: string; payload: { boot?: number; state?: string } });
  for (let i = 1; i < messages.length; i++) t.true(messages[i].t >= messages[i - 1].t, `stamps in order at line ${i + 1}`);
  const ids = new Set(messages.map((m) => m.topic.split("/")[1]));
  t.deepEqual([...ids].sort(), ["fans-1", "fans-2", "fans-3", "fans-4", "pump-1", "pump-2", "pump-3"]);
  // Power loss hit the fans only (boot 2), the partition the pumps only (their will).
  t.true(messages.some((m) => m.topic === "sensors/fans-2/telemetry" && m.payload.boot === 2));
  t.false(messages.some((m) => m.topic.startsWith("sensors/pump-") && m.topic.endsWith("/telemetry") && m.payload.boot === 2));
  const xml = fs.readFileSync(junit, "utf8");
  t.regex(xml, /<testsuite name="small fleet" tests="6" failures="0"/);
  t.regex(xml, /<testcase classname="scenario\.s\d+\.pumps" name="\[pumps 0\] status offline within 4\.\.5 s \(3\/3 nodes\)"/);
  t.regex(xml, /<testcase classname="scenario\.s\d+\.all" name="\[\* 0\] no-loss \(7\/7 nodes\)"/);
  t.regex(xml, /<property name="nodes" value="7"\/>/);
  const b = await runCli(["scenario", file, "--json"]);
  t.is(b.code, 0, b.stderr);
  t.is(b.stdout, a.stdout);
});

test("a wrong group expectation fails (exit 1) naming the failing nodes with what was expected and seen", async (t) => {
  const doc = small();
  doc.fleet[1].expect = [
    { kind: "no-alarm", metric: "*.vRms" },
    { kind: "alarm", metric: "x.vRms", level: "warning", within_s: [8, 13] },
  ];
  // Only the second and third pumps step up: the no-alarm holds on one pump of three.
  doc.fleet[0].count = 3;
  doc.fleet[0].events = [];
  doc.fleet[0].expect = [{ kind: "no-alarm", metric: "*.vRms", name: "pumps stay quiet" }];
  doc.fleet.push({ name: "loud", count: 2, id: "loud-{n}", machine: { vibration: [{ axis: "all", kind: "imbalance", vrms_mm_s: 5.5 }] }, expect: [{ kind: "no-alarm", metric: "*.vRms", name: "never quiet" }] });
  const junit = path.join(dir, "fail.xml");
  const r = await runCli(["scenario", write(doc), "--junit", junit]);
  t.is(r.code, 1, r.stdout + r.stderr);
  t.regex(r.stdout, /PASS {2}\[fans 1\] alarm x\.vRms warning within 8\.\.13 s: holds on 4\/4 nodes/);
  t.regex(
    r.stdout,
    /FAIL {2}\[fans 0\] no-alarm \*\.vRms: holds on 0\/4 nodes\n {8}expected: no alarm message on \*\.vRms\n {8}seen: {5}fans-1: \d+: x\.vRms normal -> warning \(value 3\.\d+, limit 2\.8\) at \d+(\.\d+)? s.*\n {8}seen: {5}fans-2: .*\n {8}seen: {5}fans-3: .*\n {8}and 1 more failing node\(s\): fans-4\n/,
  );
  t.regex(r.stdout, /PASS {2}\[pumps 0\] pumps stay quiet: holds on 3\/3 nodes/);
  t.regex(r.stdout, /FAIL {2}\[loud 0\] never quiet: holds on 0\/2 nodes\n {8}expected: no alarm message on \*\.vRms\n {8}seen: {5}loud-1: \d+: x\.vRms normal -> alarm .*\n {8}seen: {5}loud-2: /);
  t.regex(r.stdout, /2 of 6 expectation\(s\) FAILED/);
  const xml = fs.readFileSync(junit, "utf8");
  t.regex(xml, /<testsuites name="sensor-node scenarios" tests="6" failures="2" errors="0">/);
  t.regex(xml, /<failure type="expectation" message="expected no alarm message on \*\.vRms; seen holds on 0\/4 nodes; fans-1: /);
  t.regex(xml, /seen: {5}fans-4: /, "the JUnit failure names every failing node");
});

test("bad fleet files exit 2 with a message naming the place", async (t) => {
  const cases: [string, (d: Doc) => void, RegExp][] = [
    ["unknown group key", (d) => (d.fleet[1].colour = "red"), /f\.json: fleet\[1\]\.colour: unknown key \(allowed here: name, count, id, node, machine, vary, events, expect\)/],
    ["wrong type", (d) => (d.fleet[1].count = "4"), /fleet\[1\]\.count: expected a number, got "4"/],
    ["count out of range", (d) => (d.fleet[0].count = 0), /fleet\[0\]\.count: 0 is out of range 1\.\.1000/],
    ["fleet too large", (d) => (d.fleet[1].count = 999), /fleet\[1\]\.count: the fleet would have 1002 nodes, more than 1000/],
    ["event after the end", (d) => d.fleet[1].events.push({ at_s: 30, kind: "set", path: "machine.rpm", value: 900 }), /fleet\[1\]\.events\[3\]\.at_s: 30 is after the end of the scenario \(duration_s 28\)/],
    ["unknown metric", (d) => (d.fleet[1].expect[0].metric = "x.velocity"), /fleet\[1\]\.expect\[0\]\.metric: unknown metric "x\.velocity"/],
    ["window past the end", (d) => (d.fleet[0].expect[0].within_s = [4, 40]), /fleet\[0\]\.expect\[0\]\.within_s\[1\]: 40 is out of range 0\.\.28/],
    ["fleet-wide fault in a group", (d) => d.fleet[0].events.push({ at_s: 5, kind: "fault", fault: "broker-down", for_s: 1 }), /fleet\[0\]\.events\[2\]\.fault: broker-down acts on the whole fleet: give it in the top-level events/],
    ["unknown set path", (d) => (d.fleet[1].events[0].path = "machine.vibration[5].vrms_mm_s"), /fleet\[1\]\.events\[0\]\.path: machine\.vibration has no element 5/],
    ["bad group machine", (d) => (d.fleet[0].machine = { rpm: -5 }), /fleet\[0\]\.machine\.rpm: -5 is out of range 0\.\.100000/],
    ["bad group config", (d) => (d.fleet[0].node = { config: { window: { n: 100 } } }), /fleet\[0\]\.node\.config\.window\.n/],
    ["duplicate group name", (d) => (d.fleet[1].name = "pumps"), /fleet\[1\]\.name: "pumps" names an earlier group too/],
    ["id without {n}", (d) => (d.fleet[0].id = "pump"), /fleet\[0\]\.id: 3 nodes need \{n\} in their id/],
    ["ids that collide", (d) => (d.fleet[1].id = "pump-{n}"), /fleet\[1\]\.id: node id "pump-1" is taken by fleet\[0\]/],
    ["vary: unknown path", (d) => (d.fleet[0].vary = { "machine.speed": [1, 2] }), /fleet\[0\]\.vary\.machine\.speed: unknown path "machine\.speed"/],
    ["vary: min above max", (d) => (d.fleet[0].vary = { "machine.rpm": [1800, 1400] }), /fleet\[0\]\.vary\.machine\.rpm\[1\]: 1400 is below the minimum \(1800\)/],
    ["vary: out of the field's range", (d) => (d.fleet[1].vary = { "machine.vibration[0].vrms_mm_s": [0.5, 5000] }), /fleet\[1\]\.vary\.machine\.vibration\[0\]\.vrms_mm_s\[1\]: 5000 is out of range 0\.\.1000/],
    ["top-level set path missing on a group machine", (d) => {
      d.events.push({ at_s: 3, kind: "set", path: "machine.vibration[1].g_rms", value: 0.01 });
      d.fleet[0].machine = { vibration: [{ axis: "all", kind: "imbalance", vrms_mm_s: 1 }] };
    }, /events\[1\]\.path \(on fleet\[0\]\.machine\): machine\.vibration has no element 1/],
    ["top-level nodeId", (d) => (d.node.config.nodeId = "x"), /node\.config\.nodeId: a fleet names its nodes by each group's id/],
    ["empty fleet", (d) => (d.fleet = []), /f\.json: fleet: expected at least one group/],
  ];
  for (const [name, change, message] of cases) {
    const doc = small();
    change(doc);
    t.throws(() => parseScenario(JSON.stringify(doc), "f.json"), { message }, name);
  }
  // Through the CLI: exit 2, the file and the place on stderr, nothing run.
  const doc = small();
  doc.fleet[1].expect[0].metric = "x.velocity";
  const file = write(doc);
  const r = await runCli(["scenario", file]);
  t.is(r.code, 2);
  t.true(r.stderr.startsWith(`${file}: fleet[1].expect[0].metric: unknown metric "x.velocity"`), r.stderr);
  const big = small();
  big.fleet[0].count = 5000;
  const r2 = await runCli(["scenario", write(big)]);
  t.is(r2.code, 2);
  t.regex(r2.stderr, /fleet\[0\]\.count: 5000 is out of range 1\.\.1000/);
});

test("--target device and sim --scenario refuse a fleet file (exit 2): a device run is one node", async (t) => {
  const r = await runCli(["scenario", FLEET_100, "--target", "device", "--broker", "mqtt://127.0.0.1:9", "--node", "n1"]);
  t.is(r.code, 2);
  t.regex(r.stderr, /fleet-100\.json: fleet: the device target drives one real node; this file describes a fleet of 100 node\(s\) in 6 group\(s\): run it with --target sim/);
  const sim = await runCli(["sim", "--scenario", FLEET_100]);
  t.is(sim.code, 2);
  t.regex(sim.stderr, /fleet-100\.json: a fleet file \(fleet\[\]\): run it with sensor-node scenario/);
});

test("fleet-100: 100 mixed machines, every group expectation holds, and two runs give byte-identical logs", async (t) => {
  const a = await runCli(["scenario", FLEET_100, "--json"], 600_000);
  t.is(a.code, 0, a.stderr);
  const report = a.stderr.split("\n").filter((l) => !l.includes("simulated ("));
  t.log(report[0]);
  t.regex(a.stderr, /fleet of 100 nodes in 6 group\(s\), 120\.0 s simulated in [\d.]+ s, \d+ messages/);
  t.regex(a.stderr, /PASS {2}\[\* \d\] no-loss: holds on 100\/100 nodes/);
  t.regex(a.stderr, /PASS {2}\[healthy-motors 0\] no-alarm: holds on 20\/20 nodes/);
  t.regex(a.stderr, /PASS {2}\[pumps-imbalance \d\] alarm \*\.vRms alarm within 80\.\.86 s: holds on 25\/25 nodes/);
  t.regex(a.stderr, /PASS {2}\[overheating \d\] alarm temp\.c alarm within/);
  t.regex(a.stderr, /PASS {2}\[conveyors-partitioned \d\] status offline within 30\.\.31 s: holds on 20\/20 nodes/);
  t.notRegex(a.stderr, /FAIL/);
  const lines = a.stdout.trim().split("\n");
  t.true(lines.length > 10000, `${lines.length} messages`);
  const nodes = new Set(lines.map((l) => (JSON.parse(l) as { topic: string }).topic.split("/")[1]));
  t.is(nodes.size, 100);
  // The machines are mixed: the pumps run at different speeds (1450..1790 rpm: x's dominant frequency is 1x).
  const fDom = new Map<string, number>();
  for (const l of lines) {
    const m = JSON.parse(l) as { topic: string; payload: { vib?: { x?: { fDom?: number } } } };
    if (m.topic.startsWith("sensors/pump-") && m.topic.endsWith("/telemetry") && !fDom.has(m.topic)) fDom.set(m.topic, m.payload.vib!.x!.fDom!);
  }
  t.is(fDom.size, 25);
  const f = [...fDom.values()];
  t.true(Math.min(...f) < 25.5 && Math.max(...f) > 28.5, f.join(", "));
  const b = await runCli(["scenario", FLEET_100, "--json"], 600_000);
  t.is(b.code, 0, b.stderr);
  t.is(b.stdout.length, a.stdout.length);
  t.true(b.stdout === a.stdout, "byte-identical --json logs");
});
