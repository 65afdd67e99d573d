/*
 * ADXL355 driver (ECMA-419 Sensor Class Pattern) over SMBus (ADXL354/ADXL355
 * datasheet, Rev. D).
 *
 * readFifo reads STATUS and FIFO_ENTRIES in one 2-byte transfer, then all whole
 * x, y, z sets waiting in ONE burst from FIFO_DATA (the pointer does not advance
 * on FIFO_DATA; each 3 bytes pop one axis entry). Entries carry an x-axis marker
 * (bit 0 of the last byte): if the burst does not start on x (a previous transfer
 * was cut short), the driver drops the entries before the first x, reads the
 * missing tail entries of the last set, and the FIFO is aligned again.
 * With an interrupt line, FIFO_FULL (entries >= FIFO_SAMPLES, 48) is mapped to
 * INT1 and INT_POL set (active high).
 */
import type { Digital, FifoProgram, SMBus } from "../host.js";
import { fifoReadFailed, openWatermarkLine, powerDownAndClose, type Accelerometer, type AccelerometerDriverOptions, type AccelerometerOptions } from "./accelerometer.js";
import { hex } from "../util/format.js";

/** Register map (datasheet Rev. D, Table 14). */
const Register = Object.freeze({
  DEVID_AD: 0x00,
  STATUS: 0x04,
  TEMP2: 0x06,
  FIFO_DATA: 0x11,
  FILTER: 0x28,
  FIFO_SAMPLES: 0x29,
  INT_MAP: 0x2a,
  RANGE: 0x2c,
  POWER_CTL: 0x2d,
  RESET: 0x2f,
});

/** DEVID_AD, DEVID_MST, PARTID (0x00..0x02). */
const Id = Object.freeze({ DEVID_AD: 0xad, DEVID_MST: 0x1d, PARTID: 0xed });
const Status = Object.freeze({ FIFO_OVR: 1 << 2 });
const FIFO_ENTRIES_MASK = 0x7f;
const FILTER_ODR_MASK = 0x0f;
/** ODR = ODR_MAX_HZ / 2^code, code 0..10 (4000 .. 3.906 Hz). */
const ODR_MAX_HZ = 4000;
const ODR_CODE_MAX = 10;
/** RANGE: range bits 1:0; INT_POL bit 6 (set: INT1/INT2 active high). */
const Range = Object.freeze({ MASK: 0x03, INT_POL: 1 << 6 });
/** INT_MAP: FIFO_FULL (the watermark of FIFO_SAMPLES) on INT1. */
const IntMap = Object.freeze({ FULL_EN1: 1 << 1 });
/** RANGE code 1, 2, 3 -> +/- 2, 4, 8 g. */
const RANGES_G: readonly number[] = Object.freeze([0, 2, 4, 8]);
/** POWER_CTL: STANDBY bit 0; 0 measures with temperature and DRDY on. */
const PowerCtl = Object.freeze({ STANDBY: 1 << 0, MEASURE: 0x00 });
const RESET_CODE = 0x52;
/** Last byte of a FIFO entry: bit 0 marks the x axis, bit 1 an empty FIFO. */
const FifoMarker = Object.freeze({ X: 1 << 0, EMPTY: 1 << 1 });
const FIFO_DEPTH_ENTRIES = 96;
const FIFO_DEPTH = FIFO_DEPTH_ENTRIES / 3;
/** Watermark (entries) at half the FIFO: FIFO_FULL, and INT1 when mapped, from this many. */
const FIFO_WATERMARK_ENTRIES = 48;
const ENTRY_BYTES = 3;
const SET_BYTES = 9;
/** 3.9 ug/LSB at +/-2 g. */
const LSB_PER_G_2G = 256000;
/** T = (raw - TEMP_INTERCEPT_LSB) / TEMP_SLOPE_LSB_PER_C + 25 degC. */
const TEMP_INTERCEPT_LSB = 1885;
const TEMP_SLOPE_LSB_PER_C = -9.05;

