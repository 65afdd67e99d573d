/*
 * ADXL345 register-level model (Analog Devices ADXL345 datasheet, Rev. G).
 * Samples are made lazily: on each bus access the model produces every sample
 * due since the last access, sample k at t0 + k/ODR (virtual ms), so timing is
 * exact and independent of how often the driver polls. A late driver in stream
 * mode loses the oldest samples, as the real part does.
 * Simplifications: trigger mode behaves as stream (no trigger event); the FIFO
 * is 32 entries (the real part has one more in the output registers); tap,
 * activity and free-fall are not modelled. Interrupts: DATA_READY, WATERMARK
 * and OVERRUN, enabled by INT_ENABLE, routed by INT_MAP (bit set: INT2, clear:
 * INT1), active high unless DATA_FORMAT INT_INVERT; the register framing, sample
 * clock and FIFO are sim/devices/fifo-accelerometer.ts.
 * XS-compatible.
 */
import type { AxisIndex, SimAccelerometerOptions } from "./accelerometer.js";
import { FifoMode, SimFifoAccelerometer } from "./fifo-accelerometer.js";

export type { AxisIndex };

export const ADXL345_ADDRESS = 0x53;
export const ADXL345_ADDRESS_ALT = 0x1d;

// Register map
export const REG_DEVID = 0x00;
export const REG_BW_RATE = 0x2c;
export const REG_POWER_CTL = 0x2d;
export const REG_INT_ENABLE = 0x2e;
export const REG_INT_MAP = 0x2f;
export const REG_INT_SOURCE = 0x30;
export const REG_DATA_FORMAT = 0x31;
export const REG_DATAX0 = 0x32;
export const REG_DATAZ1 = 0x37;
export const REG_FIFO_CTL = 0x38;
export const REG_FIFO_STATUS = 0x39;

export const DEVID = 0xe5;
export const BW_RATE_RATE_MASK = 0x0f;
export const BW_RATE_DEFAULT = 0x0a; // 100 Hz
export const POWER_CTL_MEASURE = 1 << 3;
export const DATA_FORMAT_FULL_RES = 1 << 3;
export const DATA_FORMAT_INT_INVERT = 1 << 5;
export const DATA_FORMAT_JUSTIFY = 1 << 2;
export const DATA_FORMAT_RANGE_MASK = 0x03;
export const INT_DATA_READY = 1 << 7;
export const INT_WATERMARK = 1 << 1;
export const INT_OVERRUN = 1 << 0;
export const FIFO_MODE_SHIFT = 6;
export const FIFO_MODE_BYPASS = 0;
export const FIFO_MODE_FIFO = 1;
export const FIFO_MODE_STREAM = 2;
export const FIFO_MODE_TRIGGER = 3;
export const FIFO_SAMPLES_MASK = 0x1f;
export const FIFO_ENTRIES_MASK = 0x3f;
export const FIFO_DEPTH = 32;

/** ODR for a BW_RATE rate code: 3200 Hz at 0x0F, halving per step down. */
export const ODR_BASE_HZ = 0.09765625;
/** Full-resolution scale: 3.9 mg/LSB typical, i.e. 256 LSB/g at every range. */
export const FULL_RES_LSB_PER_G = 256;
/**
 * Noise at ODR 100 Hz, LSB rms (datasheet: X, Y 0.75; Z 1.1). The density is flat,
 * so the rms grows with sqrt(bandwidth) = sqrt(ODR / 2).
 */
const NOISE_LSB_AT_100HZ = [0.75, 0.75, 1.1];

const RESERVED_READ_ONLY = (reg: number): boolean =>
  reg === REG_DEVID || reg === REG_INT_SOURCE || (reg >= REG_DATAX0 && reg <= REG_DATAZ1) || reg === REG_FIFO_STATUS;

/** FIFO_CTL mode -> how the FIFO keeps samples (trigger behaves as stream). */
const FIFO_MODES = Object.freeze([FifoMode.BYPASS, FifoMode.FIFO, FifoMode.STREAM, FifoMode.STREAM]);

export type SimADXL345Options = SimAccelerometerOptions;

export class SimADXL345 extends SimFifoAccelerometer {
  #out = new Uint8Array(6);
  #latched = false; // a data-register read is in progress: pop when it ends
  #overrun = false; // set by losses (and a replaced unread sample in bypass); a full FIFO also reads as overrun

  constructor(options: SimADXL345Options) {
    super(options, { registers: 64, pointerMask: 0x3f, autoIncrement: 0, fifoDepth: FIFO_DEPTH, entryWidth: 3, seed: 0x345 });
    this.reg[REG_DEVID] = DEVID;
    this.reg[REG_BW_RATE] = BW_RATE_DEFAULT;
    this.reg[REG_INT_SOURCE] = INT_WATERMARK;
  }

  get odr(): number {
    return ODR_BASE_HZ * 2 ** (this.reg[REG_BW_RATE] & BW_RATE_RATE_MASK);
  }

  // ---- registers ----------------------------------------------------------------------------

