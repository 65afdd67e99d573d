/*
 * What every simulated accelerometer model takes: the machine's signal per
 * axis in virtual time, a seed for its noise, and a noise multiplier.
 */

export type AxisIndex = 0 | 1 | 2;

export interface SimAccelerometerOptions {
  /** Virtual time in ms. */
  now: () => number;
  /** Acceleration in g on an axis at a time in seconds (gravity included). */
  signal: (axis: AxisIndex, tSeconds: number) => number;
  seed?: number;
  /** Multiplier on the datasheet noise (0: none). Default 1. */
  noise?: number;
}
