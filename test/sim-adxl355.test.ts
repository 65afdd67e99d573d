import test from "ava";
import { SimI2CBus } from "../sim/bus.js";
import { SimADXL355 } from "../sim/devices/adxl355.js";
import { SimADXL345, type AxisIndex } from "../sim/devices/adxl345.js";
import { VirtualClock } from "../sim/clock.js";
import { Machine, STANDARD_GRAVITY_MM_S2 } from "../sim/machine/machine.js";
import { ADXL355 } from "../firmware/drivers/adxl355.js";
import { Acquirer, type WindowBlock } from "../firmware/acquisition/acquirer.js";
import { FeatureExtractor, type AxisFeatures } from "../firmware/dsp/features.js";

const STATUS = 0x04;
const FIFO_ENTRIES = 0x05;
const TEMP2 = 0x06;
const XDATA3 = 0x08;
const FIFO_DATA = 0x11;
const FILTER = 0x28;
const FIFO_SAMPLES = 0x29;
const RANGE = 0x2c;
const POWER_CTL = 0x2d;
const SELF_TEST = 0x2e;
const RESET = 0x2f;
const FIFO_OVR = 0x04;

function rig(signal: (axis: AxisIndex, t: number) => number, o: { noise?: number; temperature?: (t: number) => number } = {}) {
  const clock = new VirtualClock();
  const bus = new SimI2CBus({ now: () => clock.now() });
  const dev = new SimADXL355({ now: () => clock.now(), signal, noise: o.noise ?? 0, temperature: o.temperature, seed: 1 });
  bus.attach(0x1d, dev);
  return { clock, bus, dev, io: bus.smbus({ address: 0x1d }) };
}

/** Sample index at `odr` as LSBs at 2 g: x = k, y = -k, z = 1000 + k. */
const indexSignal = (odr: number) => (axis: AxisIndex, t: number): number => {
  const k = Math.round(t * odr);
  return (axis === 0 ? k : axis === 1 ? -k : 1000 + k) / 256000;
};
/** An entry's 24 bits: the 20-bit value and the marker bits. */
const entry = (b: Uint8Array, i: number) => ({ value: ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8)) >> 12, x: (b[i + 2] & 1) === 1, empty: (b[i + 2] & 2) === 2 });

test("reset state: IDs 0xAD 0x1D 0xED, standby, RANGE 0x81, FIFO_SAMPLES 0x60; ODR 4000 / 2^code; RESET 0x52", (t) => {
  const { clock, io, dev } = rig(() => 0);
  const id = new Uint8Array(4);
  io.readBuffer(0x00, id);
  t.deepEqual([...id], [0xad, 0x1d, 0xed, 0x01]);
  t.is(io.readUint8(RANGE), 0x81);
  t.is(io.readUint8(POWER_CTL), 0x01);
  t.is(io.readUint8(FIFO_SAMPLES), 0x60);
  clock.advance(100);
  t.is(io.readUint8(FIFO_ENTRIES), 0, "standby: nothing sampled");
  const rates: number[] = [];
  for (let code = 0; code <= 10; code++) {
    io.writeUint8(FILTER, code);
    rates.push(dev.odr);
  }
  t.deepEqual(rates, [4000, 2000, 1000, 500, 250, 125, 62.5, 31.25, 15.625, 7.8125, 3.90625]);
  io.writeUint8(FILTER, 0);
  io.writeUint8(POWER_CTL, 0);
  clock.advance(1);
  t.is(io.readUint8(FIFO_ENTRIES), 12, "4 samples x 3 entries in 1 ms");
  io.writeUint8(0x00, 0x12);
  t.is(io.readUint8(0x00), 0xad, "IDs are read-only");
  io.writeUint8(RESET, 0x51);
  t.true(dev.measuring, "only 0x52 resets");
  io.writeUint8(RESET, 0x52);
  t.false(dev.measuring);
  t.is(io.readUint8(FIFO_ENTRIES), 0);
  t.is(io.readUint8(FILTER), 0);
  t.is(io.readUint8(POWER_CTL), 0x01);
});

test("samples are made at exactly ODR (2000 and 4000 Hz)", (t) => {
  for (const [code, odr] of [
    [1, 2000],
    [0, 4000],
  ]) {
    const times: number[] = [];
    const { clock, io } = rig((axis, tt) => {
      if (axis === 0) times.push(tt);
      return 0;
    });
    io.writeUint8(FILTER, code);
    clock.advance(1.7);
    io.writeUint8(POWER_CTL, 0);
    for (const dt of [0.05, 0.4, 1.3, 0.25, 2.9, 0.01]) {
      clock.advance(dt);
      io.readUint8(FIFO_ENTRIES);
    }
    t.is(times.length, Math.floor(((clock.now() - 1.7) * odr) / 1000 + 1e-9));
    times.forEach((tt, k) => t.true(Math.abs(tt - (1.7 + ((k + 1) * 1000) / odr) / 1000) < 1e-12));
  }
});

