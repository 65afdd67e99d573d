/*
 * The machine a simulated node runs when nothing else is given (`sensor-node sim`
 * without a scenario, the desktop Moddable build, the XS-vs-Node whole-node run):
 * a motor at its running speed, 1x on x and y, 2x on z, a little broadband
 * noise, 41.5 degC. One definition, so the three agree. XS-compatible.
 */
import type { VibrationComponent } from "./machine.js";

/** Running speed of the default machine, rpm (29.7 Hz: a 4-pole motor with slip). */
export const DEFAULT_RPM = 1782;

export interface DefaultMachine {
  rpm: number;
  vibration: VibrationComponent[];
  temperature_c: number;
}

/**
 * A fresh description (callers may change it; Machine copies it anyway) at
 * `rpm`: the tones follow the running speed, 1.8 mm/s at 1x on x. A healthy
 * machine: every axis in ISO 10816-3 zone A or B of the default class (group 2,
 * rigid: B/C at 2.8 mm/s), so a first run raises nothing.
 */
export function defaultMachine(rpm = DEFAULT_RPM): DefaultMachine {
  const f1 = rpm / 60;
  return {
    rpm,
    vibration: [
      { axis: "x", kind: "sine", freq_hz: f1, vrms_mm_s: 1.8 },
      { axis: "y", kind: "sine", freq_hz: f1, vrms_mm_s: 1.1 },
      { axis: "z", kind: "sine", freq_hz: 2 * f1, vrms_mm_s: 0.6 },
      { axis: "all", kind: "noise", g_rms: 0.005 },
    ],
    temperature_c: 41.5,
  };
}
