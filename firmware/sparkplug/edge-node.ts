/*
 * Sparkplug B 3.0 edge node session logic, independent of sockets. It turns
 * session events and metric values into (topic, payload, qos, retain)
 * messages handed to `publish`, and interprets NCMD / DCMD / STATE messages.
 * The node is the edge node; the sensor is its one device.
 *
 * Session, as the app drives it (docs/sparkplug.md):
 *   will()        before every MQTT CONNECT: takes the next bdSeq (0..255,
 *                 persisted through saveBdSeq) and returns the NDEATH will
 *   subscriptions()  subscribe once (the MQTT client renews them per session)
 *   connected()   CONNACK: NBIRTH (seq 0, bdSeq of the last will) + DBIRTH,
 *                 or, with primaryHostId, wait for STATE online first
 *   disconnected()  the session is gone; values keep being recorded
 *   message()     every incoming PUBLISH; true when it was Sparkplug's
 *   reportNode() / reportDevice()  new values; NDATA / DDATA carry only the
 *                 metrics that changed (beyond their deadband), by alias
 *   deviceFault() / deviceRecovered()  DDEATH / DBIRTH of the sensor
 *   rebirth()     NBIRTH + DBIRTH again with the same bdSeq, seq restarts at 0
 *   shutdown()    publishes NDEATH before a clean disconnect
 *
 * seq: NBIRTH is 0; every later NDATA, DBIRTH, DDATA, DDEATH takes the next
 * value, 255 wraps to 0. NDEATH carries no seq.
 */
import {
  checkValue,
  DATA_TYPE_NAMES,
  DataType,
  decodePayload,
  encodePayload,
  isPayloadError,
  valueAs,
  valueFieldOf,
  type DataTypeCode,
  type DecodedMetric,
  type Metric,
  type MetricValue,
} from "./payload.js";
import { utf8Decode } from "../util/utf8.js";

export const NAMESPACE = "spBv1.0";
export const BDSEQ_METRIC = "bdSeq";
export const REBIRTH_METRIC = "Node Control/Rebirth";

export interface MetricDef {
  /** Sparkplug metric name; "/" makes folders in the host's tag tree. */
  name: string;
  datatype: DataTypeCode;
  /** Fixed alias; otherwise one is assigned in catalogue order (node metrics first). */
  alias?: number;
  /** Value before the first report (default: null, sent as is_null). */
  initial?: MetricValue;
  /** NCMD/DCMD may write it (delivered through onWrite). */
  writable?: boolean;
  /** Numbers: a change smaller than or equal to this is not reported (default 0: any change). */
  deadband?: number;
  /** Marks the metric transient (hosts do not historise it). */
  transient?: boolean;
}

export interface SparkplugMessage {
  topic: string;
  payload: Uint8Array;
  qos: 0 | 1;
  retain: boolean;
}

export interface MetricWrite {
  name: string;
  alias: number | undefined;
  datatype: DataTypeCode;
  value: MetricValue;
}

export interface EdgeNodeOptions {
  groupId: string;
  edgeNodeId: string;
  /** The sensor, as a Sparkplug device. */
  deviceId: string;
  /** Edge-node metrics besides bdSeq and Node Control/Rebirth (which are built in). */
  nodeMetrics?: readonly MetricDef[];
  deviceMetrics: readonly MetricDef[];
  /** Wait for spBv1.0/STATE/<primaryHostId> online before births. */
  primaryHostId?: string;
  /** The device starts alive (default true); false: no DBIRTH until deviceRecovered(). */
  deviceAlive?: boolean;
  /** Wall time, ms since the epoch (UTC), or undefined while the clock is not set (timestamps are then omitted). */
  now(): number | undefined;
  /** Sends one message (the MQTT client's publish). */
  publish(message: SparkplugMessage): void;
  /** The bdSeq of the last CONNECT before this boot (undefined: none, start at 0). */
  loadBdSeq?(): number | undefined;
  /** Persists the bdSeq just put in a will. */
  saveBdSeq?(bdSeq: number): void;
  /** Accepted writes of writable metrics from NCMD ("node") or DCMD ("device"), in payload order. */
  onWrite?(target: "node" | "device", writes: MetricWrite[]): void;
  /** The primary host went offline while we were in session: NDEATH is published; disconnect and connect again (next will). */
  onHostOffline?(): void;
  /** A refused or malformed command, an unknown metric in a report, an encoding failure. */
  onError?(message: string): void;
}

