/*
 * The fleet: nodes with their own seed and machine over worker threads, each
 * worker's VirtualClock paced at real time, and an independent subscriber that
 * checks (boot, seq) completeness per node. Keeping up with real time is not
 * asserted here (a loaded machine falls behind): it is a bench figure.
 */
import test from "ava";
import { runFleet } from "../tools/fleet/fleet.js";
import { fleetSpecs, FLEET_CONFIG } from "../tools/fleet/specs.js";
import { mosquittoPath, startMosquitto } from "../tools/brokers/broker.js";
import { resolveConfig } from "../firmware/app/config.js";
import { runCli } from "./helpers/cli.js";

test("fleet specs: every node its own seed and machine (rpm, amplitudes), the same for the same seed; the config is valid", (t) => {
  const a = fleetSpecs(50, 7);
  const b = fleetSpecs(50, 7);
  t.deepEqual(a, b);
  t.is(new Set(a.map((s) => s.seed)).size, 50);
  t.is(new Set(a.map((s) => s.nodeId)).size, 50);
  const rpms = new Set(a.map((s) => s.machine.rpm));
  t.true(rpms.size >= 45, `${rpms.size} distinct rpm`);
  for (const s of a) {
    t.true(s.machine.rpm >= 900 && s.machine.rpm <= 3600);
    const x = s.machine.vibration[0] as { vrms_mm_s: number; freq_hz: number };
    t.true(x.vrms_mm_s >= 0.5 && x.vrms_mm_s <= 6);
    t.true(Math.abs(x.freq_hz - s.machine.rpm / 60) < 0.01);
  }
  const c = resolveConfig({ ...FLEET_CONFIG, nodeId: "n" });
  t.is(c.acquisition.mode, "duty");
  t.true(c.window.n / c.accelerometer.odr <= c.acquisition.captureS, "a whole window fits in each capture");
  t.is(c.acquisition.periodS, 1, "1 Hz telemetry");
});

// Whether a fleet keeps up with real time is a wall-clock figure: the bench measures it
// (`sensor-node bench --only fleet`, tools/bench/fleet.ts). Here only what does not depend on the
// machine's load is asserted: every node runs its windows and every message is delivered. The
// lag is logged; a busy machine makes the run take longer, never fail.
test("a fleet of 60 nodes on 2 workers against aedes: a window a second per node, every message delivered", async (t) => {
  const r = await runFleet({ nodes: 60, workers: 2, durationS: 6, speed: 1, seed: 3 });
  t.log(`${r.realS.toFixed(1)} s real for ${r.virtualS.toFixed(1)} s virtual; lag max ${r.lagMaxMs} ms, at the end ${r.lagEndMs} ms; ${r.keptUp ? "kept up" : r.reasons.join("; ")}`);
  t.is(r.workers, 2);
  t.is(r.nodes, 60);
  t.is(r.virtualS, 6);
  t.is(r.nodesComplete, 60);
  t.is(r.missing, 0);
  t.is(r.duplicates, 0);
  t.true(r.minWindows >= 5, `min windows ${r.minWindows}`);
  t.true(r.published >= 60 * 5, `published ${r.published}`);
  t.is(r.delivered, r.published);
  t.deepEqual(r.reasons.filter((m) => !/behind real time/.test(m)), [], "nothing but the pace may be missing");
});

(mosquittoPath() ? test : test.skip)("a fleet against mosquitto: every message delivered, broker CPU reported", async (t) => {
  const broker = await startMosquitto();
  try {
    const r = await runFleet({ nodes: 100, durationS: 5, broker: broker.url, brokerPid: broker.process.pid });
    t.log(`lag max ${r.lagMaxMs} ms; CPU ${r.cpuPct}% + broker ${r.brokerCpuPct}%; ${r.keptUp ? "kept up" : r.reasons.join("; ")}`);
    t.is(r.nodesComplete, 100);
    t.is(r.missing, 0);
    t.true(r.published >= 100 * 3, `published ${r.published}`);
    t.is(r.delivered, r.published);
    t.deepEqual(r.reasons.filter((m) => !/behind real time/.test(m)), [], "nothing but the pace may be missing");
    t.is(typeof r.brokerCpuPct, "number");
  } finally {
    await broker.close();
  }
});

test("sim --nodes 8 --workers 2 runs the fleet and prints a summary; --workers with --scenario is a usage error", async (t) => {
  const r = await runCli(["sim", "--nodes", "8", "--workers", "2", "--duration", "4"]);
  t.is(r.code, 0, r.stderr);
  // "kept up" or not is the machine's load, not the code's: not asserted (the bench measures it).
  t.regex(r.stderr, /8 nodes on 2 worker\(s\), 4\.0 s: (\d+)\/\1 messages delivered, 8 nodes complete, 0 duplicates; .*(kept up|did not keep up)/);
  const json = await runCli(["sim", "--nodes", "3", "--duration", "3", "--json"]);
  t.is(json.code, 0, json.stderr);
  const topics = new Set(json.stdout.trim().split("\n").map((l) => JSON.parse(l).topic));
  for (const id of ["node-1", "node-2", "node-3"]) t.true(topics.has(`sensors/${id}/telemetry`), [...topics].join(" "));
  const bad = await runCli(["sim", "--workers", "2", "--scenario", "scenarios/healthy-motor.json"]);
  t.is(bad.code, 2);
  t.regex(bad.stderr, /--workers .* does not take --scenario/);
});
