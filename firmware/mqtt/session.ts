/*
 * The MQTT session: what outlives a connection. Packet ids, the bounded QoS 1
 * queue, the in-flight window and its resend after a reconnect (DUP=1 only
 * into a resumed session), the PublishSource (the outbox) pulled when the
 * window has room, subscriptions (renewed on every new session), and QoS 1/2
 * receipt (a resent QoS 2 PUBLISH is not delivered twice).
 *
 * It speaks through its MqttConnection (connection.ts), which owns the socket,
 * CONNECT/CONNACK, keepalive and backoff, and calls back here (SessionEvents).
 */
import { hex } from "../util/format.js";
import { utf8Encode } from "../util/utf8.js";
import { checkString } from "./bytes.js";
import type { ClientContext } from "./context.js";
import { MqttConnection, type SessionEvents } from "./connection.js";
import type { PublishOptions, PublishSource } from "./options.js";
import { MAX_PACKET_ID, MQTT_5, reasonName, ReasonCode, type AnyPacket, type PublishPacket, type QoS, type SkippedPacket } from "./packet.js";
import { checkTopicFilter, checkTopicName } from "./topic.js";

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

export class MqttSession implements SessionEvents {
  readonly connection: MqttConnection;
  #c: ClientContext;
  #queue: Outgoing[] = [];
  #inflight = new Map<number, Outgoing>();
  #subs = new Map<string, Sub>();
  #pendingSubs = new Map<number, string>();
  /** QoS 2 ids received and not yet released, so a resent PUBLISH is not delivered twice. */
  #qos2Received = new Set<number>();
  #lastId = 0;
  #source: PublishSource | undefined;

  constructor(context: ClientContext) {
    this.#c = context;
    this.connection = new MqttConnection(context, this);
  }

  /** QoS 1 messages sent and not yet acknowledged. */
  get inflight(): number {
    return this.#inflight.size;
  }

  /** QoS 1 messages held: queued plus in flight. */
  get pending(): number {
    return this.#queue.length + this.#inflight.size;
  }

  /** A PUBACK or SUBACK is due. */
  get awaitingAck(): boolean {
    return this.#inflight.size > 0 || this.#pendingSubs.size > 0;
  }

  /** How many acks are due: one per message in flight and per subscription sent. */
  get acksDue(): number {
    return this.#inflight.size + this.#pendingSubs.size;
  }

  setSource(source: PublishSource | undefined): void {
    this.#source = source;
    this.pump();
  }

  publish(topic: string, payload: Uint8Array | string, options: PublishOptions, onDone?: (delivered: boolean) => void): void {
    const c = this.#c;
    const bad = checkString(topic, "topic") ?? checkTopicName(topic);
    const qos = options.qos;
    if (bad !== undefined || (qos !== 0 && qos !== 1)) {
      c.log("error", `publish refused: ${bad ?? `QoS ${qos} not supported`}`);
      c.stats.dropped++;
      if (onDone !== undefined) c.callback(() => onDone(false));
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
      if (!this.connection.connected) {
        c.stats.dropped++;
        this.#done(msg, false);
        return;
      }
      const r = this.#sendPublish(msg, false);
      if (typeof r === "string") return this.#unsendable(msg, r);
      if (r) c.stats.sent++;
      this.#done(msg, r);
      return;
    }
    this.#queue.push(msg);
    const limit = c.options.maxQueued ?? DEFAULT_MAX_QUEUED;
    while (this.#queue.length > limit) {
      const oldest = this.#queue.shift()!;
      c.stats.dropped++;
      this.#done(oldest, false);
    }
    this.pump();
  }

  subscribe(topicFilter: string, qos: 0 | 1): void {
    const bad = checkString(topicFilter, "topic filter") ?? checkTopicFilter(topicFilter);
    if (bad !== undefined || (qos !== 0 && qos !== 1)) {
      this.#c.log("error", `subscribe refused: ${bad ?? `QoS ${qos} not supported`}`);
      return;
    }
    this.#subs.set(topicFilter, { qos, confirmed: false });
    if (this.connection.connected) this.#sendSubscribe(topicFilter);
  }

