/*
 * The gateway's Alarms and Conditions, Methods and the node's will, driven by an
 * independent node-opcua-client against simulated nodes (the real firmware):
 * what the client sees is checked against what an MQTT subscriber saw.
 */
import test from "ava";
import { AttributeIds, BrowseDirection, ClientMonitoredItem, NodeClass, ClientSubscription, constructEventFilter, DataType, StatusCodes, TimestampsToReturn, type ClientSession, type DataValue, type Variant } from "node-opcua-client";
import { DEFAULT_MACHINE, type NodeSpec } from "../tools/simulator/simulation.js";
import { readUntil, startOpcuaRig, WINDOW_MS } from "./helpers/opcua.js";
import { until } from "./helpers/wait.js";

/** The x axis tone (first vibration component of the default machine) at `vrms` mm/s. */
const X_TONE = "machine.vibration[0].vrms_mm_s";
/** Standard NodeIds (OPC UA Part 9): the Server object and AcknowledgeableConditionType's Acknowledge method. */
const SERVER_OBJECT = "ns=0;i=2253";
const ACKNOWLEDGE_METHOD = "ns=0;i=9111";
const FIELDS = ["EventId", "ConditionName", "SourceName", "Severity", "Message", "ActiveState.Id", "AckedState.Id", "1:Value", "1:Limit", "1:Metric"];

async function subscribe(t: any, session: ClientSession) {
  const subscription = ClientSubscription.create(session, { requestedPublishingInterval: 50, requestedMaxKeepAliveCount: 20, publishingEnabled: true });
  t.teardown(() => subscription.terminate().catch(() => {}));
  return subscription;
}

test("a latched alarm raised on the node arrives as an event with its value, limit and severity; acknowledging the condition releases it on the node", async (t) => {
  const spec: NodeSpec = { nodeId: "mill-7", seed: 11, machine: DEFAULT_MACHINE, config: { monitor: { rules: [{ metric: "x.vRms", warning: 3, alarm: 5, latch: true }], running: { graceS: 0 } } } };
  const rig = await startOpcuaRig(t, { specs: [spec] });
  await rig.runTo(3 * WINDOW_MS);
  const session = await rig.session();
  const subscription = await subscribe(t, session);
  const events: Variant[][] = [];
  const item = ClientMonitoredItem.create(subscription, { nodeId: SERVER_OBJECT, attributeId: AttributeIds.EventNotifier }, { samplingInterval: 0, queueSize: 1000, filter: constructEventFilter(FIELDS) }, TimestampsToReturn.Both);
  item.on("changed", (values: unknown) => events.push(values as Variant[]));
  await new Promise((resolve) => item.once("initialized", resolve));
  const field = (e: Variant[], name: string) => e[FIELDS.indexOf(name)]?.value;

  const [node] = rig.nodes;
  node.machine.set(X_TONE, 8);
  await rig.runFor(6 * WINDOW_MS);
  const raised = rig.on("mill-7", "alarm").find((a) => a.level === "alarm");
  t.truthy(raised, "the node raised its alarm (MQTT)");
  await until(() => events.some((e) => field(e, "1:Metric") === "x.vRms" && field(e, "Severity") === 800), "the alarm event");
  const event = events.find((e) => field(e, "Severity") === 800)!;
  t.is(field(event, "SourceName"), "mill-7");
  t.is(field(event, "1:Value"), raised.value);
  t.is(field(event, "1:Limit"), raised.limit);
  t.true(field(event, "ActiveState.Id"));
  t.false(field(event, "AckedState.Id"));

  // Back below the limits: a latched level holds on the node until acknowledged.
  node.machine.set(X_TONE, 1);
  await rig.runFor(4 * WINDOW_MS);
  t.is(rig.on("mill-7", "alarm").at(-1).level, "alarm", "latched: no return to normal before the acknowledgement");

  const condition = "ns=1;s=mill-7/Alarms/x.vRms";
  const result = await session.call({ objectId: condition, methodId: ACKNOWLEDGE_METHOD, inputArguments: [{ dataType: DataType.ByteString, value: field(event, "EventId") }, { dataType: DataType.LocalizedText, value: { text: "seen by the test" } }] });
  t.true(result.statusCode.equals(StatusCodes.Good), result.statusCode.toString());
  await until(() => rig.on("mill-7", "cmd/ack-alarm/ack").length > 0, "the node's ack of cmd/ack-alarm");
  t.like(rig.on("mill-7", "cmd/ack-alarm/ack")[0], { ok: true, acknowledged: 1 });
  await rig.runFor(3 * WINDOW_MS);
  t.is(rig.on("mill-7", "alarm").at(-1).level, "normal", "released on the node");
  await until(() => events.some((e) => field(e, "1:Metric") === "x.vRms" && field(e, "ActiveState.Id") === false), "the return to normal as an event");
});

