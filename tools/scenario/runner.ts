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
 *
 * None of these waits ends on a real-time budget: each waits for an event that
 * is sure to come (a reply from the embedded broker on loopback, a reset from
 * the fault proxy, a will), however long a busy machine takes to deliver it.
 * Where no event will come, the runner knows it, because it injected the fault:
 * a node that was not connected leaves no will, and a stopped or partitioned
 * broker answers a connection attempt with a reset at once. The real-time
 * ceiling (EVENT_CEILING_MS) only keeps a broken run from hanging; reaching it
 * is logged as a warning, because the log may then differ from run to run.
 */
import type { SimOta } from "../ota/sim-options.js";
import { VirtualClock } from "../../sim/clock.js";
import { SimNode, sharedView, type SimNodeOptions } from "../simulator/simulation.js";
import { drive, sleep, waitIdle } from "../simulator/drive.js";
import { parseBrokerUrl } from "../brokers/broker.js";
import { startFaultProxy, type FaultProxy } from "../brokers/fault-proxy.js";
import { parsePayload, type ObservedMessage } from "../cli/output.js";
import type { Scenario } from "./parse.js";
import type { ActionEvent, FaultEvent } from "./spec.js";
import { RestartableAedes, ScenarioObserver } from "./harness.js";
import { checkPlan, formatResults, type ExpectationResult } from "./check.js";
import { planRun, type PlannedNode } from "./plan.js";
import type { LogLevel } from "../../firmware/host.js";
import { FileStorage } from "../../hosts/node/storage.js";
import { RunError } from "../cli/args.js";
import { nodeCount, type NodeCount } from "../simulator/delivery.js";

export type { ExpectationResult } from "./check.js";

export interface ScenarioRunOptions {
  /** The file it came from, for reports. */
  source?: string;
  broker?: string;
  speed?: number | "max";
  /** The CPU model (--cpu esp32 / --cpu-rate); undefined: free computation. */
  cpu?: SimNodeOptions["cpu"];
  signal?: AbortSignal;
  onMessage?: (m: ObservedMessage) => void;
  /** About once per virtual second (the CLI throttles it to once per real second). */
  onProgress?: (virtualMs: number, totalMs: number) => void;
  /** A node's log line (`nodeId`: the node's; absent: the runner's own), prefixed with the node's id in a fleet. */
  onLog?: (level: LogLevel, message: string, nodeId?: string) => void;
  /** One-node scenarios: run this many nodes alike (`sensor-node sim --nodes N --scenario`; plan.ts). */
  copies?: number;
  /** Keep each node's flash in `storageDir/<node>/` (`sim --storage`); default: memory. */
  storageDir?: string;
  /** Update keys and a starting image for the nodes (`sim --ota-key`, `--image`). */
  ota?: SimOta;
  /** Called once the broker is known (embedded or --broker), before the node starts: a dashboard attaches here. */
  onBroker?: (url: string, prefix: string) => Promise<void> | void;
}

export interface ScenarioRunResult {
  name: string;
  source?: string;
  seed: number;
  /** The node (one-node scenario), or the fleet's first node. */
  nodeId: string;
  virtualMs: number;
  realMs: number;
  /** Every message, in arrival order within each node and stamp (a fleet's order across nodes: stamp, then node id). */
  messages: ObservedMessage[];
  /** One per expectation; in a fleet one per (group, expectation), over the group's nodes. */
  results: ExpectationResult[];
  passed: boolean;
  /** Last seq per boot, from the node's own counter (a fleet: its first node's). */
  produced: Map<number, number>;
  /** Under the CPU model: the first node's tasks (main, and core 0 with the FIFO sampler): CPU time and the longest a timer waited for its busy task, ms. */
  tasks?: { name: string; busyMs: number; maxLateMs: number }[];
  /** Every node's last boot and the last seq it made there, and whether it published JSON (the delivery check of `sim`). */
  lastBoots?: NodeCount[];
  /** A fleet: every node, its group and what it made. Absent for one node. */
  fleet?: { groups: number; nodes: { nodeId: string; group: string; produced: Map<number, number> }[] };
}

/**
 * Real ms virtual time waits for an event that is sure to come (a reply, a fault applied, the
 * subscriber catching up) before it moves on regardless, with a warning. Generous, so that a
 * loaded machine never reaches it: reaching it would change the log.
 */
