/*
 * The scenario runner through the real CLI: reports, exit codes, JUnit XML,
 * bad files, determinism.
 */
import test from "ava";
import * as fs from "node:fs";
import * as path from "node:path";
import { runCli } from "./helpers/cli.js";
import { imbalancedMachine, scenarioWriter } from "./helpers/scenario-files.js";
import { parseScenario } from "../tools/scenario/parse.js";
import { junitXml } from "../tools/scenario/junit.js";

const { dir, write } = scenarioWriter("scenario-runner-");

const base = () => ({
  version: 1,
  name: "runner test",
  seed: 5,
  duration_s: 20,
  node: { config: { machine: { group: 2, foundation: "rigid" } } },
  machine: imbalancedMachine(1.5, 0.005),
  events: [{ at_s: 8, kind: "set", path: "machine.vibration[0].vrms_mm_s", value: 3.5 }] as Record<string, unknown>[],
  expect: [
    { kind: "alarm", metric: "x.vRms", level: "warning", within_s: [8, 14] },
    { kind: "no-loss" },
  ] as Record<string, unknown>[],
});

test("a passing scenario exits 0, reports each expectation, and writes JUnit XML with the right counts", async (t) => {
  const junit = path.join(dir, "pass.xml");
  const r = await runCli(["scenario", write(base()), "--junit", junit]);
  t.is(r.code, 0, r.stdout + r.stderr);
  t.regex(r.stdout, /PASS {2}\[0\] alarm x\.vRms warning within 8\.\.14 s\n {8}seen: {5}x\.vRms normal -> warning \(value 3\.\d+, limit 2\.8\) at /);
  t.regex(r.stdout, /PASS {2}\[1\] no-loss/);
  t.regex(r.stdout, /all 2 expectation\(s\) hold/);
  const xml = fs.readFileSync(junit, "utf8");
  checkXml(t, xml);
  t.regex(xml, /<testsuite name="runner test" tests="2" failures="0"/);
  t.is(xml.match(/<testcase /g)?.length, 2);
});

