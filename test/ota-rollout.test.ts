/*
 * Staged rollouts over real simulated nodes (docs/ota.md, "Rollout"): `ota push`'s
 * runRollout against 50 SimNodes on mosquitto, in virtual time (the rollout's
 * confirm timeout runs on the nodes' clock). What reached each node is read by an
 * independent subscriber and from each node's flash.
 */
import test from "ava";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { runRollout, type RolloutReport } from "../tools/ota/rollout.js";
import { bundle, makePackage, startOtaRig, type OtaRig } from "./helpers/ota.js";

const NODES = 50;

/** Writes the package to a file (what `ota push --image` reads) and runs the rollout while virtual time runs. */
async function rollout(rig: OtaRig, bytes: Uint8Array): Promise<RolloutReport> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sensor-node-rollout-"));
  const file = path.join(dir, "release.snup");
  fs.writeFileSync(file, bytes);
  let report: RolloutReport | undefined;
  let failure: unknown;
  runRollout({ broker: rig.broker.url, image: file, all: true, canary: 1, batch: { nodes: 10 }, confirmTimeoutS: 600, clock: rig.clock }).then(
    (r) => (report = r),
    (e) => (failure = e),
  );
  // Bounded: 50 nodes in batches of 10 need a few virtual minutes; 30 are the ceiling.
  await rig.runUntil(() => report !== undefined || failure !== undefined, 30 * 60_000);
  fs.rmSync(dir, { recursive: true, force: true });
  if (failure) throw failure;
  if (!report) throw new Error("the rollout did not end within 30 virtual minutes");
  return report;
}

const commanded = (rig: OtaRig) => rig.nodes.filter((n) => rig.observer.messages.some((m) => m.topic === `sensors/${n.spec.nodeId}/cmd/ota`));

test("a broken image halts the rollout after the canary: 49 nodes never get the command and keep their image", async (t) => {
  const rig = await startOtaRig(t, { nodes: NODES, confirmS: 60 });
  await rig.runUntil(() => rig.nodes.every((n) => rig.on(n, "status").some((s) => s.state === "online")), 20_000);
  const broken = makePackage({ payload: await bundle("0.2.0", `SensorNodeFirmware.NodeApp.prototype.start = function () { throw new Error("bad release"); };`), version: "0.2.0" });
  const report = await rollout(rig, broken.bytes);

  t.false(report.ok);
  t.is(report.halted?.result, "rolled-back");
  const canary = report.halted!.node;
  t.is(report.rows.filter((r) => r.result === "untouched").length, NODES - 1);
  t.deepEqual(
    commanded(rig).map((n) => n.spec.nodeId),
    [canary],
  );
  for (const n of rig.nodes) {
    t.is(n.flash.running.label, "ota_0");
    if (n.spec.nodeId !== canary) t.is(n.flash.slots[1].state, "empty", n.spec.nodeId);
  }
  t.like(
    rig.on(rig.nodes.find((n) => n.spec.nodeId === canary)!, "cmd/ota/ack").at(-1),
    { state: "rolled-back", error: "crashed at start: bad release" },
  );
});

test("a good image reaches all 50 nodes, canary first, and every row of the final table says confirmed", async (t) => {
  const rig = await startOtaRig(t, { nodes: NODES });
  await rig.runUntil(() => rig.nodes.every((n) => rig.on(n, "status").some((s) => s.state === "online")), 20_000);
  const good = makePackage({ payload: await bundle("0.2.0"), version: "0.2.0" });
  const report = await rollout(rig, good.bytes);

  t.true(report.ok, JSON.stringify(report.rows.filter((r) => r.result !== "confirmed")));
  t.is(report.rows.length, NODES);
  for (const row of report.rows) t.like(row, { from: "0.1.0", to: "0.2.0", result: "confirmed" });
  for (const n of rig.nodes) {
    t.is(n.flash.running.state, "valid");
    t.is(n.flash.running.label, "ota_1");
    t.like(rig.on(n, "status").at(-1), { fw: "0.2.0", ota: { state: "confirmed" } });
  }
  // The canary confirmed before any other node was sent the command.
  const topicOf = (m: { topic: string }) => m.topic;
  const messages = rig.observer.messages.map(topicOf);
  const canary = report.rows[0].node;
  const canaryConfirmed = rig.observer.messages.findIndex((m) => m.topic === `sensors/${canary}/cmd/ota/ack` && JSON.parse(Buffer.from(m.payload).toString()).state === "confirmed");
  const firstOther = messages.findIndex((topic) => topic.endsWith("/cmd/ota") && topic !== `sensors/${canary}/cmd/ota`);
  t.true(canaryConfirmed >= 0 && canaryConfirmed < firstOther, `canary confirmed at ${canaryConfirmed}, first other command at ${firstOther}`);
});
