/*
 * The simulated accelerometer of a part, by the driver's kind name (the simulator's
 * node, and `sensor-node config check`, which opens the part's own driver on it).
 */
import type { SimAccelerometerOptions } from "./accelerometer.js";
import type { SimFifoAccelerometer } from "./fifo-accelerometer.js";
import { SimADXL345 } from "./adxl345.js";
import { SimLIS3DH } from "./lis3dh.js";
import { SimADXL355 } from "./adxl355.js";

export type SimAccelerometerKind = "adxl345" | "lis3dh" | "adxl355";

export function simAccelerometer(kind: SimAccelerometerKind, options: SimAccelerometerOptions): SimFifoAccelerometer {
  return kind === "lis3dh" ? new SimLIS3DH(options) : kind === "adxl355" ? new SimADXL355(options) : new SimADXL345(options);
}
