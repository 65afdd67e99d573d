/*
 * A machine as the sensor sees it: acceleration in g per axis against time, from
 * a list of components, plus gravity, and a temperature profile. The component
 * list is plain mutable data so scenario events can change it while running.
 * acceleration() loops over the components without allocating (called per sample).
 * XS-compatible.
 */
import { Rng } from "../rng.js";

/** Standard gravity, mm/s^2 per g. */
export const STANDARD_GRAVITY_MM_S2 = 9806.65;

export type MachineAxis = "x" | "y" | "z" | "all";

export interface SineComponent {
  axis: MachineAxis;
  kind: "sine";
  freq_hz: number;
  /** Velocity RMS of this tone, mm/s. */
  vrms_mm_s: number;
  /** Phase in radians (default 0). */
  phase?: number;
}

export interface NoiseComponent {
  axis: MachineAxis;
  kind: "noise";
  /** White gaussian acceleration at the sampling rate, g RMS, independent per axis. */
  g_rms: number;
}

export type VibrationComponent = SineComponent | NoiseComponent;

export interface TemperaturePoint {
  at_s: number;
  value: number;
}

export interface MachineOptions {
  seed?: number;
  rpm?: number;
  vibration?: VibrationComponent[];
  /** degC, constant or a piecewise-linear profile (held flat outside its points). */
  temperature_c?: number | TemperaturePoint[];
  /** Static acceleration in g per axis [x, y, z]; default +1 g on z. */
  gravity?: [number, number, number];
}

const AXIS_NAMES = ["x", "y", "z"];
const TWO_PI = 2 * Math.PI;

/** Peak acceleration (g) of a sine at `freqHz` whose velocity RMS is `vrmsMmS`. */
export function sinePeakG(vrmsMmS: number, freqHz: number): number {
  return (vrmsMmS * Math.SQRT2 * TWO_PI * freqHz) / STANDARD_GRAVITY_MM_S2;
}

export class Machine {
  rpm: number;
  /** Mutable: change fields (or push components) at any time. */
  readonly vibration: VibrationComponent[];
  temperature_c: number | TemperaturePoint[];
  readonly gravity: [number, number, number];
  #rng: Rng;

  constructor(options: MachineOptions = {}) {
    this.rpm = options.rpm ?? 0;
    // Own copies: events change this machine only, never the caller's scenario.
    this.vibration = (options.vibration ?? []).map((c) => ({ ...c }));
    const t = options.temperature_c ?? 25;
    this.temperature_c = typeof t === "number" ? t : t.map((p) => ({ at_s: p.at_s, value: p.value }));
    this.gravity = options.gravity ? [options.gravity[0], options.gravity[1], options.gravity[2]] : [0, 0, 1];
    this.#rng = new Rng(options.seed ?? 1);
  }

  /** Acceleration in g on axis 0 (x), 1 (y) or 2 (z) at `t` seconds. */
  acceleration(axis: 0 | 1 | 2, t: number): number {
    const name = AXIS_NAMES[axis];
    let a = this.gravity[axis];
    const list = this.vibration;
    for (let i = 0; i < list.length; i++) {
      const c = list[i];
      if (c.axis !== "all" && c.axis !== name) continue;
      if (c.kind === "sine") {
        a += sinePeakG(c.vrms_mm_s, c.freq_hz) * Math.sin(TWO_PI * c.freq_hz * t + (c.phase ?? 0));
      } else if (c.g_rms > 0) {
        a += c.g_rms * this.#rng.gaussian();
      }
    }
    return a;
  }

  /** Temperature in degC at `t` seconds. */
  temperature(t: number): number {
    const p = this.temperature_c;
    if (typeof p === "number") return p;
    if (p.length === 0) return 25;
    if (t <= p[0].at_s) return p[0].value;
    for (let i = 1; i < p.length; i++) {
      if (t <= p[i].at_s) {
        const a = p[i - 1];
        const b = p[i];
        const span = b.at_s - a.at_s;
        return span > 0 ? a.value + ((b.value - a.value) * (t - a.at_s)) / span : b.value;
      }
    }
    return p[p.length - 1].value;
  }

  /**
   * Sets one numeric field by path: `rpm`, `temperature_c` (becomes constant),
   * `vibration[i].<field>`, each optionally prefixed with `machine.`.
   */
  set(path: string, value: number): void {
    const p = path.startsWith("machine.") ? path.slice(8) : path;
    if (p === "rpm") {
      this.rpm = value;
      return;
    }
    if (p === "temperature_c") {
      this.temperature_c = value;
      return;
    }
    const m = /^vibration\[(\d+)\]\.([a-z_]+)$/.exec(p);
    const c = m ? (this.vibration[Number(m[1])] as unknown as Record<string, unknown>) : undefined;
    if (!m || !c) throw new Error(`machine: no such path ${path}`);
    if (typeof c[m[2]] !== "number" && m[2] !== "phase") throw new Error(`machine: ${path} is not a numeric field`);
    c[m[2]] = value;
  }
}
