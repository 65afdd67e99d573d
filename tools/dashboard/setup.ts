/*
 * What the page draws behind a node's data, from the configuration document the
 * run gave the node (a scenario's node.config, the fleet's): the effective alarm
 * rules as the firmware builds them (configured rules, then the ISO zone rules
 * of the machine class for axes without one), the zone boundaries, the vRms band
 * the node searches fDom in, the configured running speed and the bearing's
 * defect orders. The firmware's own config resolution and Monitor make them, so
 * the page shows the levels the node enforces, not a second reading of the
 * config. Levels the node learns (baseline rules) are not in any config: the
 * store adds them from the alarm transitions it sees (store.ts).
 */
import { resolveConfig } from "../../firmware/app/config.js";
import { Monitor } from "../../firmware/monitor/monitor.js";
import { isKnownMetric } from "../../firmware/monitor/metrics.js";
import { bearingOrders, type BearingSpec } from "../../firmware/dsp/bearing-geometry.js";

export interface Level {
  /** The rule's name: the metric, `<metric>.rate` or `<metric>.baseline`. */
  name: string;
  warning?: number;
  alarm?: number;
  /** "config": a rule of the node's configuration; "seen": the limit an alarm transition carried. */
  source: "config" | "seen";
}

export interface NodeSetup {
  levels: Level[];
  /** ISO 10816-3 zone boundaries of the machine class, mm/s; absent with monitor.iso false. */
  zones?: { ab: number; bc: number; cd: number; group: number; foundation: string };
  /** The vRms band (fDom is the largest line in it). */
  band: { lowHz: number; highHz: number };
  /** Configured running speed, rpm (0: unknown). */
  rpm: number;
  /** Defect frequencies per shaft revolution of the configured bearing. */
  bearing?: { name: string; orders: Record<string, number> };
  temperature: string;
  /** Why the document gave no setup (it does not resolve). */
  error?: string;
}

/** The bearing's name on the dashboard: its designation, or how the config gave it. */
function bearingName(bearing: BearingSpec): string {
  if (typeof bearing === "string") return bearing;
  return "balls" in bearing ? "configured geometry" : "configured defect orders";
}

/** The setup of a node configured by `doc`; a document that does not resolve gives the defaults' band and its error. */
export function nodeSetup(doc: Record<string, unknown>): NodeSetup {
  try {
    const c = resolveConfig(doc);
    const monitor = new Monitor(c.monitor, isKnownMetric, 0, c.machine);
    const levels: Level[] = monitor.states
      .map((s) => s.rule)
      .filter((r) => r.kind === "level")
      .map((r) => ({ name: r.name, warning: r.warning, alarm: r.alarm, source: "config" as const }));
    const limits = monitor.limits;
    const orders = c.machine.bearing === undefined ? undefined : bearingOrders(c.machine.bearing);
    return {
      levels,
      zones: limits && { ...limits, group: c.machine.group, foundation: c.machine.foundation },
      band: { ...c.band },
      rpm: c.machine.rpm,
      bearing: orders && { name: bearingName(c.machine.bearing!), orders: { ...orders } },
      temperature: c.temperature.kind,
    };
  } catch (error) {
    return { levels: [], band: { lowHz: 10, highHz: 1000 }, rpm: 0, temperature: "auto", error: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * Temperature resolution of each part, degC (the value of one step the node can
 * report): TMP117 7.8125 m degC per LSB (datasheet SNOSD82, 7.3.1); MCP9808 0.0625
 * degC at its power-up resolution, which the firmware keeps (datasheet DS25095A,
 * register 8); SHT3x 0.01 degC typical (Sensirion SHT3x-DIS datasheet, Table 2).
 */
export const TEMPERATURE_RESOLUTION_C: Readonly<Record<string, number>> = Object.freeze({ tmp117: 1 / 128, mcp9808: 1 / 16, sht3x: 0.01 });
