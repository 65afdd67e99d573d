/*
 * Sparkplug B nodes in the same address space (docs/opcua.md, "Sparkplug B"):
 * the gateway is a Sparkplug host application on `spBv1.0/<group>/#`. A node
 * in Sparkplug mode is an edge node named by its node id with one device, its
 * sensor (docs/sparkplug.md). Births declare each metric's name, alias and
 * datatype; data messages carry aliases and only what changed; the metric's
 * variable is the one its JSON field has (payload-map.ts, sparkplugMetric).
 *
 *   NBIRTH  Status online; the node's metrics (Firmware, Boot, ...)
 *   DBIRTH  the sensor's metrics, every one with its current value
 *   NDATA, DDATA  the changed metrics, by alias
 *   DDEATH  the sensor's values BadNoCommunication (until its next DBIRTH)
 *   NDEATH  (the will; only with the bdSeq of the current birth) Status
 *           offline, every value BadNoCommunication
 *
 * Values come by exception, so a lost data message would leave a value
 * stale: data from a node without a birth, or after a gap in `seq` (0..255),
 * makes the gateway ask for a rebirth (NCMD Node Control/Rebirth), as the
 * specification says a host does; at most once per REBIRTH_INTERVAL_MS per
 * node. Sparkplug nodes publish no alarm transitions (the State metric
 * carries the level), so they have no conditions; their commands are the
 * JSON ones (methods.ts), which a node in Sparkplug mode also takes.
 */
import { DataType, decodePayload, encodePayload, isPayloadError, valueAs, type DecodedMetric } from "../../firmware/sparkplug/payload.js";
import type { FleetAddressSpace, SensorNodeObject } from "./address-space.js";
import { sparkplugFaults, sparkplugMetric } from "./payload-map.js";
import type { SlotValue, ValueSlot } from "./value-slot.js";

export const SPARKPLUG_NAMESPACE = "spBv1.0";
/** The firmware's default Sparkplug group (`sparkplug.groupId`). */
export const DEFAULT_SPARKPLUG_GROUP = "sensors";
/** The firmware's own device id for its sensor (firmware/app/sparkplug-link.ts): its metrics go to the node's object. */
const SENSOR_DEVICE = "sensor";
/** Ask a node for its births at most this often (ms). */
export const REBIRTH_INTERVAL_MS = 5000;

/** A metric as its birth declared it. */
interface Binding {
  slot: ValueSlot;
  datatype: number;
  /** Faults: the text turned into the JSON payload's form. */
  faults: boolean;
}

/** One edge node's session as the gateway follows it. */
interface EdgeNode {
  node: SensorNodeObject;
  /** bdSeq of the current NBIRTH (an NDEATH with another is an old session's). */
  bdSeq?: number;
  /** seq of the last message, undefined before a birth. */
  seq?: number;
  /** Node metrics, and each device's, by alias. */
  aliases: Map<string, Map<number, Binding>>;
  rebirthAskedAt: number;
}

export interface SparkplugInputOptions {
  group: string;
  fleet: FleetAddressSpace;
  /** Sends an NCMD (QoS 0). */
  publish(topic: string, payload: Uint8Array): void;
  log(line: string): void;
}

const numeric = (datatype: number) => datatype !== DataType.Boolean && datatype !== DataType.String && datatype !== DataType.Text && datatype !== DataType.UUID;

/** A metric's value as a variable holds it (numbers as Double), or undefined for none (null, a type the gateway does not serve). */
function slotValue(m: DecodedMetric, datatype: number): SlotValue | undefined {
  const v = valueAs(m, datatype);
  if (typeof v === "bigint") return Number(v);
  return typeof v === "number" || typeof v === "string" || typeof v === "boolean" ? v : undefined;
}

export class SparkplugInput {
  readonly filter: string;
  readonly #o: SparkplugInputOptions;
  readonly #edges = new Map<string, EdgeNode>();

  constructor(o: SparkplugInputOptions) {
    this.#o = o;
    this.filter = `${SPARKPLUG_NAMESPACE}/${o.group}/#`;
  }

