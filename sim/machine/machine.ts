/*
 * A machine as the sensor sees it: acceleration in g per axis against time, from
 * a list of vibration components, plus gravity, and a temperature (a profile or a
 * first-order thermal model). docs/scenarios.md describes every component.
 *
 * The component list is plain mutable data so scenario events can change it while
 * running (set(), or change fields directly: changes take effect from the next
 * sample time). Runtime state (phases, bearing impacts) lives beside the list.
 *
 * Running speed: `rpm` is the target; a change ramps the shaft speed linearly
 * over `rpm_ramp_s` (0: at once). The shaft angle is the integral of the speed,
 * kept in closed form per segment (rebased at each change), so every
 * shaft-locked component (harmonics, imbalance, misalignment, looseness, bearing,
 * gear) keeps a continuous phase through speed changes. A `sine` keeps its phase
 * continuous through freq_hz changes the same way. `rpm` 0 stops every
 * shaft-locked component; `sine` (a fixed tone) and `noise` go on.
 *
 * acceleration() is called per sample, in time order, for x, y and z at the same
 * time: the deterministic part is computed once per sample time for the three
 * axes, without allocating. XS-compatible.
 */
import { Rng } from "../rng.js";
import { BEARING_6205, defectOrder, type BearingDefect, type BearingGeometry } from "./bearing.js";

export { BEARING_6205, BEARING_DEFECTS, defectFrequencies, defectOrder, type BearingDefect, type BearingGeometry } from "./bearing.js";

/** Standard gravity, mm/s^2 per g. */
export const STANDARD_GRAVITY_MM_S2 = 9806.65;

export type MachineAxis = "x" | "y" | "z" | "all";

export interface SineComponent {
  /** Default "all". */
  axis?: MachineAxis;
  kind: "sine";
  freq_hz: number;
  /** Velocity RMS of this tone, mm/s. */
  vrms_mm_s: number;
  /** Phase in radians (default 0). */
  phase?: number;
}

export interface NoiseComponent {
  axis?: MachineAxis;
  kind: "noise";
  /** White gaussian acceleration at the sampling rate, g RMS, independent per axis. */
  g_rms: number;
}

export interface HarmonicsComponent {
  axis?: MachineAxis;
  kind: "harmonics";
  /** Velocity RMS of 1x, 2x, ... Nx running speed, mm/s. */
  vrms_mm_s: number[];
}

export interface ImbalanceComponent {
  axis?: MachineAxis;
  kind: "imbalance";
  /** Velocity RMS at 1x on a radial axis, mm/s. */
  vrms_mm_s: number;
}

export interface MisalignmentComponent {
  axis?: MachineAxis;
  kind: "misalignment";
  /** Velocity RMS at 2x on the axial axis, mm/s (1x is half of it; radial axes half of the axial). */
  vrms_mm_s: number;
}

export interface LoosenessComponent {
  axis?: MachineAxis;
  kind: "looseness";
  /** Velocity RMS of the 1x part before truncation, mm/s. */
  vrms_mm_s: number;
  /** Truncation level as a fraction of the untruncated peak bound (default 0.7). */
  clip?: number;
}

export interface BearingComponent {
  axis?: MachineAxis;
  kind: "bearing";
  defect: BearingDefect;
  /** Initial amplitude of each impact's ring-down, g (BPFI/BSF: in the load zone). */
  severity_g: number;
  /** Geometry (default a 6205). */
  bearing?: BearingGeometry;
  /** Structural resonance the impacts excite, Hz (default min(3000, 0.4 x sample rate)). */
  resonance_hz?: number;
  /** Damping ratio of that resonance (default 0.1). */
  damping?: number;
  /** Random variation of each impact interval, fraction of a period (default 0.01: slip). */
  jitter?: number;
}

export interface GearComponent {
  axis?: MachineAxis;
  kind: "gear";
  /** Teeth on the gear turning at running speed: mesh frequency = teeth x 1x. */
  teeth: number;
  /** Acceleration RMS of the mesh tone, g. */
  g_rms: number;
  /** Amplitude of each sideband at mesh +- 1x, relative to the mesh tone (default 0.1). */
  sidebands?: number;
}

export type VibrationComponent =
  | SineComponent
  | NoiseComponent
  | HarmonicsComponent
  | ImbalanceComponent
  | MisalignmentComponent
  | LoosenessComponent
  | BearingComponent
  | GearComponent;

export type VibrationKind = VibrationComponent["kind"];

