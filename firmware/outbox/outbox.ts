/*
 * The outbox: store-and-forward for telemetry and alarms (docs/outbox.md).
 *
 * Every message is appended to a durable log (Host storage, flash on the
 * device) BEFORE it is handed to MQTT, and stays there until the broker's
 * PUBACK; an ACK record then retires it. A bounded RAM ring holds the payloads
 * of the next messages to send; the rest are read back from the log on demand,
 * so hours offline cost flash, not RAM.
 *
 * - Bounded in bytes (`maxBytes` of live records): the oldest queued telemetry
 *   is dropped first; alarms are dropped only when no telemetry is left. Every
 *   drop is logged (DROP record) and counted by class; counts persist.
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
 * XS-compatible: ECMAScript and the Host's Storage only.
 */
import type { AppendLog, LogLevel, Storage } from "../host.js";
import { utf8Decode, utf8Encode } from "../util/utf8.js";
import { checkTopicName } from "../mqtt/topic.js";
import {
  encodeMessage,
  encodeRecord,
  FLAG_CLASS_MASK,
  FLAG_REJECTED,
  FLAG_RETAIN,
  getU32,
  HEADER_SIZE,
  MAX_BODY,
  MessageClass,
  RecordType,
  Scanner,
  splitMessage,
  u32Body,
  type RecordView,
} from "./record.js";

export { MessageClass } from "./record.js";

export interface OutboxOptions {
  storage: Storage;
  /** Log name; the second segment is `<name>-b`. Default "outbox". */
  name?: string;
  /** Bytes of live (unacknowledged) records kept; beyond, the drop policy applies. Default 2 MiB (about an hour of telemetry at 1 Hz). */
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

interface Entry {
  seq: number;
  cls: number;
  retain: boolean;
  topic: string;
  /** Offset and size of its record in the active segment. */
  offset: number;
  size: number;
  payload: Uint8Array | undefined;
  state: typeof QUEUED | typeof INFLIGHT | typeof DONE;
}

const QUEUED = 0;
const INFLIGHT = 1;
const DONE = 2;

const DEFAULT_MAX_BYTES = 2 * 1024 * 1024;
const DEFAULT_RAM_RECORDS = 64;
const DEFAULT_RAM_BYTES = 48 * 1024;
const DEFAULT_COMPACT_MIN_BYTES = 64 * 1024;
const DEFAULT_ACK_BATCH = 16;
/** Done entries at the front of the index are trimmed once there are more than this many (and they are the larger half). */
const TRIM_DONE_ENTRIES = 64;
/** Compaction writes the new segment in appends of about this size. */
const COPY_CHUNK = 4096;
const LOG_PREFIX = "outbox: ";

export class Outbox {
  /** Called when a message becomes available to send (wire it to the MQTT client's wake()). */
  onReady: (() => void) | undefined;

  #o: OutboxOptions;
  #maxBytes: number;
  #ramLimit: number;
  #ramBytesLimit: number;
  #compactMin: number;
  #ackBatch: number;
  #logs: [AppendLog, AppendLog];
  #active = 0;
  #epoch = 0;
  #logSize = 0;
  #nextSeq = 1;
  /** Live entries in seq order from #head; DONE entries are trimmed from the front. */
  #entries: Entry[] = [];
  #head = 0;
  #liveBytes = 0;
  #live = 0;
  #inflight = 0;
  #ram = 0;
  #ramBytes = 0;
  #pendingAcks: number[] = [];
  #topics = new Map<string, string>();
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
    this.#ramLimit = Math.max(1, options.ramRecords ?? DEFAULT_RAM_RECORDS);
    this.#ramBytesLimit = Math.max(1024, options.ramBytes ?? DEFAULT_RAM_BYTES);
    this.#compactMin = Math.max(1024, options.compactMinBytes ?? DEFAULT_COMPACT_MIN_BYTES);
    this.#ackBatch = Math.max(1, options.ackBatch ?? DEFAULT_ACK_BATCH);
    const name = options.name ?? "outbox";
    this.#logs = [options.storage.openLog(name), options.storage.openLog(`${name}-b`)];
    this.#recover();
  }

