/*
 * What the simulated ADXL345, ADXL355 and LIS3DH share, so each keeps only its
 * registers and their rules:
 *   - I2C framing: the first byte of a write sets the register pointer (with an
 *     auto-increment bit where the part has one), then data bytes write from it;
 *     reads return from it; the pointer advances after each byte, except where
 *     the part wraps it (wrapPointer: a FIFO data register holds it or rolls it over).
 *   - The sample clock: samples are made lazily, at each bus access, sample k at
 *     t0 + k/ODR (t0 one period after measuring starts), so timing is exact and
 *     independent of how often the driver polls. Only the newest samples can
 *     survive a long absence: the rest are counted, not computed.
 *   - The FIFO ring (bypass / FIFO / stream): `depth` entries of `entryWidth`
 *     values, a sample making 3 / entryWidth entries (ADXL355: one per axis).
 *   - Interrupt outputs (INT1, INT2): the part says which of its sources are
 *     asserted and from how many FIFO entries; the output predicts when its level
 *     changes by itself and tells a watcher (sim/pins.ts) after every transfer.
 * XS-compatible.
 */
import type { I2CTarget } from "../bus.js";
import { Rng } from "../rng.js";
import type { AxisIndex, SimAccelerometerOptions } from "./accelerometer.js";

/** How new samples are kept: only the newest (no FIFO), until full (oldest kept), or streaming (newest kept). */
export const FifoMode = Object.freeze({ BYPASS: 0, FIFO: 1, STREAM: 2 });

export interface FifoAccelerometerShape {
  /** Size of the register file. */
  registers: number;
  pointerMask: number;
  /** Sub-address bit that enables auto-increment (LIS3DH 0x80); 0: the pointer always advances. */
  autoIncrement: number;
  fifoDepth: number;
  /** Values per FIFO entry: 3 (x, y, z per entry) or 1 (one axis per entry). */
  entryWidth: 1 | 3;
  /** Default noise seed. */
  seed: number;
}

/** A part's interrupt output as a GPIO sees it (sim/pins.ts). */
export interface SimInterruptOutput {
  /** Electrical level now. */
  level(): 0 | 1;
  /** Virtual ms at which the level next changes by itself (samples arriving), or Infinity. */
  changeAt(): number;
  /** `listener` runs after every transfer to the part (its state may have changed); returns the unwatch. */
  watch(listener: () => void): () => void;
}

export abstract class SimFifoAccelerometer implements I2CTarget {
  /** false simulates an unplugged sensor: every address phase is NACKed. */
  present = true;
  /** Samples produced since power-on (dropped ones included). */
  samplesGenerated = 0;
  /** Samples lost: overwritten in stream mode or refused by a full FIFO. */
  samplesLost = 0;

  protected readonly reg: Uint8Array;
  /** The newest sample, raw, per axis. */
  protected readonly latest = new Int32Array(3);
  protected readonly now: () => number;
  protected readonly signal: (axis: AxisIndex, tSeconds: number) => number;
  protected readonly rng: Rng;
  /** Multiplier on the datasheet noise. */
  protected readonly noise: number;

  #pointerMask: number;
  #autoIncrement: number;
  #pointer = 0;
  #pointerPending = false;
  #increment = true;
  #wrapFrom = -1;
  #wrapTo = -1;
  #fifo: Int32Array;
  #depth: number;
  #width: number;
  #perSample: number;
  #head = 0;
  #count = 0;
  #fresh = false; // bypass: the newest sample is unread
  #running = false;
  #t0 = 0;
  #k = 0;
  #listeners: (() => void)[] = [];

  constructor(options: SimAccelerometerOptions, shape: FifoAccelerometerShape) {
    this.now = options.now;
    this.signal = options.signal;
    this.rng = new Rng(options.seed ?? shape.seed);
    this.noise = options.noise ?? 1;
    this.reg = new Uint8Array(shape.registers);
    this.#pointerMask = shape.pointerMask;
    this.#autoIncrement = shape.autoIncrement;
    this.#depth = shape.fifoDepth;
    this.#width = shape.entryWidth;
    this.#perSample = 3 / shape.entryWidth;
    this.#fifo = new Int32Array(shape.fifoDepth * shape.entryWidth);
  }

  /** Output data rate, Hz. */
  abstract get odr(): number;

