/*
 * The OPC UA gateway against a simulated fleet (the real firmware on an embedded
 * broker): an independent node-opcua-client browses, reads and subscribes as a
 * SCADA would, and every value is compared with what an independent MQTT
 * subscriber saw in the same run.
 */
import test from "ava";
import { AttributeIds, BrowseDirection, DataChangeFilter, DataChangeTrigger, DataType, NodeClass, StatusCodes, TimestampsToReturn, ClientSubscription, ClientMonitoredItem, type DataValue } from "node-opcua-client";
import type { NodeSpec } from "../tools/simulator/simulation.js";
import { DEFAULT_MACHINE } from "../tools/simulator/simulation.js";
import { readUntil, readValue, startOpcuaRig, WINDOW_MS } from "./helpers/opcua.js";
import { until } from "./helpers/wait.js";

const spec = (nodeId: string, seed: number, config: Record<string, unknown> = {}): NodeSpec => ({ nodeId, seed, machine: DEFAULT_MACHINE, config });
const AXES = ["x", "y", "z"] as const;

/** UNECE common code as OPC UA's UnitId (Part 8): the test's own reading of the standard. */
const unece = (code: string) => [...code].reduce((id, c) => id * 256 + c.charCodeAt(0), 0);

/** BrowseNames of the children (components and organized nodes; a node object is also its folder's event source, the same child). */
async function browseNames(session: Awaited<ReturnType<Awaited<ReturnType<typeof startOpcuaRig>>["session"]>>, nodeId: string): Promise<string[]> {
  const r = await session.browse({ nodeId, browseDirection: BrowseDirection.Forward, resultMask: 63, includeSubtypes: true, referenceTypeId: "HierarchicalReferences" });
  return [...new Set((r.references ?? []).map((ref) => ref.browseName.name!))];
}

test("browse the fleet and read every vibration and temperature value as the MQTT subscriber saw it, with the node's ts, units and ranges", async (t) => {
  const rig = await startOpcuaRig(t, { specs: [spec("press-1", 3), spec("fan-2", 9)] });
  await rig.runTo(6 * WINDOW_MS);
  const session = await rig.session();
  for (const n of ["press-1", "fan-2"]) {
    const last = rig.on(n, "telemetry").at(-1);
    t.truthy(last, `${n} published telemetry`);
    // The gateway has the node's last window once Seq says so (an event: no timed bound).
    await readUntil(session, `${n}/Seq`, (v) => v.value.value === last.seq, `${n}'s last seq in the address space`);
    for (const axis of AXES) {
      const features = last.vib[axis];
      const browsed = await browseNames(session, `ns=1;s=${n}/Vibration/${axis.toUpperCase()}`);
      t.deepEqual(browsed.sort(), Object.keys(features).sort(), `${n} ${axis}: one variable per payload feature, named as in the payload`);
      for (const [name, expected] of Object.entries(features)) {
        const dv = await readValue(session, `${n}/Vibration/${axis.toUpperCase()}/${name}`);
        t.is(dv.value.value, expected, `${n} ${axis}.${name}`);
        t.true(dv.statusCode.equals(StatusCodes.Good));
        t.is(dv.sourceTimestamp!.getTime(), last.ts, "source timestamp = the node's ts");
      }
    }
    const temperature = await readValue(session, `${n}/Temperature`);
    t.is(temperature.value.value, last.temp.c);
    t.is((await readValue(session, `${n}/State`)).value.value, last.state);
    t.is((await readValue(session, `${n}/Status`)).value.value, "online");
    t.is((await readValue(session, `${n}/Firmware`)).value.value, rig.on(n, "status").at(-1).fw);
    t.is((await readValue(session, `${n}/Outbox/queued`)).value.value, last.outbox.queued);
  }
  t.deepEqual((await browseNames(session, "ns=1;s=press-1")).filter((b) => /^[A-Z]/.test(b)).sort(), [
    "AcknowledgeAlarm", "Alarms", "Boot", "Capture", "Faults", "Firmware", "Outbox", "ResetBaseline", "Restart", "Running", "RunHours", "Seq", "SetConfig", "State", "Status", "Temperature", "Vibration",
  ].sort());

  // AnalogItemType with UNECE units and a range; a top-level browse finds the nodes under Objects/SensorNodes.
  const objects = await session.browse("ns=0;i=85");
  const folder = objects.references!.find((r) => r.browseName.name === "SensorNodes")!;
  t.deepEqual((await browseNames(session, folder.nodeId.toString())).sort(), ["fan-2", "press-1"]);
  // Every node's variables have them, whether the node came first or later (the properties are shared).
  for (const n of ["press-1", "fan-2"]) {
    for (const [id, code] of [["Vibration/X/vRms", "C16"], ["Vibration/Y/vRms", "C16"], ["Vibration/X/aRms", "K40"], ["Vibration/X/fDom", "HTZ"], ["Temperature", "CEL"]] as const) {
      const p = await session.translateBrowsePath({ startingNode: `ns=1;s=${n}/${id}`, relativePath: { elements: [{ targetName: { namespaceIndex: 0, name: "EngineeringUnits" } }] } } as never);
      t.is((await session.read({ nodeId: p.targets![0].targetId, attributeId: AttributeIds.Value })).value.value.unitId, unece(code), `${n} ${id}`);
    }
  }
  const range = await session.translateBrowsePath({ startingNode: "ns=1;s=press-1/Vibration/X/vRms", relativePath: { elements: [{ targetName: { namespaceIndex: 0, name: "EURange" } }] } } as never);
  const r = (await session.read({ nodeId: range.targets![0].targetId, attributeId: AttributeIds.Value })).value.value;
  t.true(r.low <= 0 && r.high > 11, "EURange covers ISO zone D");
  const typeDef = await session.browse({ nodeId: "ns=1;s=press-1/Vibration/X/vRms", referenceTypeId: "HasTypeDefinition", browseDirection: BrowseDirection.Forward, resultMask: 63, includeSubtypes: true, nodeClassMask: NodeClass.VariableType });
  t.is(typeDef.references![0].browseName.name, "AnalogItemType");
  const dataType = await session.read({ nodeId: "ns=1;s=press-1/Vibration/X/vRms", attributeId: AttributeIds.DataType });
  t.is(dataType.value.value.value, DataType.Double);
  // The values are the node's: a client cannot write them.
  const written = await session.write({ nodeId: "ns=1;s=press-1/Vibration/X/vRms", attributeId: AttributeIds.Value, value: { value: { dataType: DataType.Double, value: 0 } } });
  t.true(written.equals(StatusCodes.BadNotWritable) || written.equals(StatusCodes.BadUserAccessDenied), written.toString());
});

