import test from "ava";
import { SimI2CBus } from "../sim/bus.js";
import { SimTMP117, ACTIVE_MS } from "../sim/devices/tmp117.js";

/**
 * TMP117 datasheet (SNOSD82), "Conversion cycle time in CC mode": rows CONV 0..7,
 * columns AVG 0..3 (1, 8, 32, 64 averages), in ms. Written here, not taken from the
 * simulator, so the model and the driver are both checked against the datasheet.
 */
const DATASHEET_CYCLE_MS = [
  [15.5, 125, 500, 1000],
  [125, 125, 500, 1000],
  [250, 250, 500, 1000],
  [500, 500, 500, 1000],
  [1000, 1000, 1000, 1000],
  [4000, 4000, 4000, 4000],
  [8000, 8000, 8000, 8000],
  [16000, 16000, 16000, 16000],
];
import { VirtualClock } from "../sim/clock.js";
import { TMP117 } from "../firmware/drivers/tmp117.js";
import type { Thermometer } from "../firmware/drivers/thermometer.js";

const TEMP = 0x00;
const CONFIG = 0x01;
const DATA_READY = 1 << 13;

function rig(temperature: (t: number) => number, noiseC = 0) {
  const clock = new VirtualClock();
  const bus = new SimI2CBus({ now: () => clock.now(), onBusTime: (ms) => clock.advance(ms) });
  const dev = new SimTMP117({ now: () => clock.now(), temperature, noiseC });
  bus.attach(0x48, dev);
  return { clock, bus, dev, io: bus.smbus({ address: 0x48 }) };
}

test("reset state: ID, CONFIG 0x0220, TEMP 0x8000 until the first conversion (125 ms with 8 averages)", (t) => {
  const { clock, io } = rig(() => 25);
  t.is(io.readUint16(0x0f, true), 0x0117);
  t.is(io.readUint16(CONFIG, true), 0x0220);
  t.is(io.readUint16(TEMP, true), 0x8000);
  clock.runUntil(124.9);
  t.is(io.readUint16(TEMP, true), 0x8000, "not before the active conversion time");
  clock.runUntil(125);
  t.is(io.readUint16(TEMP, true), 0x0c80, "0x0C80 = 25.0 degC");
});

test("DATA_READY is set when a conversion completes and cleared by reading CONFIG or TEMP", (t) => {
  const { clock, io } = rig(() => 30);
  clock.runUntil(130);
  t.truthy(io.readUint16(CONFIG, true) & DATA_READY);
  t.falsy(io.readUint16(CONFIG, true) & DATA_READY, "cleared by the CONFIG read");
  clock.runUntil(1130); // second conversion (1 s cycle)
  io.readUint16(TEMP, true);
  t.falsy(io.readUint16(CONFIG, true) & DATA_READY, "cleared by the TEMP read");
});

test("TEMP changes only when a conversion completes (1 s cycle), and holds the value at conversion time", (t) => {
  const { clock, io, dev } = rig((s) => 20 + s); // a 1 degC/s ramp
  const read = () => ((io.readUint16(TEMP, true) << 16) >> 16) / 128;
  clock.runUntil(200);
  const first = read();
  t.true(Math.abs(first - 20.0625) <= 1 / 256, `mid-conversion time 62.5 ms -> ${first}`);
  clock.runUntil(1100);
  t.is(read(), first, "no new result before 1125 ms");
  clock.runUntil(1125);
  t.true(Math.abs(read() - 21.0625) <= 1 / 256);
  clock.runUntil(10_125);
  t.true(Math.abs(read() - 30.0625) <= 1 / 256);
  t.is(dev.conversions, 11);
});

test("conversion cycle follows the datasheet table for CONV x AVG", (t) => {
  for (const [conv, avg, cycle] of [
    [0, 0, 15.5],
    [0, 1, 125],
    [2, 0, 250],
    [3, 2, 500],
    [3, 3, 1000],
    [5, 1, 4000],
    [7, 0, 16000],
  ]) {
    const { clock, io, dev } = rig(() => 25);
    io.writeUint16(CONFIG, (conv << 7) | (avg << 5), true);
    t.is(dev.cycleMs, cycle);
    t.is(DATASHEET_CYCLE_MS[conv][avg], cycle);
    const start = clock.now();
    const conversions = dev.conversions;
    clock.runUntil(start + 10 * cycle + ACTIVE_MS[avg]);
    io.readUint16(TEMP, true);
    t.is(dev.conversions - conversions, 11, `CONV ${conv} AVG ${avg}: 11 results in 10 cycles + one active time`);
  }
});

test("one-shot: one conversion after the active time, then shutdown", (t) => {
  const { clock, io, dev } = rig((s) => 10 + s);
  io.writeUint16(CONFIG, 0x1 << 10, true); // shutdown
  clock.runUntil(5000);
  t.is(io.readUint16(TEMP, true), 0x8000, "no conversion in shutdown");
  io.writeUint16(CONFIG, (0x3 << 10) | (0 << 5), true); // one-shot, no averaging
  const t0 = clock.now();
  clock.runUntil(t0 + 15.5);
  t.is((io.readUint16(CONFIG, true) >> 10) & 3, 1, "back to shutdown");
  t.is(dev.conversions, 1);
  clock.runUntil(20_000);
  io.readUint16(TEMP, true);
  t.is(dev.conversions, 1);
});

