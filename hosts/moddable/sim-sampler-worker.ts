/*
 * The lin build's FIFO sampler thread (a Moddable Worker; hosts/moddable/sim-sampler.ts
 * starts it): what native/fifo_sampler.c's task is on the ESP32. It holds its own copy
 * of the simulated accelerometer (the same machine, seed and clock as the firmware's
 * copy, configured by the firmware's recorded transfers), drains its FIFO by the
 * driver's FifoProgram with the simulator's sampler (sim/fifo-sampler.ts) a quarter as
 * often as the firmware's pollMs (half the FIFO's fill) asks (LIN_POLL_DIVISOR),
 * and moves the samples into the shared ring the firmware reads. While the firmware's
 * thread computes, this one keeps the FIFO from overflowing.
 *
 * Between "open" and the ring's stop() the thread runs a timer loop of its own
 * (LoopTimers), sleeping in Atomics.wait: Moddable's Timer cannot serve here, since
 * on lin it adds its sources to GLib's default context (g_timeout_add), which the
 * firmware's thread runs, so a Worker's timers would fire on the firmware's thread.
 * Messages that arrive meanwhile (the firmware's transfers after a stop) wait in the
 * Worker's queue and are handled, in order, once the loop ends.
 * Messages in: "world", "transfer", "open"; out: "readable", "error".
 * Not preloaded: it runs only in the Worker, where `self` exists.
 */
import type { FifoProgram, FifoSampler, TimerId, Timers } from "../../firmware/host.js";
import { SimI2CBus, type I2CTarget } from "../../sim/bus.js";
import { simFifoSamplerClass } from "../../sim/fifo-sampler.js";
import { clock } from "./host.js";
import { replayTransfer } from "../../sim/i2c-mirror.js";
import { SharedRing } from "../../sim/shared-ring.js";
import { simAccelerometer, simMachine } from "./sim-node.js";

export interface WorldMessage {
  type: "world";
  seed: number;
  rpm: number;
  /** Time.ticks at which the firmware's copy of the world started (both copies count from it). */
  t0: number;
  address: number;
}
export interface TransferMessage {
  type: "transfer";
  transfer: number[];
}
export interface OpenMessage {
  type: "open";
  program: FifoProgram;
  capacity: number;
  pollMs: number;
  odr: number;
  ring: SharedArrayBuffer;
}
export type ToSampler = WorldMessage | TransferMessage | OpenMessage;
export type FromSampler = { type: "readable" } | { type: "error"; message: string };

/**
 * The Worker polls this many times per pollMs: a desktop OS wakes a sleeping thread
 * late now and then (check-lin's wake-up probe: up to about 12 ms), and each poll
 * that comes sooner leaves more of the FIFO's 10 ms as margin for a late one.
 * A poll of an idle FIFO is one level read of the simulated part: cheap here.
 */
const LIN_POLL_DIVISOR = 4;

/** Samples the thread's own staging sampler holds between its poll and the move into the ring (in FIFO depths). */
const STAGING_DEPTHS = 4;

/** Timers run by the thread's own loop: run() until the ring says stop. */
class LoopTimers implements Timers {
  readonly now = clock.now;
  readonly wall = clock.wall;
  #next = 1;
  readonly #due = new Map<number, { at: number; repeat: number; callback: () => void }>();

  set(callback: () => void, ms: number, repeat = 0): TimerId {
    const id = this.#next++;
    this.#due.set(id, { at: this.now() + Math.max(0, ms), repeat, callback });
    return id;
  }

  clear(id: TimerId | undefined): void {
    if (id !== undefined) this.#due.delete(id as number);
  }

  /** The earliest time a timer falls due, found by #visit on each turn of run(). */
  #soonest = Infinity;
  /** One timer per turn: runs it if due. A bound method, so a turn allocates nothing (a for-of over the Map makes an entry array per timer). */
  readonly #visit = (t: { at: number; repeat: number; callback: () => void }, id: number): void => {
    if (t.at <= this.now()) {
      if (t.repeat > 0) t.at += Math.max(t.repeat, Math.floor((this.now() - t.at) / t.repeat) * t.repeat);
      else this.#due.delete(id);
      t.callback();
    }
    if (this.#due.get(id) === t && t.at < this.#soonest) this.#soonest = t.at;
  };

  /** Runs every timer as it falls due, sleeping in between, until the ring is stopped. */
  run(ring: SharedRing): void {
    for (;;) {
      this.#soonest = Infinity;
      this.#due.forEach(this.#visit);
      if (ring.sleep(this.#soonest === Infinity ? 1000 : this.#soonest - this.now())) return;
    }
  }
}

class SamplerThread {
  readonly #timers = new LoopTimers();
  #bus: SimI2CBus | undefined;
  #part: I2CTarget | undefined;
  #address = 0;
  #sampler: FifoSampler | undefined;
  #ring: SharedRing | undefined;
  #stage: Uint8Array | undefined;
  #lost = 0;

  receive(m: ToSampler): void {
    if (m.type === "world") this.#world(m);
    else if (m.type === "transfer") {
      if (this.#part) replayTransfer(this.#part, m.transfer);
    } else this.#open(m);
  }

  #world(m: WorldMessage): void {
    const now = (): number => clock.now() - m.t0;
    this.#bus = new SimI2CBus({ now });
    this.#part = simAccelerometer(simMachine(m.seed, m.rpm), m.seed, now);
    this.#address = m.address;
    this.#bus.attach(m.address, this.#part);
  }

  /** Samples until the firmware stops the ring. */
  #open(m: OpenMessage): void {
    const bus = this.#bus;
    if (!bus) return;
    const p = m.program;
    const ring = (this.#ring = new SharedRing(m.capacity, p.sampleBytes, m.ring));
    const depths = STAGING_DEPTHS * p.depth;
    this.#stage = new Uint8Array(depths * p.sampleBytes);
    this.#lost = 0;
    const Sampler = simFifoSamplerClass(this.#timers, this.#timers);
    this.#sampler = new Sampler({
      sensor: { io: bus.SMBus, address: this.#address },
      program: p,
      capacity: depths,
      pollMs: Math.max(1, m.pollMs / LIN_POLL_DIVISOR),
      odr: m.odr,
      onReadable: () => this.#move(),
      onError: (error) => post({ type: "error", message: error.message }),
    });
    try {
      this.#timers.run(ring);
    } finally {
      this.#sampler.close();
      this.#sampler = this.#ring = this.#stage = undefined;
    }
  }

  /** Staging sampler -> shared ring, then one notice to the firmware's thread if none is pending. */
  #move(): void {
    const sampler = this.#sampler;
    const ring = this.#ring;
    const stage = this.#stage;
    if (!sampler || !ring || !stage) return;
    for (let n = sampler.read(stage, Infinity); n > 0; n = sampler.read(stage, Infinity)) ring.append(stage, n, sampler.newestAt);
    ring.addLost(sampler.lost - this.#lost);
    this.#lost = sampler.lost;
    if (ring.waiting > 0 && ring.claimNotice()) post({ type: "readable" });
  }
}

function post(m: FromSampler): void {
  self.postMessage(m);
}

const thread = new SamplerThread();
self.onmessage = (m: ToSampler) => thread.receive(m);
