/*
 * ADXL355 register-level model (Analog Devices ADXL354/ADXL355 datasheet, Rev. D), I2C.
 * Samples are made lazily at exactly the ODR in virtual time (sample k at
 * t0 + (k+1)/ODR), as in SimADXL345. Data are 20-bit two's complement,
 * left-justified in 24 bits, big-endian (XDATA3 = bits 19:12, XDATA2 = 11:4,
 * XDATA1 bits 7:4 = 3:0).
 *
 * FIFO: 96 entries, one axis per entry, x, y, z in order. A FIFO_DATA read does
 * not advance the register pointer; each third byte pops one entry. In the last
 * byte of an entry, bit 0 marks the x axis and bit 1 reads 1 when the FIFO was
 * empty (the data are then invalid). When a new sample finds the FIFO full, the
 * oldest three entries are lost and STATUS.FIFO_OVR is set. DATA_RDY and
 * FIFO_OVR clear when STATUS is read.
 *
 * Interrupts: INT_MAP routes DATA_RDY, FIFO_FULL (entries >= FIFO_SAMPLES) and
 * FIFO_OVR to INT1 (bits 2:0) or INT2 (bits 6:4); active low unless RANGE
 * INT_POL. Register framing, sample clock and FIFO: fifo-accelerometer.ts.
 *
 * Not modelled: the decimation filter's response (datasheet corner ODR/4; here
 * the signal is sampled unfiltered), the high-pass filter, offsets, activity
 * detection, the DRDY pin, external sync, NVM busy. Self-test adds the
 * datasheet's typical response (x 0.3 g, y 0.3 g, z 1.5 g) while ST1 and ST2 are set.
 * XS-compatible.
 */
import type { AxisIndex, SimAccelerometerOptions } from "./accelerometer.js";
import { FifoMode, SimFifoAccelerometer } from "./fifo-accelerometer.js";

export const ADXL355_ADDRESS = 0x1d; // ASEL low
export const ADXL355_ADDRESS_ALT = 0x53; // ASEL high

// Register map
export const REG_DEVID_AD = 0x00;
export const REG_DEVID_MST = 0x01;
export const REG_PARTID = 0x02;
export const REG_REVID = 0x03;
export const REG_STATUS = 0x04;
export const REG_FIFO_ENTRIES = 0x05;
export const REG_TEMP2 = 0x06;
export const REG_TEMP1 = 0x07;
export const REG_XDATA3 = 0x08;
export const REG_ZDATA1 = 0x10;
export const REG_FIFO_DATA = 0x11;
export const REG_OFFSET_X_H = 0x1e;
export const REG_FILTER = 0x28;
export const REG_FIFO_SAMPLES = 0x29;
export const REG_INT_MAP = 0x2a;
export const REG_SYNC = 0x2b;
export const REG_RANGE = 0x2c;
export const REG_POWER_CTL = 0x2d;
export const REG_SELF_TEST = 0x2e;
export const REG_RESET = 0x2f;
const REG_LAST = 0x2f;

export const DEVID_AD = 0xad;
export const DEVID_MST = 0x1d;
export const PARTID = 0xed;
export const REVID = 0x01;
export const STATUS_DATA_RDY = 1 << 0;
export const STATUS_FIFO_FULL = 1 << 1;
export const STATUS_FIFO_OVR = 1 << 2;
export const FILTER_ODR_MASK = 0x0f;
export const ODR_CODE_MAX = 10;
/** ODR = ODR_MAX_HZ / 2^code (code 0 = 4000 Hz ... 10 = 3.906 Hz). */
export const ODR_MAX_HZ = 4000;
export const FIFO_SAMPLES_RESET = 0x60;
export const RANGE_RESET = 0x81; // I2C_HS, +/-2 g
export const RANGE_MASK = 0x03;
export const RANGE_INT_POL = 1 << 6;
/** INT_MAP: INT1 sources in bits 2:0, INT2 the same in bits 6:4. */
export const INT_MAP_RDY_EN1 = 1 << 0;
export const INT_MAP_FULL_EN1 = 1 << 1;
export const INT_MAP_OVR_EN1 = 1 << 2;
export const INT_MAP_INT2_SHIFT = 4;
export const POWER_CTL_STANDBY = 1 << 0;
export const POWER_CTL_RESET = POWER_CTL_STANDBY;
export const SELF_TEST_ST1 = 1 << 0;
export const SELF_TEST_ST2 = 1 << 1;
export const RESET_CODE = 0x52;
export const FIFO_DEPTH_ENTRIES = 96;
export const FIFO_MARKER_X = 1 << 0;
export const FIFO_MARKER_EMPTY = 1 << 1;
/** LSB per g at +/-2 g (3.9 ug/LSB); halves at 4 g and 8 g. */
export const LSB_PER_G_2G = 256000;
/** RANGE code (1, 2, 3) -> +/- g. */
export const RANGE_G = [0, 2, 4, 8];
/** Temperature: T = (raw - TEMP_INTERCEPT_LSB) / TEMP_SLOPE_LSB_PER_C + 25 degC. */
export const TEMP_INTERCEPT_LSB = 1885;
export const TEMP_SLOPE_LSB_PER_C = -9.05;
/** Noise density at +/-2 g, g/sqrt(Hz) (22.5 ug/sqrt(Hz)); the noise bandwidth is the filter corner ODR/4. */
export const NOISE_DENSITY_G = 22.5e-6;
/** Typical self-test response, g (x, y, z). */
export const SELF_TEST_G = [0.3, 0.3, 1.5];

