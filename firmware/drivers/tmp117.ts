/*
 * TMP117 driver (ECMA-419 Sensor Class Pattern) over SMBus. Registers are 16-bit
 * big-endian. Runs in continuous conversion; sample() returns the newest result
 * (reading CONFIG first to see DATA_READY, which that read clears).
 */
import type { SMBus } from "../host.js";
import type { SensorOptions } from "./sensor.js";
import type { Thermometer, ThermometerReading } from "./thermometer.js";
import { hex } from "../util/format.js";

/** Register map (datasheet SNOSD82, Table 7-3). */
const Register = Object.freeze({
  TEMP_RESULT: 0x00,
  CONFIGURATION: 0x01,
  DEVICE_ID: 0x0f,
});

/** DEVICE_ID bits 11:0; bits 15:12 are the die revision. */
const DEVICE_ID = 0x0117;
const DEVICE_ID_MASK = 0x0fff;
/** 7.8125 m degC per LSB. */
const DEGC_PER_LSB = 1 / 128;

/** CONFIGURATION: DATA_READY bit 13, MOD bits 11:10, CONV bits 9:7, AVG bits 6:5 (the Moddable driver's "AVE" mask). */
const Config = Object.freeze({
  DATA_READY: 1 << 13,
  MOD_SHIFT: 10,
  MOD_MASK: 0x3 << 10,
  CONV_SHIFT: 7,
  CONV_MASK: 0x7 << 7,
  AVG_SHIFT: 5,
  AVG_MASK: 0x3 << 5,
  MOD_CONTINUOUS: 0,
});

/** AVG code -> averaged conversions. */
const AVERAGES: readonly number[] = Object.freeze([1, 8, 32, 64]);
/** Conversion cycle time in continuous mode, [CONV][AVG], ms (Table 7-7). */
const CYCLE_MS: readonly (readonly number[])[] = Object.freeze(
  [
    [15.5, 125, 500, 1000],
    [125, 125, 500, 1000],
    [250, 250, 500, 1000],
    [500, 500, 500, 1000],
    [1000, 1000, 1000, 1000],
    [4000, 4000, 4000, 4000],
    [8000, 8000, 8000, 8000],
    [16000, 16000, 16000, 16000],
  ].map((row) => Object.freeze(row)),
);

export const TMP117_DEFAULT_ADDRESS = 0x48;

export interface TMP117Configuration {
  /** Conversions averaged per result: 1, 8, 32 or 64. */
  averaging?: number;
  /** Wanted time between results, ms; the nearest cycle the part supports is used. */
  conversionMs?: number;
}

export interface TMP117Options extends TMP117Configuration {
  sensor: SensorOptions;
}

/** A TMP117 reading: temperature only. */
export type TemperatureSample = ThermometerReading;

export class TMP117 implements Thermometer {
  #io: SMBus;
  #avg = 1; // reset: 8 averages
  #conv = 4; // reset: 1 s
  #last: TemperatureSample | undefined;

  constructor(options: TMP117Options) {
    const address = options.sensor.address ?? TMP117_DEFAULT_ADDRESS;
    const io = (this.#io = new options.sensor.io({ ...options.sensor, address }));
    try {
      const id = io.readUint16(Register.DEVICE_ID, true);
      if ((id & DEVICE_ID_MASK) !== DEVICE_ID) {
        throw new Error(`TMP117 at 0x${hex(address)}: device ID 0x${id.toString(16).padStart(4, "0")} (expected 0x0117)`);
      }
      this.configure(options);
    } catch (error) {
      io.close();
      throw error;
    }
  }

  /** Time between results for the current settings, ms. */
  get cycleMs(): number {
    return CYCLE_MS[this.#conv][this.#avg];
  }

  configure(options: TMP117Configuration): void {
    if (options.averaging !== undefined) {
      const i = AVERAGES.indexOf(options.averaging);
      if (i < 0) throw new Error(`TMP117: averaging ${options.averaging} (supported: 1, 8, 32, 64)`);
      this.#avg = i;
    }
    if (options.conversionMs !== undefined) {
      let best = 0;
      for (let c = 1; c < CYCLE_MS.length; c++) {
        if (Math.abs(CYCLE_MS[c][this.#avg] - options.conversionMs) < Math.abs(CYCLE_MS[best][this.#avg] - options.conversionMs)) best = c;
      }
      this.#conv = best;
    }
    const io = this.#io;
    const config = io.readUint16(Register.CONFIGURATION, true);
    const next =
      (config & ~(Config.MOD_MASK | Config.CONV_MASK | Config.AVG_MASK | Config.DATA_READY)) |
      (Config.MOD_CONTINUOUS << Config.MOD_SHIFT) |
      (this.#conv << Config.CONV_SHIFT) |
      (this.#avg << Config.AVG_SHIFT);
    io.writeUint16(Register.CONFIGURATION, next & 0xffff, true);
  }

  /** The newest result in degC, or undefined before the first conversion completes. */
  sample(): TemperatureSample | undefined {
    const io = this.#io;
    if (io.readUint16(Register.CONFIGURATION, true) & Config.DATA_READY) {
      const raw = (io.readUint16(Register.TEMP_RESULT, true) << 16) >> 16;
      this.#last = { temperature: raw * DEGC_PER_LSB };
    }
    return this.#last;
  }

  close(): void {
    this.#io.close();
  }
}