test("quantization: 20-bit left-justified big-endian, 256000/128000/64000 LSB/g, clamp at the code range; temperature", (t) => {
  let g = 1;
  const { clock, io } = rig((axis) => (axis === 0 ? g : axis === 1 ? -g : 0.25), { temperature: () => 40 });
  io.writeUint8(POWER_CTL, 0);
  const b = new Uint8Array(9);
  const read = (): number[] => {
    clock.advance(1);
    io.readBuffer(XDATA3, b);
    return [0, 3, 6].map((i) => entry(b, i).value);
  };
  for (const [code, lsb] of [
    [1, 256000],
    [2, 128000],
    [3, 64000],
  ]) {
    io.writeUint8(POWER_CTL, 1);
    io.writeUint8(RANGE, 0x80 | code);
    io.writeUint8(POWER_CTL, 0);
    t.deepEqual(read(), [lsb, -lsb, lsb / 4], `range code ${code}`);
    t.is(b[2] & 0x0f, 0, "bits 3:0 of DATA1 are reserved (0)");
  }
  g = 3; // beyond 2.048 g at 2 g: clamps at the 20-bit code range
  io.writeUint8(POWER_CTL, 1);
  io.writeUint8(RANGE, 0x81);
  io.writeUint8(POWER_CTL, 0);
  t.deepEqual(read().slice(0, 2), [524287, -524288]);
  t.deepEqual([...b.subarray(0, 6)], [0x7f, 0xff, 0xf0, 0x80, 0x00, 0x00]);
  // temperature: raw = 1885 - 9.05 (T - 25)
  const tb = new Uint8Array(2);
  io.readBuffer(TEMP2, tb);
  t.is(((tb[0] & 0x0f) << 8) | tb[1], Math.round(1885 - 9.05 * 15));
  // self-test: ST1 + ST2 add the typical response (x 0.3, y 0.3, z 1.5 g)
  g = 0;
  io.writeUint8(SELF_TEST, 0x03);
  t.deepEqual(read(), [76800, 76800, Math.round(1.75 * 256000)]);
  io.writeUint8(SELF_TEST, 0x01);
  t.deepEqual(read(), [0, 0, 64000]);
});

test("FIFO: 3 entries per sample, x marked; FIFO_DATA does not advance; 3 bytes pop an entry; empty indicator", (t) => {
  const { clock, bus, io } = rig(indexSignal(4000));
  io.writeUint8(POWER_CTL, 0);
  clock.advance(2); // 8 samples
  t.is(io.readUint8(FIFO_ENTRIES), 24);
  const b = new Uint8Array(7 * 3); // 7 entries in one transfer
  const before = bus.transfers;
  io.readBuffer(FIFO_DATA, b);
  t.is(bus.transfers - before, 1);
  const e = Array.from({ length: 7 }, (_, i) => entry(b, 3 * i));
  t.deepEqual(e.map((x) => x.value), [1, -1, 1001, 2, -2, 1002, 3]);
  t.deepEqual(e.map((x) => x.x), [true, false, false, true, false, false, true]);
  t.true(e.every((x) => !x.empty));
  t.is(io.readUint8(FIFO_ENTRIES), 17);
  // a partial entry does not pop
  io.readBuffer(FIFO_DATA, new Uint8Array(2));
  t.is(io.readUint8(FIFO_ENTRIES), 17);
  // draining past the end: entries read as empty (bit 1) and nothing pops
  const all = new Uint8Array(19 * 3);
  io.readBuffer(FIFO_DATA, all);
  t.deepEqual([17, 18].map((i) => entry(all, 3 * i).empty), [true, true]);
  t.is(entry(all, 3 * 16).value, 1008, "the last real entry is z of sample 8");
  t.is(io.readUint8(FIFO_ENTRIES), 0);
});

