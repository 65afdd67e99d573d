/*
 * I2C bus model at byte level. Targets see START (with R/W), each byte with its
 * ACK/NACK, repeated START and STOP, so register-pointer protocols and FIFO pops
 * behave as on the wire. Every transfer (START .. STOP, repeated STARTs included)
 * is charged in SCL clocks and reported through `onBusTime`, which the simulator
 * host uses to move virtual time: bus bandwidth is a real constraint here.
 * XS-compatible.
 */
import type { SMBus, SMBusConstructor, SMBusOptions } from "../firmware/host.js";
import { hex } from "../firmware/util/format.js";

/** A device on the bus. Return false from start/write to NACK. */
export interface I2CTarget {
  /** Address matched; `read` is the R/W bit. Called again without stop() for a repeated START. */
  start(read: boolean): boolean;
  /** Controller writes a byte; return the ACK. */
  write(byte: number): boolean;
  /** Controller reads a byte (the controller ACKs all but the last). */
  read(): number;
  stop(): void;
}

export interface SimI2CBusOptions {
  /** SCL frequency; 400 kHz fast mode by default. */
  hz?: number;
  /** Time source in ms (the virtual clock). */
  now: () => number;
  /** Called at each STOP with that transfer's duration in ms. */
  onBusTime?: (ms: number) => void;
}

/** Clocks per byte: 8 data bits and the ACK bit. */
export const CLOCKS_PER_BYTE = 9;
/** START (or repeated START) and STOP conditions, counted as one SCL period each. */
export const CLOCKS_START = 1;
export const CLOCKS_STOP = 1;

export class SimI2CBus {
  readonly hz: number;
  busyMs = 0;
  bytesOnWire = 0;
  transfers = 0;
  #now: () => number;
  #onBusTime: ((ms: number) => void) | undefined;
  #targets = new Map<number, I2CTarget>();
  /**
   * SDA held low by a target caught mid-byte (a reset of the controller in the
   * middle of a read): it lets go after `clocks` more SCL pulses, and the bus is
   * usable again only after a STOP. "short": held low for good (a damaged part).
   */
  #jam: { clocks: number; released: boolean } | "short" | undefined;
  #lineSda = 1;
  #lineScl = 1;
  // The transfer in progress (between START and STOP).
  #active: I2CTarget | undefined;
  #activeAddress = -1;
  #open = false;
  #clocks = 0;
  #clockHz = 0;

  constructor(options: SimI2CBusOptions) {
    this.hz = options.hz ?? 400000;
    this.#now = options.now;
    this.#onBusTime = options.onBusTime;
  }

