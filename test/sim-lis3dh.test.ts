import test from "ava";
import { SimI2CBus } from "../sim/bus.js";
import { SimLIS3DH } from "../sim/devices/lis3dh.js";
import { SimTMP117 } from "../sim/devices/tmp117.js";
import type { AxisIndex } from "../sim/devices/adxl345.js";
import { VirtualClock } from "../sim/clock.js";
import { Machine, sinePeakG, STANDARD_GRAVITY_MM_S2 } from "../sim/machine/machine.js";
import { LIS3DH, type LIS3DHMode } from "../firmware/drivers/lis3dh.js";
import { Acquirer, type WindowBlock } from "../firmware/acquisition/acquirer.js";
import { FeatureExtractor, type AxisFeatures } from "../firmware/dsp/features.js";

const WHO_AM_I = 0x0f;
const CTRL_REG1 = 0x20;
const CTRL_REG4 = 0x23;
const CTRL_REG5 = 0x24;
const OUT_X_L = 0x28;
const FIFO_CTRL = 0x2e;
const FIFO_SRC = 0x2f;
const AUTO = 0x80;
const FIFO_EN = 0x40;
const STREAM = 0x80;
const FIFO_MODE = 0x40;
const LPEN = 0x08;
const HR = 0x08;
const XYZ = 0x07;

function rig(signal: (axis: AxisIndex, t: number) => number, noise = 0) {
  const clock = new VirtualClock();
  const bus = new SimI2CBus({ now: () => clock.now() });
  const dev = new SimLIS3DH({ now: () => clock.now(), signal, noise, seed: 1 });
  bus.attach(0x18, dev);
  return { clock, bus, dev, io: bus.smbus({ address: 0x18 }) };
}

/** x carries the sample index at `odr` in digits of 12 mg (HR, 16 g: 12-bit holds +-2047). */
const indexSignal = (odr: number) => (axis: AxisIndex, t: number): number => (axis === 0 ? (Math.round(t * odr) % 1500) * 0.012 : 0);
const s16 = (b: Uint8Array, i: number): number => ((b[i] | (b[i + 1] << 8)) << 16) >> 16;

/** Stream FIFO, HR 12-bit, 16 g, at the ODR code given. */
function streamSetup(io: ReturnType<typeof rig>["io"], reg1: number): void {
  io.writeUint8(CTRL_REG4, 0x30 | HR);
  io.writeUint8(CTRL_REG5, FIFO_EN);
  io.writeUint8(FIFO_CTRL, STREAM | 16);
  io.writeUint8(CTRL_REG1, reg1);
}

test("reset state: WHO_AM_I 0x33, CTRL_REG1 0x07 (power-down), no samples until an ODR is set", (t) => {
  const { clock, io, dev } = rig(() => 0);
  t.is(io.readUint8(WHO_AM_I), 0x33);
  t.is(io.readUint8(CTRL_REG1), 0x07);
  t.is(dev.odr, 0);
  io.writeUint8(CTRL_REG5, FIFO_EN);
  io.writeUint8(FIFO_CTRL, STREAM);
  clock.advance(1000);
  t.is(io.readUint8(FIFO_SRC), 0x20, "EMPTY, level 0");
  t.is(dev.samplesGenerated, 0);
  io.writeUint8(CTRL_REG1, 0x57); // 100 Hz
  clock.advance(100);
  t.is(io.readUint8(FIFO_SRC) & 0x1f, 10);
  // ODR table: code 9 is 1344 Hz normal, 5376 Hz with LPen; code 8 exists in low-power only
  const rates: number[] = [];
  for (const reg1 of [0x17, 0x27, 0x37, 0x47, 0x67, 0x77, 0x97, 0x97 | LPEN, 0x87 | LPEN, 0x87]) {
    io.writeUint8(CTRL_REG1, reg1);
    rates.push(dev.odr);
  }
  t.deepEqual(rates, [1, 10, 25, 50, 200, 400, 1344, 5376, 1600, 0]);
});

