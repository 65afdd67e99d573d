/*
 * The FIFO sampler under the CPU model (issue 14; docs/measurement.md, "Acquisition
 * on two cores"): the FIFO is drained on the board's second core into a ring while
 * the main core computes features. At the central ESP32 rate every part at its top
 * rate keeps every sample for 10 simulated minutes with all features, with and
 * without bearing diagnostics (a 6205 with an outer-race defect: the envelope works
 * on a real line), each in its default ring, and sends telemetry for every window
 * in order; at the pessimistic rate a configuration that cannot keep up is refused
 * once, at configuration time, naming the limit.
 */
import test from "ava";
import { parseScenario } from "../tools/scenario/parse.js";
import { runScenario } from "../tools/scenario/runner.js";
import { ESP32_COMPUTRONS_PER_S, ESP32_PESSIMISTIC_COMPUTRONS_PER_S } from "../sim/cpu.js";

const N = 4096;
const RPM = 1782;
/** The 6205's outer-race defect order (SKF: BPFO 3.585 x shaft speed). */
const BPFO_6205 = 3.585;
const TOP_RATES = [
  { part: "adxl345", odr: 3200, fifoFillMs: (32 * 1000) / 3200 },
  { part: "lis3dh", odr: 5376, fifoFillMs: (32 * 1000) / 5376 },
  { part: "adxl355", odr: 4000, fifoFillMs: (32 * 1000) / 4000 },
] as const;

interface Telemetry {
  boot: number;
  seq: number;
  ts: number;
  faults: unknown[];
  vib?: { odr: number; n: number; lost: number; x: { env?: { fDom: number; bpfo?: number } } };
}

function scenario(part: string, odr: number, durationS: number, bearing: boolean) {
  const vibration: object[] = [{ axis: "x", kind: "sine", freq_hz: RPM / 60, vrms_mm_s: 2.0 }];
  if (bearing) vibration.push({ axis: "all", kind: "bearing", defect: "bpfo", severity_g: 0.3 });
  return parseScenario(
    JSON.stringify({
      version: 1,
      seed: 5,
      duration_s: durationS,
      // acquisition.ringMs unset: the default ring of the mode.
      node: { accelerometer: part, temperature: "tmp117", config: { window: { n: N }, accelerometer: { odr }, machine: bearing ? { rpm: RPM, bearing: "6205" } : { rpm: 0 } } },
      machine: { rpm: RPM, vibration, temperature_c: 40 },
      expect: [],
    }),
    `sampler-${part}${bearing ? "-bearing" : ""}`,
  );
}

async function run(part: string, odr: number, durationS: number, rate: number, bearing: boolean) {
  const warnings: string[] = [];
  const s = scenario(part, odr, durationS, bearing);
  const r = { ...(await runScenario(s, { cpu: { rate }, onLog: (level, message) => void (level !== "info" && level !== "debug" && warnings.push(`${level}: ${message}`)) })), startMs: s.startMs };
  const json = (m: { payload: Uint8Array }) => JSON.parse(new TextDecoder().decode(m.payload)) as Telemetry;
  const telemetry = r.messages.filter((m) => m.topic.endsWith("/telemetry")).map(json);
  // Telemetry and alarms share the boot's seq counter.
  const numbered = r.messages.filter((m) => m.topic.endsWith("/telemetry") || m.topic.endsWith("/alarm")).map(json);
  const vib = telemetry.map((m) => m.vib).filter((v) => v !== undefined);
  return { r, telemetry, numbered, vib, warnings };
}