test("overflow: a late reader finds 96 entries (newest 32 samples), FIFO_OVR until STATUS is read", (t) => {
  const { clock, io, dev } = rig(indexSignal(4000));
  io.writeUint8(POWER_CTL, 0);
  clock.advance(25); // 100 samples due
  t.is(io.readUint8(FIFO_ENTRIES), 96);
  t.is(dev.samplesGenerated, 100);
  t.is(dev.samplesLost, 68);
  t.is(io.readUint8(STATUS) & 0x07, 0x07, "DATA_RDY | FIFO_FULL | FIFO_OVR");
  t.is(io.readUint8(STATUS) & FIFO_OVR, 0, "cleared by the read");
  const b = new Uint8Array(3);
  io.readBuffer(FIFO_DATA, b);
  t.deepEqual(entry(b, 0), { value: 69, x: true, empty: false });
  // an overflow with the head mid-sample drops three entries and keeps the head off x
  clock.advance(0.25); // one more sample: full again
  io.readBuffer(FIFO_DATA, b);
  t.false(entry(b, 0).x, "x of 70 gone with y, z of 69; the head is on y of 70");
  t.is(entry(b, 0).value, -70);
});

test("driver: ID check, configuration, g conversion, and resynchronisation on the x marker", (t) => {
  const clock = new VirtualClock();
  const bus = new SimI2CBus({ now: () => clock.now() });
  bus.attach(0x53, new SimADXL345({ now: () => clock.now(), signal: () => 0 }));
  t.throws(() => new ADXL355({ sensor: { io: bus.SMBus, address: 0x53 } }), { message: /ADXL355 at 0x53: device ID 0xE5 0x00 0x00/ });
  t.throws(() => new ADXL355({ sensor: { io: bus.SMBus } }), { message: /NACK at 0x1D/ });

  const r = rig((axis) => [0.5, -0.25, 1][axis]);
  const accel = new ADXL355({ sensor: { io: r.bus.SMBus } });
  t.is(accel.odr, 4000);
  t.is(accel.rangeG, 4);
  t.is(r.io.readUint8(RANGE), 0x82, "I2C_HS kept, 4 g");
  t.is(r.io.readUint8(FILTER), 0);
  t.is(r.io.readUint8(POWER_CTL), 0);
  r.clock.advance(2);
  const dest = new Float32Array(3 * 32);
  const before = r.bus.transfers;
  t.is(accel.readFifo(dest, 32), 8);
  t.is(r.bus.transfers - before, 2, "STATUS + FIFO_ENTRIES, then one burst");
  t.deepEqual([...dest.subarray(0, 6)], [0.5, -0.25, 1, 0.5, -0.25, 1]);
  t.false(accel.overrun);
  // knock the FIFO off x: read one entry behind the driver's back
  r.clock.advance(1); // 4 samples = 12 entries
  r.io.readBuffer(FIFO_DATA, new Uint8Array(3));
  const t1 = r.bus.transfers;
  t.is(accel.readFifo(dest, 32), 3, "11 entries: 3 whole sets (after 2 dropped, 1 completed)");
  t.is(r.bus.transfers - t1, 3, "one extra transfer completes the last set");
  t.is(accel.resyncs, 2);
  t.deepEqual([...dest.subarray(0, 9)], [0.5, -0.25, 1, 0.5, -0.25, 1, 0.5, -0.25, 1]);
  t.is(r.io.readUint8(FIFO_ENTRIES), 0, "aligned and drained");
  r.clock.advance(1);
  t.is(accel.readFifo(dest, 32), 4);
  t.is(accel.resyncs, 2, "stays aligned");
  r.clock.advance(20); // 80 samples: overflow
  t.is(accel.readFifo(dest, 10), 10, "maxSamples bounds the burst");
  t.true(accel.overrun);
  for (const [odr, actual] of [
    [3200, 4000],
    [2000, 2000],
    [1600, 2000],
    [10, 7.8125],
  ]) {
    accel.configure({ odr });
    t.is(accel.odr, actual);
    t.is(r.dev.odr, actual);
  }
  accel.configure({ rangeG: 8 });
  t.is(r.io.readUint8(RANGE), 0x83);
  t.is(r.io.readUint8(FIFO_ENTRIES), 0, "reconfiguring restarts an empty FIFO");
  t.throws(() => accel.configure({ rangeG: 16 }), { message: /range 16 g/ });
  t.is(Math.round(accel.temperature() * 100) / 100, 25);
  accel.close();
  t.false(r.dev.measuring);
  const errors: Error[] = [];
  const quiet = new ADXL355({ sensor: { io: r.bus.SMBus }, onError: (e) => errors.push(e) });
  r.dev.present = false;
  t.is(quiet.readFifo(dest, 32), 0);
  t.regex(errors[0].message, /NACK at 0x1D/);
});

// ---- the chain: machine -> sim ADXL355 on a 400 kHz bus -> driver -> acquirer -> features ----

const N = 4096;

