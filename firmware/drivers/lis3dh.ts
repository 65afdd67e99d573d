/*
 * LIS3DH driver (ECMA-419 Sensor Class Pattern) over SMBus (ST LIS3DH datasheet
 * DocID17530, AN3308).
 *
 * FIFO in stream mode. readFifo reads FIFO_SRC_REG, then every waiting level in
 * ONE burst from OUT_X_L with the auto-increment bit (0xA8): in FIFO mode the
 * address rolls over from OUT_Z_H (0x2D) back to OUT_X_L and each 6 bytes pop a
 * level, so 32 levels cost one 195-byte transfer instead of 32 transfers.
 *
 * Modes: low-power 8-bit, normal 10-bit, high-resolution 12-bit. The default is
 * normal mode at 1.344 kHz: high-resolution mode narrows the bandwidth to ODR/9
 * (datasheet "Operating mode selection"), about 150 Hz at 1.344 kHz, too little
 * for vibration. Low-power mode is the only way to 5.376 kHz (8-bit); it is used
 * when asked for by mode or by an odr of 5376 Hz or more.
 *
 * With an interrupt line, I1_WTM routes the FIFO watermark (FTH = 16 levels) to
 * INT1, active high.
 */
import type { Digital, FifoProgram, SMBus } from "../host.js";
import { fifoReadFailed, openWatermarkLine, powerDownAndClose, type Accelerometer, type AccelerometerDriverOptions, type AccelerometerOptions } from "./accelerometer.js";
import { hex } from "../util/format.js";

/** Register map (datasheet DocID17530, Table 17). */
const Register = Object.freeze({
  WHO_AM_I: 0x0f,
  CTRL_REG1: 0x20,
  CTRL_REG3: 0x22,
  CTRL_REG4: 0x23,
  CTRL_REG5: 0x24,
  OUT_X_L: 0x28,
  FIFO_CTRL_REG: 0x2e,
  FIFO_SRC_REG: 0x2f,
});
/** I2C sub-address bit 7: auto-increment. */
const SUB_AUTO_INCREMENT = 0x80;

const WHO_AM_I = 0x33;
/** CTRL_REG1: ODR bits 7:4, LPen bit 3, Z/Y/X enable bits 2:0; ODR code 0 is power-down. */
const CtrlReg1 = Object.freeze({ ODR_SHIFT: 4, LPEN: 1 << 3, XYZ_EN: 0x07, POWER_DOWN: 0x07 });
/** CTRL_REG3: I1_WTM, the FIFO watermark on INT1 (active high: CTRL_REG6 INT_POLARITY stays 0). */
const CtrlReg3 = Object.freeze({ I1_WTM: 1 << 2 });
/** CTRL_REG4: BDU, FS bits 5:4, HR. */
const CtrlReg4 = Object.freeze({ BDU: 0x80, FS_SHIFT: 4, HR: 0x08 });
const CtrlReg5 = Object.freeze({ FIFO_EN: 0x40 });
/** FIFO_CTRL_REG: mode bits 7:6, threshold (FTH) bits 4:0. */
const FifoCtrl = Object.freeze({ MODE_BYPASS: 0 << 6, MODE_STREAM: 2 << 6 });
/** FIFO_SRC_REG: WTM, OVRN_FIFO, EMPTY, FSS bits 4:0. */
const FifoSrc = Object.freeze({ OVRN: 0x40, FSS_MASK: 0x1f });
const FIFO_DEPTH = 32;
/** Watermark (FTH) at half the FIFO: WTM, and INT1 when enabled, from this many levels. */
const FIFO_WATERMARK = 16;
/** Bytes per FIFO level: OUT_X_L..OUT_Z_H. */
const LEVEL_BYTES = 6;

/** The FIFO sampler's program: FIFO_SRC (FSS, OVRN in the same byte), the whole level in one auto-increment burst. */
const PROGRAM: FifoProgram = Object.freeze({
  levelRegister: Register.FIFO_SRC_REG,
  int16Counts: true,
  levelBytes: 1,
  levelOffset: 0,
  levelMask: FifoSrc.FSS_MASK,
  levelDivisor: 1,
  overrun: Object.freeze({ offset: 0, mask: FifoSrc.OVRN }),
  dataRegister: Register.OUT_X_L | SUB_AUTO_INCREMENT,
  sampleBytes: LEVEL_BYTES,
  samplesPerRead: FIFO_DEPTH,
  depth: FIFO_DEPTH,
});

