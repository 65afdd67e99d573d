/*
 * An MQTT 3.1.1 and 5.0 client session over the Host's TCP socket
 * (`protocolVersion: 4 | 5`, default 4; docs/mqtt.md).
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
 * - MQTT 5: Clean Start + Session Expiry Interval in place of clean session;
 *   Receive Maximum and Maximum Packet Size sent and honoured from the
 *   CONNACK (the in-flight window is capped, a message too large for the
 *   server is dropped and counted), Server Keep Alive used, Assigned Client
 *   Identifier kept for the next CONNECT; CONNACK, PUBACK, SUBACK and server
 *   DISCONNECT reason codes reported by name. A PUBACK >= 0x80 means the
 *   message is not delivered: counted, reported, never resent.
 *
 * All time goes through host.timers / host.clock. Passwords are never logged.
 */
import type { Host, TCPSocket, TimerId } from "../host.js";
import { Backoff } from "../util/backoff.js";
import { utf8Encode } from "../util/utf8.js";
import { encode, encodeInto, type CodecOptions } from "./codec.js";
import { checkString } from "./bytes.js";
import {
  connackReason,
  isCodecError,
  MAX_PACKET_ID,
  MQTT_3_1_1,
  MQTT_5,
  reasonName,
  ReasonCode,
  type AnyPacket,
  type CodecError,
  type ConnackProperties,
  type ConnectPacket,
  type PublishPacket,
  type QoS,
} from "./packet.js";
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
  /** May be "" in MQTT 5: the server assigns one (kept for later connections). */
  clientId: string;
  /** Seconds; 0 disables keepalive. In MQTT 5 the server's Server Keep Alive replaces it. */
  keepalive: number;
  /** 3.1.1: Clean Session. MQTT 5: Clean Start, and Session Expiry Interval 0 when true. */
  cleanSession: boolean;
  /** 4 = MQTT 3.1.1 (default), 5 = MQTT 5.0. */
  protocolVersion?: 4 | 5;
  /** MQTT 5, with cleanSession false: Session Expiry Interval in seconds (0: the session ends with the connection). Default 0. */
  sessionExpiryS?: number;
  /** MQTT 5: Receive Maximum we announce (QoS 1/2 PUBLISH the server may have unacknowledged towards us). Default 32. */
  receiveMaximum?: number;
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
  /** Largest packet accepted from the broker (announced as Maximum Packet Size in MQTT 5). Default 256 KiB. */
  maxPacketSize?: number;
  /** Jitter source in [0, 1); inject a seeded one for deterministic runs. */
  random?: () => number;
  onConnect?(sessionPresent: boolean): void;
  onDisconnect?(reason: string): void;
  onMessage?(topic: string, payload: Uint8Array): void;
  /** CONNACK refusal: the 3.1.1 return code or MQTT 5 reason code, and its name. */
  onRefused?(code: number, reason: string): void;
  /** MQTT 5: the broker answered a PUBLISH with a PUBACK reason code >= 0x80; the message is not delivered and not resent. */
  onRejected?(topic: string, code: number, reason: string): void;
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
  /** Messages given up: queue overflow, QoS 0 while offline, too large for the server, stop(). */
  dropped: number;
  /** Of `dropped`: larger than the server's Maximum Packet Size (MQTT 5) or otherwise unencodable. */
  tooLarge: number;
  /** MQTT 5: PUBACKs with a reason code >= 0x80 (message not delivered, not resent). */
  rejected: number;
  /** MQTT 5: DISCONNECT packets from the server. */
  serverDisconnects: number;
  /** PUBLISH packets received. */
  received: number;
  pings: number;
  pingTimeouts: number;
  protocolErrors: number;
}

/**
 * A QoS 1 message pulled from a PublishSource. `onDone(true)`: the client is
 * finished with it: its PUBACK came, or (`onDone(true, true)`) it can never be
 * delivered (an MQTT 5 PUBACK reason code >= 0x80, or larger than the server's
 * Maximum Packet Size; counted in stats.rejected / stats.tooLarge), so the
 * source must not offer it again. `onDone(false)`: not sent for now (stop());
 * offer it again later.
 */
export interface SourcedMessage {
  topic: string;
  payload: Uint8Array;
  retain: boolean;
  onDone: (delivered: boolean, rejected?: boolean) => void;
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
  /** `rejected`: refused for good by the server (see SourcedMessage). */
  onDone?: (delivered: boolean, rejected?: boolean) => void;
  /** From the PublishSource: settled with onDone(true, true) when it can never be delivered. */
  sourced: boolean;
}

