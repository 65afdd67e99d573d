/*
 * Fleet node specs: every node its own seed and its own machine (running speed,
 * 1x/2x amplitudes, noise and temperature drawn from the seed), and a light
 * measurement configuration so that thousands of nodes fit on a desktop:
 * 1 Hz telemetry from a duty cycle (one short window captured every second).
 */
import { Rng } from "../../sim/rng.js";
import type { NodeSpec } from "../simulator/simulation.js";
import type { Scenario } from "../scenario/parse.js";

/**
 * The fleet's node configuration. What a simulated node costs is dominated by
 * generating its samples (machine model + register-level FIFO reads on the
 * simulated bus) and by the three FFTs per window, both proportional to the
 * samples per second. A real duty-cycled node does the same: 256 samples per
 * axis at 400 Hz (0.64 s) captured once per second, analysed in 10-190 Hz
 * (the band must stay below Nyquist at 400 Hz). The firmware, its DSP, monitor,
 * outbox and MQTT client are the real ones; only the window is short.
 */
export const FLEET_CONFIG: Record<string, unknown> = {
  accelerometer: { kind: "adxl345", odr: 400 },
  temperature: { kind: "tmp117" },
  window: { n: 256 },
  band: { lowHz: 10, highHz: 190 },
  acquisition: { mode: "duty", captureS: 0.7, periodS: 1 },
  mqtt: { keepalive: 60 },
};

/** A machine drawn from the seed: 900..3600 rpm, 1x on x and y, 2x on z, broadband noise. */
export function fleetMachine(seed: number): Scenario["machine"] {
  const rng = new Rng(seed ^ 0x0f1ee7);
  const u = (lo: number, hi: number) => lo + (hi - lo) * rng.next();
  const rpm = Math.round(u(900, 3600));
  const f1 = Math.round((rpm / 60) * 100) / 100;
  const x = round2(u(0.5, 6));
  return {
    rpm,
    vibration: [
      { axis: "x", kind: "sine", freq_hz: f1, vrms_mm_s: x },
      { axis: "y", kind: "sine", freq_hz: f1, vrms_mm_s: round2(x * u(0.3, 0.8)) },
      { axis: "z", kind: "sine", freq_hz: round2(2 * f1), vrms_mm_s: round2(u(0.2, 1.5)) },
      { axis: "all", kind: "noise", g_rms: Math.round(u(0.002, 0.01) * 10000) / 10000 },
    ],
    temperature_c: Math.round(u(30, 70) * 10) / 10,
  } as Scenario["machine"];
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}

export interface FleetSpecOptions {
  prefixId?: string;
  /** Merged over FLEET_CONFIG (e.g. payload). */
  config?: Record<string, unknown>;
}

export function fleetSpecs(count: number, seed: number, options: FleetSpecOptions = {}): NodeSpec[] {
  const base = options.prefixId ?? "node";
  const specs: NodeSpec[] = [];
  for (let i = 0; i < count; i++) {
    const nodeSeed = (seed + i * 7919) >>> 0;
    specs.push({
      nodeId: `${base}-${i + 1}`,
      seed: nodeSeed,
      accelerometer: "adxl345",
      temperature: "tmp117",
      machine: fleetMachine(nodeSeed),
      config: { ...FLEET_CONFIG, ...options.config },
    });
  }
  return specs;
}
