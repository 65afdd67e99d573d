/*
 * XS side of the FIFO-copy figure (tools/bench/xs-measure.ts runs it in xsnap): what
 * the main core does per sample when the FIFO is drained by the host's sampler
 * (firmware/acquisition/acquirer.ts, sampler path): read the ring, decode with the
 * real ADXL345 driver, store into the window. The sampler and the bus are stubs
 * here (on the device they are native), so the figure is the firmware's XS work
 * only: the CPU model's "fifo" cost per sample (sim/cpu.ts).
 */
import type { FifoSampler, FifoSamplerOptions, SMBusOptions } from "../../firmware/host.js";
import { ADXL345 } from "../../firmware/drivers/adxl345.js";
import { Acquirer } from "../../firmware/acquisition/acquirer.js";
import { serveCases } from "../xs/cases/runtime.js";

/** An ADXL345 that answers its ID and takes every write: enough to construct the real driver. */
class StubBus {
  readonly address: number;
  constructor(o: SMBusOptions) {
    this.address = o.address;
  }
  readUint8(register: number): number {
    return register === 0x00 ? 0xe5 : 0;
  }
  writeUint8(): void {}
  readUint16(): number {
    return 0;
  }
  writeUint16(): void {}
  readBuffer(_register: number, _buffer: Uint8Array): void {}
  writeBuffer(): void {}
  read(): ArrayBuffer {
    return new ArrayBuffer(0);
  }
  write(): void {}
  close(): void {}
}

/** Raw FIFO entries as the ring holds them: a slow ramp on x, constants on y and z. */
const SAMPLE_BYTES = 6;
const raw = new Uint8Array(1024 * SAMPLE_BYTES);
for (let i = 0; i < 1024; i++) {
  raw[i * SAMPLE_BYTES] = i & 0xff;
  raw[i * SAMPLE_BYTES + 2] = 7;
  raw[i * SAMPLE_BYTES + 4] = 0;
  raw[i * SAMPLE_BYTES + 5] = 1;
}

let pending = 0;
let newestAt = 0;
let readable: (() => void) | undefined;
let windows = 0;

/** A ring that always has `pending` samples of `raw`, as the native sampler would after its drains. */
class StubSampler implements FifoSampler {
  available = 0;
  lost = 0;
  newestAt = 0;
  constructor(o: FifoSamplerOptions) {
    readable = () => o.onReadable(pending);
  }
  read(into: Uint8Array, maxSamples: number): number {
    const n = Math.min(maxSamples, pending, 1024, Math.floor(into.length / SAMPLE_BYTES));
    into.set(raw.subarray(0, n * SAMPLE_BYTES));
    pending -= n;
    newestAt += n / 3.2;
    this.newestAt = newestAt;
    this.available = pending;
    return n;
  }
  close(): void {}
}

let now = 0;
const timers = { set: () => 0, clear: () => {} };
const clock = { now: () => now, wall: () => undefined };

serveCases({
  setup(): unknown {
    const accel = new ADXL345({ sensor: { io: StubBus, address: 0x53 }, odr: 3200, rangeG: 16 });
    const acq = new Acquirer({
      timers,
      clock,
      accel,
      n: 4096,
      buffers: 1,
      onWindow: () => void windows++,
      onError: (e) => {
        throw e;
      },
      sampler: { io: StubSampler, sensor: { io: StubBus, address: 0x53 }, ringMs: 100_000 },
    });
    acq.start();
    return { sampled: acq.sampled };
  },
  /** Copies `samples` samples from the ring into the windows (onReadable, as the sampler posts it). */
  drain(arg: { samples: number }): unknown {
    pending = arg.samples;
    readable!();
    now = newestAt;
    return { left: pending, windows };
  },
});
