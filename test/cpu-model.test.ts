/*
 * The CPU model (issue 14, docs/host.md "CPU time"): under --cpu esp32 a node's
 * computation takes its ESP32 time in virtual time, so what a real node suffers
 * shows in the simulator. Without the FIFO sampler (`cpu.sampler: false`) the
 * acquisition polls the FIFO on the main core and computes a window's features
 * synchronously inside that poll (Acquirer -> onWindow -> FeatureExtractor), so
 * while it computes the ADXL345's 32-entry FIFO (10 ms at 3200 Hz) overflows:
 * the model must show that loss, scaled by the rate as physics says (the loss is
 * the compute time times the ODR, less what the FIFO holds), no loss at all with
 * free computation, and none with the sampler on its own core (the design).
 */
import test from "ava";
import { parseScenario } from "../tools/scenario/parse.js";
import { runScenario } from "../tools/scenario/runner.js";
import { ESP32_COMPUTRONS_PER_S } from "../sim/cpu.js";

const N = 4096;
const ODR = 3200;
const FIFO_ENTRIES = 32; // ADXL345 datasheet: a 32-level FIFO

const scenario = parseScenario(
  JSON.stringify({
    version: 1,
    seed: 3,
    duration_s: 12,
    node: { accelerometer: "adxl345", temperature: "tmp117", config: { window: { n: N }, accelerometer: { odr: ODR } } },
    machine: { rpm: 1782, vibration: [{ axis: "x", kind: "sine", freq_hz: 29.7, vrms_mm_s: 2.8 }], temperature_c: 40 },
    expect: [{ kind: "no-loss" }],
  }),
  "cpu-model",
);

/** The `lost` of every telemetry window after the first (the first has no window before it). */
async function lostPerWindow(cpu: { rate: number; sampler?: boolean } | undefined): Promise<number[]> {
  const r = await runScenario(scenario, { cpu });
  const vib = r.messages.filter((m) => m.topic.endsWith("/telemetry")).map((m) => JSON.parse(new TextDecoder().decode(m.payload)).vib as { lost: number } | undefined);
  return vib.filter((v) => v !== undefined).map((v) => v!.lost).slice(1);
}

test("free computation: no sample is lost", async (t) => {
  const lost = await lostPerWindow(undefined);
  t.true(lost.length >= 5, `${lost.length} windows`);
  t.deepEqual([...new Set(lost)], [0]);
});

test("without the sampler, synchronous features lose samples on the ESP32 model, in proportion to the compute time", async (t) => {
  const central = await lostPerWindow({ rate: ESP32_COMPUTRONS_PER_S, sampler: false });
  const double = await lostPerWindow({ rate: ESP32_COMPUTRONS_PER_S * 2, sampler: false });
  const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;
  const a = median(central);
  const b = median(double);
  t.log(`lost per window: ${a} at ${ESP32_COMPUTRONS_PER_S} computrons/s, ${b} at twice that rate (of ${N})`);
  t.true(a > N * 0.01, "more than 1 % of each window is lost: an overrun fault every window");
  // Loss = compute time x ODR - FIFO slack; doubling the rate halves the XS part of the compute time.
  const computeA = (a + FIFO_ENTRIES) / ODR;
  const computeB = (b + FIFO_ENTRIES) / ODR;
  t.true(computeA > 1.8 * computeB && computeA < 2.1 * computeB, `compute time ${computeA.toFixed(3)} s -> ${computeB.toFixed(3)} s`);
});

test("with the FIFO sampler on its own core, the same run loses nothing on the ESP32 model", async (t) => {
  const lost = await lostPerWindow({ rate: ESP32_COMPUTRONS_PER_S });
  t.true(lost.length >= 5, `${lost.length} windows`);
  t.deepEqual([...new Set(lost)], [0]);
});
