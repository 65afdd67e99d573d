/*
 * The outbox's RAM side (docs/outbox.md): the index of live messages in seq
 * order and the bounded RAM ring of their payloads. Each entry knows where its
 * record sits in the active segment, so a payload that is not held in RAM is
 * read back from flash when its turn comes (the outbox asks the spool).
 *
 * XS-compatible: ECMAScript only.
 */

export const QUEUED = 0;
export const INFLIGHT = 1;
export const DONE = 2;

export interface Entry {
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

/** Done entries at the front of the index are trimmed once there are more than this many (and they are the larger half). */
const TRIM_DONE_ENTRIES = 64;
/** Distinct topics interned before the table starts over (a node publishes to a handful). */
const MAX_TOPICS = 64;

export class Queue {
  /** Messages stored and not yet acknowledged (queued or in flight). */
  live = 0;
  /** Their record bytes in the log. */
  liveBytes = 0;
  inflight = 0;
  /** Payloads held in RAM, and their bytes. */
  ram = 0;
  ramBytes = 0;

  readonly #ramLimit: number;
  readonly #ramBytesLimit: number;
  /** Live entries in seq order from #head; DONE entries are trimmed from the front. */
  #entries: Entry[] = [];
  #head = 0;
  #topics = new Map<string, string>();

  constructor(ramLimit: number, ramBytesLimit: number) {
    this.#ramLimit = ramLimit;
    this.#ramBytesLimit = ramBytesLimit;
  }

  /** Replaces the index with `entries` (recovered, in seq order, none held in RAM). */
  reset(entries: Entry[]): void {
    this.#entries = entries;
    this.#head = 0;
    this.live = entries.length;
    this.liveBytes = 0;
    for (const e of entries) this.liveBytes += e.size;
  }

  /** Appends a newly stored message, holding its payload when the RAM ring has room. */
  add(e: Entry, payload: Uint8Array): void {
    if (this.ram < this.#ramLimit && this.ramBytes + payload.length <= this.#ramBytesLimit) this.hold(e, payload);
    this.#entries.push(e);
    this.live++;
    this.liveBytes += e.size;
  }

  /** The live entries (queued or in flight), in seq order. */
  liveEntries(): Entry[] {
    const out: Entry[] = [];
    for (let i = this.#head; i < this.#entries.length; i++) if (this.#entries[i].state !== DONE) out.push(this.#entries[i]);
    return out;
  }

  /** Index of the oldest queued entry from `from` on (of class `cls` when given); -1 when none. */
  nextQueued(from: number, cls?: number): number {
    const entries = this.#entries;
    for (let i = Math.max(from, this.#head); i < entries.length; i++) {
      const e = entries[i];
      if (e.state === QUEUED && (cls === undefined || e.cls === cls)) return i;
    }
    return -1;
  }

  at(index: number): Entry {
    return this.#entries[index];
  }

  /** Removes an entry from the live set (acknowledged, dropped or unreadable); `index` is its place, or -1 when unknown and at the front. */
  retire(e: Entry, index: number): void {
    if (e.state === INFLIGHT) this.inflight--;
    e.state = DONE;
    this.live--;
    this.liveBytes -= e.size;
    this.release(e);
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

  /** Retires `e` wherever it is in the index (compaction lost its record). */
  retireAnywhere(e: Entry): void {
    this.retire(e, this.#entries.indexOf(e, this.#head));
  }

  /** Drops the done entries from the index (after compaction). */
  pack(): void {
    this.#entries = this.#entries.slice(this.#head).filter((e) => e.state !== DONE);
    this.#head = 0;
  }

  // --- RAM ring ---------------------------------------------------------------

  hold(e: Entry, payload: Uint8Array): void {
    e.payload = payload;
    this.ram++;
    this.ramBytes += payload.length;
  }

  release(e: Entry): void {
    if (e.payload === undefined) return;
    this.ram--;
    this.ramBytes -= e.payload.length;
    e.payload = undefined;
  }

  /**
   * The next queued entries from `from` on whose payloads are not in RAM, as
   * many as the RAM budget takes if each payload is about `size - overhead`
   * bytes (at least one).
   */
  toLoad(from: number, overhead: number): Entry[] {
    const wanted: Entry[] = [];
    let ram = this.ram;
    let ramBytes = this.ramBytes;
    for (let i = from; i < this.#entries.length && ram < this.#ramLimit; i++) {
      const e = this.#entries[i];
      if (e.state !== QUEUED || e.payload !== undefined) continue;
      const estimate = e.size - overhead;
      if (wanted.length > 0 && ramBytes + estimate > this.#ramBytesLimit) break;
      wanted.push(e);
      ram++;
      ramBytes += estimate;
    }
    return wanted;
  }

  /** The one string kept for a topic, so thousands of queued messages share it. */
  intern(topic: string): string {
    let t = this.#topics.get(topic);
    if (t === undefined) {
      if (this.#topics.size >= MAX_TOPICS) this.#topics.clear();
      this.#topics.set(topic, (t = topic));
    }
    return t;
  }
}
