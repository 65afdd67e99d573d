/*
 * Bearing diagnostics end to end: each accelerometer at its top rate through its
 * real driver on the simulated part, a node configured with its bearing, an
 * outer-race defect in the simulated machine. The telemetry's envelope finds
 * BPFO (computed here from the bearing's geometry), the speed is measured, the
 * defect's rule alarms while the ISO zone is still A, and every message fits the
 * schema.
 */
import test from "ava";
import type { NodeSpec } from "../tools/simulator/simulation.js";
import { startRig } from "./helpers/rig.js";
import { until, json } from "./helpers/wait.js";
import { kindOf, schemaErrors } from "./helpers/schemas.js";

/** 6205: 9 balls, 7.94 mm on a 39.04 mm pitch, 0 deg (the CWRU drive-end bearing). BPFO = n/2 fr (1 - d/D). */
const BPFO_ORDER = (9 / 2) * (1 - 7.94 / 39.04);
const RPM = 1780;
const BPFO_HZ = BPFO_ORDER * (RPM / 60);

/** A motor with light imbalance and noise, and an outer-race defect on its 6205. */
const OUTER_RACE_MACHINE: NodeSpec["machine"] = {
  rpm: RPM,
  vibration: [
    { axis: "all", kind: "imbalance", vrms_mm_s: 1.0 },
    { axis: "all", kind: "noise", g_rms: 0.01 },
    { axis: "all", kind: "bearing", defect: "bpfo", severity_g: 0.4 },
  ],
  temperature_c: 45,
};

const parts = [
  { accelerometer: "adxl345", odr: 3200 },
  { accelerometer: "lis3dh", odr: 5376 },
  { accelerometer: "adxl355", odr: 4000 },
] as const;

for (const part of parts) {
  test(`${part.accelerometer} at ${part.odr} Hz: env.fDom on BPFO within 1 %, speed measured within 0.5 %, x.env.bpfo alarms while the ISO zone is A or B, payloads fit the schema`, async (t) => {
    const spec: NodeSpec = {
      nodeId: "b1",
      seed: 4,
      accelerometer: part.accelerometer,
      temperature: "tmp117",
      machine: OUTER_RACE_MACHINE,
      config: {
        accelerometer: { odr: part.odr },
        machine: { bearing: "6205" },
        monitor: { rules: [{ metric: "x.env.bpfo", warning: 0.015, alarm: 0.03, onDelay: 2 }] },
      },
    };
    const { observer, runTo, on } = await startRig(t, { spec });
    await runTo(20_000); // vibration rules start after the 10 s run-up grace (monitor.running.graceS)
    await until(() => on("telemetry").length >= 5, "telemetry");
    const last = on("telemetry").at(-1);
    t.is(last.vib.odr, part.odr);
    const env = last.vib.x.env;
    t.truthy(env, "vib.x.env present");
    t.true(Math.abs(env.fDom - BPFO_HZ) / BPFO_HZ < 0.01, `env.fDom ${env.fDom} vs BPFO ${BPFO_HZ.toFixed(2)}`);
    // the largest defect value is the defect's (2 x BPFI lies within 1 % of 3 x BPFO on a 6205, so BPFI's band sees some of it)
    t.true(env.bpfo > 0.03 && env.bpfo > env.bpfi && env.bpfo > env.bsf && env.bpfo > env.ftf, `defects ${JSON.stringify(env)}`);
    t.is(last.speed.source, "measured");
    t.true(Math.abs(last.speed.rpm - RPM) / RPM < 0.005, `speed ${last.speed.rpm}`);
    const alarm = on("alarm").find((a) => a.metric === "x.env.bpfo" && a.level === "alarm");
    t.truthy(alarm, `alarms: ${JSON.stringify(on("alarm"))}`);
    // the zone of every axis while the bearing alarmed: A (1 mm/s on a group 2 rigid machine: below 1.4)
    for (const m of on("telemetry")) for (const axis of ["x", "y", "z"]) t.true(["A", "B"].includes(m.vib[axis].zone), `zone ${m.vib[axis].zone}`);
    for (const m of observer.messages) t.is(schemaErrors(kindOf(m.topic)!, json(m.payload)), undefined);
  });
}

test("a bearing given by its defect orders, as a maker's calculator gives them (three decimals), finds the outer-race defect as its designation does", async (t) => {
  const r = 7.94 / 39.04; // the simulated 6205's d/D, 0 deg
  const round = (x: number) => Math.round(x * 1000) / 1000;
  const orders = { bpfo: round(4.5 * (1 - r)), bpfi: round(4.5 * (1 + r)), bsf: round((39.04 / (2 * 7.94)) * (1 - r * r)), ftf: round(0.5 * (1 - r)) };
  const spec: NodeSpec = {
    nodeId: "b3",
    seed: 4,
    machine: OUTER_RACE_MACHINE,
    config: { machine: { bearing: orders }, monitor: { rules: [{ metric: "x.env.bpfo", warning: 0.015, alarm: 0.03, onDelay: 2 }] } },
  };
  const { runTo, on } = await startRig(t, { spec });
  await runTo(20_000);
  await until(() => on("telemetry").length >= 5, "telemetry");
  const env = on("telemetry").at(-1).vib.x.env;
  t.true(Math.abs(env.fDom - BPFO_HZ) / BPFO_HZ < 0.01, `env.fDom ${env.fDom} vs BPFO ${BPFO_HZ.toFixed(2)}`);
  t.true(env.bpfo > 0.03 && env.bpfo > env.bsf && env.bpfo > env.ftf, `defects ${JSON.stringify(env)}`);
  t.truthy(on("alarm").find((a) => a.metric === "x.env.bpfo" && a.level === "alarm"), `alarms: ${JSON.stringify(on("alarm"))}`);
});

test("a node without a bearing in its config sends no envelope and no speed", async (t) => {
  const spec: NodeSpec = {
    nodeId: "b2",
    seed: 4,
    machine: { rpm: RPM, vibration: [{ axis: "all", kind: "imbalance", vrms_mm_s: 1.0 }], temperature_c: 45 },
    config: {},
  };
  const { runTo, on } = await startRig(t, { spec });
  await runTo(5_000);
  await until(() => on("telemetry").length >= 2, "telemetry");
  const last = on("telemetry").at(-1);
  t.is(last.vib.x.env, undefined);
  t.is(last.speed, undefined);
});
