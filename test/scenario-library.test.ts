/*
 * Every shipped scenario (scenarios/*.json) passes, in virtual time.
 */
import test from "ava";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { parseScenario } from "../tools/scenario/parse.js";
import { formatReport, runScenario } from "../tools/scenario/runner.js";

const DIR = fileURLToPath(new URL("../../scenarios/", import.meta.url));
const files = fs.readdirSync(DIR).filter((f) => f.endsWith(".json")).sort();

test("the library has the scenarios the docs list", (t) => {
  for (const name of ["healthy-motor", "imbalance-growing", "bearing-outer-race", "misalignment-after-maintenance", "overheating", "sensor-unplugged", "stuck-bus", "broker-outage", "flapping", "start-stop", "out-of-the-box", "baseline-doubling", "bearing-defect-progression", "healthy-imbalance-misalignment", "variable-speed-pump"]) {
    t.true(files.includes(`${name}.json`), name);
  }
});

// Fleet files (fleet[]) run in test/scenario-fleet.test.ts, twice through the CLI (they pass, and their logs are identical).
const fleets = ["fleet-100.json"];

test("the library has a fleet of 100 mixed machines", (t) => {
  t.true(files.includes("fleet-100.json"));
  const s = parseScenario(fs.readFileSync(path.join(DIR, "fleet-100.json"), "utf8"), "fleet-100.json");
  t.is(s.fleet!.reduce((n, g) => n + g.count, 0), 100);
  t.true(s.fleet!.every((g) => g.expect.length > 0), "every group states expectations");
});

for (const file of files.filter((f) => !fleets.includes(f))) {
  test.serial(`scenario ${file} passes`, async (t) => {
    const source = path.join("scenarios", file);
    const scenario = parseScenario(fs.readFileSync(path.join(DIR, file), "utf8"), source);
    t.true(scenario.expect.length > 0, "every shipped scenario states expectations");
    const result = await runScenario(scenario, { source });
    t.log(`${file}: ${scenario.duration_s} s simulated in ${(result.realMs / 1000).toFixed(1)} s, ${result.messages.length} messages`);
    t.true(result.passed, formatReport(result));
  });
}
