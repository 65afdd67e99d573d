/*
 * The factory-reset button of the device host (hosts/moddable/reset-button.ts) on a
 * simulated GPIO 0 (sim/pins.ts) in virtual time: held 10 s it fires once per hold;
 * a shorter press, or one released before the time is up, fires nothing.
 */
import test from "ava";
import { watchResetButton } from "../hosts/moddable/reset-button.js";
import { simDigitalClass } from "../sim/pins.js";
import { VirtualClock } from "../sim/clock.js";
import type { SimInterruptOutput } from "../sim/devices/fifo-accelerometer.js";

/** The DevKitC's BOOT switch to ground with its pull-up: low during each [from, to) in `presses` (virtual ms). */
function bootSwitch(clock: VirtualClock, presses: [number, number][]): SimInterruptOutput {
  return {
    level: () => (presses.some(([from, to]) => clock.now() >= from && clock.now() < to) ? 0 : 1),
    changeAt: () => Math.min(...presses.flatMap(([from, to]) => [from, to]).filter((t) => t > clock.now()), Infinity),
    watch: () => () => undefined,
  };
}

function run(presses: [number, number][], untilMs: number): number[] {
  const clock = new VirtualClock();
  const Digital = simDigitalClass({ "0": bootSwitch(clock, presses) }, clock, clock);
  const fired: number[] = [];
  const button = watchResetButton({ Digital, timers: clock }, () => fired.push(clock.now()));
  clock.runUntil(untilMs);
  button.close();
  return fired;
}

test("held 10 s: called once, 10 s after the press; held longer: still once", (t) => {
  t.deepEqual(run([[1000, 11_500]], 60_000), [11_000]);
  t.deepEqual(run([[1000, 40_000]], 60_000), [11_000]);
});

test("released before 10 s: nothing, and a later full hold starts its own 10 s", (t) => {
  t.deepEqual(run([[1000, 10_900]], 60_000), []);
  t.deepEqual(run([[1000, 6000], [8000, 19_000]], 60_000), [18_000]);
});

test("two holds: two calls", (t) => {
  t.deepEqual(run([[500, 12_000], [20_000, 31_000]], 60_000), [10_500, 30_000]);
});

test("after close() nothing fires", (t) => {
  const clock = new VirtualClock();
  const Digital = simDigitalClass({ "0": bootSwitch(clock, [[1000, 30_000]]) }, clock, clock);
  const fired: number[] = [];
  const button = watchResetButton({ Digital, timers: clock }, () => fired.push(clock.now()));
  clock.runUntil(5000);
  button.close();
  clock.runUntil(60_000);
  t.deepEqual(fired, []);
});
