import test from "ava";
import { VirtualClock } from "../sim/clock.js";
import { SimI2CBus, type I2CTarget } from "../sim/bus.js";
import { SimADXL345 } from "../sim/devices/adxl345.js";
import { Machine, sinePeakG, type VibrationComponent } from "../sim/machine/machine.js";
import { ADXL345 } from "../firmware/drivers/adxl345.js";
import { ADXL355 } from "../firmware/drivers/adxl355.js";
import { LIS3DH } from "../firmware/drivers/lis3dh.js";
import { HilAccelerometer, encodeHilFrame } from "../firmware/drivers/hil.js";
import type { Accelerometer } from "../firmware/drivers/accelerometer.js";
import { SimADXL355 } from "../sim/devices/adxl355.js";
import { SimLIS3DH } from "../sim/devices/lis3dh.js";
import { Acquirer, type WindowBlock } from "../firmware/acquisition/acquirer.js";
import { FeatureExtractor, type AxisFeatures } from "../firmware/dsp/features.js";

const ODR = 3200;
const N = 4096;
const WINDOW_MS = (N * 1000) / ODR; // 1280 ms

/** The real chain: machine -> sim ADXL345 on a 400 kHz bus (bus time moves the clock) -> driver -> acquirer. */
function chain(vibration: VibrationComponent[], o: { pollMs?: number; seed?: number; noise?: number; n?: number; duty?: { captureMs: number; periodMs: number }; overrun?: "restart" | "flag"; buffers?: 1 | 2; overlap?: number } = {}) {
  const clock = new VirtualClock();
  const bus = new SimI2CBus({ hz: 400_000, now: () => clock.now(), onBusTime: (ms) => clock.advance(ms) });
  const machine = new Machine({ seed: o.seed ?? 1, vibration });
  const dev = new SimADXL345({ now: () => clock.now(), seed: o.seed ?? 1, noise: o.noise, signal: (axis, t) => machine.acceleration(axis, t) });
  bus.attach(0x53, dev);
  const accel = new ADXL345({ sensor: { io: bus.SMBus, address: 0x53 }, odr: ODR, rangeG: 4 });
  const n = o.n ?? N;
  const blocks: { t0: number; lost: number; at: number; x: AxisFeatures; y: AxisFeatures; z: AxisFeatures }[] = [];
  const errors: Error[] = [];
  const features = new FeatureExtractor({ n, odr: ODR, bandHz: [10, 1000] });
  const compute = (b: WindowBlock) => {
    const x = features.createAxisFeatures();
    const y = features.createAxisFeatures();
    const z = features.createAxisFeatures();
    features.compute(b.x, x, b.scale);
    features.compute(b.y, y, b.scale);
    features.compute(b.z, z, b.scale);
    blocks.push({ t0: b.t0, lost: b.lost, at: clock.now(), x, y, z });
  };
  const acq = new Acquirer({ timers: clock, clock, accel, n, pollMs: o.pollMs, duty: o.duty, overrun: o.overrun, buffers: o.buffers, overlap: o.overlap, onWindow: compute, onError: (e) => errors.push(e) });
  return { clock, bus, dev, machine, accel, acq, blocks, errors };
}

/** ADXL345 x-axis noise at 3200 Hz in g rms (0.75 LSB at 100 Hz x sqrt(32)), plus quantization. */
const NOISE_X_G = Math.sqrt((0.75 * Math.sqrt(ODR / 100)) ** 2 + 1 / 12) / 256;

test("vRms through driver + sim ADXL345 at 3200 Hz, n = 4096: within 2% at 29.7, 100, 500 and 900 Hz; aRms within 1%", (t) => {
  const lines: string[] = [];
  for (const f of [29.7, 100, 500, 900]) {
    const c = chain([{ axis: "x", kind: "sine", freq_hz: f, vrms_mm_s: 4 }]);
    c.acq.start();
    c.clock.runUntil(3 * WINDOW_MS + 50);
    c.acq.stop();
    t.is(c.errors.length, 0);
    t.is(c.blocks.length, 3, `${f} Hz: three windows in 3.8 s`);
    const A = sinePeakG(4, f);
    // the device adds its datasheet noise: aRms is the quadrature sum
    const aTrue = Math.sqrt((A * A) / 2 + NOISE_X_G * NOISE_X_G);
    for (const b of c.blocks) {
      t.is(b.lost, 0);
      const ev = b.x.vRms / 4 - 1;
      const ea = b.x.aRms / aTrue - 1;
      t.true(Math.abs(ev) < 0.02, `${f} Hz vRms ${b.x.vRms}`);
      t.true(Math.abs(ea) < 0.01, `${f} Hz aRms ${b.x.aRms} vs ${aTrue}`);
      t.true(Math.abs(b.x.fDom - f) < ODR / N, `${f} Hz fDom ${b.x.fDom}`);
      t.true(b.y.vRms < 0.4 && b.z.vRms < 0.5, "the other axes carry only device noise");
      t.true(Math.abs(b.z.aRms) < 0.03, "gravity removed from z");
    }
    const b = c.blocks[1];
    lines.push(`${f} Hz: vRms ${b.x.vRms.toFixed(4)} mm/s (${((b.x.vRms / 4 - 1) * 100).toFixed(2)}%), aRms ${((b.x.aRms / aTrue - 1) * 100).toFixed(2)}%, fDom ${b.x.fDom.toFixed(3)} Hz, y noise vRms ${b.y.vRms.toFixed(3)}`);
  }
  t.log(lines.join("\n"));
});

