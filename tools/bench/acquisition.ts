/*
 * Acquisition at each accelerometer's maximum ODR through the real driver, the
 * register-level sim part and the byte-level bus at 400 kHz, in virtual time
 * (bus time moves the clock, so bus bandwidth is a real constraint):
 * wire bytes per payload byte against the part's protocol limit, bus
 * utilisation, delivered rate and samples lost. All deterministic (seeded).
 *
 * Protocol limits, counted as sim/bus.ts counts (every START/repeated START
 * carries an address byte; the register pointer is one byte; STOP costs no byte):
 *  - ADXL345: one FIFO entry per burst (reading through DATAZ1 pops one entry):
 *    addr+W, DATAX0, addr+R, 6 data = 9 wire bytes for 6 payload bytes -> 1.5.
 *  - LIS3DH: the whole FIFO (32 levels x 6 B) in one auto-increment burst that
 *    rolls over OUT_X_L..OUT_Z_H, plus the FIFO_SRC_REG read that says how many
 *    levels wait: (4 + 3 + 192) / 192.
 *  - ADXL355: 32 x-y-z sets (96 entries x 3 B) in one FIFO_DATA burst, plus the
 *    STATUS+FIFO_ENTRIES read: (5 + 3 + 288) / 288.
 * Goal: within 5 % of the limit (wire/payload <= limit x 1.05, GOALS.wireOverLimit)
 * with no loss. With the XS figures: the main core's work per sample when a FIFO
 * sampler drains the part (xs-fifo-cases.ts).
 */
import { VirtualClock } from "../../sim/clock.js";
import { SimI2CBus, type I2CTarget } from "../../sim/bus.js";
import { SimADXL345 } from "../../sim/devices/adxl345.js";
import { SimLIS3DH } from "../../sim/devices/lis3dh.js";
import { SimADXL355 } from "../../sim/devices/adxl355.js";
import { Machine } from "../../sim/machine/machine.js";
import { ADXL345 } from "../../firmware/drivers/adxl345.js";
import { LIS3DH } from "../../firmware/drivers/lis3dh.js";
import { ADXL355 } from "../../firmware/drivers/adxl355.js";
import { Acquirer } from "../../firmware/acquisition/acquirer.js";
import type { Accelerometer } from "../../firmware/drivers/accelerometer.js";
import type { SMBusConstructor } from "../../firmware/host.js";
import { GOALS } from "./goals.js";
import { goal, type BenchModule, type Figure } from "./types.js";
import type { XsFifoFigures } from "./xs-measure.js";

export interface PartSpec {
  id: string;
  name: string;
  address: number;
  /** Payload bytes per x-y-z sample on the wire. */
  sampleBytes: number;
  /** Wire bytes per payload byte at the protocol limit (see the header). */
  limit: number;
  make(now: () => number, signal: (axis: 0 | 1 | 2, t: number) => number): I2CTarget & { samplesLost: number };
  driver(io: SMBusConstructor): Accelerometer;
}

export const PARTS: PartSpec[] = [
  {
    id: "adxl345",
    name: "ADXL345 @ 3200 Hz",
    address: 0x53,
    sampleBytes: 6,
    limit: 9 / 6,
    make: (now, signal) => new SimADXL345({ now, signal, seed: 345 }),
    driver: (io) => new ADXL345({ sensor: { io, address: 0x53 }, odr: 3200, rangeG: 4 }),
  },
  {
    id: "lis3dh-lp",
    name: "LIS3DH @ 5376 Hz low-power",
    address: 0x18,
    sampleBytes: 6,
    limit: (4 + 3 + 32 * 6) / (32 * 6),
    make: (now, signal) => new SimLIS3DH({ now, signal, seed: 3 }),
    driver: (io) => new LIS3DH({ sensor: { io, address: 0x18 }, odr: 5376, mode: "low-power", rangeG: 4 }),
  },
  {
    id: "lis3dh",
    name: "LIS3DH @ 1344 Hz normal",
    address: 0x18,
    sampleBytes: 6,
    limit: (4 + 3 + 32 * 6) / (32 * 6),
    make: (now, signal) => new SimLIS3DH({ now, signal, seed: 3 }),
    driver: (io) => new LIS3DH({ sensor: { io, address: 0x18 }, odr: 1344, mode: "normal", rangeG: 4 }),
  },
  {
    id: "adxl355",
    name: "ADXL355 @ 4000 Hz",
    address: 0x1d,
    sampleBytes: 9,
    limit: (5 + 3 + 32 * 9) / (32 * 9),
    make: (now, signal) => new SimADXL355({ now, signal, seed: 355 }),
    driver: (io) => new ADXL355({ sensor: { io, address: 0x1d }, odr: 4000, rangeG: 4 }),
  },
];

export interface AcquisitionFigures {
  part: string;
  odr: number;
  seconds: number;
  samples: number;
  /** Samples lost, as the acquirer counted them and as the part dropped them. */
  lost: number;
  partLost: number;
  wireBytes: number;
  payloadBytes: number;
  wirePerPayload: number;
  limit: number;
  /** Fraction of time the bus was busy. */
  utilisation: number;
  pollMs: number;
}

