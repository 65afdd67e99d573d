/*
 * The simulated board's FIFO sampler (firmware/host.ts FifoSampler; docs/host.md,
 * "FIFO sampler"): what native code on the ESP32's second core does, on a task of
 * the VirtualClock of its own (`clock.task(nodeId + "/core0")`). Every pollMs it
 * executes the driver's FifoProgram through the simulated SMBus, so the bus time
 * is charged to that task, never to the node's main task; it writes the raw
 * sample bytes into its ring (the oldest are overwritten, and counted lost, when
 * it is full), counts the samples a FIFO overrun lost, and posts onReadable to the
 * node's main timers (0 ms, coalesced): it runs when the main task is free.
 * Native decode costs nothing here: only bus time is charged on this core.
 * The watermark interrupt option is not simulated: the sampler polls.
 * XS-compatible.
 */
import type { Clock, FifoProgram, FifoSampler, FifoSamplerConstructor, FifoSamplerOptions, SMBus, TimerId, Timers } from "../firmware/host.js";

/** The sampler's core: its timers and its time (a Task of the VirtualClock). */
export type SamplerCore = Timers & Clock;

/** The Host's io.FifoSampler for a board whose sampler runs on `core` and posts to the firmware's `main` timers. */
export function simFifoSamplerClass(core: SamplerCore, main: Timers): FifoSamplerConstructor {
  return class SimFifoSampler implements FifoSampler {
    available = 0;
    newestAt = 0;
    lost = 0;
    readonly #program: FifoProgram;
    readonly #io: SMBus;
    readonly #ring: Uint8Array;
    readonly #capacity: number;
    readonly #level: Uint8Array;
    /** Data bursts: #bursts[k] = the first k samples of one burst buffer (made once). */
    readonly #bursts: Uint8Array[] = [];
    readonly #periodMs: number;
    readonly #onReadable: (samples: number) => void;
    readonly #onError: ((error: Error) => void) | undefined;
    /** A failure was reported and no drain has succeeded since. */
    #failing = false;
    #errorPosted: TimerId | undefined;
    #timer: TimerId | undefined;
    #posted: TimerId | undefined;
    /** Ring state on the sampler's side: oldest sample index and count. */
    #head = 0;
    #count = 0;
    #lost = 0;
    #newestAt = 0;
    #lastDrain = NaN;

    constructor(o: FifoSamplerOptions) {
      const p = (this.#program = o.program);
      this.#capacity = Math.max(1, Math.floor(o.capacity));
      this.#ring = new Uint8Array(this.#capacity * p.sampleBytes);
      this.#level = new Uint8Array(p.levelBytes);
      const burst = new Uint8Array(p.samplesPerRead * p.sampleBytes);
      for (let k = 0; k <= p.samplesPerRead; k++) this.#bursts.push(burst.subarray(0, k * p.sampleBytes));
      this.#periodMs = 1000 / o.odr;
      this.#onReadable = o.onReadable;
      this.#onError = o.onError;
      this.#io = new o.sensor.io(o.sensor);
      this.#timer = core.set(() => this.#poll(), o.pollMs, o.pollMs);
    }

    read(into: Uint8Array, maxSamples: number): number {
      const size = this.#program.sampleBytes;
      let n = Math.min(maxSamples, this.#count, Math.floor(into.length / size));
      const got = n > 0 ? n : 0;
      let at = 0;
      while (n > 0) {
        const run = Math.min(n, this.#capacity - this.#head);
        into.set(this.#ring.subarray(this.#head * size, (this.#head + run) * size), at);
        at += run * size;
        this.#head = (this.#head + run) % this.#capacity;
        this.#count -= run;
        n -= run;
      }
      this.available = this.#count;
      this.newestAt = this.#newestAt;
      this.lost = this.#lost;
      return got;
    }

    close(): void {
      core.clear(this.#timer);
      main.clear(this.#posted);
      main.clear(this.#errorPosted);
      this.#timer = this.#posted = this.#errorPosted = undefined;
      this.#io.close();
    }

    /** One execution of the program, on the sampler's core. */
    #poll(): void {
      const p = this.#program;
      const io = this.#io;
      const t = core.now();
      let level: number;
      try {
        const b = this.#level;
        io.readBuffer(p.levelRegister, b);
        level = Math.floor((b[p.levelOffset] & p.levelMask) / p.levelDivisor);
        const o = p.overrun;
        if (o && (!o.whenFull || level >= p.depth)) {
          const flags = o.register === undefined ? b[o.offset ?? 0] : io.readUint8(o.register);
          if ((flags & o.mask) !== 0) {
            level = p.depth;
            // What the part made since the last drain beyond what its FIFO holds.
            const made = this.#lastDrain === this.#lastDrain ? Math.round((t - this.#lastDrain) / this.#periodMs) : p.depth;
            this.#lost += Math.max(1, made - p.depth);
          }
        }
        if (level > p.depth) level = p.depth;
        for (let left = level; left > 0; ) {
          const k = left < p.samplesPerRead ? left : p.samplesPerRead;
          const burst = this.#bursts[k];
          io.readBuffer(p.dataRegister, burst);
          this.#store(burst, k);
          left -= k;
        }
      } catch (error) {
        // The next poll tries again; the firmware hears of it once per run of failures, on its own thread.
        if (!this.#failing && this.#onError) {
          const e = error instanceof Error ? error : new Error(String(error));
          const report = this.#onError;
          this.#errorPosted = main.set(() => {
            this.#errorPosted = undefined;
            report(e);
          }, 0);
        }
        this.#failing = true;
        return;
      }
      this.#failing = false;
      this.#lastDrain = t;
      if (level === 0) return;
      this.#newestAt = t;
      if (this.#posted === undefined) {
        this.#posted = main.set(() => {
          this.#posted = undefined;
          this.#onReadable(this.#count);
        }, 0);
      }
    }

    #store(burst: Uint8Array, k: number): void {
      const size = this.#program.sampleBytes;
      const capacity = this.#capacity;
      for (let i = 0; i < k; i++) {
        if (this.#count === capacity) {
          // Full: the oldest sample is overwritten.
          this.#head = (this.#head + 1) % capacity;
          this.#count--;
          this.#lost++;
        }
        const to = ((this.#head + this.#count) % capacity) * size;
        for (let b = 0, from = i * size; b < size; b++) this.#ring[to + b] = burst[from + b];
        this.#count++;
      }
    }
  };
}
