/*
 * SHT3x-DIS humidity and temperature sensor model (Sensirion SHT3x-DIS
 * datasheet). No registers: 16-bit command words, MSB first, and replies of
 * 16-bit words each followed by a CRC-8 (poly 0x31, init 0xFF).
 *
 * Modelled: single shot with and without clock stretching (per repeatability),
 * periodic acquisition (0.5/1/2/4/10 mps), fetch data, break, soft reset,
 * heater on/off (status bit only), read/clear status, the "no data: NACK the
 * read header" rule, data memory cleared once read out.
 * Model choices the datasheet leaves open: the write header is ACKed during a
 * measurement, a measurement command received while one runs (or while in
 * periodic mode) is not processed and sets the status "command status" bit;
 * clock stretching is not charged as bus time (the result is delivered at once
 * and `stretchedMs` counts the time SCL would have been held).
 * Not modelled: ART, alert limits and the ALERT pin, heater self-heating,
 * write-data CRC (commands with data are not processed).
 * XS-compatible.
 */
import type { I2CTarget } from "../bus.js";
import { Rng } from "../rng.js";

export const SHT3X_ADDRESS = 0x44; // ADDR pin low; 0x45 with ADDR high

// Single shot, clock stretching disabled / enabled (datasheet Table 9).
export const CMD_SINGLE_HIGH = 0x2400;
export const CMD_SINGLE_MEDIUM = 0x240b;
export const CMD_SINGLE_LOW = 0x2416;
export const CMD_SINGLE_HIGH_STRETCH = 0x2c06;
export const CMD_SINGLE_MEDIUM_STRETCH = 0x2c0d;
export const CMD_SINGLE_LOW_STRETCH = 0x2c10;
/** Periodic acquisition (datasheet Table 10): [mps] -> [high, medium, low]. */
export const CMD_PERIODIC: { [mps: string]: number[] } = {
  "0.5": [0x2032, 0x2024, 0x202f],
  "1": [0x2130, 0x2126, 0x212d],
  "2": [0x2236, 0x2220, 0x222b],
  "4": [0x2334, 0x2322, 0x2329],
  "10": [0x2737, 0x2721, 0x272a],
};
export const CMD_FETCH_DATA = 0xe000;
export const CMD_BREAK = 0x3093;
export const CMD_SOFT_RESET = 0x30a2;
export const CMD_HEATER_ENABLE = 0x306d;
export const CMD_HEATER_DISABLE = 0x3066;
export const CMD_READ_STATUS = 0xf32d;
export const CMD_CLEAR_STATUS = 0x3041;

export const STATUS_ALERT_PENDING = 1 << 15;
export const STATUS_HEATER = 1 << 13;
export const STATUS_RH_ALERT = 1 << 11;
export const STATUS_T_ALERT = 1 << 10;
export const STATUS_RESET_DETECTED = 1 << 4;
export const STATUS_COMMAND = 1 << 1; // last command not processed
export const STATUS_WRITE_CRC = 1 << 0;
/** After power-up or reset: alert pending and system reset detected. */
export const STATUS_RESET = STATUS_ALERT_PENDING | STATUS_RESET_DETECTED;
const STATUS_CLEARABLE = STATUS_ALERT_PENDING | STATUS_RH_ALERT | STATUS_T_ALERT | STATUS_RESET_DETECTED;

/** Repeatability index: 0 high, 1 medium, 2 low. Max measurement duration, ms. */
export const MEASUREMENT_MS = [15.5, 6.5, 4.5];
/** Repeatability (3 sigma) per level, degC and %RH (datasheet Tables 1 and 2). */
export const REPEATABILITY_C = [0.04, 0.08, 0.15];
export const REPEATABILITY_RH = [0.08, 0.15, 0.21];
/** Soft reset time, ms (max); the sensor does not answer meanwhile. */
export const SOFT_RESET_MS = 1.5;

/** CRC-8, polynomial 0x31 (x^8 + x^5 + x^4 + 1), init 0xFF, no reflection, no final XOR. */
export function crc8(bytes: Uint8Array, offset: number, length: number): number {
  let crc = 0xff;
  for (let i = offset; i < offset + length; i++) {
    crc ^= bytes[i];
    for (let b = 0; b < 8; b++) crc = crc & 0x80 ? ((crc << 1) ^ 0x31) & 0xff : (crc << 1) & 0xff;
  }
  return crc;
}

/** degC -> raw: T = -45 + 175 * raw / 65535. */
export function rawFromCelsius(c: number): number {
  return clamp16(Math.round(((c + 45) * 65535) / 175));
}

