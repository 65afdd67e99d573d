/*
 * The monitor: evaluates every alarm rule once per window, keeps the overall
 * level, reports the ISO zone, and holds vibration rules while the machine is
 * stopped or starting. Transitions are returned for the app to publish at once.
 */
import { DEFAULT_MACHINE_CLASS, isoLimits, isoZone, type MachineClass, type Zone, type ZoneLimits } from "./iso.js";
import { LEVEL_RANK, parseRule, RuleError, type Level, type RuleInput } from "./rules.js";
import { ZONE_ON_DELAY, zoneRules } from "./zone-rules.js";
import { RuleState, type Transition } from "./state.js";
import { RunningDetector } from "./running.js";
import { AXES } from "./metrics.js";

export interface MonitorConfig {
  rules: readonly RuleInput[];
  /**
   * ISO 10816-3 zones of the machine class: a warning (B/C) and alarm (C/D)
   * velocity rule on each axis that has no configured `vRms` rule, and the zone in telemetry.
   */
  iso: boolean;
  running: { thresholdMmS: number; graceS: number };
  /** Windows a zone rule must hold before raising (ISO rules only). */
  isoOnDelay: number;
}

/** Frozen (deeply): configs are built from copies of it (firmware/app/config.ts). */
export const DEFAULT_MONITOR: Readonly<MonitorConfig> = Object.freeze({
  rules: Object.freeze([]),
  iso: true,
  running: Object.freeze({ thresholdMmS: 0.5, graceS: 10 }),
  isoOnDelay: ZONE_ON_DELAY,
});


export class Monitor {
  readonly states: RuleState[];
  readonly running: RunningDetector;
  readonly limits: ZoneLimits | undefined;
  #transitions: Transition[] = [];
  #knownMetric: (metric: string) => boolean;

  /** Throws RuleError naming the field when a rule is invalid. */
  constructor(config: MonitorConfig, knownMetric: (metric: string) => boolean, runningHoursBefore = 0, machine: MachineClass = DEFAULT_MACHINE_CLASS) {
    this.#knownMetric = knownMetric;
    const rules = config.rules.map((input, i) => parseRule(input, `monitor.rules[${i}]`, knownMetric));
    const names = new Set<string>();
    rules.forEach((r, i) => {
      if (names.has(r.name)) throw new RuleError(`monitor.rules[${i}].metric`, `a second rule for ${r.name}`);
      names.add(r.name);
    });
    if (config.iso) {
      const limits = isoLimits(machine.group, machine.foundation);
      if (!limits) throw new RuleError("machine", "expected group 1 or 2 and foundation rigid or flexible");
      this.limits = limits;
      // A configured rule for an axis's vRms replaces that axis's zone rule.
      for (const rule of zoneRules(machine, config.isoOnDelay)) if (!names.has(rule.name)) rules.push(rule);
    }
    this.states = rules.map((r) => new RuleState(r));
    this.running = new RunningDetector({ ...config.running, hoursBefore: runningHoursBefore });
  }

  /**
   * Adds rules learned at run time (a baseline), named `<metric>.<suffix>` so
   * they never collide with configured rules; replaces earlier ones of that suffix.
   */
  addRules(inputs: RuleInput[], suffix: string): void {
    for (let i = this.states.length - 1; i >= 0; i--) if (this.states[i].rule.name.endsWith(`.${suffix}`)) this.states.splice(i, 1);
    inputs.forEach((input, i) => {
      const rule = parseRule(input, `${suffix}[${i}]`, this.#knownMetric);
      rule.name = `${rule.name}.${suffix}`;
      this.states.push(new RuleState(rule));
    });
  }

  /**
   * Evaluates all rules for one window closed at `tMs`. `read` returns a
   * metric's value, or undefined when it is not available (a faulty sensor):
   * such rules hold their level. The returned array is reused by the next call.
   */
  evaluate(read: (metric: string) => number | undefined, tMs: number): Transition[] {
    const out = this.#transitions;
    out.length = 0;
    let peak = 0;
    for (const axis of AXES) {
      const v = read(`${axis}.vRms`);
      if (v !== undefined && v > peak) peak = v;
    }
    const vibrationLive = this.running.update(peak, tMs);
    for (const state of this.states) {
      const vibration = isVibration(state.rule.metric);
      if (vibration && !vibrationLive) {
        state.resetHistory();
        continue;
      }
      const value = read(state.rule.metric);
      if (value === undefined) continue;
      const t = state.evaluate(value, tMs);
      if (t) out.push(t);
    }
    return out;
  }

  /** Highest level over all rules. */
  get level(): Level {
    let rank = 0;
    for (const s of this.states) rank = Math.max(rank, LEVEL_RANK[s.level]);
    return rank === 2 ? "alarm" : rank === 1 ? "warning" : "normal";
  }

  zone(vRms: number): Zone | undefined {
    return this.limits ? isoZone(vRms, this.limits) : undefined;
  }

  /** Acknowledges latched levels (all, or one metric); returns how many were latched. */
  acknowledge(metric?: string): number {
    let count = 0;
    for (const s of this.states) {
      if (metric !== undefined && s.rule.name !== metric) continue;
      if (s.latched) count++;
      s.acknowledge();
    }
    return count;
  }
}

function isVibration(metric: string): boolean {
  return metric.startsWith("x.") || metric.startsWith("y.") || metric.startsWith("z.");
}
