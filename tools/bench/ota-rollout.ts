/*
 * A fleet updated over the air (docs/ota.md, "Figures"): simulated nodes
 * (SimNode, the fleet bench's light configuration) on one virtual clock,
 * connected to mosquitto on loopback, updated by runRollout (canary, then
 * batches of 10 %) to a good sim image signed with the development key. The
 * image is the firmware bundled by the project, so every node boots new code
 * in a fresh context.
 *
 * The rollout runs on the nodes' virtual clock, so its confirm timeout counts
 * node time: virtual time waits while a node awaits the broker or the
 * download's bytes (SimNode.busy), and stands still until the rollout has
 * commanded its canary (the rollout's link to the broker has its own ceilings
 * on this clock). A loaded machine makes the run slower, never a node late.
 *
 * Measured: the wall time of the whole rollout, the nodes confirmed, failed
 * and rolled back, and the process's resident memory (RSS) with every node on
 * its new image. Bounded: the rollout is interrupted after MAX_VIRTUAL_S.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import { startMosquitto } from "../brokers/broker.js";
import { SimNode, sharedView } from "../simulator/simulation.js";
import { drive, sleep, waitIdle } from "../simulator/drive.js";
import { fleetSpecs } from "../fleet/specs.js";
import { VirtualClock } from "../../sim/clock.js";
import { MemoryStorage } from "../../hosts/node/storage.js";
import { parseHeader } from "../../firmware/ota/header.js";
import { packPackage, simBundle } from "../ota/pack.js";
import { DEV_PRIVATE_KEY, devOtaKeys } from "../ota/dev-key.js";
import { runRollout, SUCCESS, type NodeResult } from "../ota/rollout.js";
import type { OtaImage } from "../ota/image.js";
import { referenceMs } from "./reference.js";

/** The image's version: any the built-in firmware (0.x) is not. */
const TO_VERSION = "99.0.0";
const EPOCH_MS = Date.parse("2026-01-01T00:00:00Z");
const SEED = 17;
/** Node time the rollout may take (11 waves of 600 s confirm timeouts fit): the bound on the run. */
const MAX_VIRTUAL_S = 7200;
/** Node time for the nodes to connect and publish their statuses first. */
const BOOT_VIRTUAL_S = 60;
/** Real time a due reply (a PUBACK, the download's bytes) may take on loopback: a ceiling against a hang, never a pace. */
const REPLY_CEILING_MS = 30_000;
/** Real time the rollout may take to reach the broker and command its canary. */
const START_CEILING_MS = 120_000;
const MIB = 1024 * 1024;
/** Results that are no failure of the node: updated, already current, or never commanded after a halt. */
const NOT_FAILED: readonly NodeResult[] = [...SUCCESS, "untouched"];

export interface RolloutFigures {
  nodes: number;
  imageBytes: number;
  /** Wall seconds from runRollout's start to its report. */
  wallS: number;
  /** The machine reference (reference.ts), ms, timed in this process right before the rollout. */
  referenceMs: number;
  /** Node time the rollout took, and the longest a node took from its command to its outcome. */
  virtualS: number;
  slowestNodeS: number;
  waves: number;
  results: Partial<Record<NodeResult, number>>;
  confirmed: number;
  /** Targeted nodes whose update failed: refused, failed, rolled back, timed out, offline, interrupted (not the untouched ones after a halt). */
  failures: number;
  rolledBack: number;
  halted?: string;
  interrupted: boolean;
  served: { requests: number; bytes: number };
  /** Resident memory of this process (MiB): nodes booted on the old image, and at the end on the new one. */
  rssBeforeMiB: number;
  rssAfterMiB: number;
  errors: string[];
}

async function goodImage(): Promise<OtaImage> {
  const payload = await simBundle({ version: TO_VERSION, otaKeys: devOtaKeys() });
  const key = crypto.createPrivateKey(fs.readFileSync(DEV_PRIVATE_KEY));
  const bytes = packPackage({ target: "sim", version: TO_VERSION, counter: 0, payload, key });
  return { bytes, name: "bench.snup", version: TO_VERSION, target: "sim", counter: 0, sha256: Buffer.from(parseHeader(bytes).sha256).toString("hex") };
}

