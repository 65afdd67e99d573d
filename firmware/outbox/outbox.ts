/*
 * The outbox: store-and-forward for telemetry and alarms (docs/outbox.md).
 *
 * Every message is appended to a durable log (Host storage, flash on the
 * device) BEFORE it is handed to MQTT, and stays there until the broker's
 * PUBACK; an ACK record then retires it. A bounded RAM ring holds the payloads
 * of the next messages to send; the rest are read back from the log on demand,
 * so an outage costs flash, not RAM.
 *
 * - Bounded in bytes (`maxBytes` of live records, never exceeded: it sizes the
 *   flash spool): the oldest queued telemetry is dropped first; alarms are
 *   dropped only when no telemetry is left. Every drop is logged (DROP record)
 *   and counted by class; counts persist.
 * - A message the server refuses for good (MQTT 5 PUBACK >= 0x80, larger than
 *   it accepts) is retired as rejected: a DROP record flagged REJECTED, counted
 *   apart (it would only be refused again); the count persists.
 * - Recovery at boot: records are framed with magic, length, seq and CRC-32;
 *   a torn last record is dropped, a corrupt record in the middle is skipped
 *   (counted), every other record is recovered, in order.
 * - Compaction: two segments ("<name>" and "<name>-b") alternate. When most of
 *   the active one is dead (acknowledged or dropped), the live records are
 *   copied into the other, which is sealed, then the old one is erased. A
 *   power cut at any point leaves one complete sealed segment. Between
 *   compactions the log is strictly append-only (flash wear).
 *
 * This file keeps the public API, delivery and the bound policy; the parts:
 * record.ts (framing, scanner), queue.ts (live index, RAM ring), spool.ts
 * (the two segments, compaction), recovery.ts (replay at boot).
 *
 * XS-compatible: ECMAScript and the Host's Storage only.
 */
import type { LogLevel, Storage } from "../host.js";
import { concat } from "../util/bytes.js";
import { utf8Encode } from "../util/utf8.js";
import { checkTopicName } from "../mqtt/topic.js";
import { encodeMessage, encodeRecord, FLAG_CLASS_MASK, FLAG_REJECTED, HEADER_SIZE, MAX_BODY, MessageClass, RecordType, segmentBody, splitMessage, u32Body } from "./record.js";
import { INFLIGHT, QUEUED, Queue, type Entry } from "./queue.js";
import { Spool } from "./spool.js";
import { recover } from "./recovery.js";

export { MessageClass } from "./record.js";

export interface OutboxOptions {
  storage: Storage;
  /** Log name; the second segment is `<name>-b`. Default "outbox". */
  name?: string;
  /** Bytes of live (unacknowledged) records kept, never more; beyond, the drop policy applies. Default DEFAULT_MAX_BYTES (the ESP32's spool). */
  maxBytes?: number;
  /** Payloads held in RAM (next to send plus in flight). Default 64 messages ... */
  ramRecords?: number;
  /** ... and at most this many payload bytes. Default 48 KiB. */
  ramBytes?: number;
  /** No compaction below this log size. Default 64 KiB. */
  compactMinBytes?: number;
  /** Acknowledgements are written in batches of this many (and whenever nothing is in flight). Default 16. */
  ackBatch?: number;
  log?: (level: LogLevel, message: string) => void;
}

/**
 * A message handed to the MQTT client: `onDone(true)` after its PUBACK;
 * `onDone(true, true)` when the server refused it for good; `onDone(false)`
 * when it was not sent after all (offered again).
 */
export interface OutboxMessage {
  seq: number;
  topic: string;
  payload: Uint8Array;
  retain: boolean;
  onDone: (delivered: boolean, rejected?: boolean) => void;
}

