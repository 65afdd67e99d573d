/*
 * Monitoring out of the box (issue 16, item 5): a node configured with no
 * rules watches every axis against the ISO 10816-3 zones of its machine class
 * (default group 2, rigid) and learns a baseline. The zone limits are written
 * here from the standard, not taken from firmware/monitor/iso.ts. The step and
 * the doubling run as shipped scenarios (scenarios/out-of-the-box.json,
 * scenarios/baseline-doubling.json, in test/scenario-library.test.ts).
 */
import test from "ava";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ConfigError, resolveConfig } from "../firmware/app/config.js";
import { Monitor } from "../firmware/monitor/monitor.js";
import { isKnownMetric } from "../firmware/monitor/metrics.js";
import type { NodeSpec } from "../tools/simulator/simulation.js";
import { startRig } from "./helpers/rig.js";
import { until } from "./helpers/wait.js";
import { runCli } from "./helpers/cli.js";

/** ISO 10816-3:2009 Annex A, Tables A.1 (group 1) and A.2 (group 2): zone boundaries, velocity RMS in mm/s. */
const ISO_10816_3 = [
  { group: 1, foundation: "rigid", ab: 2.3, bc: 4.5, cd: 7.1 },
  { group: 1, foundation: "flexible", ab: 3.5, bc: 7.1, cd: 11.0 },
  { group: 2, foundation: "rigid", ab: 1.4, bc: 2.8, cd: 4.5 },
  { group: 2, foundation: "flexible", ab: 2.3, bc: 4.5, cd: 7.1 },
] as const;

/** The monitor a node builds from a configuration document (as NodeApp does). */
function monitorOf(document: unknown): Monitor {
  const c = resolveConfig(document);
  return new Monitor(c.monitor, isKnownMetric, 0, c.machine);
}

function levels(m: Monitor): Record<string, [number | undefined, number | undefined]> {
  return Object.fromEntries(m.states.map((s) => [s.rule.name, [s.rule.warning, s.rule.alarm]]));
}

test("no rules configured: warning at B/C and alarm at C/D of group 2 rigid on every axis; a baseline is learned over an hour", (t) => {
  const c = resolveConfig({});
  t.like(c.machine, { group: 2, foundation: "rigid" });
  t.deepEqual(levels(monitorOf({})), { "x.vRms": [2.8, 4.5], "y.vRms": [2.8, 4.5], "z.vRms": [2.8, 4.5] });
  t.like(c.monitor.baseline, { enabled: true, learnS: 3600 });
  t.deepEqual(c.monitor.baseline.metrics, ["x.vRms", "y.vRms", "z.vRms"]);
});

for (const iso of ISO_10816_3) {
  test(`machine group ${iso.group} ${iso.foundation}: the default rules and zones are ISO 10816-3's`, (t) => {
    const m = monitorOf({ machine: { group: iso.group, foundation: iso.foundation } });
    for (const axis of ["x", "y", "z"]) t.deepEqual(levels(m)[`${axis}.vRms`], [iso.bc, iso.cd], axis);
    const below = (v: number) => v * 0.999;
    t.deepEqual([below(iso.ab), iso.ab, below(iso.bc), iso.bc, below(iso.cd), iso.cd].map((v) => m.zone(v)), ["A", "B", "B", "C", "C", "D"]);
  });
}

test("a configured vRms rule replaces the default for its axis only, with no duplicate-rule error", (t) => {
  const m = monitorOf({ monitor: { rules: [{ metric: "x.vRms", warning: 10, alarm: 15 }, { metric: "x.kurtosis", alarm: 6 }] } });
  t.deepEqual(levels(m), { "x.vRms": [10, 15], "x.kurtosis": [undefined, 6], "y.vRms": [2.8, 4.5], "z.vRms": [2.8, 4.5] });
  // A rate rule on x.vRms watches the rise, not the level: the zone rule stays.
  t.deepEqual(Object.keys(levels(monitorOf({ monitor: { rules: [{ metric: "x.vRms", kind: "rate", warning: 1 }] } }))), ["x.vRms.rate", "x.vRms", "y.vRms", "z.vRms"]);
  // Two configured rules for one metric are still an error, naming the second.
  const e = t.throws(() => resolveConfig({ monitor: { rules: [{ metric: "y.vRms", alarm: 5 }, { metric: "y.vRms", alarm: 6 }] } }), { instanceOf: ConfigError });
  t.is(e!.field, "monitor.rules[1].metric");
});