const EVENT_CEILING_MS = 30_000;
/** With an external broker (--broker) a message can be lost for good, or the broker may stall: the subscriber's gap is accepted after this. */
const EXTERNAL_LAG_MS = 5000;
/** With an external broker (--broker), how long the subscriber may take to connect before the run gives up on it. */
const EXTERNAL_CONNECT_MS = 10_000;

/** One node of the run and what the runner keeps about it. */
interface Member {
  plan: PlannedNode;
  node: SimNode;
  /** Its own fault proxy (partitions act on one node). */
  proxy: FaultProxy;
  /** Last seq per boot, from the node's own counter. */
  produced: Map<number, number>;
  /** Boots whose will ("offline") the subscriber has seen. */
  offline: Set<number>;
  /** Config acks the subscriber has yet to see. */
  acks: number;
}

export async function runScenario(scenario: Scenario, o: ScenarioRunOptions = {}): Promise<ScenarioRunResult> {
  const realStart = performance.now();
  const clock = new VirtualClock({ epochMs: scenario.startMs });
  const plan = planRun(scenario, o.copies);
  // In a fleet the nodes share the clock as independent devices: one node's bus time does not delay the others.
  const nodeClock = plan.nodes.length > 1 ? sharedView(clock) : clock;
  const prefix = String((scenario.node.config.mqtt as { prefix?: string } | undefined)?.prefix ?? "sensors");
  const virtualWall = () => scenario.startMs + Math.round(clock.now());

  const embedded = o.broker ? undefined : new RestartableAedes(prefix);
  await embedded?.start();
  const target = o.broker ? parseBrokerUrl(o.broker) : { host: embedded!.host, port: embedded!.port, secure: false };
  if (target.secure) throw new Error("--broker: the scenario runner speaks plain MQTT to the broker (mqtt://); TLS is not supported here");
  const url = o.broker ?? embedded!.url;
  await o.onBroker?.(url, prefix);
  // Stamped with the clock's frontier: a message leaves its node when the node's work is done (sim/clock.ts).
  const observer = new ScenarioObserver(url, `${prefix}/#`, () => scenario.startMs + Math.round(clock.frontier()));
  // Each node reaches the broker through its own fault proxy: partitions (and broker-down on an external broker) happen there.
  const members: Member[] = [];
  const byId = new Map<string, Member>();
  const log = new StampedLog(prefix, o.onMessage);
  observer.onMessage((m) => log.add(m));

  const jumps: { at: number; offsetMs: number }[] = [];
  let pending = 0;
  let brokerUp = true;
  let acksAwaited = 0;
  observer.onMessage((m) => {
    const [nodeId, ...rest] = m.topic.slice(prefix.length + 1).split("/");
    const member = byId.get(nodeId);
    if (!member) return;
    const sub = rest.join("/");
    if (sub === "cmd/config/ack" && member.acks > 0) {
      member.acks--;
      acksAwaited--;
    } else if (sub === "status") {
      const p = parsePayload(m.payload) as { state?: string; boot?: number } | undefined;
      if (p?.state === "offline" && typeof p.boot === "number") member.offline.add(p.boot);
    }
  });
  const record = (m: Member) => m.produced.set(m.node.app.boot, Math.max(m.produced.get(m.node.app.boot) ?? 0, m.node.app.seq));

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
    if (now - lagSince > (embedded ? EVENT_CEILING_MS : EXTERNAL_LAG_MS) && observer.subscribed && embedded) {
      forgiven = embedded.published - observer.receivedSinceSubscribe;
      lagSince = 0;
      o.onLog?.("warn", `the subscriber missed ${forgiven} message(s); going on`);
      return false;
    }
    return true;
  };
  const busy = () => pending > 0 || acksAwaited > 0 || members.some((m) => m.node.busy) || observerBehind();
  /** Runs an asynchronous part of an event while virtual time waits. */
  const hold = (work: () => Promise<void>) => {
    pending++;
    work()
      .catch((error) => o.onLog?.("error", `scenario event failed: ${(error as Error).message}`))
      .finally(() => pending--);
  };
  const waitFor = async (cond: () => boolean, what: string, ceilingMs = EVENT_CEILING_MS) => {
    const deadline = performance.now() + ceilingMs;
    while (!cond()) {
      if (performance.now() > deadline) return o.onLog?.("warn", `waited ${ceilingMs / 1000} s of real time for ${what}; going on (this run's log may differ)`);
      await sleep(2);
    }
  };
  /** Nodes whose broker connection is up now: only they leave a will when it is cut (and only while the broker is up). */
  const willing = (list: Member[]) => (brokerUp ? list.filter((m) => m.node.app.mqtt.connected) : []);
  // A node learns of a reset connection from its socket, some real time later: until it has, time waits,
  // or its reconnect backoff would start at whatever virtual time the close happened to arrive.
  const disconnected = (list: Member[]) => () => list.every((m) => !m.node.app.mqtt.connected);

  const setBroker = (up: boolean) =>
    hold(async () => {
      if (embedded) {
        if (up) {
          await embedded.start();
          forgiven = 0;
          brokerUp = true;
          await waitFor(() => observer.subscribed, "the subscriber on the restarted broker");
        } else {
          brokerUp = false;
          await embedded.stop();
          for (const m of members) m.proxy.dropConnections();
          await waitFor(disconnected(members), "the nodes to see the broker go");
        }
      } else {
        // An external broker cannot be stopped from here: the nodes lose it behind their proxies instead.
        for (const m of members) {
          m.proxy.refuseConnections(!up);
          if (!up) m.proxy.dropConnections();
        }
        if (!up) await waitFor(disconnected(members), "the nodes to see the broker go");
      }
    });

  const apply = (e: ActionEvent, phase: "start" | "end", targets: Member[]) => {
    if (e.kind === "config") {
      for (const m of targets) {
        m.acks++;
        acksAwaited++;
        observer.publish(`${prefix}/${m.plan.spec.nodeId}/cmd/config`, JSON.stringify(e.config));
      }
      return;
    }
    const f: FaultEvent = e;
    const start = phase === "start";
    switch (f.fault) {
      case "broker-down":
        setBroker(!start);
        return;
      case "clock-jump":
        clock.setWall(clock.wall()! + f.by_s! * 1000);
        jumps.push({ at: clock.now(), offsetMs: clock.wall()! - virtualWall() });
        return;
      case "partition":
        for (const m of targets) m.proxy.refuseConnections(start);
        if (start) {
          // The broker publishes the will of each node that was connected; let the subscriber have them before time moves on.
          const wills = willing(targets).map((m) => ({ m, boot: m.node.app.boot }));
          for (const m of targets) m.proxy.dropConnections();
          hold(() => waitFor(() => disconnected(targets)() && wills.every(({ m, boot }) => m.offline.has(boot)), "the partitioned nodes' wills"));
        }
        return;
      case "power-loss": {
        // The power goes: no DISCONNECT, RAM is gone; the node boots again from its storage.
        const wills = willing(targets).map((m) => ({ m, boot: m.node.app.boot }));
        for (const m of targets) {
          record(m);
          m.node.host.killConnections();
          m.node.host.haltTimers(); // the CPU stops with the power
        }
        hold(async () => {
          await waitFor(() => !brokerUp || wills.every(({ m, boot }) => m.offline.has(boot)), "the wills of the nodes that lost power");
          for (const m of targets) m.node.powerLoss();
        });
        return;
      }
    }
    for (const { node } of targets) {
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
      }
    }
  };

  try {
    for (const p of plan.nodes) {
      const proxy = await startFaultProxy({ target: { host: target.host, port: target.port } });
      const id = p.spec.nodeId;
      const storage = o.storageDir ? new FileStorage(`${o.storageDir}/${id}`) : undefined;
      const node = new SimNode({ clock: nodeClock, cpu: o.cpu, spec: p.spec, storage, ...o.ota, broker: { host: proxy.host, port: proxy.port, secure: false }, log: (level, message) => o.onLog?.(level, plan.fleet ? `${id}: ${message}` : message, id) });
      const member: Member = { plan: p, node, proxy, produced: new Map(), offline: new Set(), acks: 0 };
      members.push(member);
      byId.set(p.spec.nodeId, member);
    }
    if (embedded) await waitFor(() => observer.subscribed, "the subscriber");
    else await waitFor(() => observer.subscribed, "the subscriber", EXTERNAL_CONNECT_MS);
    if (!observer.subscribed) throw new RunError(`sensor-node: cannot reach the broker at ${url} (--broker: no subscription within ${(embedded ? EVENT_CEILING_MS : EXTERNAL_CONNECT_MS) / 1000} s)`);
    for (const m of members) for (const e of m.plan.events) clock.set(() => m.node.machine.set(e.path, e.value, e.at_s), e.at_s * 1000);
    for (const { event: e, nodes } of plan.actions) {
      const targets = (nodes ?? []).map((g) => members[g]);
      clock.set(() => apply(e, "start", targets), e.at_s * 1000);
      if (e.kind === "fault" && e.for_s !== undefined) clock.set(() => apply(e, "end", targets), (e.at_s + e.for_s) * 1000);
    }
    // Every node is powered on at 0, as one node is: a fleet's windows coincide, so the waits for replies batch.
    for (const m of members) m.node.start();
    const totalMs = scenario.duration_s * 1000;
    await drive({
      clock,
      until: totalMs,
      speed: o.speed ?? "max",
      busy,
      maxWaitMs: EVENT_CEILING_MS,
      onGiveUp: () => o.onLog?.("warn", `waited ${EVENT_CEILING_MS / 1000} s of real time for a reply; virtual time goes on (this run's log may differ)`),
      signal: o.signal,
      onProgress: (ms) => {
        log.flush(virtualWall());
        o.onProgress?.(ms, totalMs);
      },
    });
    if (!(await waitIdle(busy, EVENT_CEILING_MS, o.signal)) && !o.signal?.aborted) o.onLog?.("warn", `waited ${EVENT_CEILING_MS / 1000} s of real time for the last replies; going on`);
    for (const m of members) record(m);
    const messages = log.flush(Infinity);
    const results = checkPlan(plan, { startMs: scenario.startMs, prefix, messages, jumps }, (g) => members[g].produced);
    return {
      name: scenario.name ?? o.source ?? "scenario",
      source: o.source,
      seed: scenario.seed,
      nodeId: members[0].plan.spec.nodeId,
      virtualMs: clock.now(),
      realMs: performance.now() - realStart,
      messages,
      results,
      passed: results.every((r) => r.pass),
      produced: members[0].produced,
      lastBoots: members.map((m) => nodeCount(m.node.app)),
      tasks: o.cpu ? [members[0].node.time, members[0].node.core0].filter((t) => t !== undefined).map((t) => ({ name: (t as { name?: string }).name ?? "main", busyMs: t!.busyMs, maxLateMs: t!.maxLateMs })) : undefined,
      fleet: plan.fleet ? { groups: scenario.fleet!.length, nodes: members.map((m) => ({ nodeId: m.plan.spec.nodeId, group: m.plan.group!, produced: m.produced })) } : undefined,
    };
  } finally {
    for (const m of members) m.node.stop();
    await observer.close();
    for (const m of members) await m.proxy.close();
    await embedded?.stop();
  }
}

