/*
 * ADXL345 register-level model (Analog Devices ADXL345 datasheet, Rev. G).
 * Samples are made lazily: on each bus access the model produces every sample
 * due since the last access, sample k at t0 + k/ODR (virtual ms), so timing is
 * exact and independent of how often the driver polls. A late driver in stream
 * mode loses the oldest samples, as the real part does.
 * Simplifications: trigger mode behaves as stream (no trigger event); the FIFO
 * is 32 entries (the real part has one more in the output registers); tap,
 * activity, free-fall and interrupt pins are not modelled.
 * XS-compatible.
 */
import type { I2CTarget } from "../bus.js";
import { Rng } from "../rng.js";
import type { AxisIndex, SimAccelerometerOptions } from "./accelerometer.js";

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

export type SimADXL345Options = SimAccelerometerOptions;

export class SimADXL345 implements I2CTarget {
  /** false simulates an unplugged sensor: every address phase is NACKed. */
  present = true;
  /** Samples produced since power-on (dropped ones included). */
  samplesGenerated = 0;
  /** Samples lost: overwritten in stream mode or refused by a full FIFO. */
  samplesLost = 0;

  #now: () => number;
  #signal: (axis: AxisIndex, tSeconds: number) => number;
  #rng: Rng;
  #noise: number;
  #reg = new Uint8Array(64);
  #pointer = 0;
  #pointerPending = false; // next written byte is the register address
  #fifo = new Int16Array(FIFO_DEPTH * 3);
  #head = 0;
  #count = 0;
  #latest = new Int16Array(3);
  #out = new Uint8Array(6);
  #latched = false; // a data-register read is in progress: pop when it ends
  #fresh = false; // bypass mode: DATA_READY
  #overrun = false;
  #measuring = false;
  #t0 = 0; // ms: time of sample 0 since measurement (re)started
  #k = 0; // next sample index

  constructor(options: SimADXL345Options) {
    this.#now = options.now;
    this.#signal = options.signal;
    this.#rng = new Rng(options.seed ?? 0x345);
    this.#noise = options.noise ?? 1;
    this.#reg[REG_DEVID] = DEVID;
    this.#reg[REG_BW_RATE] = BW_RATE_DEFAULT;
    this.#reg[REG_INT_SOURCE] = INT_WATERMARK;
  }

  get odr(): number {
    return ODR_BASE_HZ * 2 ** (this.#reg[REG_BW_RATE] & BW_RATE_RATE_MASK);
  }

  get measuring(): boolean {
    return this.#measuring;
  }

  /** Entries in the FIFO as of the last access. */
  get fifoEntries(): number {
    return this.#count;
  }

  // ---- I2CTarget ----------------------------------------------------------------------

  start(read: boolean): boolean {
    if (!this.present) return false;
    this.#endDataRead();
    this.#catchUp();
    this.#pointerPending = !read;
    return true;
  }

  write(byte: number): boolean {
    if (!this.present) return false;
    if (this.#pointerPending) {
      this.#pointer = byte & 0x3f;
      this.#pointerPending = false;
      return true;
    }
    this.#writeRegister(this.#pointer, byte);
    this.#pointer = (this.#pointer + 1) & 0x3f;
    return true;
  }

  read(): number {
    const reg = this.#pointer;
    let value: number;
    if (reg >= REG_DATAX0 && reg <= REG_DATAZ1) {
      if (!this.#latched) this.#latch();
      value = this.#out[reg - REG_DATAX0];
    } else if (reg === REG_INT_SOURCE) {
      value = this.#intSource();
    } else if (reg === REG_FIFO_STATUS) {
      value = this.#count & FIFO_ENTRIES_MASK;
    } else {
      value = this.#reg[reg];
    }
    this.#pointer = (reg + 1) & 0x3f;
    if (reg === REG_DATAZ1) this.#endDataRead(); // the 0x37 -> 0x38 transition pops
    return value;
  }

  stop(): void {
    this.#endDataRead();
  }

  // ---- model ----------------------------------------------------------------------------

  #mode(): number {
    return this.#reg[REG_FIFO_CTL] >> FIFO_MODE_SHIFT;
  }

  #writeRegister(reg: number, value: number): void {
    if (RESERVED_READ_ONLY(reg)) return;
    const before = this.#reg[reg];
    this.#reg[reg] = value;
    if (reg === REG_BW_RATE && (before & BW_RATE_RATE_MASK) !== (value & BW_RATE_RATE_MASK) && this.#measuring) {
      this.#restartClock();
    } else if (reg === REG_POWER_CTL) {
      const measure = (value & POWER_CTL_MEASURE) !== 0;
      if (measure && !this.#measuring) this.#restartClock();
      this.#measuring = measure;
    } else if (reg === REG_FIFO_CTL) {
      const mode = value >> FIFO_MODE_SHIFT;
      if (mode !== before >> FIFO_MODE_SHIFT && mode === FIFO_MODE_BYPASS) this.#clearFifo();
    }
  }

  /** The first sample is ready one period after measuring starts (or the rate changes). */
  #restartClock(): void {
    this.#t0 = this.#now() + 1000 / this.odr;
    this.#k = 0;
  }

