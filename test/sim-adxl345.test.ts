import test from "ava";
import { SimI2CBus } from "../sim/bus.js";
import { SimADXL345, type AxisIndex } from "../sim/devices/adxl345.js";
import { SimTMP117 } from "../sim/devices/tmp117.js";
import { VirtualClock } from "../sim/clock.js";
import { Machine, sinePeakG, STANDARD_GRAVITY_MM_S2 } from "../sim/machine/machine.js";
import { ADXL345 } from "../firmware/drivers/adxl345.js";

const BW_RATE = 0x2c;
const POWER_CTL = 0x2d;
const INT_SOURCE = 0x30;
const DATA_FORMAT = 0x31;
const DATAX0 = 0x32;
const FIFO_CTL = 0x38;
const FIFO_STATUS = 0x39;
const STREAM = 0x80;
const FIFO = 0x40;

/** A bus whose transfers take no virtual time, so tests set time explicitly. */
function rig(signal: (axis: AxisIndex, t: number) => number, noise = 0) {
  const clock = new VirtualClock();
  const bus = new SimI2CBus({ now: () => clock.now() });
  const dev = new SimADXL345({ now: () => clock.now(), signal, noise, seed: 1 });
  bus.attach(0x53, dev);
  return { clock, bus, dev, io: bus.smbus({ address: 0x53 }) };
}

/** Encodes the sample index (at 3200 Hz) in x as LSBs, so order and gaps are visible. */
const indexSignal = (axis: AxisIndex, t: number): number => (axis === 0 ? (Math.round(t * 3200) % 2000) / 256 : 0);

test("reset state: DEVID, 100 Hz default, no samples in standby", (t) => {
  const { clock, io, dev } = rig(() => 0);
  t.is(io.readUint8(0x00), 0xe5);
  t.is(io.readUint8(BW_RATE), 0x0a);
  t.is(dev.odr, 100);
  io.writeUint8(FIFO_CTL, STREAM);
  clock.advance(1000);
  t.is(io.readUint8(FIFO_STATUS), 0, "standby: nothing sampled");
  t.is(dev.samplesGenerated, 0);
  io.writeUint8(POWER_CTL, 0x08);
  clock.advance(100);
  t.is(io.readUint8(FIFO_STATUS), 10, "100 Hz: 10 samples in 100 ms");
});

test("samples are made at exactly ODR in virtual time (sample k at t0 + (k+1)/ODR)", (t) => {
  const times: number[] = [];
  const { clock, io, dev } = rig((axis, tt) => {
    if (axis === 0) times.push(tt);
    return 0;
  });
  io.writeUint8(BW_RATE, 0x0f);
  io.writeUint8(FIFO_CTL, STREAM);
  clock.advance(3.7);
  io.writeUint8(POWER_CTL, 0x08); // measuring from 3.7 ms
  t.is(dev.odr, 3200);
  // poll at irregular times: the sample clock does not care
  for (const dt of [0.05, 0.4, 1.3, 0.3125, 2.9, 0.01, 4.4]) {
    clock.advance(dt);
    io.readUint8(FIFO_STATUS);
  }
  const elapsed = clock.now() - 3.7;
  t.is(times.length, Math.floor(elapsed / 0.3125));
  times.forEach((tt, k) => t.is(tt, (3.7 + (k + 1) * 0.3125) / 1000));
  // changing the rate restarts the sample clock at the new ODR
  times.length = 0;
  const t1 = clock.now();
  io.writeUint8(BW_RATE, 0x0d); // 800 Hz
  clock.advance(10);
  io.readUint8(FIFO_STATUS);
  t.deepEqual(times, Array.from({ length: 8 }, (_, k) => (t1 + (k + 1) * 1.25) / 1000));
});

test("stream mode: a late reader finds 32 entries, OVERRUN set, the newest samples kept", (t) => {
  const { clock, io, dev } = rig(indexSignal);
  io.writeUint8(DATA_FORMAT, 0x0b); // full res, 16 g: 13 bits hold the index
  io.writeUint8(BW_RATE, 0x0f);
  io.writeUint8(FIFO_CTL, STREAM | 16);
  io.writeUint8(POWER_CTL, 0x08);
  clock.advance(100); // 320 samples due, FIFO holds 32
  t.is(io.readUint8(FIFO_STATUS), 32);
  const src = io.readUint8(INT_SOURCE);
  t.is(src & 0x83, 0x83, "DATA_READY | WATERMARK | OVERRUN");
  t.is(dev.samplesGenerated, 320);
  t.is(dev.samplesLost, 288);
  const b = new Uint8Array(6);
  const got: number[] = [];
  for (let i = 0; i < 32; i++) {
    io.readBuffer(DATAX0, b);
    got.push((b[0] | (b[1] << 8)) << 16 >> 16);
  }
  t.deepEqual(got, Array.from({ length: 32 }, (_, i) => 289 + i), "samples 289..320 (indices of t = k/3200)");
  t.is(io.readUint8(FIFO_STATUS), 0);
  t.is(io.readUint8(INT_SOURCE) & 0x01, 0, "OVERRUN cleared by reading the FIFO");
});

