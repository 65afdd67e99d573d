/*
 * Sensor plausibility per window: what a broken, loose or overloaded
 * accelerometer looks like in its own data. A reading that fails these checks
 * is a sensor fault, never a machine alarm.
 *   stuck      - an axis repeats one value for the whole window (a frozen
 *                register, a sensor that stopped converting)
 *   saturated  - samples at full scale: the true vibration is larger than
 *                the range, so every feature would under-read
 *   implausible- NaN, infinity, or beyond full scale (garbage on the bus)
 *   overrun    - more than the allowed share of samples lost to FIFO overflow
 * Samples are read in their stored unit (g, or the acquirer's 2-byte counts):
 * the limits are converted once per window, not each sample to g.
 */
import { IN_G, type SampleScale, type WindowSamples } from "../acquisition/acquirer.js";

export interface HealthOptions {
  /** Full scale of the accelerometer, +/- g. */
  rangeG: number;
  /** Share of a window's samples at full scale that makes it saturated (default 0.1%). */
  saturatedShare?: number;
  /** Share of samples lost to overrun that makes a fault (default 1%). */
  lostShare?: number;
}

export interface HealthVerdict {
  reason: "stuck" | "saturated" | "implausible" | "overrun";
  detail: string;
}

/** Fraction of full scale counted as "at full scale" (quantization leaves the last LSB short). */
const FULL_SCALE_FRACTION = 0.995;
const MIN_SATURATED_SAMPLES = 3;
/** Beyond full scale by this factor: not a reading the part can make. */
const IMPLAUSIBLE_FRACTION = 1.01;

export function checkWindow(
  axes: readonly WindowSamples[],
  n: number,
  lost: number,
  options: HealthOptions,
  unit: SampleScale = IN_G,
): HealthVerdict | undefined {
  const { scale, offset } = unit;
  // limits in the stored unit: g = (v - offset) * scale
  const limit = (options.rangeG * FULL_SCALE_FRACTION) / scale;
  const hi = offset + limit;
  const lo = offset - limit;
  const beyond = (options.rangeG * IMPLAUSIBLE_FRACTION) / scale;
  const above = offset + beyond;
  const below = offset - beyond;
  // At least a few samples: one sample at full scale is a knock, not a clipped signal.
  const saturatedMax = Math.max(MIN_SATURATED_SAMPLES, Math.floor(n * (options.saturatedShare ?? 0.001)));
  for (let a = 0; a < axes.length; a++) {
    const s = axes[a];
    const name = "xyz"[a];
    const first = s[0];
    let same = true;
    let atScale = 0;
    for (let i = 0; i < n; i++) {
      const v = s[i];
      if (v !== v || v === Infinity || v === -Infinity || v > above || v < below) {
        return { reason: "implausible", detail: `${name} sample ${i} is ${(v - offset) * scale} (range +-${options.rangeG} g)` };
      }
      if (v !== first) same = false;
      if (v >= hi || v <= lo) atScale++;
    }
    if (same) return { reason: "stuck", detail: `${name} reads ${(first - offset) * scale} g for all ${n} samples` };
    if (atScale >= saturatedMax) return { reason: "saturated", detail: `${name}: ${atScale} of ${n} samples at full scale (+-${options.rangeG} g)` };
  }
  const lostMax = n * (options.lostShare ?? 0.01);
  if (lost > lostMax) return { reason: "overrun", detail: `${lost} samples lost to FIFO overrun in a window of ${n}` };
  return undefined;
}