test("without device noise the chain is within 0.5% of the analytic aRms and vRms", (t) => {
  const c = chain([{ axis: "x", kind: "sine", freq_hz: 29.7, vrms_mm_s: 4 }], { noise: 0 });
  c.acq.start();
  c.clock.runUntil(2 * WINDOW_MS + 50);
  const b = c.blocks[1];
  t.true(Math.abs(b.x.vRms / 4 - 1) < 0.005, `vRms ${b.x.vRms}`);
  t.true(Math.abs(b.x.aRms / (sinePeakG(4, 29.7) / Math.SQRT2) - 1) < 0.005, `aRms ${b.x.aRms}`);
});

test("windows are contiguous: t0 advances by n/odr exactly, starting one poll after start()", (t) => {
  const c = chain([{ axis: "x", kind: "sine", freq_hz: 29.7, vrms_mm_s: 4 }]);
  t.is(c.acq.pollMs, 5, "default poll: half the FIFO (16 samples) at 3200 Hz");
  c.acq.start();
  c.clock.runUntil(5 * WINDOW_MS + 20);
  t.is(c.blocks.length, 5);
  for (let i = 1; i < c.blocks.length; i++) {
    t.true(Math.abs(c.blocks[i].t0 - c.blocks[i - 1].t0 - WINDOW_MS) < 1e-6, `window ${i}: ${c.blocks[i].t0 - c.blocks[i - 1].t0}`);
  }
  t.true(c.blocks[0].t0 >= 0 && c.blocks[0].t0 < 5.5, `first t0 ${c.blocks[0].t0}`);
  t.is(c.acq.lost, 0);
  t.is(c.dev.samplesLost, 0);
  // bus load: one 84-clock burst per sample dominates
  const load = c.bus.busyMs / c.clock.now();
  t.true(load > 0.65 && load < 0.8, `bus busy ${(load * 100).toFixed(1)}%`);
  t.log(`bus busy ${(load * 100).toFixed(1)}% of the time at 3200 Hz, ${c.bus.transfers} transfers, ${c.bus.bytesOnWire} bytes`);
});

test("overrun: 'flag' policy: a late poll loses samples in stream mode and the window reports them", (t) => {
  const c = chain([{ axis: "x", kind: "sine", freq_hz: 29.7, vrms_mm_s: 4 }], { pollMs: 40, overrun: "flag" }); // FIFO full after 10 ms
  c.acq.start();
  c.clock.runUntil(20_000);
  c.acq.stop();
  t.true(c.blocks.length > 0);
  t.true(c.blocks.every((b) => b.lost > 0), "every window lost samples");
  t.true(c.dev.samplesLost > 0);
  const est = c.acq.lost;
  const truth = c.dev.samplesLost;
  t.true(Math.abs(est / truth - 1) < 0.05, `estimated ${est} vs lost in the device ${truth}`);
  // windows still close: read samples arrive at ~32 per 40 ms
  t.true(c.acq.samples >= c.blocks.length * N);
  t.log(`lost: acquirer estimate ${est}, device truth ${truth}; per window ${c.blocks[0].lost}`);
});

test("driver errors go to onError; polling continues and recovers when the sensor answers again", (t) => {
  const c = chain([{ axis: "x", kind: "sine", freq_hz: 29.7, vrms_mm_s: 4 }]);
  c.acq.start();
  c.clock.runUntil(100);
  c.dev.present = false;
  c.clock.runUntil(200);
  t.true(c.errors.length >= 15, `one error per poll (${c.errors.length})`);
  t.regex(c.errors[0].message, /NACK at 0x53/);
  t.true(c.acq.running);
  c.dev.present = true;
  c.bus.setStuck(true);
  c.clock.runUntil(210);
  t.regex(c.errors[c.errors.length - 1].message, /bus stuck/);
  c.bus.setStuck(false);
  c.clock.runUntil(3 * WINDOW_MS);
  t.true(c.blocks.length >= 2, "windows resume");
  t.true(c.blocks[0].lost > 0, "the outage shows up as lost samples");
});

