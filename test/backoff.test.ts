/*
 * The one backoff (firmware/util/backoff.ts) used by the MQTT client and the
 * Wi-Fi supervisor, checked against the formula of docs/mqtt.md written out here.
 */
import test from "ava";
import { Backoff, backoffDelay } from "../firmware/util/backoff.js";

/** docs/mqtt.md: attempt n waits in [min, min(max, min * 2^n)]; a long wait skips 3 doublings and waits at least half the cap. */
function expected(n: number, r: number, min: number, max: number, long: boolean): number {
  const cap = Math.min(max, min * 2 ** n);
  const floor = long ? Math.max(min, cap / 2) : min;
  return floor + r * (cap - floor);
}

test("backoffDelay follows the formula for every attempt, jitter value and both kinds", (t) => {
  for (const [min, max] of [
    [1000, 60_000],
    [50, 400],
    [1000, 300_000],
    [30_000, 3_600_000],
  ]) {
    for (let n = 0; n < 40; n++) {
      for (const r of [0, 0.25, 0.5, 0.999]) {
        for (const long of [false, true]) t.is(backoffDelay(n, r, min, max, long), expected(Math.min(n, 30), r, min, max, long), `n ${n} r ${r} ${min}..${max} long ${long}`);
      }
    }
  }
});

test("the bounds: never below min, never above max; a bad jitter value counts as 0.5", (t) => {
  t.is(backoffDelay(0, 0, 1000, 60_000), 1000, "first attempt: exactly min when the cap is min");
  t.is(backoffDelay(100, 0.999999, 1000, 60_000) <= 60_000, true);
  t.is(backoffDelay(3, Number.NaN, 1000, 60_000), expected(3, 0.5, 1000, 60_000, false));
  t.is(backoffDelay(3, 1, 1000, 60_000), expected(3, 0.5, 1000, 60_000, false), "1 is outside [0, 1)");
  t.is(backoffDelay(2, 0.5, 0, 10), expected(2, 0.5, 1, 10, false), "min is at least 1 ms");
  t.is(backoffDelay(2, 0.5, 500, 100), 500, "max below min: min");
});

test("Backoff counts attempts: a long wait adds 3 doublings, reset starts over", (t) => {
  const draws = [0.1, 0.9, 0.3, 0.7, 0.5];
  let i = 0;
  const b = new Backoff({ minMs: 1000, maxMs: 60_000, random: () => draws[i++ % draws.length] });
  t.is(b.next(), expected(0, 0.1, 1000, 60_000, false));
  t.is(b.next(), expected(1, 0.9, 1000, 60_000, false));
  t.is(b.next(true), expected(2 + 3, 0.3, 1000, 60_000, true), "long: attempt 2 counts as 5");
  t.is(b.attempts, 6);
  t.is(b.next(), expected(6, 0.7, 1000, 60_000, false));
  b.reset();
  t.is(b.next(), expected(0, 0.5, 1000, 60_000, false));
  t.like(new Backoff(), { minMs: 1000, maxMs: 60_000 }, "defaults 1 s and 60 s");
});