export interface OutboxStats {
  /** Messages stored and not yet acknowledged (including those in flight). */
  queued: number;
  /** Their record bytes in the log. */
  queuedBytes: number;
  /** Handed to the client, awaiting PUBACK. */
  inflight: number;
  /** Payloads held in RAM now. */
  ramRecords: number;
  ramBytes: number;
  /** Messages accepted since boot. */
  accepted: number;
  /** Messages acknowledged since boot. */
  acked: number;
  /** Dropped by the bound policy, by class; cumulative over reboots. */
  dropped: { telemetry: number; alarm: number };
  /** Corrupt log regions skipped at recovery (each may have held records); cumulative. */
  corrupt: number;
  /** Refused by the server for good (MQTT 5 PUBACK >= 0x80, too large); cumulative over reboots. */
  rejected: number;
  /** Torn last records dropped at this boot's recovery (0 or 1). */
  torn: number;
  /** Unacknowledged messages recovered from the log at this boot. */
  recovered: number;
  /** Compactions since boot. */
  compactions: number;
  /** Log scans to refill the RAM ring since boot. */
  loads: number;
  /** Size of the active log segment. */
  logBytes: number;
}

/**
 * The default bound: what the ESP32's `storage` partition (440 KB of LittleFS, manifests/sdkconfig/
 * partitions.csv) takes. The spool peaks during a compaction at about three times the live bytes
 * plus one record (the old segment up to twice them, the copy once), and the partition also holds
 * the provisioned PEM files and LittleFS's own blocks: docs/outbox.md ("Flash") has the sums, and
 * test/outbox-flash.test.ts derives the largest bound from the csv and runs the worst case.
 */
export const DEFAULT_MAX_BYTES = 100 * 1024;
const DEFAULT_RAM_RECORDS = 64;
const DEFAULT_RAM_BYTES = 48 * 1024;
const DEFAULT_COMPACT_MIN_BYTES = 64 * 1024;
const DEFAULT_ACK_BATCH = 16;
const LOG_PREFIX = "outbox: ";

export class Outbox {
  /** Called when a message becomes available to send (wire it to the MQTT client's wake()). */
  onReady: (() => void) | undefined;