test("monitor.iso false: no zone rules and no zones, the configured rules only", (t) => {
  const m = monitorOf({ monitor: { iso: false, rules: [{ metric: "z.aPeak", alarm: 1 }] } });
  t.deepEqual(Object.keys(levels(m)), ["z.aPeak"]);
  t.is(m.zone(10), undefined);
});

test("configs written before the machine class moved stay valid: monitor.iso {group, foundation} and null", (t) => {
  const old = resolveConfig({ monitor: { iso: { group: 1, foundation: "flexible" } } });
  t.like(old.machine, { group: 1, foundation: "flexible" });
  t.true(old.monitor.iso);
  t.deepEqual(levels(monitorOf({ monitor: { iso: { group: 1, foundation: "flexible" } } }))["y.vRms"], [7.1, 11.0]);
  t.false(resolveConfig({ monitor: { iso: null } }).monitor.iso);
  // The same class given both ways is fine; a different one is an error naming the old field.
  t.like(resolveConfig({ machine: { group: 1 }, monitor: { iso: { group: 1, foundation: "rigid" } } }).machine, { group: 1, foundation: "rigid" });
});

const bad: [unknown, string, RegExp][] = [
  [{ machine: { group: 3 } }, "machine.group", /expected one of 1, 2, got 3/],
  [{ machine: { group: "2" } }, "machine.group", /expected one of 1, 2, got "2"/],
  [{ machine: { foundation: "soft" } }, "machine.foundation", /expected one of "rigid", "flexible", got "soft"/],
  [{ machine: { class: 2 } }, "machine.class", /unknown key/],
  [{ monitor: { iso: "yes" } }, "monitor.iso", /expected true or false, got "yes"/],
  [{ monitor: { iso: { group: 3, foundation: "rigid" } } }, "monitor.iso.group", /expected one of 1, 2, got 3/],
  [{ monitor: { iso: { group: 2, base: "rigid" } } }, "monitor.iso.base", /unknown key/],
  [{ machine: { foundation: "rigid" }, monitor: { iso: { group: 2, foundation: "flexible" } } }, "monitor.iso.foundation", /conflicts with machine\.foundation "rigid".*machine\.group and machine\.foundation only/],
];

for (const [doc, field, message] of bad) {
  test(`rejects ${JSON.stringify(doc)} naming ${field}`, (t) => {
    const error = t.throws(() => resolveConfig(doc), { instanceOf: ConfigError });
    t.is(error!.field, field);
    t.regex(error!.message, message);
  });
}

test("sensor-node config check: a bad machine class is one line naming the field, exit 2; a good one shows the class", async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sensor-node-machine-"));
  const badFile = path.join(dir, "bad.json");
  fs.writeFileSync(badFile, JSON.stringify({ machine: { group: 3 } }));
  const r = await runCli(["config", "check", badFile]);
  t.is(r.code, 2);
  t.is(r.stderr.trim().split("\n").length, 1, r.stderr);
  t.regex(r.stderr, /bad\.json: config\.machine\.group: expected one of 1, 2, got 3/);
  const oldFile = path.join(dir, "old.json");
  fs.writeFileSync(oldFile, JSON.stringify({ monitor: { iso: { group: 1, foundation: "rigid" } } }));
  const ok = await runCli(["config", "check", oldFile]);
  t.is(ok.code, 0, ok.stderr);
  const shown = JSON.parse(ok.stdout);
  t.like(shown, { machine: { group: 1, foundation: "rigid" }, monitor: { iso: true } });
});