test("FIFO mode stops collecting when full and keeps the oldest", (t) => {
  const { clock, io, dev } = rig(indexSignal);
  io.writeUint8(DATA_FORMAT, 0x0b);
  io.writeUint8(BW_RATE, 0x0f);
  io.writeUint8(FIFO_CTL, FIFO);
  io.writeUint8(POWER_CTL, 0x08);
  clock.advance(50);
  t.is(io.readUint8(FIFO_STATUS), 32);
  t.is(dev.samplesLost, 160 - 32);
  const b = new Uint8Array(6);
  io.readBuffer(DATAX0, b);
  t.is(b[0] | (b[1] << 8), 1, "the first sample");
});

test("FIFO pops once per data read: burst through DATAZ1, partial read (rest lost), or a read running past 0x37", (t) => {
  const { clock, io } = rig(indexSignal);
  io.writeUint8(DATA_FORMAT, 0x0b);
  io.writeUint8(BW_RATE, 0x0f);
  io.writeUint8(FIFO_CTL, STREAM);
  io.writeUint8(POWER_CTL, 0x08);
  clock.advance(5); // 16 samples
  t.is(io.readUint8(FIFO_STATUS), 16);
  io.readBuffer(DATAX0, new Uint8Array(6));
  t.is(io.readUint8(FIFO_STATUS), 15);
  io.readUint8(DATAX0); // single byte: the entry is popped anyway
  t.is(io.readUint8(FIFO_STATUS), 14);
  const wide = new Uint8Array(10); // 0x30..0x39 in one burst
  io.readBuffer(INT_SOURCE, wide);
  t.is(wide[9], 13, "FIFO_STATUS read in the same burst already sees the pop at 0x37 -> 0x38");
  t.is(wide[2] | (wide[3] << 8), 3, "third sample");
  t.is(io.readUint8(FIFO_STATUS), 13);
});

test("quantization: 256 LSB/g full-res at any range, 10-bit scales with range, saturation, left justify", (t) => {
  let g = 1;
  const { clock, io } = rig((axis) => (axis === 0 ? g : axis === 1 ? -g : 0.5));
  io.writeUint8(POWER_CTL, 0x08); // 100 Hz, bypass: data registers hold the newest sample
  const read = (): number[] => {
    clock.advance(10);
    const b = new Uint8Array(6);
    io.readBuffer(DATAX0, b);
    return [0, 2, 4].map((i) => ((b[i] | (b[i + 1] << 8)) << 16) >> 16);
  };
  for (const range of [0, 1, 2, 3]) {
    io.writeUint8(DATA_FORMAT, 0x08 | range);
    t.deepEqual(read(), [256, -256, 128], `full res, range code ${range}`);
  }
  io.writeUint8(DATA_FORMAT, 0x01); // 10-bit, 4 g: 128 LSB/g
  t.deepEqual(read(), [128, -128, 64]);
  g = 3;
  io.writeUint8(DATA_FORMAT, 0x08); // full res 2 g: 10 bits, +511 / -512
  t.deepEqual(read(), [511, -512, 128]);
  g = 1;
  io.writeUint8(DATA_FORMAT, 0x0c); // full res 2 g, left-justified: << 6
  t.deepEqual(read(), [256 << 6, -256 << 6, 128 << 6]);
  g = 0.0019; // below half an LSB (1.95 mg)
  io.writeUint8(DATA_FORMAT, 0x08);
  t.deepEqual(read().slice(0, 2), [0, 0]);
});

test("device noise follows the datasheet density (0.75 LSB rms at 100 Hz, x sqrt(ODR/100))", (t) => {
  const { clock, io } = rig(() => 0, 1);
  io.writeUint8(DATA_FORMAT, 0x08);
  io.writeUint8(BW_RATE, 0x0f);
  io.writeUint8(FIFO_CTL, STREAM);
  io.writeUint8(POWER_CTL, 0x08);
  const b = new Uint8Array(6);
  let sx = 0;
  let sz = 0;
  let n = 0;
  for (let i = 0; i < 200; i++) {
    clock.advance(10);
    const e = io.readUint8(FIFO_STATUS);
    for (let j = 0; j < e; j++) {
      io.readBuffer(DATAX0, b);
      const x = ((b[0] | (b[1] << 8)) << 16) >> 16;
      const z = ((b[4] | (b[5] << 8)) << 16) >> 16;
      sx += x * x;
      sz += z * z;
      n++;
    }
  }
  const rx = Math.sqrt(sx / n);
  const rz = Math.sqrt(sz / n);
  // expected rms with quantization: sqrt(sigma^2 + 1/12) LSB
  t.true(Math.abs(rx - Math.sqrt((0.75 * Math.sqrt(32)) ** 2 + 1 / 12)) < 0.1, `x ${rx} LSB`);
  t.true(Math.abs(rz - Math.sqrt((1.1 * Math.sqrt(32)) ** 2 + 1 / 12)) < 0.15, `z ${rz} LSB`);
});