/** [Hz, ODR code] for normal and high-resolution modes (CTRL_REG1 ODR, Table 31). */
const ODR_NORMAL = frozenRows([
  [1, 1],
  [10, 2],
  [25, 3],
  [50, 4],
  [100, 5],
  [200, 6],
  [400, 7],
  [1344, 9],
]);
/** [Hz, ODR code] in low-power mode (code 9 is 5.376 kHz with LPen). */
const ODR_LOW_POWER = frozenRows([
  [1, 1],
  [10, 2],
  [25, 3],
  [50, 4],
  [100, 5],
  [200, 6],
  [400, 7],
  [1600, 8],
  [5376, 9],
]);
const ODR_5K376_HZ = 5376;
const DEFAULT_ODR_HZ = 1344;

/** Full scale +/- g by CTRL_REG4 FS code. */
const RANGES_G: readonly number[] = Object.freeze([2, 4, 8, 16]);
/** High-resolution sensitivity, g per 12-bit digit: 1, 2, 4, 12 mg at 2, 4, 8, 16 g (Table 4). */
const HR_G_PER_DIGIT: readonly number[] = Object.freeze([0.001, 0.002, 0.004, 0.012]);
/** Bits per mode, and a normal/low-power digit in high-resolution digits. */
const MODE_BITS = Object.freeze({ "low-power": 8, normal: 10, "high-resolution": 12 });
const MODE_DIGIT_FACTOR = Object.freeze({ "low-power": 16, normal: 4, "high-resolution": 1 });

function frozenRows(rows: number[][]): readonly (readonly number[])[] {
  return Object.freeze(rows.map((row) => Object.freeze(row)));
}

export type LIS3DHMode = "low-power" | "normal" | "high-resolution";

export const LIS3DH_DEFAULT_ADDRESS = 0x18;

export interface LIS3DHConfiguration extends AccelerometerOptions {
  mode?: LIS3DHMode;
}

export interface LIS3DHOptions extends AccelerometerDriverOptions {
  mode?: LIS3DHMode;
}

export class LIS3DH implements Accelerometer {
  readonly fifoDepth = FIFO_DEPTH;
  readonly program = PROGRAM;
  #io: SMBus;
  #line: Digital | undefined;
  #name: string;
  #mode: LIS3DHMode = "normal";
  #odr = DEFAULT_ODR_HZ;
  #odrCode = 9;
  #rangeCode = 1;
  #gPerLsb = 0; // per unit of the left-justified 16-bit word
  #overrun = false;
  #burst = new Uint8Array(FIFO_DEPTH * LEVEL_BYTES);
  /** #views[n]: the first n levels of #burst (made once: readFifo allocates nothing). */
  #views: Uint8Array[] = [];
  #onError: ((error: Error) => void) | undefined;