/** Runs one part for `seconds` of virtual time after start-up; deterministic. */
export function measureAcquisition(part: PartSpec, seconds = 10): AcquisitionFigures {
  const clock = new VirtualClock();
  const bus = new SimI2CBus({ hz: 400_000, now: () => clock.now(), onBusTime: (ms) => clock.advance(ms) });
  const machine = new Machine({
    seed: 5,
    rpm: 1782,
    vibration: [
      { axis: "x", kind: "sine", freq_hz: 29.7, vrms_mm_s: 4 },
      { axis: "all", kind: "noise", g_rms: 0.01 },
    ],
  });
  const dev = part.make(() => clock.now(), (axis, t) => machine.acceleration(axis, t));
  bus.attach(part.address, dev);
  const accel = part.driver(bus.SMBus);
  const errors: Error[] = [];
  const acq = new Acquirer({ timers: clock, clock, accel, n: 4096, onWindow: () => {}, onError: (e) => errors.push(e) });
  acq.start();
  const t0 = clock.now();
  const wire0 = bus.bytesOnWire;
  const busy0 = bus.busyMs;
  const lost0 = dev.samplesLost;
  clock.runUntil(t0 + seconds * 1000);
  acq.stop();
  if (errors.length) throw new Error(`acquisition bench ${part.id}: ${errors[0].message}`);
  const elapsed = clock.now() - t0;
  const wireBytes = bus.bytesOnWire - wire0;
  const payloadBytes = acq.samples * part.sampleBytes;
  return {
    part: part.id,
    odr: accel.odr,
    seconds: elapsed / 1000,
    samples: acq.samples,
    lost: acq.lost,
    partLost: dev.samplesLost - lost0,
    wireBytes,
    payloadBytes,
    wirePerPayload: wireBytes / payloadBytes,
    limit: part.limit,
    utilisation: (bus.busyMs - busy0) / elapsed,
    pollMs: acq.pollMs,
  };
}

export function acquisitionFigures(a: AcquisitionFigures, part: PartSpec): Figure[] {
  return [
    {
      id: `acq.${a.part}.wirePerPayload`,
      name: `${part.name}: wire bytes per payload byte`,
      value: a.wirePerPayload,
      unit: "B/B",
      baseline: { name: "protocol limit", value: a.limit },
      ratio: a.wirePerPayload / a.limit,
      goal: goal("ratio", "<=", GOALS.wireOverLimit, `<= ${GOALS.wireOverLimit}x (within ${Math.round((GOALS.wireOverLimit - 1) * 100)} %)`),
      kind: "deterministic",
      budgets: { [`acq.${a.part}.wirePerPayload`]: a.wirePerPayload },
      note: `payload ${((100 / a.wirePerPayload) | 0)}% of wire bytes (limit ${(100 / a.limit).toFixed(1)}%)`,
    },
    {
      id: `acq.${a.part}.utilisation`,
      name: `${part.name}: bus utilisation at 400 kHz`,
      value: 100 * a.utilisation,
      unit: "%",
      kind: "deterministic",
      note: `poll every ${a.pollMs.toFixed(2)} ms`,
    },
    {
      id: `acq.${a.part}.rate`,
      name: `${part.name}: sustained rate`,
      value: a.samples / a.seconds,
      unit: "samples/s",
      baseline: { name: "ODR", value: a.odr },
      ratio: a.samples / a.seconds / a.odr,
      kind: "deterministic",
    },
    {
      id: `acq.${a.part}.lost`,
      name: `${part.name}: samples lost in ${a.seconds.toFixed(0)} s`,
      value: Math.max(a.lost, a.partLost),
      unit: "samples",
      goal: goal("value", "==", 0, "0 (no overflow)"),
      kind: "deterministic",
      budgets: { "acq.lost": Math.max(a.lost, a.partLost) },
    },
  ];
}

/** The main core's FIFO work per sample (xs-fifo-cases.ts); `counts`: the path the part should take. */
function fifoFigure(id: string, name: string, f: XsFifoFigures, counts: boolean, budget: string): Figure {
  const valid = f.sampled && f.counts === counts;
  return {
    id,
    name,
    value: f.perSample,
    unit: "computrons",
    kind: "deterministic",
    note: valid ? undefined : "the acquirer did not take the expected path: the figure is not valid",
    budgets: { [budget]: f.perSample },
  };
}

export const acquisitionBench: BenchModule = {
  name: "acquisition",
  title: "Acquisition at max ODR (driver + sim part + 400 kHz bus)",
  quick: true,
  async run(ctx) {
    const figures: Figure[] = [];
    for (const part of PARTS) figures.push(...acquisitionFigures(measureAcquisition(part, ctx.quick ? 5 : 10), part));
    const { fifo, fifoDecode } = await ctx.xs();
    figures.push(
      fifoFigure("acq.xs.fifoCopyPerSample", "main core's work per sample with a FIFO sampler (ring read, ADXL345 int16 counts stored as they come), XS", fifo, true, "xs.fifoCopyPerSample"),
      fifoFigure("acq.xs.fifoDecodePerSample", "main core's work per sample with a FIFO sampler (ring read, ADXL355 20-bit decode to g, float32 window), XS", fifoDecode, false, "xs.fifoDecodePerSample"),
    );
    return figures;
  },
};
