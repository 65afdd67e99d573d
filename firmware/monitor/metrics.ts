/*
 * The metric names rules may watch: per-axis vibration features and the
 * environmental readings. Names match the telemetry payload (`x.vRms` is
 * `vib.x.vRms`, `temp.c` is `temp.c`). Frozen tables: on a preloaded build
 * they stay in flash.
 */

export const AXES = Object.freeze(["x", "y", "z"] as const);
/** Envelope features (`x.env.bpfo` is `vib.x.env.bpfo`), in the payload's order; present when the node analyses a bearing. */
export const ENVELOPE_FEATURES = Object.freeze(["rms", "peak", "fDom", "bpfo", "bpfi", "bsf", "ftf"] as const);
export const AXIS_FEATURES = Object.freeze(["vRms", "aRms", "aPeak", "crest", "kurtosis", "fDom", "hfRms", "order1x", "order2x", "order3x", ...ENVELOPE_FEATURES.map((f) => `env.${f}`)]);
export const ENVIRONMENT = Object.freeze(["temp.c", "humidity.rh"] as const);
/** The machine's running speed (`speed.rpm`), with bearing diagnostics on. */
export const MACHINE = Object.freeze(["speed.rpm"] as const);

/** Every name, axis features first (`x.vRms` .. `z.env.ftf`), then the environment and the speed. */
const KNOWN: readonly string[] = Object.freeze([...AXES.flatMap((a) => AXIS_FEATURES.map((f) => `${a}.${f}`)), ...ENVIRONMENT, ...MACHINE]);

export function isKnownMetric(metric: string): boolean {
  return KNOWN.includes(metric);
}

export function knownMetrics(): string[] {
  return [...KNOWN];
}
