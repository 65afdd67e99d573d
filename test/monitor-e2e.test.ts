/*
 * Monitoring end to end: rules configured on a simulated node, the machine
 * changed over virtual time, transitions seen by an independent subscriber.
 */
import test, { type ExecutionContext } from "ava";
import type { NodeSpec } from "../tools/simulator/simulation.js";
import { startRig } from "./helpers/rig.js";
import { until, json } from "./helpers/wait.js";
import { kindOf, schemaErrors } from "./helpers/schemas.js";

const WINDOW_MS = (4096 / 3200) * 1000;

async function setup(t: ExecutionContext, config: Record<string, unknown>, vrms = 2) {
  const spec: NodeSpec = {
    nodeId: "pump-1",
    seed: 11,
    machine: { rpm: 1780, vibration: [{ axis: "x", kind: "sine", freq_hz: 29.7, vrms_mm_s: vrms }], temperature_c: 40 },
    config,
  };
  return startRig(t, { spec });
}

test("a ramp through warning and alarm: one transition each, published at once, in order", async (t) => {
  const { node, runTo, on, observer } = await setup(t, { monitor: { rules: [{ metric: "x.vRms", warning: 4.5, alarm: 7.1, onDelay: 2 }] } });
  await runTo(10_000);
  node.machine.set("machine.vibration[0].vrms_mm_s", 5.5);
  const stepWarning = node.app.windows;
  await runTo(25_000);
  node.machine.set("machine.vibration[0].vrms_mm_s", 8.5);
  const stepAlarm = node.app.windows;
  await runTo(40_000);
  const alarms = on("alarm");
  t.deepEqual(alarms.map((a) => [a.metric, a.prev, a.level, a.limit]), [
    ["x.vRms", "normal", "warning", 4.5],
    ["x.vRms", "warning", "alarm", 7.1],
  ]);
  // The change lands inside a window; with on-delay 2 the transition comes 2 or 3 windows later.
  const telemetry = on("telemetry");
  const windowOf = (seq: number) => telemetry.filter((m) => m.seq < seq).length;
  t.true(windowOf(alarms[0].seq) - stepWarning >= 1 && windowOf(alarms[0].seq) - stepWarning <= 3, `warning at window ${windowOf(alarms[0].seq)}, step at ${stepWarning}`);
  t.true(windowOf(alarms[1].seq) - stepAlarm >= 1 && windowOf(alarms[1].seq) - stepAlarm <= 3);
  // Every payload validates; telemetry carries the overall state.
  for (const m of observer.messages) t.is(schemaErrors(kindOf(m.topic)!, json(m.payload)), undefined, m.topic);
  t.is(telemetry.at(-1).state, "alarm");
  t.is(alarms[1].ts, telemetry.find((m) => m.seq === alarms[1].seq + 1)?.ts, "the alarm goes out with the window's telemetry, not later");
});

test("ISO zones are reported per axis, and a latched alarm is acknowledged by command", async (t) => {
  const { client: connect, node, runTo, on } = await setup(t, {
    machine: { group: 2, foundation: "rigid" },
    monitor: { isoOnDelay: 1, running: { thresholdMmS: 0.5, graceS: 0 }, rules: [{ metric: "temp.c", alarm: 80, latch: true }] },
  }, 3.2);
  await runTo(5000);
  const last = on("telemetry").at(-1);
  t.is(last.vib.x.zone, "C"); // 3.2 mm/s: between 2.8 and 4.5 in group 2 rigid
  t.is(last.vib.y.zone, "A");
  t.like(on("alarm")[0], { metric: "x.vRms", level: "warning", limit: 2.8 });

  // Temperature over the latched limit, then back down: the alarm stays until acknowledged.
  node.machine.set("machine.temperature_c", 85);
  await runTo(10_000);
  node.machine.set("machine.temperature_c", 40);
  await runTo(16_000);
  t.deepEqual(on("alarm").filter((a) => a.metric === "temp.c").map((a) => a.level), ["alarm"]);

  const client = await connect();
  await client.publishAsync("sensors/pump-1/cmd/ack-alarm", JSON.stringify({ metric: "temp.c" }), { qos: 1 });
  await until(() => on("cmd/ack-alarm/ack").length === 1, "ack");
  t.like(on("cmd/ack-alarm/ack")[0], { v: 1, ok: true, acknowledged: 1 });
  await runTo(20_000);
  t.deepEqual(on("alarm").filter((a) => a.metric === "temp.c").map((a) => a.level), ["alarm", "normal"]);

  await client.publishAsync("sensors/pump-1/cmd/ack-alarm", "{not json", { qos: 1 });
  await client.publishAsync("sensors/pump-1/cmd/self-destruct", "", { qos: 1 });
  await until(() => on("cmd/self-destruct/ack").length === 1 && on("cmd/ack-alarm/ack").length === 2, "refusals");
  t.like(on("cmd/ack-alarm/ack")[1], { ok: false, error: "command body is not valid JSON" });
  t.is(on("cmd/self-destruct/ack")[0].error, 'unknown command "self-destruct" (known: capture, config, rebirth, restart, ack-alarm, reset-baseline, factory-reset, ota)');
});

test("a machine that stops raises no vibration alarm, and running hours are counted", async (t) => {
  const { node, runTo, on } = await setup(t, { monitor: { rules: [{ metric: "x.vRms", alarm: 1.0 }], running: { thresholdMmS: 0.5, graceS: 5 } } }, 0.8);
  await runTo(3000); // running below the alarm level
  node.machine.set("machine.vibration[0].vrms_mm_s", 0); // stopped
  await runTo(20_000);
  node.machine.set("machine.vibration[0].vrms_mm_s", 3); // start: above the alarm level at once
  await runTo(23_000); // still inside the 5 s grace
  t.deepEqual(on("alarm"), [], "no alarm while stopped or in the grace period");
  await runTo(32_000);
  t.like(on("alarm")[0], { metric: "x.vRms", level: "alarm" });
  const telemetry = on("telemetry");
  t.true(telemetry.some((m) => m.running === false));
  t.true(telemetry.at(-1).running);
  t.true(telemetry.at(-1).runHours > 0 && telemetry.at(-1).runHours < 0.01);
});