  get measuring(): boolean {
    return this.#running;
  }

  /** Entries in the FIFO as of the last access. */
  get fifoEntries(): number {
    return this.#count;
  }

  // ---- the part's rules --------------------------------------------------------------------

  /** The register's value as it is read (read side effects go here). */
  protected abstract readRegister(reg: number): number;
  protected abstract writeRegister(reg: number, value: number): void;
  /** The current FIFO mode (FifoMode). */
  protected abstract fifoMode(): number;
  /** Raw x, y, z of one sample at `tSeconds` (noise, range and resolution applied) into `out`. */
  protected abstract measure(tSeconds: number, out: Int32Array): void;
  /** At each address phase, before the part catches up. */
  protected beginTransfer(): void {}
  protected endTransfer(): void {}
  /** The FIFO entry stored for an axis when entries are one axis each (ADXL355: the wire word with its markers). */
  protected entry(_axis: number, raw: number): number {
    return raw;
  }
  /** Samples were lost to a full FIFO (refused, overwritten or skipped). */
  protected dropped(): void {}
  /** Bypass: an unread newest sample was replaced. */
  protected overwritten(): void {}
  /** Interrupt sources asserted on `line` (1: INT1, 2: INT2), before polarity. */
  protected interruptAsserted(_line: number): boolean {
    return false;
  }
  /** Fewest FIFO entries at which a source of `line` asserts, 0 if samples alone cannot assert it. */
  protected interruptWatermark(_line: number): number {
    return 0;
  }
  protected interruptActiveHigh(_line: number): boolean {
    return true;
  }

  // ---- I2CTarget ----------------------------------------------------------------------------

  start(read: boolean): boolean {
    if (!this.present) return false;
    this.beginTransfer();
    this.#catchUp();
    this.#pointerPending = !read;
    return true;
  }