export async function measureRollout(options: { nodes: number; log?: (message: string) => void }): Promise<RolloutFigures> {
  const log = options.log ?? (() => {});
  const image = await goodImage();
  const broker = await startMosquitto();
  const clock = new VirtualClock({ epochMs: EPOCH_MS });
  // Nodes on one clock are independent devices: one node's bus time must not move the others' (sharedView).
  const view = sharedView(clock);
  const specs = fleetSpecs(options.nodes, SEED);
  const errors: string[] = [];
  const nodes = specs.map(
    (spec) =>
      new SimNode({
        clock: view,
        spec,
        broker: { host: broker.host, port: broker.port, secure: false },
        storage: new MemoryStorage(),
        log: (level, message) => level === "error" && errors.push(`${spec.nodeId}: ${message}`),
      }),
  );
  const busy = () => nodes.some((n) => n.busy);
  const run = (ms: number) => drive({ clock, until: clock.now() + ms, speed: "max", busy, maxWaitMs: REPLY_CEILING_MS });
  try {
    for (const n of nodes) n.start();
    // Until every node is connected and its status acknowledged (retained at the broker).
    while ((!nodes.every((n) => n.app.mqtt.connected) || busy()) && clock.now() < BOOT_VIRTUAL_S * 1000) {
      await run(1000);
      await waitIdle(busy, REPLY_CEILING_MS);
    }
    const offline = nodes.filter((n) => !n.app.mqtt.connected).length;
    if (offline) throw new Error(`ota rollout bench: ${offline} of ${nodes.length} nodes did not connect within ${BOOT_VIRTUAL_S} s`);
    const rssBefore = process.memoryUsage().rss;
    log(`ota rollout: ${nodes.length} nodes online; rolling out ${image.bytes.length} bytes`);

    let commanded = false;
    let waves = 0;
    const abort = new AbortController();
    const reference = referenceMs();
    const started = performance.now();
    const rollout = runRollout({
      broker: broker.url,
      image,
      nodes: specs.map((s) => s.nodeId),
      clock,
      signal: abort.signal,
      onProgress: (p) => {
        if (p.node) commanded = true;
        else if (/^(canary|batch \d+ of \d+):/.test(p.text)) {
          waves++;
          log(`ota rollout: ${p.text}`);
        }
      },
    });
    let report: Awaited<typeof rollout> | undefined;
    let failure: unknown;
    rollout.then(
      (r) => (report = r),
      (e) => (failure = e),
    );
    const settled = () => report !== undefined || failure !== undefined;
    // Virtual time stands still until the canary is commanded (bounded in real time).
    while (!commanded && !settled() && performance.now() - started < START_CEILING_MS) await sleep(5);
    if (!commanded && !settled()) abort.abort();
    const from = clock.now();
    while (!settled()) {
      if (clock.now() - from >= MAX_VIRTUAL_S * 1000 && !abort.signal.aborted) abort.abort();
      await run(1000);
      await waitIdle(busy, REPLY_CEILING_MS);
      await sleep(0); // the rollout's own messages
    }
    const wallS = (performance.now() - started) / 1000;
    if (failure) throw failure;
    const r = report!;
    const results: Partial<Record<NodeResult, number>> = {};
    for (const row of r.rows) results[row.result] = (results[row.result] ?? 0) + 1;
    const targeted = r.rows.filter((row) => row.targeted);
    return {
      nodes: nodes.length,
      imageBytes: image.bytes.length,
      wallS,
      referenceMs: reference,
      virtualS: (clock.now() - from) / 1000,
      slowestNodeS: Math.max(0, ...r.rows.map((row) => row.seconds ?? 0)),
      waves,
      results,
      confirmed: results.confirmed ?? 0,
      failures: targeted.filter((row) => !NOT_FAILED.includes(row.result)).length,
      rolledBack: results["rolled-back"] ?? 0,
      halted: r.halted ? `${r.halted.node} ${r.halted.result}${r.halted.reason ? `: ${r.halted.reason}` : ""}` : undefined,
      interrupted: r.interrupted,
      served: r.served,
      rssBeforeMiB: rssBefore / MIB,
      rssAfterMiB: process.memoryUsage().rss / MIB,
      errors: errors.slice(0, 5),
    };
  } finally {
    for (const n of nodes) n.stop();
    await broker.close();
  }
}