/** The FIFO sampler's program: STATUS and FIFO_ENTRIES in one transfer (entries count axes), whole sets in one burst. */
const PROGRAM: FifoProgram = Object.freeze({
  levelRegister: Register.STATUS,
  levelBytes: 2,
  levelOffset: 1,
  levelMask: FIFO_ENTRIES_MASK,
  levelDivisor: 3,
  overrun: Object.freeze({ offset: 0, mask: Status.FIFO_OVR }),
  dataRegister: Register.FIFO_DATA,
  sampleBytes: SET_BYTES,
  samplesPerRead: FIFO_DEPTH,
  depth: FIFO_DEPTH,
});

export const ADXL355_DEFAULT_ADDRESS = 0x1d;

export type ADXL355Options = AccelerometerDriverOptions;

export class ADXL355 implements Accelerometer {
  readonly fifoDepth = FIFO_DEPTH;
  readonly program = PROGRAM;
  /** Entries dropped to realign on the x marker since construction. */
  resyncs = 0;
  #io: SMBus;
  #line: Digital | undefined;
  #name: string;
  #odrCode = 0;
  #rangeCode = 1;
  #gPerLsb = 1 / LSB_PER_G_2G;
  #overrun = false;
  #two = new Uint8Array(2);
  #burst = new Uint8Array(FIFO_DEPTH * SET_BYTES);
  /** #views[n]: the first n sets of #burst (made once: readFifo allocates nothing while aligned). */
  #views: Uint8Array[] = [];
  #onError: ((error: Error) => void) | undefined;

