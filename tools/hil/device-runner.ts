/*
 * The scenario runner's device target (docs/hil.md): `sensor-node scenario FILE
 * --target device --broker URL --node ID`. No virtual time: the scenario runs
 * in real time for duration_s against a node that is already running (an
 * ESP32 with the HIL build, the lin simulator build, or a Node-hosted node).
 *
 * Stimulus: the scenario's machine, sampled at the node's ODR
 * (node.config.accelerometer.odr of the scenario, default 3200 Hz) and
 * streamed as frames to `<prefix>/<node>/hil/frames` (tools/hil/streamer.ts);
 * `set` events change it at their sample time. `config` events are published
 * on `<prefix>/<node>/cmd/config`. Faults cannot be injected into a real node
 * from here: a scenario with one is refused before the run (exit 2).
 *
 * Observation: a subscriber on `<prefix>/<node>/+` (status, telemetry, alarm)
 * stamps each message with the wall time of its arrival; the expectations of
 * tools/scenario/check.ts are checked with time 0 = the first frame, so
 * every window and tolerance is in real seconds.
 */
import * as mqtt from "mqtt";
import { parseBrokerUrl } from "../brokers/broker.js";
import { parsePayload, type ObservedMessage } from "../cli/output.js";
import type { Scenario } from "../scenario/parse.js";
import { ScenarioObserver } from "../scenario/harness.js";
import { check, formatResults } from "../scenario/check.js";
import type { ScenarioRunResult } from "../scenario/runner.js";
import type { LogLevel } from "../../firmware/host.js";
import { hilFramesTopic } from "../../firmware/drivers/hil.js";
import { FrameStreamer, type StreamerStats } from "./streamer.js";

/** Real ms the runner's subscriber and frame publisher may take to connect before the run gives up. */
const CONNECT_CEILING_MS = 30_000;

export class DeviceTargetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DeviceTargetError";
  }
}

export interface DeviceRunOptions {
  source?: string;
  /** mqtt://host:port of the broker the node uses. */
  broker: string;
  /** The node's id (the topics are `<prefix>/<node>/...`). */
  nodeId: string;
  /** Frame period, ms (default 50). */
  frameMs?: number;
  format?: "int16" | "float32";
  /** Real ms to keep listening after duration_s for messages still on their way (default 1500). */
  drainMs?: number;
  signal?: AbortSignal;
  onMessage?: (m: ObservedMessage) => void;
  /** About once per real second. */
  onProgress?: (elapsedMs: number, totalMs: number) => void;
  onLog?: (level: LogLevel, message: string) => void;
}

export interface HilRunStats extends StreamerStats {
  odr: number;
  frameMs: number;
  /** Sum of `vib.lost` over the node's telemetry: samples its acquisition lost or discarded. */
  nodeLostSamples: number;
  /** Telemetry messages that carried vibration values. */
  windows: number;
}

export interface DeviceRunResult extends ScenarioRunResult {
  target: "device";
  hil: HilRunStats;
}

/** Throws DeviceTargetError when the scenario asks for something a real node cannot be made to do. */
export function checkDeviceScenario(scenario: Scenario, source = "scenario"): void {
  if (scenario.fleet) {
    const nodes = scenario.fleet.reduce((n, g) => n + g.count, 0);
    throw new DeviceTargetError(`${source}: fleet: the device target drives one real node; this file describes a fleet of ${nodes} node(s) in ${scenario.fleet.length} group(s): run it with --target sim (docs/scenarios.md, docs/hil.md)`);
  }
  const faults = scenario.actions.filter((a) => a.kind === "fault");
  if (!faults.length) return;
  const list = faults.map((f) => `"${(f as { fault: string }).fault}" at ${f.at_s} s`).join(", ");
  throw new DeviceTargetError(
    `${source}: the device target cannot inject fault event(s) ${list}: against a real node the runner only drives the stimulus (set events) and the configuration (config events, on cmd/config); run this scenario with --target sim, or remove those events (docs/hil.md)`,
  );
}

