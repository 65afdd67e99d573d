/*
 * Outbox unit tests: record framing, recovery from torn writes and corruption,
 * the byte bound and its drop policy, compaction, order, the RAM ring.
 */
import test from "ava";
import type { AppendLog, Storage } from "../firmware/host.js";
import { crc32 } from "../firmware/outbox/crc32.js";
import { encodeMessage, encodeRecord, HEADER_SIZE, RecordType, Scanner, type RecordView } from "../firmware/outbox/record.js";
import { MessageClass, Outbox, type OutboxMessage, type OutboxOptions } from "../firmware/outbox/outbox.js";

/** A log as one byte array, read back in small chunks so records span chunk borders (like the device's 1 KiB reads). */
class BytesLog implements AppendLog {
  data = new Uint8Array(0);
  appends = 0;
  constructor(public chunk = 37) {}
  append(record: Uint8Array): void {
    const next = new Uint8Array(this.data.length + record.length);
    next.set(this.data);
    next.set(record, this.data.length);
    this.data = next;
    this.appends++;
  }
  readAll(visit: (chunk: Uint8Array) => void): void {
    for (let i = 0; i < this.data.length; i += this.chunk) visit(this.data.slice(i, i + this.chunk));
  }
  size(): number {
    return this.data.length;
  }
  clear(): void {
    this.data = new Uint8Array(0);
  }
}

class TestStorage implements Storage {
  logs = new Map<string, BytesLog>();
  get(): string | undefined {
    return undefined;
  }
  set(): void {}
  delete(): void {}
  openLog(name: string): BytesLog {
    let log = this.logs.get(name);
    if (!log) this.logs.set(name, (log = new BytesLog()));
    return log;
  }
  /** A copy, as after a power cut: what was written is all there is. */
  clone(): TestStorage {
    const c = new TestStorage();
    for (const [name, log] of this.logs) c.openLog(name).data = log.data.slice();
    return c;
  }
}

const T = "sensors/n1/telemetry";
const A = "sensors/n1/alarm";
const text = (b: Uint8Array) => new TextDecoder().decode(b);
/** A payload of a fixed length whatever the number of digits. */
const body = (i: number, pad = 40) => JSON.stringify({ seq: i, pad: "x".repeat(pad - String(i).length) });

function open(storage: TestStorage, options: Partial<OutboxOptions> = {}): Outbox {
  return new Outbox({ storage, ...options });
}

/** Takes everything the outbox offers now (in flight), acknowledging or not. */
function takeAll(box: Outbox, limit = 100_000): OutboxMessage[] {
  const out: OutboxMessage[] = [];
  for (let m = box.next(); m && out.length < limit; m = out.length < limit ? box.next() : undefined) out.push(m);
  return out;
}

function seqsOf(messages: OutboxMessage[]): number[] {
  return messages.map((m) => JSON.parse(text(m.payload)).seq as number);
}

function scan(bytes: Uint8Array, chunk = bytes.length) {
  const records: RecordView[] = [];
  const s = new Scanner((r) => records.push({ ...r, body: r.body.slice() }));
  for (let i = 0; i < bytes.length; i += chunk) s.push(bytes.slice(i, i + chunk));
  return { records, result: s.finish() };
}

test("CRC-32 check value and record framing: header fields, CRC over header and body, any chunking", (t) => {
  t.is(crc32(new TextEncoder().encode("123456789")), 0xcbf43926);
  const rec = encodeMessage(0x01020304, MessageClass.Alarm, true, new TextEncoder().encode(A), new TextEncoder().encode("{}"));
  t.deepEqual([...rec.subarray(0, 2)], [0xd5, 0x0b]);
  t.is(rec[2], RecordType.Message);
  t.is(rec[3], 0x01 | 0x04);
  t.is(rec[4] | (rec[5] << 8), 2 + A.length + 2);
  t.deepEqual([...rec.subarray(6, 10)], [4, 3, 2, 1]);
  t.is(rec.length, HEADER_SIZE + 2 + A.length + 2);
  const crc = new Uint8Array([...rec.subarray(0, 10), ...rec.subarray(HEADER_SIZE)]);
  t.is(((rec[10] | (rec[11] << 8) | (rec[12] << 16) | (rec[13] << 24)) >>> 0), crc32(crc));

  const log = new Uint8Array([...rec, ...encodeRecord(RecordType.Ack, 0, 7, new Uint8Array([1, 0, 0, 0])), ...rec]);
  for (let chunk = 1; chunk <= log.length; chunk++) {
    const { records, result } = scan(log, chunk);
    t.deepEqual(
      records.map((r) => [r.type, r.seq, r.offset, r.size]),
      [
        [RecordType.Message, 0x01020304, 0, rec.length],
        [RecordType.Ack, 7, rec.length, HEADER_SIZE + 4],
        [RecordType.Message, 0x01020304, rec.length + HEADER_SIZE + 4, rec.length],
      ],
      `chunk ${chunk}`,
    );
    t.like(result, { corrupt: 0, tornBytes: 0, bytes: log.length });
  }
});