  constructor(options: ADXL355Options) {
    const address = options.sensor.address ?? ADXL355_DEFAULT_ADDRESS;
    this.#name = `ADXL355 at 0x${hex(address)}`;
    for (let n = 0; n <= FIFO_DEPTH; n++) this.#views.push(this.#burst.subarray(0, n * SET_BYTES));
    const io = (this.#io = new options.sensor.io({ ...options.sensor, address }));
    this.#onError = options.onError;
    try {
      const id = new Uint8Array(3);
      io.readBuffer(Register.DEVID_AD, id);
      if (id[0] !== Id.DEVID_AD || id[1] !== Id.DEVID_MST || id[2] !== Id.PARTID) {
        throw new Error(`${this.#name}: device ID 0x${hex(id[0])} 0x${hex(id[1])} 0x${hex(id[2])} (expected 0xAD 0x1D 0xED)`);
      }
      this.#line = openWatermarkLine(options);
      this.configure({ odr: options.odr ?? ODR_MAX_HZ, rangeG: options.rangeG ?? 4 });
    } catch (error) {
      this.#line?.close();
      io.close();
      throw error;
    }
  }

  get interrupt(): boolean {
    return this.#line !== undefined;
  }

  get odr(): number {
    return ODR_MAX_HZ / 2 ** this.#odrCode;
  }

  get rangeG(): number {
    return RANGES_G[this.#rangeCode];
  }

  get overrun(): boolean {
    return this.#overrun;
  }

  /** Rate and range (written in standby); the FIFO restarts empty. */
  configure(options: AccelerometerOptions): void {
    if (options.odr !== undefined) {
      if (!(options.odr > 0)) throw new RangeError(`${this.#name}: odr ${options.odr}`);
      const code = Math.round(Math.log2(ODR_MAX_HZ / options.odr));
      this.#odrCode = code < 0 ? 0 : code > ODR_CODE_MAX ? ODR_CODE_MAX : code;
    }
    if (options.rangeG !== undefined) {
      const i = RANGES_G.indexOf(options.rangeG);
      if (i < 1) throw new Error(`${this.#name}: range ${options.rangeG} g (supported: 2, 4, 8)`);
      this.#rangeCode = i;
    }
    this.#gPerLsb = 1 / (LSB_PER_G_2G / (RANGES_G[this.#rangeCode] / 2));
    const io = this.#io;
    io.writeUint8(Register.POWER_CTL, PowerCtl.STANDBY); // filter and range may only change in standby
    io.writeUint8(Register.FILTER, this.#odrCode & FILTER_ODR_MASK); // high-pass off
    const range = io.readUint8(Register.RANGE); // keep I2C_HS (and INT_POL unless the line is ours)
    io.writeUint8(Register.RANGE, (range & ~Range.MASK) | this.#rangeCode | (this.#line ? Range.INT_POL : 0));
    io.writeUint8(Register.FIFO_SAMPLES, FIFO_WATERMARK_ENTRIES);
    if (this.#line) io.writeUint8(Register.INT_MAP, IntMap.FULL_EN1);
    io.writeUint8(Register.POWER_CTL, PowerCtl.MEASURE); // leaving standby starts an empty FIFO
    this.#overrun = false;
  }

  /** Soft reset (all registers to their defaults, standby). Call configure() afterwards. */
  reset(): void {
    this.#io.writeUint8(Register.RESET, RESET_CODE);
  }

  /** Die temperature, degC (12-bit, about 0.11 degC per LSB; not calibrated). */
  temperature(): number {
    const b = this.#two;
    this.#io.readBuffer(Register.TEMP2, b);
    const raw = ((b[0] & 0x0f) << 8) | b[1];
    return (raw - TEMP_INTERCEPT_LSB) / TEMP_SLOPE_LSB_PER_C + 25;
  }

  readFifo(dest: Float32Array, maxSamples: number): number {
    try {
      const io = this.#io;
      const b2 = this.#two;
      io.readBuffer(Register.STATUS, b2); // STATUS, FIFO_ENTRIES
      this.#overrun = (b2[0] & Status.FIFO_OVR) !== 0;
      const entries = b2[1] & FIFO_ENTRIES_MASK;
      let n = (entries / 3) | 0;
      if (n > maxSamples) n = maxSamples;
      if (3 * n > dest.length) n = (dest.length / 3) | 0;
      if (n <= 0) return 0;
      const b = this.#views[n];
      const fifoData = Register.FIFO_DATA;
      const X = FifoMarker.X;
      const MARKERS = X | FifoMarker.EMPTY;
      io.readBuffer(fifoData, b);
      if ((b[2] & MARKERS) !== X) {
        // Not on x: drop the k entries before the first x, then read the k entries that complete the last set.
        let k = 1;
        while (k < 3 && (b[k * ENTRY_BYTES + 2] & MARKERS) !== X) k++;
        if (k === 3) return 0; // no x where one must be: let the next poll start afresh
        this.resyncs += k;
        const keep = n * SET_BYTES - k * ENTRY_BYTES;
        b.copyWithin(0, k * ENTRY_BYTES);
        io.readBuffer(fifoData, b.subarray(keep)); // rare: the view is made here only
      }
      return this.decode(b, n, dest);
    } catch (error) {
      return fifoReadFailed(this.#onError, error);
    }
  }

  /**
   * Sets of 3 entries to g. Bytes that do not start on an x entry (a transfer cut
   * short) lose the entries before the first x (counted in resyncs) and the set they
   * leave incomplete; decoding stops at an empty or out-of-step entry.
   */
  decode(raw: Uint8Array, samples: number, dest: Float32Array): number {
    const X = FifoMarker.X;
    const MARKERS = X | FifoMarker.EMPTY;
    let i = 0;
    if (samples > 0 && (raw[2] & MARKERS) !== X) {
      let k = 1;
      while (k < 3 && (raw[k * ENTRY_BYTES + 2] & MARKERS) !== X) k++;
      if (k === 3) return 0;
      this.resyncs += k;
      i = k * ENTRY_BYTES;
      samples--;
    }
    const scale = this.#gPerLsb;
    // One set per turn, the three entries written out: the acquirer's hottest loop for this part (docs/performance.md).
    for (let j = 0, end = 3 * samples; j < end; j += 3, i += SET_BYTES) {
      const xl = raw[i + 2];
      const yl = raw[i + 5];
      const zl = raw[i + 8];
      // x marker on the first entry only, none empty: else out of step, stop here
      if ((xl & MARKERS) !== X || ((yl | zl) & MARKERS) !== 0) return j / 3;
      // 20-bit two's complement left-justified in 24 bits: sign-extend via << 8 then >> 12
      dest[j] = (((raw[i] << 24) | (raw[i + 1] << 16) | (xl << 8)) >> 12) * scale;
      dest[j + 1] = (((raw[i + 3] << 24) | (raw[i + 4] << 16) | (yl << 8)) >> 12) * scale;
      dest[j + 2] = (((raw[i + 6] << 24) | (raw[i + 7] << 16) | (zl << 8)) >> 12) * scale;
    }
    return samples;
  }

  /** Standby, release the bus and the interrupt line. */
  close(): void {
    powerDownAndClose(this.#io, Register.POWER_CTL, PowerCtl.STANDBY, this.#line);
  }
}