test("on a node: the zone rules for y and z, the configured rule for x; the class changed by command applies from the next windows", async (t) => {
  const spec: NodeSpec = {
    nodeId: "pump-2",
    seed: 5,
    machine: {
      rpm: 1780,
      vibration: [
        { axis: "x", kind: "sine", freq_hz: 29.7, vrms_mm_s: 6 },
        { axis: "y", kind: "sine", freq_hz: 29.7, vrms_mm_s: 6 },
      ],
      temperature_c: 40,
    },
    config: { monitor: { rules: [{ metric: "x.vRms", warning: 10, alarm: 15 }] } },
  };
  const { node, runTo, on, client: connect } = await startRig(t, { spec });
  await runTo(20_000);
  // 6 mm/s: zone D of group 2 rigid (C/D 4.5), below the configured x warning (10).
  t.deepEqual(on("alarm").map((a) => [a.metric, a.level, a.limit]), [["y.vRms", "alarm", 4.5]]);
  t.is(on("telemetry").at(-1).vib.y.zone, "D");
  node.machine.set("machine.vibration[0].vrms_mm_s", 12);
  await runTo(30_000);
  t.deepEqual(on("alarm").map((a) => [a.metric, a.level, a.limit]).slice(1), [["x.vRms", "warning", 10]]);

  // Group 1 flexible (B/C 7.1): y at 6 mm/s falls to zone B, its alarm clears at the reset level.
  const client = await connect();
  await client.publishAsync("sensors/pump-2/cmd/config", JSON.stringify({ machine: { group: 1, foundation: "flexible" } }), { qos: 1 });
  await until(() => on("cmd/config/ack").length === 1, "config ack");
  t.like(on("cmd/config/ack")[0], { ok: true, changed: ["machine"], restart: false });
  await runTo(40_000);
  t.like(on("alarm").at(-1), { metric: "y.vRms", prev: "alarm", level: "normal" });
  t.is(on("telemetry").at(-1).vib.y.zone, "B");
});

test("the baseline, on by default, is turned off and on again by command; what was learned carries over", async (t) => {
  const spec: NodeSpec = {
    nodeId: "fan-4",
    seed: 6,
    machine: { rpm: 1780, vibration: [{ axis: "all", kind: "imbalance", vrms_mm_s: 1.5 }], temperature_c: 40 },
    config: { monitor: { baseline: { learnS: 10 } } },
  };
  const { node, runTo, on, client: connect } = await startRig(t, { spec });
  const baselineRules = () => node.app.monitor.states.map((s) => s.rule.name).filter((n) => n.endsWith(".baseline"));
  await runTo(20_000);
  t.deepEqual(baselineRules(), ["x.vRms.baseline", "y.vRms.baseline", "z.vRms.baseline"]);
  const learned = node.app.baseline!.stats("x.vRms")!.mean;

  const client = await connect();
  const configure = async (doc: unknown, n: number) => {
    await client.publishAsync("sensors/fan-4/cmd/config", JSON.stringify(doc), { qos: 1 });
    await until(() => on("cmd/config/ack").length === n, "config ack");
    t.like(on("cmd/config/ack")[n - 1], { ok: true, restart: false });
  };
  await configure({ monitor: { baseline: { enabled: false } } }, 1);
  t.is(node.app.baseline, undefined);
  t.deepEqual(baselineRules(), []);
  await runTo(25_000);
  t.deepEqual(baselineRules(), [], "no rules come back while disabled");

  await configure({ monitor: { baseline: { enabled: true, warning: 1.8 } } }, 2);
  t.true(node.app.baseline!.ready, "the stored baseline is taken up again");
  t.is(node.app.baseline!.stats("x.vRms")!.mean, learned);
  const x = node.app.monitor.states.find((s) => s.rule.name === "x.vRms.baseline")!.rule;
  // The new factor applies (a warning of at least 1.8 x the mean; more only if minSigma deviations reach further).
  t.true(x.warning! >= 1.8 * learned - 1e-4, `warning ${x.warning}, learned mean ${learned}`);
});