test("messages come out in order with their payloads; acknowledged ones are not resent after a reboot, the rest are, in order", (t) => {
  const storage = new TestStorage();
  const box = open(storage);
  for (let i = 1; i <= 10; i++) t.is(box.push(i % 4 === 0 ? A : T, body(i), i % 4 === 0 ? MessageClass.Alarm : MessageClass.Telemetry), i);
  const sent = takeAll(box);
  t.deepEqual(seqsOf(sent), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  t.deepEqual(sent.map((m) => m.topic), [T, T, T, A, T, T, T, A, T, T]);
  t.is(box.next(), undefined, "all in flight");
  for (const m of sent.slice(0, 6)) m.onDone(true);
  sent[6].onDone(false); // given up by the client (stop): back in the queue, in place
  t.deepEqual(seqsOf(takeAll(box)), [7]);
  t.like(box.stats, { queued: 4, inflight: 4, acked: 6 });
  box.flush();

  // Reboot: 7..10 come back, in order; 1..6 do not.
  const again = open(storage.clone());
  t.is(again.stats.recovered, 4);
  t.deepEqual(again.pendingSeqs(), [7, 8, 9, 10]);
  t.deepEqual(seqsOf(takeAll(again)), [7, 8, 9, 10]);
  t.is(again.push(T, body(11), MessageClass.Telemetry), 11, "sequence numbers continue across reboots");
});

test("a torn last record, cut at every byte offset, is dropped; every earlier record is recovered in order", (t) => {
  const storage = new TestStorage();
  const box = open(storage);
  for (let i = 1; i <= 4; i++) box.push(T, body(i), MessageClass.Telemetry);
  const m = takeAll(box, 1);
  m[0].onDone(true); // an ACK record in the middle
  box.flush();
  const log = storage.openLog("outbox");
  const before = log.size();
  box.push(A, body(5), MessageClass.Alarm);
  const after = log.size();
  t.true(after - before > HEADER_SIZE);
  for (let cut = before; cut < after; cut++) {
    const copy = storage.clone();
    copy.openLog("outbox").data = copy.openLog("outbox").data.slice(0, cut);
    const recovered = open(copy);
    t.deepEqual(recovered.pendingSeqs(), [2, 3, 4], `cut at ${cut - before}`);
    t.is(recovered.stats.torn, cut > before ? 1 : 0, `cut at ${cut - before}`);
    t.is(recovered.stats.corrupt, 0, `cut at ${cut - before}`);
    // The damaged tail is gone: new records follow a clean log and survive the next boot.
    // The torn record never was stored: its sequence number is given again.
    t.is(recovered.push(T, body(6), MessageClass.Telemetry), 5);
    const third = open(copy.clone());
    t.deepEqual(third.pendingSeqs(), [2, 3, 4, 5]);
    t.like(third.stats, { torn: 0, corrupt: 0 });
    t.deepEqual(seqsOf(takeAll(third)), [2, 3, 4, 6]);
  }
});

test("corruption in the middle skips that record only (counted), in the body or in the length field; later records survive", (t) => {
  const storage = new TestStorage();
  const box = open(storage);
  const offsets: number[] = [];
  const log = storage.openLog("outbox");
  for (let i = 1; i <= 6; i++) {
    offsets.push(log.size());
    box.push(T, body(i), MessageClass.Telemetry);
  }
  for (const [what, at] of [
    ["payload byte", offsets[2] + HEADER_SIZE + 30],
    ["CRC byte", offsets[2] + 11],
    ["length field", offsets[2] + 4],
    ["magic", offsets[2]],
  ] as const) {
    const copy = storage.clone();
    copy.openLog("outbox").data[at] ^= 0x5a;
    const recovered = open(copy);
    t.deepEqual(recovered.pendingSeqs(), [1, 2, 4, 5, 6], what);
    t.is(recovered.stats.corrupt, 1, what);
    t.is(recovered.stats.torn, 0, what);
    t.deepEqual(seqsOf(takeAll(recovered)), [1, 2, 4, 5, 6], what);
    // Counted once: the log was rewritten clean, the count kept in its header.
    const third = open(copy.clone());
    t.is(third.stats.corrupt, 1, `${what}: counted once`);
  }
});

test("the byte bound drops the oldest telemetry first and never an alarm while telemetry is queued; drops are counted and persist", (t) => {
  const storage = new TestStorage();
  const box = open(storage, { maxBytes: 4096 });
  const enc = new TextEncoder();
  const sizeT = encodeMessage(1, 0, false, enc.encode(T), enc.encode(body(1))).length;
  const sizeA = encodeMessage(1, 1, false, enc.encode(A), enc.encode(body(1))).length;
  const fitT = Math.floor((4096 - 2 * sizeA) / sizeT); // telemetry that fits beside two alarms
  const last = fitT + 2 + 10;
  box.push(A, body(1), MessageClass.Alarm);
  for (let i = 2; i <= last; i++) {
    box.push(i === 5 ? A : T, body(i), i === 5 ? MessageClass.Alarm : MessageClass.Telemetry);
    t.true(box.stats.queuedBytes <= 4096);
  }
  const pending = box.pendingSeqs();
  t.is(pending.length, fitT + 2);
  t.true(pending.includes(1) && pending.includes(5), "alarms kept");
  t.deepEqual(pending.filter((s) => s !== 1 && s !== 5), range(last - fitT + 1, last), "the newest telemetry kept");
  t.deepEqual(box.stats.dropped, { telemetry: 10, alarm: 0 });
  const fit = Math.floor(4096 / sizeA);

  // Only alarms left: new telemetry is refused (alarms stay), a new alarm replaces the oldest alarm.
  const alarms = new Outbox({ storage: new TestStorage(), maxBytes: 4096 });
  for (let i = 1; i <= fit; i++) alarms.push(A, body(i), MessageClass.Alarm);
  t.is(alarms.push(T, body(fit + 1), MessageClass.Telemetry), undefined);
  t.is(alarms.pendingSeqs().length, fit);
  t.is(alarms.push(A, body(fit + 2), MessageClass.Alarm), fit + 2);
  t.deepEqual(alarms.pendingSeqs(), [...range(2, fit), fit + 2]);
  t.deepEqual(alarms.stats.dropped, { telemetry: 1, alarm: 1 });

  // After a reboot the dropped ones stay dropped and the counts are still there.
  const again = open(storage.clone(), { maxBytes: 4096 });
  t.deepEqual(again.pendingSeqs(), pending);
  t.deepEqual(again.stats.dropped, { telemetry: 10, alarm: 0 });
});

test("compaction keeps the log bounded, copies live records in order, and a power cut during it loses nothing", (t) => {
  const storage = new TestStorage();
  const box = open(storage, { compactMinBytes: 8192 });
  const a = storage.openLog("outbox");
  const b = storage.openLog("outbox-b");
  let maxTotal = 0;
  let held: OutboxMessage[] = [];
  for (let i = 1; i <= 2000; i++) {
    box.push(T, body(i), MessageClass.Telemetry);
    // Keep every 100th unacknowledged for a while: live records must be carried over.
    for (const m of takeAll(box)) {
      if (JSON.parse(text(m.payload)).seq % 100 === 0) held.push(m);
      else m.onDone(true);
    }
    if (held.length > 5) held.shift()!.onDone(true);
    maxTotal = Math.max(maxTotal, a.size() + b.size());
  }
  t.true(box.stats.compactions >= 10, `compactions ${box.stats.compactions}`);
  t.true(maxTotal < 3 * 8192, `flash used at most ${maxTotal} bytes`);
  const live = box.pendingSeqs();
  t.deepEqual(live, held.map((m) => JSON.parse(text(m.payload)).seq));
  box.flush();
  t.deepEqual(open(storage.clone()).pendingSeqs(), live, "recovered after compactions");

  // A compaction cut short: the new segment is not sealed, so the old one stays authoritative.
  const s2 = new TestStorage();
  const box2 = open(s2, { compactMinBytes: 2048 });
  for (let i = 1; i <= 5; i++) box2.push(T, body(i), MessageClass.Telemetry);
  const partial = encodeRecord(RecordType.Segment, 0, 99, new Uint8Array(16));
  s2.openLog("outbox-b").append(partial);
  s2.openLog("outbox-b").append(encodeMessage(77, 0, false, new TextEncoder().encode(T), new TextEncoder().encode(body(77))));
  const r2 = open(s2.clone(), { compactMinBytes: 2048 });
  t.deepEqual(r2.pendingSeqs(), [1, 2, 3, 4, 5]);
  // The new segment sealed but the old one not yet erased: the newer epoch wins, no duplicates.
  const enc = new TextEncoder();
  const msg = (i: number) => encodeMessage(i, 0, false, enc.encode(T), enc.encode(body(i)));
  const seg = (epoch: number, nextSeq: number) => encodeRecord(RecordType.Segment, 0, epoch, new Uint8Array([nextSeq, 0, 0, 0, ...new Array(12).fill(0)]));
  const seal = (epoch: number) => encodeRecord(RecordType.Seal, 0, epoch, new Uint8Array(0));
  const s3 = new TestStorage();
  for (const r of [seg(1, 1), seal(1), msg(1), msg(2), msg(3), msg(4), msg(5)]) s3.openLog("outbox").append(r);
  for (const r of [seg(2, 6), msg(5), seal(2)]) s3.openLog("outbox-b").append(r);
  const r3 = open(s3);
  t.deepEqual(r3.pendingSeqs(), [5]);
  t.is(s3.openLog("outbox").size(), 0, "the older segment is erased");
  t.is(r3.push(T, body(6), MessageClass.Telemetry), 6);
  t.deepEqual(open(s3.clone()).pendingSeqs(), [5, 6]);
});

test("a message the server refuses for good is retired as rejected: not offered again, counted apart from drops, the count survives reboots and compactions", (t) => {
  const storage = new TestStorage();
  const logs: string[] = [];
  const box = open(storage, { compactMinBytes: 4096, log: (level, m) => logs.push(`${level} ${m}`) });
  for (let i = 1; i <= 4; i++) box.push(i === 3 ? A : T, body(i), i === 3 ? MessageClass.Alarm : MessageClass.Telemetry);
  const [m1, m2, m3, m4] = takeAll(box);
  m1.onDone(true);
  m2.onDone(true, true); // e.g. PUBACK 0x87 Not authorized
  m3.onDone(true, true);
  m4.onDone(false); // not sent after all: offered again
  t.is(box.stats.rejected, 2);
  t.is(box.stats.acked, 1);
  t.deepEqual(box.stats.dropped, { telemetry: 0, alarm: 0 }, "a refusal is not a drop");
  t.deepEqual(seqsOf(takeAll(box)), [4], "only the unsent one comes again");
  t.true(logs.some((l) => /^warn outbox: alarm #3 to "sensors\/n1\/alarm" refused by the server; not sent again$/.test(l)), logs.join("\n"));
  m2.onDone(true, true); // a late second callback changes nothing
  t.is(box.stats.rejected, 2);

  // After a reboot: the refused ones are not recovered (their DROP records are written at once), the count is still there.
  box.flush(); // the batched ACK of #1 (unflushed, #1 would come again: at least once)
  const rebooted = storage.clone();
  const again = open(rebooted, { compactMinBytes: 4096 });
  t.deepEqual(again.pendingSeqs(), [4]);
  t.is(again.stats.rejected, 2);
  // Carried across compactions in the segment header (the DROP records are not copied).
  for (let i = 5; i <= 400; i++) {
    again.push(T, body(i), MessageClass.Telemetry);
    for (const m of takeAll(again)) m.onDone(true);
  }
  t.true(again.stats.compactions >= 2, `compactions ${again.stats.compactions}`);
  t.is(again.stats.rejected, 2);
  t.is(open(rebooted.clone()).stats.rejected, 2, "recovered from the compacted segment's header");
});

test("the RAM ring stays bounded while thousands wait; payloads come back from the log, in order, intact", (t) => {
  const storage = new TestStorage();
  const box = open(storage, { ramRecords: 8, maxBytes: 1 << 20 });
  for (let i = 1; i <= 1500; i++) {
    box.push(T, body(i, 200), MessageClass.Telemetry);
    t.true(box.stats.ramRecords <= 8);
  }
  let expect = 1;
  for (;;) {
    const window = takeAll(box, 5);
    if (window.length === 0) break;
    t.true(box.stats.ramRecords <= 8);
    for (const m of window) {
      t.is(text(m.payload), body(expect, 200));
      expect++;
      m.onDone(true);
    }
  }
  t.is(expect, 1501);
  t.is(box.stats.queued, 0);
  t.true(box.stats.loads > 100 && box.stats.loads < 1500, `log reads ${box.stats.loads}`);
  const again = open(storage.clone());
  t.is(again.stats.recovered, 0, "everything acknowledged before the reboot");
});

function range(a: number, b: number): number[] {
  const out: number[] = [];
  for (let i = a; i <= b; i++) out.push(i);
  return out;
}
