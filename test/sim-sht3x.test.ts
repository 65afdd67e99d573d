import test from "ava";
import { SimI2CBus } from "../sim/bus.js";
import { VirtualClock } from "../sim/clock.js";
import {
  SimSHT3x,
  crc8,
  MEASUREMENT_MS,
  REPEATABILITY_C,
  REPEATABILITY_RH,
  STATUS_RESET,
  STATUS_HEATER,
  STATUS_COMMAND,
} from "../sim/devices/sht3x.js";
import { SHT3x, sht3xCrc8 } from "../firmware/drivers/sht3x.js";
import type { Thermometer } from "../firmware/drivers/thermometer.js";

const T_LSB = 175 / 65535;
const RH_LSB = 100 / 65535;

function rig(options: { temperature?: (s: number) => number; humidity?: (s: number) => number; noise?: number; seed?: number } = {}) {
  const clock = new VirtualClock();
  const bus = new SimI2CBus({ now: () => clock.now(), onBusTime: (ms) => clock.advance(ms) });
  const dev = new SimSHT3x({
    now: () => clock.now(),
    temperature: options.temperature ?? (() => 25),
    humidity: options.humidity,
    noise: options.noise ?? 0,
    seed: options.seed,
  });
  bus.attach(0x44, dev);
  const io = bus.smbus({ address: 0x44 });
  const cmd = (word: number) => io.write(Uint8Array.of(word >> 8, word & 0xff));
  const read = (n = 6) => {
    const b = new Uint8Array(n);
    io.read(b);
    return b;
  };
  const driver = (o: Partial<ConstructorParameters<typeof SHT3x>[0]> = {}) => new SHT3x({ sensor: { io: bus.SMBus }, ...o });
  return { clock, bus, dev, io, cmd, read, driver };
}

test("CRC-8 (poly 0x31, init 0xFF): the datasheet vector CRC(0xBE, 0xEF) = 0x92 in the model and the driver", (t) => {
  const v = Uint8Array.of(0xbe, 0xef);
  t.is(crc8(v, 0, 2), 0x92);
  t.is(sht3xCrc8(v, 0, 2), 0x92);
  t.is(sht3xCrc8(Uint8Array.of(0x00, 0x00), 0, 2), 0x81);
  t.not(sht3xCrc8(Uint8Array.of(0xbe, 0xee), 0, 2), 0x92, "a flipped bit changes the CRC");
});

test("single shot without stretching: read header NACKed until the measurement is done (15.5/6.5/4.5 ms), data cleared once read", (t) => {
  for (const [word, ms] of [
    [0x2400, 15.5],
    [0x240b, 6.5],
    [0x2416, 4.5],
  ]) {
    const { clock, cmd, read, dev } = rig({ temperature: () => 25, humidity: () => 60 });
    const t0 = clock.now(); // the measurement starts with the command's last byte, before the STOP is charged
    cmd(word);
    clock.runUntil(t0 + ms - 0.01);
    t.throws(() => read(), { message: /NACK at 0x44 \(address, read\)/ }, `0x${word.toString(16)}: not ready before ${ms} ms`);
    clock.runUntil(t0 + ms);
    const b = read();
    t.is(dev.measurements, 1);
    t.is(crc8(b, 0, 2), b[2]);
    t.is(crc8(b, 3, 2), b[5]);
    t.true(Math.abs(-45 + (175 * ((b[0] << 8) | b[1])) / 65535 - 25) <= T_LSB / 2);
    t.true(Math.abs((100 * ((b[3] << 8) | b[4])) / 65535 - 60) <= RH_LSB / 2);
    t.throws(() => read(), { message: /NACK/ }, "data memory cleared after read-out");
  }
  t.deepEqual(MEASUREMENT_MS, [15.5, 6.5, 4.5]);
});

test("single shot with clock stretching (0x2C06): the read header is ACKed at once and SCL is held to the end", (t) => {
  const { clock, cmd, read, dev } = rig();
  cmd(0x2c06);
  clock.advance(5);
  read();
  t.is(dev.measurements, 1);
  t.true(Math.abs(dev.stretchedMs - (15.5 - 5 - 0.0)) < 0.2, `stretched ${dev.stretchedMs} ms`);
});

