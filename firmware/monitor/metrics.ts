/*
 * The metric names rules may watch: per-axis vibration features and the
 * environmental readings. Names match the telemetry payload (`x.vRms` is
 * `vib.x.vRms`, `temp.c` is `temp.c`).
 */

export const AXES = ["x", "y", "z"] as const;
export const AXIS_FEATURES = ["vRms", "aRms", "aPeak", "crest", "kurtosis", "fDom", "hfRms", "order1x", "order2x", "order3x"] as const;
export const ENVIRONMENT = ["temp.c", "humidity.rh"] as const;

const KNOWN = new Set<string>([...AXES.flatMap((a) => AXIS_FEATURES.map((f) => `${a}.${f}`)), ...ENVIRONMENT]);

export function isKnownMetric(metric: string): boolean {
  return KNOWN.has(metric);
}

export function knownMetrics(): string[] {
  return [...KNOWN];
}
