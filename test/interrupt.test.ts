/*
 * The watermark interrupt path: a simulated part's INT1 wired to a GPIO of the
 * simulated board (sim/pins.ts), the driver opening it as the Moddable SDK's
 * drivers do (options.interrupt + onSample), the acquirer draining on its edge.
 * Assertions come from the datasheets' watermark rules (ADXL345 FIFO_CTL samples
 * bits, LIS3DH FIFO_CTRL_REG FTH, ADXL355 FIFO_SAMPLES) and from the samples:
 * none lost, the same windows as polling.
 */
import test from "ava";
import { VirtualClock } from "../sim/clock.js";
import { SimI2CBus } from "../sim/bus.js";
import { simDigitalClass } from "../sim/pins.js";
import { SimADXL345 } from "../sim/devices/adxl345.js";
import { SimADXL355 } from "../sim/devices/adxl355.js";
import { SimLIS3DH } from "../sim/devices/lis3dh.js";
import type { SimFifoAccelerometer } from "../sim/devices/fifo-accelerometer.js";
import { ADXL345 } from "../firmware/drivers/adxl345.js";
import { ADXL355 } from "../firmware/drivers/adxl355.js";
import { LIS3DH } from "../firmware/drivers/lis3dh.js";
import type { Accelerometer, AccelerometerDriverOptions } from "../firmware/drivers/accelerometer.js";
import { Acquirer, type WindowBlock } from "../firmware/acquisition/acquirer.js";

const INT_PIN = 4;
const N = 1024;

interface PartCase {
  name: string;
  address: number;
  odr: number;
  /** FIFO entries per sample (ADXL355: one per axis). */
  entriesPerSample: number;
  make(now: () => number, signal: (axis: 0 | 1 | 2, t: number) => number): SimFifoAccelerometer;
  driver(options: AccelerometerDriverOptions): Accelerometer;
  /** The watermark the driver programmed, read back from the part's registers (datasheet field), in entries. */
  watermark(read: (register: number) => number): number;
}

const PARTS: PartCase[] = [
  {
    name: "ADXL345",
    address: 0x53,
    odr: 3200,
    entriesPerSample: 1,
    make: (now, signal) => new SimADXL345({ now, signal, seed: 7 }),
    driver: (o) => new ADXL345(o),
    watermark: (read) => read(0x38) & 0x1f, // FIFO_CTL samples bits 4:0
  },
  {
    name: "LIS3DH",
    address: 0x18,
    odr: 1344,
    entriesPerSample: 1,
    make: (now, signal) => new SimLIS3DH({ now, signal, seed: 7 }),
    driver: (o) => new LIS3DH(o),
    watermark: (read) => read(0x2e) & 0x1f, // FIFO_CTRL_REG FTH bits 4:0
  },
  {
    name: "ADXL355",
    address: 0x1d,
    odr: 4000,
    entriesPerSample: 3,
    make: (now, signal) => new SimADXL355({ now, signal, seed: 7 }),
    driver: (o) => new ADXL355(o),
    watermark: (read) => read(0x29), // FIFO_SAMPLES (axis entries)
  },
];

const signal = (axis: number, s: number): number => (axis === 0 ? 0.5 * Math.sin(2 * Math.PI * 79.3 * s) : axis === 1 ? 0.1 : 1);

/**
 * One part on a 400 kHz bus (bus time moves the clock), its driver and an acquirer; `wired`: INT1 on GPIO 4
 * and onSample. `poll`: the driver opens its line all the same (the part is set up the same, so it samples at
 * the same instants) but the acquirer polls and ignores the edges.
 */
