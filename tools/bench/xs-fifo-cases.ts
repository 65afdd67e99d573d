/*
 * XS side of the FIFO-copy figures (tools/bench/xs-measure.ts runs it in xsnap): what
 * the main core does per sample when the FIFO is drained by the host's sampler
 * (firmware/acquisition/acquirer.ts, sampler path): read the ring, decode with the
 * real driver, store into the window. ADXL345: int16 counts stored as they come (the
 * LIS3DH takes the same path); ADXL355: 20-bit entries decoded to g by the driver
 * and stored as float32. The sampler and the bus are stubs here (on the device they
 * are native), so each figure is the firmware's XS work only: the CPU model's "fifo"
 * and "fifoDecode" costs per sample (sim/cpu.ts).
 */
import type { FifoSampler, FifoSamplerOptions, SMBusOptions } from "../../firmware/host.js";
import { ADXL345 } from "../../firmware/drivers/adxl345.js";
import { ADXL355 } from "../../firmware/drivers/adxl355.js";
import type { Accelerometer } from "../../firmware/drivers/accelerometer.js";
import { Acquirer } from "../../firmware/acquisition/acquirer.js";
import { serveCases } from "../xs/cases/runtime.js";

/** The ID registers of both parts (ADXL345 DEVID 0xE5 at 0x00; ADXL355 0xAD 0x1D 0xED at 0x00..0x02); every write is taken. */
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
  readBuffer(register: number, buffer: Uint8Array): void {
    if (register === 0x00 && buffer.length === 3) buffer.set([0xad, 0x1d, 0xed]);
  }
  writeBuffer(): void {}
  read(): ArrayBuffer {
    return new ArrayBuffer(0);
  }
  write(): void {}
  close(): void {}
}

/** Samples of raw FIFO bytes the ring hands out (repeated). */
const RAW_SAMPLES = 1024;

/**
 * Raw samples as the ring holds them, a slow ramp on x and constants on y and z:
 * ADXL345 6 bytes (int16 little-endian x, y, z); ADXL355 9 bytes (three 3-byte
 * entries, 20 bits left-justified, bit 0 of the x entry's last byte the x marker).
 */
function rawSamples(part: "adxl345" | "adxl355"): Uint8Array {
  const bytes = part === "adxl355" ? 9 : 6;
  const raw = new Uint8Array(RAW_SAMPLES * bytes);
  for (let i = 0; i < RAW_SAMPLES; i++) {
    const at = i * bytes;
    if (part === "adxl355") {
      raw.set([i >> 4, (i << 4) & 0xf0, 0x01, 0x00, 0x70, 0x00, 0x3e, 0x80, 0x00], at);
    } else {
      raw.set([i & 0xff, 0, 7, 0, 0, 1], at);
    }
  }
  return raw;
}

let raw: Uint8Array = new Uint8Array(0);
let sampleBytes = 6;
/** The part's sample period, ms: the stub ring's newest sample moves on by it per sample read. */
let periodMs = 1000 / 3200;
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
    const n = Math.min(maxSamples, pending, RAW_SAMPLES, Math.floor(into.length / sampleBytes));
    into.set(raw.subarray(0, n * sampleBytes));
    pending -= n;
    newestAt += n * periodMs;
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
  /** The part whose samples are copied: "adxl345" (default) or "adxl355". */
  setup(arg?: { part?: "adxl345" | "adxl355" }): unknown {
    const part = arg?.part ?? "adxl345";
    raw = rawSamples(part);
    sampleBytes = raw.length / RAW_SAMPLES;
    const sensor = { io: StubBus, address: part === "adxl355" ? 0x1d : 0x53 };
    const accel: Accelerometer = part === "adxl355" ? new ADXL355({ sensor, odr: 4000, rangeG: 8 }) : new ADXL345({ sensor, odr: 3200, rangeG: 16 });
    periodMs = 1000 / accel.odr;
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
      sampler: { io: StubSampler, sensor, ringMs: 100_000 },
    });
    acq.start();
    return { sampled: acq.sampled, counts: accel.lsbG !== undefined };
  },
  /** Copies `samples` samples from the ring into the windows (onReadable, as the sampler posts it). */
  drain(arg: { samples: number }): unknown {
    pending = arg.samples;
    readable!();
    now = newestAt;
    return { left: pending, windows };
  },
});