test("a deliberately wrong expectation fails (exit 1) saying what was expected and what was seen", async (t) => {
  const doc = base();
  doc.expect = [
    { kind: "alarm", metric: "x.vRms", level: "alarm", within_s: [8, 14] },
    { kind: "metric", metric: "x.vRms", value: 7, tolerance: "5%", during_s: [2, 7] },
    { kind: "no-alarm", metric: "*.vRms" },
    { kind: "no-loss" },
  ];
  const junit = path.join(dir, "fail.xml");
  const r = await runCli(["scenario", write(doc), "--junit", junit]);
  t.is(r.code, 1, r.stdout + r.stderr);
  t.regex(r.stdout, /FAIL {2}\[0\] alarm x\.vRms alarm within 8\.\.14 s\n {8}expected: an alarm message on x\.vRms with level "alarm" between 8 s and 14 s\n {8}seen: {5}x\.vRms normal -> warning \(value 3\.\d+, limit 2\.8\) at \d+(\.\d+)? s/);
  t.regex(r.stdout, /FAIL {2}\[1\] metric x\.vRms = 7 \+- 5% during 2\.\.7 s\n {8}expected: every telemetry value of x\.vRms between 2 s and 7 s within 7 \+- 0\.35 \(5%\)\n {8}seen: {5}\d+ value\(s\) from 1\.\d+ to 1\.\d+; \d+ outside, first 1\.\d+ at/);
  t.regex(r.stdout, /FAIL {2}\[2\] no-alarm \*\.vRms\n {8}expected: no alarm message on \*\.vRms\n {8}seen: {5}\d+: x\.vRms normal -> warning/);
  t.regex(r.stdout, /PASS {2}\[3\] no-loss/);
  t.regex(r.stdout, /3 of 4 expectation\(s\) FAILED/);
  const xml = fs.readFileSync(junit, "utf8");
  checkXml(t, xml);
  t.regex(xml, /<testsuites name="sensor-node scenarios" tests="4" failures="3" errors="0">/);
  t.is(xml.match(/<failure /g)?.length, 3);
  t.regex(xml, /<failure type="expectation" message="expected an alarm message on x\.vRms with level &quot;alarm&quot; between 8 s and 14 s; seen x\.vRms normal -&gt; warning/);
});

test("bad files exit 2 with a message naming the place", async (t) => {
  const cases: [string, (d: ReturnType<typeof base>) => void, RegExp][] = [
    ["unknown expectation key", (d) => (d.expect[0].within = [1, 2]), /expect\[0\]\.within: unknown key \(allowed here: kind, name, metric, level, within_s\)/],
    ["unknown metric", (d) => (d.expect[0].metric = "x.velocity"), /expect\[0\]\.metric: unknown metric "x\.velocity"/],
    ["unknown expectation kind", (d) => (d.expect[1].kind = "no-lost"), /expect\[1\]\.kind: expected one of "alarm", "no-alarm", "metric", "status", "no-loss", "latency", got "no-lost"/],
    ["window past the end", (d) => (d.expect[0].within_s = [8, 40]), /expect\[0\]\.within_s\[1\]: 40 is out of range 0\.\.20/],
    ["event after the end", (d) => d.events.push({ at_s: 21, kind: "fault", fault: "partition", for_s: 1 }), /events\[1\]\.at_s: 21 is after the end of the scenario \(duration_s 20\)/],
    ["fault lasting past the end", (d) => d.events.push({ at_s: 15, kind: "fault", fault: "broker-down", for_s: 10 }), /events\[1\]\.for_s: the fault would end at 25 s, after the end/],
    ["unknown fault", (d) => d.events.push({ at_s: 5, kind: "fault", fault: "meteor" }), /events\[1\]\.fault: expected one of "i2c-nack", "sensor-unplugged", "bus-stuck"/],
    ["wrong type", (d) => d.events.push({ at_s: 5, kind: "fault", fault: "clock-jump", by_s: "1h" }), /events\[1\]\.by_s: expected a number, got "1h"/],
    ["bad config", (d) => d.events.push({ at_s: 5, kind: "config", config: { monitor: { rules: [{ metric: "x.vRms", warning: "high" }] } } }), /events\[1\]\.config\.monitor/],
    ["bad tolerance", (d) => d.expect.push({ kind: "metric", metric: "temp.c", value: 40, tolerance: "a bit", during_s: [0, 5] }), /expect\[2\]\.tolerance: expected a number \(absolute, in the metric's unit\) or a percentage like "10%"/],
  ];
  for (const [name, change, message] of cases) {
    const doc = base();
    change(doc);
    const file = write(doc);
    t.throws(() => parseScenario(fs.readFileSync(file, "utf8"), file), { message }, name);
  }
  // Through the CLI: exit code 2, the message on stderr names the file and the place.
  const doc = base();
  doc.expect[0].metric = "x.velocity";
  const file = write(doc);
  const r = await runCli(["scenario", file]);
  t.is(r.code, 2);
  t.true(r.stderr.startsWith(`${file}: expect[0].metric: unknown metric "x.velocity"`), r.stderr);
  const notJson = await runCli(["scenario", write("{ nope")]);
  t.is(notJson.code, 2);
  t.regex(notJson.stderr, /not valid JSON/);
});

test("the same seed gives a byte-identical message log (--json), faults and all", async (t) => {
  const doc = base();
  doc.duration_s = 40;
  doc.events.push(
    { at_s: 10, kind: "fault", fault: "partition", for_s: 5 },
    { at_s: 18, kind: "fault", fault: "power-loss" },
    { at_s: 22, kind: "fault", fault: "broker-down", for_s: 6 },
    { at_s: 30, kind: "fault", fault: "sensor-unplugged", for_s: 3 },
    { at_s: 34, kind: "fault", fault: "clock-jump", by_s: -120 },
    { at_s: 35, kind: "config", config: { monitor: { rules: [{ metric: "temp.c", warning: 30 }] } } },
  );
  doc.expect = [{ kind: "alarm", metric: "temp.c", level: "warning", within_s: [35, 38] }, { kind: "no-loss" }];
  const file = write(doc);
  const a = await runCli(["scenario", file, "--json"]);
  const b = await runCli(["scenario", file, "--json"]);
  t.is(a.code, 0, a.stderr);
  t.is(b.code, 0, b.stderr);
  t.true(a.stdout.split("\n").length > 30);
  t.is(a.stdout, b.stdout);
  for (const line of a.stdout.trim().split("\n")) {
    const m = JSON.parse(line);
    t.true(Number.isInteger(m.t), line);
  }
  // A different seed gives a different log.
  doc.seed = 6;
  const c = await runCli(["scenario", write(doc), "--json"]);
  t.not(c.stdout, a.stdout);
});

test("junitXml escapes what XML cannot carry as-is", (t) => {
  const xml = junitXml([
    {
      name: 'a <b> & "c"',
      seed: 1,
      nodeId: "n",
      virtualMs: 1000,
      realMs: 1,
      messages: [],
      produced: new Map(),
      passed: false,
      results: [{ index: 0, kind: "no-loss", title: "x < y", pass: false, expected: "a\u0001b", seen: "c\nd" }],
    },
  ]);
  checkXml(t, xml);
  t.regex(xml, /name="a &lt;b&gt; &amp; &quot;c&quot;"/);
  t.regex(xml, /expected: ab&#10;seen: {5}c&#10;d<\/failure>/);
});

/** A small well-formedness check: one root, tags balanced and nested, attributes quoted, entities known. */
function checkXml(t: any, xml: string): void {
  t.true(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n'));
  const body = xml.slice(xml.indexOf("?>") + 2);
  const stack: string[] = [];
  let roots = 0;
  const re = /<(\/?)([A-Za-z][\w-]*)((?:\s+[\w-]+="[^"<]*")*)\s*(\/?)>|([^<]+)|(<)/g;
  for (let m; (m = re.exec(body)); ) {
    if (m[6]) return void t.fail(`stray < at ${m.index}`);
    if (m[5] !== undefined) {
      t.notRegex(m[5], /&(?!(amp|lt|gt|quot|apos|#\d+);)/, "unescaped &");
      if (!stack.length) t.is(m[5].trim(), "", "text outside the root");
      continue;
    }
    t.notRegex(m[3], /&(?!(amp|lt|gt|quot|apos|#\d+);)/, "unescaped & in an attribute");
    if (m[1]) t.is(stack.pop(), m[2], `closing </${m[2]}>`);
    else if (!m[4]) {
      if (!stack.length) roots++;
      stack.push(m[2]);
    } else if (!stack.length) roots++;
  }
  t.deepEqual(stack, []);
  t.is(roots, 1);
}

test("scenario --dashboard: the page is served during the run and keeps what it saw until Ctrl-C", async (t) => {
  const { spawn } = await import("node:child_process");
  const { BIN } = await import("./helpers/cli.js");
  const file = new URL("../../scenarios/imbalance-growing.json", import.meta.url).pathname;
  const child = spawn(process.execPath, [BIN, "scenario", file, "--dashboard", "--port", "0"], { stdio: ["ignore", "pipe", "pipe"] });
  t.teardown(() => child.kill("SIGKILL"));
  let stderr = "";
  let stdout = "";
  child.stderr.on("data", (d) => (stderr += d));
  child.stdout.on("data", (d) => (stdout += d));
  const deadline = Date.now() + 60_000;
  while (!/dashboard stays up at (http:\/\/\S+)/.test(stderr)) {
    if (Date.now() > deadline || child.exitCode !== null) return t.fail(`no dashboard: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const url = /dashboard stays up at (http:\/\/\S+)/.exec(stderr)![1];
  t.regex(url, /^http:\/\/127\.0\.0\.1:\d+/);
  const page = await fetch(url);
  t.is(page.status, 200);
  t.regex(await page.text(), /<title>sensor-node dashboard<\/title>/);
  // The server kept the run's data: the node's snapshot carries its trend and alarms, and says the run is over.
  const snapshot: any = await (await fetch(`${url.replace(/\/$/, "")}/api/node?id=node-1`)).json();
  t.true((snapshot.points?.length ?? 0) > 10, `points ${snapshot.points?.length}`);
  t.true((snapshot.alarms?.length ?? 0) >= 1, "the imbalance alarm is on the timeline");
  t.regex(String(snapshot.finished), /^run finished/);
  child.kill("SIGINT");
  const code = await new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c)));
  t.is(code, 0, stderr);
  t.regex(stdout, /PASS/);
});