function rig(part: PartCase, wired: boolean, poll = false) {
  const clock = new VirtualClock();
  const bus = new SimI2CBus({ hz: 400_000, now: () => clock.now(), onBusTime: (ms) => clock.advance(ms) });
  const dev = part.make(() => clock.now(), signal);
  bus.attach(part.address, dev);
  const Digital = simDigitalClass({ [INT_PIN]: dev.interruptOutput(1) }, clock, clock);
  /** Every read: virtual time, FIFO entries in the part just before it, samples it returned. */
  const reads: { at: number; entries: number; got: number }[] = [];
  const blocks: WindowBlock[] = [];
  let acq: Acquirer | undefined;
  const driver = part.driver({
    sensor: { io: bus.SMBus, address: part.address },
    interrupt: wired ? { io: Digital, pin: INT_PIN } : undefined,
    onSample: wired ? () => (poll ? undefined : acq?.onSample()) : undefined,
    odr: part.odr,
    rangeG: 4,
  });
  const accel: Accelerometer = {
    get odr() { return driver.odr; },
    get rangeG() { return driver.rangeG; },
    get fifoDepth() { return driver.fifoDepth; },
    get lsbG() { return driver.lsbG; },
    get overrun() { return driver.overrun; },
    get interrupt() { return poll ? false : driver.interrupt; },
    configure: (o) => driver.configure(o),
    readFifo(dest, max) {
      const at = clock.now();
      const entries = dev.fifoEntries;
      const got = driver.readFifo(dest, max);
      reads.push({ at, entries, got });
      return got;
    },
    close: () => driver.close(),
  };
  const errors: Error[] = [];
  acq = new Acquirer({ timers: clock, clock, accel, n: N, onWindow: (b) => blocks.push({ ...b, x: b.x.slice(), y: b.y.slice(), z: b.z.slice() }), onError: (e) => errors.push(e) });
  const register = (r: number) => bus.smbus({ address: part.address }).readUint8(r);
  return { clock, bus, dev, driver, acq, reads, blocks, errors, register };
}

for (const part of PARTS) {
  test(`${part.name}: with INT1 wired, the FIFO is drained on the watermark edge and no sample is lost`, (t) => {
    const r = rig(part, true);
    t.true(r.driver.interrupt, "the driver opened its line");
    const watermark = part.watermark(r.register);
    const depth = r.driver.fifoDepth * part.entriesPerSample;
    t.is(watermark, depth / 2, "watermark at half the FIFO");
    r.acq.start();
    const seconds = 2;
    r.clock.runUntil(seconds * 1000);
    r.acq.stop();
    t.deepEqual(r.errors, []);
    const drains = r.reads.slice(1); // the first read empties the FIFO at start()
    t.true(drains.length > 0);
    // Each drain starts at the watermark edge: the FIFO has just reached FIFO_CTL samples / FTH / FIFO_SAMPLES,
    // plus what arrived during the bus time of the check that saw the edge, never the whole FIFO.
    for (const d of drains) {
      t.true(d.entries >= watermark, `${part.name}: drained at ${d.entries} entries (watermark ${watermark}) at ${d.at.toFixed(3)} ms`);
      t.true(d.entries < depth, `${part.name}: ${d.entries} entries, never full`);
    }
    // the edge comes once per watermark's worth of samples: a read about every watermark / ODR
    const perRead = (seconds * part.odr) / drains.length;
    t.true(Math.abs(perRead - watermark / part.entriesPerSample) <= 2, `${perRead.toFixed(2)} samples per drain`);
    t.is(r.acq.lost, 0);
    t.is(r.dev.samplesLost, 0, "the part never dropped a sample");
    const delivered = r.dev.samplesGenerated - r.reads[0].got - r.dev.fifoEntries / part.entriesPerSample;
    t.is(r.acq.samples, delivered, "every sample made after start() reached the acquirer, or waits in the FIFO");
    t.is(r.blocks.length, Math.floor(delivered / N));
    t.true(r.blocks.every((b) => b.lost === 0));
    t.log(`${part.name} @ ${part.odr} Hz: ${drains.length} drains in ${seconds} s, watermark ${watermark} entries, ${r.blocks.length} windows`);
  });

  test(`${part.name}: the windows read on the interrupt hold the same samples as polled ones; without a line, the FIFO is polled`, (t) => {
    const polled = rig(part, true, true);
    const wired = rig(part, true);
    for (const r of [polled, wired]) {
      r.acq.start();
      r.clock.runUntil(1500);
      r.acq.stop();
    }
    const windows = Math.min(polled.blocks.length, wired.blocks.length);
    t.true(windows >= 1 && Math.abs(polled.blocks.length - wired.blocks.length) <= 1);
    for (let i = 0; i < windows; i++) {
      t.deepEqual([...wired.blocks[i].x], [...polled.blocks[i].x], `window ${i}, x`);
      t.deepEqual([...wired.blocks[i].z], [...polled.blocks[i].z], `window ${i}, z`);
    }
    t.true(wired.reads.length < polled.reads.length * 1.25, `${wired.reads.length} reads on edges, ${polled.reads.length} polls`);
    // without a line, polling reads every half-FIFO fill time, whatever the FIFO holds
    const unwired = rig(part, false);
    t.false(unwired.driver.interrupt);
    unwired.acq.start();
    unwired.clock.runUntil(200);
    const pollMs = unwired.acq.pollMs;
    const gaps = unwired.reads.slice(2).map((d, i) => d.at - unwired.reads[i + 1].at);
    t.true(gaps.length > 10 && gaps.every((g) => Math.abs(g - pollMs) < 0.5), `poll period ${pollMs} ms`);
  });
}

