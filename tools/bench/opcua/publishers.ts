/*
 * Light synthetic nodes: one MQTT connection per node, a retained `status`
 * online, then the recorded telemetry (recording.ts) replayed at 1 Hz, each node
 * from its own place in the recording, with its own `boot`, `seq` and `ts` (wall
 * time at publish). Nodes are spread evenly over the second. Not the firmware:
 * what the gateway sees of a fleet, at a fraction of the simulator's cost.
 */
import * as mqtt from "mqtt";
import { inWindow, type MeasureWindow } from "./window.js";

export interface PublisherOptions {
  broker: string;
  prefix: string;
  nodes: number;
  payloads: Record<string, unknown>[];
  /** Connections opened at a time while connecting. */
  connectBatch?: number;
}

export const nodeName = (i: number) => `bench-${String(i + 1).padStart(4, "0")}`;

/** The nodes an OPC UA client monitors: every `step`-th, `count` of them. */
export function sampledNodes(nodes: number, count: number): number[] {
  const step = Math.max(1, Math.floor(nodes / count));
  return Array.from({ length: Math.min(count, nodes) }, (_, k) => k * step);
}

/** Publish period of every node (1 Hz). */
export const PERIOD_MS = 1000;
/** How often the pacing loop looks for nodes that are due. */
const TICK_MS = 5;

export class SyntheticFleet {
  readonly #o: PublisherOptions;
  readonly #clients: mqtt.MqttClient[] = [];
  #timer?: NodeJS.Timeout;
  /** Once set: publishing stops at its end, and what is published in it is counted. */
  window?: MeasureWindow;
  /** Messages published in the window, per node. */
  readonly counted: Uint32Array;

  constructor(o: PublisherOptions) {
    this.#o = o;
    this.counted = new Uint32Array(o.nodes);
  }

  /** Connects every node and publishes its retained status. */
  async connect(): Promise<void> {
    const batch = this.#o.connectBatch ?? 100;
    for (let i = 0; i < this.#o.nodes; i += batch) {
      const ids = Array.from({ length: Math.min(batch, this.#o.nodes - i) }, (_, k) => i + k);
      await Promise.all(ids.map((n) => this.#connectOne(n)));
    }
  }

  async #connectOne(n: number): Promise<void> {
    const status = `${this.#o.prefix}/${nodeName(n)}/status`;
    const client = await mqtt.connectAsync(this.#o.broker, {
      clientId: nodeName(n),
      reconnectPeriod: 0,
      will: { topic: status, payload: Buffer.from(JSON.stringify({ v: 1, state: "offline" })), qos: 1, retain: true },
    });
    this.#clients[n] = client;
    await client.publishAsync(status, JSON.stringify({ v: 1, state: "online", fw: "bench", boot: n + 1, ts: Date.now() }), { qos: 1, retain: true });
  }

  /** Publishes at 1 Hz per node until the window (once set) ends; resolves when the last message is handed to its socket. */
  run(): Promise<void> {
    const n = this.#o.nodes;
    const start = Date.now();
    const seq = new Array<number>(n).fill(0);
    let next = 0; // index of the next publish over all nodes: node next % n, round floor(next / n)
    return new Promise((resolve) => {
      const tick = () => {
        const now = Date.now();
        for (; ; next++) {
          const node = next % n;
          const due = start + Math.floor(next / n) * PERIOD_MS + (node * PERIOD_MS) / n;
          if (due > now) break;
          if (this.window && due >= this.window.to) return resolve();
          this.#publish(node, ++seq[node]);
        }
        this.#timer = setTimeout(tick, TICK_MS);
      };
      tick();
    });
  }

  #publish(node: number, seq: number): void {
    const recorded = this.#o.payloads[(node + seq) % this.#o.payloads.length];
    const ts = Date.now();
    const body = JSON.stringify({ ...recorded, boot: node + 1, seq, ts });
    this.#clients[node].publish(`${this.#o.prefix}/${nodeName(node)}/telemetry`, body, { qos: 1 });
    if (inWindow(this.window, ts)) this.counted[node]++;
  }

  async close(): Promise<void> {
    clearTimeout(this.#timer);
    await Promise.all(this.#clients.filter(Boolean).map((c) => c.endAsync().catch(() => {})));
  }
}
