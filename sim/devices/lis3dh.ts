/*
 * LIS3DH register-level model (ST LIS3DH datasheet DocID17530, AN3308), I2C.
 * Samples are made lazily at exactly the ODR in virtual time (sample k at
 * t0 + (k+1)/ODR), as in SimADXL345. Data are left-justified 16-bit
 * little-endian: 12-bit (high resolution), 10-bit (normal) or 8-bit (low power).
 *
 * I2C sub-address: bit 7 set = auto-increment. In FIFO mode a read with
 * auto-increment that passes OUT_Z_H (0x2D) rolls back to OUT_X_L (0x28) and
 * the FIFO pops one level, so many levels come out in one burst. A level pops
 * when OUT_Z_H is read (a read stopping before it leaves the level in place).
 * Stream mode: a full FIFO (32 levels) sets OVRN_FIFO and the next sample
 * overwrites the oldest; OVRN clears when a level is read. FSS counts unread
 * levels in 5 bits, so a full FIFO reads FSS = 31 with OVRN set.
 *
 * Not modelled: the high-resolution mode's digital low-pass (datasheet BW =
 * ODR/9; the signal is sampled unfiltered in every mode), turn-on times,
 * BDU/BLE (data are always coherent, little-endian), click, inertial interrupts,
 * ADCs, temperature sensor, self-test, high-pass filter, FIFO trigger mode
 * (behaves as stream). INT1 carries what CTRL_REG3 routes to it: I1_ZYXDA, I1_WTM
 * (FIFO_SRC WTM: levels >= FTH) and I1_OVERRUN; active high unless CTRL_REG6
 * INT_POLARITY. Register framing, sample clock and FIFO: fifo-accelerometer.ts.
 * XS-compatible.
 */
import type { AxisIndex, SimAccelerometerOptions } from "./accelerometer.js";
import { FifoMode, SimFifoAccelerometer } from "./fifo-accelerometer.js";

export const LIS3DH_ADDRESS = 0x18; // SA0 low
export const LIS3DH_ADDRESS_ALT = 0x19; // SA0 high

// Register map
export const REG_STATUS_REG_AUX = 0x07;
export const REG_WHO_AM_I = 0x0f;
export const REG_CTRL_REG0 = 0x1e;
export const REG_CTRL_REG1 = 0x20;
export const REG_CTRL_REG2 = 0x21;
export const REG_CTRL_REG3 = 0x22;
export const REG_CTRL_REG4 = 0x23;
export const REG_CTRL_REG5 = 0x24;
export const REG_CTRL_REG6 = 0x25;
export const REG_STATUS_REG = 0x27;
export const REG_OUT_X_L = 0x28;
export const REG_OUT_Z_H = 0x2d;
export const REG_FIFO_CTRL_REG = 0x2e;
export const REG_FIFO_SRC_REG = 0x2f;

export const WHO_AM_I = 0x33;
/** I2C sub-address bit 7: auto-increment. */
export const SUB_AUTO_INCREMENT = 0x80;
const SUB_ADDRESS_MASK = 0x7f;

export const CTRL_REG0_RESET = 0x10;
export const CTRL_REG1_RESET = 0x07; // power-down, X/Y/Z enabled
export const CTRL_REG1_ODR_SHIFT = 4;
export const CTRL_REG1_LPEN = 1 << 3;
export const CTRL_REG3_I1_ZYXDA = 1 << 4;
export const CTRL_REG3_I1_WTM = 1 << 2;
export const CTRL_REG3_I1_OVERRUN = 1 << 1;
export const CTRL_REG6_INT_POLARITY = 1 << 1;
export const CTRL_REG4_BDU = 0x80;
export const CTRL_REG4_FS_SHIFT = 4;
export const CTRL_REG4_FS_MASK = 0x30;
export const CTRL_REG4_HR = 0x08;
export const CTRL_REG5_BOOT = 0x80;
export const CTRL_REG5_FIFO_EN = 0x40;
export const STATUS_ZYXDA = 0x08;
export const STATUS_ZYXOR = 0x80;
export const FIFO_MODE_SHIFT = 6;
export const FIFO_MODE_BYPASS = 0;
export const FIFO_MODE_FIFO = 1;
export const FIFO_MODE_STREAM = 2;
export const FIFO_MODE_STREAM_TO_FIFO = 3;
export const FIFO_FTH_MASK = 0x1f;
export const FIFO_SRC_WTM = 0x80;
export const FIFO_SRC_OVRN = 0x40;
export const FIFO_SRC_EMPTY = 0x20;
export const FIFO_SRC_FSS_MASK = 0x1f;
export const FIFO_DEPTH = 32;

/** ODR by CTRL_REG1 ODR code (0 = power-down); code 8 is low-power only; code 9 depends on LPen. */
export const ODR_HZ = [0, 1, 10, 25, 50, 100, 200, 400, 1600, 1344];
export const ODR_CODE_1K6_LP = 8;
export const ODR_CODE_1K344_5K376 = 9;
export const ODR_5K376_LP_HZ = 5376;

