/*
 * The FIFO sampler under the CPU model (issue 14; docs/measurement.md, "Acquisition
 * on two cores"): the FIFO is drained on the board's second core into a ring while
 * the main core computes features. At the central ESP32 rate every part at its top
 * rate keeps every sample for 10 simulated minutes with all features and telemetry
 * every window; at the pessimistic rate a configuration that cannot keep up is
 * refused once, at configuration time, naming the limit.
 */
import test from "ava";
import { parseScenario } from "../tools/scenario/parse.js";
import { runScenario } from "../tools/scenario/runner.js";
import { ESP32_COMPUTRONS_PER_S, ESP32_PESSIMISTIC_COMPUTRONS_PER_S } from "../sim/cpu.js";

const N = 4096;
const TOP_RATES = [
  { part: "adxl345", odr: 3200, fifoFillMs: (32 * 1000) / 3200 },
  { part: "lis3dh", odr: 5376, fifoFillMs: (32 * 1000) / 5376 },
  { part: "adxl355", odr: 4000, fifoFillMs: (32 * 1000) / 4000 },
] as const;

function scenario(part: string, odr: number, durationS: number) {
  return parseScenario(
    JSON.stringify({
      version: 1,
      seed: 5,
      duration_s: durationS,
      node: { accelerometer: part, temperature: "tmp117", config: { window: { n: N }, accelerometer: { odr } } },
      machine: { rpm: 1782, vibration: [{ axis: "x", kind: "sine", freq_hz: 29.7, vrms_mm_s: 2.0 }], temperature_c: 40 },
      expect: [],
    }),
    `sampler-${part}`,
  );
}

async function run(part: string, odr: number, durationS: number, rate: number) {
  const warnings: string[] = [];
  const r = await runScenario(scenario(part, odr, durationS), { cpu: { rate }, onLog: (level, message) => void (level !== "info" && level !== "debug" && warnings.push(`${level}: ${message}`)) });
  const vib = r.messages
    .filter((m) => m.topic.endsWith("/telemetry"))
    .map((m) => JSON.parse(new TextDecoder().decode(m.payload)).vib as { lost: number } | undefined)
    .filter((v): v is { lost: number } => v !== undefined);
  return { r, vib, warnings };
}

for (const { part, odr, fifoFillMs } of TOP_RATES) {
  test(`${part} at ${odr} Hz, ${ESP32_COMPUTRONS_PER_S} computrons/s, 10 minutes: no sample lost, no fault, telemetry every window`, async (t) => {
    const durationS = 600;
    const { r, vib, warnings } = await run(part, odr, durationS, ESP32_COMPUTRONS_PER_S);
    const windowMs = (N * 1000) / odr;
    const lost = vib.reduce((a, v) => a + v.lost, 0);
    const [main, core0] = r.tasks!;
    t.log(`${vib.length} windows, ${lost} samples lost; main core ${((100 * main.busyMs) / r.virtualMs).toFixed(0)} % busy (longest wait ${main.maxLateMs.toFixed(0)} ms), sampler core ${((100 * core0.busyMs) / r.virtualMs).toFixed(0)} % busy (longest wait ${core0.maxLateMs.toFixed(1)} ms, FIFO fills in ${fifoFillMs.toFixed(1)} ms)`);
    t.deepEqual(warnings, []);
    t.is(lost, 0);
    t.true(vib.length >= Math.floor((durationS * 1000) / windowMs) - 2, `${vib.length} telemetry windows in ${durationS} s of ${windowMs.toFixed(0)} ms windows`);
    t.is(core0.name, "node-1/core0");
    t.true(core0.maxLateMs < fifoFillMs / 2, "the sampler never waits for its core beyond half the FIFO's fill time");
  });

  test(`${part} at ${odr} Hz, ${ESP32_PESSIMISTIC_COMPUTRONS_PER_S} computrons/s: no sample lost, or refused at configuration time naming the limit`, async (t) => {
    const { vib, warnings } = await run(part, odr, 30, ESP32_PESSIMISTIC_COMPUTRONS_PER_S);
    const refused = warnings.filter((w) => w.includes("(config): config."));
    t.log(refused[0] ?? `${vib.length} windows, ${vib.reduce((a, v) => a + v.lost, 0)} lost`);
    if (refused.length) {
      t.is(refused.length, 1, "said once");
      t.regex(refused[0], /config\.(accelerometer\.odr|acquisition\.ringMs): /);
      t.is(vib.length, 0, "no window from a refused configuration");
    } else {
      t.true(vib.length > 0);
      t.is(vib.reduce((a, v) => a + v.lost, 0), 0);
      t.deepEqual(warnings, []);
    }
  });
}
