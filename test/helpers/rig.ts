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
import { startAedes } from "../../tools/brokers/broker.js";
import { Observer, SimNode, type NodeSpec } from "../../tools/simulator/simulation.js";
import { drive, waitIdle } from "../../tools/simulator/drive.js";
import { VirtualClock } from "../../sim/clock.js";
import type { Storage, LogLevel } from "../../firmware/host.js";
import { json } from "./wait.js";

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
}

export interface Rig {
  broker: Awaited<ReturnType<typeof startAedes>>;
  clock: VirtualClock;
  node: SimNode;
  /** The subscriber (undefined with `filter: null` until `observe`). */
  observer: Observer;
  /** Runs virtual time up to `ms` at full speed, then waits until the node is idle and late messages are in. */
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

/** Real ms given to messages already on their way to the subscriber after a run. */
const SETTLE_MS = 30;

export async function startRig(t: ExecutionContext, o: RigOptions): Promise<Rig> {
  const broker = await startAedes();
  t.teardown(() => broker.close());
  const clock = new VirtualClock({ epochMs: RIG_EPOCH_MS });
  const node = new SimNode({ clock, spec: o.spec, broker: { host: broker.host, port: broker.port, secure: false }, storage: o.storage, log: o.log });
  t.teardown(() => node.stop());
  const observe = async (filter: string) => {
    const observer = await Observer.connect(broker.url, filter, () => clock.wall()!);
    t.teardown(() => observer.close());
    return observer;
  };
  const filter = o.filter === undefined ? "sensors/#" : o.filter;
  const rig: Rig = {
    broker,
    clock,
    node,
    observer: filter === null ? (undefined as unknown as Observer) : await observe(filter),
    async runTo(ms) {
      await drive({ clock, until: ms, speed: "max", busy: () => node.busy });
      await waitIdle(() => node.busy, 2000);
      await new Promise((r) => setTimeout(r, SETTLE_MS));
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
