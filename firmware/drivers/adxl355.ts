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
 */
import type { SMBus, SMBusOptions } from "../host.js";
import { fifoReadFailed, powerDownAndClose, type Accelerometer, type AccelerometerOptions } from "./accelerometer.js";
import { hex } from "../util/format.js";

const REG_DEVID_AD = 0x00;
const REG_STATUS = 0x04;
const REG_TEMP2 = 0x06;
const REG_FIFO_DATA = 0x11;
const REG_FILTER = 0x28;
const REG_FIFO_SAMPLES = 0x29;
const REG_RANGE = 0x2c;
const REG_POWER_CTL = 0x2d;
const REG_RESET = 0x2f;

const DEVID_AD = 0xad;
const DEVID_MST = 0x1d;
const PARTID = 0xed;
const STATUS_FIFO_OVR = 1 << 2;
const FIFO_ENTRIES_MASK = 0x7f;
const FILTER_ODR_MASK = 0x0f;
/** ODR = ODR_MAX_HZ / 2^code, code 0..10 (4000 .. 3.906 Hz). */
const ODR_MAX_HZ = 4000;
const ODR_CODE_MAX = 10;
const RANGE_MASK = 0x03;
/** RANGE code 1, 2, 3 -> +/- 2, 4, 8 g. */
const RANGES_G = [0, 2, 4, 8];
const POWER_CTL_STANDBY = 1 << 0;
const POWER_CTL_MEASURE = 0x00; // temperature and DRDY on
const RESET_CODE = 0x52;
const FIFO_MARKER_X = 1 << 0;
const FIFO_MARKER_EMPTY = 1 << 1;
const FIFO_DEPTH_ENTRIES = 96;
const FIFO_DEPTH = FIFO_DEPTH_ENTRIES / 3;
/** Watermark (entries) at half the FIFO (only used by interrupt-driven hosts). */
const FIFO_WATERMARK_ENTRIES = 48;
const ENTRY_BYTES = 3;
const SET_BYTES = 9;
/** 3.9 ug/LSB at +/-2 g. */
const LSB_PER_G_2G = 256000;
/** T = (raw - TEMP_INTERCEPT_LSB) / TEMP_SLOPE_LSB_PER_C + 25 degC. */
const TEMP_INTERCEPT_LSB = 1885;
const TEMP_SLOPE_LSB_PER_C = -9.05;

export const ADXL355_DEFAULT_ADDRESS = 0x1d;

export interface ADXL355Options extends AccelerometerOptions {
  sensor: { io: (options: SMBusOptions) => SMBus; address?: number; hz?: number };
  /** If given, readFifo reports bus errors here and returns 0 instead of throwing. */
  onError?: (error: Error) => void;
}

export class ADXL355 implements Accelerometer {
  readonly fifoDepth = FIFO_DEPTH;
  /** Entries dropped to realign on the x marker since construction. */
  resyncs = 0;
  #io: SMBus;
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
    this.#io = options.sensor.io({ address, hz: options.sensor.hz });
    this.#onError = options.onError;
    try {
      const id = new Uint8Array(3);
      this.#io.readBuffer(REG_DEVID_AD, id);
      if (id[0] !== DEVID_AD || id[1] !== DEVID_MST || id[2] !== PARTID) {
        throw new Error(`${this.#name}: device ID 0x${hex(id[0])} 0x${hex(id[1])} 0x${hex(id[2])} (expected 0xAD 0x1D 0xED)`);
      }
      this.configure({ odr: options.odr ?? ODR_MAX_HZ, rangeG: options.rangeG ?? 4 });
    } catch (error) {
      this.#io.close();
      throw error;
    }
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
    io.writeUint8(REG_POWER_CTL, POWER_CTL_STANDBY); // filter and range may only change in standby
    io.writeUint8(REG_FILTER, this.#odrCode & FILTER_ODR_MASK); // high-pass off
    const range = io.readUint8(REG_RANGE); // keep I2C_HS and INT_POL
    io.writeUint8(REG_RANGE, (range & ~RANGE_MASK) | this.#rangeCode);
    io.writeUint8(REG_FIFO_SAMPLES, FIFO_WATERMARK_ENTRIES);
    io.writeUint8(REG_POWER_CTL, POWER_CTL_MEASURE); // leaving standby starts an empty FIFO
    this.#overrun = false;
  }

  /** Soft reset (all registers to their defaults, standby). Call configure() afterwards. */
  reset(): void {
    this.#io.writeUint8(REG_RESET, RESET_CODE);
  }

  /** Die temperature, degC (12-bit, about 0.11 degC per LSB; not calibrated). */
  temperature(): number {
    const b = this.#two;
    this.#io.readBuffer(REG_TEMP2, b);
    const raw = ((b[0] & 0x0f) << 8) | b[1];
    return (raw - TEMP_INTERCEPT_LSB) / TEMP_SLOPE_LSB_PER_C + 25;
  }

  readFifo(dest: Float32Array, maxSamples: number): number {
    try {
      const io = this.#io;
      const b2 = this.#two;
      io.readBuffer(REG_STATUS, b2); // STATUS, FIFO_ENTRIES
      this.#overrun = (b2[0] & STATUS_FIFO_OVR) !== 0;
      const entries = b2[1] & FIFO_ENTRIES_MASK;
      let n = (entries / 3) | 0;
      if (n > maxSamples) n = maxSamples;
      if (3 * n > dest.length) n = (dest.length / 3) | 0;
      if (n <= 0) return 0;
      const b = this.#views[n];
      io.readBuffer(REG_FIFO_DATA, b);
      if ((b[2] & (FIFO_MARKER_X | FIFO_MARKER_EMPTY)) !== FIFO_MARKER_X) {
        // Not on x: drop the k entries before the first x, then read the k entries that complete the last set.
        let k = 1;
        while (k < 3 && (b[k * ENTRY_BYTES + 2] & (FIFO_MARKER_X | FIFO_MARKER_EMPTY)) !== FIFO_MARKER_X) k++;
        if (k === 3) return 0; // no x where one must be: let the next poll start afresh
        this.resyncs += k;
        const keep = n * SET_BYTES - k * ENTRY_BYTES;
        b.copyWithin(0, k * ENTRY_BYTES);
        io.readBuffer(REG_FIFO_DATA, b.subarray(keep)); // rare: the view is made here only
      }
      const scale = this.#gPerLsb;
      let got = 0;
      for (let s = 0, i = 0; s < n; s++) {
        for (let axis = 0; axis < 3; axis++, i += ENTRY_BYTES) {
          const marker = b[i + 2] & (FIFO_MARKER_X | FIFO_MARKER_EMPTY);
          if (marker !== (axis === 0 ? FIFO_MARKER_X : 0)) return got; // empty or out of step: stop here
          // 20-bit two's complement left-justified in 24 bits: sign-extend via << 8 then >> 12
          dest[3 * s + axis] = (((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8)) >> 12) * scale;
        }
        got++;
      }
      return got;
    } catch (error) {
      return fifoReadFailed(this.#onError, error);
    }
  }

  /** Standby and release the bus. */
  close(): void {
    powerDownAndClose(this.#io, REG_POWER_CTL, POWER_CTL_STANDBY);
  }
}

