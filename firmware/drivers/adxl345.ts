/*
 * ADXL345 driver (ECMA-419 Sensor Class Pattern) over SMBus.
 * Full resolution (256 LSB/g at every range), stream-mode FIFO, one 6-byte burst
 * from DATAX0 per FIFO entry: a read through DATAZ1 pops exactly one entry, so
 * entries cannot be batched in one transfer (datasheet "Retrieving Data from FIFO").
 * With an interrupt line, WATERMARK is enabled on INT1 (active high): it rises
 * when the FIFO holds FIFO_CTL's samples (16) and falls as it is read below them.
 */
import type { Digital, FifoProgram, SMBus } from "../host.js";
import { fifoReadFailed, openWatermarkLine, powerDownAndClose, type Accelerometer, type AccelerometerDriverOptions, type AccelerometerOptions } from "./accelerometer.js";
import { hex } from "../util/format.js";

/** Register map (datasheet Rev. G, Table 19). */
const Register = Object.freeze({
  DEVID: 0x00,
  BW_RATE: 0x2c,
  POWER_CTL: 0x2d,
  INT_ENABLE: 0x2e,
  INT_MAP: 0x2f,
  INT_SOURCE: 0x30,
  DATA_FORMAT: 0x31,
  DATAX0: 0x32,
  FIFO_CTL: 0x38,
  FIFO_STATUS: 0x39,
});

const DEVID = 0xe5;
const PowerCtl = Object.freeze({ STANDBY: 0x00, MEASURE: 1 << 3 });
const DataFormat = Object.freeze({ FULL_RES: 1 << 3 });
/** INT_ENABLE, INT_MAP (bit set: INT2, clear: INT1) and INT_SOURCE bits. */
const Int = Object.freeze({ WATERMARK: 1 << 1, OVERRUN: 1 << 0, ALL_TO_INT1: 0x00 });
/** FIFO_CTL: mode bits 7:6, samples (the watermark) bits 4:0. */
const FifoCtl = Object.freeze({ MODE_BYPASS: 0 << 6, MODE_STREAM: 2 << 6 });
const FifoStatus = Object.freeze({ ENTRIES_MASK: 0x3f });
const FIFO_DEPTH = 32;
/** Bytes per FIFO entry: DATAX0..DATAZ1. */
const ENTRY_BYTES = 6;
/** Watermark at half the FIFO: the INT1 line rises when it holds this many entries. */
const FIFO_WATERMARK = 16;
/** Hz = ODR_BASE_HZ * 2^code, code 0x00..0x0F (0.1 .. 3200 Hz). */
const ODR_BASE_HZ = 0.09765625;
const RATE_CODE_MAX = 0x0f;
/** Full resolution: 3.9 mg/LSB typical, i.e. 1/256 g. */
const G_PER_LSB = 1 / 256;
/** DATA_FORMAT range bits 1:0 -> +/- 2, 4, 8, 16 g. */
const RANGES_G: readonly number[] = Object.freeze([2, 4, 8, 16]);

/** The FIFO sampler's program: one 6-byte burst per entry; INT_SOURCE only when full (its read clears OVERRUN). */
const PROGRAM: FifoProgram = Object.freeze({
  levelRegister: Register.FIFO_STATUS,
  int16Counts: true,
  levelBytes: 1,
  levelOffset: 0,
  levelMask: FifoStatus.ENTRIES_MASK,
  levelDivisor: 1,
  overrun: Object.freeze({ register: Register.INT_SOURCE, mask: Int.OVERRUN, whenFull: true }),
  dataRegister: Register.DATAX0,
  sampleBytes: ENTRY_BYTES,
  samplesPerRead: 1,
  depth: FIFO_DEPTH,
});

export const ADXL345_DEFAULT_ADDRESS = 0x53;

export type ADXL345Options = AccelerometerDriverOptions;

