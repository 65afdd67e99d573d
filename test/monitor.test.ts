import test from "ava";
import { Monitor, DEFAULT_MONITOR, type MonitorConfig } from "../firmware/monitor/monitor.js";
import { RuleError, type RuleInput } from "../firmware/monitor/rules.js";
import { isoLimits, isoZone } from "../firmware/monitor/iso.js";

const METRICS = new Set(["x.vRms", "y.vRms", "z.vRms", "x.aRms", "x.kurtosis", "temp.c"]);
const known = (m: string) => METRICS.has(m);
const WINDOW_MS = 1280;

function monitor(rules: RuleInput[], extra: Partial<MonitorConfig> = {}) {
  return new Monitor({ ...DEFAULT_MONITOR, running: { thresholdMmS: 0.5, graceS: 0 }, rules, ...extra }, known);
}

/** Feeds one value per window for `metric` (other axes idle) and collects transitions with their window index. */
function feed(m: Monitor, metric: string, values: number[], others: Record<string, number> = {}) {
  const out: { i: number; metric: string; level: string; prev: string; value: number; limit: number | undefined }[] = [];
  values.forEach((v, i) => {
    const read = (name: string) => (name === metric ? v : others[name] ?? (name.endsWith("vRms") ? 1 : undefined));
    for (const t of m.evaluate(read, i * WINDOW_MS)) out.push({ i, ...t });
  });
  return out;
}

test("a ramp through warning and alarm gives one transition each, at the window that crosses", (t) => {
  const m = monitor([{ metric: "x.vRms", warning: 4.5, alarm: 7.1 }]);
  const ramp = Array.from({ length: 40 }, (_, i) => 1 + i * 0.25); // 1.0 .. 10.75
  const tr = feed(m, "x.vRms", ramp);
  t.deepEqual(tr.map((x) => [x.i, x.prev, x.level, x.limit]), [
    [14, "normal", "warning", 4.5], // 1 + 14 * 0.25 = 4.5
    [25, "warning", "alarm", 7.1], // 7.25 is the first value >= 7.1
  ]);
  t.is(m.level, "alarm");
});

test("a one-window spike does not alarm with on-delay 2", (t) => {
  const m = monitor([{ metric: "x.vRms", alarm: 7.1, onDelay: 2 }]);
  t.deepEqual(feed(m, "x.vRms", [2, 2, 9, 2, 2, 9, 2]), []);
  const sustained = feed(monitor([{ metric: "x.vRms", alarm: 7.1, onDelay: 2 }]), "x.vRms", [2, 9, 9, 9]);
  t.deepEqual(sustained.map((x) => [x.i, x.level]), [[2, "alarm"]]);
});

test("a value chattering around a level with hysteresis gives at most one transition pair", (t) => {
  const m = monitor([{ metric: "x.vRms", warning: 4.5, warningReset: 4.0 }]);
  const chatter = Array.from({ length: 60 }, (_, i) => (i % 2 ? 4.55 : 4.45));
  const tr = feed(m, "x.vRms", [...chatter, 3.0, 3.0]);
  t.deepEqual(tr.map((x) => [x.prev, x.level]), [["normal", "warning"], ["warning", "normal"]]);
  t.is(tr[1].limit, 4.0);
  // Without hysteresis (reset = level) the same input flaps: the reason reset levels exist.
  const flappy = feed(monitor([{ metric: "x.vRms", warning: 4.5, warningReset: 4.5 }]), "x.vRms", chatter);
  t.true(flappy.length > 50);
});

test("off-delay holds a level until the value stays low", (t) => {
  const m = monitor([{ metric: "temp.c", warning: 80, offDelay: 3 }]);
  const tr = feed(m, "temp.c", [85, 70, 70, 85, 70, 70, 70, 70]);
  t.deepEqual(tr.map((x) => [x.i, x.level]), [[0, "warning"], [6, "normal"]]);
});

