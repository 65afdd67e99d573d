/*
 * Scenario test fixtures: a temporary folder to write scenario files into, and
 * the steady machine the runner tests start from.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** Returns `write(doc)`: writes a scenario (an object as JSON, or text as is) to a new file in a temp folder, and that folder. */
export function scenarioWriter(prefix: string): { dir: string; write: (doc: unknown) => string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  let n = 0;
  const write = (doc: unknown) => {
    const file = path.join(dir, `s${++n}.json`);
    fs.writeFileSync(file, typeof doc === "string" ? doc : JSON.stringify(doc, null, 2));
    return file;
  };
  return { dir, write };
}

/** A 1780 rpm machine with imbalance on every axis and broadband noise, at 40 degC. */
export function imbalancedMachine(vrms: number, gRms: number): Record<string, unknown> {
  return {
    rpm: 1780,
    vibration: [
      { axis: "all", kind: "imbalance", vrms_mm_s: vrms },
      { axis: "all", kind: "noise", g_rms: gRms },
    ],
    temperature_c: 40,
  };
}