/** %RH -> raw: RH = 100 * raw / 65535. */
export function rawFromHumidity(rh: number): number {
  return clamp16(Math.round((rh * 65535) / 100));
}

export interface SimSHT3xOptions {
  now: () => number;
  /** degC at a time in seconds. */
  temperature: (tSeconds: number) => number;
  /** %RH at a time in seconds (default 45). */
  humidity?: (tSeconds: number) => number;
  seed?: number;
  /** Scale of the datasheet repeatability noise (1 = datasheet, 0 = none). Default 1. */
  noise?: number;
}

export class SimSHT3x implements I2CTarget {
  present = true;
  /** Measurements completed. */
  measurements = 0;
  /** Time SCL would have been stretched by clock-stretching reads, ms. */
  stretchedMs = 0;

  #now: () => number;
  #temperature: (tSeconds: number) => number;
  #humidity: (tSeconds: number) => number;
  #rng: Rng;
  #noise: number;
  #status = STATUS_RESET;
  #busyUntil = -Infinity; // soft reset in progress
  // The command being written.
  #cmd = 0;
  #cmdBytes = 0;
  #reading = false;
  // Single shot in progress: start time, repeatability, stretching.
  #single = false;
  #singleStart = 0;
  #singleRep = 0;
  #singleStretch = false;
  // Periodic mode.
  #periodic = false;
  #periodMs = 0;
  #periodicRep = 0;
  #periodicT0 = 0;
  #periodicDone = 0;
  #fetched = false;
  // Data memory (latest result) and the reply being read out.
  #data = new Uint8Array(6);
  #hasData = false;
  #reply = new Uint8Array(6);
  #replyLength = 0;
  #replyPos = 0;
  #replyRead = false;
  #corruptByte = -1;
  #corruptBit = 0;

  constructor(options: SimSHT3xOptions) {
    this.#now = options.now;
    this.#temperature = options.temperature;
    this.#humidity = options.humidity ?? (() => 45);
    this.#rng = new Rng(options.seed ?? 0x5f3);
    this.#noise = options.noise ?? 1;
  }

  get status(): number {
    return this.#status;
  }

  get periodic(): boolean {
    return this.#periodic;
  }

  /** Fault hook: flips `bit` of byte `byte` (0..5: T MSB, T LSB, CRC, RH MSB, RH LSB, CRC) in the next reply read out. */
  corrupt(byte = 0, bit = 0): void {
    this.#corruptByte = byte;
    this.#corruptBit = bit & 7;
  }

