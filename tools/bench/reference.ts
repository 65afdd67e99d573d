/*
 * The machine reference (docs/performance.md, "Wall figures"): one small fixed
 * Node workload, timed right before a wall figure that has no natural baseline
 * (a fleet's capacity, a rollout's wall time), so a reader can scale such figures
 * between machines and see when the machine was loaded. The workload is pure
 * JIT-compiled arithmetic (xorshift32 and an integer multiply-add over 2^22
 * iterations: no allocation, no I/O, one core), its time the median of 5 runs.
 */

const ITERATIONS = 1 << 22;
const RUNS = 5;

let sink = 0;

function workload(): number {
  let x = 2463534242;
  let acc = 0;
  for (let i = 0; i < ITERATIONS; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    acc = (Math.imul(acc, 31) + (x >>> 0)) | 0;
  }
  return acc;
}

/** The reference's time on this machine now, ms (median of RUNS after one warm-up run). */
export function referenceMs(): number {
  sink ^= workload();
  const t: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const t0 = performance.now();
    sink ^= workload();
    t.push(performance.now() - t0);
  }
  if (sink === 0.5) console.log(sink);
  t.sort((a, b) => a - b);
  return t[RUNS >> 1];
}

export const REFERENCE_NAME = "machine reference, ms (tools/bench/reference.ts; larger = slower or loaded machine)";

/** A baseline of the machine reference measured now. */
export function machineReference(value = referenceMs()): { name: string; value: number } {
  return { name: REFERENCE_NAME, value };
}
