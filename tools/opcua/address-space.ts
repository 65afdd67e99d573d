/*
 * The fleet in the server's address space: Objects/SensorNodes/<nodeId>/ with a
 * variable per reading (payload-map.ts), created the first time a node
 * publishes it. NodeIds are strings that spell the path
 * (`ns=1;s=<nodeId>/Vibration/X/vRms`), so a SCADA tag list can be written by
 * hand. A node's will turns every value it published to BadNoCommunication
 * (the value kept); its next telemetry turns each back to Good.
 */
import { DataType, StatusCodes, type Namespace, type UAObject, type UAVariable, type StatusCode, type AddressSpace } from "node-opcua";
import type { Reading, ReadingValue } from "./payload-map.js";
import { quantityOf } from "./payload-map.js";
import { unitId, type Quantity } from "./units.js";

/** Where OPC UA Part 8 says the UNECE codes live. */
const UNECE_NAMESPACE = "http://www.opcfoundation.org/UA/units/un/cefact";
/** The folder under Objects that holds the nodes. */
export const SENSOR_NODES = "SensorNodes";
/** Sub-objects of a node's object that organise variables (everything else is a variable). */
const FOLDERS = new Set(["Vibration", "X", "Y", "Z", "env", "Outbox"]);

const dataTypeOf = (v: ReadingValue): DataType => (typeof v === "number" ? DataType.Double : typeof v === "boolean" ? DataType.Boolean : DataType.String);

/** One node's object and its variables. */
export class SensorNodeObject {
  readonly object: UAObject;
  readonly #ns: Namespace;
  readonly #id: string;
  readonly #variables = new Map<string, UAVariable>();
  readonly #folders = new Map<string, UAObject>();
  #online = true;

  constructor(ns: Namespace, parent: UAObject, nodeId: string) {
    this.#ns = ns;
    this.#id = nodeId;
    // An event source under the SensorNodes notifier: its alarms reach clients subscribed to it, to the folder or to the Server.
    this.object = ns.addObject({ organizedBy: parent, browseName: nodeId, nodeId: `s=${nodeId}`, eventSourceOf: parent, eventNotifier: 1 });
  }

  get nodeId(): string {
    return this.#id;
  }

  get online(): boolean {
    return this.#online;
  }

  /** The variable at `path`, made on first use (for a number: an AnalogItemType when the unit is known). */
  variable(path: string[], sample: ReadingValue, quantity?: Quantity): UAVariable {
    const key = path.join("/");
    let v = this.#variables.get(key);
    if (v) return v;
    const parent = this.#folder(path.slice(0, -1));
    const options = { componentOf: parent, browseName: path[path.length - 1], nodeId: `s=${this.#id}/${key}`, minimumSamplingInterval: 0 };
    if (typeof sample !== "number") v = this.#ns.addVariable({ ...options, dataType: dataTypeOf(sample) });
    else if (!quantity) v = this.#ns.addDataItem({ ...options, dataType: "Double" });
    else {
      v = this.#ns.addAnalogDataItem({
        ...options,
        dataType: "Double",
        engineeringUnitsRange: quantity.range,
        engineeringUnits: { namespaceUri: UNECE_NAMESPACE, unitId: unitId(quantity.unit.code), displayName: { text: quantity.unit.symbol }, description: { text: quantity.unit.description } },
      });
    }
    this.#variables.set(key, v);
    return v;
  }

  /** A metric's variable for an alarm's input, made (without a value yet) if telemetry has not named it. */
  inputVariable(path: string[], sample: ReadingValue = 0): UAVariable {
    return this.#variables.get(path.join("/")) ?? this.variable(path, sample, quantityOf(path));
  }

  set(path: string[], value: ReadingValue, sourceTimestamp: Date, quantity?: Quantity): UAVariable {
    const v = this.variable(path, value, quantity);
    v.setValueFromSource({ dataType: dataTypeOf(value), value }, StatusCodes.Good, sourceTimestamp);
    return v;
  }

  apply(readings: Reading[], sourceTimestamp: Date): void {
    for (const r of readings) this.set(r.path, r.value, sourceTimestamp, r.quantity);
    this.#online = true;
  }

  /** Online: Status only (values turn Good with the next telemetry); offline: every value BadNoCommunication. */
  setOnline(online: boolean, at: Date): void {
    this.set(["Status"], online ? "online" : "offline", at);
    this.#online = online;
    if (!online) this.#mark(StatusCodes.BadNoCommunication, at);
  }

  #mark(status: StatusCode, at: Date): void {
    for (const [key, v] of this.#variables) {
      if (key === "Status") continue;
      v.setValueFromSource(v.readValue().value, status, at);
    }
  }

  #folder(path: string[]): UAObject {
    let parent = this.object;
    for (let i = 0; i < path.length; i++) {
      const key = path.slice(0, i + 1).join("/");
      let f = this.#folders.get(key);
      if (!f) {
        const name = path[i];
        const options = { browseName: name, nodeId: `s=${this.#id}/${key}` };
        f = this.#ns.addObject({ ...options, componentOf: parent, typeDefinition: FOLDERS.has(name) ? "FolderType" : undefined });
        this.#folders.set(key, f);
      }
      parent = f;
    }
    return parent;
  }
}

/** The SensorNodes folder and its nodes, each made when it first publishes. */
export class FleetAddressSpace {
  readonly ns: Namespace;
  readonly folder: UAObject;
  readonly #nodes = new Map<string, SensorNodeObject>();
  readonly #onNew: (node: SensorNodeObject) => void;

  constructor(addressSpace: AddressSpace, onNew: (node: SensorNodeObject) => void = () => {}) {
    this.ns = addressSpace.getOwnNamespace();
    // A numeric NodeId: the string ids belong to the nodes (a node may be named anything).
    const objects = addressSpace.rootFolder.objects;
    this.folder = this.ns.addObject({ organizedBy: objects, typeDefinition: "FolderType", browseName: SENSOR_NODES, notifierOf: objects.server, eventNotifier: 1 });
    this.#onNew = onNew;
  }

  get size(): number {
    return this.#nodes.size;
  }

  node(nodeId: string): SensorNodeObject {
    let n = this.#nodes.get(nodeId);
    if (!n) {
      n = new SensorNodeObject(this.ns, this.folder, nodeId);
      this.#nodes.set(nodeId, n);
      this.#onNew(n);
    }
    return n;
  }
}
