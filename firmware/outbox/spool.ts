/*
 * The outbox's flash spool (docs/outbox.md, "Segments and compaction"): two
 * append logs ("<name>" and "<name>-b") that alternate. The active one is
 * strictly append-only; compaction copies the live records into the other,
 * seals it, and only then erases the old one, so a power cut at any point
 * leaves one complete sealed segment.
 *
 * XS-compatible: ECMAScript and the Host's Storage only.
 */
import type { AppendLog, Storage } from "../host.js";
import { concat } from "../util/bytes.js";
import { utf8Encode } from "../util/utf8.js";
import { encodeMessage, encodeRecord, parseRecord, RecordType, Scanner, type RecordView, type ScanResult } from "./record.js";
import type { Entry } from "./queue.js";

/** Compaction writes the new segment in appends of about this size. */
const COPY_CHUNK = 4096;

/** What the first pass of recovery learns about one segment. */
interface SegmentInfo {
  /** Epoch of its SEGMENT record, -1 when it does not start with one. */
  epoch: number;
  /** A SEAL of that epoch follows: the segment is complete. */
  sealed: boolean;
  bytes: number;
}

/** Where a record sits in the active segment. */
export interface Placed {
  offset: number;
  size: number;
}

export class Spool {
  readonly #logs: [AppendLog, AppendLog];
  #active = 0;
  #epoch = 0;
  #size = 0;

  constructor(storage: Storage, name: string) {
    this.#logs = [storage.openLog(name), storage.openLog(`${name}-b`)];
  }

  /** Bytes in the active segment. */
  get size(): number {
    return this.#size;
  }

  get epoch(): number {
    return this.#epoch;
  }

  append(bytes: Uint8Array): void {
    this.#logs[this.#active].append(bytes);
    this.#size += bytes.length;
  }

  /**
   * Picks the authoritative segment (sealed, highest epoch) and erases the
   * other. False when neither is sealed: both are then erased and a fresh
   * sealed segment is started with `counters` (a SEGMENT body without epoch).
   */
  open(counters: Uint8Array, log: (message: string) => void): boolean {
    const info = this.#logs.map(segmentInfo);
    const candidates = [0, 1].filter((i) => info[i].sealed);
    if (candidates.length === 0) {
      if (info[0].bytes > 0 || info[1].bytes > 0) log("no complete outbox segment found; starting empty");
      for (const l of this.#logs) l.clear();
      this.#active = 0;
      this.#epoch = (Math.max(info[0].epoch, info[1].epoch, 0) + 1) >>> 0;
      this.#size = 0;
      this.append(concat([encodeRecord(RecordType.Segment, 0, this.#epoch, counters), seal(this.#epoch)]));
      return false;
    }
    const active = candidates.length === 2 ? (info[1].epoch > info[0].epoch ? 1 : 0) : candidates[0];
    this.#active = active;
    this.#epoch = info[active].epoch;
    if (info[1 - active].bytes > 0) this.#logs[1 - active].clear(); // older, or a compaction cut short
    return true;
  }

  /** Streams the active segment through `scanner`; its size is then what was scanned. */
  replay(scanner: Scanner): ScanResult {
    this.#logs[this.#active].readAll((chunk) => scanner.push(chunk));
    const result = scanner.finish();
    this.#size = result.bytes;
    return result;
  }

  /** Reads the records at `wanted` (sorted by offset) from the active segment and checks each (undefined: unreadable). */
  readRecords<T extends Placed>(wanted: readonly T[], visit: (item: T, r: RecordView | undefined) => void): void {
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
        visit(e, parseRecord(buf));
        buf = undefined;
        k++;
      }
      pos = end;
    });
    for (; k < wanted.length; k++) visit(wanted[k], undefined);
  }

  /**
   * Copies the `live` entries' records into the other segment after a SEGMENT
   * record with `counters`, seals it, erases the old one and makes the new one
   * active; the entries' offsets then point into it. Returns the entries whose
   * record could not be read back (not copied).
   */
  compact(live: readonly Entry[], counters: Uint8Array): Entry[] {
    const fromIndex = this.#active;
    const toIndex = 1 - fromIndex;
    const to = this.#logs[toIndex];
    const epoch = (this.#epoch + 1) >>> 0;
    to.clear();
    let size = 0;
    let batch: Uint8Array[] = [];
    let batchBytes = 0;
    const flush = () => {
      if (batchBytes === 0) return;
      const all = concat(batch);
      to.append(all);
      size += all.length;
      batch = [];
      batchBytes = 0;
    };
    const write = (bytes: Uint8Array) => {
      batch.push(bytes);
      batchBytes += bytes.length;
      if (batchBytes >= COPY_CHUNK) flush();
    };
    write(encodeRecord(RecordType.Segment, 0, epoch, counters));
    const offsets = new Map<Entry, number>();
    const place = (e: Entry, record: Uint8Array) => {
      offsets.set(e, size + batchBytes);
      write(record);
    };
    const lost: Entry[] = [];
    // Records whose payload is in RAM are re-encoded (same bytes); the rest are copied from the log.
    const fromLog = live.filter((e) => e.payload === undefined);
    const copies = new Map<Entry, Uint8Array>();
    if (fromLog.length > 0) this.readRecords(fromLog, (e, r) => (r && r.seq === e.seq ? copies.set(e, encodeRecord(r.type, r.flags, r.seq, r.body)) : lost.push(e)));
    for (const e of live) {
      if (e.payload !== undefined) place(e, encodeMessage(e.seq, e.cls, e.retain, utf8Encode(e.topic), e.payload));
      else {
        const copy = copies.get(e);
        if (copy !== undefined) place(e, copy);
      }
    }
    write(seal(epoch));
    flush();
    // The new segment is complete: from here on a power cut recovers from it.
    this.#logs[fromIndex].clear();
    this.#active = toIndex;
    this.#epoch = epoch;
    this.#size = size;
    for (const e of live) {
      const offset = offsets.get(e);
      if (offset !== undefined) e.offset = offset;
    }
    return lost;
  }
}

function seal(epoch: number): Uint8Array {
  return encodeRecord(RecordType.Seal, 0, epoch, new Uint8Array(0));
}

/** First pass of recovery over one segment: its epoch and whether it is sealed. */
function segmentInfo(log: AppendLog): SegmentInfo {
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
}
