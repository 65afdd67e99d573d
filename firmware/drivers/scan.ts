/*
 * Bus scan at start and driver factories for every supported part.
 *
 * scanBus probes only the addresses the six supported parts can have, each by
 * its identification registers (never a bare address ACK), and tells apart the
 * parts that share addresses:
 *   0x18/0x19  LIS3DH (WHO_AM_I 0x0F = 0x33)  or MCP9808 (MANID 0x06 = 0x0054, DEVID 0x07 = 0x04xx)
 *   0x1D/0x53  ADXL345 (DEVID 0x00 = 0xE5)     or ADXL355 (0x00..0x02 = 0xAD 0x1D 0xED)
 *   0x1A-0x1F  MCP9808;  0x48-0x4B  TMP117 (DEVICE_ID 0x0F bits 11:0 = 0x117)
 *   0x44/0x45  SHT3x: no ID register; the status word (command 0xF32D) must carry a valid CRC-8
 * Probes only read registers (the SHT3x status command changes nothing). A NACK
 * or any bus error means "absent": scanBus never throws. Each probe opens and
 * closes its own SMBus, `new bus.io({...bus, address})` as the drivers do.
 */
import type { SMBus } from "../host.js";
import type { Accelerometer, AccelerometerDriverOptions } from "./accelerometer.js";
import type { SensorOptions } from "./sensor.js";
import type { Thermometer } from "./thermometer.js";
import { ADXL345 } from "./adxl345.js";
import { ADXL355 } from "./adxl355.js";
import { LIS3DH, type LIS3DHMode } from "./lis3dh.js";
import { TMP117 } from "./tmp117.js";
import { SHT3x, sht3xCrc8 } from "./sht3x.js";
import { MCP9808 } from "./mcp9808.js";
import { HilAccelerometer } from "./hil.js";

export type AccelerometerKind = "adxl345" | "lis3dh" | "adxl355";
export type ThermometerKind = "tmp117" | "sht3x" | "mcp9808";

export interface FoundDevice<K> {
  kind: K;
  address: number;
}

export interface ScanResult {
  /** In address order. */
  accelerometers: FoundDevice<AccelerometerKind>[];
  thermometers: FoundDevice<ThermometerKind>[];
}

/** Possible I2C addresses of each supported part. */
export const ADDRESSES: { readonly [K in AccelerometerKind | ThermometerKind]: readonly number[] } = {
  adxl345: [0x53, 0x1d],
  lis3dh: [0x18, 0x19],
  adxl355: [0x1d, 0x53],
  tmp117: [0x48, 0x49, 0x4a, 0x4b],
  sht3x: [0x44, 0x45],
  mcp9808: [0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f],
};

/** Identification registers and values (datasheets; see docs/measurement.md). */
const Identity = Object.freeze({
  ADXL3XX_REG_DEVID: 0x00,
  ADXL345_DEVID: 0xe5,
  ADXL355_DEVID_AD: 0xad,
  ADXL355_DEVID_MST: 0x1d,
  ADXL355_PARTID: 0xed,
  LIS3DH_REG_WHO_AM_I: 0x0f,
  LIS3DH_WHO_AM_I: 0x33,
  MCP9808_REG_MANID: 0x06,
  MCP9808_REG_DEVID: 0x07,
  MCP9808_MANID: 0x0054,
  MCP9808_DEVID: 0x04, // DEVID bits 15:8; bits 7:0 are the revision
  TMP117_REG_DEVICE_ID: 0x0f,
  TMP117_DEVICE_ID: 0x0117,
  TMP117_DEVICE_ID_MASK: 0x0fff, // bits 15:12: revision
  SHT3X_CMD_READ_STATUS_MSB: 0xf3,
  SHT3X_CMD_READ_STATUS_LSB: 0x2d,
});

/** Probes every address the supported parts can have on the bus `sensor` names (its io class, hz, pins). Never throws. */
export function scanBus(sensor: SensorOptions): ScanResult {
  const result: ScanResult = { accelerometers: [], thermometers: [] };
  const accel = (kind: AccelerometerKind, address: number) => result.accelerometers.push({ kind, address });
  const thermo = (kind: ThermometerKind, address: number) => result.thermometers.push({ kind, address });
  for (const address of [0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x44, 0x45, 0x48, 0x49, 0x4a, 0x4b, 0x53]) {
    if (address === 0x18 || address === 0x19) {
      if (probe(sensor, address, isLIS3DH)) accel("lis3dh", address);
      else if (probe(sensor, address, isMCP9808)) thermo("mcp9808", address);
    } else if (address === 0x1d || address === 0x53) {
      const kind = probe(sensor, address, adxl3xx);
      if (kind) accel(kind, address);
      else if (address === 0x1d && probe(sensor, address, isMCP9808)) thermo("mcp9808", address);
    } else if (address >= 0x1a && address <= 0x1f) {
      if (probe(sensor, address, isMCP9808)) thermo("mcp9808", address);
    } else if (address === 0x44 || address === 0x45) {
      if (probe(sensor, address, isSHT3x)) thermo("sht3x", address);
    } else if (probe(sensor, address, isTMP117)) {
      thermo("tmp117", address);
    }
  }
  return result;
}

