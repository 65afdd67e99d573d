/*
 * The ESP32's speed for XS code, as the bench uses it: one fixed assumption,
 * ESP32_COMPUTRONS_PER_S (firmware/acquisition/budget.ts, re-exported by
 * sim/cpu.ts; docs/performance.md, "The ESP32 assumption" says where it comes
 * from), never scaled from the machine the bench runs on. Every figure that turns
 * XS computrons into ESP32 time says so in its name ("ESP32 estimate at ...").
 */
import { ESP32_COMPUTRONS_PER_S, ESP32_PESSIMISTIC_COMPUTRONS_PER_S } from "../../sim/cpu.js";

export { ESP32_COMPUTRONS_PER_S, ESP32_PESSIMISTIC_COMPUTRONS_PER_S };

/** "3 M computrons/s". */
export function rateText(computronsPerS: number): string {
  return `${computronsPerS / 1e6} M computrons/s`;
}

/** The label every ESP32 figure carries: "ESP32 estimate at 3 M computrons/s". */
export const ESP32_ESTIMATE = `ESP32 estimate at ${rateText(ESP32_COMPUTRONS_PER_S)}`;

/** Milliseconds on the ESP32 for `computrons` of XS work, at the assumed rate (or another, e.g. the pessimistic one). */
export function esp32Ms(computrons: number, computronsPerS = ESP32_COMPUTRONS_PER_S): number {
  return (computrons / computronsPerS) * 1000;
}