  /** A message on the filter; false when it is not one the gateway serves (malformed, another group, a command). */
  message(topic: string, payload: Uint8Array, receivedAt = Date.now()): boolean {
    const [ns, group, type, edgeId, deviceId, ...rest] = topic.split("/");
    if (ns !== SPARKPLUG_NAMESPACE || group !== this.#o.group || !edgeId || rest.length) return false;
    if (type === "NCMD" || type === "DCMD") return true; // commands (ours among them): not data
    const p = decodePayload(payload);
    if (isPayloadError(p)) return false;
    const at = new Date(p.timestamp !== undefined ? Number(p.timestamp) : receivedAt);
    const seq = p.seq !== undefined ? Number(p.seq) : undefined;
    const edge = this.#edge(edgeId);
    switch (type) {
      case "NBIRTH": {
        const bdSeq = p.metrics.find((m) => m.name === "bdSeq");
        edge.bdSeq = bdSeq && typeof bdSeq.value !== "undefined" ? Number(bdSeq.value) : undefined;
        edge.aliases.clear();
        edge.node.setOnline(true, at);
        this.#birth(edge, "", p.metrics, at);
        edge.seq = seq;
        return true;
      }
      case "DBIRTH":
        if (!deviceId) return false;
        this.#follow(edge, seq);
        this.#birth(edge, deviceId, p.metrics, at);
        return true;
      case "NDATA":
      case "DDATA": {
        const aliases = edge.aliases.get(type === "NDATA" ? "" : (deviceId ?? ""));
        // Out of order or unknown: ask for the births; what can be read is still served.
        if (!this.#follow(edge, seq) || !aliases) this.#askRebirth(edgeId, edge);
        if (!aliases) return true;
        for (const m of p.metrics) {
          const b = m.alias !== undefined ? aliases.get(Number(m.alias)) : undefined;
          if (b && !m.isHistorical) this.#write(edge.node, b, m, at);
        }
        return true;
      }
      case "DDEATH":
        if (!deviceId) return false;
        this.#follow(edge, seq);
        edge.node.mark([...(edge.aliases.get(deviceId)?.values() ?? [])].map((b) => b.slot), at);
        return true;
      case "NDEATH": {
        const bdSeq = p.metrics.find((m) => m.name === "bdSeq");
        if (edge.bdSeq !== undefined && bdSeq !== undefined && Number(bdSeq.value) !== edge.bdSeq) return true; // an old session's will
        edge.node.setOnline(false, at);
        edge.seq = undefined;
        edge.aliases.clear();
        return true;
      }
      default:
        return false;
    }
  }

  #edge(id: string): EdgeNode {
    let e = this.#edges.get(id);
    if (!e) {
      e = { node: this.#o.fleet.node(id), aliases: new Map(), rebirthAskedAt: -Infinity };
      this.#edges.set(id, e);
    }
    return e;
  }

  /** Takes the message's seq; false when the session is unknown or a message was missed (a rebirth is due). */
  #follow(edge: EdgeNode, seq: number | undefined): boolean {
    const expected = edge.seq === undefined ? undefined : (edge.seq + 1) & 255;
    const inOrder = expected !== undefined && seq === expected;
    if (seq !== undefined && edge.seq !== undefined) edge.seq = seq;
    return inOrder;
  }

  /** The metrics of a birth bound by alias (a device's under its id, the node's under ""), each written. */
  #birth(edge: EdgeNode, device: string, metrics: DecodedMetric[], at: Date): void {
    const aliases = new Map<number, Binding>();
    edge.aliases.set(device, aliases);
    for (const m of metrics) {
      const mapped = m.name !== undefined && m.datatype !== undefined ? sparkplugMetric(m.name) : undefined;
      if (!mapped) continue;
      const path = device === "" || device === SENSOR_DEVICE ? mapped.path : [device, ...mapped.path];
      const sample = numeric(m.datatype!) ? 0 : m.datatype === DataType.Boolean ? false : "";
      const b: Binding = { slot: edge.node.slot(path, sample, numeric(m.datatype!) ? mapped.quantity : undefined), datatype: m.datatype!, faults: m.name === "Faults" };
      if (m.alias !== undefined) aliases.set(Number(m.alias), b);
      this.#write(edge.node, b, m, at);
    }
  }

  #write(node: SensorNodeObject, b: Binding, m: DecodedMetric, at: Date): void {
    const v = slotValue(m, b.datatype);
    if (v === undefined) return;
    const stamp = m.timestamp !== undefined && Number(m.timestamp) !== at.getTime() ? new Date(Number(m.timestamp)) : at;
    node.write(b.slot, b.faults && typeof v === "string" ? sparkplugFaults(v) : v, stamp);
  }

  #askRebirth(edgeId: string, edge: EdgeNode): void {
    const now = Date.now();
    if (now - edge.rebirthAskedAt < REBIRTH_INTERVAL_MS) return;
    edge.rebirthAskedAt = now;
    const payload = encodePayload({ timestamp: now, metrics: [{ name: "Node Control/Rebirth", datatype: DataType.Boolean, value: true }] });
    if (isPayloadError(payload)) return;
    this.#o.log(`${edgeId}: Sparkplug data without its birth or after a gap in seq: asking for a rebirth`);
    this.#o.publish(`${SPARKPLUG_NAMESPACE}/${this.#o.group}/NCMD/${edgeId}`, payload);
  }
}
