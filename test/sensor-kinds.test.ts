/*
 * Every supported pair of parts, found by the bus scan and measured end to end
 * through the real drivers: the node needs no configuration to use what is wired.
 */
import test from "ava";
import type { NodeSpec } from "../tools/simulator/simulation.js";
import { RIG_EPOCH_MS, startRig } from "./helpers/rig.js";
import { until, json } from "./helpers/wait.js";
import { kindOf, schemaErrors } from "./helpers/schemas.js";

const cases = [
  { accelerometer: "adxl345", temperature: "tmp117", odr: 3200, resolution: 1 / 128 },
  // SHT3x: its repeatability (0.04 degC) dominates its 0.003 degC resolution.
  { accelerometer: "lis3dh", temperature: "sht3x", odr: 1344, resolution: 0.2 },
  { accelerometer: "adxl355", temperature: "mcp9808", odr: 4000, resolution: 0.0625 },
  { accelerometer: "lis3dh", temperature: "mcp9808", odr: 1344, resolution: 0.0625 },
] as const;

for (const c of cases) {
  test(`${c.accelerometer} + ${c.temperature}: found by the scan, 40 Hz at 3.0 mm/s within 2%, temperature within resolution`, async (t) => {
    const spec: NodeSpec = {
      nodeId: "n1",
      seed: 21,
      accelerometer: c.accelerometer,
      temperature: c.temperature,
      machine: { rpm: 2400, vibration: [{ axis: "x", kind: "sine", freq_hz: 40, vrms_mm_s: 3.0 }], temperature_c: 52.3 },
      config: {},
    };
    const { node, observer, runTo, on } = await startRig(t, { spec });
    await runTo(15_000);
    const telemetry = () => on("telemetry");
    await until(() => telemetry().length >= 3, "telemetry");
    const status = on("status").at(-1);
    t.deepEqual(status.sensors, { accelerometer: c.accelerometer, temperature: c.temperature });
    t.deepEqual(node.app.accelerometerFound, { kind: c.accelerometer, address: node.accelerometerAddress });
    const last = telemetry().at(-1);
    t.is(last.vib.odr, c.odr);
    t.true(Math.abs(last.vib.x.vRms - 3.0) / 3.0 < 0.02, `vRms ${last.vib.x.vRms}`);
    t.true(Math.abs(last.vib.x.fDom - 40) < c.odr / 4096, `fDom ${last.vib.x.fDom}`);
    t.true(Math.abs(last.temp.c - 52.3) <= c.resolution / 2 + 0.002, `temperature ${last.temp.c}`);
    if (c.temperature === "sht3x") t.true(Math.abs(last.humidity.rh - 45) < 0.5, `humidity ${last.humidity?.rh}`);
    else t.is(last.humidity, undefined);
    t.deepEqual(last.faults, []);
    for (const m of observer.messages) t.is(schemaErrors(kindOf(m.topic)!, json(m.payload)), undefined);
  });
}

test("duty cycle: 3 s captures every 10 s give whole windows only inside captures", async (t) => {
  const spec: NodeSpec = {
    nodeId: "d1",
    seed: 2,
    machine: { rpm: 1500, vibration: [{ axis: "x", kind: "sine", freq_hz: 25, vrms_mm_s: 2 }], temperature_c: 30 },
    config: { acquisition: { mode: "duty", captureS: 3, periodS: 10 } },
  };
  const { on, runTo } = await startRig(t, { spec });
  await runTo(60_000);
  const telemetry = on("telemetry");
  // 3 s holds two 1.28 s windows; six capture periods in 60 s.
  t.is(telemetry.length, 12);
  for (const m of telemetry) {
    t.is(m.vib.lost, 0);
    // 2 mm/s is close to the ADXL345's noise floor (~0.2 mm/s in the band at 3200 Hz): +-5% window to window.
    t.true(Math.abs(m.vib.x.vRms - 2) < 0.1, `vRms ${m.vib.x.vRms}`);
    const inPeriod = (m.ts - RIG_EPOCH_MS) % 10_000;
    t.true(inPeriod <= 3_100, `window closed ${inPeriod} ms into its period`);
  }
});
