/*
 * A missing or wrong sensor: the node reports a fault in status, telemetry and
 * an alarm, keeps running, and recovers by itself when the part answers again.
 */
import test, { type ExecutionContext } from "ava";
import { nodeSpecs } from "../tools/simulator/simulation.js";
import { RIG_EPOCH_MS, startRig } from "./helpers/rig.js";
import { SimTMP117 } from "../sim/devices/tmp117.js";
import { until } from "./helpers/wait.js";

async function setup(t: ExecutionContext, config: Record<string, unknown> = {}) {
  const rig = await startRig(t, { spec: { ...nodeSpecs(undefined, 1, 3)[0], config }, start: false });
  return { ...rig, run: rig.runFor };
}

test("an unplugged accelerometer is a fault in status, alarm and telemetry; plugging it back recovers without a restart", async (t) => {
  const { node, run, on } = await setup(t);
  node.bus.detach(0x53);
  node.start();
  await run(4000);
  await until(() => on("status").some((s) => s.faults?.length), "status with a fault");
  const status = on("status").at(-1);
  t.is(status.state, "online");
  t.is(status.sensors.accelerometer, null);
  t.is(status.sensors.temperature, "tmp117");
  t.deepEqual(status.faults.map((f: any) => [f.sensor, f.reason, f.detail]), [["accelerometer", "absent", "no accelerometer found on the bus"]]);
  const alarm = on("alarm")[0];
  t.like(alarm, { metric: "sensor.accelerometer", level: "fault", prev: "normal", reason: "absent" });
  await until(() => on("telemetry").length >= 2, "telemetry during the fault");
  const during = on("telemetry").at(-1);
  t.is(during.state, "fault");
  t.is(during.vib, undefined);
  t.true(Math.abs(during.temp.c - 41.5) < 0.01, `temperature ${during.temp.c}`);

  node.bus.attach(0x53, node.accelerometer);
  await run(10_000);
  await until(() => on("alarm").some((a) => a.level === "normal"), "recovery alarm");
  await until(() => on("telemetry").some((m) => m.vib), "telemetry with vibration again");
  const after = on("telemetry").at(-1);
  t.is(after.state, "normal");
  t.true(Math.abs(after.vib.x.vRms - 1.8) < 0.09, `x vRms ${after.vib.x.vRms}`); // the default machine: 1.8 mm/s on x
  t.is(node.restarts, 0);
  const seqs = [...on("telemetry"), ...on("alarm")].map((m) => m.seq).sort((a, b) => a - b);
  t.deepEqual(seqs, seqs.map((_, i) => seqs[0] + i), "one seq space for telemetry and alarms, no gaps");
});

test("a different part at the accelerometer's address is reported as wrong-id", async (t) => {
  // Pinned in the config: the node opens that part there rather than scanning.
  const { node, run, on } = await setup(t, { accelerometer: { kind: "adxl345", address: 0x53 } });
  node.bus.detach(0x53);
  node.bus.attach(0x53, new SimTMP117({ now: () => 0, seed: 1, temperature: () => 20 }));
  node.start();
  await run(3000);
  await until(() => on("alarm").length > 0, "fault alarm");
  t.like(on("alarm")[0], { level: "fault", reason: "wrong-id" });
  t.regex(on("alarm")[0].detail, /0xe5/i);
});

test("unplugging a running accelerometer gives a fault within 2 windows; replugging recovers without a restart", async (t) => {
  const { node, run, on, clock } = await setup(t);
  node.start();
  await run(6000);
  const windowMs = (4096 / 3200) * 1000;
  const unpluggedAt = clock.now();
  node.bus.detach(0x53);
  await run(2 * windowMs);
  await until(() => on("alarm").some((a) => a.level === "fault"), "fault alarm");
  const fault = on("alarm").find((a) => a.level === "fault");
  t.like(fault, { metric: "sensor.accelerometer", reason: "nack" });
  t.true(fault.ts - RIG_EPOCH_MS - unpluggedAt <= 2 * windowMs, `fault after ${fault.ts - RIG_EPOCH_MS - unpluggedAt} ms`);
  node.bus.attach(0x53, node.accelerometer);
  await run(10_000);
  await until(() => on("alarm").some((a) => a.level === "normal"), "recovery");
  t.is(on("telemetry").at(-1).state, "normal");
  t.is(node.restarts, 0);
});
