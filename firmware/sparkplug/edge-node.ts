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
 *   onHostOffline  the primary host went offline while the node was born:
 *                 NDEATH is out; the app disconnects and connects again
 *
 * seq: NBIRTH is 0; every later NDATA, DBIRTH, DDATA, DDEATH takes the next
 * value, 255 wraps to 0. NDEATH carries no seq.
 *
 * The NDEATH the node publishes itself (before a DISCONNECT) goes at QoS 0:
 * written at once, never queued behind the in-flight window, never resent on
 * a later connection, so each connection has exactly one NDEATH, this or its
 * will (docs/decisions.md, 51). The will stays QoS 1
 * [tck-id-payloads-ndeath-will-message-qos].
 *
 * This file is the session; the metric catalogue (aliases, report by
 * exception) is in catalogue.ts, reading NCMD / DCMD / STATE in commands.ts,
 * the topic names in topics.ts.
 */
import { DataType, encodePayload, isPayloadError, type Metric, type MetricValue, type Payload } from "./payload.js";
import { BDSEQ_METRIC, birthMetric, Catalogue, checkMetricDefs, dataMetric, REBIRTH_METRIC, type Entry, type MetricDef } from "./catalogue.js";
import { readCommand, readState, type MetricWrite } from "./commands.js";
import { checkId, edgeNodeTopics, type EdgeNodeTopics } from "./topics.js";

export { BDSEQ_METRIC, REBIRTH_METRIC, type MetricDef } from "./catalogue.js";
export type { MetricWrite } from "./commands.js";
export { NAMESPACE, type EdgeNodeTopics } from "./topics.js";

export interface SparkplugMessage {
  topic: string;
  payload: Uint8Array;
  qos: 0 | 1;
  retain: boolean;
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
  /**
   * The primary host went offline while we were born: NDEATH is published; now disconnect and
   * connect again (next will, next bdSeq) [tck-id-operational-behavior-edge-node-termination-host-offline-reconnect].
   */
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

export class EdgeNode {
  readonly stats: EdgeNodeStats = { nbirths: 0, dbirths: 0, ndata: 0, ddata: 0, ddeaths: 0, ndeaths: 0, rebirths: 0, commands: 0, rejected: 0 };
  readonly topics: EdgeNodeTopics;

  #o: EdgeNodeOptions;
  #metrics: Catalogue;
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
    this.topics = edgeNodeTopics(options.groupId, options.edgeNodeId, options.deviceId, options.primaryHostId);
    this.#deviceAlive = options.deviceAlive !== false;
    this.#metrics = new Catalogue(options.nodeMetrics ?? [], options.deviceMetrics);
    const last = options.loadBdSeq?.();
    this.#nextBdSeq = typeof last === "number" && Number.isInteger(last) && last >= 0 && last <= 255 ? (last + 1) & 255 : 0;
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

  get hostOnline(): boolean {
    return this.#hostOnline;
  }

  /** Alias assigned to a metric (undefined for bdSeq, Rebirth and unknown names). */
  aliasOf(name: string): number | undefined {
    return this.#metrics.byName.get(name)?.alias;
  }

  /** The catalogue with assigned aliases, node metrics first (for docs and the app). */
  catalogue(): { name: string; alias: number | undefined; datatype: string; device: boolean; writable: boolean }[] {
    return this.#metrics.list();
  }

