/*
 * Outbox recovery after a reboot (docs/outbox.md, "Recovery at boot"): pick
 * the authoritative segment, then replay it: MESSAGE adds, ACK and DROP
 * remove, the SEGMENT record and DROP records restore the persisted counters.
 * A torn last record is dropped, a corrupt region in the middle is skipped
 * (counted); every other record is recovered, in order.
 *
 * XS-compatible: ECMAScript only.
 */
import type { LogLevel } from "../host.js";
import { utf8Decode } from "../util/utf8.js";
import { FLAG_CLASS_MASK, FLAG_REJECTED, FLAG_RETAIN, getU32, MessageClass, readSegmentBody, RecordType, Scanner, segmentBody, splitMessage, type Counters } from "./record.js";
import { QUEUED, type Entry } from "./queue.js";
import type { Spool } from "./spool.js";

export interface Recovered {
  /** The unacknowledged messages, in seq order, payloads not loaded. */
  entries: Entry[];
  nextSeq: number;
  /** Corrupt regions skipped (already added to the counters). */
  corrupt: number;
  /** Bytes of a torn last record dropped, 0 if none. */
  tornBytes: number;
}

/**
 * Opens the spool and rebuilds the live set. `counters` is updated in place
 * (persisted values plus this boot's damage); `intern` shares topic strings.
 */
export function recover(spool: Spool, counters: Counters, intern: (topic: string) => string, log: (level: LogLevel, message: string) => void): Recovered {
  if (!spool.open(segmentBody(1, counters), (m) => log("error", m))) return { entries: [], nextSeq: 1, corrupt: 0, tornBytes: 0 };

  const bySeq = new Map<number, Entry>();
  let maxSeq = 0;
  let nextSeq = 1;
  const scanner = new Scanner((r) => {
    switch (r.type) {
      case RecordType.Segment:
        if (r.offset === 0) nextSeq = readSegmentBody(r.body, counters) ?? nextSeq;
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
          topic: intern(topic),
          offset: r.offset,
          size: r.size,
          payload: undefined,
          state: QUEUED,
        });
        return;
      }
      case RecordType.Ack: {
        const count = r.body.length >= 4 ? getU32(r.body, 0) : 0;
        // A range far larger than the live set is applied by walking the set instead.
        if (count <= 4 * bySeq.size + 64) for (let q = r.seq; q < r.seq + count; q++) bySeq.delete(q);
        else for (const q of [...bySeq.keys()]) if (q >= r.seq && q < r.seq + count) bySeq.delete(q);
        return;
      }
      case RecordType.Drop:
        if ((r.flags & FLAG_REJECTED) !== 0) counters.rejected++;
        else if ((r.flags & FLAG_CLASS_MASK) === MessageClass.Alarm) counters.droppedAlarm++;
        else counters.droppedTelemetry++;
        if (r.seq > maxSeq) maxSeq = r.seq;
        bySeq.delete(r.seq);
        return;
    }
  });
  const result = spool.replay(scanner);
  const entries = [...bySeq.values()].sort((a, b) => a.seq - b.seq);
  counters.corrupt += result.corrupt;
  if (result.corrupt > 0) log("error", `skipped ${result.corrupt} corrupt region(s) in the outbox log`);
  if (result.tornBytes > 0) log("warn", `dropped a torn last record (${result.tornBytes} bytes)`);
  if (entries.length > 0) log("info", `recovered ${entries.length} unacknowledged message(s), #${entries[0].seq}..#${entries[entries.length - 1].seq}`);
  return { entries, nextSeq: Math.max(nextSeq, maxSeq + 1), corrupt: result.corrupt, tornBytes: result.tornBytes };
}
