/*
 * A Host whose parts cost (almost) nothing in XS, so the firmware's own memory
 * can be measured apart from the simulator's (tools/xs/cases/firmware-case.ts,
 * docs/performance.md "Whole-node memory"): an ADXL345 and a TMP117 as register
 * stubs answering the real drivers (no simulated bus, machine or noise), the
 * virtual clock's timers, flash-like storage (counted apart) and the loopback
 * broker. Plain ECMAScript; bundled by tools/xs/harness.ts.
 */
import type { Host, SMBus, SMBusConstructor, SMBusOptions } from "../../../firmware/host.js";
import { VirtualClock } from "../../../sim/clock.js";
import { LoopbackNet, XsMemoryStorage } from "./host-parts.js";

export const STUB_ADXL345_ADDRESS = 0x53;
export const STUB_TMP117_ADDRESS = 0x48;
/** Configuration that opens the stubs directly (no bus scan). */
export const STUB_SENSOR_CONFIG = {
  accelerometer: { kind: "adxl345", address: STUB_ADXL345_ADDRESS },
  temperature: { kind: "tmp117", address: STUB_TMP117_ADDRESS },
};

const ADXL345_DEVID = 0xe5;
const ADXL345_REG_DEVID = 0x00;
const ADXL345_REG_BW_RATE = 0x2c;
const ADXL345_REG_INT_SOURCE = 0x30;
const ADXL345_REG_FIFO_STATUS = 0x39;
const ADXL345_FIFO_DEPTH = 32;
const ADXL345_INT_OVERRUN = 1;
/** Hz = base x 2^rate code (datasheet table 7). */
const ADXL345_ODR_BASE_HZ = 0.09765625;
/** Power-on BW_RATE code (100 Hz). */
const ADXL345_RATE_RESET = 0x0a;
/** The signal: one period of a sine in this many samples (50 Hz at 3200 Hz), LSB per axis (3.9 mg/LSB full resolution). */
const WAVE_SAMPLES = 64;
const WAVE_LSB = [13, 5, 3];

const TMP117_REG_TEMP = 0x00;
const TMP117_REG_CONFIG = 0x01;
const TMP117_REG_DEVICE_ID = 0x0f;
const TMP117_DEVICE_ID = 0x0117;
const TMP117_DATA_READY = 1 << 13;
/** 41.5 degC at 1/128 degC per LSB. */
const TMP117_TEMP_RAW = 41.5 * 128;

/** Register-level ADXL345: the FIFO fills at the ODR on the virtual clock; every entry is the next point of a fixed sine. */
class StubADXL345 {
  #now: () => number;
  #rateCode = ADXL345_RATE_RESET;
  /** Samples taken out of the FIFO (or lost to overrun) since the clock's 0. */
  #consumed = 0;
  #overrun = false;
  #wave = new Int16Array(WAVE_SAMPLES);

  constructor(now: () => number) {
    this.#now = now;
    for (let i = 0; i < WAVE_SAMPLES; i++) this.#wave[i] = Math.round(Math.sin((2 * Math.PI * i) / WAVE_SAMPLES) * 256);
  }