export async function runDeviceScenario(scenario: Scenario, o: DeviceRunOptions): Promise<DeviceRunResult> {
  checkDeviceScenario(scenario, o.source);
  const target = parseBrokerUrl(o.broker);
  if (target.secure) throw new DeviceTargetError("--broker: the device target speaks plain MQTT to the broker (mqtt://); TLS is not supported here");
  const config = scenario.node.config as { mqtt?: { prefix?: string }; accelerometer?: { odr?: number } };
  const prefix = String(config.mqtt?.prefix ?? "sensors");
  const odr = config.accelerometer?.odr ?? 3200;
  const frameMs = o.frameMs ?? 50;
  const base = `${prefix}/${o.nodeId}`;
  const url = `mqtt://${target.host}:${target.port}`;
  const log = (level: LogLevel, message: string) => o.onLog?.(level, message);

  const observer = new ScenarioObserver(url, `${base}/+`, () => Date.now());
  if (o.onMessage) observer.onMessage(o.onMessage);
  let odrWarned = false;
  observer.onMessage((m) => {
    if (odrWarned || m.topic !== `${base}/telemetry`) return;
    const seen = (parsePayload(m.payload) as { vib?: { odr?: number } } | undefined)?.vib?.odr;
    if (typeof seen === "number" && seen !== odr) {
      odrWarned = true;
      log("error", `the node samples at ${seen} Hz but the scenario streams ${odr} Hz (node.config.accelerometer.odr): the node refuses the frames`);
    }
  });
  const publisher = mqtt.connect(url, { clientId: `hil-runner-${process.pid}-${Math.floor(Math.random() * 1e9)}`, reconnectPeriod: 200, connectTimeout: 5000 });
  publisher.on("error", (error) => log("warn", `frame publisher: ${error.message}`));
  const streamer = new FrameStreamer({ client: publisher, topic: hilFramesTopic(prefix, o.nodeId), scenario, odr, frameMs, format: o.format });
  const timers: NodeJS.Timeout[] = [];
  const realStart = performance.now();
  try {
    // A hang catcher, generous so that a loaded machine never reaches it (docs/performance.md).
    const ready = Date.now() + CONNECT_CEILING_MS;
    while (!(observer.subscribed && publisher.connected) && Date.now() < ready && !o.signal?.aborted) await sleep(10);
    if (!observer.subscribed || !publisher.connected) throw new DeviceTargetError(`cannot reach the broker at ${url} (no connection within ${CONNECT_CEILING_MS / 1000} s)`);

    const startWall = Date.now();
    const t0 = performance.now();
    streamer.start(t0);
    for (const e of scenario.actions) {
      if (e.kind !== "config") continue;
      timers.push(
        setTimeout(() => {
          log("info", `config at ${e.at_s} s: ${JSON.stringify(e.config)}`);
          publisher.publish(`${base}/cmd/config`, JSON.stringify(e.config), { qos: 1 });
        }, e.at_s * 1000),
      );
    }
    const totalMs = scenario.duration_s * 1000;
    let lastProgress = 0;
    while (performance.now() - t0 < totalMs && !o.signal?.aborted) {
      await sleep(Math.min(100, totalMs - (performance.now() - t0)));
      const elapsed = performance.now() - t0;
      if (elapsed - lastProgress >= 1000) {
        lastProgress = elapsed;
        o.onProgress?.(Math.min(elapsed, totalMs), totalMs);
      }
    }
    if (o.signal?.aborted) streamer.stop();
    else {
      streamer.finish(totalMs);
      await sleep(o.drainMs ?? 1500);
    }

    const messages = observer.messages.slice();
    const ctx = { startMs: startWall, prefix, nodeId: o.nodeId, messages, produced: seqRange(messages, base).last, jumps: [] };
    const results = check(scenario.expect, ctx);
    // A running node made messages before we listened: no-loss counts from the first seq seen in each boot.
    for (const r of results) if (r.kind === "no-loss") Object.assign(r, noLossFromFirst(messages, base));
    let nodeLostSamples = 0;
    let windows = 0;
    for (const m of messages) {
      if (m.topic !== `${base}/telemetry`) continue;
      const lost = (parsePayload(m.payload) as { vib?: { lost?: number } } | undefined)?.vib?.lost;
      if (typeof lost === "number") {
        windows++;
        nodeLostSamples += lost;
      }
    }
    return {
      target: "device",
      name: scenario.name ?? o.source ?? "scenario",
      source: o.source,
      seed: scenario.seed,
      nodeId: o.nodeId,
      virtualMs: Math.min(performance.now() - t0, totalMs),
      realMs: performance.now() - realStart,
      messages,
      results,
      passed: results.every((r) => r.pass),
      produced: seqRange(messages, base).last,
      hil: { ...streamer.stats, odr, frameMs, nodeLostSamples, windows },
    };
  } finally {
    streamer.stop();
    for (const t of timers) clearTimeout(t);
    await observer.close();
    await publisher.endAsync(false).catch(() => {});
  }
}