test("status: 0x8010 after reset (CRC-checked), clear, heater bit, command rejected in periodic mode, soft reset NACKs for 1.5 ms", (t) => {
  const { clock, cmd, read, dev } = rig();
  const status = () => {
    cmd(0xf32d);
    const b = read(3);
    t.is(crc8(b, 0, 2), b[2]);
    return (b[0] << 8) | b[1];
  };
  t.is(status(), STATUS_RESET);
  t.is(STATUS_RESET, 0x8010);
  cmd(0x3041);
  t.is(status(), 0);
  cmd(0x306d);
  t.is(status(), STATUS_HEATER);
  cmd(0x3066);
  t.is(status(), 0);
  cmd(0x2130);
  t.true(dev.periodic);
  cmd(0x2400); // single shot while periodic: not processed
  t.is(status(), STATUS_COMMAND);
  t.is(status(), 0, "command status cleared by the status read");
  cmd(0x3093);
  t.false(dev.periodic, "break");
  cmd(0x30a2);
  const t0 = clock.now();
  t.throws(() => cmd(0xf32d), { message: /NACK/ });
  clock.runUntil(t0 + 1.5);
  t.is(status(), 0x8010, "reset detected again after soft reset");
});

test("periodic 1 mps: fetch NACKs until the first result, one result per second, fetched data cleared", (t) => {
  const { clock, cmd, read, dev } = rig({ temperature: (s) => 20 + s });
  const t0 = clock.now();
  cmd(0x2130);
  clock.runUntil(t0 + 15.4); // the fetch command itself takes 0.07 ms of bus time
  cmd(0xe000);
  t.throws(() => read(), { message: /NACK/ });
  clock.runUntil(t0 + 15.5);
  cmd(0xe000);
  const b = read();
  t.true(Math.abs(-45 + (175 * ((b[0] << 8) | b[1])) / 65535 - (20 + (t0 + 15.5) / 1000)) <= T_LSB);
  cmd(0xe000);
  t.throws(() => read(), { message: /NACK/ }, "no new result yet");
  clock.runUntil(t0 + 10_015.5);
  cmd(0xe000);
  read();
  t.is(dev.measurements, 11, "10 s at 1 mps: 11 results");
  t.throws(() => read(), { message: /NACK/ }, "no read without fetch in periodic mode");
});

test("driver: T and RH within half an LSB of the truth over -40..125 degC and 0..100 %RH", (t) => {
  let truthT = 0;
  let truthRH = 0;
  const { clock, driver } = rig({ temperature: () => truthT, humidity: () => truthRH });
  const sht: Thermometer = driver();
  t.is(sht.sample(), undefined, "first call starts a measurement and has nothing yet");
  let worstT = 0;
  let worstRH = 0;
  let n = 0;
  for (let c = -40; c <= 125; c += 0.73) {
    const rh = (n * 7.3) % 100;
    truthT = c;
    truthRH = rh;
    clock.runUntil(clock.now() + 16);
    const r = sht.sample()!;
    worstT = Math.max(worstT, Math.abs(r.temperature - c));
    worstRH = Math.max(worstRH, Math.abs(r.humidity! - rh));
    n++;
  }
  t.true(n > 200);
  t.true(worstT <= T_LSB / 2 + 1e-12, `worst T error ${worstT}`);
  t.true(worstRH <= RH_LSB / 2 + 1e-12, `worst RH error ${worstRH}`);
  truthRH = 130;
  clock.runUntil(clock.now() + 16);
  sht.sample();
  clock.runUntil(clock.now() + 16);
  t.is(sht.sample()!.humidity, 100, "RH clamps at 100 %");
  truthRH = -5;
  clock.runUntil(clock.now() + 16);
  sht.sample();
  clock.runUntil(clock.now() + 16);
  t.is(sht.sample()!.humidity, 0, "and at 0 %");
});

test("driver single shot: returns the previous result, never waits; early polls return the last reading and do not restart", (t) => {
  const { clock, dev, driver } = rig({ temperature: (s) => 10 + s * 100 }); // 0.1 degC per ms
  const sht = driver({ repeatability: "low" });
  t.is(sht.measurementMs, 4.5);
  t.is(sht.sample(), undefined);
  const start = clock.now();
  clock.runUntil(start + 2);
  t.is(sht.sample(), undefined, "polled before 4.5 ms: still nothing, no throw");
  clock.runUntil(start + 4.6);
  const r = sht.sample()!;
  // the measurement started at `start` and completed at start + 4.5 ms (model samples at completion)
  t.true(Math.abs(r.temperature - (10 + (start + 4.5) / 10)) < 0.01, `${r.temperature}`);
  t.is(r.humidity !== undefined && Math.abs(r.humidity - 45) < RH_LSB, true, "default humidity 45 %RH");
  t.is(dev.measurements, 1);
  t.deepEqual(sht.sample(), r, "second measurement not finished: the same reading");
  clock.runUntil(clock.now() + 5);
  t.true(sht.sample()!.temperature > r.temperature);
  t.is(dev.measurements, 2);
});

