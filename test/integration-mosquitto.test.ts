/*
 * End to end against a real mosquitto: the firmware on the Node host, in virtual
 * time, over real TCP; an independent mqtt.js subscriber checks what arrives.
 */
import test from "ava";
import { startMosquitto } from "../tools/brokers/broker.js";
import { Observer, SimNode, nodeSpecs } from "../tools/simulator/simulation.js";
import { drive, waitIdle } from "../tools/simulator/drive.js";
import { VirtualClock } from "../sim/clock.js";
import { EVENT_CEILING_MS, until, json } from "./helpers/wait.js";

test("status is retained, telemetry seq increases, and the will says offline when the connection dies", async (t) => {
  const broker = await startMosquitto();
  t.teardown(() => broker.close());
  const clock = new VirtualClock({ epochMs: Date.parse("2026-01-01T00:00:00Z") });
  const node = new SimNode({ clock, spec: nodeSpecs(undefined, 1, 42)[0], broker: { host: broker.host, port: broker.port, secure: false } });
  t.teardown(() => node.stop());
  const busy = () => node.busy;
  node.start();
  await drive({ clock, until: 3000, speed: "max", busy, maxWaitMs: EVENT_CEILING_MS });
  await waitIdle(busy, EVENT_CEILING_MS);

  // A subscriber that arrives after the node came online still learns its status: it is retained.
  const observer = await Observer.connect(broker.url, "sensors/#", () => clock.wall()!);
  t.teardown(() => observer.close());
  const statusTopic = `sensors/${node.app.nodeId}/status`;
  await until(() => observer.messages.some((m) => m.topic === statusTopic), "retained status");
  const status = observer.messages.find((m) => m.topic === statusTopic)!;
  t.true(status.retain);
  t.is(json(status.payload).state, "online");
  t.is(json(status.payload).boot, node.app.boot);

  await drive({ clock, until: 12_000, speed: "max", busy, maxWaitMs: EVENT_CEILING_MS });
  await waitIdle(busy, EVENT_CEILING_MS);
  const telemetryTopic = `sensors/${node.app.nodeId}/telemetry`;
  await until(() => observer.messages.filter((m) => m.topic === telemetryTopic).length >= 5, "five telemetry messages");
  const seqs = observer.messages.filter((m) => m.topic === telemetryTopic).map((m) => json(m.payload).seq as number);
  for (let i = 1; i < seqs.length; i++) t.true(seqs[i] > seqs[i - 1], `seq ${seqs[i]} after ${seqs[i - 1]}`);
  const last = json(observer.messages.filter((m) => m.topic === telemetryTopic).at(-1)!.payload);
  t.is(last.boot, node.app.boot);
  const epoch = Date.parse("2026-01-01T00:00:00Z");
  t.true(last.ts > epoch && last.ts <= epoch + clock.now(), `ts ${last.ts} is virtual wall time`);
  t.true(Math.abs(last.vib.x.vRms - 1.8) / 1.8 < 0.05, `x vRms ${last.vib.x.vRms}`); // the default machine: 1.8 mm/s on x

  // Pull the plug on the TCP connection: no DISCONNECT is sent, so the broker publishes the will.
  const before = observer.messages.length;
  node.host.killConnections();
  await until(
    () => observer.messages.slice(before).some((m) => m.topic === statusTopic && json(m.payload).state === "offline"),
    "the will (status offline)",
  );
  const will = observer.messages.slice(before).find((m) => m.topic === statusTopic)!;
  t.is(json(will.payload).boot, node.app.boot);

  // The node notices, backs off, reconnects and announces itself again.
  const mark = observer.messages.length;
  await drive({ clock, until: 40_000, speed: "max", busy, maxWaitMs: EVENT_CEILING_MS });
  await until(() => observer.messages.slice(mark).some((m) => m.topic === statusTopic && json(m.payload).state === "online"), "online again");
});