test("ADXL345: INT1 rises when the FIFO holds FIFO_CTL's samples, 16 samples (5 ms at 3200 Hz) after measuring starts, and falls when read below", (t) => {
  const r = rig(PARTS[0], true);
  const start = r.clock.now(); // the driver set MEASURE last (the bus time of that write is in it)
  const rise = r.dev.interruptOutput(1).changeAt();
  const line = r.dev.interruptOutput(1);
  t.is(r.register(0x2e) & 0x02, 0x02, "INT_ENABLE: WATERMARK");
  t.is(r.register(0x2f) & 0x02, 0x00, "INT_MAP: WATERMARK on INT1");
  t.is(r.register(0x31) & 0x20, 0x00, "DATA_FORMAT: INT_INVERT clear, active high");
  t.true(Math.abs(rise - start - (16 * 1000) / 3200) < 0.1, `rises at +${(rise - start).toFixed(3)} ms`);
  r.clock.advance(rise - r.clock.now() - 0.01);
  t.is(line.level(), 0, "15 entries: low");
  r.clock.advance(0.02);
  t.is(line.level(), 1, "16 entries: high");
  t.is(r.register(0x30) & 0x02, 0x02, "INT_SOURCE: WATERMARK");
  const dest = new Float32Array(3 * 32);
  t.true(r.driver.readFifo(dest, 32) >= 16);
  t.is(line.level(), 0, "read below the watermark: low");
  // the other polarity: INT_INVERT makes the line active low
  r.bus.smbus({ address: 0x53 }).writeUint8(0x31, r.register(0x31) | 0x20);
  t.is(line.level(), 1, "inverted, idle high");
});

test("no Digital on the host, or no onSample: the driver polls (no line is opened)", (t) => {
  const clock = new VirtualClock();
  const bus = new SimI2CBus({ now: () => clock.now() });
  const dev = new SimADXL345({ now: () => clock.now(), signal });
  bus.attach(0x53, dev);
  let opened = 0;
  const Digital = simDigitalClass({ [INT_PIN]: dev.interruptOutput(1) }, clock, clock);
  const Counting = class extends Digital {
    constructor(o: ConstructorParameters<typeof Digital>[0]) {
      super(o);
      opened++;
    }
  };
  const a = new ADXL345({ sensor: { io: bus.SMBus }, interrupt: { io: Counting as typeof Digital, pin: INT_PIN } });
  t.false(a.interrupt);
  t.is(opened, 0);
  t.is(bus.smbus({ address: 0x53 }).readUint8(0x2e), 0, "INT_ENABLE untouched");
  a.close();
  const b = new ADXL345({ sensor: { io: bus.SMBus }, interrupt: { io: Counting as typeof Digital, pin: INT_PIN }, onSample: () => undefined });
  t.true(b.interrupt);
  t.is(opened, 1);
  b.close();
  t.throws(() => new ADXL345({ sensor: { io: bus.SMBus }, interrupt: { io: Digital, pin: 5 }, onSample: () => undefined }), { message: /GPIO 5: nothing is wired/ });
  t.is(bus.smbus({ address: 0x53 }).readUint8(0x2d) & 0x08, 0, "a constructor that failed to open its line never set MEASURE");
});
