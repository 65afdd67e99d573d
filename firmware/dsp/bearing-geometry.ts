/*
 * Rolling-element bearing geometry and its defect frequencies per shaft
 * revolution (orders), for the envelope's defect bands (envelope.ts). Outer
 * race fixed, inner race turning with the shaft, pure rolling; with
 * r = d/D cos(a), n elements of diameter d on pitch diameter D:
 *
 *   BPFO = n/2 (1 - r)            ball pass, outer race
 *   BPFI = n/2 (1 + r)            ball pass, inner race
 *   BSF  = D/(2d) (1 - r^2)       ball spin (once per turn of the ball)
 *   FTF  = 1/2 (1 - r)            fundamental train (cage)
 *
 * A node's config names its bearing by designation from the table below, by
 * geometry, or by the four defect orders themselves, as a maker's datasheet or
 * bearing calculator gives them (`machine.bearing`, docs/configuration.md). The
 * table holds only bearings whose geometry a public source states
 * (docs/measurement.md lists them): a designation such as 6206 fixes bore,
 * outside diameter and width (ISO 15), not the rolling elements, which differ
 * between makers. Frozen, so it stays in flash when preloaded.
 */

export interface BearingGeometry {
  /** Number of rolling elements (per row). */
  balls: number;
  /** Rolling-element diameter, mm. */
  ball_d_mm: number;
  /** Pitch diameter, mm. */
  pitch_d_mm: number;
  /** Contact angle, degrees. */
  contact_deg: number;
}

/** Defect orders (defect frequency / shaft frequency), in the payload's order. */
export interface DefectOrders {
  bpfo: number;
  bpfi: number;
  bsf: number;
  ftf: number;
}

const INCH_MM = 25.4;

/**
 * Designations with their geometry and where it is published:
 *  6205, 6203: SKF 6205-2RS JEM and 6203-2RS JEM, Case Western Reserve University
 *    Bearing Data Center, "Apparatus & Procedures" (ball 0.3126 in / 0.2656 in,
 *    pitch 1.537 in / 1.122 in; 9 and 8 balls).
 *  ZA-2115: Rexnord ZA-2115 double-row bearing of the NASA/IMS run-to-failure data
 *    set (Qiu et al., J. Sound Vib. 289 (2006)): 16 rollers per row, roller 0.331 in,
 *    pitch 2.815 in, contact angle 15.17 deg.
 *  MFPT-NICE: NICE bearing of the MFPT Society fault data sets: 8 balls of 0.235 in on
 *    a 1.245 in pitch, 0 deg.
 */
export const BEARINGS: Readonly<Record<string, Readonly<BearingGeometry>>> = Object.freeze({
  "6205": Object.freeze({ balls: 9, ball_d_mm: 0.3126 * INCH_MM, pitch_d_mm: 1.537 * INCH_MM, contact_deg: 0 }),
  "6203": Object.freeze({ balls: 8, ball_d_mm: 0.2656 * INCH_MM, pitch_d_mm: 1.122 * INCH_MM, contact_deg: 0 }),
  "ZA-2115": Object.freeze({ balls: 16, ball_d_mm: 0.331 * INCH_MM, pitch_d_mm: 2.815 * INCH_MM, contact_deg: 15.17 }),
  "MFPT-NICE": Object.freeze({ balls: 8, ball_d_mm: 0.235 * INCH_MM, pitch_d_mm: 1.245 * INCH_MM, contact_deg: 0 }),
});

/** How a config names its bearing: a designation from BEARINGS, a geometry, or the defect orders. */
export type BearingSpec = string | BearingGeometry | DefectOrders;

/** The defect orders of a bearing as the config names it; undefined for an unknown designation. */
export function bearingOrders(bearing: BearingSpec): DefectOrders | undefined {
  if (typeof bearing === "string") {
    const g = BEARINGS[bearing];
    return g && defectOrders(g);
  }
  return "balls" in bearing ? defectOrders(bearing) : bearing;
}

/** The four defect orders of a geometry (formulas in the header). */
export function defectOrders(g: BearingGeometry): DefectOrders {
  const r = (g.ball_d_mm / g.pitch_d_mm) * Math.cos((g.contact_deg * Math.PI) / 180);
  return {
    bpfo: (g.balls / 2) * (1 - r),
    bpfi: (g.balls / 2) * (1 + r),
    bsf: (g.pitch_d_mm / (2 * g.ball_d_mm)) * (1 - r * r),
    ftf: 0.5 * (1 - r),
  };
}

/**
 * Defect orders' problem as text naming the key, or undefined when a bearing
 * with a fixed outer race could have them: the cage turns at less than half the
 * shaft speed (FTF = (1 - r)/2 with 0 < r < 1), the inner race is passed more
 * often than the outer (BPFI - BPFO = n r > 0), and the ball pass frequencies
 * are whole multiples of the cage's (BPFO = n FTF, BPFI = n (1 - FTF)) within
 * the rounding of a datasheet's figures.
 */
export function ordersProblem(o: DefectOrders): string | undefined {
  if (!(o.ftf > 0 && o.ftf < 0.5)) return `ftf: expected an order between 0 and 0.5 (the cage turns slower than half the shaft), got ${o.ftf}`;
  if (!(o.bpfo > 0 && o.bpfo < 100)) return `bpfo: expected an order between 0 and 100, got ${o.bpfo}`;
  if (!(o.bpfi > o.bpfo && o.bpfi < 100)) return `bpfi: must be above bpfo (${o.bpfo}) and below 100, got ${o.bpfi}`;
  if (!(o.bsf > 0 && o.bsf < 100)) return `bsf: expected an order between 0 and 100, got ${o.bsf}`;
  const balls = o.bpfo / o.ftf;
  if (Math.abs(balls - Math.round(balls)) > 0.02 * balls) return `bpfo: ${o.bpfo} is not a whole number of cage turns (ftf ${o.ftf}): bpfo / ftf = ${balls.toFixed(2)} balls`;
  if (Math.abs(o.bpfi - Math.round(balls) * (1 - o.ftf)) > 0.02 * o.bpfi) return `bpfi: ${o.bpfi} does not match ${Math.round(balls)} balls and ftf ${o.ftf} (expected about ${(Math.round(balls) * (1 - o.ftf)).toFixed(3)})`;
  return undefined;
}

/** A geometry's problem as text naming the key, or undefined when it is a bearing (the config's check). */
export function geometryProblem(g: BearingGeometry): string | undefined {
  if (!Number.isInteger(g.balls) || g.balls < 3 || g.balls > 100) return `balls: expected an integer 3..100, got ${g.balls}`;
  if (!(g.ball_d_mm > 0)) return `ball_d_mm: expected a diameter > 0, got ${g.ball_d_mm}`;
  if (!(g.pitch_d_mm > g.ball_d_mm)) return `pitch_d_mm: must be above ball_d_mm (${g.ball_d_mm}), got ${g.pitch_d_mm}`;
  if (!(g.contact_deg >= 0 && g.contact_deg < 90)) return `contact_deg: expected 0..90, got ${g.contact_deg}`;
  return undefined;
}