/** Runs until `until`, stalling the poll timer once at `stallAt` for `stallMs` (as a busy CPU would). */
function runWithStall(c: ReturnType<typeof chain>, stallAt: number, stallMs: number, until: number): void {
  c.clock.runUntil(stallAt);
  c.clock.advance(stallMs); // time passes, no timer fires: the FIFO overflows
  c.clock.runUntil(until);
}

test("overrun (default 'restart'): the partial window is discarded, the next window counts the loss, kurtosis stays clean", (t) => {
  const tone = [{ axis: "x" as const, kind: "sine" as const, freq_hz: 29.7, vrms_mm_s: 4 }];
  const r = chain(tone, { noise: 0 });
  r.acq.start();
  runWithStall(r, 700, 23.4, 4 * WINDOW_MS);
  t.is(r.acq.restarts, 1);
  t.true(r.dev.samplesLost > 0);
  const gap = r.acq.lost;
  t.true(Math.abs(gap - r.dev.samplesLost) <= 2, `gap estimate ${gap} vs device ${r.dev.samplesLost}`);
  t.is(r.blocks[0].lost, gap + r.acq.discarded, "first window after the restart reports dropped + discarded samples");
  t.true(r.acq.discarded > 2000 && r.acq.discarded < 2300, `partial window discarded: ${r.acq.discarded}`);
  t.true(r.blocks[0].t0 > 700, `the window restarted after the gap (t0 ${r.blocks[0].t0})`);
  for (const b of r.blocks) t.true(Math.abs(b.x.kurtosis! - 1.5) < 0.02, `restart: kurtosis ${b.x.kurtosis}`);
  t.is(r.blocks[1].lost, 0);
  // the same stall with 'flag': the window joins across the phase jump (only `lost` tells)
  const f = chain(tone, { noise: 0, overrun: "flag" });
  f.acq.start();
  runWithStall(f, 700, 23.4, 4 * WINDOW_MS);
  t.is(f.acq.restarts, 0);
  t.true(f.blocks[0].lost > 0 && f.blocks[0].t0 < 10);
  t.log(`stall 23.4 ms at 700 ms: restart -> window 0 lost ${r.blocks[0].lost} (dropped ${gap} + discarded ${r.acq.discarded}), kurtosis ${r.blocks[0].x.kurtosis!.toFixed(4)}; flag -> lost ${f.blocks[0].lost}, kurtosis ${f.blocks[0].x.kurtosis!.toFixed(4)}, crest ${f.blocks[0].x.crest!.toFixed(3)}`);
});

test("overlap 0.5 and an overrun (restart): only the samples new to the window are discarded, the carried half was delivered", (t) => {
  const r = chain([{ axis: "x", kind: "sine", freq_hz: 29.7, vrms_mm_s: 4 }], { noise: 0, overlap: 0.5 });
  r.acq.start();
  runWithStall(r, 1700, 23.4, 1700 + 2 * WINDOW_MS);
  t.is(r.acq.restarts, 1);
  const gap = r.acq.lost;
  t.true(Math.abs(gap - r.dev.samplesLost) <= 2, `gap estimate ${gap} vs device ${r.dev.samplesLost}`);
  // Window 0 ended at t0 + 1280 ms; the samples read after it until the stall are the new ones, to within a poll (16 samples).
  const fresh = ((1700 - (r.blocks[0].t0 + WINDOW_MS)) * ODR) / 1000;
  t.true(Math.abs(r.acq.discarded - fresh) <= 16, `discarded ${r.acq.discarded}, new since window 0: ${fresh.toFixed(0)} (the carried ${N / 2} are not)`);
  t.is(r.blocks[1].lost, gap + r.acq.discarded, "the window after the restart reports dropped + discarded samples");
  t.true(r.blocks[1].t0 > 1700, `a whole new window after the gap (t0 ${r.blocks[1].t0})`);
  t.true(Math.abs(r.blocks[2].t0 - r.blocks[1].t0 - WINDOW_MS / 2) < 1e-6, "then one every half window again");
  t.is(r.blocks[2].lost, 0);
});