export interface EdgeNodeStats {
  nbirths: number;
  dbirths: number;
  ndata: number;
  ddata: number;
  ddeaths: number;
  ndeaths: number;
  rebirths: number;
  commands: number;
  rejected: number;
}

type SessionState = "offline" | "waiting" | "online";

interface Entry {
  def: MetricDef;
  alias: number | undefined;
  device: boolean;
  value: MetricValue;
  /** Value last published (birth or data). */
  sent: MetricValue;
  timestamp: number | undefined;
}

const INVALID_ID = /[/+#]/;

export class EdgeNode {
  readonly stats: EdgeNodeStats = { nbirths: 0, dbirths: 0, ndata: 0, ddata: 0, ddeaths: 0, ndeaths: 0, rebirths: 0, commands: 0, rejected: 0 };
  readonly topics: {
    nbirth: string;
    ndeath: string;
    ndata: string;
    ncmd: string;
    dbirth: string;
    ddata: string;
    ddeath: string;
    dcmd: string;
    state: string | undefined;
  };

  #o: EdgeNodeOptions;
  #byName = new Map<string, Entry>();
  #byAlias = new Map<number, Entry>();
  #node: Entry[] = [];
  #device: Entry[] = [];
  #state: SessionState = "offline";
  #deviceAlive: boolean;
  #deviceBorn = false;
  #seq = 0;
  #bdSeq: number | undefined;
  #nextBdSeq: number;
  #willPayload: Uint8Array | undefined;
  #hostOnline = false;
  #hostTimestamp: number | undefined;

  constructor(options: EdgeNodeOptions) {
    const bad = checkEdgeNodeOptions(options);
    if (bad !== undefined) throw new Error(`sparkplug: ${bad}`);
    this.#o = options;
    const g = options.groupId;
    const e = options.edgeNodeId;
    const d = options.deviceId;
    this.topics = {
      nbirth: `${NAMESPACE}/${g}/NBIRTH/${e}`,
      ndeath: `${NAMESPACE}/${g}/NDEATH/${e}`,
      ndata: `${NAMESPACE}/${g}/NDATA/${e}`,
      ncmd: `${NAMESPACE}/${g}/NCMD/${e}`,
      dbirth: `${NAMESPACE}/${g}/DBIRTH/${e}/${d}`,
      ddata: `${NAMESPACE}/${g}/DDATA/${e}/${d}`,
      ddeath: `${NAMESPACE}/${g}/DDEATH/${e}/${d}`,
      dcmd: `${NAMESPACE}/${g}/DCMD/${e}/${d}`,
      state: options.primaryHostId !== undefined ? `${NAMESPACE}/STATE/${options.primaryHostId}` : undefined,
    };
    this.#deviceAlive = options.deviceAlive !== false;

    // Built-in node metrics: no alias (hosts send Rebirth by name) [tck-id-operational-behavior-data-commands-rebirth-name-aliases].
    this.#add({ name: BDSEQ_METRIC, datatype: DataType.Int64 }, false, undefined);
    this.#add({ name: REBIRTH_METRIC, datatype: DataType.Boolean, initial: false, writable: true }, false, undefined);
    const all: [MetricDef, boolean][] = [];
    for (const m of options.nodeMetrics ?? []) all.push([m, false]);
    for (const m of options.deviceMetrics) all.push([m, true]);
    const used = new Set<number>();
    for (const [m] of all) if (m.alias !== undefined) used.add(m.alias);
    let next = 1;
    for (const [m, device] of all) {
      let alias = m.alias;
      if (alias === undefined) {
        while (used.has(next)) next++;
        alias = next++;
      }
      this.#add(m, device, alias);
    }

    const last = options.loadBdSeq?.();
    this.#nextBdSeq = typeof last === "number" && Number.isInteger(last) && last >= 0 && last <= 255 ? (last + 1) & 255 : 0;
  }

  #add(def: MetricDef, device: boolean, alias: number | undefined): void {
    const initial = def.initial === undefined ? null : normalize(def.datatype, def.initial);
    const entry: Entry = { def, alias, device, value: initial, sent: initial, timestamp: undefined };
    this.#byName.set(def.name, entry);
    if (alias !== undefined) this.#byAlias.set(alias, entry);
    (device ? this.#device : this.#node).push(entry);
  }

  /** bdSeq of the current (last) will; undefined before the first will(). */
  get bdSeq(): number | undefined {
    return this.#bdSeq;
  }

  /** True once NBIRTH went out in this session (DATA may flow). */
  get online(): boolean {
    return this.#state === "online";
  }

  /** Waiting for the primary host's STATE online before births. */
  get waitingForHost(): boolean {
    return this.#state === "waiting";
  }

  get deviceAlive(): boolean {
    return this.#deviceAlive;
  }

  /** Alias assigned to a metric (undefined for bdSeq, Rebirth and unknown names). */
  aliasOf(name: string): number | undefined {
    return this.#byName.get(name)?.alias;
  }

  /** The catalogue with assigned aliases, node metrics first (for docs and the app). */
  catalogue(): { name: string; alias: number | undefined; datatype: string; device: boolean; writable: boolean }[] {
    return [...this.#node, ...this.#device].map((e) => ({ name: e.def.name, alias: e.alias, datatype: DATA_TYPE_NAMES[e.def.datatype], device: e.device, writable: e.def.writable === true }));
  }

  /** Current value of a metric. */
  valueOf(name: string): MetricValue | undefined {
    return this.#byName.get(name)?.value;
  }

  /** Topics to subscribe (QoS 1): NCMD, DCMD of the sensor, and STATE of the primary host when configured. */
  subscriptions(): { topic: string; qos: 1 }[] {
    const subs: { topic: string; qos: 1 }[] = [
      { topic: this.topics.ncmd, qos: 1 },
      { topic: this.topics.dcmd, qos: 1 },
    ];
    if (this.topics.state !== undefined) subs.push({ topic: this.topics.state, qos: 1 });
    return subs;
  }

  /**
   * The NDEATH will for the next MQTT CONNECT (QoS 1, not retained). Takes the
   * next bdSeq (0..255) and persists it. Call once per CONNECT packet.
   */
  will(): SparkplugMessage {
    const bdSeq = this.#nextBdSeq;
    this.#nextBdSeq = (bdSeq + 1) & 255;
    this.#bdSeq = bdSeq;
    try {
      this.#o.saveBdSeq?.(bdSeq);
    } catch (e) {
      this.#error(`saveBdSeq failed: ${errorText(e)}`);
    }
    this.#willPayload = this.#encode({ timestamp: this.#now(), metrics: [{ name: BDSEQ_METRIC, datatype: DataType.Int64, value: bdSeq }] });
    return this.#deathMessage();
  }

  #deathMessage(): SparkplugMessage {
    return { topic: this.topics.ndeath, payload: this.#willPayload ?? new Uint8Array(0), qos: 1, retain: false };
  }

  /** The MQTT session is up (CONNACK). Births now, or after STATE online when a primary host is configured. */
  connected(): void {
    if (this.#bdSeq === undefined) this.will(); // the app forgot: keep NBIRTH consistent with what we would have sent
    this.#hostOnline = false; // the retained STATE arrives again after the subscription
    if (this.topics.state !== undefined) {
      this.#state = "waiting";
      return;
    }
    this.#births();
  }

  /** The MQTT session is gone. */
  disconnected(): void {
    this.#state = "offline";
    this.#hostOnline = false;
  }

  /**
   * Publishes NDEATH (the same bytes as the will) and leaves the session:
   * call before a clean MQTT DISCONNECT, which makes the broker drop the will.
   */
  shutdown(): void {
    if (this.#state === "offline") return;
    this.#state = "offline";
    this.stats.ndeaths++;
    this.#publish(this.#deathMessage());
  }

  /** Answers a Rebirth request: NBIRTH (seq 0, same bdSeq) and DBIRTH with all current values. */
  rebirth(): void {
    if (this.#state !== "online") return; // births are pending anyway
    this.stats.rebirths++;
    this.#births();
  }

  /**
   * New edge-node metric values. Published at once as NDATA with the metrics
   * that changed, when online. Returns how many metrics went out.
   */
  reportNode(values: Readonly<Record<string, MetricValue>>, timestamp?: number): number {
    return this.#report(values, false, timestamp);
  }

  /** New sensor values; DDATA with the changed metrics when online and the device is alive. */
  reportDevice(values: Readonly<Record<string, MetricValue>>, timestamp?: number): number {
    return this.#report(values, true, timestamp);
  }

  /** The sensor failed: DDEATH (once). Values are still recorded for the next DBIRTH. */
  deviceFault(): void {
    if (!this.#deviceAlive) return;
    this.#deviceAlive = false;
    if (this.#state === "online" && this.#deviceBorn) {
      this.#deviceBorn = false;
      this.stats.ddeaths++;
      this.#send(this.topics.ddeath, []);
    }
  }

  /** The sensor is back: DBIRTH with all current values. */
  deviceRecovered(): void {
    if (this.#deviceAlive) return;
    this.#deviceAlive = true;
    if (this.#state === "online") this.#dbirth();
  }

  /**
   * An incoming PUBLISH. Returns true when the topic is one of this edge
   * node's Sparkplug topics (NCMD, DCMD, STATE), whether or not the payload
   * was acceptable. Never throws.
   */
  message(topic: string, payload: Uint8Array): boolean {
    try {
      if (topic === this.topics.ncmd) {
        this.#command(false, payload);
        return true;
      }
      if (topic === this.topics.dcmd) {
        this.#command(true, payload);
        return true;
      }
      if (this.topics.state !== undefined && topic === this.topics.state) {
        this.#stateMessage(payload);
        return true;
      }
    } catch (e) {
      this.#error(`handling ${topic} failed: ${errorText(e)}`);
      return true;
    }
    return false;
  }

  // --- births and data -----------------------------------------------------

  #births(): void {
    this.#state = "online";
    this.#seq = 0;
    const ts = this.#now();
    const metrics: Metric[] = [];
    for (const e of this.#node) {
      if (e.def.name === BDSEQ_METRIC) e.value = this.#bdSeq ?? 0;
      if (e.def.name === REBIRTH_METRIC) e.value = false;
      metrics.push(this.#birthMetric(e, ts));
    }
    this.stats.nbirths++;
    this.#send(this.topics.nbirth, metrics, ts);
    this.#deviceBorn = false;
    if (this.#deviceAlive) this.#dbirth();
  }

  #dbirth(): void {
    const ts = this.#now();
    const metrics: Metric[] = [];
    for (const e of this.#device) metrics.push(this.#birthMetric(e, ts));
    this.#deviceBorn = true;
    this.stats.dbirths++;
    this.#send(this.topics.dbirth, metrics, ts);
  }

  #birthMetric(e: Entry, ts: number | undefined): Metric {
    e.sent = e.value;
    const m: Metric = { name: e.def.name, datatype: e.def.datatype, value: e.value };
    if (e.alias !== undefined) m.alias = e.alias;
    const t = e.timestamp ?? ts;
    if (t !== undefined) m.timestamp = t;
    if (e.def.transient) m.isTransient = true;
    return m;
  }

  #report(values: Readonly<Record<string, MetricValue>>, device: boolean, timestamp: number | undefined): number {
    const ts = timestamp ?? this.#now();
    const changed: Entry[] = [];
    for (const name of Object.keys(values)) {
      const e = this.#byName.get(name);
      if (e === undefined || e.device !== device || e.def.name === BDSEQ_METRIC || e.def.name === REBIRTH_METRIC) {
        this.#error(`report: no ${device ? "device" : "node"} metric "${name}"`);
        continue;
      }
      const raw = values[name];
      const bad = checkValue(e.def.datatype, raw);
      if (bad !== undefined) {
        this.#error(`report: "${name}": ${bad}`);
        continue;
      }
      e.value = normalize(e.def.datatype, raw);
      e.timestamp = ts;
      if (differs(e)) changed.push(e);
    }
    if (this.#state !== "online" || changed.length === 0) return 0;
    if (device && !this.#deviceBorn) return 0;
    const metrics: Metric[] = [];
    for (const e of changed) {
      e.sent = e.value;
      const m: Metric = { alias: e.alias, datatype: e.def.datatype, omitDatatype: true, value: e.value };
      if (ts !== undefined) m.timestamp = ts;
      if (e.def.transient) m.isTransient = true;
      metrics.push(m);
    }
    if (device) this.stats.ddata++;
    else this.stats.ndata++;
    this.#send(device ? this.topics.ddata : this.topics.ndata, metrics, ts);
    return metrics.length;
  }

  #send(topic: string, metrics: Metric[], ts = this.#now()): void {
    const seq = this.#seq;
    this.#seq = (seq + 1) & 255;
    const payload = this.#encode({ timestamp: ts, metrics, seq });
    this.#publish({ topic, payload, qos: 0, retain: false });
  }

  #encode(p: Parameters<typeof encodePayload>[0]): Uint8Array {
    const bytes = encodePayload(p);
    if (isPayloadError(bytes)) {
      this.#error(`encode failed: ${bytes.error}`);
      return new Uint8Array(0);
    }
    return bytes;
  }

  #publish(m: SparkplugMessage): void {
    try {
      this.#o.publish(m);
    } catch (e) {
      this.#error(`publish failed: ${errorText(e)}`);
    }
  }

  // --- incoming --------------------------------------------------------------

  #command(device: boolean, payload: Uint8Array): void {
    this.stats.commands++;
    const decoded = decodePayload(payload);
    if (isPayloadError(decoded)) return this.#reject(`${device ? "DCMD" : "NCMD"} refused: ${decoded.error}`);
    let rebirth = false;
    const writes: MetricWrite[] = [];
    for (const m of decoded.metrics) {
      const e = this.#resolve(m);
      const label = m.name !== undefined ? `"${m.name}"` : `alias ${String(m.alias)}`;
      if (e === undefined || e.device !== device) {
        this.#reject(`${device ? "DCMD" : "NCMD"}: unknown metric ${label}`);
        continue;
      }
      if (!e.def.writable) {
        this.#reject(`${device ? "DCMD" : "NCMD"}: metric ${label} is not writable`);
        continue;
      }
      const value = valueAs(m, e.def.datatype);
      if (isPayloadError(value)) {
        this.#reject(`${device ? "DCMD" : "NCMD"}: metric ${label}: ${value.error}`);
        continue;
      }
      if (e.def.name === REBIRTH_METRIC) {
        if (value === true) rebirth = true;
        continue;
      }
      writes.push({ name: e.def.name, alias: e.alias, datatype: e.def.datatype, value });
    }
    if (writes.length > 0 && this.#o.onWrite !== undefined) {
      try {
        this.#o.onWrite(device ? "device" : "node", writes);
      } catch (err) {
        this.#error(`onWrite failed: ${errorText(err)}`);
      }
    }
    if (rebirth) this.rebirth();
  }

  #resolve(m: DecodedMetric): Entry | undefined {
    if (m.name !== undefined) return this.#byName.get(m.name);
    if (typeof m.alias === "number") return this.#byAlias.get(m.alias);
    return undefined;
  }

  #stateMessage(payload: Uint8Array): void {
    const text = utf8Decode(payload);
    let online: boolean | undefined;
    let timestamp: number | undefined;
    if (text !== undefined) {
      try {
        const v = JSON.parse(text) as unknown;
        if (typeof v === "object" && v !== null) {
          const o = v as Record<string, unknown>;
          if (typeof o.online === "boolean") online = o.online;
          if (typeof o.timestamp === "number" && Number.isFinite(o.timestamp)) timestamp = o.timestamp;
        }
      } catch {
        // not JSON
      }
    }
    if (online === undefined || timestamp === undefined) return this.#reject(`STATE ignored: not {"online":bool,"timestamp":ms}`);
    // A STATE older than the last one seen belongs to an earlier host session [tck-id-message-flow-edge-node-birth-publish-phid-wait-timestamp].
    if (this.#hostTimestamp !== undefined && timestamp < this.#hostTimestamp) return;
    this.#hostTimestamp = timestamp;
    if (online) {
      this.#hostOnline = true;
      if (this.#state === "waiting") this.#births();
      return;
    }
    this.#hostOnline = false;
    if (this.#state === "online") {
      // [tck-id-message-flow-edge-node-birth-publish-phid-offline]: NDEATH, disconnect, start over.
      this.shutdown();
      try {
        this.#o.onHostOffline?.();
      } catch (e) {
        this.#error(`onHostOffline failed: ${errorText(e)}`);
      }
    }
  }

  get hostOnline(): boolean {
    return this.#hostOnline;
  }

  #reject(message: string): void {
    this.stats.rejected++;
    this.#error(message);
  }

  #error(message: string): void {
    try {
      this.#o.onError?.(message);
    } catch {
      // a logging callback must not break the session
    }
  }

  #now(): number | undefined {
    const t = this.#o.now();
    return typeof t === "number" && Number.isFinite(t) && t >= 0 ? Math.round(t) : undefined;
  }
}

/** Float metrics compare in float32 (what goes on the wire); non-finite numbers become null (is_null). */
function normalize(datatype: DataTypeCode, v: MetricValue): MetricValue {
  if (typeof v === "number" && (datatype === DataType.Float || datatype === DataType.Double)) {
    if (!Number.isFinite(v)) return null;
    return datatype === DataType.Float ? Math.fround(v) : v;
  }
  return v;
}

function differs(e: Entry): boolean {
  const a = e.value;
  const b = e.sent;
  if (a === b) return false;
  if (typeof a === "number" && typeof b === "number") {
    const db = e.def.deadband ?? 0;
    return Math.abs(a - b) > db;
  }
  if (a instanceof Uint8Array && b instanceof Uint8Array) {
    if (a.length !== b.length) return true;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return true;
    return false;
  }
  return true;
}

function checkId(id: unknown, what: string): string | undefined {
  if (typeof id !== "string" || id.length === 0) return `${what} must be a non-empty string`;
  if (INVALID_ID.test(id)) return `${what} "${id}" must not contain '/', '+' or '#'`;
  return undefined;
}

/** Validates the options; returns the first problem or undefined. */
export function checkEdgeNodeOptions(o: EdgeNodeOptions): string | undefined {
  const bad = checkId(o.groupId, "groupId") ?? checkId(o.edgeNodeId, "edgeNodeId") ?? checkId(o.deviceId, "deviceId");
  if (bad !== undefined) return bad;
  if (o.primaryHostId !== undefined) {
    const b = checkId(o.primaryHostId, "primaryHostId");
    if (b !== undefined) return b;
  }
  const names = new Set<string>([BDSEQ_METRIC, REBIRTH_METRIC]);
  const aliases = new Set<number>();
  for (const m of [...(o.nodeMetrics ?? []), ...o.deviceMetrics]) {
    if (typeof m.name !== "string" || m.name.length === 0) return "a metric needs a name";
    if (names.has(m.name)) return `metric "${m.name}" is defined twice (or is built in)`;
    names.add(m.name);
    if (valueFieldOf(m.datatype) === undefined) return `metric "${m.name}": data type ${m.datatype} not supported`;
    if (m.alias !== undefined) {
      if (!Number.isSafeInteger(m.alias) || m.alias < 0) return `metric "${m.name}": alias must be a non-negative integer`;
      if (aliases.has(m.alias)) return `metric "${m.name}": alias ${m.alias} used twice`;
      aliases.add(m.alias);
    }
    if (m.initial !== undefined) {
      const e = checkValue(m.datatype, m.initial);
      if (e !== undefined) return `metric "${m.name}": initial value: ${e}`;
    }
  }
  return undefined;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