  get stats(): OutboxStats {
    const s = this.#stats;
    return {
      queued: this.#live,
      queuedBytes: this.#liveBytes,
      inflight: this.#inflight,
      ramRecords: this.#ram,
      ramBytes: this.#ramBytes,
      accepted: s.accepted,
      acked: s.acked,
      dropped: { telemetry: s.droppedTelemetry, alarm: s.droppedAlarm },
      corrupt: s.corrupt,
      rejected: s.rejected,
      torn: s.torn,
      recovered: s.recovered,
      compactions: s.compactions,
      loads: s.loads,
      logBytes: this.#logSize,
    };
  }

  /** Messages stored and not yet acknowledged. */
  get size(): number {
    return this.#live;
  }

  /** Sequence numbers of the live messages, in order (for tests and diagnostics). */
  pendingSeqs(): number[] {
    const out: number[] = [];
    for (let i = this.#head; i < this.#entries.length; i++) if (this.#entries[i].state !== DONE) out.push(this.#entries[i].seq);
    return out;
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
      return undefined;
    }
    // Pending acknowledgements ride along in the same write.
    const acks = this.#ackRecords();
    const offset = this.#logSize + (acks === undefined ? 0 : acks.length);
    this.#append(acks === undefined ? record : concat([acks, record]));
    const entry: Entry = { seq, cls, retain, topic: this.#intern(topic), offset, size: record.length, payload: undefined, state: QUEUED };
    if (this.#ram < this.#ramLimit && this.#ramBytes + bytes.length <= this.#ramBytesLimit) this.#hold(entry, bytes);
    this.#entries.push(entry);
    this.#live++;
    this.#liveBytes += record.length;
    this.#stats.accepted++;
    this.#maybeCompact();
    this.onReady?.();
    return seq;
  }

  /** The oldest message not yet in flight, marked in flight; undefined when none. */
  next(): OutboxMessage | undefined {
    const entries = this.#entries;
    for (let i = this.#head; i < entries.length; i++) {
      const e = entries[i];
      if (e.state !== QUEUED) continue;
      if (e.payload === undefined) {
        this.#load(i);
        if (e.payload === undefined) {
          // Unreadable now (the log was damaged after boot): it cannot be sent.
          this.#retire(e, i);
          this.#stats.corrupt++;
          i--;
          continue;
        }
      }
      e.state = INFLIGHT;
      this.#inflight++;
      return { seq: e.seq, topic: e.topic, payload: e.payload, retain: e.retain, onDone: (delivered, rejected) => this.#onDone(e, delivered, rejected === true) };
    }
    return undefined;
  }

  /** Writes pending acknowledgements (call before an orderly shutdown). */
  flush(): void {
    this.#flushAcks();
  }

  // --- delivery ---------------------------------------------------------------

  #onDone(e: Entry, delivered: boolean, rejected: boolean): void {
    if (e.state !== INFLIGHT) return; // dropped meanwhile, or a late callback
    if (!delivered) {
      this.#inflight--;
      e.state = QUEUED; // stays in the log; sent again when the client can
      return;
    }
    if (rejected) {
      this.#stats.rejected++;
      this.#log("warn", `${e.cls === MessageClass.Alarm ? "alarm" : "telemetry"} #${e.seq} to "${e.topic}" refused by the server; not sent again`);
      this.#append(encodeRecord(RecordType.Drop, (e.cls & FLAG_CLASS_MASK) | FLAG_REJECTED, e.seq, u32Body(1)));
      this.#retire(e, -1);
      this.#maybeCompact();
      return;
    }
    this.#stats.acked++;
    this.#pendingAcks.push(e.seq);
    this.#retire(e, -1);
    if (this.#pendingAcks.length >= this.#ackBatch || this.#inflight === 0) this.#flushAcks();
    this.#maybeCompact();
  }

  /** Removes an entry from the live set (acknowledged, dropped or unreadable). */
  #retire(e: Entry, index: number): void {
    if (e.state === INFLIGHT) this.#inflight--;
    e.state = DONE;
    this.#live--;
    this.#liveBytes -= e.size;
    this.#release(e);
    const entries = this.#entries;
    if (index >= 0 && index > this.#head) {
      entries.splice(index, 1);
      return;
    }
    while (this.#head < entries.length && entries[this.#head].state === DONE) this.#head++;
    // Nothing live (the usual state online): drop the index at once rather than keep up to 64 done entries.
    if (this.#head === entries.length) {
      entries.length = 0;
      this.#head = 0;
    } else if (this.#head > TRIM_DONE_ENTRIES && this.#head * 2 > entries.length) {
      entries.splice(0, this.#head);
      this.#head = 0;
    }
  }

  #flushAcks(): void {
    const records = this.#ackRecords();
    if (records !== undefined) this.#append(records);
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

  // --- bounds -----------------------------------------------------------------

  /** Drops queued messages until `bytes` more fit; false when the new message itself must go. */
  #makeRoom(bytes: number, cls: number): boolean {
    while (this.#liveBytes + bytes > this.#maxBytes) {
      let victim = this.#oldestQueued(MessageClass.Telemetry);
      if (victim < 0) {
        if (cls === MessageClass.Telemetry) return false; // keep the alarms; this telemetry goes
        victim = this.#oldestQueued(MessageClass.Alarm);
      }
      if (victim < 0) return true; // all in flight: a window's worth over the bound, briefly
      const e = this.#entries[victim];
      this.#recordDrop(e.seq, e.cls);
      this.#retire(e, victim);
    }
    return true;
  }

  #oldestQueued(cls: number): number {
    const entries = this.#entries;
    for (let i = this.#head; i < entries.length; i++) if (entries[i].state === QUEUED && entries[i].cls === cls) return i;
    return -1;
  }

  #recordDrop(seq: number, cls: number): void {
    if (cls === MessageClass.Alarm) this.#stats.droppedAlarm++;
    else this.#stats.droppedTelemetry++;
    this.#log("warn", `outbox full: dropped ${cls === MessageClass.Alarm ? "alarm" : "telemetry"} #${seq}`);
    this.#append(encodeRecord(RecordType.Drop, cls & FLAG_CLASS_MASK, seq, u32Body(1)));
  }

  // --- RAM ring ---------------------------------------------------------------

  #hold(e: Entry, payload: Uint8Array): void {
    e.payload = payload;
    this.#ram++;
    this.#ramBytes += payload.length;
  }

  #release(e: Entry): void {
    if (e.payload === undefined) return;
    this.#ram--;
    this.#ramBytes -= e.payload.length;
    e.payload = undefined;
  }

