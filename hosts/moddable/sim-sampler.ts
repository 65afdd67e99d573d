/*
 * The lin build's io.FifoSampler: the same design as the ESP32's native sampler
 * (a FIFO drain of its own that never waits for the firmware, a ring the firmware
 * reads), with a Moddable Worker (its own thread and XS machine) in place of the
 * FreeRTOS task: hosts/moddable/sim-sampler-worker.ts. The simulated accelerometer
 * lives in XS, so the Worker keeps its own copy of it, configured by the transfers
 * the firmware makes to this thread's copy (recordTransfers, i2c-mirror.ts). The
 * ring is a SharedArrayBuffer (shared-ring.ts); the Worker posts one "readable"
 * notice at a time, and the firmware reads the ring when its thread is free.
 */
import Worker from "worker";
import type { FifoSampler, FifoSamplerConstructor, FifoSamplerOptions } from "../../firmware/host.js";
import type { I2CTarget } from "../../sim/bus.js";
import { recordTransfers } from "../../sim/i2c-mirror.js";
import { SharedRing } from "../../sim/shared-ring.js";
import type { FromSampler, ToSampler } from "./sim-sampler-worker.js";

const WORKER_MODULE = "hosts/moddable/sim-sampler-worker";

export interface SamplerWorld {
  seed: number;
  rpm: number;
  /** Time.ticks at which the simulated world started. */
  t0: number;
  /** The accelerometer's I2C address. */
  address: number;
}

/** One sampler thread for a simulated node: `mirror` its accelerometer, and pass `FifoSampler` to the host. */
export class SamplerWorker {
  readonly FifoSampler: FifoSamplerConstructor;
  readonly #worker: Worker;
  #open: { options: FifoSamplerOptions; ring: SharedRing } | undefined;

  constructor(world: SamplerWorld) {
    this.#worker = new Worker(WORKER_MODULE, {});
    this.#worker.onmessage = (m: FromSampler) => this.#receive(m);
    this.#send({ type: "world", ...world });
    const owner = this;
    this.FifoSampler = class WorkerFifoSampler implements FifoSampler {
      readonly #ring: SharedRing;
      available = 0;
      newestAt = 0;
      lost = 0;
      #closed = false;

      constructor(o: FifoSamplerOptions) {
        this.#ring = new SharedRing(Math.max(1, Math.floor(o.capacity)), o.program.sampleBytes);
        owner.#open = { options: o, ring: this.#ring };
        owner.#send({ type: "open", program: o.program, capacity: this.#ring.capacity, pollMs: o.pollMs, odr: o.odr, ring: this.#ring.buffer });
      }

      read(into: Uint8Array, maxSamples: number): number {
        const ring = this.#ring;
        const n = ring.read(into, maxSamples);
        this.available = ring.available;
        this.newestAt = ring.newestAt;
        this.lost = ring.lost;
        return n;
      }

      close(): void {
        if (this.#closed) return;
        this.#closed = true;
        if (owner.#open?.ring === this.#ring) owner.#open = undefined;
        this.#ring.stop();
      }
    };
  }

  /** `part` as the firmware's bus sees it, its transfers replayed on the Worker's copy. */
  mirror(part: I2CTarget): I2CTarget {
    return recordTransfers(part, (transfer) => this.#send({ type: "transfer", transfer }));
  }

  #send(m: ToSampler): void {
    this.#worker.postMessage(m);
  }

  #receive(m: FromSampler): void {
    const open = this.#open;
    if (!open) return;
    if (m.type === "readable") open.options.onReadable(open.ring.waiting);
    else open.options.onError?.(new Error(m.message));
  }
}