  constructor(options: LIS3DHOptions) {
    const address = options.sensor.address ?? LIS3DH_DEFAULT_ADDRESS;
    this.#name = `LIS3DH at 0x${hex(address)}`;
    for (let n = 0; n <= FIFO_DEPTH; n++) this.#views.push(this.#burst.subarray(0, n * LEVEL_BYTES));
    const io = (this.#io = new options.sensor.io({ ...options.sensor, address }));
    this.#onError = options.onError;
    try {
      const id = io.readUint8(Register.WHO_AM_I);
      if (id !== WHO_AM_I) throw new Error(`${this.#name}: WHO_AM_I 0x${hex(id)} (expected 0x${hex(WHO_AM_I)})`);
      this.#line = openWatermarkLine(options);
      this.configure({ odr: options.odr, rangeG: options.rangeG ?? 4, mode: options.mode });
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
    return this.#odr;
  }

  get rangeG(): number {
    return RANGES_G[this.#rangeCode];
  }

  get mode(): LIS3DHMode {
    return this.#mode;
  }

  /** Output resolution of the current mode, bits. */
  get bits(): number {
    return MODE_BITS[this.#mode];
  }

  /** g per digit of the current mode and range. */
  get gPerDigit(): number {
    return HR_G_PER_DIGIT[this.#rangeCode] * MODE_DIGIT_FACTOR[this.#mode];
  }

  /** g per unit of the left-justified 16-bit word readFifo scales: the samples are whole words. */
  get lsbG(): number {
    return this.#gPerLsb;
  }

  get overrun(): boolean {
    return this.#overrun;
  }

  /**
   * Reprograms rate, range and mode; the FIFO restarts empty. Without a mode the
   * mode is normal, or low-power when odr >= 5376 Hz; without an odr, the highest
   * rate of the mode (1344 Hz; 5376 Hz in low-power).
   */
  configure(options: LIS3DHConfiguration): void {
    const mode = options.mode ?? (options.odr !== undefined && options.odr >= ODR_5K376_HZ ? "low-power" : options.odr !== undefined ? "normal" : this.#mode);
    if (mode !== "low-power" && mode !== "normal" && mode !== "high-resolution") throw new Error(`${this.#name}: mode ${String(mode)}`);
    const table = mode === "low-power" ? ODR_LOW_POWER : ODR_NORMAL;
    const wanted = options.odr ?? (options.mode !== undefined || this.#mode !== mode ? table[table.length - 1][0] : this.#odr);
    if (!(wanted > 0)) throw new RangeError(`${this.#name}: odr ${wanted}`);
    let best = table[0];
    for (let i = 1; i < table.length; i++) {
      if (Math.abs(Math.log(table[i][0] / wanted)) < Math.abs(Math.log(best[0] / wanted))) best = table[i];
    }
    if (options.rangeG !== undefined) {
      const i = RANGES_G.indexOf(options.rangeG);
      if (i < 0) throw new Error(`${this.#name}: range ${options.rangeG} g (supported: 2, 4, 8, 16)`);
      this.#rangeCode = i;
    }
    this.#mode = mode;
    this.#odr = best[0];
    this.#odrCode = best[1];
    this.#gPerLsb = this.gPerDigit / (1 << (16 - MODE_BITS[mode]));
    const io = this.#io;
    io.writeUint8(Register.CTRL_REG1, CtrlReg1.POWER_DOWN);
    io.writeUint8(Register.CTRL_REG4, CtrlReg4.BDU | (this.#rangeCode << CtrlReg4.FS_SHIFT) | (mode === "high-resolution" ? CtrlReg4.HR : 0));
    io.writeUint8(Register.CTRL_REG5, CtrlReg5.FIFO_EN);
    io.writeUint8(Register.FIFO_CTRL_REG, FifoCtrl.MODE_BYPASS); // bypass empties the FIFO
    io.writeUint8(Register.FIFO_CTRL_REG, FifoCtrl.MODE_STREAM | FIFO_WATERMARK);
    if (this.#line) io.writeUint8(Register.CTRL_REG3, CtrlReg3.I1_WTM);
    io.writeUint8(Register.CTRL_REG1, (this.#odrCode << CtrlReg1.ODR_SHIFT) | (mode === "low-power" ? CtrlReg1.LPEN : 0) | CtrlReg1.XYZ_EN);
    this.#overrun = false;
  }

  readFifo(dest: Float32Array, maxSamples: number): number {
    try {
      const io = this.#io;
      const src = io.readUint8(Register.FIFO_SRC_REG);
      // FSS counts to 31: a full FIFO (32 levels) shows as OVRN with FSS = 31.
      this.#overrun = (src & FifoSrc.OVRN) !== 0;
      const level = this.#overrun ? FIFO_DEPTH : src & FifoSrc.FSS_MASK;
      let n = level < maxSamples ? level : maxSamples;
      if (3 * n > dest.length) n = (dest.length / 3) | 0;
      if (n <= 0) return 0;
      if (n > FIFO_DEPTH) n = FIFO_DEPTH;
      const b = this.#views[n];
      io.readBuffer(Register.OUT_X_L | SUB_AUTO_INCREMENT, b);
      return this.decode(b, n, dest);
    } catch (error) {
      return fifoReadFailed(this.#onError, error);
    }
  }

  decode(raw: Uint8Array, samples: number, dest: Float32Array): number {
    const scale = this.#gPerLsb;
    for (let i = 0, j = 0; j < 3 * samples; i += 2, j++) dest[j] = (((raw[i] | (raw[i + 1] << 8)) << 16) >> 16) * scale;
    return samples;
  }

  /** Power-down, release the bus and the interrupt line. */
  close(): void {
    powerDownAndClose(this.#io, Register.CTRL_REG1, CtrlReg1.POWER_DOWN, this.#line);
  }
}

