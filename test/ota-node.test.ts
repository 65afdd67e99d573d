/*
 * Updates over the air on simulated nodes against a real mosquitto (docs/ota.md):
 * the package is made and signed by node:crypto, served over real HTTP, and
 * what the node says is read by an independent subscriber. The new image is a
 * bundle the simulator boots in a fresh context, so "the behaviour changed" is
 * seen on the wire.
 */
import test from "ava";
import { bundle, lastStatus, makePackage, startOtaRig } from "./helpers/ota.js";
import { servePackage } from "./helpers/package-server.js";

/** Runs after the bundle: the new image says hello on a topic of its own at every start (a behaviour the old one lacks). */
const HELLO = `{
  const start = SensorNodeFirmware.NodeApp.prototype.start;
  SensorNodeFirmware.NodeApp.prototype.start = function () {
    start.call(this);
    this.mqtt.publish("sensors/" + this.nodeId + "/hello", "from the new image", { qos: 1 });
  };
}`;

test("a signed image with a new version is downloaded, boots, confirms itself, and its code runs", async (t) => {
  const rig = await startOtaRig(t);
  const [node] = rig.nodes;
  await rig.runUntil(() => lastStatus(rig, node)?.state === "online", 10_000);
  t.is(lastStatus(rig, node).fw, "0.1.0");
  t.false(rig.observer.messages.some((m) => m.topic.endsWith("/hello")));

  const pkg = makePackage({ payload: await bundle("0.2.0", HELLO), version: "0.2.0" });
  const server = await servePackage(pkg.bytes);
  t.teardown(() => server.close());
  await rig.update(node, server.url, pkg);
  const confirmed = () => rig.states(node).includes("confirmed");
  t.true(await rig.runUntil(confirmed, 120_000), `states: ${rig.states(node).join(", ")}\n${rig.logs.slice(-20).join("\n")}`);

  const states = rig.states(node);
  t.deepEqual(states.slice(0, 1), ["downloading"]);
  t.deepEqual(
    states.filter((s) => s !== "downloading"),
    ["verifying", "rebooting", "confirmed"],
  );
  const final = rig.on(node, "cmd/ota/ack").at(-1);
  t.like(final, { ok: true, state: "confirmed", version: "0.2.0", from: "0.1.0" });
  // The status the new image publishes: its version, the outcome; the hello only the new code sends.
  t.true(await rig.runUntil(() => lastStatus(rig, node)?.ota?.state === "confirmed", 10_000));
  t.like(lastStatus(rig, node), { state: "online", fw: "0.2.0", ota: { state: "confirmed", version: "0.2.0", from: "0.1.0" } });
  t.true(rig.observer.messages.some((m) => m.topic === `sensors/${node.spec.nodeId}/hello`));
  t.is(node.flash.running.label, "ota_1");
  t.is(node.flash.running.state, "valid");
  // Telemetry goes on from the new image.
  const before = rig.on(node, "telemetry").length;
  await rig.runUntil(() => rig.on(node, "telemetry").length > before + 2, 20_000);
  t.true(rig.on(node, "telemetry").length > before + 2);
});
