/*
 * Every shipped scenario (scenarios/, subfolders too) passes, in virtual time, on
 * the ESP32 CPU model as the CLI runs it by default (docs/scenarios.md, "Running a
 * scenario"): no expectation may assume free computation. The key scenarios also
 * run at the pessimistic end of the CPU assumption: each passes, or the node
 * refuses its configuration (one config fault naming the field), never loses samples.
 */
import test from "ava";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { parseScenario, type Scenario } from "../tools/scenario/parse.js";
import { formatReport, runScenario, type ScenarioRunResult } from "../tools/scenario/runner.js";
import { parsePayload } from "../tools/cli/output.js";
import { resolveConfig, samplerRingMs } from "../firmware/app/config.js";
import { cpuOption } from "../tools/cli/cpu-flags.js";

const DIR = fileURLToPath(new URL("../../scenarios/", import.meta.url));
const files = (fs.readdirSync(DIR, { recursive: true }) as string[]).filter((f) => f.endsWith(".json")).sort();
const source = (file: string) => path.join("scenarios", file);
const load = (file: string): Scenario => parseScenario(fs.readFileSync(path.join(DIR, file), "utf8"), source(file));

test("the library has the scenarios the docs list", (t) => {
  for (const name of ["healthy-motor", "imbalance-growing", "bearing-outer-race", "misalignment-after-maintenance", "overheating", "sensor-unplugged", "stuck-bus", "broker-outage", "flapping", "start-stop", "out-of-the-box", "baseline-doubling", "bearing-defect-progression", "healthy-imbalance-misalignment", "variable-speed-pump"]) {
    t.true(files.includes(`${name}.json`), name);
  }
});

// Fleet files (fleet[]) run in test/scenario-fleet.test.ts, twice through the CLI (they pass, and their logs are identical).
const fleets = files.filter((f) => load(f).fleet !== undefined);

test("the library has a fleet of 100 mixed machines", (t) => {
  t.true(fleets.includes("fleet-100.json"));
  const s = load("fleet-100.json");
  t.is(s.fleet!.reduce((n, g) => n + g.count, 0), 100);
  t.true(s.fleet!.every((g) => g.expect.length > 0), "every group states expectations");
});

/** Runs the scenario with the CPU model `sensor-node scenario` gets from these flags (none: its default). */
async function run(t: { log: (m: string) => void }, file: string, scenario: Scenario, flags: Record<string, unknown> = {}): Promise<ScenarioRunResult> {
  const cpu = cpuOption("scenario", flags);
  const result = await runScenario(scenario, { source: source(file), cpu });
  t.log(`${file} at ${cpu ? `${cpu.rate} computrons/s` : "free computation"}: ${scenario.duration_s} s simulated in ${(result.realMs / 1000).toFixed(1)} s, ${result.messages.length} messages`);
  return result;
}

for (const file of files.filter((f) => !fleets.includes(f))) {
  test.serial(`scenario ${file} passes on the ESP32 CPU model`, async (t) => {
    const scenario = load(file);
    t.true(scenario.expect.length > 0, "every shipped scenario states expectations");
    const result = await run(t, file, scenario);
    t.true(result.passed, formatReport(result));
  });
}

/** What the node said about itself: its config faults (alarm messages with reason "config"), overrun faults and the samples its windows lost. */
function acquisitionFaults(result: ScenarioRunResult) {
  const config: string[] = [];
  let overruns = 0;
  let lost = 0;
  for (const m of result.messages) {
    const p = parsePayload(m.payload) as { reason?: string; detail?: string; faults?: { reason: string }[]; vib?: { lost?: number } } | undefined;
    if (!p) continue;
    if (m.topic.endsWith("/alarm") && p.reason === "config") config.push(p.detail ?? "");
    if (p.reason === "overrun" || p.faults?.some((f) => f.reason === "overrun")) overruns++;
    lost += p.vib?.lost ?? 0;
  }
  return { config, overruns, lost };
}

/** A copy of the scenario with one node configuration field set (`a.b`: section a, field b). */
function withField(scenario: Scenario, field: string, value: number): Scenario {
  const [section, key] = field.split(".");
  const config = scenario.node.config as Record<string, Record<string, unknown> | undefined>;
  return { ...scenario, node: { ...scenario.node, config: { ...config, [section]: { ...config[section], [key]: value } } } };
}

// Issue 14: the key scenarios at the pessimistic end of the assumption (1.6 M computrons/s):
// a healthy machine, an alarm, a broker outage, bearing diagnostics.
const PESSIMISTIC = 1_600_000;
const KEY = ["healthy-motor.json", "imbalance-growing.json", "broker-outage.json", "bearing-defect-progression.json"];

for (const file of KEY) {
  test.serial(`scenario ${file} at the pessimistic CPU rate passes or is refused at configuration, never loses samples`, async (t) => {
    const scenario = load(file);
    const result = await run(t, file, scenario, { "cpu-rate": PESSIMISTIC });
    const seen = acquisitionFaults(result);
    t.is(seen.overruns, 0, "no overrun fault");
    t.is(seen.lost, 0, "no window lost samples");
    if (result.passed) return t.is(seen.config.length, 0, "a run that passes was not refused");
    t.is(seen.config.length, 1, `one config fault, or it passes:\n${formatReport(result)}`);
    const [, field, problem] = /^config\.([a-zA-Z]+\.[a-zA-Z]+): (.+)$/.exec(seen.config[0]) ?? [];
    t.truthy(field, `the fault names a field: ${seen.config[0]}`);
    const resolved = resolveConfig(scenario.node.config);
    // the ring's length is unset unless the config gives it: the node takes its mode's default
    const value = field === "acquisition.ringMs" ? samplerRingMs(resolved) : (resolved as unknown as Record<string, Record<string, unknown>>)[field.split(".")[0]]?.[field.split(".")[1]];
    t.is(typeof value, "number", `${field} is a field of the node's configuration`);
    t.log(`refused: ${field}: ${problem}`);
    // What a user does with a ring the node finds too small: give it what the node asks for; then the run passes, nothing lost.
    const advice = /use at least (\d+)$/.exec(problem);
    if (field !== "acquisition.ringMs" || !advice) return;
    t.true(Number(advice[1]) > (value as number), "the node asks for more than it has");
    const again = await run(t, file, withField(scenario, field, Number(advice[1])), { "cpu-rate": PESSIMISTIC });
    t.true(again.passed, formatReport(again));
    t.deepEqual(acquisitionFaults(again), { config: [], overruns: 0, lost: 0 });
  });
}