/** Every component kind, in the order documented. */
export const VIBRATION_KINDS: readonly VibrationKind[] = ["sine", "noise", "harmonics", "imbalance", "misalignment", "looseness", "bearing", "gear"];

/**
 * Fields a `set` event may change, per kind (`name[]`: an element of an array
 * field, `vrms_mm_s[0]` is 1x).
 */
export const SETTABLE_FIELDS: { readonly [K in VibrationKind]: readonly string[] } = {
  sine: ["freq_hz", "vrms_mm_s"],
  noise: ["g_rms"],
  harmonics: ["vrms_mm_s[]"],
  imbalance: ["vrms_mm_s"],
  misalignment: ["vrms_mm_s"],
  looseness: ["vrms_mm_s", "clip"],
  bearing: ["severity_g", "resonance_hz", "damping", "jitter"],
  gear: ["g_rms", "sidebands"],
};

/** Thermal model fields a `set` event may change (`machine.thermal.<field>`). */
export const THERMAL_FIELDS: readonly string[] = ["ambient_c", "rise_c", "tau_s"];

export interface TemperaturePoint {
  at_s: number;
  value: number;
}

/**
 * First-order thermal model: the temperature approaches ambient_c + rise_c while
 * the machine runs (rpm > 0) and ambient_c when it is stopped, with time constant tau_s.
 */
export interface ThermalModel {
  ambient_c: number;
  /** Steady-state rise over ambient while running, degC. */
  rise_c: number;
  /** Time constant, s. */
  tau_s: number;
  /** Temperature at time 0 (default ambient_c: a cold machine). */
  initial_c?: number;
}

export interface MachineOptions {
  seed?: number;
  rpm?: number;
  /** Seconds a speed change takes (linear ramp; default 1, 0: at once). */
  rpm_ramp_s?: number;
  vibration?: VibrationComponent[];
  /** degC, constant or a piecewise-linear profile (held flat outside its points). */
  temperature_c?: number | TemperaturePoint[];
  /** First-order thermal model instead of temperature_c (it wins when both are given). */
  thermal?: ThermalModel;
  /** Static acceleration in g per axis [x, y, z]; default +1 g on z. */
  gravity?: [number, number, number];
  /** The sensor's sample rate, Hz (default 3200): only sets the default bearing resonance below Nyquist. */
  sample_rate_hz?: number;
}

/** Default damping ratio of the structural resonance a bearing excites. */
export const BEARING_DAMPING = 0.1;
/** Default slip: each impact interval varies by up to +-1 % of a period. */
export const BEARING_JITTER = 0.01;
/** BPFI (1x) and BSF (cage) amplitude modulation depth through the load zone. */
export const LOAD_ZONE_DEPTH = 0.8;
/** Imbalance with axis "all": axial (z) share of the radial 1x. */
export const IMBALANCE_AXIAL = 0.1;
/** Misalignment: 1x relative to 2x, and radial (x, y) relative to axial (z) with axis "all". */
export const MISALIGNMENT_1X = 0.5;
export const MISALIGNMENT_RADIAL = 0.5;
/** Looseness: 0.5x share of the 1x velocity, its phase, and the default truncation. */
export const LOOSENESS_HALF = 0.4;
export const LOOSENESS_HALF_PHASE = Math.PI / 3;
export const LOOSENESS_CLIP = 0.7;
/** Gear: default sideband ratio; below this shaft frequency (Hz) the mesh fades out linearly. */
export const GEAR_SIDEBANDS = 0.1;
const GEAR_FADE_HZ = 1;

const AXIS_NAMES = ["x", "y", "z"];
const TWO_PI = 2 * Math.PI;
const HALF_PI = Math.PI / 2;
/** Impacts remembered per bearing (older ones have rung down). */
const RING = 8;
/** Ring-downs are dropped after this many time constants (e^-14 ~ 1e-6). */
const RING_DOWN_LIMIT = 14;

/** Peak acceleration (g) of a sine at `freqHz` whose velocity RMS is `vrmsMmS`. */
export function sinePeakG(vrmsMmS: number, freqHz: number): number {
  return (vrmsMmS * Math.SQRT2 * TWO_PI * freqHz) / STANDARD_GRAVITY_MM_S2;
}

