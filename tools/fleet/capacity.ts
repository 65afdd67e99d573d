/*
 * Fleet capacity: the most nodes that run in real time (1 Hz telemetry from a
 * duty-cycled capture) with every message delivered, found by a bounded search
 * over fixed steps, each step a fresh mosquitto on loopback and ~20 s of run.
 */
import { startMosquitto } from "../brokers/broker.js";
import { runFleet, type FleetResult } from "./fleet.js";

export interface CapacityOptions {
  steps?: number[];
  durationS?: number;
  workers?: number;
  log?: (message: string) => void;
}

export interface CapacityResult {
  /** Most nodes that kept up (0 if none did). */
  capacity: number;
  /** The run at `capacity`, and the first step that did not keep up (if any). */
  best?: FleetResult;
  failed?: FleetResult;
  runs: FleetResult[];
}

export const DEFAULT_STEPS = [250, 500, 1000, 2000, 2500, 3000, 4000];

export async function measureCapacity(o: CapacityOptions = {}): Promise<CapacityResult> {
  const runs: FleetResult[] = [];
  let best: FleetResult | undefined;
  let failed: FleetResult | undefined;
  for (const nodes of o.steps ?? DEFAULT_STEPS) {
    const broker = await startMosquitto();
    let r: FleetResult;
    try {
      r = await runFleet({ nodes, workers: o.workers, broker: broker.url, brokerPid: broker.process.pid, durationS: o.durationS ?? 20, speed: 1 });
    } finally {
      await broker.close();
    }
    runs.push(r);
    o.log?.(`fleet ${nodes} nodes: ${r.keptUp ? "kept up" : "did not keep up (" + r.reasons.join("; ") + ")"}; ${r.delivered}/${r.published} delivered, lag max ${r.lagMaxMs} ms, CPU ${r.cpuPct}% + broker ${r.brokerCpuPct ?? "?"}%`);
    if (!r.keptUp) {
      failed = r;
      break;
    }
    best = r;
  }
  return { capacity: best?.nodes ?? 0, best, failed, runs };
}
