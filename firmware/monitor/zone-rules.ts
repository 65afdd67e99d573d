/*
 * The default velocity rules: on each axis, warning at the ISO 10816-3 B/C
 * boundary and alarm at C/D of the node's machine class (iso.ts). They are
 * parsed once per class and axis when the module loads and frozen, so a
 * preloaded build keeps them in flash: a node pays only for each rule's state.
 */
import { ISO_LIMITS, type ClassKey, type MachineClass } from "./iso.js";
import { AXES, isKnownMetric } from "./metrics.js";
import { parseRule, type Rule } from "./rules.js";

/** Windows a zone must hold before it raises a level (the default of `monitor.isoOnDelay`). */
export const ZONE_ON_DELAY = 2;

/** Zone rules per class, one per axis in AXES order. */
const ZONE_RULES = Object.freeze(
  Object.fromEntries(
    Object.keys(ISO_LIMITS).map((key) => {
      const limits = ISO_LIMITS[key as ClassKey];
      const rules = AXES.map((axis) => Object.freeze(parseRule({ metric: `${axis}.vRms`, warning: limits.bc, alarm: limits.cd, onDelay: ZONE_ON_DELAY }, `monitor.iso(${axis})`, isKnownMetric)));
      return [key, Object.freeze(rules)];
    }),
  ),
) as Readonly<Record<ClassKey, readonly Rule[]>>;

/**
 * The zone rules of `machine`, one per axis; the shared frozen ones unless
 * another on-delay is configured (then copies that carry it).
 */
export function zoneRules(machine: MachineClass, onDelay: number): readonly Rule[] {
  const rules = ZONE_RULES[`${machine.group}-${machine.foundation}`];
  return onDelay === ZONE_ON_DELAY ? rules : rules.map((r) => ({ ...r, onDelay }));
}