/** Runtime state of one component (one shape for all kinds). */
class ComponentState {
  readonly c: VibrationComponent;
  // sine: phase(t) = ph0 + 2 pi f (t - t0)
  ph0 = 0;
  t0 = 0;
  f = 0;
  phase = 0;
  // bearing
  order = 0;
  cageOrder = 0;
  started = false;
  cycles = 0;
  next = 1;
  tPrev = 0;
  thPrev = 0;
  head = 0;
  rng: Rng | null = null;
  times: Float64Array | null = null;
  mods: Float64Array | null = null;

  constructor(c: VibrationComponent, seed: number, index: number) {
    this.c = c;
    if (c.kind === "sine") {
      this.f = c.freq_hz;
      this.phase = c.phase ?? 0;
      this.ph0 = this.phase;
    } else if (c.kind === "bearing") {
      const g = c.bearing ?? BEARING_6205;
      this.order = defectOrder(c.defect, g);
      this.cageOrder = defectOrder("ftf", g);
      this.rng = new Rng((seed + Math.imul(index + 1, 0x9e3779b9)) >>> 0);
      this.times = new Float64Array(RING).fill(-Infinity);
      this.mods = new Float64Array(RING);
    }
  }
}

function copyComponent(c: VibrationComponent): VibrationComponent {
  const copy = { ...c } as VibrationComponent;
  if (copy.kind === "harmonics") copy.vrms_mm_s = copy.vrms_mm_s.slice();
  if (copy.kind === "bearing" && copy.bearing) copy.bearing = { ...copy.bearing };
  return copy;
}

export class Machine {
  /** Target running speed, rpm (0: stopped). */
  rpm: number;
  /** Seconds a speed change takes. */
  rpm_ramp_s: number;
  /** Mutable: change fields (or push components) at any time. */
  readonly vibration: VibrationComponent[];
  temperature_c: number | TemperaturePoint[];
  /** When set, the temperature follows this model instead of temperature_c. */
  thermal: ThermalModel | undefined;
  readonly gravity: [number, number, number];
  readonly sampleRateHz: number;
  #seed: number;
  #rng: Rng;
  #states: ComponentState[] = [];
  /** Latest time seen by acceleration() or temperature(): where unsignalled changes take effect. */
  #tLast = 0;
  // per-sample-time cache of the deterministic part, per axis
  #tEval = NaN;
  #sum = new Float64Array(3);
  // shaft: segment from #t0 at angle #th0, speed #f0 -> #f1 (Hz) over #ramp s
  #rpmSeen: number;
  #t0 = 0;
  #th0 = 0;
  #f0: number;
  #f1: number;
  #ramp = 0;
  #theta = 0;
  #fr = 0;
  // thermal: from temperature #tc0 at #tt0 towards #tcInf with #tau
  #tt0 = 0;
  #tc0 = 0;
  #tcInf = 0;
  #tau = 1;
  #thAmbient = NaN;
  #thRise = NaN;
  #thRunning = false;
  #thModel: ThermalModel | undefined;

  constructor(options: MachineOptions = {}) {
    this.rpm = options.rpm ?? 0;
    this.rpm_ramp_s = options.rpm_ramp_s ?? 1;
    // Own copies: events change this machine only, never the caller's scenario.
    this.vibration = (options.vibration ?? []).map(copyComponent);
    const t = options.temperature_c ?? 25;
    this.temperature_c = typeof t === "number" ? t : t.map((p) => ({ at_s: p.at_s, value: p.value }));
    this.thermal = options.thermal ? { ...options.thermal } : undefined;
    this.gravity = options.gravity ? [options.gravity[0], options.gravity[1], options.gravity[2]] : [0, 0, 1];
    this.sampleRateHz = options.sample_rate_hz ?? 3200;
    this.#seed = options.seed ?? 1;
    this.#rng = new Rng(this.#seed);
    this.#rpmSeen = this.rpm;
    this.#f0 = this.#f1 = this.rpm / 60;
    if (this.thermal) {
      const th = this.thermal;
      this.#thModel = th;
      this.#thAmbient = th.ambient_c;
      this.#thRise = th.rise_c;
      this.#tau = th.tau_s;
      this.#thRunning = this.rpm > 0;
      this.#tc0 = th.initial_c ?? th.ambient_c;
      this.#tcInf = th.ambient_c + (this.rpm > 0 ? th.rise_c : 0);
    }
  }

  /** Default resonance of a bearing component, Hz: 3 kHz, or 0.4 x the sample rate when that is lower. */
  get defaultResonanceHz(): number {
    return Math.min(3000, 0.4 * this.sampleRateHz);
  }

  /** Shaft speed (Hz) at the latest evaluated time; follows ramps. */
  get shaftHz(): number {
    return this.#fr;
  }

