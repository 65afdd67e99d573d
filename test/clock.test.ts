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
  // Each run starts when the previous one ended; the one due at 95 waits for its busy task until 110, past the limit.
  t.deepEqual(at, [10, 35, 60, 85]);
  t.is(c.nextDue(), 110);
  c.runUntil(140);
  t.deepEqual(at, [10, 35, 60, 85, 110, 135]);
  t.is(c.busyMs, 25 * 6);
  t.is(c.maxLateMs, 25, "a run waits for the 25 ms of work of the one before, never more");
});

test("tasks: work charged to one task delays only its own timers; the others keep their times", (t) => {
  const c = new VirtualClock();
  const core0 = c.task("core0");
  const core1 = c.task("core1");
  const seen: string[] = [];
  core1.set(() => {
    seen.push(`features@${c.now()}`);
    core1.advance(400); // 0.4 s of computation
    seen.push(`done@${c.now()}`);
  }, 0);
  core1.set(() => seen.push(`keepalive@${c.now()}`), 100);
  core0.set(() => seen.push(`drain@${c.now()}`), 10, 10);
  c.runUntil(45);
  t.deepEqual(seen, ["features@0", "done@400", "drain@10", "drain@20", "drain@30", "drain@40"], "the other core keeps draining while one computes");
  c.runUntil(400);
  t.is(seen.filter((s) => s.startsWith("keepalive")).length, 1);
  t.is(seen.find((s) => s.startsWith("keepalive")), "keepalive@400", "a timer of the busy task waits for the end of the work");
  t.is(core1.busyMs, 400);
  t.is(core1.maxLateMs, 300);
  t.is(core0.busyMs, 0);
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

test("timers cleared anywhere in the queue never fire; the others still fire in (due, creation) order", (t) => {
  const c = new VirtualClock();
  const fired: number[] = [];
  const live = new Map<number, { due: number; n: number }>();
  const ids: number[] = [];
  let seed = 12345;
  const rand = (k: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) % k;
  for (let n = 0; n < 2000; n++) {
    const due = rand(500);
    const id = c.set(() => fired.push(n), due);
    ids.push(id);
    live.set(id, { due, n });
    if (rand(3) === 0) {
      const victim = ids[rand(ids.length)];
      c.clear(victim);
      live.delete(victim);
    }
  }
  const expected = [...live.values()].sort((a, b) => a.due - b.due || a.n - b.n).map((e) => e.n);
  c.runUntil(1000);
  t.deepEqual(fired, expected);
  t.is(c.pending, 0);
});
