/*
 * ISO 10816-3 / 20816-3 evaluation zones for broadband velocity RMS (mm/s,
 * 10-1000 Hz) on machines of 15 kW to 50 MW:
 *   A  newly commissioned
 *   B  unrestricted long-term operation
 *   C  restricted operation (warning)
 *   D  damage likely (alarm)
 * Group 1: large machines (300 kW - 50 MW); group 2: medium (15 - 300 kW).
 * Foundation "rigid" or "flexible" (lowest natural frequency of machine + foundation
 * below the main excitation frequency makes it flexible).
 */

export type MachineGroup = 1 | 2;
export type Foundation = "rigid" | "flexible";
export type Zone = "A" | "B" | "C" | "D";

/** The machine class a node is provisioned with (config `machine.group`, `machine.foundation`). */
export interface MachineClass {
  group: MachineGroup;
  foundation: Foundation;
}

/** When none was given: a medium machine on a rigid foundation, the most common retrofit. */
export const DEFAULT_MACHINE_CLASS: Readonly<MachineClass> = Object.freeze({ group: 2, foundation: "rigid" });

export interface ZoneLimits {
  /** A/B, B/C and C/D boundaries in mm/s. */
  ab: number;
  bc: number;
  cd: number;
}

export type ClassKey = `${MachineGroup}-${Foundation}`;

/** ISO 10816-3:2009 Table A.1 (group 1) and Table A.2 (group 2), velocity RMS, mm/s. */
export const ISO_LIMITS: Readonly<Record<ClassKey, ZoneLimits>> = Object.freeze({
  "1-rigid": Object.freeze({ ab: 2.3, bc: 4.5, cd: 7.1 }),
  "1-flexible": Object.freeze({ ab: 3.5, bc: 7.1, cd: 11.0 }),
  "2-rigid": Object.freeze({ ab: 1.4, bc: 2.8, cd: 4.5 }),
  "2-flexible": Object.freeze({ ab: 2.3, bc: 4.5, cd: 7.1 }),
});

export function isoLimits(group: MachineGroup, foundation: Foundation): ZoneLimits {
  return ISO_LIMITS[`${group}-${foundation}`];
}

export function isoZone(vRms: number, limits: ZoneLimits): Zone {
  if (vRms >= limits.cd) return "D";
  if (vRms >= limits.bc) return "C";
  if (vRms >= limits.ab) return "B";
  return "A";
}