const RAW_MAX = (1 << 19) - 1;
const RAW_MIN = -(1 << 19);

export interface SimADXL355Options extends SimAccelerometerOptions {
  /** Die temperature in degC at a time in seconds (default 25). */
  temperature?: (tSeconds: number) => number;
}

export class SimADXL355 extends SimFifoAccelerometer {
  #temperature: (tSeconds: number) => number;
  #entry = 0; // word being read from FIFO_DATA
  #byte = 0; // next byte of it (0..2)
  #dataRdy = false;
  #overflow = false;

  constructor(options: SimADXL355Options) {
    // FIFO entries are one axis each, as the 24-bit words that go on the wire (data << 4 | markers).
    super(options, { registers: 0x40, pointerMask: 0xff, autoIncrement: 0, fifoDepth: FIFO_DEPTH_ENTRIES, entryWidth: 1, seed: 0x355 });
    this.#temperature = options.temperature ?? (() => 25);
    this.wrapPointer(REG_FIFO_DATA, REG_FIFO_DATA); // FIFO_DATA holds the pointer
    this.#reset();
  }

  get odr(): number {
    const code = this.reg[REG_FILTER] & FILTER_ODR_MASK;
    return ODR_MAX_HZ / 2 ** (code > ODR_CODE_MAX ? ODR_CODE_MAX : code);
  }

  get rangeG(): number {
    return RANGE_G[this.reg[REG_RANGE] & RANGE_MASK] || 2;
  }

  get lsbPerG(): number {
    return LSB_PER_G_2G / (this.rangeG / 2);
  }

  // ---- registers ----------------------------------------------------------------------------

  protected override beginTransfer(): void {
    this.#byte = 0;
  }

  protected override endTransfer(): void {
    this.#byte = 0;
  }

  protected readRegister(reg: number): number {
    if (reg === REG_FIFO_DATA) return this.#readFifoByte();
    if (reg === REG_STATUS) {
      const value = this.#status();
      this.#dataRdy = false;
      this.#overflow = false;
      return value;
    }
    if (reg === REG_FIFO_ENTRIES) return this.fifoEntries;
    if (reg === REG_TEMP2 || reg === REG_TEMP1) {
      const raw = this.#tempRaw();
      return reg === REG_TEMP2 ? (raw >> 8) & 0x0f : raw & 0xff;
    }
    if (reg >= REG_XDATA3 && reg <= REG_ZDATA1) {
      const i = reg - REG_XDATA3;
      const word = (this.latest[(i / 3) | 0] * 16) & 0xffffff;
      const b = i % 3;
      if (reg === REG_ZDATA1) this.#dataRdy = false;
      return b === 0 ? word >> 16 : b === 1 ? (word >> 8) & 0xff : word & 0xf0;
    }
    return reg <= REG_LAST ? this.reg[reg] : 0;
  }

  protected writeRegister(reg: number, value: number): void {
    if (reg < REG_OFFSET_X_H || reg > REG_LAST) return; // identification, status and data are read-only
    if (reg === REG_RESET) {
      if (value === RESET_CODE) this.#reset();
      return;
    }
    const before = this.reg[reg];
    this.reg[reg] = value;
    if (reg === REG_POWER_CTL) {
      const measure = (value & POWER_CTL_STANDBY) === 0;
      if (measure && !this.measuring) {
        this.#clearFifo();
        this.restartClock();
      } else if (!measure) this.stopClock();
    } else if (reg === REG_FILTER && (before & FILTER_ODR_MASK) !== (value & FILTER_ODR_MASK) && this.measuring) {
      this.restartClock();
    } else if (reg === REG_FIFO_SAMPLES && value > FIFO_DEPTH_ENTRIES) {
      this.reg[reg] = FIFO_DEPTH_ENTRIES;
    }
  }

