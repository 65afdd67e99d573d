/*
 * Rolling-element bearing kinematics: defect frequencies as multiples of the
 * shaft frequency, from the bearing's geometry (outer race fixed, inner race
 * turning with the shaft, pure rolling). XS-compatible.
 *
 *   BPFO = n/2 fr (1 - d/D cos a)        ball pass, outer race
 *   BPFI = n/2 fr (1 + d/D cos a)        ball pass, inner race
 *   BSF  = D/(2d) fr (1 - (d/D cos a)^2) ball spin
 *   FTF  = fr/2 (1 - d/D cos a)          fundamental train (cage)
 *
 * n balls of diameter d on pitch diameter D, contact angle a.
 */

export type BearingDefect = "bpfo" | "bpfi" | "bsf" | "ftf";

export const BEARING_DEFECTS: readonly BearingDefect[] = ["bpfo", "bpfi", "bsf", "ftf"];

export interface BearingGeometry {
  /** Number of rolling elements. */
  balls: number;
  /** Rolling-element diameter, mm. */
  ball_d_mm: number;
  /** Pitch diameter, mm. */
  pitch_d_mm: number;
  /** Contact angle, degrees. */
  contact_deg: number;
}

/** A 6205 deep-groove ball bearing (the default). */
export const BEARING_6205: Readonly<BearingGeometry> = { balls: 9, ball_d_mm: 7.94, pitch_d_mm: 39.04, contact_deg: 0 };

/** Defect frequency of `defect` divided by the shaft frequency (an order). */
export function defectOrder(defect: BearingDefect, g: BearingGeometry = BEARING_6205): number {
  const r = (g.ball_d_mm / g.pitch_d_mm) * Math.cos((g.contact_deg * Math.PI) / 180);
  switch (defect) {
    case "bpfo":
      return (g.balls / 2) * (1 - r);
    case "bpfi":
      return (g.balls / 2) * (1 + r);
    case "bsf":
      return (g.pitch_d_mm / (2 * g.ball_d_mm)) * (1 - r * r);
    case "ftf":
      return 0.5 * (1 - r);
  }
  throw new Error(`bearing: unknown defect ${String(defect)}`);
}

/** The four defect frequencies in Hz at `rpm`. */
export function defectFrequencies(rpm: number, g: BearingGeometry = BEARING_6205): { bpfo: number; bpfi: number; bsf: number; ftf: number } {
  const fr = rpm / 60;
  return {
    bpfo: fr * defectOrder("bpfo", g),
    bpfi: fr * defectOrder("bpfi", g),
    bsf: fr * defectOrder("bsf", g),
    ftf: fr * defectOrder("ftf", g),
  };
}