test("samples are made at exactly ODR in virtual time (1344 Hz normal, 5376 Hz low-power)", (t) => {
  for (const [reg1, odr] of [
    [0x97, 1344],
    [0x97 | LPEN, 5376],
  ]) {
    const times: number[] = [];
    const { clock, io, dev } = rig((axis, tt) => {
      if (axis === 0) times.push(tt);
      return 0;
    });
    io.writeUint8(CTRL_REG5, FIFO_EN);
    io.writeUint8(FIFO_CTRL, STREAM);
    clock.advance(2.3);
    io.writeUint8(CTRL_REG1, reg1);
    t.is(dev.odr, odr);
    for (const dt of [0.05, 0.4, 1.3, 0.7, 0.01, 2.2]) {
      clock.advance(dt);
      io.readUint8(FIFO_SRC);
    }
    const period = 1000 / odr;
    t.is(times.length, Math.floor((clock.now() - 2.3) / period + 1e-9));
    times.forEach((tt, k) => t.true(Math.abs(tt - (2.3 + (k + 1) * period) / 1000) < 1e-12, `sample ${k} at ${tt}`));
  }
});

test("quantization: 12/10/8-bit left-justified, 1/2/4/12 mg per HR digit, x4 normal, x16 low-power; clamps", (t) => {
  let g = 1;
  const { clock, io, dev } = rig((axis) => (axis === 0 ? g : axis === 1 ? -g : 0.5));
  io.writeUint8(CTRL_REG1, 0x57); // 100 Hz, bypass: OUT holds the newest sample
  const b = new Uint8Array(6);
  const read = (): number[] => {
    clock.advance(20);
    io.readBuffer(OUT_X_L | AUTO, b);
    return [s16(b, 0), s16(b, 2), s16(b, 4)];
  };
  const cases: [number, number, number, number[]][] = [
    // CTRL_REG1 extra, CTRL_REG4, bits, [x, y, z] digits for 1 g, -1 g, 0.5 g
    [0, 0x00 | HR, 12, [1000, -1000, 500]],
    [0, 0x10 | HR, 12, [500, -500, 250]],
    [0, 0x20 | HR, 12, [250, -250, 125]],
    [0, 0x30 | HR, 12, [83, -83, 42]],
    [0, 0x00, 10, [250, -250, 125]],
    [0, 0x10, 10, [125, -125, 63]],
    [0, 0x30, 10, [21, -21, 10]],
    [LPEN, 0x00, 8, [63, -62, 31]], // +-62.5 digits round half up
    [LPEN, 0x10, 8, [31, -31, 16]],
    [LPEN, 0x30, 8, [5, -5, 3]],
  ];
  for (const [lp, reg4, bits, digits] of cases) {
    io.writeUint8(CTRL_REG4, reg4);
    io.writeUint8(CTRL_REG1, 0x57 | lp);
    t.is(dev.bits, bits);
    t.deepEqual(read(), digits.map((d) => d * 2 ** (16 - bits)), `reg1 ${lp ? "LP" : ""} reg4 0x${reg4.toString(16)}`);
    t.is(b[0] & ((1 << (16 - bits)) - 1), 0, "left-justified: the low bits are zero");
  }
  g = 3; // beyond 2 g: the output clamps at full scale (2000 digits of 1 mg, inside the 12-bit code range)
  io.writeUint8(CTRL_REG4, HR);
  io.writeUint8(CTRL_REG1, 0x57);
  t.deepEqual(read().slice(0, 2), [2000 << 4, -2000 << 4]);
  io.writeUint8(CTRL_REG1, 0x57 | LPEN); // low-power 2 g: 16 mg digits, 125 at full scale
  t.deepEqual(read().slice(0, 2), [125 << 8, -125 << 8]);
  io.writeUint8(CTRL_REG1, 0x57);
  g = 20; // beyond 16 g: the element saturates at 16 g (12 mg digits reach 24.6 g)
  io.writeUint8(CTRL_REG4, 0x30 | HR);
  t.deepEqual(read().slice(0, 2), [1333 << 4, -1333 << 4]);
  g = 0.0004; // below half a digit (0.5 mg)
  io.writeUint8(CTRL_REG4, HR);
  t.deepEqual(read().slice(0, 2), [0, 0]);
});