/** Sensitivity in high-resolution mode, g per digit (12-bit), by FS code: 1, 2, 4, 12 mg. */
export const HR_G_PER_DIGIT = [0.001, 0.002, 0.004, 0.012];
/** Normal (10-bit) digits are 4x, low-power (8-bit) 16x the high-resolution digit. */
export const NORMAL_DIGIT_FACTOR = 4;
export const LOW_POWER_DIGIT_FACTOR = 16;
export const FULL_SCALE_G = [2, 4, 8, 16];
/** Noise density, g/sqrt(Hz) (220 ug/sqrt(Hz), the figure ST gives for this family at +/-2 g); white to ODR/2. */
export const NOISE_DENSITY_G = 220e-6;

export type LIS3DHMode = "low-power" | "normal" | "high-resolution";

export type SimLIS3DHOptions = SimAccelerometerOptions;

export class SimLIS3DH extends SimFifoAccelerometer {
  #out = new Uint8Array(6);
  #latched = false; // OUT registers hold the FIFO head (until OUT_Z_H is read)
  #overwritten = false; // ZYXOR outside FIFO mode

  constructor(options: SimLIS3DHOptions) {
    super(options, { registers: 0x40, pointerMask: SUB_ADDRESS_MASK, autoIncrement: SUB_AUTO_INCREMENT, fifoDepth: FIFO_DEPTH, entryWidth: 3, seed: 0x3d });
    this.#reset();
  }

  /** Current output data rate, Hz (0 in power-down). */
  get odr(): number {
    const code = this.reg[REG_CTRL_REG1] >> CTRL_REG1_ODR_SHIFT;
    const lp = (this.reg[REG_CTRL_REG1] & CTRL_REG1_LPEN) !== 0;
    if (code === ODR_CODE_1K344_5K376) return lp ? ODR_5K376_LP_HZ : ODR_HZ[code];
    if (code === ODR_CODE_1K6_LP) return lp ? ODR_HZ[code] : 0; // not available in normal/HR mode
    return code < ODR_HZ.length ? ODR_HZ[code] : 0;
  }

  get mode(): LIS3DHMode {
    if (this.reg[REG_CTRL_REG1] & CTRL_REG1_LPEN) return "low-power";
    return this.reg[REG_CTRL_REG4] & CTRL_REG4_HR ? "high-resolution" : "normal";
  }

  /** Output resolution in bits for the current mode. */
  get bits(): number {
    const m = this.mode;
    return m === "low-power" ? 8 : m === "normal" ? 10 : 12;
  }

  /** g per digit of the current mode and range. */
  get gPerDigit(): number {
    const fs = (this.reg[REG_CTRL_REG4] & CTRL_REG4_FS_MASK) >> CTRL_REG4_FS_SHIFT;
    const m = this.mode;
    return HR_G_PER_DIGIT[fs] * (m === "low-power" ? LOW_POWER_DIGIT_FACTOR : m === "normal" ? NORMAL_DIGIT_FACTOR : 1);
  }

  // ---- registers ----------------------------------------------------------------------------

  protected readRegister(reg: number): number {
    if (reg >= REG_OUT_X_L && reg <= REG_OUT_Z_H) {
      if (!this.#latched) {
        this.latch16(this.#out);
        this.#latched = true;
      }
      const value = this.#out[reg - REG_OUT_X_L];
      if (reg === REG_OUT_Z_H) this.#pop();
      return value;
    }
    if (reg === REG_STATUS_REG) return this.#status();
    if (reg === REG_FIFO_SRC_REG) return this.#fifoSrc();
    return this.reg[reg];
  }

  /** A read stopping before OUT_Z_H leaves the level in place; the next read latches it again. */
  protected override endTransfer(): void {
    this.#latched = false;
  }

  protected writeRegister(reg: number, value: number): void {
    // read-only: WHO_AM_I, STATUS, OUT, FIFO_SRC and the other status/data registers
    if (reg <= REG_WHO_AM_I || reg === REG_STATUS_REG || (reg >= REG_OUT_X_L && reg <= REG_OUT_Z_H) || reg === REG_FIFO_SRC_REG) return;
    if (reg === REG_CTRL_REG5 && value & CTRL_REG5_BOOT) {
      // BOOT reloads trimming; control registers keep their values (the bit self-clears)
      value &= ~CTRL_REG5_BOOT;
    }
    const odrBefore = this.odr;
    const before = this.reg[reg];
    this.reg[reg] = value;
    if (reg === REG_CTRL_REG1 || reg === REG_CTRL_REG4) {
      const odr = this.odr;
      if (odr === 0) this.stopClock();
      else if (!this.measuring || odr !== odrBefore) this.restartClock();
    } else if (reg === REG_FIFO_CTRL_REG) {
      const mode = value >> FIFO_MODE_SHIFT;
      if (mode !== before >> FIFO_MODE_SHIFT && mode === FIFO_MODE_BYPASS) this.#clearFifo();
    } else if (reg === REG_CTRL_REG5 && (before & CTRL_REG5_FIFO_EN) !== (value & CTRL_REG5_FIFO_EN)) {
      this.#clearFifo();
    }
    this.#rollOver();
  }

  /** In FIFO mode, auto-increment past OUT_Z_H rolls back to OUT_X_L. */
  #rollOver(): void {
    if (this.#fifoActive()) this.wrapPointer(REG_OUT_Z_H, REG_OUT_X_L);
    else this.wrapPointer(-1, -1);
  }

  #reset(): void {
    this.reg.fill(0);
    this.reg[REG_WHO_AM_I] = WHO_AM_I;
    this.reg[REG_CTRL_REG0] = CTRL_REG0_RESET;
    this.reg[REG_CTRL_REG1] = CTRL_REG1_RESET;
    this.#clearFifo();
    this.stopClock();
    this.#rollOver();
  }

