/*
 * The benchmark registry: `sensor-node bench` runs these in order. To add one
 * (outbox drain, fleet capacity, whole-node XS heap, ...): write a module in this
 * folder exporting a BenchModule (types.ts) and add it to BENCHMARKS below. A
 * deterministic figure that CI should guard also gets a ceiling in
 * bench/budgets.json and a measurement in test/budgets.test.ts.
 */
import { acquisitionBench } from "./acquisition.js";
import { alarmBench } from "./alarm.js";
import { codecBench } from "./codec.js";
import { cpuBench } from "./cpu.js";
import { dspBench } from "./dsp.js";
import { fleetBench } from "./fleet.js";
import { heapBench } from "./heap.js";
import { opcuaBench } from "./opcua.js";
import { otaBench } from "./ota.js";
import { outboxBench } from "./outbox.js";
import type { BenchModule } from "./types.js";
import { xsNodeBench } from "./xs-node.js";

export const BENCHMARKS: BenchModule[] = [codecBench, dspBench, acquisitionBench, alarmBench, cpuBench, outboxBench, heapBench, fleetBench, xsNodeBench, opcuaBench, otaBench];

/** Adds a benchmark at run time (e.g. from a plugin or a test); replaces one of the same name. */
export function registerBenchmark(module: BenchModule): void {
  const i = BENCHMARKS.findIndex((m) => m.name === module.name);
  if (i >= 0) BENCHMARKS[i] = module;
  else BENCHMARKS.push(module);
}