  #o: OutboxOptions;
  #maxBytes: number;
  #compactMin: number;
  #ackBatch: number;
  #spool: Spool;
  #queue: Queue;
  #nextSeq = 1;
  #pendingAcks: number[] = [];
  #stats = {
    accepted: 0,
    acked: 0,
    droppedTelemetry: 0,
    droppedAlarm: 0,
    corrupt: 0,
    rejected: 0,
    torn: 0,
    recovered: 0,
    compactions: 0,
    loads: 0,
  };

  constructor(options: OutboxOptions) {
    this.#o = options;
    this.#maxBytes = Math.max(1024, options.maxBytes ?? DEFAULT_MAX_BYTES);
    this.#compactMin = Math.max(1024, options.compactMinBytes ?? DEFAULT_COMPACT_MIN_BYTES);
    this.#ackBatch = Math.max(1, options.ackBatch ?? DEFAULT_ACK_BATCH);
    this.#queue = new Queue(Math.max(1, options.ramRecords ?? DEFAULT_RAM_RECORDS), Math.max(1024, options.ramBytes ?? DEFAULT_RAM_BYTES));
    this.#spool = new Spool(options.storage, options.name ?? "outbox");
    const queue = this.#queue;
    const r = recover(this.#spool, this.#stats, (topic) => queue.intern(topic), (level, message) => this.#log(level, message));
    queue.reset(r.entries);
    this.#nextSeq = r.nextSeq;
    this.#stats.recovered = r.entries.length;
    this.#stats.torn = r.tornBytes > 0 ? 1 : 0;
    // Never append after damage: rewrite the live records into a clean segment first.
    if (r.corrupt > 0 || r.tornBytes > 0) this.#compact();
    if (r.entries.length > 0) this.#load(0);
  }

  get stats(): OutboxStats {
    const s = this.#stats;
    const q = this.#queue;
    return {
      queued: q.live,
      queuedBytes: q.liveBytes,
      inflight: q.inflight,
      ramRecords: q.ram,
      ramBytes: q.ramBytes,
      accepted: s.accepted,
      acked: s.acked,
      dropped: { telemetry: s.droppedTelemetry, alarm: s.droppedAlarm },
      corrupt: s.corrupt,
      rejected: s.rejected,
      torn: s.torn,
      recovered: s.recovered,
      compactions: s.compactions,
      loads: s.loads,
      logBytes: this.#spool.size,
    };
  }

  /** Messages stored and not yet acknowledged. */
  get size(): number {
    return this.#queue.live;
  }

  /** Sequence numbers of the live messages, in order (for tests and diagnostics). */
  pendingSeqs(): number[] {
    return this.#queue.liveEntries().map((e) => e.seq);
  }

  /**
   * Stores a message durably, then announces it. Returns its outbox sequence
   * number, or undefined when it was refused (bad topic, too large, or the
   * bound policy dropped it at once: telemetry when only alarms fill the box).
   */
  push(topic: string, payload: Uint8Array | string, cls: MessageClass, retain = false): number | undefined {
    const bad = checkTopicName(topic);
    const bytes = typeof payload === "string" ? utf8Encode(payload) : payload;
    const topicBytes = utf8Encode(topic);
    if (bad !== undefined || 2 + topicBytes.length + bytes.length > MAX_BODY) {
      this.#log("error", `message refused: ${bad ?? `${bytes.length} bytes is too large`}`);
      return undefined;
    }
    const seq = this.#nextSeq++;
    const record = encodeMessage(seq, cls, retain, topicBytes, bytes);
    if (!this.#makeRoom(record.length, cls)) {
      this.#recordDrop(seq, cls);
      this.#flushAcks();
      this.#maybeCompact();
      return undefined;
    }
    // Pending acknowledgements ride along in the same write.
    const acks = this.#ackRecords();
    const offset = this.#spool.size + (acks === undefined ? 0 : acks.length);
    this.#spool.append(acks === undefined ? record : concat([acks, record]));
    this.#queue.add({ seq, cls, retain, topic: this.#queue.intern(topic), offset, size: record.length, payload: undefined, state: QUEUED }, bytes);
    this.#stats.accepted++;
    this.#maybeCompact();
    this.onReady?.();
    return seq;
  }

  /** The oldest message not yet in flight, marked in flight; undefined when none. */
  next(): OutboxMessage | undefined {
    const queue = this.#queue;
    for (let i = queue.nextQueued(0); i >= 0; i = queue.nextQueued(i + 1)) {
      const e = queue.at(i);
      if (e.payload === undefined) {
        this.#load(i);
        if (e.payload === undefined) {
          // Unreadable now (the log was damaged after boot): it cannot be sent.
          queue.retire(e, i);
          this.#stats.corrupt++;
          i = -1; // the index moved: look again from the front
          continue;
        }
      }
      e.state = INFLIGHT;
      queue.inflight++;
      return { seq: e.seq, topic: e.topic, payload: e.payload, retain: e.retain, onDone: (delivered, rejected) => this.#onDone(e, delivered, rejected === true) };
    }
    return undefined;
  }

  /** Writes pending acknowledgements (call before an orderly shutdown). */
  flush(): void {
    this.#flushAcks();
    this.#maybeCompact();
  }

  // --- delivery ---------------------------------------------------------------

  #onDone(e: Entry, delivered: boolean, rejected: boolean): void {
    if (e.state !== INFLIGHT) return; // dropped meanwhile, or a late callback
    const queue = this.#queue;
    if (!delivered) {
      queue.inflight--;
      e.state = QUEUED; // stays in the log; sent again when the client can
      return;
    }
    if (rejected) {
      this.#stats.rejected++;
      this.#log("warn", `${className(e.cls)} #${e.seq} to "${e.topic}" refused by the server; not sent again`);
      this.#spool.append(encodeRecord(RecordType.Drop, (e.cls & FLAG_CLASS_MASK) | FLAG_REJECTED, e.seq, u32Body(1)));
      queue.retire(e, -1);
      this.#maybeCompact();
      return;
    }
    this.#stats.acked++;
    this.#pendingAcks.push(e.seq);
    queue.retire(e, -1);
    if (this.#pendingAcks.length >= this.#ackBatch || queue.inflight === 0) this.#flushAcks();
    this.#maybeCompact();
  }

  #flushAcks(): void {
    const records = this.#ackRecords();
    if (records !== undefined) this.#spool.append(records);
  }

  /** ACK records (ranges) for the pending acknowledgements, which are then no longer pending. */
  #ackRecords(): Uint8Array | undefined {
    const acks = this.#pendingAcks;
    if (acks.length === 0) return undefined;
    acks.sort((a, b) => a - b);
    const records: Uint8Array[] = [];
    let first = acks[0];
    let count = 1;
    for (let i = 1; i <= acks.length; i++) {
      if (i < acks.length && acks[i] === first + count) {
        count++;
        continue;
      }
      records.push(encodeRecord(RecordType.Ack, 0, first, u32Body(count)));
      if (i < acks.length) {
        first = acks[i];
        count = 1;
      }
    }
    this.#pendingAcks = [];
    return concat(records);
  }

  /** Reads the payloads of the next queued entries from `from` on back from flash, as far as the RAM budget goes. */
  #load(from: number): void {
    const queue = this.#queue;
    const wanted = queue.toLoad(from, HEADER_SIZE);
    if (wanted.length === 0) return;
    this.#stats.loads++;
    this.#spool.readRecords(wanted, (e, r) => {
      const parts = r && r.type === RecordType.Message && r.seq === e.seq ? splitMessage(r.body) : undefined;
      if (parts) queue.hold(e, parts.payload.slice());
    });
  }

  // --- bounds -----------------------------------------------------------------

  /** Drops queued messages until `bytes` more fit; false when the new message itself must go. */
  #makeRoom(bytes: number, cls: number): boolean {
    const queue = this.#queue;
    if (bytes > this.#maxBytes) return false; // larger than the whole bound: dropping the rest would not make it fit
    while (queue.liveBytes + bytes > this.#maxBytes) {
      let victim = queue.nextQueued(0, MessageClass.Telemetry);
      if (victim < 0) {
        if (cls === MessageClass.Telemetry) return false; // keep the alarms; this telemetry goes
        victim = queue.nextQueued(0, MessageClass.Alarm);
      }
      // The rest is in flight: the new message goes. The bound is hard, as the flash spool is sized by it.
      if (victim < 0) return false;
      const e = queue.at(victim);
      this.#recordDrop(e.seq, e.cls);
      queue.retire(e, victim);
      // Checked after every append, so the segment never outgrows its threshold by more than one record (docs/outbox.md, "Flash").
      this.#maybeCompact();
    }
    return true;
  }

  #recordDrop(seq: number, cls: number): void {
    if (cls === MessageClass.Alarm) this.#stats.droppedAlarm++;
    else this.#stats.droppedTelemetry++;
    this.#log("warn", `outbox full: dropped ${className(cls)} #${seq}`);
    this.#spool.append(encodeRecord(RecordType.Drop, cls & FLAG_CLASS_MASK, seq, u32Body(1)));
  }

  // --- compaction -------------------------------------------------------------

  #maybeCompact(): void {
    const size = this.#spool.size;
    if (size >= this.#compactMin && this.#queue.liveBytes * 2 <= size) this.#compact();
  }

  /** Rewrites the live records into the other segment (spool.ts); records it could not read back are lost. */
  #compact(): void {
    const queue = this.#queue;
    const live = queue.liveEntries();
    const lost = this.#spool.compact(live, segmentBody(this.#nextSeq, this.#stats));
    this.#pendingAcks = []; // acknowledged records were not copied
    for (const e of lost) {
      this.#stats.corrupt++;
      queue.retireAnywhere(e);
    }
    queue.pack();
    this.#stats.compactions++;
    this.#log("debug", `compacted: ${live.length} live messages, ${this.#spool.size} bytes (epoch ${this.#spool.epoch})`);
  }

  #log(level: LogLevel, message: string): void {
    this.#o.log?.(level, LOG_PREFIX + message);
  }
}

function className(cls: number): string {
  return cls === MessageClass.Alarm ? "alarm" : "telemetry";
}
