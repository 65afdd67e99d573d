/*
 * The sample ring between the FIFO sampler's thread and the firmware's, in one
 * SharedArrayBuffer: the XS form of hosts/moddable/native/fifo_core.c's fc_ring,
 * for the lin build's sampler Worker (hosts/moddable/sim-sampler.ts). XS-compatible;
 * test/shared-ring.test.ts runs it across Node worker threads. One writer (the
 * sampler), one reader (the firmware). As in the C ring, a full ring keeps what
 * it holds and counts the new samples lost; nothing is overwritten under the
 * reader. `count` is the only index both sides change (Atomics.add/sub); a
 * sequence number, odd while the writer updates, gives the reader a consistent
 * snapshot of count, newestAt and lost.
 */

const HEAD = 0; // writer's next slot (writer only)
const TAIL = 1; // reader's next slot (reader only)
const COUNT = 2;
const LOST = 3;
const SEQ = 4;
/** 1 while a "readable" notice is on its way to the reader (the writer sets it, the reader clears it). */
const POSTED = 5;
/** Set by the reader to end the writer's loop (and wake it from its sleep). */
const STOP = 6;
const HEADER_INTS = 8;
const NEWEST_AT = HEADER_INTS * 4; // one Float64, 8-byte aligned
const DATA = NEWEST_AT + 8;
/** Snapshot attempts before taking an unsettled one (the writer's update is a few stores long). */
const SNAPSHOT_TRIES = 1000;

export class SharedRing {
  readonly buffer: SharedArrayBuffer;
  readonly capacity: number;
  readonly sampleBytes: number;
  /** The reader's snapshot after its last read(). */
  available = 0;
  newestAt = 0;
  lost = 0;
  readonly #h: Int32Array;
  readonly #newest: Float64Array;
  readonly #data: Uint8Array;

  /** A new ring (`capacity` samples of `sampleBytes`), or the other side's view of `buffer`. */
  constructor(capacity: number, sampleBytes: number, buffer?: SharedArrayBuffer) {
    this.capacity = capacity;
    this.sampleBytes = sampleBytes;
    this.buffer = buffer ?? new SharedArrayBuffer(DATA + capacity * sampleBytes);
    this.#h = new Int32Array(this.buffer, 0, HEADER_INTS);
    this.#newest = new Float64Array(this.buffer, NEWEST_AT, 1);
    this.#data = new Uint8Array(this.buffer, DATA, capacity * sampleBytes);
  }

  // ---- writer ----------------------------------------------------------------------------

  /** Appends the first n samples of `samples`, read at `at` (ms); returns how many fit (the rest are lost). */
  append(samples: Uint8Array, n: number, at: number): number {
    const h = this.#h;
    const size = this.sampleBytes;
    const keep = Math.min(n, this.capacity - Atomics.load(h, COUNT));
    // The reader only frees slots meanwhile: [head, head + keep) stays the writer's.
    const head = h[HEAD];
    const first = Math.min(keep, this.capacity - head);
    this.#data.set(samples.subarray(0, first * size), head * size);
    if (keep > first) this.#data.set(samples.subarray(first * size, keep * size), 0);
    h[HEAD] = (head + keep) % this.capacity;
    Atomics.add(h, SEQ, 1);
    if (keep > 0) this.#newest[0] = at;
    Atomics.add(h, LOST, n - keep);
    Atomics.add(h, COUNT, keep);
    Atomics.add(h, SEQ, 1);
    return keep;
  }

  /** Adds samples lost before the ring (a FIFO overrun). */
  addLost(n: number): void {
    if (n <= 0) return;
    const h = this.#h;
    Atomics.add(h, SEQ, 1);
    Atomics.add(h, LOST, n);
    Atomics.add(h, SEQ, 1);
  }

  /** True once per notice: the writer should tell the reader (the reader has taken the last one). */
  claimNotice(): boolean {
    return Atomics.compareExchange(this.#h, POSTED, 0, 1) === 0;
  }

  /** Sleeps up to `ms` (a Worker only: Atomics.wait), or until the reader calls stop(); true once stopped. */
  sleep(ms: number): boolean {
    if (ms > 0 && Atomics.load(this.#h, STOP) === 0) Atomics.wait(this.#h, STOP, 0, ms);
    return Atomics.load(this.#h, STOP) !== 0;
  }

  // ---- reader ----------------------------------------------------------------------------

  /** Ends the writer's loop. */
  stop(): void {
    Atomics.store(this.#h, STOP, 1);
    Atomics.notify(this.#h, STOP);
  }

  /** Samples waiting, as of now. */
  get waiting(): number {
    return Atomics.load(this.#h, COUNT);
  }

  /** Moves up to maxSamples samples (oldest first) into `into`; returns how many. Updates available, newestAt and lost. */
  read(into: Uint8Array, maxSamples: number): number {
    const h = this.#h;
    Atomics.store(h, POSTED, 0);
    let count = 0;
    for (let i = 0; i < SNAPSHOT_TRIES; i++) {
      const seq = Atomics.load(h, SEQ);
      count = Atomics.load(h, COUNT);
      this.newestAt = this.#newest[0];
      this.lost = Atomics.load(h, LOST);
      if ((seq & 1) === 0 && Atomics.load(h, SEQ) === seq) break;
    }
    const size = this.sampleBytes;
    const n = Math.max(0, Math.min(maxSamples, count, Math.floor(into.length / size)));
    // The writer only adds after tail + count meanwhile: [tail, tail + n) stays the reader's.
    const tail = h[TAIL];
    const first = Math.min(n, this.capacity - tail);
    into.set(this.#data.subarray(tail * size, (tail + first) * size), 0);
    if (n > first) into.set(this.#data.subarray(0, (n - first) * size), first * size);
    h[TAIL] = (tail + n) % this.capacity;
    Atomics.sub(h, COUNT, n);
    this.available = count - n;
    return n;
  }
}
