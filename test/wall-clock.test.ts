/*
 * Real time: the Node host's WallClock (Node timers) runs the same firmware as
 * virtual time does, against a real broker.
 */
import test from "ava";
import { WallClock, createNodeHost } from "../hosts/node/host.js";
import { MemoryStorage } from "../hosts/node/storage.js";
import { SimI2CBus } from "../sim/bus.js";
import { SimADXL345 } from "../sim/devices/adxl345.js";
import { SimTMP117 } from "../sim/devices/tmp117.js";
import { Machine } from "../sim/machine/machine.js";
import { NodeApp } from "../firmware/app/node.js";
import { resolveConfig } from "../firmware/app/config.js";
import { startAedes } from "../tools/brokers/broker.js";
import { Observer } from "../tools/simulator/simulation.js";
import { until, json } from "./helpers/wait.js";

test("WallClock: one-shot, repeating and cleared timers on real time", async (t) => {
  const clock = new WallClock();
  const start = clock.now();
  const fired: string[] = [];
  clock.set(() => fired.push("once"), 20);
  const cleared = clock.set(() => fired.push("never"), 30);
  clock.clear(cleared);
  let ticks = 0;
  const repeating = clock.set(() => {
    if (++ticks === 3) clock.clear(repeating);
  }, 5, 10);
  await until(() => ticks === 3 && fired.length === 1, "timers", 30_000);
  await new Promise((r) => setTimeout(r, 50));
  t.deepEqual(fired, ["once"]);
  t.is(ticks, 3);
  t.true(clock.now() - start >= 25, "repeats waited their period");
  // Bracketed, not "within 5 ms of Date.now()": a process preempted between two reads must not fail it.
  const before = Date.now();
  const wall = clock.wall()!;
  const after = Date.now();
  t.true(wall >= before && wall <= after, `wall() ${wall} read between Date.now() ${before} and ${after}`);
});

// What makes this real time rather than virtual time: the simulated sensor's FIFO fills with
// the samples of the real time that has passed (100 Hz), so the n-th window of 256 samples
// cannot close before n x 2560 ms of real time after the start, and its `ts` is the real wall
// clock. Only these causal lower bounds are asserted: on a virtual clock run at full speed both
// windows would come within milliseconds of the start, while a busy machine (CI runs test files
// in parallel, other work shares the cores) can only make them later. There is no upper bound
// on the pace (npm test has no timed pass/fail, docs/performance.md); a stalled node is caught
// by the generous ceiling of the wait for the two messages.
test("the firmware on WallClock publishes telemetry in real time", async (t) => {
  const broker = await startAedes();
  t.teardown(() => broker.close());
  const clock = new WallClock();
  t.teardown(() => clock.clearAll());
  const t0 = clock.now();
  const now = () => clock.now() - t0;
  const machine = new Machine({ seed: 5, vibration: [{ axis: "x", kind: "sine", freq_hz: 20, vrms_mm_s: 3 }], temperature_c: 30 });
  const bus = new SimI2CBus({ now });
  bus.attach(0x53, new SimADXL345({ now, seed: 5, signal: (axis, s) => machine.acceleration(axis, s) }));
  bus.attach(0x48, new SimTMP117({ now, seed: 6, temperature: (s) => machine.temperature(s) }));
  const host = createNodeHost({ time: clock, bus, storage: new MemoryStorage(), hardwareId: "aa:bb:cc:00:11:22" });
  // 100 Hz: the FIFO's 32 samples hold 320 ms, so a busy machine's late timers lose nothing (at
  // 1600 Hz they held 20 ms, and under load every window restarted on an overrun); the shortest
  // window (256 samples, 2.56 s) keeps the test short in real time.
  const WINDOW_MS = 2560;
  const app = new NodeApp(host, resolveConfig({ mqtt: { port: broker.port }, accelerometer: { odr: 100 }, window: { n: 256 } }));
  t.is(app.nodeId, "node-aabbcc001122", "node id from the hardware id when the config has none");
  const observer = await Observer.connect(broker.url, "sensors/#", () => Date.now());
  t.teardown(() => observer.close());
  const startWall = Date.now();
  app.start();
  t.teardown(() => app.stop());
  await until(() => observer.messages.filter((m) => m.topic.endsWith("/telemetry")).length >= 2, "two telemetry messages", 60_000);
  const [first, second] = observer.messages.filter((m) => m.topic.endsWith("/telemetry")).map((m) => ({ t: m.t, p: json(m.payload) }));
  t.true(Math.abs(first.p.vib.x.vRms - 3) < 0.15, `vRms ${first.p.vib.x.vRms}`);
  t.is(first.p.vib.odr, 100);
  // 20 ms of slack: Date.now() and performance.now() are separate clocks with ms steps.
  const SLACK = 20;
  t.true(first.p.ts - startWall >= WINDOW_MS - SLACK, `first window stamped ${first.p.ts - startWall} ms after the start (>= ${WINDOW_MS} in real time)`);
  t.true(second.p.ts - startWall >= 2 * WINDOW_MS - SLACK, `second window stamped ${second.p.ts - startWall} ms after the start (>= ${2 * WINDOW_MS} in real time)`);
  t.true(second.p.ts > first.p.ts, "stamped in order");
  t.true(second.t - startWall >= 2 * WINDOW_MS - SLACK, `second window arrived ${second.t - startWall} ms after the start (>= ${2 * WINDOW_MS} in real time)`);
  t.true(first.p.ts <= first.t + SLACK, `ts is the real wall time: stamped ${first.p.ts}, no later than it arrived (${first.t})`);
});
