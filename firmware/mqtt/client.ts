/*
 * An MQTT 3.1.1 and 5.0 client (`protocolVersion: 4 | 5`, default 4;
 * docs/mqtt.md): the session (session.ts: queue, in-flight window, resend,
 * subscriptions) over one connection at a time (connection.ts: socket,
 * CONNECT/CONNACK, keepalive, limits, backoff). This class is the API the
 * application uses; it only composes the two.
 */
import { ClientContext } from "./context.js";
import type { MqttConnection } from "./connection.js";
import type { MqttClientOptions, MqttStats, PublishOptions, PublishSource } from "./options.js";
import { MqttSession } from "./session.js";

export type { MqttClientOptions, MqttServer, MqttStats, PublishOptions, PublishSource, SourcedMessage, Will } from "./options.js";
export type { SkippedPacket } from "./packet.js";
export { DEFAULT_MAX_PACKET_SIZE } from "./connection.js";

export class MqttClient {
  readonly stats: MqttStats;
  #c: ClientContext;
  #session: MqttSession;
  #conn: MqttConnection;

  constructor(options: MqttClientOptions) {
    this.#c = new ClientContext(options);
    this.stats = this.#c.stats;
    this.#session = new MqttSession(this.#c);
    this.#conn = this.#session.connection;
  }

  get protocolVersion(): 4 | 5 {
    return this.#c.version;
  }

  /** The client identifier in use (the server-assigned one in MQTT 5 when ours was empty). */
  get clientId(): string {
    return this.#conn.assignedId ?? this.#c.options.clientId;
  }

  /** What this connection runs with: the in-flight window, keepalive (s), and the server's Maximum Packet Size (MQTT 5). */
  get limits(): { inflight: number; keepalive: number; maximumPacketSize: number | undefined } {
    const conn = this.#conn;
    return { inflight: conn.window, keepalive: conn.keepaliveS, maximumPacketSize: conn.codec.maximumPacketSize };
  }

  get connected(): boolean {
    return this.#conn.connected;
  }

  /**
   * The caller is about to hold the CPU for `ms` (a window's features): a PINGREQ that
   * would fall due meanwhile goes now, since its timer cannot fire before the work is
   * done and the broker allows only half a keepalive of lateness (MQTT 3.1.2.10).
   */
  pingAhead(ms: number): void {
    this.#conn.pingAhead(ms);
  }

  /** True while a reply from the broker is due (CONNACK, PINGRESP, PUBACK, SUBACK). */
  get awaitingReply(): boolean {
    const conn = this.#conn;
    if (conn.state === "connecting") return true;
    return conn.connected && (conn.pingOutstanding || this.#session.awaitingAck);
  }

  /** How many replies from the broker are due (a simulator waits for them in real time: tools/simulator/drive.ts). */
  get repliesDue(): number {
    const conn = this.#conn;
    if (conn.state === "connecting") return 1;
    return conn.connected ? (conn.pingOutstanding ? 1 : 0) + this.#session.acksDue : 0;
  }

  /** QoS 1 messages held: queued plus in flight. */
  get pending(): number {
    return this.#session.pending;
  }

  /** QoS 1 messages sent and not yet acknowledged. */
  get inflight(): number {
    return this.#session.inflight;
  }

  /** Messages are pulled from `source` (after the client's own queue) whenever the in-flight window has room. */
  setSource(source: PublishSource | undefined): void {
    this.#session.setSource(source);
  }

  /** The source has a new message: send it now if the window has room. */
  wake(): void {
    this.#session.pump();
  }

  start(): void {
    this.#conn.start();
  }

  /** Sends DISCONNECT (so the broker discards the will), closes, and stays down. Undelivered QoS 1 messages get onDone(false). */
  stop(): void {
    const conn = this.#conn;
    if (conn.state === "stopped") return;
    const wasConnected = conn.connected;
    conn.stop();
    this.#session.abandon();
    const c = this.#c;
    c.log("info", "stopped");
    if (wasConnected) c.callback(() => c.options.onDisconnect?.("stopped"));
  }

  /**
   * Ends this connection cleanly (DISCONNECT, so the broker drops the will) and connects again at
   * once: the next CONNECT evaluates a will function again. Messages not yet acknowledged stay and
   * go again on the new connection. Nothing happens unless connected. Sparkplug B's answer to its
   * primary host going offline (docs/sparkplug.md).
   */
  reconnect(reason: string): void {
    this.#conn.reconnect(reason);
  }

  /**
   * Publishes a message. QoS 0 is sent only while connected (otherwise dropped,
   * onDone(false)); QoS 1 is queued and onDone(true) follows the PUBACK.
   */
  publish(topic: string, payload: Uint8Array | string, options: PublishOptions, onDone?: (delivered: boolean) => void): void {
    this.#session.publish(topic, payload, options, onDone);
  }

  /** Subscribes now if connected, and again on every new session. */
  subscribe(topicFilter: string, qos: 0 | 1): void {
    this.#session.subscribe(topicFilter, qos);
  }
}
