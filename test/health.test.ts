import test, { type ExecutionContext } from "ava";
import { checkWindow } from "../firmware/monitor/health.js";
import type { NodeSpec } from "../tools/simulator/simulation.js";
import { startRig } from "./helpers/rig.js";

const N = 1024;

function axes(fill: (axis: number, i: number) => number): Float32Array[] {
  return [0, 1, 2].map((a) => Float32Array.from({ length: N }, (_, i) => fill(a, i)));
}

const sine = (a: number, i: number) => 0.1 * Math.sin(i / 5 + a) + (a === 2 ? 1 : 0);

test("a healthy window passes; each kind of garbage is named", (t) => {
  t.is(checkWindow(axes(sine), N, 0, { rangeG: 4 }), undefined);
  t.like(checkWindow(axes((a, i) => (a === 1 ? 0.25 : sine(a, i))), N, 0, { rangeG: 4 }), { reason: "stuck" });
  t.like(checkWindow(axes((a, i) => (a === 0 ? 5 * Math.sin(i / 5) : sine(a, i))).map((x, a) => (a === 0 ? x.map((v) => Math.max(-4, Math.min(4, v))) : x)), N, 0, { rangeG: 4 }), { reason: "saturated" });
  t.like(checkWindow(axes((a, i) => (a === 2 && i === 17 ? NaN : sine(a, i))), N, 0, { rangeG: 4 }), { reason: "implausible", detail: "z sample 17 is NaN (range +-4 g)" });
  t.like(checkWindow(axes((a, i) => (a === 0 && i === 3 ? 9 : sine(a, i))), N, 0, { rangeG: 4 }), { reason: "implausible" });
  t.like(checkWindow(axes(sine), N, 11, { rangeG: 4 }), { reason: "overrun" });
  t.is(checkWindow(axes(sine), N, 10, { rangeG: 4 }), undefined, "1% of 1024 is tolerated");
  // One sample at full scale is a transient, not saturation.
  t.is(checkWindow(axes((a, i) => (a === 0 && i === 9 ? 4 : sine(a, i))), N, 0, { rangeG: 4 }), undefined);
});

/** The acquirer's 2-byte windows of an ADXL345 (1/256 g per count, stored count + 32768). */
const ADXL345_COUNTS = { scale: 1 / 256, offset: 32768 };
const asCounts = (g: Float32Array[]): Uint16Array[] => g.map((x) => Uint16Array.from(x, (v) => Math.round(v / ADXL345_COUNTS.scale) + ADXL345_COUNTS.offset));

test("2-byte count windows get the verdicts of the same samples in g, details in g", (t) => {
  const check = (g: Float32Array[]) => checkWindow(asCounts(g), N, 0, { rangeG: 4 }, ADXL345_COUNTS);
  t.is(check(axes(sine)), undefined);
  t.like(check(axes((a, i) => (a === 1 ? 0.25 : sine(a, i)))), { reason: "stuck", detail: "y reads 0.25 g for all 1024 samples" });
  const clipped = axes((a, i) => (a === 0 ? Math.max(-4, Math.min(4, 5 * Math.sin(i / 5))) : sine(a, i)));
  t.like(check(clipped), { reason: "saturated" });
  t.like(check(axes((a, i) => (a === 0 && i === 3 ? 9 : sine(a, i)))), { reason: "implausible", detail: "x sample 3 is 9 (range +-4 g)" });
  t.like(check(axes((a, i) => (a === 0 && i === 3 ? -4.1 : sine(a, i)))), { reason: "implausible" });
  // just inside the limits: 4.04 g is within 1 % of full scale, one sample at full scale is a knock
  t.is(check(axes((a, i) => (a === 0 && i === 3 ? 4.04 : a === 1 && i === 5 ? -4 : sine(a, i)))), undefined);
});

async function runNode(t: ExecutionContext, vibration: NodeSpec["machine"]["vibration"], config: Record<string, unknown>, ms: number) {
  const rig = await startRig(t, { spec: { nodeId: "h1", seed: 1, machine: { rpm: 1500, vibration, temperature_c: 30 }, config } });
  await rig.runTo(ms);
  return rig;
}

test("vibration beyond the range saturates the part: a fault, never an alarm value", async (t) => {
  // 3 g peak at 200 Hz on a +-2 g range.
  const { on } = await runNode(t, [{ axis: "x", kind: "sine", freq_hz: 200, vrms_mm_s: (3 / Math.SQRT2) * 9806.65 / (2 * Math.PI * 200) }], { accelerometer: { rangeG: 2 }, monitor: { rules: [{ metric: "x.aPeak", alarm: 1 }], running: { graceS: 0 } } }, 5000);
  const alarms = on("alarm");
  t.like(alarms[0], { metric: "sensor.accelerometer", level: "fault", reason: "saturated" });
  t.false(alarms.some((a) => a.metric === "x.aPeak"), "no machine alarm from clipped data");
  t.is(on("telemetry").at(-1).vib, undefined);
  t.is(on("telemetry").at(-1).state, "fault");
});

test("telemetry deadband: quiet windows are skipped, a change or the silence limit publishes", async (t) => {
  const { node, on } = await runNode(t, [{ axis: "x", kind: "sine", freq_hz: 30, vrms_mm_s: 3 }], { telemetry: { deadbandPct: 10, maxSilenceS: 10 } }, 30_000);
  const windows = node.app.windows;
  const telemetry = on("telemetry");
  // 30 s = 23 windows; a steady machine publishes the first, then every ~10 s.
  t.true(windows >= 22);
  t.true(telemetry.length >= 3 && telemetry.length <= 5, `${telemetry.length} of ${windows} windows published`);
  const gaps = telemetry.slice(1).map((m, i) => m.ts - telemetry[i].ts);
  // Never silent for longer than maxSilenceS (plus the window that ends it).
  t.true(gaps.every((g) => g <= 10_000 + 1300), `gaps ${gaps.join(", ")} ms`);
  t.true(gaps.filter((g) => g >= 10_000 - 1300).length >= 2, `gaps ${gaps.join(", ")} ms: quiet windows were published`);
});