  protected fifoMode(): number {
    return FifoMode.STREAM;
  }

  #reset(): void {
    this.reg.fill(0);
    this.reg[REG_DEVID_AD] = DEVID_AD;
    this.reg[REG_DEVID_MST] = DEVID_MST;
    this.reg[REG_PARTID] = PARTID;
    this.reg[REG_REVID] = REVID;
    this.reg[REG_FIFO_SAMPLES] = FIFO_SAMPLES_RESET;
    this.reg[REG_RANGE] = RANGE_RESET;
    this.reg[REG_POWER_CTL] = POWER_CTL_RESET;
    this.stopClock();
    this.#clearFifo();
    this.latest.fill(0);
    this.#dataRdy = false;
  }

  #clearFifo(): void {
    this.emptyFifo();
    this.#overflow = false;
  }

  #status(): number {
    let v = 0;
    if (this.#dataRdy) v |= STATUS_DATA_RDY;
    if (this.fifoEntries >= this.reg[REG_FIFO_SAMPLES]) v |= STATUS_FIFO_FULL;
    if (this.#overflow) v |= STATUS_FIFO_OVR;
    return v;
  }

  #tempRaw(): number {
    const t = this.#temperature(this.now() / 1000);
    let raw = Math.round((t - 25) * TEMP_SLOPE_LSB_PER_C + TEMP_INTERCEPT_LSB);
    if (raw < 0) raw = 0;
    else if (raw > 0xfff) raw = 0xfff;
    return raw;
  }

  /** Each third byte pops one entry; an empty FIFO reads as a word with the empty marker. */
  #readFifoByte(): number {
    const available = this.fifoEntries > 0;
    if (this.#byte === 0) this.#entry = available ? this.fifoHead(0) : FIFO_MARKER_EMPTY;
    const word = this.#entry;
    const b = this.#byte;
    this.#byte = b === 2 ? 0 : b + 1;
    if (b === 2 && available) this.popEntry();
    return b === 0 ? (word >> 16) & 0xff : b === 1 ? (word >> 8) & 0xff : word & 0xff;
  }

  // ---- samples ------------------------------------------------------------------------------

  protected measure(tSeconds: number, out: Int32Array): void {
    const lsbPerG = this.lsbPerG;
    const sigma = this.noise * NOISE_DENSITY_G * Math.sqrt(this.odr / 4);
    const selfTest = (this.reg[REG_SELF_TEST] & (SELF_TEST_ST1 | SELF_TEST_ST2)) === (SELF_TEST_ST1 | SELF_TEST_ST2);
    for (let axis = 0; axis < 3; axis++) {
      let g = this.signal(axis as AxisIndex, tSeconds);
      if (selfTest) g += SELF_TEST_G[axis];
      if (sigma > 0) g += this.rng.gaussian() * sigma;
      let raw = Math.round(g * lsbPerG);
      if (raw > RAW_MAX) raw = RAW_MAX;
      else if (raw < RAW_MIN) raw = RAW_MIN;
      out[axis] = raw;
    }
    this.#dataRdy = true;
  }

  protected override entry(axis: number, raw: number): number {
    return ((raw * 16) & 0xffffff) | (axis === 0 ? FIFO_MARKER_X : 0);
  }

  protected override dropped(): void {
    this.#overflow = true;
  }

  // ---- interrupts ---------------------------------------------------------------------------

  /** INT_MAP's three sources for `line`, as INT1's bits. */
  #routed(line: number): number {
    const map = this.reg[REG_INT_MAP];
    return (line === 2 ? map >> INT_MAP_INT2_SHIFT : map) & (INT_MAP_RDY_EN1 | INT_MAP_FULL_EN1 | INT_MAP_OVR_EN1);
  }

  protected override interruptAsserted(line: number): boolean {
    const routed = this.#routed(line);
    const status = this.#status();
    return (
      ((routed & INT_MAP_RDY_EN1) !== 0 && (status & STATUS_DATA_RDY) !== 0) ||
      ((routed & INT_MAP_FULL_EN1) !== 0 && (status & STATUS_FIFO_FULL) !== 0) ||
      ((routed & INT_MAP_OVR_EN1) !== 0 && (status & STATUS_FIFO_OVR) !== 0)
    );
  }

  protected override interruptWatermark(line: number): number {
    const routed = this.#routed(line);
    if (routed & INT_MAP_RDY_EN1) return this.fifoEntries + 3; // the next sample
    return routed & INT_MAP_FULL_EN1 ? this.reg[REG_FIFO_SAMPLES] : 0;
  }

  protected override interruptActiveHigh(): boolean {
    return (this.reg[REG_RANGE] & RANGE_INT_POL) !== 0;
  }
}
