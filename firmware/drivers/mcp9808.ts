/*
 * MCP9808 driver (ECMA-419 Sensor Class Pattern) over SMBus. Registers are
 * 16-bit big-endian except RESOLUTION (8-bit). The part converts continuously;
 * sample() reads T_A (13-bit two's complement in 1/16 degC, alert flags in
 * bits 15:13). The part has no data-ready flag: T_A reads 0 degC until its
 * first conversion (tCONV after power-up or a resolution change).
 */
import type { SMBus } from "../host.js";
import type { SensorOptions } from "./sensor.js";
import type { Thermometer, ThermometerReading } from "./thermometer.js";
import { hex } from "../util/format.js";

/** Register map (datasheet DS25095, Table 5-1). */
const Register = Object.freeze({
  CONFIG: 0x01,
  T_A: 0x05,
  MANUFACTURER_ID: 0x06,
  DEVICE_ID: 0x07,
  RESOLUTION: 0x08,
});

const MANUFACTURER_ID = 0x0054;
/** DEVICE ID in bits 15:8 of register 0x07; bits 7:0 are the revision. */
const DEVICE_ID = 0x04;

const Config = Object.freeze({ SHDN: 1 << 8 });
/** T_A bits 12:0: sign bit 12, 2^7..2^-4 degC. */
const T_A_MASK = 0x1fff;
const DEGC_PER_LSB = 1 / 16;

/** RESOLUTION code (bits 1:0) -> degC per step; tCONV per code, ms. */
const RESOLUTION_C: readonly number[] = Object.freeze([0.5, 0.25, 0.125, 0.0625]);
const CONVERSION_MS: readonly number[] = Object.freeze([30, 65, 130, 250]);

export const MCP9808_DEFAULT_ADDRESS = 0x18;

export type MCP9808Resolution = 0.5 | 0.25 | 0.125 | 0.0625;

export interface MCP9808Configuration {
  /** degC per step; default 0.0625 (the power-up default). */
  resolution?: MCP9808Resolution;
}

export interface MCP9808Options extends MCP9808Configuration {
  sensor: SensorOptions;
}

export class MCP9808 implements Thermometer {
  #io: SMBus;
  #code = 3;
  #name: string;

  constructor(options: MCP9808Options) {
    const address = options.sensor.address ?? MCP9808_DEFAULT_ADDRESS;
    this.#name = `MCP9808 at 0x${hex(address)}`;
    const io = (this.#io = new options.sensor.io({ ...options.sensor, address }));
    try {
      const manufacturer = io.readUint16(Register.MANUFACTURER_ID, true);
      if (manufacturer !== MANUFACTURER_ID) {
        throw new Error(`${this.#name}: manufacturer ID 0x${hex4(manufacturer)} (expected 0x0054)`);
      }
      const device = io.readUint16(Register.DEVICE_ID, true);
      if (device >> 8 !== DEVICE_ID) {
        throw new Error(`${this.#name}: device ID 0x${hex4(device)} (expected 0x04xx)`);
      }
      this.configure(options);
    } catch (error) {
      io.close();
      throw error;
    }
  }

  /** Conversion time for the current resolution, ms. */
  get conversionMs(): number {
    return CONVERSION_MS[this.#code];
  }

  configure(options: MCP9808Configuration): void {
    if (options.resolution !== undefined) {
      const code = RESOLUTION_C.indexOf(options.resolution);
      if (code < 0) throw new Error(`${this.#name}: resolution ${options.resolution} (supported: 0.5, 0.25, 0.125, 0.0625)`);
      this.#code = code;
    }
    const io = this.#io;
    const config = io.readUint16(Register.CONFIG, true);
    if (config & Config.SHDN) io.writeUint16(Register.CONFIG, config & ~Config.SHDN, true);
    io.writeUint8(Register.RESOLUTION, this.#code);
  }

  sample(): ThermometerReading | undefined {
    const raw = this.#io.readUint16(Register.T_A, true) & T_A_MASK;
    return { temperature: (((raw << 19) >> 19) * DEGC_PER_LSB) };
  }

  close(): void {
    this.#io.close();
  }
}


function hex4(n: number): string {
  let s = n.toString(16).toUpperCase();
  while (s.length < 4) s = "0" + s;
  return s;
}
