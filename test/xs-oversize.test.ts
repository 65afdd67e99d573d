/*
 * A packet larger than the node's maximum is skipped as it streams (issue 13):
 * the whole node runs inside XS on MQTT 3.1.1 (a v5 broker would withhold a
 * packet above the advertised Maximum Packet Size, so 3.1.1 is the hard case),
 * bridged to a real mosquitto, and a 1 MiB retained QoS 1 message waits on its
 * command topic. The broker streams it at the node on subscribe; the node must
 * skip it without buffering it (the XS heap after each window stays within the
 * whole-node budget), log the skip, acknowledge it (so the broker does not send
 * it again), keep the connection and keep publishing telemetry without
 * duplicates.
 */
import "@endo/init"; // xsnap needs a locked-down process: XS tests live in their own files
import test from "ava";
import mqtt from "mqtt";
import { checkBudget } from "./helpers/budgets.js";
import { runNodeInXs, scriptedSpec } from "../tools/xs/bridge.js";
import { startMosquitto } from "../tools/brokers/broker.js";

const NODE_ID = "xs-oversize-1";
const BIG = 1024 * 1024;

test("a 1 MiB retained PUBLISH on the command topic is skipped as it streams: connection up, acknowledged, heap within budget, telemetry goes on", async (t) => {
  const broker = await startMosquitto();
  try {
    // The retained message is in place before the node subscribes.
    const publisher = await mqtt.connectAsync(broker.url, { protocolVersion: 4, clientId: "oversize-publisher" });
    await publisher.publishAsync(`sensors/${NODE_ID}/cmd/config`, Buffer.alloc(BIG, 0x7b), { qos: 1, retain: true });
    await publisher.endAsync();

    const spec = scriptedSpec(broker, { nodeId: NODE_ID, events: [], config: { ...scriptedSpec(broker).config, mqtt: { version: 4 } } });
    const xs = await runNodeInXs(spec, { untilMs: 20_000, gcEachWindow: true });

    t.log(`packets node -> broker: ${JSON.stringify(xs.log.counts)}; logs: ${xs.logs.join(" | ")}`);
    t.is(xs.log.counts.connect, 1, "one CONNECT: the connection stayed up");
    // One line naming the topic and the size (the payload plus the PUBLISH's own header, topic and id).
    const skips = xs.logs.filter((l) => l.startsWith("error: ") && l.includes(`sensors/${NODE_ID}/cmd/config`) && /skipped/.test(l));
    t.is(skips.length, 1, "the skip is logged once (the broker did not send it again)");
    const size = Number(/ (\d+) bytes/.exec(skips[0] ?? "")?.[1]);
    t.true(size > BIG && size < BIG + 64, `logged size ${size}`);
    t.true((xs.log.counts.puback ?? 0) >= 1, "the QoS 1 PUBLISH was acknowledged");

    const seqs = xs.log.publishes.filter((p) => p.topic === `sensors/${NODE_ID}/telemetry`).map((p) => JSON.parse(Buffer.from(p.payload, "hex").toString("utf8")).seq as number);
    t.true(seqs.length >= xs.windows.length - 1 && seqs.length >= 10, `telemetry ${seqs.length} for ${xs.windows.length} windows`);
    t.deepEqual(seqs, [...new Set(seqs)].sort((a, b) => a - b), "no duplicate or reordered telemetry");
    t.is(seqs[seqs.length - 1]! - seqs[0]!, seqs.length - 1, "no gap in seq");

    const heap = Math.max(...xs.windows.map((w) => w.heapAfterGc ?? Infinity));
    t.log(`XS heap after collection, max over ${xs.windows.length} windows: ${heap} slots`);
    checkBudget(t, "xs.node.heapSlots", heap);
  } finally {
    await broker.close();
  }
});