test("driver: corrupted replies are rejected by CRC with a clear message, then the driver recovers", (t) => {
  const { clock, dev, driver } = rig({ temperature: () => 21.5, humidity: () => 33 });
  const sht = driver();
  sht.sample();
  clock.runUntil(clock.now() + 16);
  dev.corrupt(1, 0); // temperature LSB
  t.throws(() => sht.sample(), { message: "SHT3x at 0x44: CRC mismatch in temperature word" });
  sht.sample(); // starts a new measurement
  clock.runUntil(clock.now() + 16);
  dev.corrupt(5, 3); // humidity CRC byte
  t.throws(() => sht.sample(), { message: "SHT3x at 0x44: CRC mismatch in humidity word" });
  sht.sample();
  clock.runUntil(clock.now() + 16);
  dev.corrupt(3, 7); // humidity MSB
  t.throws(() => sht.sample(), { message: /humidity word/ });
  sht.sample();
  clock.runUntil(clock.now() + 16);
  const r = sht.sample()!;
  t.true(Math.abs(r.temperature - 21.5) < T_LSB && Math.abs(r.humidity! - 33) < RH_LSB);
  dev.corrupt(0, 0);
  t.throws(() => sht.status(), { message: "SHT3x at 0x44: CRC mismatch in status word" });
});

test("driver periodic 2 mps: fetch each call, new data twice a second; close() sends break", (t) => {
  const { clock, dev, driver } = rig({ temperature: (s) => 30 + s });
  const sht = driver({ periodicHz: 2, repeatability: "medium" });
  t.true(dev.periodic);
  const t0 = clock.now();
  t.is(sht.sample(), undefined);
  const seen = new Set<number>();
  for (let ms = 0; ms < 3000; ms += 50) {
    clock.runUntil(t0 + ms);
    const r = sht.sample();
    if (r) seen.add(r.temperature);
  }
  t.is(seen.size, 6, "results at 6.5, 506.5, ..., 2506.5 ms");
  sht.close();
  t.false(dev.periodic);
  t.throws(() => driver({ periodicHz: 3 as 2 }), { message: "SHT3x at 0x44: periodicHz 3 (supported: 0.5, 1, 2, 4, 10)" });
});

test("noise: datasheet repeatability (3 sigma) per level, seeded and repeatable", (t) => {
  const sd = (a: number[]) => {
    const m = a.reduce((s, x) => s + x, 0) / a.length;
    return Math.sqrt(a.reduce((s, x) => s + (x - m) ** 2, 0) / (a.length - 1));
  };
  const runs: number[][] = [];
  for (const [rep, level] of [
    ["high", 0],
    ["low", 2],
  ] as const) {
    const { clock, driver } = rig({ temperature: () => 25, humidity: () => 50, noise: 1, seed: 7 });
    const sht = driver({ repeatability: rep });
    const ts: number[] = [];
    const rhs: number[] = [];
    sht.sample();
    for (let i = 0; i < 800; i++) {
      clock.runUntil(clock.now() + 16);
      const r = sht.sample()!;
      ts.push(r.temperature);
      rhs.push(r.humidity!);
    }
    const sT = sd(ts);
    const sRH = sd(rhs);
    t.true(Math.abs(sT / (REPEATABILITY_C[level] / 3) - 1) < 0.15, `${rep}: T sd ${sT}`);
    t.true(Math.abs(sRH / (REPEATABILITY_RH[level] / 3) - 1) < 0.15, `${rep}: RH sd ${sRH}`);
    runs.push(ts);
  }
  const again = rig({ temperature: () => 25, noise: 1, seed: 7 });
  const sht = again.driver();
  sht.sample();
  again.clock.runUntil(again.clock.now() + 16);
  t.is(sht.sample()!.temperature, runs[0][0], "same seed, same first reading");
});

test("absent part: constructor NACK; unplugged while measuring -> clear error", (t) => {
  const { dev, driver, clock } = rig();
  dev.present = false;
  t.throws(() => driver(), { message: /NACK at 0x44/ });
  dev.present = true;
  const sht = driver();
  sht.sample();
  clock.runUntil(clock.now() + 16);
  dev.present = false;
  t.throws(() => sht.sample(), { message: /^SHT3x at 0x44: not responding/ });
  t.throws(() => sht.sample(), { message: /NACK at 0x44 \(address, write\)/ }, "the next trigger fails too");
  dev.present = true;
  t.is(sht.sample(), undefined, "recovered: a new measurement started, nothing read since the first");
  const other = rig();
  t.throws(() => new SHT3x({ sensor: { io: other.bus.SMBus, address: 0x45 } }), { message: /NACK at 0x45/ });
});