test("each method publishes the node's command and returns the node's ack; a node that does not answer times out", async (t) => {
  const rig = await startOpcuaRig(t, { specs: [{ nodeId: "belt-2", seed: 2, machine: DEFAULT_MACHINE, config: {} }], gateway: { commandTimeoutMs: 3000 } });
  await rig.runTo(2 * WINDOW_MS);
  const session = await rig.session();
  // As a SCADA finds them: the node object's method components, called with the node as the object.
  const browsed = await session.browse({ nodeId: "ns=1;s=belt-2", browseDirection: BrowseDirection.Forward, referenceTypeId: "HasComponent", includeSubtypes: true, nodeClassMask: NodeClass.Method, resultMask: 63 });
  const methods = new Map((browsed.references ?? []).map((r) => [r.browseName.name!, r.nodeId]));
  t.deepEqual([...methods.keys()].sort(), ["AcknowledgeAlarm", "Capture", "ResetBaseline", "Restart", "SetConfig"]);
  const call = (method: string, ...args: string[]) =>
    session.call({ objectId: "ns=1;s=belt-2", methodId: methods.get(method)!, inputArguments: args.map((value) => ({ dataType: DataType.String, value })) });

  const config = await call("SetConfig", JSON.stringify({ monitor: { iso: false } }));
  t.true(config.statusCode.equals(StatusCodes.Good));
  await until(() => rig.on("belt-2", "cmd/config/ack").length === 1, "the subscriber to see the ack");
  t.deepEqual(JSON.parse(config.outputArguments![1].value), rig.on("belt-2", "cmd/config/ack")[0], "the method returns the node's own ack");
  t.true(config.outputArguments![0].value);

  const refused = await call("AcknowledgeAlarm", "q.nothing");
  t.true(refused.statusCode.equals(StatusCodes.Good), "the node answered");
  t.false(refused.outputArguments![0].value);
  t.regex(JSON.parse(refused.outputArguments![1].value).error, /no rule watches q\.nothing/);

  const bad = await call("SetConfig", "{not json");
  t.true(bad.statusCode.equals(StatusCodes.BadInvalidArgument));

  // The node is gone (a power cut, halted): its command is published and never answered.
  rig.nodes[0].host.killConnections();
  rig.nodes[0].host.haltTimers();
  const silent = await call("Capture");
  t.true(silent.statusCode.equals(StatusCodes.BadTimeout), silent.statusCode.toString());
});

test("a killed node's variables turn bad when the broker publishes its will, and good again with its next telemetry", async (t) => {
  const rig = await startOpcuaRig(t, { specs: [{ nodeId: "fan-9", seed: 6, machine: DEFAULT_MACHINE, config: {} }] });
  await rig.runTo(3 * WINDOW_MS);
  const session = await rig.session();
  await readUntil(session, "fan-9/Temperature", (v) => v.statusCode.equals(StatusCodes.Good), "a first temperature");
  const subscription = await subscribe(t, session);
  const seen: DataValue[] = [];
  const item = ClientMonitoredItem.create(subscription, { nodeId: "ns=1;s=fan-9/Vibration/Z/vRms", attributeId: AttributeIds.Value }, { samplingInterval: 0, queueSize: 100 }, TimestampsToReturn.Both);
  item.on("changed", (dv) => seen.push(dv));
  await new Promise((resolve) => item.once("initialized", resolve));

  const [node] = rig.nodes;
  node.host.killConnections();
  node.host.haltTimers();
  await until(() => rig.on("fan-9", "status").some((s) => s.state === "offline"), "the will on the broker");
  await until(() => seen.some((dv) => dv.statusCode.equals(StatusCodes.BadNoCommunication)), "the monitored value turning bad");
  for (const id of ["fan-9/Temperature", "fan-9/Vibration/X/aRms", "fan-9/State"]) {
    await readUntil(session, id, (v) => v.statusCode.equals(StatusCodes.BadNoCommunication), `${id} bad`);
  }
  t.is((await readUntil(session, "fan-9/Status", () => true, "status")).value.value, "offline");

  node.powerLoss(); // the power comes back: a cold boot
  await until(() => node.app.mqtt.connected, "the node back on the broker");
  await rig.runFor(3 * WINDOW_MS);
  const last = rig.on("fan-9", "telemetry").at(-1);
  await until(() => seen.some((dv) => dv.statusCode.equals(StatusCodes.Good) && dv.value.value === last.vib.z.vRms), "the value good again");
  t.is((await readUntil(session, "fan-9/Status", (v) => v.value.value === "online", "online")).value.value, "online");
});
