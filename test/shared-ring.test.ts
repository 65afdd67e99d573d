import test from "ava";
import { Worker } from "node:worker_threads";
import { pathToFileURL } from "node:url";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { SharedRing } from "../sim/shared-ring.js";
import { recordTransfers, replayTransfer } from "../sim/i2c-mirror.js";
import { SimI2CBus } from "../sim/bus.js";
import { SimADXL345, type AxisIndex } from "../sim/devices/adxl345.js";
import { ADXL345 } from "../firmware/drivers/adxl345.js";

const ringModule = pathToFileURL(path.join(path.dirname(fileURLToPath(import.meta.url)), "../sim/shared-ring.js")).href;

/** Sample k as 4 bytes, little-endian (the ring only moves bytes). */
function samples(from: number, n: number): Uint8Array {
  const out = new Uint8Array(4 * n);
  const view = new DataView(out.buffer);
  for (let i = 0; i < n; i++) view.setUint32(4 * i, from + i, true);
  return out;
}
function values(bytes: Uint8Array, n: number): number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  return Array.from({ length: n }, (_, i) => view.getUint32(4 * i, true));
}

test("one thread: oldest first across the wrap, a full ring keeps what it holds and counts the rest lost", (t) => {
  const ring = new SharedRing(5, 4);
  const into = new Uint8Array(4 * 8);
  t.is(ring.append(samples(0, 3), 3, 10), 3);
  t.is(ring.read(into, 2), 2);
  t.deepEqual(values(into, 2), [0, 1]);
  t.is(ring.available, 1);
  t.is(ring.newestAt, 10);
  // 3 slots used from index 2: this append wraps
  t.is(ring.append(samples(3, 4), 4, 20), 4);
  t.is(ring.read(into, 8), 5);
  t.deepEqual(values(into, 5), [2, 3, 4, 5, 6]);
  // 5 offered to a ring of 5 holding 2: 3 kept (7, 8, 9), 2 lost (10, 11)
  ring.append(samples(100, 2), 2, 25);
  t.is(ring.append(samples(7, 5), 5, 30), 3);
  ring.addLost(4); // e.g. a FIFO overrun before the ring
  t.is(ring.read(into, 8), 5);
  t.deepEqual(values(into, 5), [100, 101, 7, 8, 9]);
  t.is(ring.lost, 2 + 4);
  t.is(ring.available, 0);
  t.is(ring.newestAt, 30);
  // `into` bounds the read to whole samples
  ring.append(samples(50, 3), 3, 40);
  t.is(ring.read(new Uint8Array(9), 10), 2);
  t.is(ring.waiting, 1);
});

test("two threads: every sample arrives once, in order, and the gaps are exactly the samples counted lost", async (t) => {
  const N = 200_000;
  const ring = new SharedRing(257, 4);
  // The writer: bursts of 1..47 samples (a fixed LCG), newestAt = the burst's last value.
  const worker = new Worker(
    `const { workerData, parentPort } = require("node:worker_threads");
     import(workerData.module).then(({ SharedRing }) => {
       const ring = new SharedRing(257, 4, workerData.buffer);
       const burst = new Uint8Array(4 * 64), view = new DataView(burst.buffer);
       let k = 0, seed = 12345;
       while (k < workerData.n) {
         seed = (seed * 1103515245 + 12345) & 0x7fffffff;
         const n = Math.min(1 + (seed % 47), workerData.n - k);
         for (let i = 0; i < n; i++) view.setUint32(4 * i, k + i, true);
         ring.append(burst, n, k + n - 1);
         k += n;
         if (seed % 3 === 0) ring.sleep(0.05); // pauses, so that the reader keeps up at times and falls behind at others
       }
       parentPort.postMessage("done");
     });`,
    { eval: true, workerData: { module: ringModule, buffer: ring.buffer, n: N } },
  );
  let writerDone = false;
  const done = new Promise<void>((resolve, reject) => {
    worker.once("message", () => {
      writerDone = true;
      resolve();
    });
    worker.once("error", reject);
  });
  const into = new Uint8Array(4 * 32);
  const got: number[] = [];
  let stale = 0;
  for (let round = 0; ; round++) {
    const n = ring.read(into, 1 + (round % 32));
    const v = values(into, n);
    for (const x of v) got.push(x);
    if (n > 0 && ring.newestAt < v[n - 1]) stale++;
    if (n === 0) {
      if (writerDone && ring.waiting === 0) break;
      await new Promise((r) => setImmediate(r));
    }
  }
  await done;
  await worker.terminate();
  t.log(`${got.length} received, ${ring.lost} lost`);
  let gaps = 0;
  let ordered = true;
  for (let i = 1; i < got.length; i++) {
    if (got[i] <= got[i - 1]) ordered = false;
    gaps += got[i] - got[i - 1] - 1;
  }
  gaps += got[0] + (N - 1 - got[got.length - 1]);
  t.true(ordered, "strictly increasing: nothing repeated or reordered");
  t.is(gaps, ring.lost, "what is missing is what was counted lost");
  t.is(got.length + ring.lost, N);
  t.is(stale, 0, "newestAt is never older than a sample already read");
});