test("duty cycle: capture 3 s every 10 s in virtual time; windows inside captures only, never across a gap", (t) => {
  const c = chain([{ axis: "x", kind: "sine", freq_hz: 29.7, vrms_mm_s: 4 }], { duty: { captureMs: 3000, periodMs: 10_000 }, noise: 0 });
  c.acq.start();
  let pollsInGap = 0;
  c.clock.runUntil(3100);
  t.false(c.acq.capturing);
  t.true(c.acq.running);
  const busBefore = c.bus.transfers;
  c.clock.runUntil(9990);
  pollsInGap = c.bus.transfers - busBefore;
  t.is(pollsInGap, 0, "no bus traffic between captures");
  c.clock.runUntil(35_000);
  c.acq.stop();
  t.is(c.acq.captures, 4, "captures at 0, 10, 20, 30 s");
  // 3 s holds two 1.28 s windows per capture; the partial third is dropped
  t.is(c.blocks.length, 8);
  for (let i = 0; i < c.blocks.length; i++) {
    const b = c.blocks[i];
    const capture = Math.floor(i / 2) * 10_000;
    t.true(b.t0 >= capture && b.t0 + WINDOW_MS <= capture + 3000 + 1e-6, `window ${i}: t0 ${b.t0} inside capture ${capture}`);
    t.is(b.lost, 0, "the gap is not loss");
    t.true(Math.abs(b.x.vRms / 4 - 1) < 0.02, `window ${i}: vRms ${b.x.vRms}`);
    t.true(Math.abs(b.x.kurtosis! - 1.5) < 0.05, `window ${i}: kurtosis ${b.x.kurtosis}`);
    if (i % 2 === 1) t.true(Math.abs(b.t0 - c.blocks[i - 1].t0 - WINDOW_MS) < 1e-6, "contiguous within a capture");
  }
  // the first window of each capture starts within two polls of the capture start (FIFO drained, bus time)
  for (let i = 0; i < c.blocks.length; i += 2) t.true(c.blocks[i].t0 - Math.floor(i / 2) * 10_000 < 12, `t0 ${c.blocks[i].t0}`);
  t.is(c.clock.pending, 0, "stop() clears every timer");
  t.throws(() => chain([], { duty: { captureMs: 5000, periodMs: 1000 } }), { message: /duty cycle/ });
  t.log(`duty 3 s / 10 s: ${c.blocks.length} windows, t0 = ${c.blocks.map((b) => b.t0.toFixed(1)).join(", ")} ms`);
});

test("stop() ends polling; the block arrays are reused (double buffer)", (t) => {
  const seen: WindowBlock[] = [];
  const clock = new VirtualClock();
  const bus = new SimI2CBus({ now: () => clock.now(), onBusTime: (ms) => clock.advance(ms) });
  bus.attach(0x53, new SimADXL345({ now: () => clock.now(), signal: () => 0 }));
  const accel = new ADXL345({ sensor: { io: bus.SMBus }, odr: 3200 });
  const acq = new Acquirer({ timers: clock, clock, accel, n: 256, onWindow: (b) => seen.push(b), onError: () => {} });
  acq.start();
  clock.runUntil(300);
  acq.stop();
  t.false(acq.running);
  const count = seen.length;
  t.true(count >= 3);
  t.is(seen[0], seen[2], "two blocks alternate");
  t.not(seen[0], seen[1]);
  t.is(seen[0].n, 256);
  t.is(seen[0].odr, 3200);
  clock.runUntil(1000);
  t.is(seen.length, count);
  t.is(clock.pending, 0);
});

test("buffers: 1 hands the same block to every window, with the same samples inside onWindow as the double buffer", (t) => {
  const seen = new Set<WindowBlock>();
  const run = (buffers: 1 | 2) => {
    const c = chain([{ axis: "x", kind: "sine", freq_hz: 100, vrms_mm_s: 4 }], { n: 256, noise: 0, buffers });
    c.acq.start();
    c.clock.runUntil(1000);
    c.acq.stop();
    return c.blocks.map((b) => [b.t0, b.x.vRms, b.x.aRms, b.x.kurtosis]);
  };
  const single = run(1);
  t.true(single.length >= 10, `${single.length} windows`);
  t.deepEqual(single, run(2));
  const clock = new VirtualClock();
  const bus = new SimI2CBus({ now: () => clock.now(), onBusTime: (ms) => clock.advance(ms) });
  bus.attach(0x53, new SimADXL345({ now: () => clock.now(), signal: () => 0 }));
  const accel = new ADXL345({ sensor: { io: bus.SMBus }, odr: 3200 });
  const acq = new Acquirer({ timers: clock, clock, accel, n: 256, buffers: 1, onWindow: (b) => seen.add(b), onError: () => {} });
  acq.start();
  clock.runUntil(300);
  acq.stop();
  t.is(seen.size, 1, "one block for every window");
});

