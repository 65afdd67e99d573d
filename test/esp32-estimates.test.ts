/*
 * The firmware's own copy of the C code's ESP32 estimates (firmware/acquisition/budget.ts:
 * a device without a CPU model refuses configurations it cannot keep up with) must be
 * the bench's, as recorded in bench/record.json and published in the docs (issue 15).
 * The XS computron costs beside them are kept current by test/budgets.test.ts; these are
 * ms of C from ESP-DSP's published cycle counts, which no XS run measures, so the
 * record is where they are checked. When the record moves them: update budget.ts.
 */
import test from "ava";
import { fileURLToPath } from "node:url";
import { ENVELOPE_NATIVE_MS_PER_AXIS_SAMPLE, FEATURES_NATIVE_MS_PER_AXIS_SAMPLE } from "../firmware/acquisition/budget.js";
import { readRecord } from "../tools/figures/record.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url)); // build/test/ -> repo root
/** One window of the record's figures: 3 axes of 4096 samples (tools/bench/types.ts WINDOW). */
const AXIS_SAMPLES = 3 * 4096;
/** budget.ts keeps two significant digits: within 2 % of the record. */
const TOLERANCE = 0.02;

const recorded = (id: string): number => {
  const f = readRecord(ROOT).bench.figures.find((x) => x.id === id);
  if (!f) throw new Error(`bench/record.json has no ${id}`);
  return f.value;
};

function close(t: import("ava").ExecutionContext, name: string, kept: number, record: number): void {
  t.log(`${name}: budget.ts ${kept.toFixed(3)} ms per window, the record ${record.toFixed(3)} ms`);
  t.true(Math.abs(kept / record - 1) <= TOLERANCE, `firmware/acquisition/budget.ts ${name} gives ${kept} ms per window, bench/record.json ${record}: update budget.ts`);
}

test("the features' C spectrum kernel: budget.ts's estimate is the record's dsp.esp32.kernelMsPerWindow", (t) => {
  close(t, "FEATURES_NATIVE_MS_PER_AXIS_SAMPLE", FEATURES_NATIVE_MS_PER_AXIS_SAMPLE * AXIS_SAMPLES, recorded("dsp.esp32.kernelMsPerWindow"));
});

test("the bearing diagnostics' C code: budget.ts's estimate is the record's dsp.esp32.envelopeNativeMsPerWindow", (t) => {
  close(t, "ENVELOPE_NATIVE_MS_PER_AXIS_SAMPLE", ENVELOPE_NATIVE_MS_PER_AXIS_SAMPLE * AXIS_SAMPLES, recorded("dsp.esp32.envelopeNativeMsPerWindow"));
});