  /** Acceleration in g on axis 0 (x), 1 (y) or 2 (z) at `t` seconds. */
  acceleration(axis: 0 | 1 | 2, t: number): number {
    if (t !== this.#tEval) this.#evaluate(t);
    let a = this.gravity[axis] + this.#sum[axis];
    const name = AXIS_NAMES[axis];
    const list = this.vibration;
    for (let i = 0; i < list.length; i++) {
      const c = list[i];
      if (c.kind !== "noise" || c.g_rms <= 0) continue;
      if (c.axis !== "all" && c.axis !== undefined && c.axis !== name) continue;
      a += c.g_rms * this.#rng.gaussian();
    }
    return a;
  }

  /** Temperature in degC at `t` seconds. */
  temperature(t: number): number {
    this.#sync(this.#tLast);
    if (t > this.#tLast) this.#tLast = t;
    return this.thermal ? this.#thermalAt(t) : this.#profileAt(t);
  }

  #profileAt(t: number): number {
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
   * Sets one numeric field by path, each optionally prefixed with `machine.`:
   * `rpm`, `rpm_ramp_s`, `temperature_c` (becomes constant; drops a thermal model),
   * `thermal.ambient_c|rise_c|tau_s`, `vibration[i].<field>` or
   * `vibration[i].<field>[k]` (SETTABLE_FIELDS). The change takes effect at
   * `tSeconds` when given, else at the latest time the machine was evaluated
   * (phases and temperature stay continuous either way).
   */
  set(path: string, value: number, tSeconds?: number): void {
    const tr = tSeconds ?? this.#tLast;
    // Changes made directly to the fields before now take effect at the latest time seen.
    this.#sync(this.#tLast);
    const p = path.startsWith("machine.") ? path.slice(8) : path;
    if (p === "rpm") {
      this.rpm = value;
    } else if (p === "rpm_ramp_s") {
      this.rpm_ramp_s = value;
    } else if (p === "temperature_c") {
      this.temperature_c = value;
      this.thermal = undefined;
    } else if (p.startsWith("thermal.")) {
      const field = p.slice(8);
      if (!this.thermal || !THERMAL_FIELDS.includes(field)) throw new Error(`machine: no such path ${path}`);
      (this.thermal as unknown as Record<string, number>)[field] = value;
    } else {
      const m = /^vibration\[(\d+)\]\.([a-z0-9_]+)(?:\[(\d+)\])?$/.exec(p);
      const c = m ? this.vibration[Number(m[1])] : undefined;
      if (!m || !c) throw new Error(`machine: no such path ${path}`);
      const field = m[2];
      const record = c as unknown as Record<string, unknown>;
      if (m[3] !== undefined) {
        const list = record[field];
        const k = Number(m[3]);
        if (!SETTABLE_FIELDS[c.kind].includes(`${field}[]`) || !Array.isArray(list)) throw new Error(`machine: ${path} is not a numeric field`);
        if (k >= list.length) throw new Error(`machine: no such path ${path}`);
        list[k] = value;
      } else {
        const ok = SETTABLE_FIELDS[c.kind].includes(field) || (c.kind === "sine" && field === "phase") || typeof record[field] === "number";
        if (!ok || field === "teeth") throw new Error(`machine: ${path} is not a numeric field`);
        record[field] = value;
      }
    }
    this.#sync(tr);
    this.#tEval = NaN;
  }

  /** Rebases whatever changed since the last look (speed, thermal model, sine frequencies) at time `tr`. */
  #sync(tr: number): void {
    if (this.rpm !== this.#rpmSeen) {
      this.#shaftAt(tr);
      this.#th0 = this.#theta;
      this.#t0 = tr;
      this.#f0 = this.#fr;
      this.#f1 = this.rpm / 60;
      this.#ramp = this.#f1 !== this.#f0 && this.rpm_ramp_s > 0 ? this.rpm_ramp_s : 0;
      this.#rpmSeen = this.rpm;
    }
    const th = this.thermal;
    if (th) {
      const running = this.rpm > 0;
      if (th !== this.#thModel) {
        // a new model: start from the temperature the machine had at tr
        const now = this.#thModel ? this.#thermalAt(tr) : this.#profileAt(tr);
        this.#thModel = th;
        this.#rebaseThermal(tr, now, th, running);
      } else if (th.ambient_c !== this.#thAmbient || th.rise_c !== this.#thRise || th.tau_s !== this.#tau || running !== this.#thRunning) {
        this.#rebaseThermal(tr, this.#thermalAt(tr), th, running);
      }
    } else {
      this.#thModel = undefined;
    }
    const list = this.vibration;
    for (let i = 0; i < list.length; i++) {
      const c = list[i];
      if (c.kind !== "sine") continue;
      const st = this.#state(i, c);
      this.#syncSine(st, c, tr);
    }
  }

  #syncSine(st: ComponentState, c: SineComponent, tr: number): void {
    if (c.freq_hz !== st.f) {
      st.ph0 += TWO_PI * st.f * (tr - st.t0);
      st.t0 = tr;
      st.f = c.freq_hz;
    }
    const ph = c.phase ?? 0;
    if (ph !== st.phase) {
      st.ph0 += ph - st.phase;
      st.phase = ph;
    }
  }

