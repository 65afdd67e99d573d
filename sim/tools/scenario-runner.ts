/*
 * The scenario runner (docs/scenarios.md, "Running a scenario"): one simulated
 * node on the scenario's machine, in virtual time, publishing through a fault
 * proxy to the embedded aedes broker (or --broker), watched by an independent
 * subscriber; events change the machine, inject faults and push config; the
 * expectations are checked against what the subscriber saw.
 *
 * Determinism: virtual time does not move while the node waits for a reply,
 * while an injected fault is being applied, or while the subscriber has not yet
 * received every message the broker handled. So each message is stamped with
 * the virtual time at which it was published, and one seed gives one log.
 */
import { VirtualClock } from "../clock.js";
import { SimNode, nodeSpecs } from "./simulation.js";
import { drive, sleep, waitIdle } from "./drive.js";
import { parseBrokerUrl } from "./broker.js";
import { startFaultProxy, type FaultProxy } from "./fault-proxy.js";
import { parsePayload, type ObservedMessage } from "./output.js";
import type { Scenario } from "./scenario.js";
import type { ActionEvent, FaultEvent } from "./scenario/spec.js";
import { RestartableAedes, ScenarioObserver } from "./scenario/harness.js";
import { check, type ExpectationResult } from "./scenario/check.js";
import type { LogLevel } from "../../firmware/host.js";

export type { ExpectationResult } from "./scenario/check.js";

export interface ScenarioRunOptions {
  /** The file it came from, for reports. */
  source?: string;
  broker?: string;
  speed?: number | "max";
  signal?: AbortSignal;
  onMessage?: (m: ObservedMessage) => void;
  /** About once per virtual second (the CLI throttles it to once per real second). */
  onProgress?: (virtualMs: number, totalMs: number) => void;
  onLog?: (level: LogLevel, message: string) => void;
  /** Called once the broker is known (embedded or --broker), before the node starts: a dashboard attaches here. */
  onBroker?: (url: string, prefix: string) => Promise<void> | void;
}

export interface ScenarioRunResult {
  name: string;
  source?: string;
  seed: number;
  nodeId: string;
  virtualMs: number;
  realMs: number;
  messages: ObservedMessage[];
  results: ExpectationResult[];
  passed: boolean;
  /** Last seq per boot, from the node's own counter. */
  produced: Map<number, number>;
}

/** Real ms virtual time waits for the node, a fault or the subscriber before it moves on regardless. */
const MAX_WAIT_MS = 5000;

