/*
 * A broker that refuses the node's alarms for good (an ACL without write access
 * to the alarm topic, MQTT 5: PUBACK 0x87 Not authorized): the refused messages
 * leave the outbox as rejected, are never resent, and telemetry reports them.
 */
import test from "ava";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startMosquitto } from "../tools/brokers/broker.js";
import { Observer, SimNode, type NodeSpec } from "../tools/simulator/simulation.js";
import { drive, waitIdle } from "../tools/simulator/drive.js";
import { VirtualClock } from "../sim/clock.js";
import { RIG_EPOCH_MS } from "./helpers/rig.js";
import { EVENT_CEILING_MS, until, json } from "./helpers/wait.js";

test("alarms refused by the broker's ACL are counted as rejected, not resent, and reported in telemetry", async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sensor-node-acl-"));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const acl = path.join(dir, "acl");
  // Anonymous clients may publish telemetry and status, and read everything; no write to .../alarm.
  fs.writeFileSync(acl, ["topic write sensors/+/telemetry", "topic write sensors/+/status", "topic read #", ""].join("\n"));
  const broker = await startMosquitto({ dir, extraConfig: [`acl_file ${acl}`] });
  t.teardown(() => broker.close());
  const clock = new VirtualClock({ epochMs: RIG_EPOCH_MS });
  const logs: string[] = [];
  const spec: NodeSpec = {
    nodeId: "rj-1",
    seed: 5,
    machine: { rpm: 1500, vibration: [{ axis: "x", kind: "sine", freq_hz: 25, vrms_mm_s: 3 }], temperature_c: 35 },
    config: { mqtt: { version: 5 }, monitor: { rules: [{ metric: "x.vRms", warning: 1, alarm: 2 }], running: { graceS: 0 } } },
  };
  const node = new SimNode({ clock, spec, broker: { host: broker.host, port: broker.port, secure: false }, log: (level, m) => logs.push(`${level} ${m}`) });
  t.teardown(() => node.stop());
  const observer = await Observer.connect(broker.url, "sensors/#", () => clock.wall()!);
  t.teardown(() => observer.close());
  node.start();
  const on = (suffix: string) => observer.messages.filter((m) => m.topic === `sensors/rj-1/${suffix}`).map((m) => json(m.payload));
  await drive({ clock, until: 10_000, speed: "max", busy: () => node.busy, maxWaitMs: EVENT_CEILING_MS });
  await waitIdle(() => node.busy, EVENT_CEILING_MS);
  await until(() => on("telemetry").some((m) => m.outbox.rejected !== undefined), "telemetry reporting the rejection");

  const rejected = node.app.outbox.stats.rejected;
  t.true(rejected >= 1, `rejected ${rejected}`);
  t.is(node.app.mqtt.stats.rejected, rejected, "the client's count and the outbox's agree");
  t.deepEqual(on("alarm"), [], "the broker delivered no alarm");
  t.true(logs.some((l) => /^error mqtt: broker rejected the message to "sensors\/rj-1\/alarm" \(packet id \d+\): 0x87 Not authorized/.test(l)), logs.join("\n"));
  t.true(logs.some((l) => /^warn outbox: alarm #\d+ to "sensors\/rj-1\/alarm" refused by the server; not sent again$/.test(l)));
  t.is(on("telemetry").at(-1).outbox.rejected, rejected);
  // Nothing refused waits for a resend: the queue holds at most the telemetry in flight.
  t.true(node.app.outbox.stats.queued <= 1, `queued ${node.app.outbox.stats.queued}`);
  t.deepEqual(node.app.outbox.stats.dropped, { telemetry: 0, alarm: 0 });
  // Telemetry keeps flowing, in seq order.
  const seqs = on("telemetry").map((m) => m.seq);
  t.true(seqs.length >= 5);
  t.deepEqual(seqs, [...seqs].sort((a, b) => a - b));
});