  /** Current value of a metric. */
  valueOf(name: string): MetricValue | undefined {
    return this.#metrics.byName.get(name)?.value;
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

  // --- session -------------------------------------------------------------

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

  /** The will's NDEATH: QoS 1, not retained [tck-id-payloads-ndeath-will-message-qos, -retain]; QoS 0 when we publish it ourselves (above). */
  #deathMessage(qos: 0 | 1 = 1): SparkplugMessage {
    return { topic: this.topics.ndeath, payload: this.#willPayload ?? new Uint8Array(0), qos, retain: false };
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
   * call before a clean MQTT DISCONNECT, which makes the broker drop the will
   * [tck-id-operational-behavior-edge-node-intentional-disconnect-ndeath].
   */
  shutdown(): void {
    if (this.#state === "offline") return;
    this.#state = "offline";
    this.stats.ndeaths++;
    this.#publish(this.#deathMessage(0));
  }

  /** Answers a Rebirth request: NBIRTH (seq 0, same bdSeq) and DBIRTH with all current values. */
  rebirth(): void {
    if (this.#state !== "online") return; // births are pending anyway
    this.stats.rebirths++;
    this.#births();
  }

  // --- births and deaths -----------------------------------------------------

  #births(): void {
    this.#state = "online";
    this.#seq = 0;
    const ts = this.#now();
    const metrics: Metric[] = [];
    for (const e of this.#metrics.node) {
      if (e.def.name === BDSEQ_METRIC) e.value = this.#bdSeq ?? 0;
      if (e.def.name === REBIRTH_METRIC) e.value = false;
      metrics.push(birthMetric(e, ts));
    }
    this.stats.nbirths++;
    this.#send(this.topics.nbirth, metrics, ts);
    this.#deviceBorn = false;
    if (this.#deviceAlive) this.#dbirth();
  }

  #dbirth(): void {
    const ts = this.#now();
    const metrics: Metric[] = [];
    for (const e of this.#metrics.device) metrics.push(birthMetric(e, ts));
    this.#deviceBorn = true;
    this.stats.dbirths++;
    this.#send(this.topics.dbirth, metrics, ts);
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

  // --- data ------------------------------------------------------------------

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

  #report(values: Readonly<Record<string, MetricValue>>, device: boolean, timestamp: number | undefined): number {
    const ts = timestamp ?? this.#now();
    const changed: Entry[] = [];
    for (const name of Object.keys(values)) {
      const result = this.#metrics.record(name, values[name], device, ts);
      if (typeof result === "string") this.#error(`report: ${result}`);
      else if (result !== undefined) changed.push(result);
    }
    if (this.#state !== "online" || changed.length === 0) return 0;
    if (device && !this.#deviceBorn) return 0;
    const metrics: Metric[] = [];
    for (const e of changed) metrics.push(dataMetric(e, ts));
    if (device) this.stats.ddata++;
    else this.stats.ndata++;
    this.#send(device ? this.topics.ddata : this.topics.ndata, metrics, ts);
    return metrics.length;
  }

  // --- incoming --------------------------------------------------------------

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

  #command(device: boolean, payload: Uint8Array): void {
    this.stats.commands++;
    const { writes, rebirth } = readCommand(this.#metrics, device, payload, (m) => this.#reject(m));
    if (writes.length > 0 && this.#o.onWrite !== undefined) {
      try {
        this.#o.onWrite(device ? "device" : "node", writes);
      } catch (err) {
        this.#error(`onWrite failed: ${errorText(err)}`);
      }
    }
    if (rebirth) this.rebirth();
  }

  #stateMessage(payload: Uint8Array): void {
    const state = readState(payload);
    if (state === undefined) return this.#reject(`STATE ignored: not {"online":bool,"timestamp":ms}`);
    // A STATE older than the last one seen belongs to an earlier host session, delivered late: ignored
    // [tck-id-message-flow-edge-node-birth-publish-phid-wait-timestamp, tck-id-operational-behavior-edge-node-termination-host-offline-timestamp].
    // The last one seen outlives connections; a retained one repeated on a new subscription has the same timestamp and counts.
    if (this.#hostTimestamp !== undefined && state.timestamp < this.#hostTimestamp) return;
    this.#hostTimestamp = state.timestamp;
    if (state.online) {
      this.#hostOnline = true;
      if (this.#state === "waiting") this.#births();
      return;
    }
    this.#hostOnline = false;
    // Only a born node leaves: one still waiting stays connected for the host's next online STATE.
    if (this.#state === "online") {
      // NDEATH, disconnect, start over [tck-id-message-flow-edge-node-birth-publish-phid-offline,
      // tck-id-operational-behavior-edge-node-termination-host-offline].
      this.shutdown();
      try {
        this.#o.onHostOffline?.();
      } catch (e) {
        this.#error(`onHostOffline failed: ${errorText(e)}`);
      }
    }
  }

  // --- output ----------------------------------------------------------------

  #send(topic: string, metrics: Metric[], ts = this.#now()): void {
    const seq = this.#seq;
    this.#seq = (seq + 1) & 255;
    const payload = this.#encode({ timestamp: ts, metrics, seq });
    this.#publish({ topic, payload, qos: 0, retain: false });
  }

  #encode(p: Payload): Uint8Array {
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

/** Validates the options; returns the first problem or undefined. */
export function checkEdgeNodeOptions(o: EdgeNodeOptions): string | undefined {
  const bad = checkId(o.groupId, "groupId") ?? checkId(o.edgeNodeId, "edgeNodeId") ?? checkId(o.deviceId, "deviceId");
  if (bad !== undefined) return bad;
  if (o.primaryHostId !== undefined) {
    const b = checkId(o.primaryHostId, "primaryHostId");
    if (b !== undefined) return b;
  }
  return checkMetricDefs([...(o.nodeMetrics ?? []), ...o.deviceMetrics]);
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