export async function runScenario(scenario: Scenario, o: ScenarioRunOptions = {}): Promise<ScenarioRunResult> {
  const realStart = performance.now();
  const clock = new VirtualClock({ epochMs: scenario.startMs });
  const spec = nodeSpecs(scenario, 1, scenario.seed)[0];
  const prefix = String((scenario.node.config.mqtt as { prefix?: string } | undefined)?.prefix ?? "sensors");
  const virtualWall = () => scenario.startMs + Math.round(clock.now());

  const embedded = o.broker ? undefined : new RestartableAedes(prefix);
  await embedded?.start();
  const target = o.broker ? parseBrokerUrl(o.broker) : { host: embedded!.host, port: embedded!.port, secure: false };
  if (target.secure) throw new Error("--broker: the scenario runner speaks plain MQTT to the broker (mqtt://); TLS is not supported here");
  const url = o.broker ?? embedded!.url;
  await o.onBroker?.(url, prefix);
  // The node reaches the broker through a fault proxy: partitions (and broker-down on an external broker) happen there.
  const proxy: FaultProxy = await startFaultProxy({ target: { host: target.host, port: target.port } });
  const observer = new ScenarioObserver(url, `${prefix}/#`, virtualWall);
  if (o.onMessage) observer.onMessage(o.onMessage);

  const produced = new Map<number, number>();
  const jumps: { at: number; offsetMs: number }[] = [];
  let pending = 0;
  let brokerUp = true;
  let acksAwaited = 0;
  const ackTopic = `${prefix}/${spec.nodeId}/cmd/config/ack`;
  observer.onMessage((m) => {
    if (m.topic === ackTopic && acksAwaited > 0) acksAwaited--;
  });

  const node = new SimNode({ clock, spec, broker: { host: proxy.host, port: proxy.port, secure: false }, log: (level, message) => o.onLog?.(level, message) });
  const record = () => produced.set(node.app.boot, Math.max(produced.get(node.app.boot) ?? 0, node.app.seq));

  // The subscriber is behind while it is not subscribed or lacks messages the broker handled; if it
  // stays behind for long (an external broker, a message lost with a dying broker), accept the gap.
  let lagSince = 0;
  let forgiven = 0;
  const observerBehind = () => {
    if (!brokerUp) return false;
    const behind = !observer.subscribed || (embedded !== undefined && observer.receivedSinceSubscribe + forgiven < embedded.published);
    if (!behind) {
      lagSince = 0;
      return false;
    }
    const now = performance.now();
    if (!lagSince) lagSince = now;
    if (now - lagSince > MAX_WAIT_MS && observer.subscribed && embedded) {
      forgiven = embedded.published - observer.receivedSinceSubscribe;
      lagSince = 0;
      o.onLog?.("warn", `the subscriber missed ${forgiven} message(s); going on`);
      return false;
    }
    return true;
  };
  const busy = () => pending > 0 || acksAwaited > 0 || node.busy || observerBehind();
  /** Runs an asynchronous part of an event while virtual time waits. */
  const hold = (work: () => Promise<void>) => {
    pending++;
    work()
      .catch((error) => o.onLog?.("error", `scenario event failed: ${(error as Error).message}`))
      .finally(() => pending--);
  };
  const waitFor = async (cond: () => boolean, ms = MAX_WAIT_MS) => {
    const deadline = performance.now() + ms;
    while (!cond() && performance.now() < deadline) await sleep(2);
  };
  const offlineSeen = (boot: number) => observer.messages.some((m) => m.topic === `${prefix}/${spec.nodeId}/status` && (parsePayload(m.payload) as { state?: string; boot?: number } | undefined)?.state === "offline" && (parsePayload(m.payload) as { boot?: number }).boot === boot);

  const setBroker = (up: boolean) =>
    hold(async () => {
      if (embedded) {
        if (up) {
          await embedded.start();
          forgiven = 0;
          brokerUp = true;
          await waitFor(() => observer.subscribed);
        } else {
          brokerUp = false;
          await embedded.stop();
          proxy.dropConnections();
        }
      } else {
        // An external broker cannot be stopped from here: the node loses it behind the proxy instead.
        proxy.refuseConnections(!up);
        if (!up) proxy.dropConnections();
      }
    });

  const apply = (e: ActionEvent, phase: "start" | "end") => {
    if (e.kind === "config") {
      acksAwaited++;
      observer.publish(`${prefix}/${spec.nodeId}/cmd/config`, JSON.stringify(e.config));
      return;
    }
    const f: FaultEvent = e;
    const start = phase === "start";
    switch (f.fault) {
      case "i2c-nack":
        node.accelerometer.present = !start;
        break;
      case "sensor-unplugged":
        if (start) node.bus.detach(node.accelerometerAddress);
        else node.bus.attach(node.accelerometerAddress, node.accelerometer);
        break;
      case "bus-stuck":
        if (f.for_s === undefined) node.bus.jam(f.clocks ?? 6);
        else node.bus.setStuck(start);
        break;
      case "broker-down":
        setBroker(!start);
        break;
      case "partition":
        proxy.refuseConnections(start);
        if (start) {
          const boot = node.app.boot;
          proxy.dropConnections();
          // The broker publishes the node's will; let the subscriber have it before time moves on.
          hold(() => waitFor(() => offlineSeen(boot)));
        }
        break;
      case "power-loss": {
        // The power goes: no DISCONNECT, RAM is gone; the node boots again from its storage.
        const boot = node.app.boot;
        record();
        node.host.killConnections();
        node.host.haltTimers(); // the CPU stops with the power
        hold(async () => {
          await waitFor(() => offlineSeen(boot) || !brokerUp);
          node.powerLoss();
        });
        break;
      }
      case "clock-jump": {
        clock.setWall(clock.wall()! + f.by_s! * 1000);
        jumps.push({ at: clock.now(), offsetMs: clock.wall()! - virtualWall() });
        break;
      }
    }
  };

  try {
    await waitFor(() => observer.subscribed);
    if (!observer.subscribed) throw new Error(`cannot subscribe at ${url}`);
    for (const e of scenario.events) clock.set(() => node.machine.set(e.path, e.value, e.at_s), e.at_s * 1000);
    for (const e of scenario.actions) {
      clock.set(() => apply(e, "start"), e.at_s * 1000);
      if (e.kind === "fault" && e.for_s !== undefined) clock.set(() => apply(e, "end"), (e.at_s + e.for_s) * 1000);
    }
    node.start();
    const totalMs = scenario.duration_s * 1000;
    await drive({ clock, until: totalMs, speed: o.speed ?? "max", busy, maxWaitMs: MAX_WAIT_MS, signal: o.signal, onProgress: (ms) => o.onProgress?.(ms, totalMs) });
    await waitIdle(busy, MAX_WAIT_MS, o.signal);
    record();
    const messages = observer.messages.slice();
    const results = check(scenario.expect, { startMs: scenario.startMs, prefix, nodeId: spec.nodeId, messages, produced, jumps });
    return {
      name: scenario.name ?? o.source ?? "scenario",
      source: o.source,
      seed: scenario.seed,
      nodeId: spec.nodeId,
      virtualMs: clock.now(),
      realMs: performance.now() - realStart,
      messages,
      results,
      passed: results.every((r) => r.pass),
      produced,
    };
  } finally {
    node.stop();
    await observer.close();
    await proxy.close();
    await embedded?.stop();
  }
}

/** The readable report: one block per expectation, then a summary line. */
export function formatReport(r: ScenarioRunResult): string {
  const lines = [`scenario ${JSON.stringify(r.name)}${r.source && r.source !== r.name ? ` (${r.source})` : ""}: seed ${r.seed}, ${(r.virtualMs / 1000).toFixed(1)} s simulated in ${(r.realMs / 1000).toFixed(1)} s, ${r.messages.length} messages`];
  for (const x of r.results) {
    lines.push(`  ${x.pass ? "PASS" : "FAIL"}  [${x.index}] ${x.title}`);
    if (!x.pass) lines.push(`        expected: ${x.expected}`, `        seen:     ${x.seen}`);
    else lines.push(`        seen:     ${x.seen}`);
  }
  const failed = r.results.filter((x) => !x.pass).length;
  lines.push(r.results.length === 0 ? "no expectations" : failed ? `${failed} of ${r.results.length} expectation(s) FAILED` : `all ${r.results.length} expectation(s) hold`);
  return lines.join("\n") + "\n";
}
