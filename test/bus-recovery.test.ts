import test from "ava";
import { SimI2CBus } from "../sim/bus.js";
import { SimTMP117 } from "../sim/devices/tmp117.js";
import { recoverBus } from "../firmware/drivers/bus-recovery.js";
import { nodeSpecs } from "../tools/simulator/simulation.js";
import { startRig } from "./helpers/rig.js";
import { until } from "./helpers/wait.js";

function busWithSensor() {
  let t = 0;
  const bus = new SimI2CBus({ now: () => t, onBusTime: (ms) => (t += ms) });
  bus.attach(0x48, new SimTMP117({ now: () => t, temperature: () => 25 }));
  return bus;
}

test("nine clocks and a STOP free a target that holds SDA mid-byte", (t) => {
  for (const clocks of [1, 5, 9]) {
    const bus = busWithSensor();
    bus.jam(clocks);
    t.throws(() => bus.smbus({ address: 0x48 }).readUint16(0x0f, true), { message: /stuck/ });
    const result = recoverBus(bus.lines());
    t.deepEqual(result, { recovered: true, pulses: clocks });
    t.false(bus.stuck);
    t.is(bus.lineStops, 1);
    t.is(bus.smbus({ address: 0x48 }).readUint16(0x0f, true) & 0x0fff, 0x0117);
  }
});

test("the sim only clears when recovery is done right: clocks without a STOP leave the bus unusable", (t) => {
  const bus = busWithSensor();
  bus.jam(4);
  const lines = bus.lines();
  for (let i = 0; i < 9; i++) {
    lines.scl.write(0);
    lines.scl.write(1);
  }
  t.is(lines.sda.read(), 1, "SDA released after the clocks");
  t.true(bus.stuck, "but the target waits for a STOP");
  t.throws(() => bus.smbus({ address: 0x48 }).readUint8(0));
  // A STOP with SCL low is no STOP either.
  lines.scl.write(0);
  lines.sda.write(0);
  lines.sda.write(1);
  t.true(bus.stuck);
  lines.scl.write(1);
  lines.sda.write(0);
  lines.sda.write(1);
  t.false(bus.stuck);
});

test("a shorted SDA is not recoverable: nine pulses, then a clear failure", (t) => {
  const bus = busWithSensor();
  bus.setStuck(true);
  t.deepEqual(recoverBus(bus.lines()), { recovered: false, pulses: 9 });
  t.true(bus.stuck);
});

test("a node whose bus gets stuck recovers it by itself, logs it, and keeps publishing", async (t) => {
  const logs: string[] = [];
  const { node, runTo, on } = await startRig(t, { spec: nodeSpecs(undefined, 1, 9)[0], log: (level, m) => logs.push(`${level} ${m}`) });
  await runTo(5000);
  const before = on("telemetry").length;
  node.bus.jam(6);
  await runTo(12_000);
  t.is(node.app.busRecoveries, 1);
  t.false(node.bus.stuck);
  t.true(logs.some((l) => /^warn I2C bus was stuck \(SDA low\); recovered with 6 clock pulses and a STOP/.test(l)), logs.join("\n"));
  await until(() => on("telemetry").length > before + 3, "telemetry after the recovery");
  const alarms = on("alarm");
  t.deepEqual(alarms.map((a) => [a.metric, a.level, a.reason]), [["sensor.accelerometer", "fault", "bus-stuck"], ["sensor.accelerometer", "normal", undefined]]);
  t.truthy(on("telemetry").at(-1).vib);

  // A short that no recovery clears: the fault stays, retried every 5 s, until the short goes away.
  node.bus.setStuck(true);
  await runTo(25_000);
  t.is(on("status").at(-1).faults[0].reason, "bus-stuck");
  t.true(node.app.busRecoveries >= 3, `${node.app.busRecoveries} attempts`);
  t.true(logs.some((l) => /SDA still low after 9 clock pulses/.test(l)));
  node.bus.setStuck(false);
  await runTo(35_000);
  t.deepEqual(on("status").at(-1).faults, []);
  t.is(on("telemetry").at(-1).state, "normal");
});
