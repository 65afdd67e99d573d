/*
 * The portable core of the ESP32's native FIFO sampler (hosts/moddable/native/fifo_core.c:
 * the FIFO program and the sample ring; the FreeRTOS task around it is unverified until a
 * board runs it, docs/moddable.md) compiled with the system cc and run against a fake ADXL345
 * written from its datasheet in test/native/fifo-harness.c. The program's fields are written
 * here from the datasheet too, in the order the JavaScript binding packs them, and the
 * driver's own FifoProgram is checked against the same literals.
 */
import test from "ava";
import { spawnSync } from "node:child_process";
import { ADXL345 } from "../firmware/drivers/adxl345.js";
import { SimI2CBus } from "../sim/bus.js";
import { SimADXL345 } from "../sim/devices/adxl345.js";
import { compileHarness } from "../tools/bench/native-spectrum.js";

/** ADXL345 datasheet (Rev. G), register map and FIFO section. */
const FIFO_STATUS = 0x39; // entries in bits 5:0
const ENTRIES_MASK = 0x3f;
const INT_SOURCE = 0x30; // D0: Overrun
const OVERRUN = 0x01;
const DATAX0 = 0x32; // DATAX0..DATAZ1: one entry, 6 bytes
const ENTRY_BYTES = 6;
const DEPTH = 32;

/** The Int32Array fields of fifo_core.h, in its order, for a ring of `capacity` samples. */
function fields(capacity: number): number[] {
  return [
    FIFO_STATUS, ENTRIES_MASK, 1, 1, // level register, mask, divisor, bytes
    INT_SOURCE, OVERRUN, 1, // overrun register, mask, read only when full (its read clears the flag)
    DATAX0, ENTRY_BYTES, 1, DEPTH, // data register, sample bytes, samples per read, depth
    capacity, 5, // ring, poll ms
    0x53, 400_000, -1, 21, 22, -1, 0, 1, // address, hz, port, data, clock, interrupt pin/mode/edge
  ];
}

function run(script: string[], capacity = 256): string[] {
  const harness = compileHarness("fifo-harness", ["test/native/fifo-harness.c", "hosts/moddable/native/fifo_core.c"], "the native FIFO sampler's core");
  const r = spawnSync(harness, [fields(capacity).join(",")], { input: script.join("\n") + "\n" });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`fifo-harness: exit ${r.status}: ${r.stderr.toString()}`);
  return r.stdout.toString().trim().split("\n");
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
const read = (line: string) => line.split(" ").slice(1).map(Number);
const counters = (line: string) => {
  const [count, lost, overruns, errors, lastError] = read(line);
  return { count, lost, overruns, errors, lastError };
};

test("the driver's FifoProgram is the ADXL345 datasheet's", (t) => {
  const bus = new SimI2CBus({ now: () => 0 });
  bus.attach(0x53, new SimADXL345({ now: () => 0, seed: 1, signal: () => 0 }));
  const part = new ADXL345({ sensor: { io: bus.SMBus, address: 0x53 } });
  t.like(part.program, {
    levelRegister: FIFO_STATUS,
    levelMask: ENTRIES_MASK,
    overrun: { register: INT_SOURCE, mask: OVERRUN, whenFull: true },
    dataRegister: DATAX0,
    sampleBytes: ENTRY_BYTES,
    samplesPerRead: 1,
    depth: DEPTH,
  });
});

test("a drain moves every entry into the ring in order, and reads return them oldest first, whole", (t) => {
  const out = run(["push 20", "drain", "read 7", "push 5", "drain", "read 100", "counters"]);
  t.deepEqual(out.slice(0, 2), ["drain 20", `read ${range(0, 7).join(" ")}`]);
  t.is(out[2], "drain 5");
  t.deepEqual(read(out[3]), range(7, 25));
  t.like(counters(out[4]), { count: 0, lost: 0, overruns: 0, errors: 0 });
});

test("a FIFO that overflowed: its flag is read and counted once, the 32 entries it kept are the newest", (t) => {
  const out = run(["push 40", "drain", "read 100", "counters"]);
  t.is(out[0], "drain 32");
  t.deepEqual(read(out[1]), range(8, 40), "stream mode keeps the last 32 samples");
  t.like(counters(out[2]), { overruns: 1, lost: 1 }, "one per overrun: the part does not say how many it lost");
});

test("samples that keep arriving during a full FIFO's drain: the level is read again, up to four rounds, nothing lost", (t) => {
  // A full FIFO, and one new sample per entry read: each round leaves the FIFO full again.
  const out = run(["push 32", "arrive 1", "drain", "arrive 0", "drain", "read 1000", "counters"]);
  t.is(out[0], `drain ${4 * DEPTH}`, "four rounds of 32");
  t.is(out[1], `drain ${DEPTH}`, "the rest at the next drain");
  t.deepEqual(read(out[2]), range(0, 5 * DEPTH));
  t.like(counters(out[3]), { lost: 0, overruns: 0 });
});

test("a full ring keeps what it holds and counts each sample it could not take", (t) => {
  const out = run(["push 30", "drain", "push 30", "drain", "read 100", "counters"], 50);
  t.deepEqual(out.slice(0, 2), ["drain 30", "drain 30"], "both drains read everything the part had");
  t.deepEqual(read(out[2]), range(0, 50));
  t.like(counters(out[3]), { count: 0, lost: 10, overruns: 0 });
});

test("a bus error: the samples read before it stay, the error is counted and named", (t) => {
  // Transfers: level, then one per entry; the 6th fails (after 4 entries).
  const out = run(["push 10", "fail 6", "drain", "read 100", "drain", "read 100", "counters"]);
  t.is(out[0], "drain 4");
  t.deepEqual(read(out[1]), range(0, 4));
  t.is(out[2], "drain 6", "the next drain goes on where it stopped (the failed read popped nothing)");
  t.deepEqual(read(out[3]), range(4, 10));
  t.like(counters(out[4]), { errors: 1, lastError: 7 });
});

test("a program with a field out of range is refused, naming it", (t) => {
  const bad = fields(256);
  bad[10] = 5000; // depth
  const r = spawnSync(compileHarness("fifo-harness", ["test/native/fifo-harness.c", "hosts/moddable/native/fifo_core.c"], "the native FIFO sampler's core"), [bad.join(",")], { input: "" });
  t.is(r.stdout.toString().trim(), "program depth");
});