test("n of m windows raises on intermittent exceedances", (t) => {
  const m = monitor([{ metric: "x.kurtosis", alarm: 6, n: 3, m: 5 }]);
  const tr = feed(m, "x.kurtosis", [7, 3, 7, 3, 3, 3, 7, 3, 7, 7]);
  t.deepEqual(tr.map((x) => [x.i, x.level]), [[9, "alarm"]]); // windows 5..9 hold 3 of 5
});

test("rate of rise: degC per minute over the span", (t) => {
  const m = monitor([{ metric: "temp.c", kind: "rate", warning: 2, alarm: 5, spanS: 60 }]);
  // 0.5 degC per window of 1.28 s = 23.4 degC/min after a steady start.
  const values = [...Array(60).fill(40), ...Array.from({ length: 60 }, (_, i) => 40 + i * 0.05)];
  const tr = feed(m, "temp.c", values);
  t.true(tr.length >= 1);
  t.is(tr[0].metric, "temp.c.rate");
  t.is(tr[0].level, "warning");
  // 0.05 degC per 1.28 s is 2.34 degC/min: warning, never alarm.
  t.false(tr.some((x) => x.level === "alarm"));
});

test("latching keeps the alarm until acknowledged", (t) => {
  const m = monitor([{ metric: "x.vRms", alarm: 7.1, latch: true }]);
  t.deepEqual(feed(m, "x.vRms", [9, 2, 2, 2]).map((x) => x.level), ["alarm"]);
  t.is(m.level, "alarm");
  t.is(m.acknowledge(), 1);
  const tr = m.evaluate((n) => (n === "x.vRms" ? 2 : undefined), 10 * WINDOW_MS);
  t.deepEqual(tr.map((x) => x.level), ["normal"]);
});

test("ISO 10816-3 zones: the four machine classes and their boundaries", (t) => {
  t.deepEqual(isoLimits(1, "rigid"), { ab: 2.3, bc: 4.5, cd: 7.1 });
  t.deepEqual(isoLimits(1, "flexible"), { ab: 3.5, bc: 7.1, cd: 11.0 });
  t.deepEqual(isoLimits(2, "rigid"), { ab: 1.4, bc: 2.8, cd: 4.5 });
  t.deepEqual(isoLimits(2, "flexible"), { ab: 2.3, bc: 4.5, cd: 7.1 });
  const l = isoLimits(2, "rigid");
  t.deepEqual([1.39, 1.4, 2.79, 2.8, 4.49, 4.5].map((v) => isoZone(v, l)), ["A", "B", "B", "C", "C", "D"]);
  const m = monitor([], { iso: true, isoOnDelay: 1 });
  const tr = feed(m, "y.vRms", [1, 3, 5]);
  t.deepEqual(tr.map((x) => [x.metric, x.level, x.limit]), [["y.vRms", "warning", 2.8], ["y.vRms", "alarm", 4.5]]);
  t.is(m.zone(3), "C");
});

test("no vibration alarm while stopped or within the start-up grace period; temperature still watched", (t) => {
  const m = new Monitor({ ...DEFAULT_MONITOR, running: { thresholdMmS: 0.5, graceS: 5 }, rules: [{ metric: "x.aRms", alarm: 0.1 }, { metric: "temp.c", alarm: 90 }] }, known);
  const tr: string[] = [];
  // Stopped (vRms 0.1) with a large aRms (a knock while idle), then a start with a run-up transient.
  const windows = [
    ...Array.from({ length: 5 }, () => ({ v: 0.1, a: 0.5, c: 95 })),
    ...Array.from({ length: 3 }, () => ({ v: 3, a: 0.5, c: 95 })), // < 5 s after start
    ...Array.from({ length: 3 }, () => ({ v: 3, a: 0.5, c: 95 })),
  ];
  windows.forEach((w, i) => {
    for (const x of m.evaluate((n) => (n.endsWith("vRms") ? w.v : n === "x.aRms" ? w.a : n === "temp.c" ? w.c : undefined), i * 2000)) tr.push(`${i}:${x.metric}:${x.level}`);
  });
  // Start at window 5 (10 s); grace ends at 15 s = window 8. The default zone rules (3 mm/s: zone C of group 2 rigid) wait too, then hold their 2 windows.
  t.deepEqual(tr, ["0:temp.c:alarm", "8:x.aRms:alarm", "9:x.vRms:warning", "9:y.vRms:warning", "9:z.vRms:warning"]);
  t.is(m.running.starts, 1);
  t.is(Math.round(m.running.runningSeconds), 10);
});