test("driver: ID check with revision bits masked; readings within one LSB (7.8125 m degC) of the truth", (t) => {
  let truth = 25;
  const { clock, bus } = rig(() => truth);
  const temp = new TMP117({ sensor: { io: bus.SMBus, address: 0x48 }, averaging: 1, conversionMs: 15.5 });
  t.is(temp.cycleMs, 15.5);
  t.is(temp.sample(), undefined, "no conversion yet");
  const values = [-40, -0.004, 0, 0.0039, 21.37, 25, 43.21, 85.123456, 149.99];
  for (const v of values) {
    truth = v;
    clock.runUntil(clock.now() + 20);
    const r = temp.sample();
    t.truthy(r);
    t.true(Math.abs(r!.temperature - v) <= 1 / 256, `${v} -> ${r!.temperature}`);
    t.is(r!.temperature * 128, Math.round(r!.temperature * 128), "a whole number of LSBs");
  }
  // without a new conversion sample() returns the last reading
  const last = temp.sample();
  t.deepEqual(temp.sample(), last);
  temp.close();

  const clock2 = new VirtualClock();
  const bus2 = new SimI2CBus({ now: () => clock2.now() });
  const rev = new SimTMP117({ now: () => clock2.now(), temperature: () => 25 });
  bus2.attach(0x48, rev);
  t.notThrows(() => new TMP117({ sensor: { io: bus2.SMBus } }));
  bus2.detach(0x48);
  bus2.attach(0x48, { start: () => true, write: () => true, read: () => 0x21, stop: () => {} });
  t.throws(() => new TMP117({ sensor: { io: bus2.SMBus } }), { message: "TMP117 at 0x48: device ID 0x2121 (expected 0x0117)" });
  bus2.detach(0x48);
  let n = 0;
  bus2.attach(0x48, { start: () => ((n = 0), true), write: () => true, read: () => (n++ === 0 ? 0x31 : 0x17), stop: () => {} });
  t.notThrows(() => new TMP117({ sensor: { io: bus2.SMBus } }), "0x3117: revision 3 is accepted");
});

test("driver: configure picks the nearest cycle and writes AVG into bits 6:5", (t) => {
  const { bus, io } = rig(() => 25);
  const temp = new TMP117({ sensor: { io: bus.SMBus } });
  temp.configure({ averaging: 64, conversionMs: 900 });
  const c = io.readUint16(CONFIG, true);
  t.is((c >> 5) & 3, 3, "AVG = 64");
  t.is((c >> 10) & 3, 0, "continuous");
  t.is(temp.cycleMs, 1000);
  temp.configure({ averaging: 8, conversionMs: 5000 });
  t.is(temp.cycleMs, 4000);
  t.is((io.readUint16(CONFIG, true) >> 7) & 7, 5);
  t.throws(() => temp.configure({ averaging: 16 }), { message: /averaging 16/ });
});

test("averaging: the result noise drops as sqrt(N) for N = 1, 8, 32, 64 (CONFIG AVG bits 6:5)", (t) => {
  const noiseC = 0.2;
  const sds: number[] = [];
  for (let avg = 0; avg < 4; avg++) {
    const { clock, io, dev } = rig(() => 25, noiseC);
    io.writeUint16(CONFIG, avg << 5, true); // continuous, CONV 0: cycle = the active time
    const values: number[] = [];
    const start = dev.conversions;
    while (values.length < 600) {
      clock.runUntil(clock.now() + dev.cycleMs);
      values.push(((io.readUint16(TEMP, true) << 16) >> 16) / 128);
    }
    const n = dev.conversions - start;
    t.true(n >= 600 && n <= 606, `each read sees a fresh conversion (${n} done; bus time slips the reads)`);
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    const sd = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1));
    const expected = noiseC / Math.sqrt([1, 8, 32, 64][avg]);
    t.true(Math.abs(sd / expected - 1) < 0.12, `AVG ${avg}: sd ${sd.toFixed(4)} vs ${expected.toFixed(4)}`);
    sds.push(sd);
  }
  t.true(Math.abs(sds[0] / sds[3] / 8 - 1) < 0.15, `sd(1)/sd(64) = ${(sds[0] / sds[3]).toFixed(2)} (sqrt(64) = 8)`);
});

test("driver: every (averaging, conversionMs) of the datasheet table lands on its AVG and CONV codes and the model's cycle", (t) => {
  const { bus, io, dev } = rig(() => 25);
  const temp: Thermometer = new TMP117({ sensor: { io: bus.SMBus } });
  const driver = temp as TMP117;
  const averages = [1, 8, 32, 64];
  for (let conv = 0; conv < 8; conv++) {
    for (let avg = 0; avg < 4; avg++) {
      driver.configure({ averaging: averages[avg], conversionMs: DATASHEET_CYCLE_MS[conv][avg] });
      const c = io.readUint16(CONFIG, true);
      t.is((c >> 5) & 3, avg, `AVG code for ${averages[avg]}`);
      t.is(dev.cycleMs, DATASHEET_CYCLE_MS[conv][avg], `CONV ${conv} AVG ${avg}`);
      t.is(driver.cycleMs, dev.cycleMs);
      // where several CONV codes give the same cycle, the lowest is written
      t.is((c >> 7) & 7, DATASHEET_CYCLE_MS.findIndex((row) => row[avg] === DATASHEET_CYCLE_MS[conv][avg]));
      t.is((c >> 10) & 3, 0, "continuous");
    }
  }
  t.deepEqual(ACTIVE_MS, [15.5, 125, 500, 1000]);
});
