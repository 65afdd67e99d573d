/*
 * Sparkplug B nodes behind the OPC UA gateway (docs/opcua.md, "Sparkplug B"):
 * simulated nodes (the real firmware) in Sparkplug mode beside a JSON node,
 * an independent node-opcua-client reading what the gateway serves, and the
 * truth from Eclipse Tahu's sparkplug-payload decoding what the broker carried
 * (its protobuf layer for DDATA, which carries no datatype: the DBIRTH's).
 */
import test from "ava";
import { createRequire } from "node:module";
import { AttributeIds, DataType, StatusCodes, type ClientSession } from "node-opcua-client";
import { startGateway } from "../tools/opcua/gateway.js";
import { DEFAULT_MACHINE, type NodeSpec } from "../tools/simulator/simulation.js";
import { openSession, readUntil, readValue, startOpcuaRig, tempDir, WINDOW_MS, type OpcuaRig } from "./helpers/opcua.js";
import { until } from "./helpers/wait.js";

const require = createRequire(import.meta.url);
const tahu = require("sparkplug-payload").get("spBv1.0");
const proto = require("sparkplug-payload/lib/sparkplugPayloadProto").org.eclipse.tahu.protobuf.Payload;

const sparkplugNode = (nodeId: string, seed: number): NodeSpec => ({ nodeId, seed, machine: DEFAULT_MACHINE, config: { payload: "sparkplug" } });

/** Where each metric should be served (docs/opcua.md's table, written out here). */
function expectedVariable(name: string): string | undefined {
  const axis = /^Vibration\/([xyz])\/(\w+)$/.exec(name);
  if (axis) return `Vibration/${axis[1].toUpperCase()}/${axis[2]}`;
  const named: Record<string, string> = {
    "Properties/Firmware": "Firmware",
    "Properties/Boot": "Boot",
    State: "State",
    "Temperature/C": "Temperature",
    "Vibration/ODR": "Vibration/odr",
    "Vibration/Samples": "Vibration/n",
    "Vibration/Lost": "Vibration/lost",
    "Running/Active": "Running",
    "Running/Hours": "RunHours",
  };
  return named[name];
}

/** A protobuf metric's value by the datatype its birth declared (Sparkplug 3.0, 6.4.16). */
function rawValue(m: any, type: string): unknown {
  if (m.isNull) return null;
  switch (type) {
    case "Float":
      return m.floatValue;
    case "Double":
      return m.doubleValue;
    case "Boolean":
      return m.booleanValue;
    case "String":
      return m.stringValue;
    case "Int64":
      return Number(m.longValue);
    default:
      return m.intValue;
  }
}

/** Each metric's latest value and timestamp over the node's births and data, as Tahu reads them. */
function latest(rig: OpcuaRig, nodeId: string): Map<string, { value: unknown; ts: number }> {
  const out = new Map<string, { value: unknown; ts: number }>();
  const types = new Map<string, { name: string; type: string }>();
  for (const m of rig.observer.messages) {
    const [, , kind, edge] = m.topic.split("/");
    if (!m.topic.startsWith("spBv1.0/") || edge !== nodeId) continue;
    if (kind === "NBIRTH" || kind === "DBIRTH") {
      for (const metric of tahu.decodePayload(m.payload).metrics) {
        if (metric.alias !== undefined) types.set(`${kind[0]}${Number(metric.alias)}`, { name: metric.name, type: metric.type });
        out.set(metric.name, { value: typeof metric.value === "object" && metric.value !== null ? Number(metric.value) : metric.value, ts: Number(metric.timestamp) });
      }
    } else if (kind === "NDATA" || kind === "DDATA") {
      for (const metric of proto.decode(m.payload).metrics) {
        const declared = types.get(`${kind[0]}${Number(metric.alias)}`)!;
        out.set(declared.name, { value: rawValue(metric, declared.type), ts: Number(metric.timestamp) });
      }
    }
  }
  return out;
}

async function servedAsTahuSaw(t: any, rig: OpcuaRig, session: ClientSession, nodeId: string) {
  const truth = latest(rig, nodeId);
  const vRms = truth.get("Vibration/x/vRms")!;
  // The gateway has the node's last data once this value carries its timestamp (an event: no timed bound).
  await readUntil(session, `${nodeId}/Vibration/X/vRms`, (v) => v.sourceTimestamp?.getTime() === vRms.ts, `${nodeId}'s last DDATA in the address space`);
  let compared = 0;
  for (const [name, { value, ts }] of truth) {
    const id = expectedVariable(name);
    if (!id || value === null) continue;
    const dv = await readValue(session, `${nodeId}/${id}`);
    t.is(dv.value.value, value, `${name} -> ${id}`);
    t.true(dv.statusCode.equals(StatusCodes.Good), `${id} good`);
    t.is(dv.sourceTimestamp!.getTime(), ts, `${id}: the metric's timestamp`);
    compared++;
  }
  t.true(compared >= 25, `${compared} metrics compared`);
}

