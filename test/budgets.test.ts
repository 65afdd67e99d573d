/*
 * CI budgets: the deterministic performance figures (XS computrons, XS heap, I2C
 * wire bytes) must stay under the ceilings in bench/budgets.json. Nothing here is
 * timed. When a change moves a figure on purpose, update the budget in the same
 * commit (docs/performance.md, "Budgets").
 */
import "@endo/init"; // xsnap needs a locked-down process: XS tests live in their own files
import test from "ava";
import { budgets, checkBudget } from "./helpers/budgets.js";
import { budgetGoals } from "../tools/bench/budget-goals.js";
import { measureXs, measureXsDevicePath, measureXsEnvelope, measureXsFifoCopy, measureXsHeap } from "../tools/bench/xs-measure.js";
import { withKernelShare } from "../tools/bench/dsp.js";
import { XS_SLOT_BYTES_ESP32 } from "../tools/bench/xs-node.js";
import { measureAcquisition, PARTS } from "../tools/bench/acquisition.js";
import { WINDOW } from "../tools/bench/types.js";
import { WORK_COSTS } from "../sim/cpu.js";

/** The CPU model's measured costs (sim/cpu.ts) must be today's XS figures: within 10 %, else update the table. */
function costCurrent(t: import("ava").ExecutionContext, work: keyof typeof WORK_COSTS, measuredPerUnit: number): void {
  const modelled = WORK_COSTS[work].computrons;
  t.log(`CPU model ${work}: ${modelled.toFixed(3)} computrons per unit, XS now ${measuredPerUnit.toFixed(3)}`);
  t.true(Math.abs(modelled / measuredPerUnit - 1) <= 0.1, `sim/cpu.ts ${work} = ${modelled} computrons per unit, measured ${measuredPerUnit}: update the table`);
}

const check = checkBudget;

test("every budget whose figure has a published goal equals the goal or is tighter (a goal missed today names its issue)", (t) => {
  const goals = Object.entries(budgetGoals());
  // The wire-byte goals: within 5 % of each part's protocol limit, counted from its datasheet's framing.
  t.deepEqual(
    goals.filter(([key]) => key.endsWith(".wirePerPayload")).map(([key, g]) => [key, Number(g.limit.toFixed(6))]),
    [
      ["acq.adxl345.wirePerPayload", Number(((9 / 6) * 1.05).toFixed(6))],
      ["acq.lis3dh-lp.wirePerPayload", Number(((199 / 192) * 1.05).toFixed(6))],
      ["acq.lis3dh.wirePerPayload", Number(((199 / 192) * 1.05).toFixed(6))],
      ["acq.adxl355.wirePerPayload", Number(((296 / 288) * 1.05).toFixed(6))],
    ],
  );
  t.is(budgetGoals()["xs.node.firmware.preloadedBytes4096"].limit, 96 * 1024, "the RAM goal: 96 KiB");
  for (const [key, g] of goals) {
    const b = budgets[key];
    t.truthy(b, `bench/budgets.json has no entry ${key}`);
    if (!b) continue;
    // A goal missed today names the issue that decides it; its budget is a ceiling meanwhile, and it must really be missed.
    if (g.missed) t.true(b.measured > g.limit, `${key}: listed as a missed goal (${g.missed}) but recorded at ${b.measured} <= ${g.limit}: make the budget the goal`);
    else t.true(b.budget <= g.limit, `${key}: budget ${b.budget} is looser than its goal, ${g.text} (${g.limit})`);
  }
});

test("XS computrons: features per window, monitor evaluation, FFT 4096, 1 KiB PUBLISH encode; XS slots per client send", async (t) => {
  const xs = await measureXs();
  check(t, "xs.featuresPerWindow", xs.featuresPerWindow);
  check(t, "xs.monitorPerEvaluation", xs.monitorPerEvaluation);
  check(t, "xs.fft4096", xs.fft[4096]);
  check(t, "xs.realFft4096", xs.realFft[4096]);
  check(t, "xs.mqttEncode1k", xs.mqttEncode1k);
  check(t, "xs.mqttEncodeInto1k", xs.mqttEncodeInto1k);
  check(t, "xs.mqttSendSlotsPerSend", xs.mqttSendSlotsPerSend);
  t.true(xs.monitorTransitions > 0, "the monitor run includes transitions");
  costCurrent(t, "monitor", xs.monitorPerEvaluation);
  // A 1 KiB payload and a 24-byte topic: the unit is a byte of topic + payload.
  costCurrent(t, "publish", xs.mqttEncodeInto1k / (1024 + 24));
});

test("XS computrons: the device path's XS part (C spectrum kernel replayed), same features as computed", async (t) => {
  const d = await measureXsDevicePath();
  t.true(d.sameFeatures, "the replayed spectra give the computed features");
  check(t, "xs.devicePathPerWindow", d.featuresPerWindow);
  costCurrent(t, "features", d.featuresPerWindow / (WINDOW.axes * WINDOW.n));
});

test("XS computrons and heap: the bearing diagnostics (envelope, speed, defect bands) on the device path, replay faithful; the RAM they add", async (t) => {
  const d = await measureXsEnvelope(true);
  t.true(d.sameValues, "the replayed spectra and envelope sums give the computed envelope, speed and features");
  check(t, "xs.envelopeDevicePathPerWindow", d.perWindow);
  check(t, "xs.devicePathWithEnvelopePerSample", withKernelShare(d.withFeaturesPerSample));
  costCurrent(t, "envelope", d.perSample);
  // RAM as the bench reports it: the firmware's own classes (the device-path bundle's replays keep their recordings)
  const p = await measureXsEnvelope(false);
  check(t, "xs.envelopeRamBytes", p.slots * XS_SLOT_BYTES_ESP32 + p.chunkBytes);
});

test("XS computrons: the main core's FIFO work per sample with a sampler (ring read, ADXL345 int16 counts, window store)", async (t) => {
  const f = await measureXsFifoCopy("adxl345");
  t.true(f.sampled, "the acquirer took the sampler path");
  t.true(f.counts, "int16 counts stored as they come");
  check(t, "xs.fifoCopyPerSample", f.perSample);
  costCurrent(t, "fifo", f.perSample);
});

test("XS computrons: the main core's FIFO work per sample with a sampler (ring read, ADXL355 20-bit decode to g, float32 window store)", async (t) => {
  const f = await measureXsFifoCopy("adxl355");
  t.true(f.sampled, "the acquirer took the sampler path");
  t.false(f.counts, "float32 windows of g");
  check(t, "xs.fifoDecodePerSample", f.perSample);
  costCurrent(t, "fifoDecode", f.perSample);
});

test("XS heap: DSP + monitor steady state over 1000 windows does not grow", async (t) => {
  const heap = await measureXsHeap({ n: 1024, windows: 1000 });
  check(t, "xs.heapAfter1000Windows", heap.afterAll);
  check(t, "xs.heapGrowth1000Windows", heap.growth);
});

for (const part of PARTS) {
  test(`I2C wire bytes per payload byte: ${part.name}, no samples lost`, (t) => {
    const a = measureAcquisition(part, 10);
    check(t, `acq.${part.id}.wirePerPayload`, a.wirePerPayload);
    check(t, "acq.lost", Math.max(a.lost, a.partLost));
  });
}
