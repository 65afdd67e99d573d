/*
 * A control for the lin runs: how late this machine wakes a thread that sleeps
 * 5 ms at a time (Atomics.wait in a Node worker thread, as the lin sampler Worker
 * sleeps), measured during the same run. When the OS itself wakes a sleeping
 * thread more than a FIFO's fill time late (10 ms for the ADXL345 at 3200 Hz),
 * no sampler thread on that machine can keep the FIFO, whatever the firmware does.
 */
import { Worker } from "node:worker_threads";

export interface WakeFigures {
  wakeups: number;
  /** Wake-ups later than 10 ms past the 5 ms asked. */
  lateOver10ms: number;
  maxLateMs: number;
}

const PROBE = `
const { parentPort } = require("node:worker_threads");
const cell = new Int32Array(new SharedArrayBuffer(4));
let stop = false, wakeups = 0, late10 = 0, maxLate = 0;
parentPort.on("message", () => { stop = true; });
function loop() {
  const end = performance.now() + 200;  // 200 ms of sleeps, then a turn of the event loop for "stop"
  while (performance.now() < end) {
    const t = performance.now();
    Atomics.wait(cell, 0, 0, 5);
    const late = performance.now() - t - 5;
    wakeups++;
    if (late > 10) late10++;
    if (late > maxLate) maxLate = late;
  }
  if (stop) parentPort.postMessage({ wakeups, lateOver10ms: late10, maxLateMs: Math.round(maxLate * 10) / 10 });
  else setImmediate(loop);
}
loop();
`;

/** Starts the probe; the returned function stops it and gives its figures. */
export function startWakeProbe(): () => Promise<WakeFigures> {
  const worker = new Worker(PROBE, { eval: true });
  return async () => {
    const figures = new Promise<WakeFigures>((resolve) => worker.once("message", resolve));
    worker.postMessage("stop");
    const result = await figures;
    await worker.terminate();
    return result;
  };
}
