/*
 * MCP9808 register-level model (Microchip MCP9808 datasheet, DS25095).
 * 16-bit registers behind a pointer (bits 3:0), MSB first; RESOLUTION (0x08)
 * is an 8-bit register. Conversions run continuously at the selected
 * resolution's tCONV in virtual time (30/65/130/250 ms); T_A changes only when
 * a conversion completes, quantized to the resolution (unused low bits read 0)
 * with the alert flags in bits 15:13. SHDN stops conversions (T_A holds).
 * Model choices: a new resolution or leaving shutdown restarts the conversion
 * cycle; the value converted is the temperature at the conversion's end.
 * Not modelled: the ALERT pin and its hysteresis, interrupt clear.
 * XS-compatible.
 */
import { Rng } from "../rng.js";
import { WordRegisterTarget } from "./word-registers.js";

/** Register pointer: bits 3..0 select the register (datasheet "Register Pointer (Write Only)"). */
const POINTER_MASK = 0x0f;

export const MCP9808_ADDRESS = 0x18; // 0x18..0x1F by A2..A0

export const REG_CONFIG = 0x01;
export const REG_T_UPPER = 0x02;
export const REG_T_LOWER = 0x03;
export const REG_T_CRIT = 0x04;
export const REG_T_A = 0x05;
export const REG_MANUFACTURER_ID = 0x06;
export const REG_DEVICE_ID = 0x07; // device ID in bits 15:8, revision in 7:0
export const REG_RESOLUTION = 0x08;

export const MANUFACTURER_ID = 0x0054;
export const DEVICE_ID = 0x04;

export const CONFIG_HYST_SHIFT = 9; // bits 10:9
export const CONFIG_SHDN = 1 << 8;
export const CONFIG_CRIT_LOCK = 1 << 7;
export const CONFIG_WIN_LOCK = 1 << 6;
const CONFIG_WRITABLE = 0x07ff;
/** T_UPPER / T_LOWER / T_CRIT: sign bit 12 and 2^7..2^-2 in bits 11:2. */
const LIMIT_MASK = 0x1ffc;

export const T_A_CRIT = 1 << 15;
export const T_A_UPPER = 1 << 14;
export const T_A_LOWER = 1 << 13;
export const T_A_MASK = 0x1fff;
/** 2^-4 degC per T_A LSB. */
export const DEGC_PER_LSB = 1 / 16;

/** Resolution code 0..3: degC per step and tCONV in ms (datasheet Table 5-9). */
export const RESOLUTION_C = [0.5, 0.25, 0.125, 0.0625];
export const CONVERSION_MS = [30, 65, 130, 250];
const RESOLUTION_RESET = 0x03;

export interface SimMCP9808Options {
  now: () => number;
  /** degC at a time in seconds. */
  temperature: (tSeconds: number) => number;
  /** Low byte of DEVID (silicon revision). Default 0. */
  revision?: number;
  seed?: number;
  /** Gaussian noise before quantization, degC rms. Default 0. */
  noiseC?: number;
}

export class SimMCP9808 extends WordRegisterTarget {
  conversions = 0;

  #now: () => number;
  #source: (tSeconds: number) => number;
  #rng: Rng;
  #noise: number;
  #reg = new Uint16Array(16);
  #t0 = 0;
  #done = 0;

  constructor(options: SimMCP9808Options) {
    super(POINTER_MASK);
    this.#now = options.now;
    this.#source = options.temperature;
    this.#rng = new Rng(options.seed ?? 0x9808);
    this.#noise = options.noiseC ?? 0;
    this.#reg[REG_MANUFACTURER_ID] = MANUFACTURER_ID;
    this.#reg[REG_DEVICE_ID] = (DEVICE_ID << 8) | ((options.revision ?? 0) & 0xff);
    this.#reg[REG_RESOLUTION] = RESOLUTION_RESET;
    this.#t0 = this.#now();
  }

  /** tCONV for the current resolution, ms. */
  get conversionMs(): number {
    return CONVERSION_MS[this.#reg[REG_RESOLUTION] & 3];
  }

  get resolutionC(): number {
    return RESOLUTION_C[this.#reg[REG_RESOLUTION] & 3];
  }

  protected readWord(reg: number): number {
    return reg > REG_RESOLUTION ? 0 : this.#reg[reg]; // reserved pointers read 0
  }

  protected writeWord(reg: number, value: number): void {
    this.#writeRegister(reg, value);
  }

  protected override byteWide(reg: number): boolean {
    return reg === REG_RESOLUTION;
  }

  protected beforeTransfer(): void {
    this.#catchUp();
  }

  #writeRegister(reg: number, value: number): void {
    const r = this.#reg;
    switch (reg) {
      case REG_CONFIG: {
        this.#catchUp();
        const before = r[REG_CONFIG];
        // Lock bits stay set until power-on reset.
        const next = (value & CONFIG_WRITABLE) | (before & (CONFIG_CRIT_LOCK | CONFIG_WIN_LOCK));
        r[REG_CONFIG] = next;
        if (before & CONFIG_SHDN && !(next & CONFIG_SHDN)) this.#restart();
        return;
      }
      case REG_T_UPPER:
      case REG_T_LOWER:
        if (!(r[REG_CONFIG] & CONFIG_WIN_LOCK)) r[reg] = value & LIMIT_MASK;
        return;
      case REG_T_CRIT:
        if (!(r[REG_CONFIG] & CONFIG_CRIT_LOCK)) r[reg] = value & LIMIT_MASK;
        return;
      case REG_RESOLUTION:
        this.#catchUp();
        if ((value & 3) !== (r[REG_RESOLUTION] & 3)) {
          r[REG_RESOLUTION] = value & 3;
          this.#restart();
        }
        return;
      default:
        return; // T_A, IDs and reserved registers are read-only
    }
  }

  #restart(): void {
    this.#t0 = this.#now();
    this.#done = 0;
  }

  #catchUp(): void {
    if (this.#reg[REG_CONFIG] & CONFIG_SHDN) return;
    const cycle = this.conversionMs;
    const due = Math.floor((this.#now() - this.#t0) / cycle + 1e-9);
    if (due <= this.#done) return;
    this.conversions += due - this.#done - 1;
    this.#done = due;
    this.#complete(this.#t0 + due * cycle);
  }

  #complete(atMs: number): void {
    let c = this.#source(atMs / 1000);
    if (this.#noise > 0) c += this.#rng.gaussian() * this.#noise;
    const step = this.resolutionC / DEGC_PER_LSB; // LSBs per resolution step
    let raw = Math.round(c / this.resolutionC) * step;
    if (raw > 4095) raw = 4096 - step; // 13-bit two's complement range, whole steps
    else if (raw < -4096) raw = -4096;
    let flags = 0;
    if (raw >= signed13(this.#reg[REG_T_CRIT])) flags |= T_A_CRIT;
    if (raw > signed13(this.#reg[REG_T_UPPER])) flags |= T_A_UPPER;
    if (raw < signed13(this.#reg[REG_T_LOWER])) flags |= T_A_LOWER;
    this.#reg[REG_T_A] = flags | (raw & T_A_MASK);
    this.conversions++;
  }
}

/** Bits 12:0 as a two's complement number of 1/16 degC. */
function signed13(v: number): number {
  return ((v & T_A_MASK) << 19) >> 19;
}