function chain(o: { odr: number; rangeG: number; freq: number; peakG: number; pollMs?: number; overrun?: "restart" | "flag"; hz?: number }) {
  const clock = new VirtualClock();
  const bus = new SimI2CBus({ hz: o.hz ?? 400_000, now: () => clock.now(), onBusTime: (ms) => clock.advance(ms) });
  const vrms = (o.peakG * STANDARD_GRAVITY_MM_S2) / (2 * Math.PI * o.freq * Math.SQRT2);
  const machine = new Machine({ seed: 1, vibration: [{ axis: "x", kind: "sine", freq_hz: o.freq, vrms_mm_s: vrms }] });
  const dev = new SimADXL355({ now: () => clock.now(), seed: 5, signal: (axis, t) => machine.acceleration(axis, t) });
  bus.attach(0x1d, dev);
  const accel = new ADXL355({ sensor: { io: bus.SMBus }, odr: o.odr, rangeG: o.rangeG });
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

for (const odr of [2000, 4000]) {
  test(`vRms within 2%, aRms within 1%, fDom within a bin, 20 Hz .. 0.4 ODR (max 900) at ${odr} Hz; no loss at the default poll; wire figures`, (t) => {
    const fMax = Math.min(900, 0.4 * odr);
    const windowMs = (N * 1000) / odr;
    const lines: string[] = [];
    for (const freq of [20, 100, 300, fMax]) {
      const peakG = 1.6;
      const c = chain({ odr, rangeG: 4, freq, peakG });
      t.is(c.accel.odr, odr);
      c.acq.start();
      c.clock.runUntil(3 * windowMs + 20);
      c.acq.stop();
      t.is(c.errors.length, 0);
      t.is(c.blocks.length, 3);
      const noise = 22.5e-6 * Math.sqrt(odr / 4);
      const q = 1 / 128000;
      const aTrue = Math.sqrt((peakG * peakG) / 2 + noise * noise + (q * q) / 12);
      for (const b of c.blocks) {
        t.is(b.lost, 0);
        t.true(Math.abs(b.x.vRms / c.vrms - 1) < 0.02, `${freq} Hz vRms ${b.x.vRms} vs ${c.vrms}`);
        t.true(Math.abs(b.x.aRms / aTrue - 1) < 0.01, `${freq} Hz aRms ${b.x.aRms} vs ${aTrue}`);
        t.true(Math.abs(b.x.fDom - freq) < odr / N, `${freq} Hz fDom ${b.x.fDom}`);
      }
      t.is(c.dev.samplesLost, 0, "no overflow at the default poll period");
      t.is(c.accel.resyncs, 0);
      const b = c.blocks[1];
      const payload = c.acq.samples * 9;
      lines.push(
        `${odr} Hz, ${freq} Hz: vRms ${((b.x.vRms / c.vrms - 1) * 100).toFixed(3)}%, aRms ${((b.x.aRms / aTrue - 1) * 100).toFixed(3)}%, fDom ${b.x.fDom.toFixed(2)} Hz; ` +
          `poll ${c.acq.pollMs.toFixed(2)} ms, wire bytes/payload byte ${(c.bus.bytesOnWire / payload).toFixed(3)} (clocks/9: ${((c.bus.busyMs * 400) / 9 / payload).toFixed(3)}), bus busy ${((c.bus.busyMs / c.clock.now()) * 100).toFixed(1)}%`,
      );
    }
    t.log(lines.join("\n"));
  });
}

test("starved: a poll slower than the FIFO fills loses samples; the acquirer counts them ('flag': every window reports them; default 'restart': no window closes)", (t) => {
  const c = chain({ odr: 2000, rangeG: 4, freq: 50, peakG: 1, pollMs: 30, overrun: "flag" }); // 32 samples fill in 16 ms
  c.acq.start();
  c.clock.runUntil(15_000);
  c.acq.stop();
  t.true(c.blocks.length > 0);
  t.true(c.blocks.every((b) => b.lost > 0));
  t.true(c.dev.samplesLost > 0);
  t.true(Math.abs(c.acq.lost / c.dev.samplesLost - 1) < 0.05, `acquirer ${c.acq.lost} vs device ${c.dev.samplesLost}`);
  t.is(c.accel.resyncs, 0, "overflow drops whole sets: the FIFO stays aligned");
  const r = chain({ odr: c.accel.odr, rangeG: 4, freq: 50, peakG: 1, pollMs: 30 });
  r.acq.start();
  r.clock.runUntil(15_000);
  t.is(r.blocks.length, 0, "chronic overruns: every window restarts");
  t.true(r.acq.lost > 0);
  t.log(`starved at 30 ms: acquirer lost ${c.acq.lost}, device ${c.dev.samplesLost}`);
});
