/*
 * The node in Sparkplug B mode, end to end through a real broker, decoded with
 * Eclipse Tahu's own decoder: births, data by exception, sequence numbers,
 * bdSeq across a dropped connection, rebirth on NCMD.
 */
import test from "ava";
import { createRequire } from "node:module";
import { nodeSpecs } from "../tools/simulator/simulation.js";
import { startRig } from "./helpers/rig.js";
import { until } from "./helpers/wait.js";
import { DataType, decodePayload, valueAs } from "../firmware/sparkplug/payload.js";

const require = createRequire(import.meta.url);
const sparkplug = require("sparkplug-payload").get("spBv1.0");

test("NBIRTH/DBIRTH then DDATA by exception, seq in order, bdSeq matches the will, rebirth on NCMD", async (t) => {
  const spec = { ...nodeSpecs(undefined, 1, 8)[0], config: { payload: "sparkplug", sparkplug: { groupId: "plant-a" } } };
  const { node, observer, runTo, client } = await startRig(t, { spec, filter: "spBv1.0/#", start: false });
  const messages = () => observer.messages.map((m) => ({ topic: m.topic, kind: m.topic.split("/")[2], p: sparkplug.decodePayload(m.payload) }));
  node.start();
  await runTo(8000);
  await until(() => messages().filter((m) => m.kind === "DDATA").length >= 3, "DDATA");
  const all = messages();
  t.deepEqual(all.slice(0, 2).map((m) => m.topic), ["spBv1.0/plant-a/NBIRTH/node-1", "spBv1.0/plant-a/DBIRTH/node-1/sensor"]);
  const nbirth = all[0].p;
  const bdSeq = Number(nbirth.metrics.find((m: any) => m.name === "bdSeq").value);
  t.true(nbirth.metrics.some((m: any) => m.name === "Node Control/Rebirth" && m.value === false));
  const dbirth = all[1].p;
  const vx = dbirth.metrics.find((m: any) => m.name === "Vibration/x/vRms");
  t.truthy(vx.alias, "metrics carry aliases in DBIRTH");
  // seq: 0 for NBIRTH, then +1 per message, wrapping at 256.
  all.forEach((m, i) => t.is(Number(m.p.seq), i % 256, `${m.topic} seq`));
  // DDATA by alias only, and only what changed: the vibration values move every window, the ODR never does.
  const ddata = all.filter((m) => m.kind === "DDATA");
  const odrAlias = Number(dbirth.metrics.find((x: any) => x.name === "Vibration/ODR").alias);
  for (const d of ddata) t.true(d.p.metrics.every((m: any) => !m.name), "DDATA uses aliases, not names");
  // The birth came before the first window; the ODR is then sent once and never again (it does not change).
  t.is(ddata.filter((d) => d.p.metrics.some((m: any) => Number(m.alias) === odrAlias)).length, 1);
  // DDATA carries no datatype (the spec says it should not), so Tahu's decoder cannot type the value:
  // read it with ours, typed by the datatype the DBIRTH declared.
  const lastRaw = observer.messages.filter((m) => m.topic.includes("/DDATA/")).at(-1)!.payload;
  const decoded = decodePayload(lastRaw);
  if ("error" in decoded) return t.fail(decoded.error);
  const xm = decoded.metrics.find((m) => Number(m.alias) === Number(vx.alias))!;
  const xv = valueAs(xm, vx.type === "Float" ? DataType.Float : DataType.Double) as number;
  t.true(Math.abs(xv - 1.8) < 0.09, `x vRms ${xv}`); // the default machine: 1.8 mm/s on x

  // The connection dies: the broker publishes the will NDEATH, whose bdSeq is the NBIRTH's.
  node.host.killConnections();
  await until(() => messages().some((m) => m.kind === "NDEATH"), "NDEATH");
  const ndeath = messages().find((m) => m.kind === "NDEATH")!.p;
  t.is(Number(ndeath.metrics.find((m: any) => m.name === "bdSeq").value), bdSeq);
  // Reconnect: a new NBIRTH with the next bdSeq and seq back at 0.
  const mark = messages().length;
  await runTo(30_000);
  await until(() => messages().slice(mark).some((m) => m.kind === "NBIRTH"), "second NBIRTH");
  const second = messages().slice(mark).find((m) => m.kind === "NBIRTH")!.p;
  t.is(Number(second.seq), 0);
  t.true(Number(second.metrics.find((m: any) => m.name === "bdSeq").value) > bdSeq, "bdSeq goes up per connection");

  // A host asks for a rebirth.
  const host = await client();
  const ncmd = sparkplug.encodePayload({ timestamp: Date.now(), metrics: [{ name: "Node Control/Rebirth", type: "Boolean", value: true }] });
  const before = messages().filter((m) => m.kind === "NBIRTH").length;
  await host.publishAsync("spBv1.0/plant-a/NCMD/node-1", Buffer.from(ncmd), { qos: 0 });
  await until(() => messages().filter((m) => m.kind === "NBIRTH").length > before, "rebirth");
  t.is(node.app.sparkplug!.edge.stats.rebirths, 1);
});
