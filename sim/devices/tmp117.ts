/*
 * TMP117 register-level model (TI TMP117 datasheet, SNOS764). 16-bit registers
 * behind an 8-bit pointer, MSB first. Conversions run on the datasheet's cycle
 * table in virtual time; TEMP changes only when a conversion completes, and
 * DATA_READY is set then and cleared by reading CONFIG or TEMP.
 * Not modelled: alert thresholds/pins, EEPROM programming delays, SMBus alert.
 * XS-compatible.
 */
import { Rng } from "../rng.js";
import { WordRegisterTarget } from "./word-registers.js";

/** Pointer register: the low 4 bits select the register (datasheet "Pointer Register"). */
const POINTER_MASK = 0x0f;

export const TMP117_ADDRESS = 0x48;

export const REG_TEMP_RESULT = 0x00;
export const REG_CONFIGURATION = 0x01;
export const REG_THIGH_LIMIT = 0x02;
export const REG_TLOW_LIMIT = 0x03;
export const REG_EEPROM_UL = 0x04;
export const REG_EEPROM1 = 0x05;
export const REG_EEPROM2 = 0x06;
export const REG_TEMP_OFFSET = 0x07;
export const REG_EEPROM3 = 0x08;
export const REG_DEVICE_ID = 0x0f;

export const DEVICE_ID = 0x0117;
/** 7.8125 m degC per LSB. */
export const DEGC_PER_LSB = 1 / 128;

export const CONFIG_HIGH_ALERT = 1 << 15;
export const CONFIG_LOW_ALERT = 1 << 14;
export const CONFIG_DATA_READY = 1 << 13;
export const CONFIG_MOD_SHIFT = 10;
export const CONFIG_MOD_MASK = 0x3 << CONFIG_MOD_SHIFT;
export const CONFIG_CONV_SHIFT = 7;
export const CONFIG_CONV_MASK = 0x7 << CONFIG_CONV_SHIFT;
export const CONFIG_AVG_SHIFT = 5;
export const CONFIG_AVG_MASK = 0x3 << CONFIG_AVG_SHIFT;
export const CONFIG_SOFT_RESET = 1 << 1;
/** Bits 15:13 are status flags; bit 0 is reserved. */
const CONFIG_WRITABLE = 0x1ffe;

export const MOD_CONTINUOUS = 0;
export const MOD_SHUTDOWN = 1;
export const MOD_CONTINUOUS_ALT = 2; // reads back as 00
export const MOD_ONE_SHOT = 3;

/** Reset values. CONFIG 0x0220: continuous, CONV 4 (1 s), AVG 1 (8 averages). */
export const CONFIG_RESET = 0x0220;
const THIGH_RESET = 0x6000;
const TLOW_RESET = 0x8000;
const TEMP_RESET = 0x8000; // -256 degC until the first conversion completes

/** Active conversion time by AVG (1, 8, 32, 64 averages), ms. */
export const ACTIVE_MS = [15.5, 125, 500, 1000];
/** Conversion cycle time in continuous mode, [CONV][AVG], ms (datasheet "Conversion Cycle Time in CC Mode"). */
export const CYCLE_MS = [
  [15.5, 125, 500, 1000],
  [125, 125, 500, 1000],
  [250, 250, 500, 1000],
  [500, 500, 500, 1000],
  [1000, 1000, 1000, 1000],
  [4000, 4000, 4000, 4000],
  [8000, 8000, 8000, 8000],
  [16000, 16000, 16000, 16000],
];
const AVERAGES = [1, 8, 32, 64];

export interface SimTMP117Options {
  now: () => number;
  /** Die temperature in degC at a time in seconds. */
  temperature: (tSeconds: number) => number;
  seed?: number;
  /** Noise of one conversion, degC rms, divided by sqrt(averages). Default 1 LSB. */
  noiseC?: number;
}

export class SimTMP117 extends WordRegisterTarget {
  /** Conversions completed since power-on. */
  conversions = 0;

  #now: () => number;
  #source: (tSeconds: number) => number;
  #rng: Rng;
  #noise: number;
  #reg = new Uint16Array(16);
  #t0 = 0; // start of conversion 0 of the current run
  #done = 0; // conversions completed in the current run

  constructor(options: SimTMP117Options) {
    super(POINTER_MASK);
    this.#now = options.now;
    this.#source = options.temperature;
    this.#rng = new Rng(options.seed ?? 0x117);
    this.#noise = options.noiseC ?? DEGC_PER_LSB;
    this.#reset();
  }