  /** stop(): every message held is given up (onDone(false); a source offers it again later). */
  abandon(): void {
    const abandoned = [...this.#inflight.values(), ...this.#queue];
    this.#inflight.clear();
    this.#queue = [];
    this.#c.stats.dropped += abandoned.length;
    for (const m of abandoned) this.#done(m, false);
  }

  // --- SessionEvents: what the connection tells us ---------------------------

  resume(sessionPresent: boolean): void {
    const conn = this.connection;
    if (!sessionPresent) {
      this.#qos2Received.clear();
      for (const sub of this.#subs.values()) sub.confirmed = false;
    }
    // Unacknowledged messages first, in their original order [MQTT-4.6.0-1], within this server's window.
    // Beyond it, they go back to the head of the queue and leave with new packet ids as the window opens.
    const back: Outgoing[] = [];
    let slots = conn.window;
    for (const msg of [...this.#inflight.values()]) {
      if (!conn.connected) return; // a write failed and dropped the connection
      if (slots-- <= 0) {
        this.#inflight.delete(msg.messageId);
        msg.messageId = 0;
        back.push(msg);
        continue;
      }
      const r = this.#sendPublish(msg, sessionPresent);
      if (r === true) this.#c.stats.resent++;
      else if (typeof r === "string") {
        this.#inflight.delete(msg.messageId);
        this.#unsendable(msg, r);
      }
    }
    if (back.length > 0) this.#queue = back.concat(this.#queue);
    for (const [filter, sub] of this.#subs) if (!sub.confirmed) this.#sendSubscribe(filter);
    this.pump();
  }

  closed(): void {
    this.#pendingSubs.clear();
  }

  packet(p: AnyPacket): void {
    const c = this.#c;
    switch (p.cmd) {
      case "publish":
        return this.#receive(p);
      case "puback": {
        const msg = this.#inflight.get(p.messageId);
        if (msg === undefined) {
          // Nothing was sent with that id: the broker is confused; start over (in-flight messages are resent).
          c.log("error", `PUBACK for packet id ${p.messageId}, which is not in flight`);
          return this.connection.protocolError(`PUBACK for unknown packet id ${p.messageId}`);
        }
        this.#inflight.delete(p.messageId);
        const code = p.reasonCode ?? 0;
        if (code >= ReasonCode.unspecifiedError) {
          // MQTT 5: the broker will not deliver it (not authorized, quota, ...). Resending would get the same answer.
          c.stats.rejected++;
          const name = reasonName(code, "puback");
          const why = p.properties?.reasonString;
          c.log("error", `broker rejected the message to "${msg.topic}" (packet id ${p.messageId}): 0x${hex(code)} ${name}${why ? ` (${why})` : ""}; not resent`);
          c.callback(() => c.options.onRejected?.(msg.topic, code, name));
          this.#settleUndeliverable(msg);
        } else {
          // 0x00 Success and 0x10 No matching subscribers: the broker has it.
          c.stats.acked++;
          this.#done(msg, true);
        }
        return this.pump();
      }
      case "pubrel":
        this.#qos2Received.delete(p.messageId);
        this.connection.send({ cmd: "pubcomp", messageId: p.messageId });
        return;
      case "suback": {
        const filter = this.#pendingSubs.get(p.messageId);
        this.#pendingSubs.delete(p.messageId);
        const sub = filter === undefined ? undefined : this.#subs.get(filter);
        if (sub === undefined) return;
        const code = p.granted[0];
        if (code >= ReasonCode.unspecifiedError) {
          const name = c.version === MQTT_5 ? `: 0x${hex(code)} ${reasonName(code, "suback")}` : "";
          c.log("warn", `subscription to "${filter}" refused by the broker${name}`);
        } else sub.confirmed = true;
        return;
      }
      default:
        // PUBREC, PUBCOMP, UNSUBACK: we never send what they answer.
        c.log("debug", `ignoring unexpected ${p.cmd.toUpperCase()} ${"messageId" in p ? p.messageId : ""}`);
    }
  }

  /** A PUBLISH too large to take: not delivered, but acknowledged so the broker does not send it again. */
  skipped(s: SkippedPacket): void {
    if (s.cmd !== "publish" || s.messageId === undefined) return;
    if (s.qos === 1) this.connection.send({ cmd: "puback", messageId: s.messageId });
    else if (s.qos === 2) this.connection.send({ cmd: "pubrec", messageId: s.messageId });
  }

  // --- sending ---------------------------------------------------------------

  /** Moves queued QoS 1 messages, then the source's, into flight while the window has room. */
  pump(): void {
    const conn = this.connection;
    while (conn.connected && this.#inflight.size < conn.window) {
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
      if (!conn.connected) return; // the write failed and dropped the connection
      if (r) this.#c.stats.sent++;
    }
  }

  #receive(p: PublishPacket): void {
    const c = this.#c;
    if (p.topic === "") {
      // MQTT 5 topic alias: we announce Topic Alias Maximum 0, so the server must not use one.
      return this.connection.protocolError("PUBLISH with a topic alias (we allow none)");
    }
    c.stats.received++;
    let deliver = true;
    if (p.qos === 2) {
      deliver = !this.#qos2Received.has(p.messageId!);
      this.#qos2Received.add(p.messageId!);
    }
    if (deliver) c.callback(() => c.options.onMessage?.(p.topic, p.payload));
    if (p.qos === 1) this.connection.send({ cmd: "puback", messageId: p.messageId! });
    else if (p.qos === 2) this.connection.send({ cmd: "pubrec", messageId: p.messageId! });
  }

  /** Writes a PUBLISH: true when written, false when the connection is gone, an explanation when it cannot be encoded (too large). */
  #sendPublish(msg: Outgoing, dup: boolean): boolean | string {
    const packet: PublishPacket = { cmd: "publish", topic: msg.topic, payload: msg.payload, qos: msg.qos, retain: msg.retain, dup: dup && msg.qos > 0 };
    if (msg.qos > 0) packet.messageId = msg.messageId;
    return this.connection.write(packet);
  }

  #sendSubscribe(filter: string): void {
    const sub = this.#subs.get(filter)!;
    const messageId = this.#nextId();
    if (messageId === undefined) return;
    this.#pendingSubs.set(messageId, filter);
    this.connection.send({ cmd: "subscribe", messageId, subscriptions: [{ topic: filter, qos: sub.qos }] });
  }

  /** Next packet id in 1..65535 not used by a message in flight or a pending SUBSCRIBE. */
  #nextId(): number | undefined {
    for (let i = 0; i < MAX_PACKET_ID; i++) {
      this.#lastId = (this.#lastId % MAX_PACKET_ID) + 1;
      if (!this.#inflight.has(this.#lastId) && !this.#pendingSubs.has(this.#lastId)) return this.#lastId;
    }
    return undefined;
  }

  /** A message that can never be sent on this server (too large): dropped, counted, reported; never retried. */
  #unsendable(msg: Outgoing, why: string): void {
    const c = this.#c;
    c.stats.dropped++;
    c.stats.tooLarge++;
    c.log("error", `message to "${msg.topic}" (${msg.payload.length} bytes) dropped: ${why}`);
    this.#settleUndeliverable(msg);
  }

  /** The message will never be delivered: an application callback hears (false, true); a source hears (true, true): finished, refused (so it does not offer it again). */
  #settleUndeliverable(msg: Outgoing): void {
    const cb = msg.onDone;
    if (cb !== undefined) this.#c.callback(() => cb(msg.sourced, true));
  }

  #done(msg: Outgoing, delivered: boolean): void {
    const cb = msg.onDone;
    if (cb !== undefined) this.#c.callback(() => cb(delivered));
  }
}
