/*
 * A minimal MQTT 3.1.1 client session over the Host's TCP socket.
 *
 * - CONNECT with client id, keepalive, clean session, credentials and a will;
 *   every CONNACK refusal (1..5) is reported and backed off long.
 * - PUBLISH QoS 0 and 1. QoS 1 messages wait in a bounded queue while offline
 *   (the oldest is dropped and counted), go out after CONNACK within an
 *   in-flight window, and unacknowledged ones are resent after a reconnect
 *   (DUP=1 when the broker resumed the session).
 * - Keepalive counts from the last packet SENT [MQTT-3.1.2-23]; a PINGREQ
 *   without PINGRESP in time means the connection is dead.
 * - Reconnects with capped exponential backoff and jitter from an injectable
 *   random source, so virtual-time runs are deterministic.
 * - Receives PUBLISH QoS 0/1 (and answers QoS 2 correctly) for commands.
 * - An optional PublishSource (the outbox) feeds QoS 1 messages straight into
 *   the in-flight window when it has room: the client then holds no queue of
 *   its own for them, only the window; the source stores the rest durably.
 *
 * All time goes through host.timers / host.clock. Passwords are never logged.
 */
import type { Host, TCPSocket, TimerId } from "../host.js";
import { utf8Encode } from "../util/utf8.js";
import { encode } from "./codec.js";
import { checkString } from "./bytes.js";
import { connackReason, MAX_PACKET_ID, MQTT_3_1_1, type Packet, type PublishPacket, type QoS } from "./packet.js";
import { MqttParser } from "./parser.js";
import { checkTopicFilter, checkTopicName } from "./topic.js";

export interface MqttServer {
  host: string;
  port: number;
  secure?: boolean;
}

export interface MqttClientOptions {
  host: Host;
  server: MqttServer;
  clientId: string;
  /** Seconds; 0 disables keepalive. */
  keepalive: number;
  cleanSession: boolean;
  username?: string;
  password?: string;
  /** The last will; a function is called before every CONNECT (Sparkplug's bdSeq changes per connection). */
  will?: Will | (() => Will);
  backoff?: { minMs?: number; maxMs?: number };
  /** QoS 1 messages waiting to be sent (offline or window full); the oldest is dropped beyond. Default 256. */
  maxQueued?: number;
  /** QoS 1 messages sent and not yet acknowledged. Default 32. */
  maxInflight?: number;
  /** TCP connect + CONNACK must finish within this. Default 30 s. */
  connectTimeoutMs?: number;
  /** Wait for PINGRESP; default keepalive/2 clamped to 1..30 s. */
  pingTimeoutMs?: number;
  /** Largest packet accepted from the broker. Default 256 KiB. */
  maxPacketSize?: number;
  /** Jitter source in [0, 1); inject a seeded one for deterministic runs. */
  random?: () => number;
  onConnect?(sessionPresent: boolean): void;
  onDisconnect?(reason: string): void;
  onMessage?(topic: string, payload: Uint8Array): void;
  onRefused?(code: number, reason: string): void;
}

export interface Will {
  topic: string;
  payload: Uint8Array | string;
  qos: 0 | 1;
  retain: boolean;
}

export interface MqttStats {
  /** TCP connection attempts. */
  attempts: number;
  /** Accepted CONNACKs. */
  connects: number;
  /** Accepted CONNACKs after a lost connection. */
  reconnects: number;
  /** CONNACK refusals. */
  refused: number;
  /** PUBLISH packets written (first transmissions). */
  sent: number;
  /** PUBLISH packets written again after a reconnect. */
  resent: number;
  /** QoS 1 messages acknowledged by PUBACK. */
  acked: number;
  /** Messages given up: queue overflow, QoS 0 while offline, stop(). */
  dropped: number;
  /** PUBLISH packets received. */
  received: number;
  pings: number;
  pingTimeouts: number;
  protocolErrors: number;
}

/** A QoS 1 message pulled from a PublishSource; `onDone(true)` follows its PUBACK, `onDone(false)` if the client gives it up (stop()). */
export interface SourcedMessage {
  topic: string;
  payload: Uint8Array;
  retain: boolean;
  onDone: (delivered: boolean) => void;
}

/** Where the client pulls QoS 1 messages from when its window has room (the outbox). */
export interface PublishSource {
  /** The next message to send, now in the caller's hands until onDone; undefined when none. */
  next(): SourcedMessage | undefined;
}

export interface PublishOptions {
  qos: 0 | 1;
  retain?: boolean;
}

