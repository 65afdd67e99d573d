/*
 * One MQTT connection at a time over the Host's TCP socket, and the rules for
 * getting the next one: CONNECT (client id, keepalive, credentials, a will
 * evaluated per CONNECT) and the CONNACK (refusals reported by name; in MQTT 5
 * the server's limits for this connection: Receive Maximum, Maximum Packet
 * Size, Server Keep Alive, Assigned Client Identifier), keepalive and PINGREQ
 * timeouts, the parser with its size limit (larger packets skipped as they
 * stream), reconnects with backoff (firmware/util/backoff.ts), and the
 * fallback to 3.1.1 when a broker turns MQTT 5 down (version-fallback.ts). Bytes go
 * out through the send path (send-path.ts). The session (session.ts) gets what
 * outlives a connection through SessionEvents.
 *
 * Keepalive counts from the last packet SENT [MQTT-3.1.2-23], and also pings
 * when messages wait for acknowledgement and the broker has been silent for a
 * keepalive (docs/decisions.md, 10). All time goes through host.timers /
 * host.clock. Passwords are never logged.
 */
import type { TimerId } from "../host.js";
import { Backoff } from "../util/backoff.js";
import { hex } from "../util/format.js";
import type { CodecOptions } from "./codec.js";
import { errorText, type ClientContext } from "./context.js";
import { connectPacket, disconnectIsLong, refusal } from "./handshake.js";
import { connackReason, MQTT_5, reasonName, ReasonCode, type AnyPacket, type ConnackProperties, type SkippedPacket } from "./packet.js";
import { MqttParser } from "./parser.js";
import { SendPath } from "./send-path.js";
import { VersionFallback } from "./version-fallback.js";

/** What the connection tells the session above it. */
export interface SessionEvents {
  /** CONNACK accepted: resend what is unacknowledged, renew subscriptions, send what waits. */
  resume(sessionPresent: boolean): void;
  /** A packet for the session: PUBLISH, the acknowledgements, SUBACK, UNSUBACK. */
  packet(p: AnyPacket): void;
  /** A packet larger than our maximum went by unread; a QoS 1/2 PUBLISH is still to be acknowledged. */
  skipped(s: SkippedPacket): void;
  /** The connection is gone: forget what only it could answer. */
  closed(): void;
  /** QoS 1 messages waiting for PUBACK. */
  readonly inflight: number;
}

export type ConnectionState = "idle" | "connecting" | "connected" | "backoff" | "stopped";

const DEFAULT_MAX_INFLIGHT = 32;
const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;
/** Device first: the largest packet we take from the broker; larger ones are skipped as they stream. */
export const DEFAULT_MAX_PACKET_SIZE = 8192;
const MIN_PING_TIMEOUT_MS = 1000;
const MAX_PING_TIMEOUT_MS = 30_000;
/** Timers may fire a hair early against the monotonic clock; treat that as on time. */
const TIMER_SLACK_MS = 5;

export class MqttConnection {
  state: ConnectionState = "idle";
  /** In-flight window of this connection: maxInflight, capped by the server's Receive Maximum. */
  window: number;
  /** Keepalive of this connection in seconds (the server's Server Keep Alive wins in MQTT 5). */
  keepaliveS: number;
  /** MQTT 5: the identifier the server assigned to our empty one. */
  assignedId: string | undefined;
  /** Wire format and, once the CONNACK said so, the server's Maximum Packet Size. */
  codec: CodecOptions;
  pingOutstanding = false;
  #c: ClientContext;
  #session: SessionEvents;
  #send = new SendPath();
  /** Bumped per connection so callbacks from an old socket are ignored. */
  #generation = 0;
  #parser: MqttParser<AnyPacket>;
  #backoff: Backoff;
  /** Configured for MQTT 5 only: which version the next CONNECT uses. */
  #versions: VersionFallback | undefined;
  #connectSent = false;
  /** The broker sent at least one byte on this connection. */
  #heard = false;
  #lastSentAt = 0;
  /** When the broker last sent anything: a broker that takes messages but never answers is found by keepalive too. */
  #lastReceivedAt = 0;
  #everConnected = false;
  #connectTimer: TimerId | undefined;
  #keepaliveTimer: TimerId | undefined;
  #pingTimer: TimerId | undefined;
  #retryTimer: TimerId | undefined;

