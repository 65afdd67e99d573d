/*
 * ADXL345 driver (ECMA-419 Sensor Class Pattern) over SMBus.
 * Full resolution (256 LSB/g at every range), stream-mode FIFO, one 6-byte burst
 * from DATAX0 per FIFO entry: a read through DATAZ1 pops exactly one entry, so
 * entries cannot be batched in one transfer (datasheet "Retrieving Data from FIFO").
 */
import type { SMBus, SMBusOptions } from "../host.js";
import { fifoReadFailed, powerDownAndClose, type Accelerometer, type AccelerometerOptions } from "./accelerometer.js";
import { hex } from "../util/format.js";

const REG_DEVID = 0x00;
const REG_BW_RATE = 0x2c;
const REG_POWER_CTL = 0x2d;
const REG_INT_SOURCE = 0x30;
const REG_DATA_FORMAT = 0x31;
const REG_DATAX0 = 0x32;
const REG_FIFO_CTL = 0x38;
const REG_FIFO_STATUS = 0x39;

const DEVID = 0xe5;
const POWER_CTL_STANDBY = 0x00;
const POWER_CTL_MEASURE = 1 << 3;
const DATA_FORMAT_FULL_RES = 1 << 3;
const INT_OVERRUN = 1 << 0;
const FIFO_MODE_BYPASS = 0 << 6;
const FIFO_MODE_STREAM = 2 << 6;
const FIFO_ENTRIES_MASK = 0x3f;
const FIFO_DEPTH = 32;
/** Watermark at half the FIFO (only used by interrupt-driven hosts). */
const FIFO_WATERMARK = 16;
/** Hz = ODR_BASE_HZ * 2^code, code 0x00..0x0F (0.1 .. 3200 Hz). */
const ODR_BASE_HZ = 0.09765625;
const RATE_CODE_MAX = 0x0f;
/** Full resolution: 3.9 mg/LSB typical, i.e. 1/256 g. */
const G_PER_LSB = 1 / 256;
/** DATA_FORMAT range bits 1:0 -> +/- 2, 4, 8, 16 g. */
const RANGES_G = [2, 4, 8, 16];

export const ADXL345_DEFAULT_ADDRESS = 0x53;

export interface ADXL345Options extends AccelerometerOptions {
  sensor: { io: (options: SMBusOptions) => SMBus; address?: number; hz?: number };
  /** If given, readFifo reports bus errors here and returns 0 instead of throwing. */
  onError?: (error: Error) => void;
}

export class ADXL345 implements Accelerometer {
  readonly fifoDepth = FIFO_DEPTH;
  /** Full resolution: 13-bit counts at most, 1/256 g at every range. */
  readonly lsbG = G_PER_LSB;
  #io: SMBus;
  #name: string;
  #rateCode = 0x0a;
  #rangeCode = 0;
  #overrun = false;
  #entry = new Uint8Array(6);
  #onError: ((error: Error) => void) | undefined;

  constructor(options: ADXL345Options) {
    const address = options.sensor.address ?? ADXL345_DEFAULT_ADDRESS;
    this.#name = `ADXL345 at 0x${hex(address)}`;
    this.#io = options.sensor.io({ address, hz: options.sensor.hz });
    this.#onError = options.onError;
    try {
      const id = this.#io.readUint8(REG_DEVID);
      if (id !== DEVID) throw new Error(`${this.#name}: device ID 0x${hex(id)} (expected 0x${hex(DEVID)})`);
      this.configure({ odr: options.odr ?? 3200, rangeG: options.rangeG ?? 4 });
    } catch (error) {
      this.#io.close();
      throw error;
    }
  }

  get odr(): number {
    return ODR_BASE_HZ * 2 ** this.#rateCode;
  }

  get rangeG(): number {
    return RANGES_G[this.#rangeCode];
  }

  get overrun(): boolean {
    return this.#overrun;
  }

  /** Reprograms rate and range; the FIFO restarts empty. */
  configure(options: AccelerometerOptions): void {
    if (options.odr !== undefined) this.#rateCode = rateCode(options.odr);
    if (options.rangeG !== undefined) {
      const i = RANGES_G.indexOf(options.rangeG);
      if (i < 0) throw new Error(`${this.#name}: range ${options.rangeG} g (supported: 2, 4, 8, 16)`);
      this.#rangeCode = i;
    }
    const io = this.#io;
    io.writeUint8(REG_POWER_CTL, POWER_CTL_STANDBY);
    io.writeUint8(REG_DATA_FORMAT, DATA_FORMAT_FULL_RES | this.#rangeCode);
    io.writeUint8(REG_BW_RATE, this.#rateCode);
    io.writeUint8(REG_FIFO_CTL, FIFO_MODE_BYPASS); // bypass clears the FIFO
    io.writeUint8(REG_FIFO_CTL, FIFO_MODE_STREAM | FIFO_WATERMARK);
    io.writeUint8(REG_POWER_CTL, POWER_CTL_MEASURE);
    this.#overrun = false;
  }

  readFifo(dest: Float32Array, maxSamples: number): number {
    try {
      const io = this.#io;
      const entries = io.readUint8(REG_FIFO_STATUS) & FIFO_ENTRIES_MASK;
      // Only a full FIFO can have overrun: ask INT_SOURCE then (before the data, whose read clears OVERRUN),
      // and save its 4 wire bytes on every other poll.
      this.#overrun = entries >= FIFO_DEPTH && (io.readUint8(REG_INT_SOURCE) & INT_OVERRUN) !== 0;
      let n = entries < maxSamples ? entries : maxSamples;
      if (3 * n > dest.length) n = (dest.length / 3) | 0;
      const b = this.#entry;
      for (let i = 0, j = 0; i < n; i++, j += 3) {
        io.readBuffer(REG_DATAX0, b);
        dest[j] = int16le(b, 0) * G_PER_LSB;
        dest[j + 1] = int16le(b, 2) * G_PER_LSB;
        dest[j + 2] = int16le(b, 4) * G_PER_LSB;
      }
      return n;
    } catch (error) {
      return fifoReadFailed(this.#onError, error);
    }
  }

  /** Standby (lowest power) and release the bus. */
  close(): void {
    powerDownAndClose(this.#io, REG_POWER_CTL, POWER_CTL_STANDBY);
  }
}

/** Nearest supported rate code (in log scale: rates are powers of two apart). */
function rateCode(odr: number): number {
  if (!(odr > 0)) throw new RangeError(`ADXL345: odr ${odr}`);
  const code = Math.round(Math.log2(odr / ODR_BASE_HZ));
  return code < 0 ? 0 : code > RATE_CODE_MAX ? RATE_CODE_MAX : code;
}

function int16le(b: Uint8Array, i: number): number {
  return ((b[i] | (b[i + 1] << 8)) << 16) >> 16;
}