test("FIFO burst: with auto-increment a read rolls over 0x2D -> 0x28 and pops one level per 6 bytes", (t) => {
  const { clock, bus, io } = rig(indexSignal(1344));
  streamSetup(io, 0x97);
  clock.advance(10); // 13 levels
  t.is(io.readUint8(FIFO_SRC), 13);
  const burst = new Uint8Array(10 * 6);
  const before = bus.transfers;
  io.readBuffer(OUT_X_L | AUTO, burst);
  t.is(bus.transfers - before, 1, "ten levels in one transfer");
  const xs = Array.from({ length: 10 }, (_, i) => s16(burst, 6 * i) >> 4);
  t.deepEqual(xs, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], "consecutive samples 1..10");
  t.is(io.readUint8(FIFO_SRC), 3);
  // a read that stops before OUT_Z_H leaves the level in place
  const part = new Uint8Array(4);
  io.readBuffer(OUT_X_L | AUTO, part);
  t.is(s16(part, 0) >> 4, 11);
  t.is(io.readUint8(FIFO_SRC), 3);
  // without the auto-increment bit the pointer stays on OUT_X_L: same byte, no pop
  const same = new Uint8Array(6);
  io.readBuffer(OUT_X_L, same);
  t.deepEqual([...same], Array(6).fill(same[0]));
  t.is(io.readUint8(FIFO_SRC), 3);
  // reading past the last level: the FIFO is empty, the output keeps the last level
  const over = new Uint8Array(5 * 6);
  io.readBuffer(OUT_X_L | AUTO, over);
  t.deepEqual([0, 1, 2, 3, 4].map((i) => s16(over, 6 * i) >> 4), [11, 12, 13, 13, 13]);
  t.is(io.readUint8(FIFO_SRC), 0x20, "EMPTY");
});

test("stream overflow: a late reader finds OVRN with FSS 31, the newest 32 levels; FIFO mode keeps the oldest", (t) => {
  const { clock, io, dev } = rig(indexSignal(1344));
  streamSetup(io, 0x97);
  clock.advance(100); // 134 samples due, 32 kept
  const src = io.readUint8(FIFO_SRC);
  t.is(src, 0x80 | 0x40 | 0x1f, "WTM | OVRN | FSS 31");
  t.is(dev.samplesGenerated, 134);
  t.is(dev.samplesLost, 102);
  const burst = new Uint8Array(32 * 6);
  io.readBuffer(OUT_X_L | AUTO, burst);
  t.deepEqual(Array.from({ length: 32 }, (_, i) => s16(burst, 6 * i) >> 4), Array.from({ length: 32 }, (_, i) => 103 + i));
  t.is(io.readUint8(FIFO_SRC), 0x20, "drained: OVRN cleared, EMPTY");
  io.writeUint8(FIFO_CTRL, 0); // bypass empties
  io.writeUint8(FIFO_CTRL, FIFO_MODE);
  clock.advance(100);
  t.is(io.readUint8(FIFO_SRC) & 0x5f, 0x5f);
  const first = new Uint8Array(6);
  io.readBuffer(OUT_X_L | AUTO, first);
  t.is(s16(first, 0) >> 4, 135, "FIFO mode: the first sample after the switch (t = 135 / 1344 s)");
});

test("device noise: 220 ug/sqrt(Hz) white to ODR/2, plus quantization", (t) => {
  const { clock, io } = rig(() => 0, 1);
  streamSetup(io, 0x97);
  io.writeUint8(CTRL_REG4, HR); // 2 g, 1 mg digits
  const burst = new Uint8Array(32 * 6);
  let s = 0;
  let n = 0;
  for (let i = 0; i < 300; i++) {
    clock.advance(10);
    const level = io.readUint8(FIFO_SRC) & 0x1f;
    const v = burst.subarray(0, level * 6);
    io.readBuffer(OUT_X_L | AUTO, v);
    for (let j = 0; j < level; j++) {
      const x = s16(v, 6 * j) >> 4;
      s += x * x;
      n++;
    }
  }
  const rms = Math.sqrt(s / n); // digits of 1 mg
  const expected = Math.sqrt((0.22 * Math.sqrt(1344 / 2)) ** 2 + 1 / 12);
  t.true(Math.abs(rms / expected - 1) < 0.03, `${rms} vs ${expected} mg`);
});

