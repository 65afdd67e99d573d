/*
 * One node fresh from the factory (SimNode in factory mode, docs/provisioning.md)
 * with its setup page on a loopback port, an embedded aedes broker it can be
 * provisioned with, and an independent subscriber on that broker. Virtual time
 * runs in the background at a multiple of real time (the page is real I/O;
 * restarts and connection attempts take virtual time). Everything is closed
 * at the test's teardown.
 */
import type { ExecutionContext } from "ava";
import * as net from "node:net";
import { freePort, startAedes } from "../../tools/brokers/broker.js";
import { Observer, SimNode, type NodeSpec } from "../../tools/simulator/simulation.js";
import { drive } from "../../tools/simulator/drive.js";
import { VirtualClock } from "../../sim/clock.js";
import { MemoryStorage } from "../../hosts/node/storage.js";
import type { Storage } from "../../firmware/host.js";
import { EVENT_CEILING_MS, until } from "./wait.js";

export interface FactoryNode {
  node: SimNode;
  clock: VirtualClock;
  storage: Storage;
  /** The setup page, http://127.0.0.1:PORT/. */
  url: string;
  port: number;
  /** The setup key, as the unprovisioned banner shows it. */
  key: string;
  /** Every log line: "level message". */
  logs: string[];
  /** The embedded broker's URL and the subscriber on it (sensors/#). */
  brokerUrl: string;
  observer: Observer;
  /** A JSON API call; `key` adds the Authorization header. */
  api(route: string, options?: { body?: unknown; key?: string; raw?: string; contentType?: string }): Promise<{ status: number; body: any }>;
  /** Sends raw bytes on a fresh connection and returns everything the node answered until it closed. */
  raw(bytes: string | Uint8Array): Promise<string>;
  /** Waits (real time, generous ceiling) until `predicate` holds. */
  until(predicate: () => boolean, what: string): Promise<void>;
}

export interface FactoryOptions {
  storage?: Storage;
  /** Virtual time per real time (default 20). */
  speed?: number;
  seed?: number;
  config?: Record<string, unknown>;
  /** The broker the subscriber watches (default: an embedded aedes broker started here). */
  brokerUrl?: string;
  /** Wi-Fi networks in range (default: sim/wifi.ts's plant / plant-secret). */
  wifi?: NodeSpec["wifi"];
}

export async function startFactoryNode(t: ExecutionContext, o: FactoryOptions = {}): Promise<FactoryNode> {
  const broker = o.brokerUrl ? undefined : await startAedes(0);
  const brokerUrl = o.brokerUrl ?? broker!.url;
  const observer = await Observer.connect(brokerUrl, ["sensors/#"], () => Date.now());
  const clock = new VirtualClock({ epochMs: Date.now() });
  const port = await freePort();
  const logs: string[] = [];
  const storage = o.storage ?? new MemoryStorage();
  const node = new SimNode({
    clock,
    spec: { nodeId: "factory", seed: o.seed ?? 5, machine: { rpm: 1500, vibration: [{ axis: "x", kind: "sine", freq_hz: 25, vrms_mm_s: 2.5 }], temperature_c: 38 }, config: o.config ?? {}, ...(o.wifi ? { wifi: o.wifi } : {}) },
    broker: { host: "0.0.0.0", port: 1, secure: false }, // unused: a factory node learns its broker
    storage,
    log: (level, message) => logs.push(`${level} ${message}`),
    factory: { setupPort: port },
  });
  node.start();
  const abort = new AbortController();
  const driving = drive({ clock, until: Infinity, speed: o.speed ?? 20, busy: () => node.busy, maxWaitMs: EVENT_CEILING_MS, signal: abort.signal });
  t.teardown(async () => {
    abort.abort();
    await driving;
    node.stop();
    await observer.close();
    await broker?.close();
  });
  const url = `http://127.0.0.1:${port}/`;
  const banner = logs.map((l) => /setup key ([A-Z0-9-]+)/.exec(l)).find((m) => m);
  await waitListening(port);
  return {
    node,
    clock,
    storage,
    url,
    port,
    key: banner ? banner[1] : "",
    logs,
    brokerUrl,
    observer,
    async api(route, options = {}) {
      const headers: Record<string, string> = {};
      if (options.key !== undefined) headers.Authorization = `Bearer ${options.key}`;
      const post = options.body !== undefined || options.raw !== undefined;
      if (post) headers["Content-Type"] = options.contentType ?? "application/json";
      const r = await fetch(`${url}api/${route}`, { method: post ? "POST" : "GET", headers, body: options.raw ?? (post ? JSON.stringify(options.body) : undefined) });
      const text = await r.text();
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
      return { status: r.status, body };
    },
    raw: (bytes) => rawExchange(port, bytes),
    until: (predicate, what) => until(predicate, what),
  };
}

/** Waits until something accepts connections on the port (the host binds asynchronously). */
async function waitListening(port: number): Promise<void> {
  const deadline = Date.now() + EVENT_CEILING_MS; // a hang catcher in real time, not a count of polls
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, "127.0.0.1", () => (s.destroy(), resolve(true)));
      s.on("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${port} after ${EVENT_CEILING_MS} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Writes `bytes` on a new loopback connection; resolves with all the answer once the node closes (or resets) it. */
export function rawExchange(port: number, bytes: string | Uint8Array): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const s = net.connect(port, "127.0.0.1");
    s.on("data", (d) => chunks.push(d));
    s.on("error", (e: NodeJS.ErrnoException) => (e.code === "ECONNRESET" || e.code === "EPIPE" ? undefined : reject(e)));
    s.on("close", () => resolve(Buffer.concat(chunks).toString("latin1")));
    s.setTimeout(EVENT_CEILING_MS, () => reject(new Error("no answer")));
    s.write(bytes);
  });
}