export class ADXL345 implements Accelerometer {
  readonly fifoDepth = FIFO_DEPTH;
  /** Full resolution: 13-bit counts at most, 1/256 g at every range. */
  readonly lsbG = G_PER_LSB;
  readonly program = PROGRAM;
  #io: SMBus;
  #line: Digital | undefined;
  #name: string;
  #rateCode = 0x0a;
  #rangeCode = 0;
  #overrun = false;
  #entry = new Uint8Array(ENTRY_BYTES);
  /** The entries of one readFifo, as the sampler's ring holds them (decode reads them from here). */
  #burst = new Uint8Array(FIFO_DEPTH * ENTRY_BYTES);
  #onError: ((error: Error) => void) | undefined;

  constructor(options: ADXL345Options) {
    const address = options.sensor.address ?? ADXL345_DEFAULT_ADDRESS;
    this.#name = `ADXL345 at 0x${hex(address)}`;
    const io = (this.#io = new options.sensor.io({ ...options.sensor, address }));
    this.#onError = options.onError;
    try {
      const id = io.readUint8(Register.DEVID);
      if (id !== DEVID) throw new Error(`${this.#name}: device ID 0x${hex(id)} (expected 0x${hex(DEVID)})`);
      this.#line = openWatermarkLine(options);
      this.configure({ odr: options.odr ?? 3200, rangeG: options.rangeG ?? 4 });
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
    io.writeUint8(Register.POWER_CTL, PowerCtl.STANDBY);
    io.writeUint8(Register.DATA_FORMAT, DataFormat.FULL_RES | this.#rangeCode); // INT_INVERT clear: INT1 active high
    io.writeUint8(Register.BW_RATE, this.#rateCode);
    io.writeUint8(Register.FIFO_CTL, FifoCtl.MODE_BYPASS); // bypass clears the FIFO
    io.writeUint8(Register.FIFO_CTL, FifoCtl.MODE_STREAM | FIFO_WATERMARK);
    if (this.#line) {
      io.writeUint8(Register.INT_MAP, Int.ALL_TO_INT1); // map before enabling (datasheet)
      io.writeUint8(Register.INT_ENABLE, Int.WATERMARK);
    }
    io.writeUint8(Register.POWER_CTL, PowerCtl.MEASURE);
    this.#overrun = false;
  }

  readFifo(dest: Float32Array, maxSamples: number): number {
    try {
      const io = this.#io;
      const entries = io.readUint8(Register.FIFO_STATUS) & FifoStatus.ENTRIES_MASK;
      // Only a full FIFO can have overrun: ask INT_SOURCE then (before the data, whose read clears OVERRUN),
      // and save its 4 wire bytes on every other poll.
      this.#overrun = entries >= FIFO_DEPTH && (io.readUint8(Register.INT_SOURCE) & Int.OVERRUN) !== 0;
      let n = entries < maxSamples ? entries : maxSamples;
      if (3 * n > dest.length) n = (dest.length / 3) | 0;
      if (n > FIFO_DEPTH) n = FIFO_DEPTH;
      const data = Register.DATAX0;
      const e = this.#entry;
      const burst = this.#burst;
      for (let i = 0, j = 0; i < n; i++) {
        io.readBuffer(data, e);
        for (let k = 0; k < ENTRY_BYTES; k++, j++) burst[j] = e[k];
      }
      return this.decode(burst, n, dest);
    } catch (error) {
      return fifoReadFailed(this.#onError, error);
    }
  }

  decode(raw: Uint8Array, samples: number, dest: Float32Array): number {
    // int16le inlined: a call per value costs XS about as much as the decode itself (this runs per sample).
    for (let i = 0, j = 0, end = 3 * samples; j < end; i += 2, j++) dest[j] = (((raw[i] | (raw[i + 1] << 8)) << 16) >> 16) * G_PER_LSB;
    return samples;
  }

  /** Standby (lowest power), release the bus and the interrupt line. */
  close(): void {
    powerDownAndClose(this.#io, Register.POWER_CTL, PowerCtl.STANDBY, this.#line);
  }
}

/** Nearest supported rate code (in log scale: rates are powers of two apart). */
function rateCode(odr: number): number {
  if (!(odr > 0)) throw new RangeError(`ADXL345: odr ${odr}`);
  const code = Math.round(Math.log2(odr / ODR_BASE_HZ));
  return code < 0 ? 0 : code > RATE_CODE_MAX ? RATE_CODE_MAX : code;
}

