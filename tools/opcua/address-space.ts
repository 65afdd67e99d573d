/*
 * The fleet in the server's address space: Objects/SensorNodes/<nodeId>/ with a
 * variable per reading (payload-map.ts), created the first time a node
 * publishes it. NodeIds are strings that spell the path
 * (`ns=1;s=<nodeId>/Vibration/X/vRms`), so a SCADA tag list can be written by
 * hand. A node's will turns every value it published to BadNoCommunication
 * (the value kept); its next telemetry turns each back to Good.
 *
 * Lean at fleet scale (docs/opcua.md, "Bench"; decisions.md 55): node-opcua
 * holds some 2.5 KiB per address-space node, and two thirds of a sensor node's
 * were copies of what every node has alike. So those are made once: the
 * EURange and EngineeringUnits of each quantity are shared properties (a
 * Property shall be the target of at least one HasProperty reference,
 * OPC 10000-3 5.6.3), the command methods shared components (methods.ts).
 */
import { DataType, StatusCodes, Variant, type AddressSpace, type BaseNode, type Namespace, type UAObject, type UAObjectType, type UAVariable } from "node-opcua";
import type { ReadingSink, ReadingValue } from "./payload-map.js";
import { quantityOf } from "./payload-map.js";
import { unitId, type Quantity } from "./units.js";
import { dataTypeOf, ValueSlot } from "./value-slot.js";

/** Where OPC UA Part 8 says the UNECE codes live. */
const UNECE_NAMESPACE = "http://www.opcfoundation.org/UA/units/un/cefact";
/** The folder under Objects that holds the nodes. */
export const SENSOR_NODES = "SensorNodes";
/** The ObjectType of every node's object: it holds the shared methods. */
export const SENSOR_NODE_TYPE = "SensorNodeType";
/** Sub-objects of a node's object that organise variables (everything else is a variable). */
const FOLDERS = new Set(["Vibration", "X", "Y", "Z", "env", "Outbox"]);

/** What the fleet's nodes share, made once per server. */
interface Shared {
  ns: Namespace;
  type: UAObjectType;
  /** Each quantity's EURange and EngineeringUnits, by quantity name. */
  properties: Map<string, UAVariable[]>;
  /** Values written, over all nodes. */
  stats: { updates: number };
}

/** One folder of a node's object (the object itself at the root): its sub-folders and variables, each made on first use. */
class Folder implements ReadingSink {
  readonly object: UAObject;
  readonly #node: SensorNodeObject;
  /** NodeId of the folder, `<nodeId>/Vibration/X` (`<nodeId>` at the root). */
  readonly #id: string;
  readonly #folders = new Map<string, Folder>();
  readonly #slots = new Map<string, ValueSlot>();

  constructor(node: SensorNodeObject, object: UAObject, id: string) {
    this.#node = node;
    this.object = object;
    this.#id = id;
  }