  #clearFifo(): void {
    this.#head = 0;
    this.#count = 0;
    this.#overrun = false;
  }

  #intSource(): number {
    let v = 0;
    const mode = this.#mode();
    if (mode === FIFO_MODE_BYPASS ? this.#fresh : this.#count > 0) v |= INT_DATA_READY;
    if (mode !== FIFO_MODE_BYPASS && this.#count >= (this.#reg[REG_FIFO_CTL] & FIFO_SAMPLES_MASK)) v |= INT_WATERMARK;
    if (this.#overrun) v |= INT_OVERRUN;
    return v;
  }

  /** Produces every sample due by now. */
  #catchUp(): void {
    if (!this.#measuring) return;
    const odr = this.odr;
    const elapsed = this.#now() - this.#t0;
    if (elapsed < 0) return;
    const last = Math.floor((elapsed * odr) / 1000 + 1e-9); // index of the newest due sample
    const due = last + 1 - this.#k;
    if (due <= 0) return;
    const mode = this.#mode();
    // Only the newest samples can survive; skip the rest without computing them.
    let keep = due;
    if (mode === FIFO_MODE_BYPASS) keep = 1;
    else if (mode === FIFO_MODE_FIFO) keep = Math.min(due, FIFO_DEPTH - this.#count);
    else keep = Math.min(due, FIFO_DEPTH);
    const skipped = due - keep;
    if (skipped > 0) {
      this.samplesGenerated += skipped;
      if (mode === FIFO_MODE_FIFO) {
        // FIFO mode keeps the oldest: the late samples are refused
        this.samplesLost += skipped;
        this.#overrun = true;
      } else if (mode === FIFO_MODE_BYPASS) {
        if (this.#fresh) this.#overrun = true;
        this.#fresh = true;
      } else {
        this.samplesLost += skipped;
      }
    }
    const period = 1000 / odr;
    const first = mode === FIFO_MODE_FIFO ? this.#k : this.#k + skipped;
    for (let i = 0; i < keep; i++) this.#sample((this.#t0 + (first + i) * period) / 1000, mode);
    this.#k += due;
  }

  #sample(tSeconds: number, mode: number): void {
    this.samplesGenerated++;
    const format = this.#reg[REG_DATA_FORMAT];
    const range = format & DATA_FORMAT_RANGE_MASK;
    const fullRes = (format & DATA_FORMAT_FULL_RES) !== 0;
    const bits = fullRes ? 10 + range : 10;
    const lsbPerG = fullRes ? FULL_RES_LSB_PER_G : FULL_RES_LSB_PER_G >> range;
    const max = (1 << (bits - 1)) - 1;
    const shift = format & DATA_FORMAT_JUSTIFY ? 16 - bits : 0;
    const noiseScale = (this.#noise * Math.sqrt(this.odr / 100)) / FULL_RES_LSB_PER_G;
    const latest = this.#latest;
    for (let axis = 0; axis < 3; axis++) {
      let g = this.#signal(axis as AxisIndex, tSeconds);
      if (noiseScale > 0) g += this.#rng.gaussian() * NOISE_LSB_AT_100HZ[axis] * noiseScale;
      let raw = Math.round(g * lsbPerG);
      if (raw > max) raw = max;
      else if (raw < -max - 1) raw = -max - 1;
      latest[axis] = raw << shift;
    }
    if (mode === FIFO_MODE_BYPASS) {
      if (this.#fresh) this.#overrun = true; // unread data replaced
      this.#fresh = true;
      return;
    }
    const fifo = this.#fifo;
    if (this.#count === FIFO_DEPTH) {
      if (mode === FIFO_MODE_FIFO) {
        this.samplesLost++;
        return;
      }
      this.#head = (this.#head + 1) % FIFO_DEPTH; // stream: the oldest is overwritten
      this.#count--;
      this.samplesLost++;
    }
    const slot = ((this.#head + this.#count) % FIFO_DEPTH) * 3;
    fifo[slot] = latest[0];
    fifo[slot + 1] = latest[1];
    fifo[slot + 2] = latest[2];
    this.#count++;
    if (this.#count === FIFO_DEPTH) this.#overrun = true; // datasheet: set when the FIFO is filled
  }

  /** Copies the oldest entry (or the newest sample in bypass / when empty) into DATAX0..DATAZ1. */
  #latch(): void {
    const src = this.#mode() !== FIFO_MODE_BYPASS && this.#count > 0 ? this.#fifo : this.#latest;
    const base = src === this.#fifo ? this.#head * 3 : 0;
    const out = this.#out;
    for (let axis = 0; axis < 3; axis++) {
      const v = src[base + axis];
      out[axis * 2] = v & 0xff;
      out[axis * 2 + 1] = (v >> 8) & 0xff;
    }
    this.#latched = true;
  }

  /** End of a data-register read: the FIFO pops one entry (the rest of a partial read is lost). */
  #endDataRead(): void {
    if (!this.#latched) return;
    this.#latched = false;
    if (this.#mode() === FIFO_MODE_BYPASS) {
      this.#fresh = false;
      this.#overrun = false;
      return;
    }
    if (this.#count > 0) {
      this.#head = (this.#head + 1) % FIFO_DEPTH;
      this.#count--;
      this.#overrun = false; // cleared when FIFO contents are read
    }
  }
}
