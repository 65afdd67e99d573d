/*
 * cmd/config: validated whole, applied atomically (live or by an in-place
 * restart), persisted, acknowledged with the new version; a bad one changes nothing.
 */
import test, { type ExecutionContext } from "ava";
import type { NodeSpec } from "../tools/simulator/simulation.js";
import { startRig } from "./helpers/rig.js";
import { MemoryStorage } from "../hosts/node/storage.js";
import { until, json } from "./helpers/wait.js";
import { kindOf, schemaErrors } from "./helpers/schemas.js";

async function setup(t: ExecutionContext, storage = new MemoryStorage()) {
  const spec: NodeSpec = { nodeId: "fan-3", seed: 4, machine: { rpm: 1500, vibration: [{ axis: "x", kind: "sine", freq_hz: 25, vrms_mm_s: 3 }], temperature_c: 35 }, config: {} };
  const { clock, node, observer, runTo, on, client: connect } = await startRig(t, { spec, storage });
  const client = await connect();
  const command = async (body: string) => {
    const count = on("cmd/config/ack").length;
    await client.publishAsync("sensors/fan-3/cmd/config", body, { qos: 1 });
    await until(() => on("cmd/config/ack").length > count, "config ack");
    return on("cmd/config/ack").at(-1);
  };
  return { clock, node, storage, runTo, on, command, observer, client };
}

test("a live change takes effect within one window, is acknowledged with the new version, and a bad one changes nothing", async (t) => {
  const { node, runTo, on, command, clock, observer, client } = await setup(t);
  await runTo(3000);
  const ack = await command(JSON.stringify({ monitor: { rules: [{ metric: "x.vRms", warning: 2, alarm: 5 }], running: { graceS: 0 } } }));
  t.like(ack, { v: 1, ok: true, version: 1, restart: false });
  t.deepEqual(ack.changed, ["monitor"]);
  const windowMs = (4096 / 3200) * 1000;
  const sentAt = clock.now();
  await runTo(sentAt + windowMs + 100);
  t.like(on("alarm").at(-1), { metric: "x.vRms", level: "warning", limit: 2 });
  t.is(on("status").at(-1).config.version, 1);

  // Warning above alarm: refused, naming the field; version and rules unchanged.
  const bad = await command(JSON.stringify({ monitor: { rules: [{ metric: "x.vRms", warning: 6, alarm: 5 }] } }));
  t.false(bad.ok);
  t.is(bad.version, 1);
  t.regex(bad.error, /config\.monitor\.rules\[0\]\.warning: 6 must be below the alarm level 5/);
  for (const [body, message] of [
    ["{oops", /not valid JSON/],
    ["[1,2]", /expected a JSON object/],
    [JSON.stringify({ telemetry: { deadbandPct: "5" } }), /config\.telemetry\.deadbandPct: expected a number/],
    [JSON.stringify({ mqtt: { keepalive: -1 } }), /config\.mqtt\.keepalive: -1 is out of range/],
    [JSON.stringify({ sampling: {} }), /config\.sampling: unknown key/],
    [JSON.stringify({ nodeId: "other" }), /config\.nodeId: cannot be changed by command/],
  ] as const) {
    const refused = await command(body);
    t.false(refused.ok, body.slice(0, 40));
    t.regex(refused.error, message);
  }
  // Larger than the node's maximum packet size (8 KiB): the MQTT client skips it as it streams and
  // acknowledges it (publishAsync resolves on the PUBACK); the application never sees it.
  const skipped = node.app.mqtt.stats.skipped;
  await client.publishAsync("sensors/fan-3/cmd/config", JSON.stringify({ pad: "x".repeat(9000) }), { qos: 1 });
  await until(() => node.app.mqtt.stats.skipped === skipped + 1, "oversize command skipped");
  t.is(node.app.configVersion, 1);
  t.is(node.app.monitor.states[0].rule.alarm, 5, "previous rules stay in force");
  t.is(node.restarts, 0);
  for (const m of observer.messages) if (kindOf(m.topic)) t.is(schemaErrors(kindOf(m.topic)!, json(m.payload)), undefined, m.topic);
});

test("a change that needs a restart restarts in place and survives it; a corrupt stored config is reported and ignored", async (t) => {
  const storage = new MemoryStorage();
  const { node, runTo, on, command } = await setup(t, storage);
  await runTo(3000);
  const ack = await command(JSON.stringify({ window: { n: 2048 } }));
  t.like(ack, { ok: true, version: 1, restart: true });
  await runTo(8000);
  t.is(node.restarts, 1);
  t.is(node.app.boot, 2);
  t.is(on("telemetry").at(-1).vib.n, 2048);
  t.is(on("status").at(-1).config.version, 1);

  // Another boot from the same storage keeps the change.
  node.restart();
  await runTo(12_000);
  t.is(node.app.config.window.n, 2048);

  // Flash corrupted under the node: the next boot reports it and runs on the build-time config.
  storage.set("config", '{"version":3,"overr');
  node.restart();
  await runTo(16_000);
  const status = on("status").at(-1);
  t.is(status.config.version, 0);
  t.regex(status.config.error, /stored configuration is corrupt/);
  t.is(on("telemetry").at(-1).vib.n, 4096);
});

test("naming a bearing by command restarts in place: the acquisition is checked again with the bearing mode's ring; an envelope band added later is a change too", async (t) => {
  const { node, runTo, on, command } = await setup(t);
  await runTo(3000);
  t.is(on("telemetry").at(-1).vib.x.env, undefined);
  // machine is a live section, but bearing diagnostics change what each window costs and the ring the acquisition needs.
  const ack = await command(JSON.stringify({ machine: { bearing: "6205" } }));
  t.like(ack, { ok: true, version: 1, restart: true });
  t.deepEqual(ack.changed, ["machine"]);
  await runTo(8000);
  t.is(node.restarts, 1);
  t.not(on("telemetry").at(-1).vib.x.env, undefined, "envelope features after the restart");
  // `envelope` is a section the defaults lack: adding it is seen (and, not live, applied by a restart).
  const band = await command(JSON.stringify({ envelope: { bandHz: [500, 1400] } }));
  t.like(band, { ok: true, version: 2, restart: true });
  t.deepEqual(band.changed, ["envelope"]);
  await runTo(13_000);
  t.is(node.restarts, 2);
  t.deepEqual(node.app.config.envelope, { bandHz: [500, 1400] });
});