interface Sub {
  qos: QoS;
  /** The broker granted it in this session (no need to resubscribe on resume). */
  confirmed: boolean;
}

const DEFAULT_MAX_QUEUED = 256;
const DEFAULT_MAX_INFLIGHT = 32;
const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_PACKET_SIZE = 256 * 1024;
const DEFAULT_RECEIVE_MAXIMUM = 32;
const MAX_SESSION_EXPIRY_S = 0xffffffff;
const MIN_PING_TIMEOUT_MS = 1000;
const MAX_PING_TIMEOUT_MS = 30_000;
/** Timers may fire a hair early against the monotonic clock; treat that as on time. */
const TIMER_SLACK_MS = 5;
const LOG_PREFIX = "mqtt: ";
/** The send buffer starts here and grows (in SEND_BUFFER_STEP steps) to the largest packet sent, up to SEND_BUFFER_MAX; larger packets get an array of their own. */
const SEND_BUFFER_INITIAL = 256;
const SEND_BUFFER_STEP = 256;
const SEND_BUFFER_MAX = 4096;

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
    tooLarge: 0,
    rejected: 0,
    serverDisconnects: 0,
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
  #version: 4 | 5;
  #parser: MqttParser<AnyPacket>;
  /** Wire format and, once the CONNACK said so, the server's Maximum Packet Size. */
  #codec: CodecOptions;
  /** In-flight window of this connection: maxInflight, capped by the server's Receive Maximum. */
  #window: number;
  /** Keepalive of this connection in seconds (the server's Server Keep Alive wins in MQTT 5). */
  #keepaliveS: number;
  /** MQTT 5: the identifier the server assigned to our empty one. */
  #assignedId: string | undefined;
  #out: Uint8Array[] = [];
  /**
   * Packets are encoded into this one buffer and written from it: the socket
   * copies what it takes (ECMA-419), and bytes it cannot take yet are copied
   * into #out, so the buffer is free again as soon as #write returns.
   */
  #sendBuffer = new Uint8Array(SEND_BUFFER_INITIAL);
  #writable = 0;
  #connectSent = false;
  #lastSentAt = 0;
  /** When the broker last sent anything: a broker that takes messages but never answers is found by keepalive too. */
  #lastReceivedAt = 0;
  #everConnected = false;
  #backoff: Backoff;
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
    this.#version = options.protocolVersion === MQTT_5 ? MQTT_5 : MQTT_3_1_1;
    this.#parser = new MqttParser<AnyPacket>({ maxPacketSize: options.maxPacketSize ?? DEFAULT_MAX_PACKET_SIZE, protocolVersion: this.#version });
    this.#codec = { protocolVersion: this.#version };
    this.#window = options.maxInflight ?? DEFAULT_MAX_INFLIGHT;
    this.#keepaliveS = options.keepalive;
    this.#backoff = new Backoff({ minMs: options.backoff?.minMs, maxMs: options.backoff?.maxMs, random: options.random });
  }

  get protocolVersion(): 4 | 5 {
    return this.#version;
  }

  /** The client identifier in use (the server-assigned one in MQTT 5 when ours was empty). */
  get clientId(): string {
    return this.#assignedId ?? this.#o.clientId;
  }

  /** What this connection runs with: the in-flight window, keepalive (s), and the server's Maximum Packet Size (MQTT 5). */
  get limits(): { inflight: number; keepalive: number; maximumPacketSize: number | undefined } {
    return { inflight: this.#window, keepalive: this.#keepaliveS, maximumPacketSize: this.#codec.maximumPacketSize };
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
      const bye = encode({ cmd: "disconnect" }, this.#codec);
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
      sourced: false,
    };
    if (qos === 0) {
      if (this.#state !== "connected") {
        this.stats.dropped++;
        this.#done(msg, false);
        return;
      }
      const r = this.#sendPublish(msg, false);
      if (typeof r === "string") return this.#unsendable(msg, r);
      if (r) this.stats.sent++;
      this.#done(msg, r);
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
    // What the previous server allowed does not carry over to this connection.
    this.#codec = { protocolVersion: this.#version };
    this.#window = this.#o.maxInflight ?? DEFAULT_MAX_INFLIGHT;
    this.#keepaliveS = this.#o.keepalive;
    const s = this.#o.server;
    const user = this.#o.username !== undefined ? ` user "${this.#o.username}"` : "";
    const version = this.#version === MQTT_5 ? "MQTT 5" : "MQTT 3.1.1";
    this.#log("info", `connecting to ${s.host}:${s.port}${s.secure ? " (TLS)" : ""} with ${version} as "${this.clientId}"${user}`);
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
    // A refusal will not fix itself soon: wait long.
    const delay = this.#backoff.next(refused);
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

  // --- incoming packets -----------------------------------------------------

  #handle(p: AnyPacket): void {
    if (this.#state === "connecting" && p.cmd !== "connack") {
      this.#protocolError(`${p.cmd.toUpperCase()} before CONNACK`);
      return;
    }
    switch (p.cmd) {
      case "connack": {
        if (this.#state !== "connecting") return this.#protocolError("second CONNACK");
        const code = "reasonCode" in p ? p.reasonCode : p.returnCode;
        const props = "reasonCode" in p ? p.properties : undefined;
        if (code !== 0) return this.#refused(code, props);
        return this.#accepted(p.sessionPresent, props);
      }
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
        const code = p.reasonCode ?? 0;
        if (code >= ReasonCode.unspecifiedError) {
          // MQTT 5: the broker will not deliver it (not authorized, quota, ...). Resending would get the same answer.
          this.stats.rejected++;
          const name = reasonName(code, "puback");
          const why = p.properties?.reasonString;
          this.#log("error", `broker rejected the message to "${msg.topic}" (packet id ${p.messageId}): 0x${hex(code)} ${name}${why ? ` (${why})` : ""}; not resent`);
          this.#callback(() => this.#o.onRejected?.(msg.topic, code, name));
          this.#settleUndeliverable(msg);
        } else {
          // 0x00 Success and 0x10 No matching subscribers: the broker has it.
          this.stats.acked++;
          this.#done(msg, true);
        }
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
        const code = p.granted[0];
        if (code >= ReasonCode.unspecifiedError) {
          const name = this.#version === MQTT_5 ? `: 0x${hex(code)} ${reasonName(code, "suback")}` : "";
          this.#log("warn", `subscription to "${filter}" refused by the broker${name}`);
        } else sub.confirmed = true;
        return;
      }
      case "pingresp":
        this.#pingOutstanding = false;
        this.#host.timers.clear(this.#pingTimer);
        this.#pingTimer = undefined;
        return;
      case "disconnect":
        if (this.#version !== MQTT_5) return this.#protocolError("DISCONNECT from the server");
        return this.#serverDisconnect(p.reasonCode ?? 0, p.properties?.reasonString, p.properties?.serverReference);
      case "pubrec":
      case "pubcomp":
      case "unsuback":
        this.#log("debug", `ignoring unexpected ${p.cmd.toUpperCase()} ${p.messageId}`);
        return;
      default:
        // CONNECT, SUBSCRIBE, UNSUBSCRIBE, PINGREQ never come from a server; AUTH needs an authentication method we never send.
        return this.#protocolError(`${p.cmd.toUpperCase()} from the server`);
    }
  }

  #protocolError(what: string): void {
    this.stats.protocolErrors++;
    this.#lost(`protocol violation: ${what}`);
  }

  #refused(code: number, props: ConnackProperties | undefined): void {
    this.stats.refused++;
    if (this.#version !== MQTT_5) {
      const reason = connackReason(code);
      this.#log("error", `broker refused the connection: ${code} (${reason})`);
      this.#callback(() => this.#o.onRefused?.(code, reason));
      this.#lost(`refused: ${reason}`, true);
      return;
    }
    const reason = reasonName(code, "connack");
    const why = props?.reasonString;
    const moved = props?.serverReference;
    this.#log("error", `broker refused the connection: 0x${hex(code)} ${reason}${why ? ` (${why})` : ""}${moved ? `; server reference "${moved}" (not followed)` : ""}`);
    this.#callback(() => this.#o.onRefused?.(code, reason));
    // A busy or unavailable server may take us in a moment; anything else (credentials, authorization, ban, quota, bad id...) will not fix itself soon.
    const transient = code === ReasonCode.serverUnavailable || code === ReasonCode.serverBusy;
    this.#lost(`refused: ${reason}`, !transient);
  }

  /** MQTT 5: the server closes the connection and says why. */
  #serverDisconnect(code: number, why: string | undefined, reference: string | undefined): void {
    this.stats.serverDisconnects++;
    const name = reasonName(code, "disconnect");
    this.#log("warn", `server sent DISCONNECT: 0x${hex(code)} ${name}${why ? ` (${why})` : ""}${reference ? `; server reference "${reference}" (not followed)` : ""}`);
    // Not authorized, taken over by another client with our id, an administrator's action, a redirection we do not follow: do not hurry back.
    const long =
      code === ReasonCode.notAuthorized ||
      code === ReasonCode.sessionTakenOver ||
      code === ReasonCode.administrativeAction ||
      code === ReasonCode.useAnotherServer ||
      code === ReasonCode.serverMoved;
    this.#lost(`server disconnected: ${name}`, long);
  }

  #accepted(sessionPresent: boolean, props: ConnackProperties | undefined): void {
    this.#host.timers.clear(this.#connectTimer);
    this.#connectTimer = undefined;
    this.#state = "connected";
    this.#backoff.reset();
    this.stats.connects++;
    if (this.#everConnected) this.stats.reconnects++;
    this.#everConnected = true;
    const limits: string[] = [];
    if (props !== undefined) {
      const rm = props.receiveMaximum;
      if (rm !== undefined && rm > 0 && rm < this.#window) {
        this.#window = rm;
        limits.push(`receive maximum ${rm}`);
      }
      if (props.maximumPacketSize !== undefined && props.maximumPacketSize > 0) {
        this.#codec = { protocolVersion: this.#version, maximumPacketSize: props.maximumPacketSize };
        limits.push(`maximum packet size ${props.maximumPacketSize}`);
      }
      if (props.serverKeepAlive !== undefined) {
        this.#keepaliveS = props.serverKeepAlive;
        limits.push(`keepalive ${props.serverKeepAlive} s`);
      }
      if (props.assignedClientIdentifier !== undefined) {
        this.#assignedId = props.assignedClientIdentifier;
        limits.push(`assigned client id "${props.assignedClientIdentifier}"`);
      }
      if (props.maximumQoS === 0) this.#log("warn", "the server supports QoS 0 only: QoS 1 messages will be refused");
      if (props.retainAvailable === false) this.#log("warn", "the server does not support retained messages");
    }
    this.#log("info", `connected${sessionPresent ? " (session resumed)" : ""}${limits.length > 0 ? `; server limits: ${limits.join(", ")}` : ""}`);
    if (!sessionPresent) {
      this.#qos2Received.clear();
      for (const sub of this.#subs.values()) sub.confirmed = false;
    }
    this.#scheduleKeepalive();
    // Unacknowledged messages first, in their original order [MQTT-4.6.0-1], within this server's window.
    // Beyond it, they go back to the head of the queue and leave with new packet ids as the window opens.
    const back: Outgoing[] = [];
    let slots = this.#window;
    for (const msg of [...this.#inflight.values()]) {
      if (this.#state !== "connected") return; // a write failed and dropped the connection
      if (slots-- <= 0) {
        this.#inflight.delete(msg.messageId);
        msg.messageId = 0;
        back.push(msg);
        continue;
      }
      const r = this.#sendPublish(msg, sessionPresent);
      if (r === true) this.stats.resent++;
      else if (typeof r === "string") {
        this.#inflight.delete(msg.messageId);
        this.#unsendable(msg, r);
      }
    }
    if (back.length > 0) this.#queue = back.concat(this.#queue);
    for (const [filter, sub] of this.#subs) if (!sub.confirmed) this.#sendSubscribe(filter);
    this.#pump();
    this.#callback(() => this.#o.onConnect?.(sessionPresent));
  }

  #receive(p: PublishPacket): void {
    if (p.topic === "") {
      // MQTT 5 topic alias: we announce Topic Alias Maximum 0, so the server must not use one.
      this.#protocolError("PUBLISH with a topic alias (we allow none)");
      return;
    }
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
    const w = typeof o.will === "function" ? o.will() : o.will;
    const v5 = this.#version === MQTT_5;
    const packet: ConnectPacket = {
      cmd: "connect",
      protocolVersion: this.#version,
      clean: o.cleanSession,
      keepalive: o.keepalive,
      clientId: this.clientId,
      username: o.username,
      password: o.password === undefined ? undefined : utf8Encode(o.password),
      will:
        w === undefined
          ? undefined
          : {
              topic: w.topic,
              payload: typeof w.payload === "string" ? utf8Encode(w.payload) : w.payload,
              qos: w.qos,
              retain: w.retain,
              // Published as soon as the connection dies, as in 3.1.1.
              properties: v5 ? { willDelayInterval: 0 } : undefined,
            },
    };
    if (v5) {
      const expiry = o.cleanSession ? 0 : Math.max(0, Math.min(MAX_SESSION_EXPIRY_S, Math.floor(o.sessionExpiryS ?? 0)));
      packet.properties = {
        sessionExpiryInterval: expiry > 0 ? expiry : undefined,
        receiveMaximum: o.receiveMaximum ?? DEFAULT_RECEIVE_MAXIMUM,
        maximumPacketSize: o.maxPacketSize ?? DEFAULT_MAX_PACKET_SIZE,
      };
    }
    this.#send(packet);
  }

  /** Writes a PUBLISH: true when written, false when the connection is gone, an explanation when it cannot be encoded (too large). */
  #sendPublish(msg: Outgoing, dup: boolean): boolean | string {
    const packet: PublishPacket = { cmd: "publish", topic: msg.topic, payload: msg.payload, qos: msg.qos, retain: msg.retain, dup: dup && msg.qos > 0 };
    if (msg.qos > 0) packet.messageId = msg.messageId;
    const bytes = this.#encode(packet);
    if (isCodecError(bytes)) return bytes.message;
    return this.#write(bytes);
  }

  /** A message that can never be sent on this server (too large): dropped, counted, reported; never retried. */
  #unsendable(msg: Outgoing, why: string): void {
    this.stats.dropped++;
    this.stats.tooLarge++;
    this.#log("error", `message to "${msg.topic}" (${msg.payload.length} bytes) dropped: ${why}`);
    this.#settleUndeliverable(msg);
  }

  /** The message will never be delivered: an application callback hears (false, true); a source hears (true, true): finished, refused (so it does not offer it again). */
  #settleUndeliverable(msg: Outgoing): void {
    const cb = msg.onDone;
    if (cb !== undefined) this.#callback(() => cb(msg.sourced, true));
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
    while (this.#state === "connected" && this.#inflight.size < this.#window) {
      let msg = this.#queue.shift();
      if (msg === undefined && this.#source !== undefined) {
        const m = this.#source.next();
        if (m !== undefined) msg = { topic: m.topic, payload: m.payload, qos: 1, retain: m.retain, messageId: 0, onDone: m.onDone, sourced: true };
      }
      if (msg === undefined) return;
      const messageId = this.#nextId();
      if (messageId === undefined) {
        this.#queue.unshift(msg);
        return;
      }
      msg.messageId = messageId;
      this.#inflight.set(messageId, msg);
      const r = this.#sendPublish(msg, false);
      if (typeof r === "string") {
        // Unencodable (larger than the server accepts): it would never be acknowledged.
        this.#inflight.delete(messageId);
        this.#unsendable(msg, r);
        continue;
      }
      if (this.#state !== "connected") return; // the write failed and dropped the connection
      if (r) this.stats.sent++;
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

  /** The packet's bytes in the send buffer (no allocation once it has grown), or in an array of their own when larger than SEND_BUFFER_MAX. */
  #encode(packet: AnyPacket): Uint8Array | CodecError {
    let n = encodeInto(packet, this.#sendBuffer, 0, this.#codec);
    if (isCodecError(n) && n.needed !== undefined) {
      const max = this.#codec.maximumPacketSize;
      // Beyond the cap, or beyond what the server takes (encode() then reports that): no growth.
      if (n.needed > SEND_BUFFER_MAX || (max !== undefined && n.needed > max)) return encode(packet, this.#codec);
      this.#sendBuffer = new Uint8Array(Math.ceil(n.needed / SEND_BUFFER_STEP) * SEND_BUFFER_STEP);
      n = encodeInto(packet, this.#sendBuffer, 0, this.#codec);
    }
    return isCodecError(n) ? n : this.#sendBuffer.subarray(0, n);
  }

  #send(packet: AnyPacket): boolean {
    const bytes = this.#encode(packet);
    if (isCodecError(bytes)) {
      this.#log("error", `cannot encode ${packet.cmd.toUpperCase()}: ${bytes.message}`);
      return false;
    }
    return this.#write(bytes);
  }

  #write(bytes: Uint8Array): boolean {
    if (this.#socket === undefined) return false;
    const out = this.#out;
    out.push(bytes);
    this.#lastSentAt = this.#host.clock.now();
    this.#flush();
    // What the socket did not take yet must survive the send buffer's next use (only the newest entry can be in it).
    const last = out.length - 1;
    if (last >= 0 && out[last].buffer === this.#sendBuffer.buffer) out[last] = out[last].slice();
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
    const keepaliveMs = this.#keepaliveS * 1000;
    if (keepaliveMs <= 0) return;
    const idle = this.#host.clock.now() - this.#lastSentAt;
    const generation = this.#generation;
    this.#keepaliveTimer = this.#host.timers.set(() => {
      if (generation === this.#generation) this.#keepaliveDue();
    }, Math.max(0, keepaliveMs - idle));
  }

  #keepaliveDue(): void {
    this.#keepaliveTimer = undefined;
    const keepaliveMs = this.#keepaliveS * 1000;
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

function hex(code: number): string {
  return (code < 16 ? "0" : "") + code.toString(16).toUpperCase();
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