  #rebaseThermal(tr: number, now: number, th: ThermalModel, running: boolean): void {
    this.#tt0 = tr;
    this.#tc0 = now;
    this.#thAmbient = th.ambient_c;
    this.#thRise = th.rise_c;
    this.#tau = th.tau_s;
    this.#thRunning = running;
    this.#tcInf = th.ambient_c + (running ? th.rise_c : 0);
  }

  #thermalAt(t: number): number {
    const dt = t - this.#tt0;
    if (dt <= 0) return this.#tc0;
    return this.#tcInf + (this.#tc0 - this.#tcInf) * Math.exp(-dt / this.#tau);
  }

  /** Shaft angle (#theta, rad) and speed (#fr, Hz) at t, in closed form on the current segment. */
  #shaftAt(t: number): void {
    const tau = t - this.#t0;
    const f0 = this.#f0;
    const f1 = this.#f1;
    const T = this.#ramp;
    if (tau <= 0) {
      this.#fr = f0;
      this.#theta = this.#th0 + TWO_PI * f0 * tau;
    } else if (tau < T) {
      this.#fr = f0 + ((f1 - f0) * tau) / T;
      this.#theta = this.#th0 + TWO_PI * (f0 * tau + ((f1 - f0) * tau * tau) / (2 * T));
    } else {
      this.#fr = f1;
      this.#theta = this.#th0 + Math.PI * (f0 + f1) * T + TWO_PI * f1 * (tau - T);
    }
  }

  #state(i: number, c: VibrationComponent): ComponentState {
    let st = this.#states[i];
    if (st === undefined || st.c !== c) {
      st = new ComponentState(c, this.#seed, i);
      this.#states[i] = st;
    }
    return st;
  }

  /** Computes the deterministic part of all three axes at t into #sum. */
  #evaluate(t: number): void {
    this.#sync(this.#tLast);
    this.#tEval = t;
    if (t > this.#tLast) this.#tLast = t;
    this.#shaftAt(t);
    const theta = this.#theta;
    const fr = this.#fr;
    const s = this.#sum;
    s[0] = 0;
    s[1] = 0;
    s[2] = 0;
    const list = this.vibration;
    for (let i = 0; i < list.length; i++) {
      const c = list[i];
      switch (c.kind) {
        case "noise":
          break;
        case "sine": {
          const st = this.#state(i, c);
          this.#syncSine(st, c, t);
          this.#add(c.axis, sinePeakG(c.vrms_mm_s, c.freq_hz) * Math.sin(st.ph0 + TWO_PI * c.freq_hz * (t - st.t0)));
          break;
        }
        case "harmonics": {
          // sin(k theta) by the Chebyshev recurrence: one sin and one cos for all orders
          const v = c.vrms_mm_s;
          const s1 = Math.sin(theta);
          const twoCos = 2 * Math.cos(theta);
          let prev = 0;
          let cur = s1;
          let a = 0;
          for (let k = 1; k <= v.length; k++) {
            a += sinePeakG(v[k - 1], k * fr) * cur;
            const nxt = twoCos * cur - prev;
            prev = cur;
            cur = nxt;
          }
          this.#add(c.axis, a);
          break;
        }
        case "imbalance": {
          const A = sinePeakG(c.vrms_mm_s, fr);
          const x = A * Math.sin(theta);
          const y = -A * Math.cos(theta); // 90 degrees behind x
          if (c.axis === "all" || c.axis === undefined) {
            s[0] += x;
            s[1] += y;
            s[2] += IMBALANCE_AXIAL * x;
          } else this.#addOne(c.axis, c.axis === "y" ? y : x);
          break;
        }
        case "misalignment": {
          const A2 = sinePeakG(c.vrms_mm_s, 2 * fr);
          const A1 = sinePeakG(MISALIGNMENT_1X * c.vrms_mm_s, fr);
          const axial = A2 * Math.sin(2 * theta) + A1 * Math.sin(theta);
          if (c.axis === "all" || c.axis === undefined) {
            const radialY = A2 * Math.sin(2 * (theta - HALF_PI)) + A1 * Math.sin(theta - HALF_PI);
            s[0] += MISALIGNMENT_RADIAL * axial;
            s[1] += MISALIGNMENT_RADIAL * radialY;
            s[2] += axial;
          } else this.#addOne(c.axis, axial);
          break;
        }
        case "looseness": {
          // velocity v = V sqrt2 [sin th + h sin(th/2 + p)], truncated from above; a = dv/dt (0 while truncated)
          const h = LOOSENESS_HALF;
          const half = 0.5 * theta + LOOSENESS_HALF_PHASE;
          const u = Math.sin(theta) + h * Math.sin(half);
          const clip = c.clip ?? LOOSENESS_CLIP;
          const a = u < clip * (1 + h) ? sinePeakG(c.vrms_mm_s, fr) * (Math.cos(theta) + 0.5 * h * Math.cos(half)) : 0;
          this.#add(c.axis, a);
          break;
        }
        case "bearing":
          this.#add(c.axis, this.#bearing(this.#state(i, c), c, t, theta));
          break;
        case "gear": {
          const fade = fr >= GEAR_FADE_HZ ? 1 : fr / GEAR_FADE_HZ;
          const sb = c.sidebands ?? GEAR_SIDEBANDS;
          // sin(N th) (1 + 2 s cos th) = sin(N th) + s sin((N+1) th) + s sin((N-1) th)
          this.#add(c.axis, fade * Math.SQRT2 * c.g_rms * Math.sin(c.teeth * theta) * (1 + 2 * sb * Math.cos(theta)));
          break;
        }
      }
    }
  }

  /** Bearing defect: impacts at the defect order of the shaft angle (with slip), each ringing down the resonance. */
  #bearing(st: ComponentState, c: BearingComponent, t: number, theta: number): number {
    const times = st.times as Float64Array;
    const mods = st.mods as Float64Array;
    if (!st.started) {
      st.started = true;
      st.tPrev = t;
      st.thPrev = theta;
    } else if (t > st.tPrev) {
      const dth = theta - st.thPrev;
      const cycles = st.cycles + (st.order * dth) / TWO_PI;
      const jitter = c.jitter ?? BEARING_JITTER;
      const rng = st.rng as Rng;
      while (cycles >= st.next) {
        const frac = (st.next - st.cycles) / (cycles - st.cycles);
        const thk = st.thPrev + frac * dth;
        let mod = 1;
        if (c.defect === "bpfi") mod = 1 - (LOAD_ZONE_DEPTH * (1 - Math.cos(thk))) / 2;
        else if (c.defect === "bsf") mod = 1 - (LOAD_ZONE_DEPTH * (1 - Math.cos(st.cageOrder * thk))) / 2;
        times[st.head] = st.tPrev + frac * (t - st.tPrev);
        mods[st.head] = mod;
        st.head = (st.head + 1) % RING;
        st.next += 1 + jitter * (2 * rng.next() - 1);
      }
      st.cycles = cycles;
      st.tPrev = t;
      st.thPrev = theta;
    }
    const wn = TWO_PI * (c.resonance_hz ?? this.defaultResonanceHz);
    const zeta = c.damping ?? BEARING_DAMPING;
    const sigma = zeta * wn;
    const wd = wn * Math.sqrt(1 - zeta * zeta);
    let a = 0;
    for (let j = 0; j < RING; j++) {
      const d = t - times[j];
      if (d < 0 || sigma * d > RING_DOWN_LIMIT) continue;
      a += mods[j] * Math.exp(-sigma * d) * Math.sin(wd * d);
    }
    return c.severity_g * a;
  }

  #add(axis: MachineAxis | undefined, a: number): void {
    const s = this.#sum;
    if (axis === "all" || axis === undefined) {
      s[0] += a;
      s[1] += a;
      s[2] += a;
    } else this.#addOne(axis, a);
  }

  #addOne(axis: "x" | "y" | "z", a: number): void {
    this.#sum[axis === "x" ? 0 : axis === "y" ? 1 : 2] += a;
  }
}