for (const bearing of [false, true]) {
  for (const { part, odr, fifoFillMs } of TOP_RATES) {
    const mode = bearing ? "with bearing diagnostics" : "features only";
    test(`${part} at ${odr} Hz, ${mode}, ${ESP32_COMPUTRONS_PER_S} computrons/s, 10 minutes: no sample lost, no fault, telemetry for every window in order`, async (t) => {
      const durationS = 600;
      const { r, telemetry, numbered, vib, warnings } = await run(part, odr, durationS, ESP32_COMPUTRONS_PER_S, bearing);
      const windowMs = (N * 1000) / odr;
      const [main, core0] = r.tasks!;
      t.deepEqual(warnings, []);
      t.is(core0.name, "node-1/core0");
      t.true(core0.maxLateMs < fifoFillMs / 2, "the sampler never waits for its core beyond half the FIFO's fill time");

      // Every window whole, at the part's rate, no fault.
      t.true(telemetry.length > 0);
      t.true(telemetry.every((m) => m.vib !== undefined && m.vib.lost === 0 && m.vib.n === N && m.vib.odr === odr && m.faults.length === 0), "every telemetry has a whole window (lost 0) and no fault");

      // Nothing made was dropped: one boot, its seqs 1, 2, 3 ... as the node counted them.
      const boot = numbered[0].boot;
      t.deepEqual([...r.produced.keys()], [boot], "one boot");
      t.deepEqual(
        numbered.map((m) => m.seq),
        Array.from({ length: r.produced.get(boot)! }, (_, i) => i + 1),
      );

      // One telemetry per window, in order, none missing: window k ends (k - 1) x n samples after the first one
      // (the part's clock is exact), and its telemetry follows it by the same work every window. A window
      // missing, or restarted after a loss, would move every later telemetry by a window or by the samples it dropped.
      const late = telemetry.map((m, k) => m.ts - telemetry[0].ts - k * windowMs);
      const spread = Math.max(...late) - Math.min(...late);
      t.true(spread < windowMs / 4, `telemetry ${spread.toFixed(1)} ms off the window grid of ${windowMs.toFixed(1)} ms`);
      // None before the first (the first window ends one window after the start at the earliest, so an earlier one
      // would need the first's telemetry 2 windows in) and none after the last (the next was due after the run's end).
      t.true(telemetry[0].ts - r.startMs < 2 * windowMs, `first telemetry ${telemetry[0].ts - r.startMs} ms after the start`);
      t.true(r.startMs + r.virtualMs - telemetry[telemetry.length - 1].ts < windowMs, "no window due before the end is missing");
      t.is(r.virtualMs, durationS * 1000);

      if (bearing) {
        // The envelope found the outer-race line of the shaft's speed: it did its work every window.
        const bpfoHz = (BPFO_6205 * RPM) / 60;
        const last = vib[vib.length - 1]!.x.env!;
        t.true(vib.every((v) => v!.x.env !== undefined), "envelope features in every window");
        t.true(Math.abs(last.fDom - bpfoHz) < 0.02 * bpfoHz, `envelope's strongest line ${last.fDom} Hz, BPFO ${bpfoHz.toFixed(1)} Hz`);
      }
      t.log(`${telemetry.length} windows (off the grid by at most ${spread.toFixed(1)} ms); main core ${((100 * main.busyMs) / r.virtualMs).toFixed(0)} % busy (longest wait ${main.maxLateMs.toFixed(0)} ms), sampler core ${((100 * core0.busyMs) / r.virtualMs).toFixed(0)} % busy (longest wait ${core0.maxLateMs.toFixed(1)} ms, FIFO fills in ${fifoFillMs.toFixed(1)} ms)`);
    });
  }
}

for (const { part, odr } of TOP_RATES) {
  test(`${part} at ${odr} Hz, ${ESP32_PESSIMISTIC_COMPUTRONS_PER_S} computrons/s: no sample lost, or refused at configuration time naming the limit`, async (t) => {
    const { vib, warnings } = await run(part, odr, 30, ESP32_PESSIMISTIC_COMPUTRONS_PER_S, false);
    const refused = warnings.filter((w) => w.includes("(config): config."));
    t.log(refused[0] ?? `${vib.length} windows, ${vib.reduce((a, v) => a + v!.lost, 0)} lost`);
    if (refused.length) {
      t.is(refused.length, 1, "said once");
      t.regex(refused[0], /config\.(accelerometer\.odr|acquisition\.ringMs): /);
      t.is(vib.length, 0, "no window from a refused configuration");
    } else {
      t.true(vib.length > 0);
      t.is(vib.reduce((a, v) => a + v!.lost, 0), 0);
      t.deepEqual(warnings, []);
    }
  });
}
