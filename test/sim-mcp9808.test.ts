import test from "ava";
import { SimI2CBus } from "../sim/bus.js";
import { VirtualClock } from "../sim/clock.js";
import { SimMCP9808, CONVERSION_MS, RESOLUTION_C } from "../sim/devices/mcp9808.js";
import { MCP9808 } from "../firmware/drivers/mcp9808.js";
import type { Thermometer } from "../firmware/drivers/thermometer.js";

const T_A = 0x05;
const RESOLUTION = 0x08;

function rig(temperature: (s: number) => number = () => 25, revision = 0) {
  const clock = new VirtualClock();
  const bus = new SimI2CBus({ now: () => clock.now(), onBusTime: (ms) => clock.advance(ms) });
  const dev = new SimMCP9808({ now: () => clock.now(), temperature, revision });
  bus.attach(0x18, dev);
  const io = bus.smbus({ address: 0x18 });
  return { clock, bus, dev, io, driver: (o: { resolution?: 0.5 | 0.25 | 0.125 | 0.0625 } = {}) => new MCP9808({ sensor: { io: bus.SMBus }, ...o }) };
}

test("identity and reset state: MANID 0x0054, DEVID 0x04 + revision, RESOLUTION 0x03, T_A 0 until the first conversion", (t) => {
  const { io, clock } = rig(() => 25, 0x01);
  t.is(io.readUint16(0x06, true), 0x0054);
  t.is(io.readUint16(0x07, true), 0x0401);
  t.is(io.readUint8(RESOLUTION), 0x03);
  t.is(io.readUint16(0x01, true), 0x0000);
  t.is(io.readUint16(T_A, true) & 0x1fff, 0);
  clock.runUntil(250);
  t.is(io.readUint16(T_A, true) & 0x1fff, 0x0190, "0x0190 = 25.0 degC");
});

test("conversion time per resolution: 30/65/130/250 ms; T_A only changes when a conversion completes", (t) => {
  for (let code = 0; code < 4; code++) {
    const { clock, io, dev } = rig((s) => s * 10); // 10 degC/s ramp
    const t0 = clock.now();
    io.writeUint8(RESOLUTION, code);
    t.is(dev.conversionMs, [30, 65, 130, 250][code]);
    const start = dev.conversions;
    const tConv = CONVERSION_MS[code];
    clock.runUntil(t0 + tConv - 0.5);
    const before = io.readUint16(T_A, true);
    clock.runUntil(t0 + tConv);
    const after = io.readUint16(T_A, true);
    t.not(after, before, `code ${code}: a result at ${tConv} ms`);
    clock.runUntil(t0 + 10 * tConv);
    io.readUint16(T_A, true);
    t.is(dev.conversions - start, 10, `code ${code}: 10 conversions in 10 tCONV`);
  }
});

test("driver: readings within half a resolution step of the truth over -40..125 degC, on the step grid, at every resolution", (t) => {
  for (const res of [0.5, 0.25, 0.125, 0.0625] as const) {
    let truth = 0;
    const { clock, driver, io } = rig(() => truth);
    const m = driver({ resolution: res });
    t.is(io.readUint8(RESOLUTION), RESOLUTION_C.indexOf(res));
    t.is(m.conversionMs, CONVERSION_MS[RESOLUTION_C.indexOf(res)]);
    let worst = 0;
    let n = 0;
    for (let c = -40; c <= 125; c += 0.3711) {
      truth = c;
      clock.runUntil(clock.now() + m.conversionMs);
      const r = m.sample()!.temperature;
      worst = Math.max(worst, Math.abs(r - c));
      if (r / res !== Math.round(r / res)) t.fail(`${r} is not a multiple of ${res}`);
      n++;
    }
    t.true(n > 400);
    t.true(worst <= res / 2 + 1e-12, `resolution ${res}: worst error ${worst}`);
    t.true(worst > res / 4, `resolution ${res}: the error is the quantization (${worst})`);
  }
});