  start(read: boolean): boolean {
    if (!this.present || this.#now() < this.#busyUntil) return false;
    this.#catchUp();
    this.#reading = read;
    this.#cmdBytes = 0;
    if (!read) return true;
    // A read header: a pending reply (status), else the data memory; nothing -> NACK.
    if (this.#replyLength === 0 && !this.#fetched && this.#single && this.#singleStretch) {
      // Clock stretching: SCL is held until the measurement completes.
      const end = this.#singleStart + MEASUREMENT_MS[this.#singleRep];
      this.stretchedMs += Math.max(0, end - this.#now());
      this.#completeSingle(end);
    }
    if (this.#replyLength === 0 && this.#hasData && (!this.#periodic || this.#fetched)) {
      this.#reply.set(this.#data);
      this.#replyLength = 6;
      this.#hasData = false; // the data memory is cleared once read out
    }
    this.#fetched = false;
    if (this.#replyLength === 0) return false;
    this.#replyPos = 0;
    this.#replyRead = true;
    return true;
  }

  write(byte: number): boolean {
    if (!this.present || this.#reading) return false;
    if (this.#cmdBytes < 2) this.#cmd = ((this.#cmd << 8) | byte) & 0xffff;
    this.#cmdBytes++;
    if (this.#cmdBytes === 2) this.#command(this.#cmd);
    else if (this.#cmdBytes > 2) this.#status |= STATUS_COMMAND; // commands with data are not supported
    return true;
  }

  read(): number {
    if (!this.#reading || this.#replyPos >= this.#replyLength) return 0xff;
    const i = this.#replyPos++;
    let b = this.#reply[i];
    if (i === this.#corruptByte) {
      b ^= 1 << this.#corruptBit;
      this.#corruptByte = -1;
    }
    return b;
  }

  stop(): void {
    if (this.#replyRead) {
      this.#replyLength = 0;
      this.#replyRead = false;
    }
    this.#reading = false;
    this.#cmdBytes = 0;
  }

  #command(cmd: number): void {
    this.#replyLength = 0;
    this.#fetched = false;
    switch (cmd) {
      case CMD_SOFT_RESET:
        this.#reset();
        this.#busyUntil = this.#now() + SOFT_RESET_MS;
        return;
      case CMD_BREAK:
        this.#periodic = false;
        this.#single = false;
        this.#hasData = false;
        return;
      case CMD_FETCH_DATA:
        this.#fetched = this.#periodic;
        return;
      case CMD_HEATER_ENABLE:
        this.#status |= STATUS_HEATER;
        return;
      case CMD_HEATER_DISABLE:
        this.#status &= ~STATUS_HEATER;
        return;
      case CMD_CLEAR_STATUS:
        this.#status &= ~STATUS_CLEARABLE;
        return;
      case CMD_READ_STATUS:
        this.#reply[0] = this.#status >> 8;
        this.#reply[1] = this.#status & 0xff;
        this.#reply[2] = crc8(this.#reply, 0, 2);
        this.#replyLength = 3;
        this.#status &= ~(STATUS_COMMAND | STATUS_WRITE_CRC);
        return;
    }
    const single = SINGLE.indexOf(cmd);
    if (single >= 0) {
      if (this.#periodic || this.#single) {
        this.#status |= STATUS_COMMAND;
        return;
      }
      this.#single = true;
      this.#singleStart = this.#now();
      this.#singleRep = single % 3;
      this.#singleStretch = single >= 3;
      this.#hasData = false;
      return;
    }
    for (const mps in CMD_PERIODIC) {
      const rep = CMD_PERIODIC[mps].indexOf(cmd);
      if (rep < 0) continue;
      if (this.#single) {
        this.#status |= STATUS_COMMAND;
        return;
      }
      this.#periodic = true;
      this.#periodMs = 1000 / Number(mps);
      this.#periodicRep = rep;
      this.#periodicT0 = this.#now();
      this.#periodicDone = 0;
      this.#hasData = false;
      return;
    }
    this.#status |= STATUS_COMMAND; // unknown command
  }

  #reset(): void {
    this.#status = STATUS_RESET;
    this.#single = false;
    this.#periodic = false;
    this.#hasData = false;
    this.#fetched = false;
    this.#replyLength = 0;
  }

  #catchUp(): void {
    const now = this.#now();
    if (this.#single && now >= this.#singleStart + MEASUREMENT_MS[this.#singleRep]) {
      this.#completeSingle(this.#singleStart + MEASUREMENT_MS[this.#singleRep]);
    }
    if (this.#periodic) {
      const elapsed = now - this.#periodicT0 - MEASUREMENT_MS[this.#periodicRep];
      if (elapsed < 0) return;
      const due = Math.floor(elapsed / this.#periodMs + 1e-9) + 1;
      if (due <= this.#periodicDone) return;
      this.measurements += due - this.#periodicDone - 1; // only the newest result survives
      this.#periodicDone = due;
      this.#measure(this.#periodicT0 + (due - 1) * this.#periodMs + MEASUREMENT_MS[this.#periodicRep], this.#periodicRep);
    }
  }

  #completeSingle(atMs: number): void {
    this.#single = false;
    this.#measure(atMs, this.#singleRep);
  }

  /** One measurement, taken at `atMs` (its completion), into the data memory. */
  #measure(atMs: number, rep: number): void {
    const s = atMs / 1000;
    let c = this.#temperature(s);
    let rh = this.#humidity(s);
    if (this.#noise > 0) {
      c += (this.#rng.gaussian() * this.#noise * REPEATABILITY_C[rep]) / 3;
      rh += (this.#rng.gaussian() * this.#noise * REPEATABILITY_RH[rep]) / 3;
    }
    const d = this.#data;
    const t = rawFromCelsius(c);
    const h = rawFromHumidity(rh);
    d[0] = t >> 8;
    d[1] = t & 0xff;
    d[2] = crc8(d, 0, 2);
    d[3] = h >> 8;
    d[4] = h & 0xff;
    d[5] = crc8(d, 3, 2);
    this.#hasData = true;
    this.measurements++;
  }
}

const SINGLE = [
  CMD_SINGLE_HIGH,
  CMD_SINGLE_MEDIUM,
  CMD_SINGLE_LOW,
  CMD_SINGLE_HIGH_STRETCH,
  CMD_SINGLE_MEDIUM_STRETCH,
  CMD_SINGLE_LOW_STRETCH,
];

function clamp16(n: number): number {
  return n < 0 ? 0 : n > 65535 ? 65535 : n;
}