/**
 * The message log in a deterministic order. Messages are stamped with virtual
 * time when they reach the subscriber; several nodes' messages with the same
 * stamp may arrive in any order (separate connections), so the log orders them
 * by stamp, then node id, keeping arrival order within a node (its messages
 * share one connection, so that order is the node's). A stamp is final once
 * virtual time has moved past it, so `flush(now)` hands out everything before.
 */
export class StampedLog {
  readonly all: ObservedMessage[] = [];
  #held: ObservedMessage[] = [];
  #prefix: string;

  constructor(prefix: string, private readonly onMessage?: (m: ObservedMessage) => void) {
    this.#prefix = prefix + "/";
  }

  add(m: ObservedMessage): void {
    this.#held.push(m);
  }

  /** Hands out (in order) every held message stamped before `wallMs`; returns the whole log so far. */
  flush(wallMs: number): ObservedMessage[] {
    const ready = this.#held.filter((m) => m.t < wallMs);
    if (ready.length) {
      this.#held = this.#held.filter((m) => m.t >= wallMs);
      const key = (m: ObservedMessage) => (m.topic.startsWith(this.#prefix) ? m.topic.slice(this.#prefix.length).split("/")[0] : m.topic);
      // Array.prototype.sort is stable: arrival order stays within (stamp, node).
      ready.sort((a, b) => a.t - b.t || (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
      for (const m of ready) {
        this.all.push(m);
        this.onMessage?.(m);
      }
    }
    return this.all;
  }
}

/** The readable report: one block per expectation (per group's expectation in a fleet), then a summary line. */
export function formatReport(r: ScenarioRunResult): string {
  const what = r.fleet ? `fleet of ${r.fleet.nodes.length} nodes in ${r.fleet.groups} group(s), ` : "";
  const lines = [`scenario ${JSON.stringify(r.name)}${r.source && r.source !== r.name ? ` (${r.source})` : ""}: seed ${r.seed}, ${what}${(r.virtualMs / 1000).toFixed(1)} s simulated in ${(r.realMs / 1000).toFixed(1)} s, ${r.messages.length} messages`];
  return [...lines, ...formatResults(r.results)].join("\n") + "\n";
}
