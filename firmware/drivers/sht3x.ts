/*
 * SHT3x-DIS humidity and temperature driver (ECMA-419 Sensor Class Pattern).
 * The part has no registers: 16-bit command words written MSB first with a
 * plain I2C write, replies of 16-bit words each followed by a CRC-8.
 *
 * Single shot (periodicHz undefined): sample() collects the measurement the
 * previous call started and starts the next one, so it never waits; the first
 * call returns undefined. Commands without clock stretching are used, so a
 * measurement that is not finished NACKs the read header; the driver then
 * probes the address to tell "not ready" from "gone".
 * Periodic (periodicHz set): sample() issues fetch data and reads; a NACKed
 * read header means no new result since the last fetch.
 * Both CRCs are checked; a mismatch throws.
 */
import type { SMBus } from "../host.js";
import type { SensorOptions } from "./sensor.js";
import type { Thermometer, ThermometerReading } from "./thermometer.js";
import { hex } from "../util/format.js";

export const SHT3X_DEFAULT_ADDRESS = 0x44;

/** Command words (datasheet SHT3x-DIS, Tables 9-10 and section 4), MSB first. */
const Command = Object.freeze({
  // single shot, clock stretching disabled: high, medium, low repeatability
  SINGLE_HIGH: 0x2400,
  SINGLE_MEDIUM: 0x240b,
  SINGLE_LOW: 0x2416,
  FETCH_DATA: 0xe000,
  BREAK: 0x3093,
  HEATER_ENABLE: 0x306d,
  HEATER_DISABLE: 0x3066,
  READ_STATUS: 0xf32d,
  CLEAR_STATUS: 0x3041,
});
/** Periodic data acquisition, [high, medium, low] repeatability per measurements per second. */
const Periodic: { readonly [mps: string]: readonly number[] | undefined } = Object.freeze({
  "0.5": Object.freeze([0x2032, 0x2024, 0x202f]),
  "1": Object.freeze([0x2130, 0x2126, 0x212d]),
  "2": Object.freeze([0x2236, 0x2220, 0x222b]),
  "4": Object.freeze([0x2334, 0x2322, 0x2329]),
  "10": Object.freeze([0x2737, 0x2721, 0x272a]),
});

const CRC8_POLYNOMIAL = 0x31;
const CRC8_INIT = 0xff;

/** Max measurement duration per repeatability (high, medium, low), ms. */
const MEASUREMENT_MS: readonly number[] = Object.freeze([15.5, 6.5, 4.5]);

export type SHT3xRepeatability = "high" | "medium" | "low";
export type SHT3xPeriodicHz = 0.5 | 1 | 2 | 4 | 10;

export interface SHT3xOptions {
  sensor: SensorOptions;
  /** Default "high". */
  repeatability?: SHT3xRepeatability;
  /** Measurements per second in periodic mode; single shot when undefined. */
  periodicHz?: SHT3xPeriodicHz;
}

/** CRC-8 of the SHT3x (poly 0x31, init 0xFF, no reflection, no final XOR). */
export function sht3xCrc8(bytes: Uint8Array, offset: number, length: number): number {
  let crc = CRC8_INIT;
  for (let i = offset; i < offset + length; i++) {
    crc ^= bytes[i];
    for (let b = 0; b < 8; b++) crc = crc & 0x80 ? ((crc << 1) ^ CRC8_POLYNOMIAL) & 0xff : (crc << 1) & 0xff;
  }
  return crc;
}

export class SHT3x implements Thermometer {
  #io: SMBus;
  #name: string;
  #rep: number;
  #periodicCommand: number | undefined;
  #pending = false;
  #last: ThermometerReading | undefined;
  #cmd = new Uint8Array(2);
  #none = new Uint8Array(0);
  #buffer = new Uint8Array(6);

  constructor(options: SHT3xOptions) {
    const address = options.sensor.address ?? SHT3X_DEFAULT_ADDRESS;
    this.#name = `SHT3x at 0x${hex(address)}`;
    const rep = REPEATABILITIES.indexOf(options.repeatability ?? "high");
    if (rep < 0) throw new Error(`${this.#name}: repeatability ${options.repeatability} (supported: high, medium, low)`);
    this.#rep = rep;
    if (options.periodicHz !== undefined) {
      const table = Periodic[String(options.periodicHz)];
      if (!table) throw new Error(`${this.#name}: periodicHz ${options.periodicHz} (supported: 0.5, 1, 2, 4, 10)`);
      this.#periodicCommand = table[rep];
    }
    this.#io = new options.sensor.io({ ...options.sensor, address });
    try {
      this.status(); // presence, and a CRC-checked reply: the part has no ID register
      this.#command(Command.CLEAR_STATUS);
      if (this.#periodicCommand !== undefined) this.#command(this.#periodicCommand);
    } catch (error) {
      this.#io.close();
      throw error;
    }
  }

  /** Max time from a single-shot command to its result, ms. */
  get measurementMs(): number {
    return MEASUREMENT_MS[this.#rep];
  }

  /** The 16-bit status register (CRC checked). */
  status(): number {
    this.#command(Command.READ_STATUS);
    const b = this.#buffer.subarray(0, 3);
    this.#io.read(b);
    this.#check(b, 0, "status");
    return (b[0] << 8) | b[1];
  }

  /** Heater on or off (the status register's bit 13 reports it). */
  heater(on: boolean): void {
    this.#command(on ? Command.HEATER_ENABLE : Command.HEATER_DISABLE);
  }

  sample(): ThermometerReading | undefined {
    if (this.#periodicCommand !== undefined) {
      this.#command(Command.FETCH_DATA);
      if (this.#tryRead()) this.#parse();
      return this.#last;
    }
    if (this.#pending) {
      if (!this.#tryRead()) {
        this.#probe();
        return this.#last; // measurement still running
      }
      this.#pending = false;
      this.#parse();
    }
    this.#command(SINGLE[this.#rep]);
    this.#pending = true;
    return this.#last;
  }

  close(): void {
    try {
      if (this.#periodicCommand !== undefined) this.#command(Command.BREAK);
    } finally {
      this.#io.close();
    }
  }

  #command(word: number): void {
    const c = this.#cmd;
    c[0] = word >> 8;
    c[1] = word & 0xff;
    this.#io.write(c);
  }

  /** Reads T, CRC, RH, CRC; false if the read header was not acknowledged (no data). */
  #tryRead(): boolean {
    try {
      this.#io.read(this.#buffer);
      return true;
    } catch {
      return false;
    }
  }

  /** Address-only write: throws if the part does not answer at all. */
  #probe(): void {
    try {
      this.#io.write(this.#none);
    } catch (error) {
      this.#pending = false;
      throw new Error(`${this.#name}: not responding (${error instanceof Error ? error.message : String(error)})`);
    }
  }

  #parse(): void {
    const b = this.#buffer;
    this.#check(b, 0, "temperature");
    this.#check(b, 3, "humidity");
    const t = (b[0] << 8) | b[1];
    const rh = (b[3] << 8) | b[4];
    this.#last = { temperature: -45 + (175 * t) / 65535, humidity: (100 * rh) / 65535 };
  }

  #check(b: Uint8Array, offset: number, what: string): void {
    if (sht3xCrc8(b, offset, 2) !== b[offset + 2]) throw new Error(`${this.#name}: CRC mismatch in ${what} word`);
  }
}

const REPEATABILITIES: readonly string[] = Object.freeze(["high", "medium", "low"]);
const SINGLE: readonly number[] = Object.freeze([Command.SINGLE_HIGH, Command.SINGLE_MEDIUM, Command.SINGLE_LOW]);