  write(byte: number): boolean {
    if (!this.present) return false;
    if (this.#pointerPending) {
      this.#pointer = byte & this.#pointerMask;
      this.#increment = this.#autoIncrement === 0 || (byte & this.#autoIncrement) !== 0;
      this.#pointerPending = false;
      return true;
    }
    this.writeRegister(this.#pointer, byte);
    if (this.#increment) this.#pointer = (this.#pointer + 1) & this.#pointerMask;
    return true;
  }

  read(): number {
    const reg = this.#pointer;
    const value = this.readRegister(reg);
    if (this.#increment) this.#pointer = (reg === this.#wrapFrom ? this.#wrapTo : reg + 1) & this.#pointerMask;
    return value;
  }

  /** After a read of `from` (auto-increment on), the pointer goes to `to` rather than on (from = -1: nowhere). */
  protected wrapPointer(from: number, to: number): void {
    this.#wrapFrom = from;
    this.#wrapTo = to;
  }

  stop(): void {
    this.endTransfer();
    const listeners = this.#listeners;
    for (let i = 0; i < listeners.length; i++) listeners[i]();
  }

  // ---- sample clock and FIFO ----------------------------------------------------------------

  /** Measuring (again) from now: the first sample is ready one period later. */
  protected restartClock(): void {
    this.#running = true;
    this.#t0 = this.now() + 1000 / this.odr;
    this.#k = 0;
  }

  protected stopClock(): void {
    this.#running = false;
  }

  protected emptyFifo(): void {
    this.#head = 0;
    this.#count = 0;
  }

  /** Value `i` of the oldest entry (the FIFO must not be empty). */
  protected fifoHead(i: number): number {
    return this.#fifo[this.#head * this.#width + i];
  }

  /** Removes the oldest entry, if any. */
  protected popEntry(): void {
    if (this.#count === 0) return;
    this.#head = (this.#head + 1) % this.#depth;
    this.#count--;
  }

  /** Bypass: the newest sample is unread (DATA_READY). */
  protected get fresh(): boolean {
    return this.#fresh;
  }

  /**
   * The output registers were read through: in bypass the newest sample is
   * consumed, otherwise the oldest entry pops. Returns true in bypass.
   */
  protected consumeOutput(): boolean {
    if (this.fifoMode() === FifoMode.BYPASS) {
      this.#fresh = false;
      return true;
    }
    this.popEntry();
    return false;
  }

  /** Copies the oldest entry (FIFO modes, when not empty) or the newest sample into `out`, 16-bit little-endian x, y, z. */
  protected latch16(out: Uint8Array): void {
    const fromFifo = this.fifoMode() !== FifoMode.BYPASS && this.#count > 0;
    for (let axis = 0; axis < 3; axis++) {
      const v = fromFifo ? this.#fifo[this.#head * 3 + axis] : this.latest[axis];
      out[axis * 2] = v & 0xff;
      out[axis * 2 + 1] = (v >> 8) & 0xff;
    }
  }

  /** Produces every sample due by now. */
  #catchUp(): void {
    if (!this.#running) return;
    const odr = this.odr;
    const elapsed = this.now() - this.#t0;
    if (elapsed < 0) return;
    const last = Math.floor((elapsed * odr) / 1000 + 1e-9); // index of the newest due sample
    const due = last + 1 - this.#k;
    if (due <= 0) return;
    const mode = this.fifoMode();
    const depth = this.#depth / this.#perSample;
    // Only the newest samples can survive; skip the rest without computing them.
    let keep = due;
    if (mode === FifoMode.BYPASS) keep = 1;
    else if (mode === FifoMode.FIFO) keep = Math.min(due, depth - this.#count / this.#perSample);
    else keep = Math.min(due, depth);
    const skipped = due - keep;
    if (skipped > 0) {
      this.samplesGenerated += skipped;
      if (mode === FifoMode.BYPASS) {
        if (this.#fresh) this.overwritten();
        this.#fresh = true;
      } else {
        this.samplesLost += skipped;
        this.dropped();
      }
    }
    const period = 1000 / odr;
    const first = mode === FifoMode.FIFO ? this.#k : this.#k + skipped; // FIFO mode keeps the oldest
    for (let i = 0; i < keep; i++) this.#sample((this.#t0 + (first + i) * period) / 1000, mode);
    this.#k += due;
  }

  #sample(tSeconds: number, mode: number): void {
    this.samplesGenerated++;
    const latest = this.latest;
    this.measure(tSeconds, latest);
    if (mode === FifoMode.BYPASS) {
      if (this.#fresh) this.overwritten();
      this.#fresh = true;
      return;
    }
    const per = this.#perSample;
    if (this.#count + per > this.#depth) {
      this.samplesLost++;
      this.dropped();
      if (mode === FifoMode.FIFO) return; // FIFO mode refuses the new sample
      this.#head = (this.#head + per) % this.#depth; // stream: the oldest is overwritten
      this.#count -= per;
    }
    const fifo = this.#fifo;
    let slot = (this.#head + this.#count) % this.#depth;
    if (per === 1) {
      fifo[slot * 3] = latest[0];
      fifo[slot * 3 + 1] = latest[1];
      fifo[slot * 3 + 2] = latest[2];
    } else {
      for (let axis = 0; axis < 3; axis++) {
        fifo[slot] = this.entry(axis, latest[axis]);
        slot = slot + 1 === this.#depth ? 0 : slot + 1;
      }
    }
    this.#count += per;
  }

  // ---- interrupt outputs --------------------------------------------------------------------

  /** INT1 (line 1) or INT2 (line 2), for wiring to a GPIO. */
  interruptOutput(line: 1 | 2): SimInterruptOutput {
    return {
      level: () => {
        this.#catchUp();
        return this.interruptAsserted(line) === this.interruptActiveHigh(line) ? 1 : 0;
      },
      changeAt: () => this.#assertAt(line),
      watch: (listener) => {
        this.#listeners.push(listener);
        return () => {
          const i = this.#listeners.indexOf(listener);
          if (i >= 0) this.#listeners.splice(i, 1);
        };
      },
    };
  }

  /** When `line` asserts if nobody reads the part: the sample that brings the FIFO to its watermark. */
  #assertAt(line: number): number {
    this.#catchUp();
    if (!this.#running || this.interruptAsserted(line)) return Infinity; // only a read lowers an asserted line
    const watermark = this.interruptWatermark(line);
    if (watermark <= 0 || watermark > this.#depth) return Infinity;
    const need = Math.max(1, Math.ceil((watermark - this.#count) / this.#perSample));
    return this.#t0 + ((this.#k + need - 1) * 1000) / this.odr;
  }
}