test("a Sparkplug node beside a JSON node: births and data by alias in the same address space, as Tahu decodes them; a method round-trips; its death turns its values bad, its next birth good", async (t) => {
  const rig = await startOpcuaRig(t, { specs: [sparkplugNode("sp-1", 4), { nodeId: "js-2", seed: 5, machine: DEFAULT_MACHINE, config: {} }], filters: ["sensors/#", "spBv1.0/#"] });
  await rig.runTo(6 * WINDOW_MS);
  const session = await rig.session();
  await servedAsTahuSaw(t, rig, session, "sp-1");
  t.is((await readValue(session, "sp-1/Status")).value.value, "online", "NBIRTH: online");
  t.deepEqual(JSON.parse((await readValue(session, "sp-1/Faults")).value.value), [], "Faults as the JSON payload has them");
  // The JSON node in the same tree, and the Sparkplug node's values with the same units.
  const last = rig.on("js-2", "telemetry").at(-1);
  await readUntil(session, "js-2/Seq", (v) => v.value.value === last.seq, "js-2's last window");
  const units = await session.translateBrowsePath({ startingNode: "ns=1;s=sp-1/Vibration/X/vRms", relativePath: { elements: [{ targetName: { namespaceIndex: 0, name: "EngineeringUnits" } }] } } as never);
  t.is((await session.read({ nodeId: units.targets![0].targetId, attributeId: AttributeIds.Value })).value.value.unitId, (0x43 << 16) | (0x31 << 8) | 0x36, "mm/s (UNECE C16)");

  // Its commands are the JSON ones, which a node in Sparkplug mode takes too: a method round-trips.
  const call = await session.call({ objectId: "ns=1;s=sp-1", methodId: "ns=1;s=SensorNodeType/AcknowledgeAlarm", inputArguments: [{ dataType: DataType.String, value: "" }] });
  t.true(call.statusCode.equals(StatusCodes.Good), call.statusCode.toString());
  await until(() => rig.on("sp-1", "cmd/ack-alarm/ack").length === 1, "the node's ack on MQTT");
  t.deepEqual(JSON.parse(call.outputArguments![1].value), rig.on("sp-1", "cmd/ack-alarm/ack")[0], "the method returns the node's ack");

  // The node dies: the broker publishes its NDEATH will, and the values turn bad.
  const [node] = rig.nodes;
  node.host.killConnections();
  node.host.haltTimers();
  await until(() => rig.observer.messages.some((m) => m.topic === "spBv1.0/sensors/NDEATH/sp-1"), "the NDEATH will");
  for (const id of ["sp-1/Temperature", "sp-1/Vibration/Y/aRms", "sp-1/State"]) await readUntil(session, id, (v) => v.statusCode.equals(StatusCodes.BadNoCommunication), `${id} bad`);
  t.is((await readValue(session, "sp-1/Status")).value.value, "offline");

  // Power back: a new session, new births with every value.
  node.powerLoss();
  await until(() => node.app.mqtt.connected, "the node back on the broker");
  await rig.runFor(3 * WINDOW_MS);
  await servedAsTahuSaw(t, rig, session, "sp-1");
  t.is((await readValue(session, "sp-1/Status")).value.value, "online");
});

test("a gateway started after a Sparkplug node's births asks it for a rebirth, then serves it", async (t) => {
  const rig = await startOpcuaRig(t, { specs: [sparkplugNode("sp-7", 8)], filters: ["sensors/#", "spBv1.0/#"] });
  await rig.runTo(3 * WINDOW_MS);
  // A second gateway on the same broker, after the births: it sees data it cannot read.
  const late = await startGateway({ broker: rig.broker.url, prefix: "sensors", port: 0, host: "127.0.0.1", certsDir: tempDir(t, "opcua-late"), allowAnonymous: true, log: (l) => t.log(`late: ${l}`) });
  t.teardown(() => late.close());
  await late.subscribed;
  await rig.runFor(3 * WINDOW_MS);
  const ncmd = rig.observer.messages.filter((m) => m.topic === "spBv1.0/sensors/NCMD/sp-7");
  t.true(ncmd.length >= 1, "an NCMD to the node");
  t.true(tahu.decodePayload(ncmd[0].payload).metrics.some((m: any) => m.name === "Node Control/Rebirth" && m.value === true), "Node Control/Rebirth = true, as Tahu reads it");
  t.true(rig.nodes[0].app.sparkplug!.edge.stats.rebirths >= 1, "the node published its births again");
  await rig.runFor(2 * WINDOW_MS);
  await servedAsTahuSaw(t, rig, await openSession(t, late.endpointUrl), "sp-7");
});