test("a monitored item receives every window's update, in order, with the node's values and timestamps", async (t) => {
  const rig = await startOpcuaRig(t, { specs: [spec("pump-4", 5)] });
  await rig.runTo(2 * WINDOW_MS);
  const session = await rig.session();
  const subscription = ClientSubscription.create(session, { requestedPublishingInterval: 50, requestedMaxKeepAliveCount: 20, publishingEnabled: true, maxNotificationsPerPublish: 0 });
  t.teardown(() => subscription.terminate().catch(() => {}));
  const seen: DataValue[] = [];
  const item = ClientMonitoredItem.create(
    subscription,
    { nodeId: "ns=1;s=pump-4/Vibration/X/vRms", attributeId: AttributeIds.Value },
    // Every window, even one whose value repeats: the trigger includes the source timestamp.
    { samplingInterval: 0, queueSize: 1000, discardOldest: false, filter: new DataChangeFilter({ trigger: DataChangeTrigger.StatusValueTimestamp }) },
    TimestampsToReturn.Both,
  );
  item.on("changed", (dv) => seen.push(dv));
  await new Promise((resolve) => item.once("initialized", resolve));
  // The initial notification carries the value the gateway already holds.
  await until(() => seen.length >= 1, "the initial value");
  const from = rig.on("pump-4", "telemetry").length;
  await rig.runFor(12 * WINDOW_MS);
  const windows = rig.on("pump-4", "telemetry").slice(from);
  t.true(windows.length >= 10);
  await until(() => seen.some((dv) => dv.sourceTimestamp?.getTime() === windows.at(-1).ts), "the last window's notification");
  const after = seen.slice(1);
  t.deepEqual(after.map((dv) => dv.sourceTimestamp!.getTime()), windows.map((w) => w.ts), "one notification per window, none missing, none extra");
  t.deepEqual(after.map((dv) => dv.value.value), windows.map((w) => w.vib.x.vRms));
});