  protected override beginTransfer(): void {
    this.#endDataRead();
  }

  protected override endTransfer(): void {
    this.#endDataRead();
  }

  protected readRegister(reg: number): number {
    if (reg >= REG_DATAX0 && reg <= REG_DATAZ1) {
      if (!this.#latched) {
        this.latch16(this.#out);
        this.#latched = true;
      }
      const value = this.#out[reg - REG_DATAX0];
      if (reg === REG_DATAZ1) this.#endDataRead(); // the 0x37 -> 0x38 transition pops
      return value;
    }
    if (reg === REG_INT_SOURCE) return this.#intSource();
    if (reg === REG_FIFO_STATUS) return this.fifoEntries & FIFO_ENTRIES_MASK;
    return this.reg[reg];
  }

  protected writeRegister(reg: number, value: number): void {
    if (RESERVED_READ_ONLY(reg)) return;
    const before = this.reg[reg];
    this.reg[reg] = value;
    if (reg === REG_BW_RATE && (before & BW_RATE_RATE_MASK) !== (value & BW_RATE_RATE_MASK) && this.measuring) {
      this.restartClock();
    } else if (reg === REG_POWER_CTL) {
      const measure = (value & POWER_CTL_MEASURE) !== 0;
      if (measure && !this.measuring) this.restartClock();
      else if (!measure) this.stopClock();
    } else if (reg === REG_FIFO_CTL) {
      const mode = value >> FIFO_MODE_SHIFT;
      if (mode !== before >> FIFO_MODE_SHIFT && mode === FIFO_MODE_BYPASS) {
        this.emptyFifo();
        this.#overrun = false;
      }
    }
  }

  protected fifoMode(): number {
    return FIFO_MODES[this.reg[REG_FIFO_CTL] >> FIFO_MODE_SHIFT];
  }

  #intSource(): number {
    let v = 0;
    const bypass = this.fifoMode() === FifoMode.BYPASS;
    if (bypass ? this.fresh : this.fifoEntries > 0) v |= INT_DATA_READY;
    if (!bypass && this.fifoEntries >= (this.reg[REG_FIFO_CTL] & FIFO_SAMPLES_MASK)) v |= INT_WATERMARK;
    if (this.#overrun || this.fifoEntries === FIFO_DEPTH) v |= INT_OVERRUN; // datasheet: set when the FIFO is filled
    return v;
  }

  /** End of a data-register read: the FIFO pops one entry (the rest of a partial read is lost). */
  #endDataRead(): void {
    if (!this.#latched) return;
    this.#latched = false;
    this.consumeOutput();
    this.#overrun = false; // cleared when the data are read
  }

  // ---- samples ------------------------------------------------------------------------------

  protected measure(tSeconds: number, out: Int32Array): void {
    const format = this.reg[REG_DATA_FORMAT];
    const range = format & DATA_FORMAT_RANGE_MASK;
    const fullRes = (format & DATA_FORMAT_FULL_RES) !== 0;
    const bits = fullRes ? 10 + range : 10;
    const lsbPerG = fullRes ? FULL_RES_LSB_PER_G : FULL_RES_LSB_PER_G >> range;
    const max = (1 << (bits - 1)) - 1;
    const shift = format & DATA_FORMAT_JUSTIFY ? 16 - bits : 0;
    const noiseScale = (this.noise * Math.sqrt(this.odr / 100)) / FULL_RES_LSB_PER_G;
    for (let axis = 0; axis < 3; axis++) {
      let g = this.signal(axis as AxisIndex, tSeconds);
      if (noiseScale > 0) g += this.rng.gaussian() * NOISE_LSB_AT_100HZ[axis] * noiseScale;
      let raw = Math.round(g * lsbPerG);
      if (raw > max) raw = max;
      else if (raw < -max - 1) raw = -max - 1;
      out[axis] = raw << shift;
    }
  }

  protected override dropped(): void {
    this.#overrun = true;
  }

  protected override overwritten(): void {
    this.#overrun = true; // unread data replaced
  }

  // ---- interrupts ---------------------------------------------------------------------------

  /** Sources enabled in INT_ENABLE and routed to `line` by INT_MAP. */
  #routed(line: number): number {
    const map = this.reg[REG_INT_MAP];
    return this.reg[REG_INT_ENABLE] & (line === 2 ? map : ~map);
  }

  protected override interruptAsserted(line: number): boolean {
    return (this.#intSource() & this.#routed(line)) !== 0;
  }

  protected override interruptWatermark(line: number): number {
    const routed = this.#routed(line);
    if (this.fifoMode() === FifoMode.BYPASS) return 0;
    if (routed & INT_DATA_READY) return 1;
    if (routed & INT_WATERMARK) return this.reg[REG_FIFO_CTL] & FIFO_SAMPLES_MASK;
    return routed & INT_OVERRUN ? FIFO_DEPTH : 0;
  }

  protected override interruptActiveHigh(): boolean {
    return (this.reg[REG_DATA_FORMAT] & DATA_FORMAT_INT_INVERT) === 0;
  }
}
