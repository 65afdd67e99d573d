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
 */
import type { SMBus, SMBusOptions } from "../host.js";
import { fifoReadFailed, powerDownAndClose, type Accelerometer, type AccelerometerOptions } from "./accelerometer.js";
import { hex } from "../util/format.js";

const REG_WHO_AM_I = 0x0f;
const REG_CTRL_REG1 = 0x20;
const REG_CTRL_REG4 = 0x23;
const REG_CTRL_REG5 = 0x24;
const REG_OUT_X_L = 0x28;
const REG_FIFO_CTRL_REG = 0x2e;
const REG_FIFO_SRC_REG = 0x2f;
/** I2C sub-address bit 7: auto-increment. */
const SUB_AUTO_INCREMENT = 0x80;

const WHO_AM_I = 0x33;
const CTRL_REG1_ODR_SHIFT = 4;
const CTRL_REG1_LPEN = 1 << 3;
const CTRL_REG1_XYZ_EN = 0x07;
const CTRL_REG1_POWER_DOWN = CTRL_REG1_XYZ_EN; // ODR code 0
const CTRL_REG4_BDU = 0x80;
const CTRL_REG4_FS_SHIFT = 4;
const CTRL_REG4_HR = 0x08;
const CTRL_REG5_FIFO_EN = 0x40;
const FIFO_MODE_BYPASS = 0 << 6;
const FIFO_MODE_STREAM = 2 << 6;
const FIFO_SRC_OVRN = 0x40;
const FIFO_SRC_FSS_MASK = 0x1f;
const FIFO_DEPTH = 32;
/** Watermark at half the FIFO (only used by interrupt-driven hosts). */
const FIFO_WATERMARK = 16;
/** Bytes per FIFO level: OUT_X_L..OUT_Z_H. */
const LEVEL_BYTES = 6;

/** [Hz, ODR code] for normal and high-resolution modes. */
const ODR_NORMAL: number[][] = [
  [1, 1],
  [10, 2],
  [25, 3],
  [50, 4],
  [100, 5],
  [200, 6],
  [400, 7],
  [1344, 9],
];
/** [Hz, ODR code] in low-power mode (code 9 is 5.376 kHz with LPen). */
const ODR_LOW_POWER: number[][] = [
  [1, 1],
  [10, 2],
  [25, 3],
  [50, 4],
  [100, 5],
  [200, 6],
  [400, 7],
  [1600, 8],
  [5376, 9],
];
const ODR_5K376_HZ = 5376;
const DEFAULT_ODR_HZ = 1344;

/** Full scale +/- g by CTRL_REG4 FS code. */
const RANGES_G = [2, 4, 8, 16];
/** High-resolution sensitivity, g per 12-bit digit: 1, 2, 4, 12 mg at 2, 4, 8, 16 g. */
const HR_G_PER_DIGIT = [0.001, 0.002, 0.004, 0.012];
/** Bits per mode, and a normal/low-power digit in high-resolution digits. */
const MODE_BITS = { "low-power": 8, normal: 10, "high-resolution": 12 };
const MODE_DIGIT_FACTOR = { "low-power": 16, normal: 4, "high-resolution": 1 };

export type LIS3DHMode = "low-power" | "normal" | "high-resolution";

export const LIS3DH_DEFAULT_ADDRESS = 0x18;

export interface LIS3DHConfiguration extends AccelerometerOptions {
  mode?: LIS3DHMode;
}

export interface LIS3DHOptions extends LIS3DHConfiguration {
  sensor: { io: (options: SMBusOptions) => SMBus; address?: number; hz?: number };
  /** If given, readFifo reports bus errors here and returns 0 instead of throwing. */
  onError?: (error: Error) => void;
}

export class LIS3DH implements Accelerometer {
  readonly fifoDepth = FIFO_DEPTH;
  #io: SMBus;
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
    this.#io = options.sensor.io({ address, hz: options.sensor.hz });
    this.#onError = options.onError;
    try {
      const id = this.#io.readUint8(REG_WHO_AM_I);
      if (id !== WHO_AM_I) throw new Error(`${this.#name}: WHO_AM_I 0x${hex(id)} (expected 0x${hex(WHO_AM_I)})`);
      this.configure({ odr: options.odr, rangeG: options.rangeG ?? 4, mode: options.mode });
    } catch (error) {
      this.#io.close();
      throw error;
    }
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
    io.writeUint8(REG_CTRL_REG1, CTRL_REG1_POWER_DOWN);
    io.writeUint8(REG_CTRL_REG4, CTRL_REG4_BDU | (this.#rangeCode << CTRL_REG4_FS_SHIFT) | (mode === "high-resolution" ? CTRL_REG4_HR : 0));
    io.writeUint8(REG_CTRL_REG5, CTRL_REG5_FIFO_EN);
    io.writeUint8(REG_FIFO_CTRL_REG, FIFO_MODE_BYPASS); // bypass empties the FIFO
    io.writeUint8(REG_FIFO_CTRL_REG, FIFO_MODE_STREAM | FIFO_WATERMARK);
    io.writeUint8(REG_CTRL_REG1, (this.#odrCode << CTRL_REG1_ODR_SHIFT) | (mode === "low-power" ? CTRL_REG1_LPEN : 0) | CTRL_REG1_XYZ_EN);
    this.#overrun = false;
  }

  readFifo(dest: Float32Array, maxSamples: number): number {
    try {
      const io = this.#io;
      const src = io.readUint8(REG_FIFO_SRC_REG);
      // FSS counts to 31: a full FIFO (32 levels) shows as OVRN with FSS = 31.
      this.#overrun = (src & FIFO_SRC_OVRN) !== 0;
      const level = this.#overrun ? FIFO_DEPTH : src & FIFO_SRC_FSS_MASK;
      let n = level < maxSamples ? level : maxSamples;
      if (3 * n > dest.length) n = (dest.length / 3) | 0;
      if (n <= 0) return 0;
      const b = this.#views[n];
      io.readBuffer(REG_OUT_X_L | SUB_AUTO_INCREMENT, b);
      const scale = this.#gPerLsb;
      for (let i = 0, j = 0; j < 3 * n; i += 2, j++) dest[j] = (((b[i] | (b[i + 1] << 8)) << 16) >> 16) * scale;
      return n;
    } catch (error) {
      return fifoReadFailed(this.#onError, error);
    }
  }

  /** Power-down and release the bus. */
  close(): void {
    powerDownAndClose(this.#io, REG_CTRL_REG1, CTRL_REG1_POWER_DOWN);
  }
}