  /** Ms from the start of a conversion to its result, for the current CONFIG. */
  get activeMs(): number {
    return ACTIVE_MS[(this.#reg[REG_CONFIGURATION] & CONFIG_AVG_MASK) >> CONFIG_AVG_SHIFT];
  }

  /** Ms between results in continuous mode, for the current CONFIG. */
  get cycleMs(): number {
    const c = this.#reg[REG_CONFIGURATION];
    return CYCLE_MS[(c & CONFIG_CONV_MASK) >> CONFIG_CONV_SHIFT][(c & CONFIG_AVG_MASK) >> CONFIG_AVG_SHIFT];
  }

  protected readWord(reg: number): number {
    const value = this.#reg[reg];
    // Reading CONFIGURATION or TEMP_RESULT clears Data_Ready (after the value is latched).
    if (reg === REG_CONFIGURATION || reg === REG_TEMP_RESULT) this.#reg[REG_CONFIGURATION] &= ~CONFIG_DATA_READY;
    return value;
  }

  protected writeWord(reg: number, value: number): void {
    this.#writeRegister(reg, value);
  }

  protected beforeTransfer(): void {
    this.#catchUp();
  }

  #reset(): void {
    this.#reg.fill(0);
    this.#reg[REG_TEMP_RESULT] = TEMP_RESET;
    this.#reg[REG_CONFIGURATION] = CONFIG_RESET;
    this.#reg[REG_THIGH_LIMIT] = THIGH_RESET;
    this.#reg[REG_TLOW_LIMIT] = TLOW_RESET;
    this.#reg[REG_DEVICE_ID] = DEVICE_ID;
    this.#restart();
  }

  #restart(): void {
    this.#t0 = this.#now();
    this.#done = 0;
  }

  #mode(): number {
    return (this.#reg[REG_CONFIGURATION] & CONFIG_MOD_MASK) >> CONFIG_MOD_SHIFT;
  }

  #writeRegister(reg: number, value: number): void {
    if (reg === REG_CONFIGURATION) {
      this.#catchUp();
      if (value & CONFIG_SOFT_RESET) {
        this.#reset();
        return;
      }
      const before = this.#reg[reg];
      let next = (before & ~CONFIG_WRITABLE) | (value & CONFIG_WRITABLE);
      if (((next & CONFIG_MOD_MASK) >> CONFIG_MOD_SHIFT) === MOD_CONTINUOUS_ALT) next &= ~CONFIG_MOD_MASK;
      this.#reg[reg] = next;
      const timing = CONFIG_MOD_MASK | CONFIG_CONV_MASK | CONFIG_AVG_MASK;
      // A new mode or timing (or a one-shot request) starts a fresh conversion.
      if ((next & timing) !== (before & timing) || this.#mode() === MOD_ONE_SHOT) this.#restart();
      return;
    }
    if (reg === REG_TEMP_RESULT || reg === REG_DEVICE_ID) return; // read-only
    if (reg > REG_EEPROM3) return;
    this.#reg[reg] = value;
  }

  /** Completes the conversions due by now; only the newest result is visible. */
  #catchUp(): void {
    const mode = this.#mode();
    if (mode === MOD_SHUTDOWN) return;
    const elapsed = this.#now() - this.#t0 - this.activeMs;
    if (elapsed < 0) return;
    if (mode === MOD_ONE_SHOT) {
      this.#complete(this.#t0);
      this.#reg[REG_CONFIGURATION] = (this.#reg[REG_CONFIGURATION] & ~CONFIG_MOD_MASK) | (MOD_SHUTDOWN << CONFIG_MOD_SHIFT);
      return;
    }
    const cycle = this.cycleMs;
    const due = Math.floor(elapsed / cycle + 1e-9) + 1;
    if (due <= this.#done) return;
    this.conversions += due - this.#done - 1;
    this.#done = due;
    this.#complete(this.#t0 + (due - 1) * cycle);
  }

  /** One (averaged) conversion that started at `startMs`: the mean over the active time, approximated at its middle. */
  #complete(startMs: number): void {
    const avg = AVERAGES[(this.#reg[REG_CONFIGURATION] & CONFIG_AVG_MASK) >> CONFIG_AVG_SHIFT];
    let t = this.#source((startMs + this.activeMs / 2) / 1000);
    if (this.#noise > 0) t += (this.#rng.gaussian() * this.#noise) / Math.sqrt(avg);
    const offset = (this.#reg[REG_TEMP_OFFSET] << 16) >> 16;
    let raw = Math.round(t / DEGC_PER_LSB) + offset;
    if (raw > 32767) raw = 32767;
    else if (raw < -32768) raw = -32768;
    this.#reg[REG_TEMP_RESULT] = raw & 0xffff;
    this.#reg[REG_CONFIGURATION] |= CONFIG_DATA_READY;
    this.conversions++;
  }
}