const invalid: [RuleInput, RegExp][] = [
  [{ metric: "x.vRms", warning: 8, alarm: 7 }, /monitor\.rules\[0\]\.warning: 8 must be below the alarm level 7/],
  [{ metric: "x.vRms", warning: 4, warningReset: 5 }, /monitor\.rules\[0\]\.warningReset: 5 is on the wrong side/],
  [{ metric: "x.vRms", alarm: 4, onDelay: -1 }, /monitor\.rules\[0\]\.onDelay: expected a whole number/],
  [{ metric: "x.vRMS", alarm: 4 }, /monitor\.rules\[0\]\.metric: unknown metric "x\.vRMS"/],
  [{ metric: "x.vRms" }, /needs a warning or an alarm level/],
  [{ metric: "x.vRms", alarm: 4, n: 4, m: 3 }, /n: 4 must not exceed m/],
  [{ metric: "x.vRms", alarm: 4, limit: 3 } as RuleInput, /monitor\.rules\[0\]\.limit: unknown key/],
];

for (const [rule, message] of invalid) {
  test(`invalid rule ${JSON.stringify(rule)} is rejected naming the field`, (t) => {
    t.throws(() => monitor([rule]), { instanceOf: RuleError, message });
  });
}

import { Baseline, type BaselineConfig } from "../firmware/monitor/baseline.js";

const BASELINE: BaselineConfig = { metrics: ["x.vRms"], learnS: 60, warning: 2, alarm: 3, minSigma: 3, onDelay: 2 };

test("baseline: learns mean and spread while running only, then derives levels as multiples", (t) => {
  const b = new Baseline(BASELINE);
  // 30 s stopped: nothing learned.
  for (let i = 0; i < 30; i++) b.learn(() => 0.05, i * 1000, false);
  t.is(b.learnedS, 0);
  // Alternating 1.9 / 2.1 mm/s: mean 2.0, sd ~0.1.
  let done = false;
  for (let i = 0; i <= 61 && !done; i++) done = b.learn(() => (i % 2 ? 2.1 : 1.9), 30_000 + i * 1000, true);
  t.true(done);
  t.true(b.ready);
  const s = b.stats("x.vRms")!;
  t.true(Math.abs(s.mean - 2.0) < 0.01);
  t.true(Math.abs(s.sd - 0.1) < 0.01);
  const [rule] = b.rules();
  t.is(rule.metric, "x.vRms");
  t.true(Math.abs((rule.warning as number) - 2 * s.mean) < 1e-3, `warning ${rule.warning} = 2 x mean`);
  t.true(Math.abs((rule.alarm as number) - 3 * s.mean) < 1e-3, `alarm ${rule.alarm} = 3 x mean`);
});

test("baseline: a noisy metric gets levels at least minSigma deviations away; snapshot restores", (t) => {
  const b = new Baseline(BASELINE);
  for (let i = 0; i <= 60; i++) b.learn(() => (i % 2 ? 3 : 1), i * 1000, true); // mean 2, sd ~1
  const [rule] = b.rules();
  t.true((rule.warning as number) >= 2 + 3 * 0.99);
  t.true((rule.alarm as number) >= 2 + 6 * 0.99);
  const restored = new Baseline(BASELINE, JSON.parse(JSON.stringify(b.snapshot())));
  t.true(restored.ready);
  t.deepEqual(restored.rules(), b.rules());
  t.false(new Baseline(BASELINE, { v: 1, learnedS: 100, stats: { "x.vRms": { n: -1, mean: 1, m2: 0 } } }).ready, "corrupt snapshot ignored");
  b.reset();
  t.false(b.ready);
  t.deepEqual(b.rules(), []);
});