type State = "idle" | "connecting" | "connected" | "backoff" | "stopped";

interface Outgoing {
  topic: string;
  payload: Uint8Array;
  qos: 0 | 1;
  retain: boolean;
  messageId: number;
  onDone?: (delivered: boolean) => void;
}

interface Sub {
  qos: QoS;
  /** The broker granted it in this session (no need to resubscribe on resume). */
  confirmed: boolean;
}

const DEFAULT_MIN_BACKOFF_MS = 1000;
const DEFAULT_MAX_BACKOFF_MS = 60_000;
const DEFAULT_MAX_QUEUED = 256;
const DEFAULT_MAX_INFLIGHT = 32;
const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_PACKET_SIZE = 256 * 1024;
const MIN_PING_TIMEOUT_MS = 1000;
const MAX_PING_TIMEOUT_MS = 30_000;
/** A refusal will not fix itself soon: skip this many doublings and never wait less than half the cap. */
const REFUSAL_EXTRA_DOUBLINGS = 3;
/** Timers may fire a hair early against the monotonic clock; treat that as on time. */
const TIMER_SLACK_MS = 5;
const LOG_PREFIX = "mqtt: ";

export class MqttClient {
  readonly stats: MqttStats = {
    attempts: 0,
    connects: 0,
    reconnects: 0,
    refused: 0,
    sent: 0,
    resent: 0,
    acked: 0,
    dropped: 0,
    received: 0,
    pings: 0,
    pingTimeouts: 0,
    protocolErrors: 0,
  };

  #o: MqttClientOptions;
  #host: Host;
  #state: State = "idle";
  #socket: TCPSocket | undefined;
  /** Bumped per connection so callbacks from an old socket are ignored. */
  #generation = 0;
  #parser: MqttParser;
  #out: Uint8Array[] = [];
  #writable = 0;
  #connectSent = false;
  #lastSentAt = 0;
  /** When the broker last sent anything: a broker that takes messages but never answers is found by keepalive too. */
  #lastReceivedAt = 0;
  #everConnected = false;
  #failures = 0;
  #pingOutstanding = false;

  #connectTimer: TimerId | undefined;
  #keepaliveTimer: TimerId | undefined;
  #pingTimer: TimerId | undefined;
  #retryTimer: TimerId | undefined;

  #queue: Outgoing[] = [];
  #inflight = new Map<number, Outgoing>();
  #subs = new Map<string, Sub>();
  #pendingSubs = new Map<number, string>();
  /** QoS 2 ids received and not yet released, so a resent PUBLISH is not delivered twice. */
  #qos2Received = new Set<number>();
  #lastId = 0;
  #source: PublishSource | undefined;

  constructor(options: MqttClientOptions) {
    this.#o = options;
    this.#host = options.host;
    this.#parser = new MqttParser({ maxPacketSize: options.maxPacketSize ?? DEFAULT_MAX_PACKET_SIZE });
  }

  get connected(): boolean {
    return this.#state === "connected";
  }

