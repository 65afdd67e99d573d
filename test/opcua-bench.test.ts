/*
 * The OPC UA gateway bench (tools/bench/opcua.ts) at a tiny scale: it runs end to
 * end and counts what it says it counts. How fast is a bench figure
 * (`sensor-node bench --only opcua`), never asserted here.
 */
import test from "ava";
import { opcuaFigures } from "../tools/bench/opcua.js";
import { measureGatewayLoad } from "../tools/bench/opcua/load.js";
import { judge } from "../tools/bench/types.js";

test("5 synthetic nodes for 3 s: every window published is counted, applied, timed, and notified to the monitoring client, each notification matched with its receipt", async (t) => {
  const r = await measureGatewayLoad({ nodes: 5, seconds: 3, log: (line) => t.log(line) });
  t.log(JSON.stringify(r));
  t.true(r.recorded > 0, "telemetry recorded from the simulator");
  t.true(r.published >= 5 * 2, `${r.published} messages published in the window`);
  t.is(r.applied, r.published, "every window in the address space");
  t.is(r.skipped, 0, "no seq skipped");
  t.is(r.lag.count, r.applied);
  t.is(r.written.count, r.applied);
  t.true(r.updates >= r.applied * 30, `${r.updates} variable updates for ${r.applied} messages (about 36 each)`);
  t.true(r.written.p50 <= r.written.p99 && r.lag.p50 <= r.lag.p99);
  t.is(r.client.sampled, 5);
  t.true(r.client.expected > 0);
  t.is(r.client.endToEnd.count, r.client.expected, "the client was notified of every monitored window");
  t.is(r.client.latency.count, r.client.expected, "each notification matched with the gateway's receipt of its window");
  // A notification follows its receipt, which follows the publish (the processes share the machine's clock).
  t.true(r.client.latency.p50 > 0 && r.client.latency.p50 <= r.client.endToEnd.p50, JSON.stringify(r.client));
  t.true(r.gateway.rssMiB > 0 && r.gateway.heapMiB > 0 && r.gateway.emptyHeapMiB > 0);
  t.true(r.load.every((l) => l >= 0));
  const figures = opcuaFigures(r);
  t.deepEqual(
    figures.map((f) => f.id),
    ["opcua.updatesPerSecond", "opcua.latency.p50", "opcua.latency.p99", "opcua.endToEnd.p99", "opcua.windowsLost", "opcua.gateway.rss", "opcua.gateway.heap", "opcua.gateway.cpu"],
  );
  t.true(figures.every((f) => f.kind === "wall" && Number.isFinite(f.value)));
  t.is(judge(figures.find((f) => f.id === "opcua.windowsLost")!), true, "0 windows lost meets its goal");
  t.regex(figures[0].note!, /load average \d/);
});