test("driver: checks WHO_AM_I; defaults to normal mode at 1344 Hz; 5376 Hz only in low-power; converts to g", (t) => {
  const clock = new VirtualClock();
  const bus = new SimI2CBus({ now: () => clock.now() });
  bus.attach(0x18, new SimTMP117({ now: () => clock.now(), temperature: () => 25 }));
  t.throws(() => new LIS3DH({ sensor: { io: bus.SMBus } }), { message: /LIS3DH at 0x18: WHO_AM_I 0x[0-9A-F]{2} \(expected 0x33\)/ });
  t.throws(() => new LIS3DH({ sensor: { io: bus.SMBus, address: 0x19 } }), { message: /NACK at 0x19/ });

  const r = rig((axis) => [0.5, -0.25, 1][axis]);
  const accel = new LIS3DH({ sensor: { io: r.bus.SMBus, address: 0x18 } });
  t.is(accel.odr, 1344);
  t.is(accel.mode, "normal");
  t.is(accel.rangeG, 4);
  t.is(r.io.readUint8(CTRL_REG1), 0x97);
  t.is(r.io.readUint8(CTRL_REG4), 0x90, "BDU, 4 g, HR off");
  t.is(r.io.readUint8(CTRL_REG5), FIFO_EN);
  t.is(r.io.readUint8(FIFO_CTRL), STREAM | 16);
  r.clock.advance(10);
  const dest = new Float32Array(3 * 32);
  const before = r.bus.transfers;
  t.is(accel.readFifo(dest, 32), 13);
  t.is(r.bus.transfers - before, 2, "FIFO_SRC + one burst");
  t.deepEqual([...dest.subarray(0, 6)], [0.504, -0.248, 1, 0.504, -0.248, 1].map(Math.fround), "8 mg digits");
  t.false(accel.overrun);
  r.clock.advance(50);
  t.is(accel.readFifo(dest, 10), 10, "maxSamples bounds the burst");
  t.true(accel.overrun);
  const cases: [Parameters<LIS3DH["configure"]>[0], number, LIS3DHMode, number, number][] = [
    [{ odr: 3200 }, 1344, "normal", 0x97, 0x90],
    [{ odr: 5376 }, 5376, "low-power", 0x9f, 0x90],
    [{ mode: "low-power" }, 5376, "low-power", 0x9f, 0x90],
    [{ mode: "low-power", odr: 1500 }, 1600, "low-power", 0x8f, 0x90],
    [{ mode: "high-resolution", rangeG: 2 }, 1344, "high-resolution", 0x97, 0x88],
    [{ odr: 100, rangeG: 16 }, 100, "normal", 0x57, 0xb0],
  ];
  for (const [o, odr, mode, reg1, reg4] of cases) {
    accel.configure(o);
    t.is(accel.odr, odr, JSON.stringify(o));
    t.is(accel.mode, mode);
    t.is(r.io.readUint8(CTRL_REG1), reg1);
    t.is(r.io.readUint8(CTRL_REG4), reg4);
    t.is(r.dev.odr, odr);
  }
  t.is(r.io.readUint8(FIFO_SRC) & 0x1f, 0, "reconfiguring restarts an empty FIFO");
  accel.configure({ mode: "low-power", rangeG: 2 });
  r.clock.advance(2);
  const n = accel.readFifo(dest, 32);
  t.is(n, 10);
  t.deepEqual([...dest.subarray(0, 3)], [0.496, -0.256, 1.008].map(Math.fround), "16 mg digits in low-power at 2 g");
  t.throws(() => accel.configure({ rangeG: 3 }), { message: /range 3 g/ });
  accel.close();
  t.false(r.dev.measuring, "close() powers down");
  const errors: Error[] = [];
  const quiet = new LIS3DH({ sensor: { io: r.bus.SMBus }, onError: (e) => errors.push(e) });
  r.dev.present = false;
  t.is(quiet.readFifo(dest, 32), 0);
  t.regex(errors[0].message, /NACK at 0x18/);
});

// ---- the chain: machine -> sim LIS3DH on a 400 kHz bus -> driver -> acquirer -> features ----

const N = 4096;

function chain(o: { odr: number; mode: LIS3DHMode; rangeG: number; freq: number; peakG: number; pollMs?: number; overrun?: "restart" | "flag" }) {
  const clock = new VirtualClock();
  const bus = new SimI2CBus({ hz: 400_000, now: () => clock.now(), onBusTime: (ms) => clock.advance(ms) });
  const vrms = (o.peakG * STANDARD_GRAVITY_MM_S2) / (2 * Math.PI * o.freq * Math.SQRT2);
  const machine = new Machine({ seed: 1, vibration: [{ axis: "x", kind: "sine", freq_hz: o.freq, vrms_mm_s: vrms }] });
  const dev = new SimLIS3DH({ now: () => clock.now(), seed: 7, signal: (axis, t) => machine.acceleration(axis, t) });
  bus.attach(0x18, dev);
  const accel = new LIS3DH({ sensor: { io: bus.SMBus }, odr: o.odr, mode: o.mode, rangeG: o.rangeG });
  const features = new FeatureExtractor({ n: N, odr: accel.odr, bandHz: [10, 1000] });
  const blocks: { lost: number; x: AxisFeatures }[] = [];
  const errors: Error[] = [];
  const onWindow = (b: WindowBlock) => {
    const x = { aRms: 0, aPeak: 0, vRms: 0, fDom: 0 };
    features.compute(b.x, x, b.scale);
    blocks.push({ lost: b.lost, x });
  };
  const acq = new Acquirer({ timers: clock, clock, accel, n: N, pollMs: o.pollMs, overrun: o.overrun, onWindow, onError: (e) => errors.push(e) });
  return { clock, bus, dev, accel, acq, blocks, errors, vrms };
}