  #entries(): number {
    const produced = Math.floor((this.#now() * ADXL345_ODR_BASE_HZ * 2 ** this.#rateCode) / 1000);
    if (produced - this.#consumed > ADXL345_FIFO_DEPTH) {
      this.#consumed = produced - ADXL345_FIFO_DEPTH;
      this.#overrun = true;
    }
    return produced - this.#consumed;
  }

  readUint8(register: number): number {
    if (register === ADXL345_REG_DEVID) return ADXL345_DEVID;
    if (register === ADXL345_REG_FIFO_STATUS) return this.#entries();
    if (register === ADXL345_REG_INT_SOURCE) {
      const overrun = this.#overrun;
      this.#overrun = false;
      return overrun ? ADXL345_INT_OVERRUN : 0;
    }
    return 0;
  }

  writeUint8(register: number, value: number): void {
    if (register === ADXL345_REG_BW_RATE) {
      this.#rateCode = value & 0x0f;
      this.#consumed = Math.floor((this.#now() * ADXL345_ODR_BASE_HZ * 2 ** this.#rateCode) / 1000);
    }
  }

  /** A burst from DATAX0 pops one FIFO entry (x, y, z little-endian). */
  readBuffer(buffer: Uint8Array): void {
    const phase = this.#consumed++ % WAVE_SAMPLES;
    for (let axis = 0; axis < 3; axis++) {
      const v = (this.#wave[phase] * WAVE_LSB[axis]) >> 8;
      buffer[2 * axis] = v & 0xff;
      buffer[2 * axis + 1] = (v >> 8) & 0xff;
    }
  }
}

function nack(address: number): never {
  throw new Error(`I2C NACK at 0x${address.toString(16)}`);
}

/**
 * SMBus on the two stubs; every other address NACKs. A class, not an object of
 * closures: on a device an SMBus is a host object of a few slots, and 11
 * closures per open (about 100 slots) were counted as the firmware's.
 */
class StubSMBus implements SMBus {
  readonly address: number;
  #accel: StubADXL345 | undefined;

  constructor(address: number, accel: StubADXL345 | undefined) {
    this.address = address;
    this.#accel = accel;
  }
  readUint8(register: number): number {
    return this.#accel ? this.#accel.readUint8(register) : nack(this.address);
  }
  writeUint8(register: number, value: number): void {
    if (this.#accel) this.#accel.writeUint8(register, value);
    else nack(this.address);
  }
  readUint16(register: number): number {
    if (this.#accel) return nack(this.address);
    if (register === TMP117_REG_DEVICE_ID) return TMP117_DEVICE_ID;
    if (register === TMP117_REG_CONFIG) return TMP117_DATA_READY;
    return register === TMP117_REG_TEMP ? TMP117_TEMP_RAW : 0;
  }
  writeUint16(): void {}
  readBuffer(_register: number, buffer: Uint8Array): void {
    if (this.#accel) this.#accel.readBuffer(buffer);
    else nack(this.address);
  }
  writeBuffer(): void {}
  write(): void {
    nack(this.address);
  }
  read(): void {
    nack(this.address);
  }
  close(): void {}
}

/** The host's SMBus class on the stubs (`new host.io.SMBus({address})`, as the drivers open it). */
function stubSMBusClass(accel: StubADXL345): SMBusConstructor {
  return class extends StubSMBus {
    constructor(options: SMBusOptions) {
      const address = options.address;
      const isAccel = address === STUB_ADXL345_ADDRESS;
      if (!isAccel && address !== STUB_TMP117_ADDRESS) nack(address);
      super(address, isAccel ? accel : undefined);
    }
  };
}

/** What the firmware-only measurement is built from (tools/xs/cases/firmware-case.ts). */
export interface FirmwareSpec {
  nodeId: string;
  epochMs: number;
  /** Partial configuration over the defaults (the stub sensors are added). */
  config: Record<string, unknown>;
}

/** The subsystems measured by a marginal instance (firmware-case "add"). */
export const COMPONENTS = ["acquisition", "dsp", "monitor", "outbox", "mqtt"] as const;
export type Component = (typeof COMPONENTS)[number];

export interface StubHost {
  host: Host;
  clock: VirtualClock;
  net: LoopbackNet;
}

/** The host of the firmware-only measurement; `epochMs` is the wall time at virtual 0. */
export function buildStubHost(nodeId: string, epochMs: number): StubHost {
  const clock = new VirtualClock({ epochMs });
  const net = new LoopbackNet();
  const accel = new StubADXL345(() => clock.now());
  const host: Host = {
    io: { SMBus: stubSMBusClass(accel), tcp: (o) => net.open(o) },
    timers: clock,
    clock,
    storage: new XsMemoryStorage(),
    hardwareId: nodeId,
    log: () => undefined,
    restart: () => undefined,
  };
  return { host, clock, net };
}
