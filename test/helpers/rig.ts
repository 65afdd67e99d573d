/*
 * The set-up end-to-end tests share: one simulated node on an embedded aedes
 * broker, in virtual time, watched by an independent subscriber. Everything it
 * starts is closed at the test's teardown.
 *
 *   const { node, runTo, on } = await startRig(t, { spec });
 *   await runTo(10_000);                       // virtual ms since start, at full speed
 *   on("alarm")                                // JSON payloads on sensors/<nodeId>/alarm
 */
import type { ExecutionContext } from "ava";
import * as mqtt from "mqtt";
import type { AedesOptions } from "aedes";
import { startAedes } from "../../tools/brokers/broker.js";
import { Observer, SimNode, type NodeSpec } from "../../tools/simulator/simulation.js";
import { drive, waitIdle } from "../../tools/simulator/drive.js";
import { VirtualClock } from "../../sim/clock.js";
import type { Storage, LogLevel } from "../../firmware/host.js";
import { EVENT_CEILING_MS, json, until } from "./wait.js";

/** The wall clock of every rig at virtual time 0. */
export const RIG_EPOCH_MS = Date.parse("2026-01-01T00:00:00Z");

export interface RigOptions {
  spec: NodeSpec;
  storage?: Storage;
  log?: (level: LogLevel, message: string) => void;
  /** The subscriber's filter (default "sensors/#"); null: none yet (see `observe`). */
  filter?: string | null;
  /** Start the node at once (default true); false lets a test change the bus first. */
  start?: boolean;
  /** Options for the embedded aedes (a preConnect hook, ...). */
  aedes?: AedesOptions;
}

export interface Rig {
  broker: Awaited<ReturnType<typeof startAedes>>;
  clock: VirtualClock;
  node: SimNode;
  /** The subscriber (undefined with `filter: null` until `observe`). */
  observer: Observer;
  /** Runs virtual time up to `ms` at full speed, then waits until the node is idle and the subscriber has every message the broker took. */
  runTo(ms: number): Promise<void>;
  /** Runs `ms` more virtual time. */
  runFor(ms: number): Promise<void>;
  /** JSON payloads of the messages on `sensors/<nodeId>/<suffix>`, in arrival order. */
  on(suffix: string): any[];
  /** A subscriber that arrives now (a dashboard, Home Assistant restarting). */
  observe(filter: string): Promise<Observer>;
  /** A plain mqtt.js client on the broker (a plant system sending commands). */
  client(): Promise<mqtt.MqttClient>;
}


/**
 * What a subscriber is owed: every PUBLISH (and will) the broker accepts on a topic under its
 * filter, counted when accepted (before the PUBACK goes out, so before the node can move on).
 * The subscriber gets each once, not retained (a live forward clears the flag), so a run ends
 * when its non-retained messages reach the count: an event, not a pause.
 */
export function owedCounter(broker: Awaited<ReturnType<typeof startAedes>>): { count: number; watch(filter: string | string[]): void } {
  const owed = { filters: [] as string[], count: 0, watch: (filter: string | string[]) => Object.assign(owed, { filters: ([] as string[]).concat(filter), count: 0 }) };
  const authorize = broker.aedes.authorizePublish.bind(broker.aedes);
  broker.aedes.authorizePublish = (client, packet, callback) =>
    authorize(client, packet, (error) => {
      if (!error && owed.filters.some((f) => matches(f, packet.topic))) owed.count++;
      callback(error);
    });
  return owed;
}

/** MQTT topic filter match (+ one level, # the rest; $-topics only by an explicit first level). */
function matches(filter: string, topic: string): boolean {
  const f = filter.split("/");
  const t = topic.split("/");
  if (t[0].startsWith("$") && (f[0] === "+" || f[0] === "#")) return false;
  for (let i = 0; i < f.length; i++) {
    if (f[i] === "#") return true;
    if (i >= t.length || (f[i] !== "+" && f[i] !== t[i])) return false;
  }
  return f.length === t.length;
}

export async function startRig(t: ExecutionContext, o: RigOptions): Promise<Rig> {
  const broker = await startAedes(0, o.aedes);
  t.teardown(() => broker.close());
  const clock = new VirtualClock({ epochMs: RIG_EPOCH_MS });
  const owed = owedCounter(broker);
  const node = new SimNode({ clock, spec: o.spec, broker: { host: broker.host, port: broker.port, secure: false }, storage: o.storage, log: o.log });
  t.teardown(() => node.stop());
  const observe = async (filter: string) => {
    const observer = await Observer.connect(broker.url, filter, () => clock.wall()!);
    t.teardown(() => observer.close());
    owed.watch(filter);
    return observer;
  };
  const live = () => (rig.observer ? rig.observer.messages.filter((m) => !m.retain).length : Infinity);
  const filter = o.filter === undefined ? "sensors/#" : o.filter;
  const rig: Rig = {
    broker,
    clock,
    node,
    observer: filter === null ? (undefined as unknown as Observer) : await observe(filter),
    async runTo(ms) {
      // The embedded broker always answers: virtual time waits for every reply, however long a busy machine takes.
      await drive({ clock, until: ms, speed: "max", busy: () => node.busy, maxWaitMs: EVENT_CEILING_MS });
      await waitIdle(() => node.busy, EVENT_CEILING_MS);
      await until(() => live() >= owed.count, `the subscriber to have the ${owed.count} messages the broker took`, EVENT_CEILING_MS);
    },
    runFor: (ms) => rig.runTo(clock.now() + ms),
    on: (suffix) => rig.observer.messages.filter((m) => m.topic === `sensors/${node.app.nodeId}/${suffix}`).map((m) => json(m.payload)),
    async observe(f) {
      rig.observer = await observe(f);
      return rig.observer;
    },
    async client() {
      const c = await mqtt.connectAsync(broker.url);
      t.teardown(() => c.endAsync(true));
      return c;
    },
  };
  if (o.start !== false) node.start();
  return rig;
}