for (const [odr, mode, rangeG] of [
  [1344, "normal", 4],
  [5376, "low-power", 4],
] as const) {
  test(`vRms within 2%, aRms within 1%, fDom within a bin, 20 Hz .. 0.4 ODR at ${odr} Hz ${mode}; no loss at the default poll; wire figures`, (t) => {
    const fMax = Math.min(900, 0.4 * odr);
    const windowMs = (N * 1000) / odr;
    const lines: string[] = [];
    for (const freq of [20, 100, 300, fMax]) {
      const peakG = 0.4 * rangeG;
      const c = chain({ odr, mode, rangeG, freq, peakG });
      t.is(c.accel.odr, odr);
      c.acq.start();
      c.clock.runUntil(3 * windowMs + 20);
      c.acq.stop();
      t.is(c.errors.length, 0);
      t.is(c.blocks.length, 3);
      const q = c.accel.gPerDigit;
      const noise = 220e-6 * Math.sqrt(odr / 2);
      const aTrue = Math.sqrt((peakG * peakG) / 2 + noise * noise + (q * q) / 12);
      for (const b of c.blocks) {
        t.is(b.lost, 0);
        t.true(Math.abs(b.x.vRms / c.vrms - 1) < 0.02, `${freq} Hz vRms ${b.x.vRms} vs ${c.vrms}`);
        t.true(Math.abs(b.x.aRms / aTrue - 1) < 0.01, `${freq} Hz aRms ${b.x.aRms} vs ${aTrue}`);
        t.true(Math.abs(b.x.fDom - freq) < odr / N, `${freq} Hz fDom ${b.x.fDom}`);
      }
      t.is(c.dev.samplesLost, 0, "no overflow at the default poll period");
      const b = c.blocks[1];
      const payload = c.acq.samples * 6;
      lines.push(
        `${odr} Hz ${mode}, ${freq.toFixed(1)} Hz: vRms ${((b.x.vRms / c.vrms - 1) * 100).toFixed(3)}%, aRms ${((b.x.aRms / aTrue - 1) * 100).toFixed(3)}%, fDom ${b.x.fDom.toFixed(2)} Hz; ` +
          `poll ${c.acq.pollMs.toFixed(2)} ms, wire bytes/payload byte ${(c.bus.bytesOnWire / payload).toFixed(3)} (clocks/9: ${((c.bus.busyMs * 400) / 9 / payload).toFixed(3)}), bus busy ${((c.bus.busyMs / c.clock.now()) * 100).toFixed(1)}%`,
      );
    }
    t.log(lines.join("\n"));
  });
}

test("starved: a poll slower than the FIFO fills loses samples; the acquirer counts them ('flag': every window reports them; default 'restart': no window closes)", (t) => {
  const c = chain({ odr: 1344, mode: "normal", rangeG: 4, freq: 50, peakG: 1, pollMs: 40, overrun: "flag" }); // FIFO full after 23.8 ms
  c.acq.start();
  c.clock.runUntil(15_000);
  c.acq.stop();
  t.true(c.blocks.length > 0);
  t.true(c.blocks.every((b) => b.lost > 0));
  t.true(c.dev.samplesLost > 0);
  t.true(c.acq.lost > 0);
  t.true(Math.abs(c.acq.lost / c.dev.samplesLost - 1) < 0.05, `acquirer ${c.acq.lost} vs device ${c.dev.samplesLost}`);
  const r = chain({ odr: c.accel.odr, mode: "normal", rangeG: 4, freq: 50, peakG: 1, pollMs: 40 });
  r.acq.start();
  r.clock.runUntil(15_000);
  t.is(r.blocks.length, 0, "chronic overruns: every window restarts");
  t.true(r.acq.lost > 0);
  t.log(`starved at 40 ms: acquirer lost ${c.acq.lost}, device ${c.dev.samplesLost}`);
});

test("sinePeakG agrees with the chain's amplitude helper", (t) => {
  const vr = (1 * STANDARD_GRAVITY_MM_S2) / (2 * Math.PI * 50 * Math.SQRT2);
  t.true(Math.abs(sinePeakG(vr, 50) - 1) < 1e-12);
});
