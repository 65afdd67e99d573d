/*
 * Outbox log records: framing, encoding and a streaming scanner that survives
 * torn writes and corruption. Layout (little-endian), see docs/outbox.md:
 *
 *   off size field
 *     0    2 magic 0xD5 0x0B
 *     2    1 type   (SEGMENT, SEAL, MESSAGE, ACK, DROP)
 *     3    1 flags  (MESSAGE/DROP: bits 0-1 class, bit 2 retain; DROP: bit 3 rejected)
 *     4    2 body length in bytes (0..MAX_BODY)
 *     6    4 seq    (MESSAGE/DROP: the message's sequence number; ACK: first
 *                    acknowledged seq; SEGMENT/SEAL: the segment's epoch)
 *    10    4 CRC-32 over bytes 0..9 and the body
 *    14    n body
 *
 * XS-compatible: typed arrays and DataView only.
 */
import { crc32Finish, crc32Start, crc32Update } from "./crc32.js";

export const MAGIC0 = 0xd5;
export const MAGIC1 = 0x0b;
export const HEADER_SIZE = 14;
/** Largest body: a MESSAGE is topic + payload + 2 bytes. */
export const MAX_BODY = 0xffff;

/** Record types (byte 2). */
export const RecordType = Object.freeze({
  /** First record of a segment: epoch in seq; body: nextSeq, dropped telemetry, dropped alarms, corrupt, rejected (u32 each; rejected absent in segments written before it existed). */
  Segment: 1,
  /** Ends the copied part of a segment: the segment is complete and authoritative from here on. */
  Seal: 2,
  /** A message; body: u16 topic length, topic (UTF-8), payload. */
  Message: 3,
  /** Messages seq .. seq+count-1 were acknowledged (PUBACK); body: u32 count. */
  Ack: 4,
  /** Message seq was dropped by the bound policy, or refused by the server (FLAG_REJECTED); class in flags; body: u32 count (1). */
  Drop: 5,
} as const);

/** Message classes (flags bits 0-1): what the bound policy drops first. */
export const MessageClass = Object.freeze({
  Telemetry: 0,
  Alarm: 1,
} as const);
export type MessageClass = (typeof MessageClass)[keyof typeof MessageClass];

export const FLAG_CLASS_MASK = 0x03;
export const FLAG_RETAIN = 0x04;
/** DROP: the server refused the message for good (MQTT 5 PUBACK >= 0x80, too large), not the bound policy. */
export const FLAG_REJECTED = 0x08;

export interface RecordView {
  type: number;
  flags: number;
  seq: number;
  /** The body: a view into the scanner's buffer, valid only during the callback (copy to keep). */
  body: Uint8Array;
  /** Absolute byte offset of the record in the log. */
  offset: number;
  /** Whole record size (header + body). */
  size: number;
}

/** Encodes one record with its header and CRC. */
export function encodeRecord(type: number, flags: number, seq: number, body: Uint8Array): Uint8Array {
  if (body.length > MAX_BODY) throw new RangeError(`outbox record body of ${body.length} bytes exceeds ${MAX_BODY}`);
  const out = new Uint8Array(HEADER_SIZE + body.length);
  writeHeader(out, 0, type, flags, seq, body.length);
  out.set(body, HEADER_SIZE);
  const crc = crc32Finish(crc32Update(crc32Update(crc32Start(), out, 0, 10), out, HEADER_SIZE, out.length));
  setU32(out, 10, crc);
  return out;
}

/** A MESSAGE record for `topic` (UTF-8 bytes) and `payload`. */
export function encodeMessage(seq: number, cls: number, retain: boolean, topic: Uint8Array, payload: Uint8Array): Uint8Array {
  const body = new Uint8Array(2 + topic.length + payload.length);
  body[0] = topic.length & 0xff;
  body[1] = topic.length >>> 8;
  body.set(topic, 2);
  body.set(payload, 2 + topic.length);
  return encodeRecord(RecordType.Message, (cls & FLAG_CLASS_MASK) | (retain ? FLAG_RETAIN : 0), seq, body);
}

/** Splits a MESSAGE body into topic bytes and payload (views). */
export function splitMessage(body: Uint8Array): { topic: Uint8Array; payload: Uint8Array } | undefined {
  if (body.length < 2) return undefined;
  const n = body[0] | (body[1] << 8);
  if (2 + n > body.length) return undefined;
  return { topic: body.subarray(2, 2 + n), payload: body.subarray(2 + n) };
}

/** The counters a SEGMENT record carries across compactions and reboots. */
export interface Counters {
  droppedTelemetry: number;
  droppedAlarm: number;
  corrupt: number;
  rejected: number;
}

/** A SEGMENT body: nextSeq, then the counters. */
export function segmentBody(nextSeq: number, c: Counters): Uint8Array {
  return u32Body(nextSeq, c.droppedTelemetry, c.droppedAlarm, c.corrupt, c.rejected);
}

/** Reads a SEGMENT body into `c`; returns its nextSeq, or undefined when the body is too short. */
export function readSegmentBody(body: Uint8Array, c: Counters): number | undefined {
  if (body.length < 16) return undefined;
  c.droppedTelemetry = getU32(body, 4);
  c.droppedAlarm = getU32(body, 8);
  c.corrupt = getU32(body, 12);
  c.rejected = body.length >= 20 ? getU32(body, 16) : 0;
  return getU32(body, 0);
}

export function u32Body(...values: number[]): Uint8Array {
  const b = new Uint8Array(4 * values.length);
  for (let i = 0; i < values.length; i++) setU32(b, 4 * i, values[i]);
  return b;
}

