/*
 * The options every driver takes, in the shape of the Moddable SDK's drivers
 * (ECMA-419 Sensor Class Pattern):
 *
 *   sensor     {io: SMBus class, address?, hz?, port?, data?, clock?}: spread into
 *              `new sensor.io({address: <part default>, ...sensor})`, so any I2C
 *              option the host knows passes through untouched.
 *   interrupt  {io: Digital class, pin, mode?}: spread into `new interrupt.io(...)`
 *              with the driver's edge and onReadable (accelerometers: FIFO watermark).
 */
import type { DigitalConstructor, SMBusConstructor, SMBusOptions } from "../host.js";

export interface SensorOptions extends Partial<SMBusOptions> {
  io: SMBusConstructor;
}

export interface InterruptOptions {
  io: DigitalConstructor;
  pin: number | string;
  /** Default: the class's Input (the parts drive their interrupt lines push-pull). */
  mode?: number;
}