  folder(name: string): Folder {
    let f = this.#folders.get(name);
    if (!f) {
      const id = `${this.#id}/${name}`;
      const object = this.#node.shared.ns.addObject({ browseName: name, nodeId: `s=${id}`, componentOf: this.object, typeDefinition: FOLDERS.has(name) ? "FolderType" : undefined });
      f = new Folder(this.#node, object, id);
      this.#folders.set(name, f);
    }
    return f;
  }

  value(name: string, value: ReadingValue, quantity?: Quantity): void {
    if (this.slot(name, value, quantity).write(value, this.#node.at)) this.#node.shared.stats.updates++;
  }

  /** The variable `name`, made on first use with `sample`'s type (for a number: an AnalogItemType when the quantity is known). */
  slot(name: string, sample: ReadingValue, quantity?: Quantity): ValueSlot {
    let s = this.#slots.get(name);
    if (!s) {
      s = new ValueSlot(this.#addVariable(name, sample, quantity), dataTypeOf(sample));
      this.#slots.set(name, s);
      this.#node.slots.push(s);
    }
    return s;
  }

  #addVariable(name: string, sample: ReadingValue, quantity: Quantity | undefined): UAVariable {
    const { ns } = this.#node.shared;
    // Read only: the values are the node's (a client's write could not reach it).
    const options = { componentOf: this.object, browseName: name, nodeId: `s=${this.#id}/${name}`, minimumSamplingInterval: 0, accessLevel: "CurrentRead", userAccessLevel: "CurrentRead" } as const;
    if (typeof sample !== "number") return ns.addVariable({ ...options, dataType: dataTypeOf(sample) });
    if (!quantity) return ns.addVariable({ ...options, dataType: "Double", typeDefinition: "DataItemType" });
    const v = ns.addVariable({ ...options, dataType: "Double", typeDefinition: "AnalogItemType" });
    const shared = this.#node.shared.properties.get(quantity.name);
    if (shared) for (const p of shared) v.addReference({ referenceType: "HasProperty", nodeId: p.nodeId });
    else this.#node.shared.properties.set(quantity.name, quantityProperties(ns, v, quantity));
    return v;
  }
}

/** EURange and EngineeringUnits of `quantity`, made as properties of `first`, the first variable that has it. */
function quantityProperties(ns: Namespace, first: UAVariable, q: Quantity): UAVariable[] {
  const property = (name: string, dataType: string, fields: Record<string, unknown>) =>
    ns.addVariable({
      propertyOf: first,
      browseName: { name, namespaceIndex: 0 },
      nodeId: `s=quantities/${q.name}/${name}`,
      typeDefinition: "PropertyType",
      dataType,
      accessLevel: "CurrentRead",
      userAccessLevel: "CurrentRead",
      minimumSamplingInterval: 0,
      value: new Variant({ dataType: DataType.ExtensionObject, value: ns.addressSpace.constructExtensionObject(ns.addressSpace.findDataType(dataType)!, fields) }),
    });
  const units = { namespaceUri: UNECE_NAMESPACE, unitId: unitId(q.unit.code), displayName: { text: q.unit.symbol }, description: { text: q.unit.description } };
  return [property("EURange", "Range", q.range), property("EngineeringUnits", "EUInformation", units)];
}

/** One node's object and its variables. */
export class SensorNodeObject {
  readonly object: UAObject;
  readonly shared: Shared;
  readonly #id: string;
  readonly #root: Folder;
  /** Every variable of the node, for the offline mark. */
  readonly slots: ValueSlot[] = [];
  /** Source timestamp of the values being written (the node's `ts`). */
  at = new Date(0);

  constructor(shared: Shared, parent: UAObject, nodeId: string) {
    this.shared = shared;
    this.#id = nodeId;
    // An event source under the SensorNodes notifier: its alarms reach clients subscribed to it, to the folder or to the Server.
    this.object = shared.ns.addObject({ organizedBy: parent, browseName: nodeId, nodeId: `s=${nodeId}`, typeDefinition: shared.type, eventSourceOf: parent, eventNotifier: 1 });
    this.#root = new Folder(this, this.object, nodeId);
  }

  get nodeId(): string {
    return this.#id;
  }

  /** Where the readings of a message stamped `at` go. */
  values(at: Date): ReadingSink {
    this.at = at;
    return this.#root;
  }

  /** The variable at `path` (made, without a value, if the node has not published it: an alarm's input). */
  variable(path: string[], sample: ReadingValue = 0): UAVariable {
    return this.slot(path, sample, quantityOf(path)).variable;
  }

  /** The variable at `path` as a slot to write (made on first use with `sample`'s type). */
  slot(path: string[], sample: ReadingValue, quantity?: Quantity): ValueSlot {
    let f = this.#root;
    for (let i = 0; i < path.length - 1; i++) f = f.folder(path[i]);
    return f.slot(path[path.length - 1], sample, quantity);
  }

  /** A Good value stamped `at` into `slot` (one of this node's). */
  write(slot: ValueSlot, value: ReadingValue, at: Date): void {
    if (slot.write(value, at)) this.shared.stats.updates++;
  }

  /** Some of the node's values turn BadNoCommunication (a Sparkplug device's death). */
  mark(slots: Iterable<ValueSlot>, at: Date): void {
    for (const s of slots) s.mark(StatusCodes.BadNoCommunication, at);
  }

  /** Online: Status only (values turn Good with the next telemetry); offline: every value BadNoCommunication. */
  setOnline(online: boolean, at: Date): void {
    this.values(at).value("Status", online ? "online" : "offline");
    if (online) return;
    const status = this.#root.slot("Status", "");
    this.mark(this.slots.filter((s) => s !== status), at);
  }
}

/** The SensorNodes folder and its nodes, each made when it first publishes. */
export class FleetAddressSpace {
  readonly ns: Namespace;
  readonly folder: UAObject;
  /** The nodes' ObjectType; the methods shared by every node are its components. */
  readonly type: UAObjectType;
  readonly stats = { updates: 0 };
  readonly #shared: Shared;
  readonly #nodes = new Map<string, SensorNodeObject>();
  /** Called with each node as it appears (the gateway adds its alarms and methods). */
  onNew: (node: SensorNodeObject) => void = () => {};

  constructor(addressSpace: AddressSpace) {
    this.ns = addressSpace.getOwnNamespace();
    // A numeric NodeId: the string ids belong to the nodes (a node may be named anything).
    const objects = addressSpace.rootFolder.objects;
    this.folder = this.ns.addObject({ organizedBy: objects, typeDefinition: "FolderType", browseName: SENSOR_NODES, notifierOf: objects.server, eventNotifier: 1 });
    this.type = this.ns.addObjectType({ browseName: SENSOR_NODE_TYPE, nodeId: `s=${SENSOR_NODE_TYPE}` });
    this.#shared = { ns: this.ns, type: this.type, properties: new Map(), stats: this.stats };
  }

  get size(): number {
    return this.#nodes.size;
  }

  node(nodeId: string): SensorNodeObject {
    let n = this.#nodes.get(nodeId);
    if (!n) {
      n = new SensorNodeObject(this.#shared, this.folder, nodeId);
      this.#nodes.set(nodeId, n);
      this.onNew(n);
    }
    return n;
  }

  /** The node whose object `object` is (the object a method is called on), if it is one of ours. */
  byObject(object: BaseNode | undefined): SensorNodeObject | undefined {
    const n = object ? this.#nodes.get(object.browseName.name ?? "") : undefined;
    return n?.object === object ? n : undefined;
  }
}