test("negative temperatures: two's complement in bits 12:0, decoded with alert flags set in 15:13", (t) => {
  let truth = -25;
  const { clock, io, driver } = rig(() => truth);
  const m: Thermometer = driver();
  clock.runUntil(clock.now() + 260);
  t.is(io.readUint16(T_A, true) & 0x1fff, 0x1e70, "-25 degC = -400 LSB = 0x1E70");
  t.is(m.sample()!.temperature, -25);
  // T_LOWER = +10 degC: T_A < T_LOWER sets bit 13; the sign must still come from bit 12
  io.writeUint16(0x03, 10 * 16, true);
  for (const [v, code] of [
    [-0.0625, 0x1fff],
    [-0.5, 0x1ff8],
    [-40, 0x1d80],
    [-1.4375, 0x1fe9],
  ] as const) {
    truth = v;
    clock.runUntil(clock.now() + 260);
    const raw = io.readUint16(T_A, true);
    t.is(raw & 0x1fff, code, `${v} degC`);
    t.truthy(raw & (1 << 13), "below T_LOWER flag");
    t.is(m.sample()!.temperature, v);
  }
  truth = 100;
  io.writeUint16(0x04, 90 * 16, true); // T_CRIT
  clock.runUntil(clock.now() + 260);
  t.is(io.readUint16(T_A, true) >> 13, 0b110, "above T_CRIT and T_UPPER (0)");
  t.is(m.sample()!.temperature, 100);
});

test("shutdown holds T_A; the driver clears SHDN", (t) => {
  let truth = 20;
  const { clock, io, dev, driver } = rig(() => truth);
  clock.runUntil(300);
  io.writeUint16(0x01, 0x0100, true);
  const held = io.readUint16(T_A, true);
  truth = 50;
  clock.runUntil(2000);
  t.is(io.readUint16(T_A, true), held);
  const n = dev.conversions;
  const m = driver();
  t.is(io.readUint16(0x01, true) & 0x0100, 0);
  clock.runUntil(clock.now() + 250);
  t.is(m.sample()!.temperature, 50);
  t.is(dev.conversions, n + 1);
});

test("wrong identity rejected with a clear message; absent part NACKs", (t) => {
  const clock = new VirtualClock();
  const bus = new SimI2CBus({ now: () => clock.now() });
  const io = bus.SMBus;
  // a register device answering 0x33 everywhere (a LIS3DH shares 0x18)
  bus.attach(0x18, { start: () => true, write: () => true, read: () => 0x33, stop: () => {} });
  t.throws(() => new MCP9808({ sensor: { io } }), { message: "MCP9808 at 0x18: manufacturer ID 0x3333 (expected 0x0054)" });
  bus.detach(0x18);
  let reg = 0;
  let byte = 0;
  bus.attach(0x18, {
    start: (read) => ((byte = read ? 0 : -1), true),
    write: (b) => (byte === -1 ? ((reg = b), (byte = 0)) : 0, true),
    read: () => (reg === 0x06 ? [0x00, 0x54][byte++] : [0x05, 0x00][byte++]),
    stop: () => {},
  });
  t.throws(() => new MCP9808({ sensor: { io } }), { message: "MCP9808 at 0x18: device ID 0x0500 (expected 0x04xx)" });
  bus.detach(0x18);
  t.throws(() => new MCP9808({ sensor: { io } }), { message: "I2C NACK at 0x18 (address, write)" });
  const sim = new SimMCP9808({ now: () => clock.now(), temperature: () => 25, revision: 0x7f });
  bus.attach(0x1f, sim);
  const m = new MCP9808({ sensor: { io, address: 0x1f } });
  sim.present = false;
  t.throws(() => m.sample(), { message: /NACK at 0x1F/ });
  t.throws(() => m.configure({ resolution: 0.3 as 0.25 }), { message: /resolution 0.3/ });
});