test("driver: checks the device ID and names what it found", (t) => {
  const clock = new VirtualClock();
  const bus = new SimI2CBus({ now: () => clock.now() });
  bus.attach(0x53, new SimTMP117({ now: () => clock.now(), temperature: () => 25 })); // wrong chip at 0x53
  t.throws(() => new ADXL345({ sensor: { io: bus.SMBus, address: 0x53 } }), {
    message: "ADXL345 at 0x53: device ID 0x80 (expected 0xE5)",
  });
  t.throws(() => new ADXL345({ sensor: { io: bus.SMBus, address: 0x1d } }), { message: /NACK at 0x1D/ });
});

test("driver: configures full-res stream mode at the nearest ODR and converts to g", (t) => {
  const { clock, bus, dev, io } = rig((axis) => [0.5, -0.25, 1][axis]);
  const accel = new ADXL345({ sensor: { io: bus.SMBus, address: 0x53 }, odr: 3000, rangeG: 8 });
  t.is(accel.odr, 3200);
  t.is(accel.rangeG, 8);
  t.is(io.readUint8(DATA_FORMAT), 0x0a);
  t.is(io.readUint8(FIFO_CTL) >> 6, 2);
  t.true(dev.measuring);
  clock.advance(5);
  const dest = new Float32Array(3 * 32);
  const n = accel.readFifo(dest, 32);
  t.is(n, 16);
  t.false(accel.overrun);
  t.deepEqual([...dest.subarray(0, 6)], [0.5, -0.25, 1, 0.5, -0.25, 1]);
  clock.advance(20); // 64 samples due: overflow
  t.is(accel.readFifo(dest, 10), 10, "maxSamples bounds the read");
  t.true(accel.overrun);
  accel.configure({ odr: 100 });
  t.is(accel.odr, 100);
  t.is(io.readUint8(FIFO_STATUS), 0, "reconfiguring restarts an empty FIFO");
  t.throws(() => accel.configure({ rangeG: 3 }), { message: /range 3 g/ });
  accel.close();
  t.false(dev.measuring, "close() puts the part in standby");
  const errors: Error[] = [];
  const quiet = new ADXL345({ sensor: { io: bus.SMBus }, onError: (e) => errors.push(e) });
  dev.present = false;
  t.is(quiet.readFifo(dest, 32), 0);
  t.regex(errors[0].message, /NACK at 0x53/);
});

test("machine: a sine component has exactly the analytic velocity RMS; events change it; gravity and temperature", (t) => {
  const m = new Machine({
    seed: 3,
    vibration: [
      { axis: "x", kind: "sine", freq_hz: 29.7, vrms_mm_s: 4 },
      { axis: "all", kind: "noise", g_rms: 0 },
    ],
    temperature_c: [
      { at_s: 0, value: 40 },
      { at_s: 300, value: 70 },
    ],
  });
  const A = sinePeakG(4, 29.7);
  t.is(A, (4 * Math.SQRT2 * 2 * Math.PI * 29.7) / 9806.65);
  // v(t) = A g / (2 pi f) * -cos: RMS = A g / (2 pi f sqrt 2) = 4 mm/s
  t.true(Math.abs((A * STANDARD_GRAVITY_MM_S2) / (2 * Math.PI * 29.7 * Math.SQRT2) - 4) < 1e-12);
  t.true(Math.abs(m.acceleration(0, 1 / (4 * 29.7)) - A) < 1e-12, "peak at a quarter period");
  t.is(m.acceleration(2, 0.123), 1, "gravity on z");
  t.is(m.acceleration(1, 0.123), 0);
  m.set("machine.vibration[0].vrms_mm_s", 8);
  t.true(Math.abs(m.acceleration(0, 1 / (4 * 29.7)) - 2 * A) < 1e-12);
  m.set("vibration[1].g_rms", 0.1);
  let s2 = 0;
  for (let i = 0; i < 20000; i++) s2 += m.acceleration(1, i / 3200) ** 2;
  t.true(Math.abs(Math.sqrt(s2 / 20000) - 0.1) < 0.003);
  t.is(m.temperature(150), 55);
  t.is(m.temperature(-1), 40);
  t.is(m.temperature(1000), 70);
  m.set("machine.temperature_c", 33);
  t.is(m.temperature(10), 33);
  t.throws(() => m.set("machine.vibration[5].freq_hz", 1), { message: /no such path/ });
});