  /** True while a reply from the broker is due (CONNACK, PINGRESP, PUBACK, SUBACK). */
  get awaitingReply(): boolean {
    if (this.#state === "connecting") return true;
    if (this.#state !== "connected") return false;
    return this.#pingOutstanding || this.#inflight.size > 0 || this.#pendingSubs.size > 0;
  }

  /** QoS 1 messages held: queued plus in flight. */
  get pending(): number {
    return this.#queue.length + this.#inflight.size;
  }

  /** Messages are pulled from `source` (after the client's own queue) whenever the in-flight window has room. */
  setSource(source: PublishSource | undefined): void {
    this.#source = source;
    this.#pump();
  }

  /** The source has a new message: send it now if the window has room. */
  wake(): void {
    this.#pump();
  }

  /** QoS 1 messages sent and not yet acknowledged. */
  get inflight(): number {
    return this.#inflight.size;
  }

  start(): void {
    if (this.#state !== "idle" && this.#state !== "stopped") return;
    this.#open();
  }

  /** Sends DISCONNECT (so the broker discards the will), closes, and stays down. Undelivered QoS 1 messages get onDone(false). */
  stop(): void {
    if (this.#state === "stopped") return;
    const wasConnected = this.#state === "connected";
    if (wasConnected && this.#socket !== undefined) {
      const bye = encode({ cmd: "disconnect" });
      try {
        // Everything still queued goes first; the socket's own buffer absorbs it.
        for (const chunk of this.#out) this.#socket.write(chunk);
        if (bye instanceof Uint8Array) this.#socket.write(bye);
      } catch {
        // The connection is going away either way.
      }
      this.#out = [];
    }
    this.#teardown();
    this.#host.timers.clear(this.#retryTimer);
    this.#retryTimer = undefined;
    this.#state = "stopped";
    const abandoned = [...this.#inflight.values(), ...this.#queue];
    this.#inflight.clear();
    this.#queue = [];
    this.stats.dropped += abandoned.length;
    for (const m of abandoned) this.#done(m, false);
    this.#log("info", "stopped");
    if (wasConnected) this.#callback(() => this.#o.onDisconnect?.("stopped"));
  }

  /**
   * Publishes a message. QoS 0 is sent only while connected (otherwise dropped,
   * onDone(false)); QoS 1 is queued and onDone(true) follows the PUBACK.
   */
  publish(topic: string, payload: Uint8Array | string, options: PublishOptions, onDone?: (delivered: boolean) => void): void {
    const bad = checkString(topic, "topic") ?? checkTopicName(topic);
    const qos = options.qos;
    if (bad !== undefined || (qos !== 0 && qos !== 1)) {
      this.#log("error", `publish refused: ${bad ?? `QoS ${qos} not supported`}`);
      this.stats.dropped++;
      if (onDone !== undefined) this.#callback(() => onDone(false));
      return;
    }
    const msg: Outgoing = {
      topic,
      payload: typeof payload === "string" ? utf8Encode(payload) : payload,
      qos,
      retain: options.retain === true,
      messageId: 0,
      onDone,
    };
    if (qos === 0) {
      if (this.#state !== "connected") {
        this.stats.dropped++;
        this.#done(msg, false);
        return;
      }
      const ok = this.#sendPublish(msg, false);
      if (ok) this.stats.sent++;
      this.#done(msg, ok);
      return;
    }
    this.#queue.push(msg);
    const limit = this.#o.maxQueued ?? DEFAULT_MAX_QUEUED;
    while (this.#queue.length > limit) {
      const oldest = this.#queue.shift()!;
      this.stats.dropped++;
      this.#done(oldest, false);
    }
    this.#pump();
  }

  /** Subscribes now if connected, and again on every new session. */
  subscribe(topicFilter: string, qos: 0 | 1): void {
    const bad = checkString(topicFilter, "topic filter") ?? checkTopicFilter(topicFilter);
    if (bad !== undefined || (qos !== 0 && qos !== 1)) {
      this.#log("error", `subscribe refused: ${bad ?? `QoS ${qos} not supported`}`);
      return;
    }
    this.#subs.set(topicFilter, { qos, confirmed: false });
    if (this.#state === "connected") this.#sendSubscribe(topicFilter);
  }

  // --- connection lifecycle -------------------------------------------------

  #open(): void {
    this.#retryTimer = undefined;
    this.#state = "connecting";
    this.stats.attempts++;
    const generation = ++this.#generation;
    this.#parser.reset();
    this.#out = [];
    this.#writable = 0;
    this.#connectSent = false;
    this.#pingOutstanding = false;
    const s = this.#o.server;
    const user = this.#o.username !== undefined ? ` user "${this.#o.username}"` : "";
    this.#log("info", `connecting to ${s.host}:${s.port}${s.secure ? " (TLS)" : ""} as "${this.#o.clientId}"${user}`);
    this.#connectTimer = this.#host.timers.set(() => {
      if (generation === this.#generation) this.#lost("no CONNACK in time");
    }, this.#o.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS);
    try {
      this.#socket = this.#host.io.tcp({
        host: s.host,
        port: s.port,
        secure: s.secure,
        onWritable: (bytes) => {
          if (generation === this.#generation) this.#onWritable(bytes);
        },
        onReadable: () => {
          if (generation === this.#generation) this.#onReadable(generation);
        },
        onError: (message) => {
          if (generation === this.#generation) this.#lost(message);
        },
      });
    } catch (e) {
      this.#lost(`socket: ${errorText(e)}`);
    }
  }

  #onWritable(bytes: number): void {
    // A host that does not meter its buffer reports no count: do not meter either.
    this.#writable = typeof bytes === "number" && bytes > 0 ? bytes : Number.POSITIVE_INFINITY;
    if (!this.#connectSent) {
      this.#connectSent = true;
      this.#sendConnect();
    }
    this.#flush();
  }

  #onReadable(generation: number): void {
    const socket = this.#socket;
    if (socket === undefined) return;
    let data: ArrayBuffer;
    try {
      data = socket.read();
    } catch (e) {
      this.#lost(`read failed: ${errorText(e)}`);
      return;
    }
    this.#parser.push(data);
    for (;;) {
      const packet = this.#parser.next();
      if (packet === undefined) return;
      if (packet.cmd === "error") {
        this.stats.protocolErrors++;
        this.#lost(`malformed packet from broker: ${packet.message}`);
        return;
      }
      this.#lastReceivedAt = this.#host.clock.now();
      this.#handle(packet);
      if (generation !== this.#generation) return; // the handler closed this connection
    }
  }

  /** The connection failed or died: clean up and schedule the next attempt. */
  #lost(reason: string, refused = false): void {
    if (this.#state !== "connecting" && this.#state !== "connected") return;
    const wasConnected = this.#state === "connected";
    this.#teardown();
    this.#state = "backoff";
    const delay = this.#nextDelay(refused);
    this.#log("warn", `${wasConnected ? "connection lost" : "connect failed"}: ${reason}; retry in ${Math.round(delay)} ms`);
    this.#retryTimer = this.#host.timers.set(() => this.#open(), delay);
    if (wasConnected) this.#callback(() => this.#o.onDisconnect?.(reason));
  }

  /** Closes the socket and cancels connection timers; keeps messages and subscriptions. */
  #teardown(): void {
    this.#generation++;
    const timers = this.#host.timers;
    timers.clear(this.#connectTimer);
    timers.clear(this.#keepaliveTimer);
    timers.clear(this.#pingTimer);
    this.#connectTimer = this.#keepaliveTimer = this.#pingTimer = undefined;
    this.#pingOutstanding = false;
    this.#pendingSubs.clear();
    this.#out = [];
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket !== undefined) {
      try {
        socket.close();
      } catch {
        // already closed
      }
    }
  }

  /**
   * Exponential backoff with jitter: attempt n waits a random time in
   * [minMs, min(maxMs, minMs * 2^n)]. The minMs floor keeps a broker that
   * accepts and drops at once from being hammered. Refusals skip ahead and
   * wait at least half the cap.
   */
  #nextDelay(refused: boolean): number {
    const minMs = Math.max(1, this.#o.backoff?.minMs ?? DEFAULT_MIN_BACKOFF_MS);
    const maxMs = Math.max(minMs, this.#o.backoff?.maxMs ?? DEFAULT_MAX_BACKOFF_MS);
    if (refused) this.#failures += REFUSAL_EXTRA_DOUBLINGS;
    const cap = Math.min(maxMs, minMs * Math.pow(2, Math.min(this.#failures, 30)));
    this.#failures++;
    const floor = refused ? Math.max(minMs, cap / 2) : minMs;
    let r = (this.#o.random ?? Math.random)();
    if (!(r >= 0 && r < 1)) r = 0.5;
    return floor + r * (cap - floor);
  }

  // --- incoming packets -----------------------------------------------------

  #handle(p: Packet): void {
    if (this.#state === "connecting" && p.cmd !== "connack") {
      this.#protocolError(`${p.cmd.toUpperCase()} before CONNACK`);
      return;
    }
    switch (p.cmd) {
      case "connack":
        if (this.#state !== "connecting") return this.#protocolError("second CONNACK");
        if (p.returnCode !== 0) return this.#refused(p.returnCode);
        return this.#accepted(p.sessionPresent);
      case "publish":
        return this.#receive(p);
      case "puback": {
        const msg = this.#inflight.get(p.messageId);
        if (msg === undefined) {
          // Nothing was sent with that id: the broker is confused; start over (in-flight messages are resent).
          this.#log("error", `PUBACK for packet id ${p.messageId}, which is not in flight`);
          this.#protocolError(`PUBACK for unknown packet id ${p.messageId}`);
          return;
        }
        this.#inflight.delete(p.messageId);
        this.stats.acked++;
        this.#done(msg, true);
        this.#pump();
        return;
      }
      case "pubrel":
        this.#qos2Received.delete(p.messageId);
        this.#send({ cmd: "pubcomp", messageId: p.messageId });
        return;
      case "suback": {
        const filter = this.#pendingSubs.get(p.messageId);
        this.#pendingSubs.delete(p.messageId);
        const sub = filter === undefined ? undefined : this.#subs.get(filter);
        if (sub === undefined) return;
        if (p.granted[0] === 0x80) this.#log("warn", `subscription to "${filter}" refused by the broker`);
        else sub.confirmed = true;
        return;
      }
      case "pingresp":
        this.#pingOutstanding = false;
        this.#host.timers.clear(this.#pingTimer);
        this.#pingTimer = undefined;
        return;
      case "pubrec":
      case "pubcomp":
      case "unsuback":
        this.#log("debug", `ignoring unexpected ${p.cmd.toUpperCase()} ${p.messageId}`);
        return;
      default:
        // CONNECT, SUBSCRIBE, UNSUBSCRIBE, PINGREQ, DISCONNECT never come from a server.
        return this.#protocolError(`${p.cmd.toUpperCase()} from the server`);
    }
  }

  #protocolError(what: string): void {
    this.stats.protocolErrors++;
    this.#lost(`protocol violation: ${what}`);
  }

  #refused(code: number): void {
    this.stats.refused++;
    const reason = connackReason(code);
    this.#log("error", `broker refused the connection: ${code} (${reason})`);
    this.#callback(() => this.#o.onRefused?.(code, reason));
    this.#lost(`refused: ${reason}`, true);
  }

  #accepted(sessionPresent: boolean): void {
    this.#host.timers.clear(this.#connectTimer);
    this.#connectTimer = undefined;
    this.#state = "connected";
    this.#failures = 0;
    this.stats.connects++;
    if (this.#everConnected) this.stats.reconnects++;
    this.#everConnected = true;
    this.#log("info", `connected${sessionPresent ? " (session resumed)" : ""}`);
    if (!sessionPresent) {
      this.#qos2Received.clear();
      for (const sub of this.#subs.values()) sub.confirmed = false;
    }
    this.#scheduleKeepalive();
    // Unacknowledged messages first, in their original order [MQTT-4.6.0-1].
    for (const msg of this.#inflight.values()) {
      if (this.#sendPublish(msg, sessionPresent)) this.stats.resent++;
    }
    for (const [filter, sub] of this.#subs) if (!sub.confirmed) this.#sendSubscribe(filter);
    this.#pump();
    this.#callback(() => this.#o.onConnect?.(sessionPresent));
  }

  #receive(p: PublishPacket): void {
    this.stats.received++;
    let deliver = true;
    if (p.qos === 2) {
      deliver = !this.#qos2Received.has(p.messageId!);
      this.#qos2Received.add(p.messageId!);
    }
    if (deliver) this.#callback(() => this.#o.onMessage?.(p.topic, p.payload));
    if (p.qos === 1) this.#send({ cmd: "puback", messageId: p.messageId! });
    else if (p.qos === 2) this.#send({ cmd: "pubrec", messageId: p.messageId! });
  }

  // --- outgoing packets -----------------------------------------------------

  #sendConnect(): void {
    const o = this.#o;
    const will = typeof o.will === "function" ? o.will() : o.will;
    this.#send({
      cmd: "connect",
      protocolVersion: MQTT_3_1_1,
      clean: o.cleanSession,
      keepalive: o.keepalive,
      clientId: o.clientId,
      username: o.username,
      password: o.password === undefined ? undefined : utf8Encode(o.password),
      will: will === undefined ? undefined : { topic: will.topic, payload: typeof will.payload === "string" ? utf8Encode(will.payload) : will.payload, qos: will.qos, retain: will.retain },
    });
  }

  #sendPublish(msg: Outgoing, dup: boolean): boolean {
    const packet: PublishPacket = { cmd: "publish", topic: msg.topic, payload: msg.payload, qos: msg.qos, retain: msg.retain, dup: dup && msg.qos > 0 };
    if (msg.qos > 0) packet.messageId = msg.messageId;
    return this.#send(packet);
  }

  #sendSubscribe(filter: string): void {
    const sub = this.#subs.get(filter)!;
    const messageId = this.#nextId();
    if (messageId === undefined) return;
    this.#pendingSubs.set(messageId, filter);
    this.#send({ cmd: "subscribe", messageId, subscriptions: [{ topic: filter, qos: sub.qos }] });
  }

  /** Moves queued QoS 1 messages, then the source's, into flight while the window has room. */
  #pump(): void {
    const window = this.#o.maxInflight ?? DEFAULT_MAX_INFLIGHT;
    while (this.#state === "connected" && this.#inflight.size < window) {
      let msg = this.#queue.shift();
      if (msg === undefined && this.#source !== undefined) {
        const m = this.#source.next();
        if (m !== undefined) msg = { topic: m.topic, payload: m.payload, qos: 1, retain: m.retain, messageId: 0, onDone: m.onDone };
      }
      if (msg === undefined) return;
      const messageId = this.#nextId();
      if (messageId === undefined) {
        this.#queue.unshift(msg);
        return;
      }
      msg.messageId = messageId;
      this.#inflight.set(messageId, msg);
      const ok = this.#sendPublish(msg, false);
      if (this.#state !== "connected") return; // the write failed and dropped the connection
      if (ok) {
        this.stats.sent++;
      } else {
        // Unencodable (too large): it would never be acknowledged.
        this.#inflight.delete(messageId);
        this.stats.dropped++;
        this.#done(msg, false);
      }
    }
  }

  /** Next packet id in 1..65535 not used by a message in flight or a pending SUBSCRIBE. */
  #nextId(): number | undefined {
    for (let i = 0; i < MAX_PACKET_ID; i++) {
      this.#lastId = (this.#lastId % MAX_PACKET_ID) + 1;
      if (!this.#inflight.has(this.#lastId) && !this.#pendingSubs.has(this.#lastId)) return this.#lastId;
    }
    return undefined;
  }

  #send(packet: Packet): boolean {
    const bytes = encode(packet);
    if (!(bytes instanceof Uint8Array)) {
      this.#log("error", `cannot encode ${packet.cmd.toUpperCase()}: ${bytes.message}`);
      return false;
    }
    if (this.#socket === undefined) return false;
    this.#out.push(bytes);
    this.#lastSentAt = this.#host.clock.now();
    this.#flush();
    return this.#socket !== undefined;
  }

  /** Writes queued bytes within the room the socket last reported. */
  #flush(): void {
    const socket = this.#socket;
    if (socket === undefined) return;
    try {
      while (this.#out.length > 0 && this.#writable > 0) {
        const chunk = this.#out[0];
        if (chunk.length <= this.#writable) {
          socket.write(chunk);
          this.#writable -= chunk.length;
          this.#out.shift();
        } else {
          socket.write(chunk.subarray(0, this.#writable));
          this.#out[0] = chunk.subarray(this.#writable);
          this.#writable = 0;
        }
      }
    } catch (e) {
      this.#lost(`write failed: ${errorText(e)}`);
    }
  }

  // --- keepalive ------------------------------------------------------------

  #scheduleKeepalive(): void {
    const keepaliveMs = this.#o.keepalive * 1000;
    if (keepaliveMs <= 0) return;
    const idle = this.#host.clock.now() - this.#lastSentAt;
    const generation = this.#generation;
    this.#keepaliveTimer = this.#host.timers.set(() => {
      if (generation === this.#generation) this.#keepaliveDue();
    }, Math.max(0, keepaliveMs - idle));
  }

  #keepaliveDue(): void {
    this.#keepaliveTimer = undefined;
    const keepaliveMs = this.#o.keepalive * 1000;
    const now = this.#host.clock.now();
    const idle = now - this.#lastSentAt;
    // The spec's rule counts from the last packet sent. A node that publishes every second would then never
    // ping, so also ping when messages wait for acknowledgement and the broker has said nothing for a keepalive.
    const silent = this.#inflight.size > 0 && now - this.#lastReceivedAt + TIMER_SLACK_MS >= keepaliveMs;
    if ((idle + TIMER_SLACK_MS >= keepaliveMs || silent) && !this.#pingOutstanding) {
      this.#pingOutstanding = true;
      this.stats.pings++;
      const generation = this.#generation;
      const timeout = this.#o.pingTimeoutMs ?? Math.min(MAX_PING_TIMEOUT_MS, Math.max(MIN_PING_TIMEOUT_MS, keepaliveMs / 2));
      this.#pingTimer = this.#host.timers.set(() => {
        if (generation !== this.#generation) return;
        this.stats.pingTimeouts++;
        this.#lost("no PINGRESP in time");
      }, timeout);
      this.#send({ cmd: "pingreq" });
      if (generation !== this.#generation) return;
    }
    this.#scheduleKeepalive();
  }

  // --- helpers --------------------------------------------------------------

  #done(msg: Outgoing, delivered: boolean): void {
    const cb = msg.onDone;
    if (cb !== undefined) this.#callback(() => cb(delivered));
  }

  /** Runs an application callback; its exceptions must not break the session. */
  #callback(f: () => void): void {
    try {
      f();
    } catch (e) {
      this.#log("error", `callback failed: ${errorText(e)}`);
    }
  }

  #log(level: "debug" | "info" | "warn" | "error", message: string): void {
    this.#host.log(level, LOG_PREFIX + message);
  }
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