/** Runs one identification probe on its own SMBus; any error (NACK, bus fault) is "no". */
function probe<T>(sensor: SensorOptions, address: number, check: (bus: SMBus) => T): T | undefined {
  let bus: SMBus | undefined;
  try {
    bus = new sensor.io({ ...sensor, address });
    return check(bus);
  } catch {
    return undefined;
  } finally {
    try {
      bus?.close();
    } catch {
      // closing a dead bus is not an error worth reporting from a scan
    }
  }
}

function isLIS3DH(bus: SMBus): boolean {
  return bus.readUint8(Identity.LIS3DH_REG_WHO_AM_I) === Identity.LIS3DH_WHO_AM_I;
}

function isMCP9808(bus: SMBus): boolean {
  return bus.readUint16(Identity.MCP9808_REG_MANID, true) === Identity.MCP9808_MANID && bus.readUint16(Identity.MCP9808_REG_DEVID, true) >> 8 === Identity.MCP9808_DEVID;
}

function adxl3xx(bus: SMBus): AccelerometerKind | undefined {
  const id = bus.readUint8(Identity.ADXL3XX_REG_DEVID);
  if (id === Identity.ADXL345_DEVID) return "adxl345";
  if (id !== Identity.ADXL355_DEVID_AD) return undefined;
  const b = new Uint8Array(3);
  bus.readBuffer(Identity.ADXL3XX_REG_DEVID, b);
  return b[1] === Identity.ADXL355_DEVID_MST && b[2] === Identity.ADXL355_PARTID ? "adxl355" : undefined;
}

function isTMP117(bus: SMBus): boolean {
  return (bus.readUint16(Identity.TMP117_REG_DEVICE_ID, true) & Identity.TMP117_DEVICE_ID_MASK) === Identity.TMP117_DEVICE_ID;
}

function isSHT3x(bus: SMBus): boolean {
  bus.write(Uint8Array.of(Identity.SHT3X_CMD_READ_STATUS_MSB, Identity.SHT3X_CMD_READ_STATUS_LSB));
  const reply = new Uint8Array(3);
  bus.read(reply);
  return crc8(reply[0], reply[1]) === reply[2];
}

/** CRC-8 of two bytes, polynomial 0x31, init 0xFF (SHT3x datasheet: CRC(0xBE, 0xEF) = 0x92). */
export function crc8(b0: number, b1: number): number {
  return sht3xCrc8(Uint8Array.of(b0, b1), 0, 2);
}

// ---- factories ----------------------------------------------------------------------------

/** `sensor.address` defaults to the part's (ADXL345 0x53, LIS3DH 0x18, ADXL355 0x1D, TMP117 0x48, SHT3x 0x44, MCP9808 0x18). */
export interface CreateAccelerometerOptions extends AccelerometerDriverOptions {
  /** LIS3DH only (ignored by the others). */
  mode?: LIS3DHMode;
}

export interface CreateThermometerOptions {
  sensor: SensorOptions;
}

export const ACCELEROMETER_KINDS: readonly AccelerometerKind[] = ["adxl345", "lis3dh", "adxl355"];
export const THERMOMETER_KINDS: readonly ThermometerKind[] = ["tmp117", "sht3x", "mcp9808"];

/**
 * Opens the driver for `kind` (checks the device ID, configures it; throws if absent or another part).
 * "hil" is no part on the bus (never scanned): sample frames streamed over MQTT (firmware/drivers/hil.ts, docs/hil.md).
 */
export function createAccelerometer(kind: AccelerometerKind | "hil", options: CreateAccelerometerOptions): Accelerometer {
  switch (kind) {
    case "hil":
      return new HilAccelerometer(options);
    case "adxl345":
      return new ADXL345(options);
    case "lis3dh":
      return new LIS3DH(options);
    case "adxl355":
      return new ADXL355(options);
    default:
      throw new Error(`unknown accelerometer kind ${String(kind)} (supported: ${ACCELEROMETER_KINDS.join(", ")})`);
  }
}

/** Opens the driver for `kind` (checks the device ID; throws if absent or another part). */
export function createThermometer(kind: ThermometerKind, options: CreateThermometerOptions): Thermometer {
  switch (kind) {
    case "tmp117":
      return new TMP117(options);
    case "sht3x":
      return new SHT3x(options);
    case "mcp9808":
      return new MCP9808(options);
    default:
      throw new Error(`unknown thermometer kind ${String(kind)} (supported: ${THERMOMETER_KINDS.join(", ")})`);
  }
}