  #fifoActive(): boolean {
    return (this.reg[REG_CTRL_REG5] & CTRL_REG5_FIFO_EN) !== 0 && this.reg[REG_FIFO_CTRL_REG] >> FIFO_MODE_SHIFT !== FIFO_MODE_BYPASS;
  }

  protected fifoMode(): number {
    if (!this.#fifoActive()) return FifoMode.BYPASS;
    return this.reg[REG_FIFO_CTRL_REG] >> FIFO_MODE_SHIFT === FIFO_MODE_FIFO ? FifoMode.FIFO : FifoMode.STREAM;
  }

  #clearFifo(): void {
    this.emptyFifo();
    this.#latched = false;
  }

  #status(): number {
    let v = 0;
    const fifo = this.#fifoActive();
    if (fifo ? this.fifoEntries > 0 : this.fresh) v |= STATUS_ZYXDA;
    if (fifo ? this.fifoEntries === FIFO_DEPTH : this.#overwritten) v |= STATUS_ZYXOR;
    return v;
  }

  #fifoSrc(): number {
    if (!this.#fifoActive()) return FIFO_SRC_EMPTY;
    const count = this.fifoEntries;
    let v = count >= FIFO_DEPTH ? FIFO_SRC_FSS_MASK | FIFO_SRC_OVRN : count;
    if (count === 0) v |= FIFO_SRC_EMPTY;
    const fth = this.reg[REG_FIFO_CTRL_REG] & FIFO_FTH_MASK;
    if (fth > 0 && count >= fth) v |= FIFO_SRC_WTM;
    return v;
  }

  /** OUT_Z_H was read: the level is consumed. */
  #pop(): void {
    this.#latched = false;
    if (this.consumeOutput()) this.#overwritten = false;
  }

  // ---- samples ------------------------------------------------------------------------------

  protected measure(tSeconds: number, out: Int32Array): void {
    const bits = this.bits;
    const gPerDigit = this.gPerDigit;
    const fs = FULL_SCALE_G[(this.reg[REG_CTRL_REG4] & CTRL_REG4_FS_MASK) >> CTRL_REG4_FS_SHIFT];
    const max = (1 << (bits - 1)) - 1;
    const shift = 16 - bits;
    const sigma = this.noise * NOISE_DENSITY_G * Math.sqrt(this.odr / 2);
    for (let axis = 0; axis < 3; axis++) {
      let g = this.signal(axis as AxisIndex, tSeconds);
      if (sigma > 0) g += this.rng.gaussian() * sigma;
      // clamped at the selected full scale (then at the code range, which at 16 g reaches 24.6 g)
      if (g > fs) g = fs;
      else if (g < -fs) g = -fs;
      let raw = Math.round(g / gPerDigit);
      if (raw > max) raw = max;
      else if (raw < -max - 1) raw = -max - 1;
      out[axis] = raw * (1 << shift);
    }
  }

  /** The level being read was overwritten (stream mode). */
  protected override dropped(): void {
    this.#latched = false;
  }

  protected override overwritten(): void {
    this.#overwritten = true;
  }

  // ---- interrupts: INT1 only ----------------------------------------------------------------

  protected override interruptAsserted(line: number): boolean {
    if (line !== 1) return false;
    const routed = this.reg[REG_CTRL_REG3];
    const src = this.#fifoSrc();
    return (
      ((routed & CTRL_REG3_I1_ZYXDA) !== 0 && (this.#status() & STATUS_ZYXDA) !== 0) ||
      ((routed & CTRL_REG3_I1_WTM) !== 0 && (src & FIFO_SRC_WTM) !== 0) ||
      ((routed & CTRL_REG3_I1_OVERRUN) !== 0 && (src & FIFO_SRC_OVRN) !== 0)
    );
  }

  protected override interruptWatermark(line: number): number {
    if (line !== 1 || !this.#fifoActive()) return 0;
    const routed = this.reg[REG_CTRL_REG3];
    const fth = this.reg[REG_FIFO_CTRL_REG] & FIFO_FTH_MASK;
    if (routed & CTRL_REG3_I1_ZYXDA) return 1;
    if (routed & CTRL_REG3_I1_WTM && fth > 0) return fth;
    return routed & CTRL_REG3_I1_OVERRUN ? FIFO_DEPTH : 0;
  }

  protected override interruptActiveHigh(): boolean {
    return (this.reg[REG_CTRL_REG6] & CTRL_REG6_INT_POLARITY) === 0;
  }
}