  constructor(context: ClientContext, session: SessionEvents) {
    const o = context.options;
    this.#c = context;
    this.#session = session;
    this.#parser = new MqttParser<AnyPacket>({
      maxPacketSize: this.maxPacketSize,
      protocolVersion: context.version,
      onSkipped: (s) => this.#skipped(s),
    });
    this.codec = { protocolVersion: context.version };
    this.window = o.maxInflight ?? DEFAULT_MAX_INFLIGHT;
    this.keepaliveS = o.keepalive;
    this.#backoff = new Backoff({ minMs: o.backoff?.minMs, maxMs: o.backoff?.maxMs, random: o.random });
    this.#versions = context.version === MQTT_5 ? new VersionFallback(context) : undefined;
  }

  get connected(): boolean {
    return this.state === "connected";
  }

  /** The largest packet we accept (and announce in MQTT 5). */
  get maxPacketSize(): number {
    return this.#c.options.maxPacketSize ?? DEFAULT_MAX_PACKET_SIZE;
  }

  start(): void {
    if (this.state === "idle" || this.state === "stopped") this.#open();
  }

  /** Sends DISCONNECT (so the broker discards the will) after what is queued, closes, and stays down. */
  stop(): void {
    if (this.state === "connected") this.#send.drain({ cmd: "disconnect" }, this.codec);
    this.#teardown();
    this.#c.host.timers.clear(this.#retryTimer);
    this.#retryTimer = undefined;
    this.state = "stopped";
  }

  /**
   * Ends this connection as stop() does (DISCONNECT after what is queued, so the broker drops the
   * will) and connects again at once with a new CONNECT; the session keeps its messages.
   */
  reconnect(reason: string): void {
    if (this.state !== "connected") return; // any other state is on its way to a new CONNECT already
    const c = this.#c;
    this.#send.drain({ cmd: "disconnect" }, this.codec);
    this.#teardown();
    this.state = "backoff";
    c.log("info", `reconnecting: ${reason}`);
    // On a timer, not inside the caller (often a message callback): what the session still owes the
    // old connection (a PUBACK) must not reach the new socket before its CONNECT.
    this.#retryTimer = c.host.timers.set(() => this.#open(), 0);
    c.callback(() => c.options.onDisconnect?.(reason));
  }

  /** Encodes and writes a packet: true when written, false when the connection is gone, an explanation when it cannot be encoded (too large). */
  write(packet: AnyPacket): boolean | string {
    const send = this.#send;
    if (send.socket === undefined) return false;
    const r = send.send(packet, this.codec);
    if (typeof r === "object") return r.message;
    const cpu = this.#c.host.cpu;
    if (cpu !== undefined) cpu.charge("publish", packet.cmd === "publish" ? packet.topic.length + packet.payload.length : 4);
    this.#lastSentAt = this.#c.host.clock.now();
    if (r === undefined) return true;
    this.#lost(`write failed: ${r}`);
    return false;
  }

  /** write() for packets that always fit: an encode failure is only logged. */
  send(packet: AnyPacket): boolean {
    const r = this.write(packet);
    if (typeof r !== "string") return r;
    this.#c.log("error", `cannot encode ${packet.cmd.toUpperCase()}: ${r}`);
    return false;
  }

  protocolError(what: string): void {
    this.#c.stats.protocolErrors++;
    this.#lost(`protocol violation: ${what}`);
  }

  // --- connection lifecycle -------------------------------------------------

  #open(): void {
    const c = this.#c;
    const o = c.options;
    this.#retryTimer = undefined;
    this.state = "connecting";
    c.stats.attempts++;
    const generation = ++this.#generation;
    this.#parser.reset();
    this.#send.detach();
    this.#connectSent = false;
    this.#heard = false;
    this.pingOutstanding = false;
    if (this.#versions !== undefined && this.#versions.version !== c.version) {
      c.version = this.#versions.version;
      this.#parser.protocolVersion = c.version;
    }
    // What the previous server allowed does not carry over to this connection.
    this.codec = { protocolVersion: c.version };
    this.window = o.maxInflight ?? DEFAULT_MAX_INFLIGHT;
    this.keepaliveS = o.keepalive;
    const s = o.server;
    const user = o.username !== undefined ? ` user "${o.username}"` : "";
    const version = c.version === MQTT_5 ? "MQTT 5" : "MQTT 3.1.1";
    c.log("info", `connecting to ${s.host}:${s.port}${s.secure ? " (TLS)" : ""} with ${version} as "${this.assignedId ?? o.clientId}"${user}`);
    this.#connectTimer = c.host.timers.set(() => {
      if (generation === this.#generation) this.#lost("no CONNACK in time");
    }, o.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS);
    try {
      const socket = c.host.io.tcp({
        host: s.host,
        port: s.port,
        secure: s.secure,
        tls: s.tls,
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
      if (generation === this.#generation) this.#send.socket = socket;
    } catch (e) {
      this.#lost(`socket: ${errorText(e)}`);
    }
  }

  #onWritable(bytes: number): void {
    const failed = this.#send.writable(bytes);
    if (failed !== undefined) return this.#lost(`write failed: ${failed}`);
    if (!this.#connectSent) {
      this.#connectSent = true;
      this.send(connectPacket(this.#c, this.assignedId ?? this.#c.options.clientId, this.maxPacketSize));
    }
  }

  #onReadable(generation: number): void {
    const socket = this.#send.socket;
    if (socket === undefined) return;
    let data: ArrayBuffer;
    try {
      data = socket.read();
    } catch (e) {
      this.#lost(`read failed: ${errorText(e)}`);
      return;
    }
    if (data.byteLength > 0) this.#heard = true;
    this.#parser.push(data);
    for (;;) {
      const packet = this.#parser.next();
      // A skipped packet's acknowledgement may have failed and closed this connection.
      if (packet === undefined || generation !== this.#generation) return;
      if (packet.cmd === "error") {
        this.#c.stats.protocolErrors++;
        this.#lost(`malformed packet from broker: ${packet.message}`);
        return;
      }
      this.#lastReceivedAt = this.#c.host.clock.now();
      this.#handle(packet);
      if (generation !== this.#generation) return; // the handler closed this connection
    }
  }

  /** The connection failed or died: clean up and schedule the next attempt (`long`: a refusal that will not fix itself soon). */
  #lost(reason: string, long = false): void {
    if (this.state !== "connecting" && this.state !== "connected") return;
    // Our CONNECT met silence (closed unanswered, or no CONNACK in time): maybe a broker that will not speak this version.
    if (this.state === "connecting" && this.#connectSent && !this.#heard) this.#versions?.unanswered();
    const c = this.#c;
    const wasConnected = this.state === "connected";
    this.#teardown();
    this.state = "backoff";
    const delay = this.#backoff.next(long);
    c.log("warn", `${wasConnected ? "connection lost" : "connect failed"}: ${reason}; retry in ${Math.round(delay)} ms`);
    this.#retryTimer = c.host.timers.set(() => this.#open(), delay);
    if (wasConnected) c.callback(() => c.options.onDisconnect?.(reason));
    c.callback(() => c.options.onConnectionError?.(reason));
  }

  /** Closes the socket and cancels connection timers; the session keeps messages and subscriptions. */
  #teardown(): void {
    this.#generation++;
    const timers = this.#c.host.timers;
    timers.clear(this.#connectTimer);
    timers.clear(this.#keepaliveTimer);
    timers.clear(this.#pingTimer);
    this.#connectTimer = this.#keepaliveTimer = this.#pingTimer = undefined;
    this.pingOutstanding = false;
    this.#session.closed();
    const socket = this.#send.detach();
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
    if (this.state === "connecting" && p.cmd !== "connack") return this.protocolError(`${p.cmd.toUpperCase()} before CONNACK`);
    switch (p.cmd) {
      case "connack": {
        if (this.state !== "connecting") return this.protocolError("second CONNACK");
        const v5 = "reasonCode" in p;
        const code = v5 ? p.reasonCode : p.returnCode;
        const props = v5 ? p.properties : undefined;
        const versions = this.#versions;
        if (versions !== undefined && this.#c.version === MQTT_5 && (!v5 || code === ReasonCode.unsupportedProtocolVersion)) {
          // A 3.1.1 broker's own CONNACK: 3.1.1 next, soon. 0x84 (a 5.0 broker that will not take 5.0): the same, after the refusal's long backoff.
          versions.refused(v5 ? `CONNACK 0x${hex(code)} ${reasonName(code, "connack")}` : `it answered in MQTT 3.1.1: CONNACK return code ${code}, ${connackReason(code)}`);
          if (!v5) return this.#lost("MQTT 5 turned down by the broker");
        } else versions?.answered();
        if (code !== 0) return this.#refused(code, props);
        return this.#accepted(p.sessionPresent, props);
      }
      case "publish":
      case "puback":
      case "pubrec":
      case "pubrel":
      case "pubcomp":
      case "suback":
      case "unsuback":
        return this.#session.packet(p);
      case "pingresp":
        this.pingOutstanding = false;
        this.#c.host.timers.clear(this.#pingTimer);
        this.#pingTimer = undefined;
        return;
      case "disconnect":
        if (this.#c.version !== MQTT_5) return this.protocolError("DISCONNECT from the server");
        return this.#serverDisconnect(p.reasonCode ?? 0, p.properties?.reasonString, p.properties?.serverReference);
      default:
        // CONNECT, SUBSCRIBE, UNSUBSCRIBE, PINGREQ never come from a server; AUTH needs an authentication method we never send.
        return this.protocolError(`${p.cmd.toUpperCase()} from the server`);
    }
  }

  /** A packet larger than our maximum went by without being held: report it; the connection goes on. */
  #skipped(s: SkippedPacket): void {
    const c = this.#c;
    c.stats.skipped++;
    this.#lastReceivedAt = c.host.clock.now();
    const what = s.cmd === "publish" ? `PUBLISH${s.topic !== undefined ? ` to "${s.topic}"` : ""}${s.messageId !== undefined ? ` (packet id ${s.messageId}, QoS ${s.qos}: acknowledged)` : ""}` : s.cmd.toUpperCase();
    c.log("error", `skipped a ${what} of ${s.size} bytes from the broker: larger than the maximum packet size ${this.#parser.maxPacketSize}`);
    c.callback(() => c.options.onSkipped?.(s));
    if (this.state === "connected") this.#session.skipped(s);
  }

  #refused(code: number, props: ConnackProperties | undefined): void {
    const c = this.#c;
    c.stats.refused++;
    const r = refusal(c.version, code, props);
    c.log("error", r.line);
    c.callback(() => c.options.onRefused?.(code, r.reason));
    this.#lost(`refused: ${r.reason}`, r.long);
  }

  /** MQTT 5: the server closes the connection and says why. */
  #serverDisconnect(code: number, why: string | undefined, reference: string | undefined): void {
    this.#c.stats.serverDisconnects++;
    const name = reasonName(code, "disconnect");
    this.#c.log("warn", `server sent DISCONNECT: 0x${hex(code)} ${name}${why ? ` (${why})` : ""}${reference ? `; server reference "${reference}" (not followed)` : ""}`);
    this.#lost(`server disconnected: ${name}`, disconnectIsLong(code));
  }

  #accepted(sessionPresent: boolean, props: ConnackProperties | undefined): void {
    const c = this.#c;
    c.host.timers.clear(this.#connectTimer);
    this.#connectTimer = undefined;
    this.state = "connected";
    this.#backoff.reset();
    c.stats.connects++;
    if (this.#everConnected) c.stats.reconnects++;
    this.#everConnected = true;
    const limits = props === undefined ? "" : this.#serverLimits(props);
    c.log("info", `connected${sessionPresent ? " (session resumed)" : ""}${limits}`);
    this.#scheduleKeepalive();
    this.#session.resume(sessionPresent);
    if (this.state === "connected") c.callback(() => c.options.onConnect?.(sessionPresent));
  }

  /** MQTT 5: takes the CONNACK's limits for this connection; returns them for the log line. */
  #serverLimits(props: ConnackProperties): string {
    const limits: string[] = [];
    const rm = props.receiveMaximum;
    if (rm !== undefined && rm > 0 && rm < this.window) {
      this.window = rm;
      limits.push(`receive maximum ${rm}`);
    }
    if (props.maximumPacketSize !== undefined && props.maximumPacketSize > 0) {
      this.codec = { protocolVersion: this.#c.version, maximumPacketSize: props.maximumPacketSize };
      limits.push(`maximum packet size ${props.maximumPacketSize}`);
    }
    if (props.serverKeepAlive !== undefined) {
      this.keepaliveS = props.serverKeepAlive;
      limits.push(`keepalive ${props.serverKeepAlive} s`);
    }
    if (props.assignedClientIdentifier !== undefined) {
      this.assignedId = props.assignedClientIdentifier;
      limits.push(`assigned client id "${props.assignedClientIdentifier}"`);
    }
    if (props.maximumQoS === 0) this.#c.log("warn", "the server supports QoS 0 only: QoS 1 messages will be refused");
    if (props.retainAvailable === false) this.#c.log("warn", "the server does not support retained messages");
    return limits.length > 0 ? `; server limits: ${limits.join(", ")}` : "";
  }

  // --- keepalive ------------------------------------------------------------

  #scheduleKeepalive(): void {
    const keepaliveMs = this.keepaliveS * 1000;
    if (keepaliveMs <= 0) return;
    const idle = this.#c.host.clock.now() - this.#lastSentAt;
    const generation = this.#generation;
    this.#keepaliveTimer = this.#c.host.timers.set(() => {
      if (generation === this.#generation) this.#keepaliveDue();
    }, Math.max(0, keepaliveMs - idle));
  }

  /** MqttClient.pingAhead: the keepalive check, `ms` ahead of now (its timer set again). */
  pingAhead(ms: number): void {
    if (this.#keepaliveTimer === undefined) return; // not connected, or keepalive off
    this.#c.host.timers.clear(this.#keepaliveTimer);
    this.#keepaliveDue(ms);
  }

  /** Pings if the keepalive falls due by `ahead` ms from now; sets the next check. */
  #keepaliveDue(ahead = 0): void {
    const c = this.#c;
    this.#keepaliveTimer = undefined;
    const keepaliveMs = this.keepaliveS * 1000;
    const now = c.host.clock.now() + ahead;
    const idle = now - this.#lastSentAt;
    // The spec's rule counts from the last packet sent. A node that publishes every second would then never
    // ping, so also ping when messages wait for acknowledgement and the broker has said nothing for a keepalive.
    const silent = this.#session.inflight > 0 && now - this.#lastReceivedAt + TIMER_SLACK_MS >= keepaliveMs;
    if ((idle + TIMER_SLACK_MS >= keepaliveMs || silent) && !this.pingOutstanding) {
      this.pingOutstanding = true;
      c.stats.pings++;
      const generation = this.#generation;
      const timeout = c.options.pingTimeoutMs ?? Math.min(MAX_PING_TIMEOUT_MS, Math.max(MIN_PING_TIMEOUT_MS, keepaliveMs / 2));
      this.#pingTimer = c.host.timers.set(() => {
        if (generation !== this.#generation) return;
        c.stats.pingTimeouts++;
        this.#lost("no PINGRESP in time");
      }, timeout);
      this.send({ cmd: "pingreq" });
      if (generation !== this.#generation) return;
    }
    this.#scheduleKeepalive();
  }
}