test("stop() wakes a writer sleeping in Atomics.wait and ends its loop", async (t) => {
  const ring = new SharedRing(64, 4);
  const worker = new Worker(
    `const { workerData, parentPort } = require("node:worker_threads");
     import(workerData.module).then(({ SharedRing }) => {
       const ring = new SharedRing(64, 4, workerData.buffer);
       const one = new Uint8Array(4);
       let loops = 0;
       while (!ring.sleep(60000)) loops++;   // a minute per sleep: only stop() ends it soon
       parentPort.postMessage(loops);
     });`,
    { eval: true, workerData: { module: ringModule, buffer: ring.buffer } },
  );
  const loops = new Promise<number>((resolve) => worker.once("message", resolve));
  await new Promise((r) => worker.once("online", r));
  ring.stop();
  t.is(await loops, 0, "the first sleep returned on stop(), not on its timeout");
  await worker.terminate();
});

const BW_RATE = 0x2c;
const POWER_CTL = 0x2d;
const DATA_FORMAT = 0x31;
const FIFO_CTL = 0x38;
const FIFO_STATUS = 0x39;
const DATAX0 = 0x32;

test("the sampler thread's copy of the part, configured by the firmware's recorded transfers, holds the same registers and FIFO", (t) => {
  let now = 0;
  const signal = (axis: AxisIndex, s: number): number => Math.sin(2 * Math.PI * (29.7 + axis) * (s / 1000)) * 0.5;
  const mine = new SimADXL345({ now: () => now, seed: 7, signal });
  const copy = new SimADXL345({ now: () => now, seed: 7, signal });
  let transfers = 0;
  const bus = new SimI2CBus({ now: () => now });
  // Replayed as they finish (on lin the Worker replays them a little later: its copy's sampling starts that much later)
  bus.attach(
    0x53,
    recordTransfers(mine, (tr) => {
      transfers++;
      replayTransfer(copy, tr);
    }),
  );
  const accel = new ADXL345({ sensor: { io: bus.SMBus, address: 0x53 }, odr: 3200, rangeG: 4 });
  now = 3;
  accel.readFifo(new Float32Array(3 * 32), 32); // the firmware's flush before sampling: 9 entries popped on both copies
  t.true(transfers > 5);

  // Both copies looked at from buses of their own (reads through `bus` would be mirrored too)
  const a = inspect(mine);
  const b = inspect(copy);
  function inspect(part: SimADXL345) {
    const own = new SimI2CBus({ now: () => now });
    own.attach(0x53, part);
    return own.smbus({ address: 0x53 });
  }
  // ADXL345 datasheet: BW_RATE 0x0F = 3200 Hz; POWER_CTL Measure (bit 3); FIFO_CTL Stream (0b10 << 6)
  t.is(b.readUint8(BW_RATE) & 0x0f, 0x0f);
  t.is(b.readUint8(POWER_CTL) & 0x08, 0x08);
  t.is(b.readUint8(FIFO_CTL) >> 6, 0b10);
  for (const r of [BW_RATE, POWER_CTL, DATA_FORMAT, FIFO_CTL]) t.is(b.readUint8(r), a.readUint8(r), `register 0x${r.toString(16)}`);
  now = 8; // 5 ms after the flush: 16 samples at 3200 Hz on both copies
  const level = a.readUint8(FIFO_STATUS) & 0x3f;
  t.is(level, 16);
  t.is(b.readUint8(FIFO_STATUS) & 0x3f, level);
  const ea = new Uint8Array(6);
  const eb = new Uint8Array(6);
  for (let i = 0; i < level; i++) {
    a.readBuffer(DATAX0, ea);
    b.readBuffer(DATAX0, eb);
    t.deepEqual(Array.from(eb), Array.from(ea), `entry ${i}`);
  }
});