export function getU32(b: Uint8Array, at: number): number {
  return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
}

function setU32(b: Uint8Array, at: number, v: number): void {
  b[at] = v & 0xff;
  b[at + 1] = (v >>> 8) & 0xff;
  b[at + 2] = (v >>> 16) & 0xff;
  b[at + 3] = (v >>> 24) & 0xff;
}

function writeHeader(b: Uint8Array, at: number, type: number, flags: number, seq: number, length: number): void {
  b[at] = MAGIC0;
  b[at + 1] = MAGIC1;
  b[at + 2] = type;
  b[at + 3] = flags;
  b[at + 4] = length & 0xff;
  b[at + 5] = length >>> 8;
  setU32(b, at + 6, seq);
}

/** True when a whole valid record starts at `data[at]` (magic, known type, length within `data`, CRC). */
function validAt(data: Uint8Array, at: number, end: number): number {
  if (end - at < HEADER_SIZE) return -1;
  if (data[at] !== MAGIC0 || data[at + 1] !== MAGIC1) return 0;
  const type = data[at + 2];
  if (type < RecordType.Segment || type > RecordType.Drop) return 0;
  const length = data[at + 4] | (data[at + 5] << 8);
  if (end - at < HEADER_SIZE + length) return -1;
  const crc = crc32Finish(crc32Update(crc32Update(crc32Start(), data, at, at + 10), data, at + HEADER_SIZE, at + HEADER_SIZE + length));
  return crc === getU32(data, at + 10) ? HEADER_SIZE + length : 0;
}

export interface ScanResult {
  /** Valid records seen. */
  records: number;
  /** Corrupt regions skipped between valid records (each counts once). */
  corrupt: number;
  /** Bytes at the end that do not form a whole valid record (a torn write), 0 if none. */
  tornBytes: number;
  /** Total bytes scanned. */
  bytes: number;
}

/**
 * Streams a log's chunks (any size, records may span chunks) and calls `visit`
 * for every valid record in order. A bad record (magic, type, CRC) starts a
 * corrupt region that ends at the next valid record; an incomplete record or
 * an unresolvable region at the end is a torn tail. Holds at most one record
 * plus one chunk in RAM.
 */
export class Scanner {
  #visit: (r: RecordView) => void;
  #data: Uint8Array = new Uint8Array(0);
  #pos = 0;
  /** Absolute offset of #data[0]. */
  #base = 0;
  #inCorrupt = false;
  #corruptStart = 0;
  readonly result: ScanResult = { records: 0, corrupt: 0, tornBytes: 0, bytes: 0 };

  constructor(visit: (r: RecordView) => void) {
    this.#visit = visit;
  }

  push(chunk: Uint8Array): void {
    this.result.bytes += chunk.length;
    const left = this.#data.length - this.#pos;
    if (left === 0) {
      this.#base += this.#data.length;
      this.#data = chunk;
    } else {
      const joined = new Uint8Array(left + chunk.length);
      joined.set(this.#data.subarray(this.#pos), 0);
      joined.set(chunk, left);
      this.#base += this.#pos;
      this.#data = joined;
    }
    this.#pos = 0;
    this.#run(false);
  }

  /** No more data: whatever is left is a torn tail (or corruption followed by valid records). */
  finish(): ScanResult {
    this.#run(true);
    return this.result;
  }

  #enterCorrupt(at: number): void {
    if (this.#inCorrupt) return;
    this.#inCorrupt = true;
    this.#corruptStart = this.#base + at;
    this.result.corrupt++;
  }

  #run(eof: boolean): void {
    const data = this.#data;
    const end = data.length;
    while (this.#pos < end) {
      const at = this.#pos;
      const size = validAt(data, at, end);
      if (size > 0) {
        this.#inCorrupt = false;
        this.result.records++;
        this.#visit({
          type: data[at + 2],
          flags: data[at + 3],
          seq: getU32(data, at + 6),
          body: data.subarray(at + HEADER_SIZE, at + size),
          offset: this.#base + at,
          size,
        });
        this.#pos = at + size;
        continue;
      }
      if (size < 0 && !eof) return; // need more bytes to judge this record
      if (size < 0) {
        // Incomplete at the end: a torn write, unless a valid record follows (then a corrupt length).
        let next = -1;
        for (let q = at + 1; q < end; q++) {
          if (data[q] === MAGIC0 && validAt(data, q, end) > 0) {
            next = q;
            break;
          }
        }
        if (next < 0) {
          this.#enterCorrupt(at);
          this.#pos = end;
          break;
        }
        this.#enterCorrupt(at);
        this.#pos = next;
        continue;
      }
      // Bad record here: skip a byte and look for the next valid one.
      this.#enterCorrupt(at);
      this.#pos = at + 1;
    }
    if (eof && this.#inCorrupt) {
      // The log ends inside a bad region: that is the torn last write, not a corrupt middle.
      this.result.corrupt--;
      this.result.tornBytes = this.#base + end - this.#corruptStart;
      this.#inCorrupt = false;
    }
  }
}

/** Parses exactly one whole record (CRC checked); undefined if it is not one. */
export function parseRecord(bytes: Uint8Array): RecordView | undefined {
  let found: RecordView | undefined;
  const scanner = new Scanner((r) => {
    if (r.offset === 0 && r.size === bytes.length) found = { ...r, body: r.body };
  });
  scanner.push(bytes);
  scanner.finish();
  return found;
}