/** The readable report of a device run: the expectations as for the simulator, and the stimulus figures. */
export function formatDeviceReport(r: DeviceRunResult): string {
  const h = r.hil;
  const lines = [
    `scenario ${JSON.stringify(r.name)}${r.source && r.source !== r.name ? ` (${r.source})` : ""}: device ${r.nodeId}, ${(r.virtualMs / 1000).toFixed(1)} s in real time, ${r.messages.length} messages`,
    `  stimulus: ${h.framesSent} frames (${h.samplesSent} samples at ${h.odr} Hz, ${h.frameMs} ms each), ${h.framesAcked} acknowledged by the broker, timer late by ${h.maxLateMs.toFixed(0)} ms at most; the node reported ${h.nodeLostSamples} lost sample(s) over ${h.windows} window(s)`,
  ];
  lines.push(...formatResults(r.results));
  return lines.join("\n") + "\n";
}

function seqRange(messages: ObservedMessage[], base: string): { first: Map<number, number>; last: Map<number, number> } {
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  for (const m of messages) {
    if (m.topic !== `${base}/telemetry` && m.topic !== `${base}/alarm`) continue;
    const p = parsePayload(m.payload) as { boot?: number; seq?: number } | undefined;
    if (typeof p?.boot !== "number" || typeof p.seq !== "number") continue;
    first.set(p.boot, Math.min(first.get(p.boot) ?? Infinity, p.seq));
    last.set(p.boot, Math.max(last.get(p.boot) ?? 0, p.seq));
  }
  return { first, last };
}

function noLossFromFirst(messages: ObservedMessage[], base: string): { pass: boolean; expected: string; seen: string } {
  const { first, last } = seqRange(messages, base);
  const expected = `every telemetry and alarm message the node made while the runner listened (${[...last].map(([b, l]) => `boot ${b}: seq ${first.get(b)}..${l}`).join(", ") || "none"}) at the subscriber`;
  if (!last.size) return { pass: false, expected, seen: "no telemetry or alarm message from the node" };
  const problems: string[] = [];
  let total = 0;
  for (const [boot, l] of last) {
    const seen = new Set<number>();
    for (const m of messages) {
      if (m.topic !== `${base}/telemetry` && m.topic !== `${base}/alarm`) continue;
      const p = parsePayload(m.payload) as { boot?: number; seq?: number } | undefined;
      if (p?.boot === boot && typeof p.seq === "number") seen.add(p.seq);
    }
    const f = first.get(boot)!;
    total += l - f + 1;
    const missing = l - f + 1 - seen.size;
    if (missing > 0) problems.push(`boot ${boot}: ${missing} of seq ${f}..${l} missing`);
  }
  return { pass: problems.length === 0, expected, seen: problems.length ? problems.join("; ") : `${total} delivered` };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
