import test from "ava";
import { VirtualClock } from "../sim/clock.js";

test("timers fire in due order, ties in creation order, with time set to each due time", (t) => {
  const c = new VirtualClock();
  const seen: string[] = [];
  c.set(() => seen.push(`b@${c.now()}`), 20);
  c.set(() => seen.push(`a@${c.now()}`), 10);
  c.set(() => seen.push(`c@${c.now()}`), 20);
  t.is(c.runUntil(100), 3);
  t.deepEqual(seen, ["a@10", "b@20", "c@20"]);
  t.is(c.now(), 100);
});

test("repeating timers keep their period and can be cleared from their own callback", (t) => {
  const c = new VirtualClock();
  const at: number[] = [];
  const id = c.set(() => {
    at.push(c.now());
    if (at.length === 4) c.clear(id);
  }, 5, 10);
  c.runUntil(1000);
  t.deepEqual(at, [5, 15, 25, 35]);
  t.is(c.pending, 0);
});

test("time spent inside a callback (advance) delays the next due timer, never piles up", (t) => {
  const c = new VirtualClock();
  const at: number[] = [];
  c.set(() => {
    at.push(c.now());
    c.advance(25); // a callback that overruns its 10 ms period
  }, 10, 10);
  c.runUntil(100);
  // Each run starts when the previous one ended; the one due at 95 (before the limit) runs late, at 110.
  t.deepEqual(at, [10, 35, 60, 85, 110]);
});

test("wall time is undefined until set, then follows virtual time", (t) => {
  const c = new VirtualClock();
  t.is(c.wall(), undefined);
  c.runUntil(500);
  c.setWall(1_000_000);
  c.runUntil(1500);
  t.is(c.wall(), 1_001_000);
  const e = new VirtualClock({ epochMs: Date.parse("2026-01-01T00:00:00Z") });
  e.runUntil(2000);
  t.is(e.wall(), Date.parse("2026-01-01T00:00:02Z"));
});

test("cleared timers never fire and nextDue skips them", (t) => {
  const c = new VirtualClock();
  let fired = 0;
  const a = c.set(() => fired++, 10);
  c.set(() => fired++, 30);
  c.clear(a);
  t.is(c.nextDue(), 30);
  c.runUntil(40);
  t.is(fired, 1);
});