  /** Reads the payloads of the next queued entries from `from` on, as far as the RAM budget goes. */
  #load(from: number): void {
    const wanted: Entry[] = [];
    let ram = this.#ram;
    let ramBytes = this.#ramBytes;
    for (let i = from; i < this.#entries.length && ram < this.#ramLimit; i++) {
      const e = this.#entries[i];
      if (e.state !== QUEUED || e.payload !== undefined) continue;
      const estimate = e.size - HEADER_SIZE;
      if (wanted.length > 0 && ramBytes + estimate > this.#ramBytesLimit) break;
      wanted.push(e);
      ram++;
      ramBytes += estimate;
    }
    if (wanted.length === 0) return;
    this.#stats.loads++;
    this.#readRecords(wanted, (e, r) => {
      const parts = r && r.type === RecordType.Message && r.seq === e.seq ? splitMessage(r.body) : undefined;
      if (parts) this.#hold(e, parts.payload.slice());
    });
  }

  /** Reads the records of `wanted` (sorted by offset) from the active segment and checks each. */
  #readRecords(wanted: Entry[], visit: (e: Entry, r: RecordView | undefined) => void): void {
    let k = 0;
    let buf: Uint8Array | undefined;
    let pos = 0;
    this.#logs[this.#active].readAll((chunk) => {
      const end = pos + chunk.length;
      while (k < wanted.length) {
        const e = wanted[k];
        const recEnd = e.offset + e.size;
        if (e.offset >= end) break; // starts in a later chunk
        if (recEnd <= pos && buf === undefined) {
          visit(e, undefined); // behind us: offsets out of order (cannot happen)
          k++;
          continue;
        }
        buf ??= new Uint8Array(e.size);
        const from = Math.max(e.offset, pos);
        const to = Math.min(recEnd, end);
        buf.set(chunk.subarray(from - pos, to - pos), from - e.offset);
        if (recEnd > end) break; // continues in the next chunk
        visit(e, parseOne(buf));
        buf = undefined;
        k++;
      }
      pos = end;
    });
    for (; k < wanted.length; k++) visit(wanted[k], undefined);
  }

  // --- log --------------------------------------------------------------------

  #append(bytes: Uint8Array): void {
    this.#logs[this.#active].append(bytes);
    this.#logSize += bytes.length;
  }

  #maybeCompact(): void {
    if (this.#logSize >= this.#compactMin && this.#liveBytes * 2 <= this.#logSize) this.#compact();
  }

  /** Copies the live records into the other segment, seals it, then erases the old one. */
  #compact(): void {
    const fromIndex = this.#active;
    const toIndex = 1 - fromIndex;
    const to = this.#logs[toIndex];
    const epoch = (this.#epoch + 1) >>> 0;
    const live: Entry[] = [];
    for (let i = this.#head; i < this.#entries.length; i++) if (this.#entries[i].state !== DONE) live.push(this.#entries[i]);
    to.clear();
    let size = 0;
    let batch: Uint8Array[] = [];
    let batchBytes = 0;
    const write = (bytes: Uint8Array) => {
      batch.push(bytes);
      batchBytes += bytes.length;
      if (batchBytes >= COPY_CHUNK) flush();
    };
    const flush = () => {
      if (batchBytes === 0) return;
      const all = concat(batch);
      to.append(all);
      size += all.length;
      batch = [];
      batchBytes = 0;
    };
    write(this.#segmentRecord(epoch));
    const offsets = new Map<Entry, number>();
    const place = (e: Entry, record: Uint8Array) => {
      offsets.set(e, size + batchBytes);
      write(record);
    };
    const lost: Entry[] = [];
    // Records whose payload is in RAM are re-encoded (same bytes); the rest are copied from the log.
    const fromLog = live.filter((e) => e.payload === undefined);
    const copies = new Map<Entry, Uint8Array>();
    if (fromLog.length > 0) this.#readRecords(fromLog, (e, r) => (r && r.seq === e.seq ? copies.set(e, encodeRecord(r.type, r.flags, r.seq, r.body)) : lost.push(e)));
    for (const e of live) {
      if (e.payload !== undefined) place(e, encodeMessage(e.seq, e.cls, e.retain, utf8Encode(e.topic), e.payload));
      else {
        const copy = copies.get(e);
        if (copy !== undefined) place(e, copy);
      }
    }
    write(encodeRecord(RecordType.Seal, 0, epoch, new Uint8Array(0)));
    flush();
    // The new segment is complete: from here on a power cut recovers from it.
    this.#logs[fromIndex].clear();
    this.#active = toIndex;
    this.#epoch = epoch;
    this.#logSize = size;
    this.#pendingAcks = []; // acknowledged records were not copied
    for (const e of live) {
      const offset = offsets.get(e);
      if (offset !== undefined) e.offset = offset;
    }
    for (const e of lost) {
      this.#stats.corrupt++;
      this.#retire(e, this.#entries.indexOf(e, this.#head));
    }
    this.#entries = this.#entries.slice(this.#head).filter((e) => e.state !== DONE);
    this.#head = 0;
    this.#stats.compactions++;
    this.#log("debug", `compacted: ${live.length} live messages, ${size} bytes (epoch ${epoch})`);
  }

  #segmentRecord(epoch: number): Uint8Array {
    const s = this.#stats;
    return encodeRecord(RecordType.Segment, 0, epoch, u32Body(this.#nextSeq, s.droppedTelemetry, s.droppedAlarm, s.corrupt, s.rejected));
  }

  // --- recovery ---------------------------------------------------------------

  #recover(): void {
    // Pass 1: which segment is authoritative (sealed, highest epoch)?
    const info = this.#logs.map((log) => {
      let epoch = -1;
      let sealed = false;
      let first = true;
      const scanner = new Scanner((r) => {
        if (first) {
          first = false;
          if (r.type === RecordType.Segment && r.offset === 0 && r.body.length >= 16) epoch = r.seq;
          return;
        }
        if (r.type === RecordType.Seal && epoch >= 0 && r.seq === epoch) sealed = true;
      });
      log.readAll((chunk) => scanner.push(chunk));
      scanner.finish();
      return { epoch, sealed, bytes: log.size() };
    });
    const candidates = [0, 1].filter((i) => info[i].sealed);
    if (candidates.length === 0) {
      if (info[0].bytes > 0 || info[1].bytes > 0) this.#log("error", "no complete outbox segment found; starting empty");
      for (const log of this.#logs) log.clear();
      this.#active = 0;
      this.#epoch = (Math.max(info[0].epoch, info[1].epoch, 0) + 1) >>> 0;
      this.#logSize = 0;
      this.#append(concat([this.#segmentRecord(this.#epoch), encodeRecord(RecordType.Seal, 0, this.#epoch, new Uint8Array(0))]));
      return;
    }
    const active = candidates.length === 2 ? (info[1].epoch > info[0].epoch ? 1 : 0) : candidates[0];
    this.#active = active;
    this.#epoch = info[active].epoch;
    const other = this.#logs[1 - active];
    if (info[1 - active].bytes > 0) other.clear(); // older, or a compaction cut short

    // Pass 2: rebuild the live set.
    const bySeq = new Map<number, Entry>();
    let maxSeq = 0;
    let nextSeq = 1;
    const s = this.#stats;
    const scanner = new Scanner((r) => {
      switch (r.type) {
        case RecordType.Segment:
          if (r.offset === 0 && r.body.length >= 16) {
            nextSeq = getU32(r.body, 0);
            s.droppedTelemetry = getU32(r.body, 4);
            s.droppedAlarm = getU32(r.body, 8);
            s.corrupt = getU32(r.body, 12);
            s.rejected = r.body.length >= 20 ? getU32(r.body, 16) : 0;
          }
          return;
        case RecordType.Message: {
          const parts = splitMessage(r.body);
          if (parts === undefined) return;
          const topic = utf8Decode(parts.topic);
          if (topic === undefined) return;
          if (r.seq > maxSeq) maxSeq = r.seq;
          bySeq.set(r.seq, {
            seq: r.seq,
            cls: r.flags & FLAG_CLASS_MASK,
            retain: (r.flags & FLAG_RETAIN) !== 0,
            topic: this.#intern(topic),
            offset: r.offset,
            size: r.size,
            payload: undefined,
            state: QUEUED,
          });
          return;
        }
        case RecordType.Ack: {
          const count = r.body.length >= 4 ? getU32(r.body, 0) : 0;
          if (count <= 4 * bySeq.size + 64) for (let q = r.seq; q < r.seq + count; q++) bySeq.delete(q);
          else for (const q of [...bySeq.keys()]) if (q >= r.seq && q < r.seq + count) bySeq.delete(q);
          return;
        }
        case RecordType.Drop:
          if ((r.flags & FLAG_REJECTED) !== 0) s.rejected++;
          else if ((r.flags & FLAG_CLASS_MASK) === MessageClass.Alarm) s.droppedAlarm++;
          else s.droppedTelemetry++;
          if (r.seq > maxSeq) maxSeq = r.seq;
          bySeq.delete(r.seq);
          return;
      }
    });
    const log = this.#logs[active];
    log.readAll((chunk) => scanner.push(chunk));
    const result = scanner.finish();
    this.#logSize = result.bytes;
    this.#nextSeq = Math.max(nextSeq, maxSeq + 1);
    const entries = [...bySeq.values()].sort((a, b) => a.seq - b.seq);
    this.#entries = entries;
    this.#live = entries.length;
    for (const e of entries) this.#liveBytes += e.size;
    s.recovered = entries.length;
    s.corrupt += result.corrupt;
    s.torn = result.tornBytes > 0 ? 1 : 0;
    if (result.corrupt > 0) this.#log("error", `skipped ${result.corrupt} corrupt region(s) in the outbox log`);
    if (result.tornBytes > 0) this.#log("warn", `dropped a torn last record (${result.tornBytes} bytes)`);
    if (entries.length > 0) this.#log("info", `recovered ${entries.length} unacknowledged message(s), #${entries[0].seq}..#${entries[entries.length - 1].seq}`);
    // Never append after damage: rewrite the live records into a clean segment first.
    if (result.corrupt > 0 || result.tornBytes > 0) this.#compact();
    if (entries.length > 0) this.#load(0);
  }

  // --- helpers ----------------------------------------------------------------

  #intern(topic: string): string {
    let t = this.#topics.get(topic);
    if (t === undefined) {
      if (this.#topics.size >= 64) this.#topics.clear();
      this.#topics.set(topic, (t = topic));
    }
    return t;
  }

  #log(level: LogLevel, message: string): void {
    this.#o.log?.(level, LOG_PREFIX + message);
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Parses exactly one whole record (CRC checked); undefined if it is not one. */
function parseOne(bytes: Uint8Array): RecordView | undefined {
  let found: RecordView | undefined;
  const scanner = new Scanner((r) => {
    if (r.offset === 0 && r.size === bytes.length) found = { ...r, body: r.body };
  });
  scanner.push(bytes);
  scanner.finish();
  return found;
}