/** The sensor options of a driver: one simulated part on a bus of its own. */
function alone(clock: VirtualClock, address: number, part: I2CTarget) {
  const bus = new SimI2CBus({ now: () => clock.now() });
  bus.attach(address, part);
  return { io: bus.SMBus, address };
}

/** The driver's own output, sample by sample, in the acquirer's hands. */
function recorded(a: Accelerometer): { accel: Accelerometer; g: number[] } {
  const g: number[] = [];
  const accel: Accelerometer = {
    get odr() { return a.odr; },
    get rangeG() { return a.rangeG; },
    get fifoDepth() { return a.fifoDepth; },
    get lsbG() { return a.lsbG; },
    get overrun() { return a.overrun; },
    configure: (o) => a.configure(o),
    readFifo(dest, max) {
      const got = a.readFifo(dest, max);
      for (let i = 0; i < 3 * got; i++) g.push(dest[i]);
      return got;
    },
    close: () => a.close(),
  };
  return { accel, g };
}

test("window storage: 2-byte counts for 16-bit parts (ADXL345, LIS3DH), float32 for ADXL355 and HIL; every sample reads back as the driver's g", (t) => {
  const n = 256;
  // +-0.7 g around a 0.3 g offset on x: negative and positive counts, rounding both ways
  const signal = (axis: number, s: number): number => (axis === 0 ? 0.3 + 0.7 * Math.sin(2 * Math.PI * 37.3 * s) : axis === 2 ? 1 : -0.2);
  /** feed: delivers the samples once acquisition runs (start() drains the FIFO); default: the part's ODR in virtual time. */
  const parts: { name: string; storage: typeof Uint16Array | typeof Float32Array; make: (clock: VirtualClock) => Accelerometer; feed?: (a: Accelerometer) => void }[] = [
    { name: "ADXL345", storage: Uint16Array, make: (clock) => new ADXL345({ sensor: alone(clock, 0x53, new SimADXL345({ now: () => clock.now(), signal, noise: 0 })), odr: 3200, rangeG: 4 }) },
    { name: "LIS3DH", storage: Uint16Array, make: (clock) => new LIS3DH({ sensor: alone(clock, 0x18, new SimLIS3DH({ now: () => clock.now(), signal, noise: 0, seed: 1 })), odr: 1344, rangeG: 4 }) },
    { name: "ADXL355", storage: Float32Array, make: (clock) => new ADXL355({ sensor: alone(clock, 0x1d, new SimADXL355({ now: () => clock.now(), signal, noise: 0, seed: 1 })), odr: 4000, rangeG: 2 }) },
    {
      name: "HIL",
      storage: Float32Array,
      make: () => new HilAccelerometer({ odr: 3200 }),
      feed: (hil) => {
        const xyz = new Float32Array(3 * n);
        for (let i = 0; i < n; i++) for (let a = 0; a < 3; a++) xyz[3 * i + a] = signal(a, i / 3200);
        (hil as HilAccelerometer).push(encodeHilFrame(0, 3200, xyz, "float32"));
      },
    },
  ];
  for (const part of parts) {
    const clock = new VirtualClock();
    const made = part.make(clock);
    const { accel, g } = recorded(made);
    const blocks: WindowBlock[] = [];
    const acq = new Acquirer({ timers: clock, clock, accel, n, onWindow: (b) => blocks.push(b), onError: (e) => t.fail(e.message) });
    acq.start();
    const drained = g.length; // start() drops what the FIFO held
    if (part.feed) {
      part.feed(made);
      acq.poll();
    } else clock.runUntil((2 * n * 1000) / accel.odr);
    acq.stop();
    t.true(blocks.length >= 1, `${part.name}: a window`);
    const b = blocks[0];
    t.true(b.x instanceof part.storage && b.y instanceof part.storage && b.z instanceof part.storage, `${part.name}: ${b.x.constructor.name}`);
    t.is(b.scale, accel.lsbG ?? 1, `${part.name}: scale`);
    let worst = 0;
    let negative = 0;
    for (let i = 0; i < n; i++) {
      for (const [a, axis] of [b.x, b.y, b.z].entries()) {
        const want = g[drained + 3 * i + a];
        worst = Math.max(worst, Math.abs((axis[i] - b.offset) * b.scale - want));
        if (want < 0) negative++;
      }
    }
    t.true(negative > n, `${part.name}: negative samples too`);
    // counts: exact up to the driver's float32 rounding of count x lsbG; floats: copied as they are
    t.true(worst <= (part.storage === Float32Array ? 0 : 1e-6), `${part.name}: worst |g - driver's g| ${worst}`);
  }
});