  attach(address: number, target: I2CTarget): void {
    if (this.#targets.has(address)) throw new Error(`I2C address 0x${hex(address)} already in use`);
    this.#targets.set(address, target);
  }

  detach(address: number): void {
    this.#targets.delete(address);
  }

  /** A stuck bus that no recovery clears (SDA shorted low): every transfer throws. */
  setStuck(stuck: boolean): void {
    this.#jam = stuck ? "short" : undefined;
  }

  /** A target holds SDA low until `clocks` SCL pulses (1..9) and a STOP free it: what the recovery sequence is for. */
  jam(clocks: number): void {
    this.#jam = { clocks: Math.max(1, Math.min(9, Math.floor(clocks))), released: false };
  }

  get stuck(): boolean {
    return this.#jam !== undefined;
  }

  /** SCL pulses and STOPs seen on the raw lines (recovery attempts), for tests. */
  linePulses = 0;
  lineStops = 0;

  /** The raw lines, wired-AND with whatever a target holds (Host `io.i2cLines`). */
  lines(): { sda: { read(): 0 | 1; write(level: 0 | 1): void }; scl: { read(): 0 | 1; write(level: 0 | 1): void }; close(): void } {
    const bus = this;
    const halfPeriodMs = 500 / this.hz;
    this.#lineSda = 1;
    this.#lineScl = 1;
    return {
      sda: {
        read: () => bus.#sdaLevel(),
        write(level: 0 | 1) {
          const wasLow = bus.#sdaLevel() === 0;
          bus.#lineSda = level;
          // STOP: SDA rises while SCL is high.
          if (level === 1 && wasLow && bus.#lineScl === 1 && bus.#sdaLevel() === 1) {
            bus.lineStops++;
            if (bus.#jam !== undefined && bus.#jam !== "short" && bus.#jam.released) bus.#jam = undefined;
          }
        },
      },
      scl: {
        read: () => bus.#lineScl as 0 | 1,
        write(level: 0 | 1) {
          const rising = level === 1 && bus.#lineScl === 0;
          bus.#lineScl = level;
          bus.#onBusTime?.(halfPeriodMs);
          if (!rising) return;
          bus.linePulses++;
          const jam = bus.#jam;
          if (jam !== undefined && jam !== "short" && !jam.released && --jam.clocks <= 0) jam.released = true;
        },
      },
      close: () => {
        this.#lineSda = 1;
        this.#lineScl = 1;
      },
    };
  }

  #sdaLevel(): 0 | 1 {
    const jam = this.#jam;
    const held = jam === "short" || (jam !== undefined && !jam.released);
    return held || this.#lineSda === 0 ? 0 : 1;
  }

  /** Current time as the bus sees it (for targets that want it). */
  now(): number {
    return this.#now();
  }

  // ---- byte-level controller operations -------------------------------------------------

  /** START (or repeated START if a transfer is open) + address byte. Returns the address ACK. */
  start(address: number, read: boolean, hz = this.hz): boolean {
    if (this.#jam !== undefined) {
      this.#abort();
      throw new Error("I2C bus stuck (SDA held low)");
    }
    if (!this.#open) {
      this.#open = true;
      this.#clocks = 0;
      this.#clockHz = hz;
    } else if (this.#active && this.#activeAddress !== address) {
      this.#active.stop(); // a repeated START to another address ends the first target's part
    }
    this.#clocks += CLOCKS_START + CLOCKS_PER_BYTE;
    this.bytesOnWire++;
    const target = this.#targets.get(address);
    this.#active = target;
    this.#activeAddress = address;
    return target ? target.start(read) : false;
  }

  writeByte(byte: number): boolean {
    this.#clocks += CLOCKS_PER_BYTE;
    this.bytesOnWire++;
    return this.#active ? this.#active.write(byte & 0xff) : false;
  }

  readByte(): number {
    this.#clocks += CLOCKS_PER_BYTE;
    this.bytesOnWire++;
    return this.#active ? this.#active.read() & 0xff : 0xff; // an idle bus reads as pulled-up ones
  }

  /** STOP: ends the transfer and charges its time. */
  stop(): void {
    if (!this.#open) return;
    this.#active?.stop();
    this.#clocks += CLOCKS_STOP;
    const ms = (this.#clocks * 1000) / this.#clockHz;
    this.#open = false;
    this.#active = undefined;
    this.#activeAddress = -1;
    this.busyMs += ms;
    this.transfers++;
    this.#onBusTime?.(ms);
  }

  /** Duration in ms of one transfer of `bytes` bytes (address bytes included) with `starts` START conditions. */
  transferMs(bytes: number, starts = 1, hz = this.hz): number {
    return ((starts * CLOCKS_START + bytes * CLOCKS_PER_BYTE + CLOCKS_STOP) * 1000) / hz;
  }

  #abort(): void {
    if (!this.#open) return;
    this.#active?.stop();
    this.#open = false;
    this.#active = undefined;
    this.#activeAddress = -1;
  }

  #SMBus: SMBusConstructor | undefined;

  /** This bus's ECMA-419 SMBus class (the Host's `io.SMBus`): `new bus.SMBus({address, hz})`. Pins and ports are ignored. */
  get SMBus(): SMBusConstructor {
    if (!this.#SMBus) {
      const bus = this;
      this.#SMBus = class extends SimSMBus {
        constructor(options: SMBusOptions) {
          super(bus, options.address, options.hz ?? bus.hz);
        }
      };
    }
    return this.#SMBus;
  }

  /** An ECMA-419 SMBus for one address on this bus (`new this.SMBus(options)`). */
  smbus(options: SMBusOptions): SMBus {
    return new SimSMBus(this, options.address, options.hz ?? this.hz);
  }
}

class SimSMBus implements SMBus {
  readonly address: number;
  #bus: SimI2CBus | undefined;
  #hz: number;
  #two = new Uint8Array(2);

  constructor(bus: SimI2CBus, address: number, hz: number) {
    this.#bus = bus;
    this.address = address;
    this.#hz = hz;
  }

  readUint8(register: number): number {
    const bus = this.#pointer(register);
    this.#addr(bus, true);
    const value = bus.readByte();
    bus.stop();
    return value;
  }

  writeUint8(register: number, value: number): void {
    const bus = this.#pointer(register);
    this.#data(bus, value, 1);
    bus.stop();
  }

  readUint16(register: number, bigEndian = false): number {
    const b = this.#two;
    this.readBuffer(register, b);
    return bigEndian ? (b[0] << 8) | b[1] : b[0] | (b[1] << 8);
  }

  writeUint16(register: number, value: number, bigEndian = false): void {
    const bus = this.#pointer(register);
    const hi = (value >> 8) & 0xff;
    const lo = value & 0xff;
    this.#data(bus, bigEndian ? hi : lo, 1);
    this.#data(bus, bigEndian ? lo : hi, 2);
    bus.stop();
  }

  readBuffer(register: number, buffer: Uint8Array): void {
    const bus = this.#pointer(register);
    this.#addr(bus, true);
    for (let i = 0; i < buffer.length; i++) buffer[i] = bus.readByte();
    bus.stop();
  }

  writeBuffer(register: number, buffer: Uint8Array): void {
    const bus = this.#pointer(register);
    for (let i = 0; i < buffer.length; i++) this.#data(bus, buffer[i], i + 1);
    bus.stop();
  }

  write(buffer: Uint8Array, stop = true): void {
    const bus = this.#use();
    this.#addr(bus, false);
    for (let i = 0; i < buffer.length; i++) this.#data(bus, buffer[i], i);
    if (stop) bus.stop();
  }

  read(buffer: Uint8Array, stop = true): void {
    const bus = this.#use();
    this.#addr(bus, true);
    for (let i = 0; i < buffer.length; i++) buffer[i] = bus.readByte();
    if (stop) bus.stop();
  }

  close(): void {
    this.#bus = undefined;
  }

  #use(): SimI2CBus {
    if (!this.#bus) throw new Error(`SMBus 0x${hex(this.address)} is closed`);
    return this.#bus;
  }

  /** START, address+W, register pointer; ready for data bytes or a repeated START. */
  #pointer(register: number): SimI2CBus {
    const bus = this.#use();
    this.#addr(bus, false);
    this.#data(bus, register, 0);
    return bus;
  }

  #addr(bus: SimI2CBus, read: boolean): void {
    if (!bus.start(this.address, read, this.#hz)) {
      bus.stop();
      throw new Error(`I2C NACK at 0x${hex(this.address)} (address, ${read ? "read" : "write"})`);
    }
  }

  #data(bus: SimI2CBus, byte: number, index: number): void {
    if (!bus.writeByte(byte)) {
      bus.stop();
      throw new Error(`I2C NACK at 0x${hex(this.address)} (data byte ${index})`);
    }
  }
}

