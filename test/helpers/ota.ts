/*
 * Update tests share: signed packages made with Node's crypto (not the node's
 * verifier), simulated nodes on a real mosquitto in virtual time, and a plant
 * client that sends `cmd/ota` and reads the acks and statuses an independent
 * subscriber saw.
 */
import type { ExecutionContext } from "ava";
import crypto from "node:crypto";
import fs from "node:fs";
import * as mqtt from "mqtt";
import { startMosquitto } from "../../tools/brokers/broker.js";
import { Observer, SimNode, nodeSpecs, sharedView, type NodeSpec } from "../../tools/simulator/simulation.js";
import { drive, waitIdle } from "../../tools/simulator/drive.js";
import { VirtualClock } from "../../sim/clock.js";
import { MemoryStorage } from "../../hosts/node/storage.js";
import type { Target } from "../../firmware/ota/header.js";
import { packPackage, simBundle } from "../../tools/ota/pack.js";
import { DEV_PRIVATE_KEY, devOtaKeys } from "../../tools/ota/dev-key.js";
import { EVENT_CEILING_MS, json } from "./wait.js";
import type { SimFlash } from "../../sim/flash.js";

export const EPOCH_MS = Date.parse("2026-01-01T00:00:00Z");
export const DEV_KEY = crypto.createPrivateKey(fs.readFileSync(DEV_PRIVATE_KEY));

export interface Package {
  bytes: Uint8Array;
  version: string;
  /** The payload's SHA-256, hex (what cmd/ota names). */
  sha256: string;
}

/** A signed package (`ota pack`'s packer: node:crypto signs, the node's own verifier checks), with the payload hash cmd/ota names. */
export function makePackage(o: { payload: Uint8Array; version: string; counter?: number; target?: Target; key?: crypto.KeyObject }): Package {
  const bytes = packPackage({ target: o.target ?? "sim", version: o.version, counter: o.counter ?? 0, payload: o.payload, key: o.key ?? DEV_KEY });
  return { bytes, version: o.version, sha256: crypto.createHash("sha256").update(o.payload).digest("hex") };
}

const bundles = new Map<string, Uint8Array>();

/** The firmware bundled as a sim image of `version`, plus `footer` (code run after the bundle: a changed behaviour). */
export async function bundle(version: string, footer = "", otaKeys = devOtaKeys()): Promise<Uint8Array> {
  const key = `${version}\n${otaKeys}`;
  let base = bundles.get(key);
  if (!base) bundles.set(key, (base = await simBundle({ version, otaKeys })));
  return footer ? Buffer.concat([base, Buffer.from(`\n${footer}\n`)]) : base;
}

export interface OtaRig {
  broker: Awaited<ReturnType<typeof startMosquitto>>;
  clock: VirtualClock;
  nodes: SimNode[];
  observer: Observer;
  plant: mqtt.MqttClient;
  logs: string[];
  /** Runs virtual time until `done()` (checked every virtual second) or `maxMs` more, whichever first; false if it ran out. */
  runUntil(done: () => boolean, maxMs: number, busy?: () => boolean): Promise<boolean>;
  /** Sends cmd/ota for `pkg` at `url` to `node`. */
  update(node: SimNode, url: string, pkg: Package, size?: number): Promise<void>;
  /** JSON payloads seen on `sensors/<nodeId>/<suffix>`. */
  on(node: SimNode, suffix: string): any[];
  /** The ack states the node published on cmd/ota/ack, in order. */
  states(node: SimNode): string[];
}

export async function startOtaRig(t: ExecutionContext, o: { nodes?: number; specs?: NodeSpec[]; confirmS?: number; flash?: (i: number) => SimFlash | undefined } = {}): Promise<OtaRig> {
  const broker = await startMosquitto();
  t.teardown(() => broker.close());
  const clock = new VirtualClock({ epochMs: EPOCH_MS });
  const logs: string[] = [];
  const specs = o.specs ?? nodeSpecs(undefined, o.nodes ?? 1, 7);
  // Independent devices: one node's bus time must not move the others' clock (simulation.ts sharedView).
  const nodeClock = specs.length > 1 ? sharedView(clock) : clock;
  const nodes = specs.map(
    (spec, i) =>
      new SimNode({
        clock: nodeClock,
        spec: o.confirmS ? { ...spec, config: { ...spec.config, ota: { confirmS: o.confirmS } } } : spec,
        broker: { host: broker.host, port: broker.port, secure: false },
        storage: new MemoryStorage(),
        flash: o.flash?.(i),
        log: (level, message) => logs.push(`${spec.nodeId} ${level} ${message}`),
      }),
  );
  t.teardown(() => nodes.forEach((n) => n.stop()));
  const observer = await Observer.connect(broker.url, "sensors/#", () => clock.wall()!);
  t.teardown(() => observer.close());
  const plant = await mqtt.connectAsync(broker.url, { clientId: `plant-${process.pid}` });
  t.teardown(() => plant.endAsync(true));
  for (const n of nodes) n.start();
  const nodeBusy = () => nodes.some((n) => n.busy);
  const rig: OtaRig = {
    broker,
    clock,
    nodes,
    observer,
    plant,
    logs,
    async runUntil(done, maxMs, busy = nodeBusy) {
      const end = clock.now() + maxMs;
      while (!done()) {
        if (clock.now() >= end) return false;
        await drive({ clock, until: Math.min(end, clock.now() + 1000), speed: "max", busy, maxWaitMs: EVENT_CEILING_MS });
        await waitIdle(busy, EVENT_CEILING_MS);
        // Let the subscriber's socket deliver what the broker forwarded in this second.
        await new Promise((r) => setImmediate(r));
      }
      return true;
    },
    async update(node, url, pkg, size = pkg.bytes.length) {
      await plant.publishAsync(`sensors/${node.spec.nodeId}/cmd/ota`, JSON.stringify({ url, version: pkg.version, sha256: pkg.sha256, size }), { qos: 1 });
    },
    on: (node, suffix) => observer.messages.filter((m) => m.topic === `sensors/${node.spec.nodeId}/${suffix}`).map((m) => json(m.payload)),
    states: (node) => rig.on(node, "cmd/ota/ack").map((a) => a.state ?? (a.ok ? "ok" : "error")),
  };
  return rig;
}

/** The last status the node published (retained), or undefined. */
export function lastStatus(rig: OtaRig, node: SimNode): any {
  return rig.on(node, "status").at(-1);
}
