/*
 * What a scenario run consists of, for one node or a fleet (docs/scenarios.md,
 * "Fleets"): the nodes (id, seed, machine, config), the machine changes each
 * one gets, the fault and config events and the nodes they act on, and the
 * expectation suites and the nodes each must hold on. The runner runs a plan;
 * a one-node scenario is a plan with one node and one suite.
 */
import { Rng } from "../../sim/rng.js";
import { nodeSpecs, type NodeSpec } from "../simulator/simulation.js";
import { FLEET_WIDE_FAULTS, withMachineValue, type Scenario, type SetEvent } from "./parse.js";
import type { ActionEvent, Expectation } from "./spec.js";

export interface PlannedNode {
  spec: NodeSpec;
  /** The group's name (a fleet) or undefined (one node). */
  group?: string;
  /** Machine changes, the top-level ones first, then the group's. */
  events: SetEvent[];
}

export interface PlannedAction {
  event: ActionEvent;
  /** Indexes of the nodes it acts on; undefined: the whole run (broker-down, clock-jump). */
  nodes?: number[];
}

export interface Suite {
  /** The group's name; undefined: the top-level expectations (every node). */
  group?: string;
  expect: Expectation[];
  nodes: number[];
}

export interface RunPlan {
  /** True for a fleet file (reports count nodes), false for one node. */
  fleet: boolean;
  nodes: PlannedNode[];
  /** In the order they are scheduled (top-level in file order, then each group's). */
  actions: PlannedAction[];
  suites: Suite[];
}

/** Node `g` (0-based, across the groups in file order) gets this seed, as `sim --nodes` does. */
export function nodeSeed(seed: number, g: number): number {
  return (seed + g * 7919) >>> 0;
}

/**
 * `copies` (one-node scenarios only; `sensor-node sim --nodes N --scenario`): N nodes alike but
 * for their ids and seeds (as `sim --nodes` gives them), each with the scenario's events and faults.
 */
export function planRun(scenario: Scenario, copies = 1): RunPlan {
  if (!scenario.fleet) {
    const all = Array.from({ length: copies }, (_, g) => g);
    return {
      fleet: false,
      nodes: nodeSpecs(scenario, copies, scenario.seed).map((spec) => ({ spec, events: scenario.events })),
      actions: scenario.actions.map((event) => ({ event, nodes: isFleetWide(event) ? undefined : all })),
      suites: [{ expect: scenario.expect, nodes: all }],
    };
  }
  const nodes: PlannedNode[] = [];
  const groupNodes: number[][] = [];
  for (const group of scenario.fleet) {
    const mine: number[] = [];
    for (let n = 1; n <= group.count; n++) {
      const g = nodes.length;
      const seed = nodeSeed(scenario.seed, g);
      // Each varied value is drawn from the node's own stream, in the order the file gives them.
      const rng = new Rng(seed ^ 0x7a41e5);
      let machine = group.machine;
      for (const x of group.vary) machine = withMachineValue(machine, x.path, round(x.min + (x.max - x.min) * rng.next()));
      mine.push(g);
      nodes.push({
        spec: { nodeId: group.id.replace(/\{n\}/g, String(n)), seed, accelerometer: group.node.accelerometer, temperature: group.node.temperature, machine, config: group.node.config },
        group: group.name,
        events: [...scenario.events, ...group.events],
      });
    }
    groupNodes.push(mine);
  }
  const all = nodes.map((_, g) => g);
  return {
    fleet: true,
    nodes,
    actions: [
      ...scenario.actions.map((event) => ({ event, nodes: isFleetWide(event) ? undefined : all })),
      ...scenario.fleet.flatMap((group, k) => group.actions.map((event) => ({ event, nodes: groupNodes[k] }))),
    ],
    suites: [{ expect: scenario.expect, nodes: all }, ...scenario.fleet.map((group, k) => ({ group: group.name, expect: group.expect, nodes: groupNodes[k] }))].filter((s) => s.expect.length > 0),
  };
}

function isFleetWide(e: ActionEvent): boolean {
  return e.kind === "fault" && FLEET_WIDE_FAULTS.includes(e.fault);
}

/** Varied values keep 4 significant digits, so reports and logs read well. */
function round(x: number): number {
  return +x.toPrecision(4);
}
