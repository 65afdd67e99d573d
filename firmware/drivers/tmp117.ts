/*
 * TMP117 driver (ECMA-419 Sensor Class Pattern) over SMBus. Registers are 16-bit
 * big-endian. Runs in continuous conversion; sample() returns the newest result
 * (reading CONFIG first to see DATA_READY, which that read clears).
 */
import type { SMBus, SMBusOptions } from "../host.js";
import type { Thermometer, ThermometerReading } from "./thermometer.js";
import { hex } from "../util/format.js";

const REG_TEMP_RESULT = 0x00;
const REG_CONFIGURATION = 0x01;
const REG_DEVICE_ID = 0x0f;

/** DEVICE_ID bits 11:0; bits 15:12 are the die revision. */
const DEVICE_ID = 0x0117;
const DEVICE_ID_MASK = 0x0fff;
/** 7.8125 m degC per LSB. */
const DEGC_PER_LSB = 1 / 128;

const CONFIG_DATA_READY = 1 << 13;
const CONFIG_MOD_SHIFT = 10; // MOD bits 11:10
const CONFIG_MOD_MASK = 0x3 << CONFIG_MOD_SHIFT;
const CONFIG_CONV_SHIFT = 7; // CONV bits 9:7
const CONFIG_CONV_MASK = 0x7 << CONFIG_CONV_SHIFT;
const CONFIG_AVG_SHIFT = 5; // AVG bits 6:5 (the Moddable driver's "AVG" mask name does not exist)
const CONFIG_AVG_MASK = 0x3 << CONFIG_AVG_SHIFT;
const MOD_CONTINUOUS = 0;

/** AVG code -> averaged conversions. */
const AVERAGES = [1, 8, 32, 64];
/** Conversion cycle time in continuous mode, [CONV][AVG], ms. */
const CYCLE_MS = [
  [15.5, 125, 500, 1000],
  [125, 125, 500, 1000],
  [250, 250, 500, 1000],
  [500, 500, 500, 1000],
  [1000, 1000, 1000, 1000],
  [4000, 4000, 4000, 4000],
  [8000, 8000, 8000, 8000],
  [16000, 16000, 16000, 16000],
];

export const TMP117_DEFAULT_ADDRESS = 0x48;

export interface TMP117Configuration {
  /** Conversions averaged per result: 1, 8, 32 or 64. */
  averaging?: number;
  /** Wanted time between results, ms; the nearest cycle the part supports is used. */
  conversionMs?: number;
}

export interface TMP117Options extends TMP117Configuration {
  sensor: { io: (options: SMBusOptions) => SMBus; address?: number; hz?: number };
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
    this.#io = options.sensor.io({ address, hz: options.sensor.hz });
    try {
      const id = this.#io.readUint16(REG_DEVICE_ID, true);
      if ((id & DEVICE_ID_MASK) !== DEVICE_ID) {
        throw new Error(`TMP117 at 0x${hex(address)}: device ID 0x${id.toString(16).padStart(4, "0")} (expected 0x0117)`);
      }
      this.configure(options);
    } catch (error) {
      this.#io.close();
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
    const config = io.readUint16(REG_CONFIGURATION, true);
    const next =
      (config & ~(CONFIG_MOD_MASK | CONFIG_CONV_MASK | CONFIG_AVG_MASK | CONFIG_DATA_READY)) |
      (MOD_CONTINUOUS << CONFIG_MOD_SHIFT) |
      (this.#conv << CONFIG_CONV_SHIFT) |
      (this.#avg << CONFIG_AVG_SHIFT);
    io.writeUint16(REG_CONFIGURATION, next & 0xffff, true);
  }

  /** The newest result in degC, or undefined before the first conversion completes. */
  sample(): TemperatureSample | undefined {
    const io = this.#io;
    if (io.readUint16(REG_CONFIGURATION, true) & CONFIG_DATA_READY) {
      const raw = (io.readUint16(REG_TEMP_RESULT, true) << 16) >> 16;
      this.#last = { temperature: raw * DEGC_PER_LSB };
    }
    return this.#last;
  }

  close(): void {
    this.#io.close();
  }
}

