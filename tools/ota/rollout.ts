/*
 * Staged rollout of a signed package (docs/ota.md, "Rollout"): serve it over
 * HTTP, find the nodes and their running versions in their retained statuses,
 * command a canary, then batches, each node through cmd/ota; a wave ends when
 * each of its nodes is terminal (confirmed, refused, failed, rolled back, or
 * past the confirm timeout), and the first failure halts the rollout: later
 * nodes are never commanded. `runRollout` is the whole run; `ota push` is its
 * CLI (push-command.ts).
 *
 * Time comes from an injected clock (the Host's Clock and Timers shape): the
 * CLI's is the wall clock, a test's a VirtualClock, so a confirm timeout is an
 * event the test causes, not a race with the machine's speed.
 */
import type * as mqtt from "mqtt";
import type { Clock, TimerId, Timers } from "../../firmware/host.js";
import { WallClock } from "../../hosts/node/host.js";
import { UsageError } from "../cli/args.js";
import { FleetLink } from "./fleet-link.js";
import { readPackage, type OtaImage } from "./image.js";
import { serveImage, type ImageServer } from "./image-server.js";
import { IN_PROGRESS, TERMINAL_FAILURES, type NodeStatus, type OtaAck } from "./node-messages.js";

export type RolloutClock = Pick<Clock, "now"> & Timers;
export type BatchSize = { nodes: number } | { percent: number };

export const DEFAULTS = Object.freeze({ prefix: "sensors", host: "127.0.0.1", port: 0, canary: 1, batchPercent: 10, confirmTimeoutS: 600 });

export interface RolloutOptions {
  /** mqtt:// or mqtts:// URL of the fleet's broker. */
  broker: string;
  /** Merged into mqtt.js's connection options (TLS ca/cert/key, credentials). */
  mqttOptions?: mqtt.IClientOptions;
  /** The package, or its file. */
  image: OtaImage | string;
  /** The nodes to update, in this order; or `all`: every node with a retained status under the prefix. */
  nodes?: readonly string[];
  all?: boolean;
  prefix?: string;
  /** Where the package is served (default 127.0.0.1, a free port); the host is also the URL's. */
  serve?: { host: string; port: number };
  /** Nodes updated first, alone (default 1; 0: straight to batches). */
  canary?: number;
  /** Nodes per batch after the canary: a count, or a share of the nodes to update (default 10 %). */
  batch?: BatchSize;
  /** Per node, from its command to its confirmation (default 600). */
  confirmTimeoutS?: number;
  clock?: RolloutClock;
  onProgress?: (p: Progress) => void;
  /** Ends the run: nodes in flight are reported `interrupted`, later ones untouched. */
  signal?: AbortSignal;
}

/** A progress line, with the node and state it is about when it is about one. */
export interface Progress {
  text: string;
  node?: string;
  state?: string;
}

export type NodeResult = "confirmed" | "current" | "refused" | "failed" | "rolled-back" | "timeout" | "offline" | "no-status" | "untouched" | "interrupted";
/** The results that count as updated. */
export const SUCCESS: readonly NodeResult[] = Object.freeze(["confirmed", "current"]);

export interface RolloutRow {
  node: string;
  /** The version it ran before (its status's `fw`), when known. */
  from?: string;
  to: string;
  result: NodeResult;
  /** From its command to its terminal state, for commanded nodes. */
  seconds?: number;
  reason?: string;
  /** false: seen but left out (offline under --all); such rows do not decide the exit code. */
  targeted: boolean;
}

export interface RolloutReport {
  rows: RolloutRow[];
  /** Every targeted node confirmed or already ran the version (and there was one). */
  ok: boolean;
  /** The node whose failure halted the rollout. */
  halted?: RolloutRow;
  interrupted: boolean;
  version: string;
  url: string;
  served: { requests: number; bytes: number };
  seconds: number;
}

interface Outcome {
  result: NodeResult;
  reason?: string;
  from?: string;
}

/** One node's update, from its command to a terminal state, fed by its acks and statuses. */
class NodeUpdate {
  readonly done: Promise<Outcome>;
  #resolve!: (o: Outcome) => void;
  #timer: TimerId | undefined;
  #state: string | undefined;
  /** A state of this update was reported: a failure in the retained status is then this update's, not an earlier one's. */
  #seen = false;
  #finished = false;

  constructor(
    readonly node: string,
    readonly to: string,
    readonly sentAt: number,
    private readonly clock: RolloutClock,
    private readonly progress: (p: Progress) => void,
  ) {
    this.done = new Promise((resolve) => (this.#resolve = resolve));
  }

  /** Starts the confirm timeout (before the command leaves, so a node's answer always finds it running). */
  arm(timeoutS: number): void {
    this.#timer = this.clock.set(() => this.finish({ result: "timeout", reason: `not confirmed within ${timeoutS} s` }), timeoutS * 1000);
  }

  ack(a: OtaAck): void {
    if (a.version !== undefined && a.version !== this.to) return; // about another version
    if (a.state === undefined) {
      // An immediate refusal of the command itself (its body, an update already running, ...).
      if (!a.ok) this.finish({ result: "refused", reason: a.error ?? "refused" });
      return;
    }
    if (a.state === "confirmed") this.finish({ result: "confirmed", from: a.from });
    else this.#report(a.state, a.error);
  }

  status(s: NodeStatus): void {
    const ota = s.ota;
    if (!ota?.state || (ota.version !== undefined && ota.version !== this.to)) return;
    if (ota.state === "confirmed") {
      if (s.fw === this.to) this.finish({ result: "confirmed" });
    } else if (this.#seen || (IN_PROGRESS as readonly string[]).includes(ota.state)) this.#report(ota.state, ota.error);
  }

  #report(state: string, error: string | undefined): void {
    if ((TERMINAL_FAILURES as readonly string[]).includes(state)) {
      this.finish({ result: state as NodeResult, reason: error });
    } else if ((IN_PROGRESS as readonly string[]).includes(state)) {
      this.#seen = true;
      if (state !== this.#state) this.progress({ text: `${this.node}: ${state}`, node: this.node, state });
      this.#state = state;
    }
  }

  finish(o: Outcome): void {
    if (this.#finished) return;
    this.#finished = true;
    this.clock.clear(this.#timer);
    this.#resolve(o);
  }
}

/** Node ids in a natural order: node-2 before node-10. */
const natural = (a: string, b: string) => a.localeCompare(b, "en", { numeric: true });

function listNodes(nodes: readonly string[]): string {
  const shown = nodes.slice(0, 8).join(", ");
  return nodes.length > 8 ? `${shown} and ${nodes.length - 8} more` : shown;
}

/** The waves after the canary: `batch` nodes each (a share rounds up, at least 1). */
export function batchSize(batch: BatchSize, toUpdate: number): number {
  return "nodes" in batch ? batch.nodes : Math.max(1, Math.ceil((batch.percent / 100) * toUpdate));
}

export async function runRollout(o: RolloutOptions): Promise<RolloutReport> {
  if (!o.all === !o.nodes?.length) throw new UsageError("sensor-node ota push: give the nodes (--node ID ...) or --all, one of the two");
  const image = typeof o.image === "string" ? readPackage("sensor-node ota push: --image", o.image) : o.image;
  const prefix = o.prefix ?? DEFAULTS.prefix;
  const clock = o.clock ?? new WallClock();
  const progress = o.onProgress ?? (() => {});
  const listen = o.serve ?? { host: DEFAULTS.host, port: DEFAULTS.port };
  const started = clock.now();
  let server: ImageServer;
  try {
    server = await serveImage(image.bytes, image.name, listen);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new UsageError(`sensor-node ota push: --serve ${listen.host}:${listen.port}: cannot listen (${code})`);
  }
  const inFlight = new Map<string, NodeUpdate>();
  try {
    progress({ text: `serving ${image.name} (${image.target} ${image.version}, ${image.bytes.length} bytes) at ${server.url}` });
    const link = await FleetLink.open({
      broker: o.broker,
      mqttOptions: o.mqttOptions,
      prefix,
      clock,
      onStatus: (node, s) => inFlight.get(node)?.status(s),
      onAck: (node, a) => inFlight.get(node)?.ack(a),
      onNotice: (text) => progress({ text }),
    });
    try {
      const run = new Run(image, server.url, prefix, link, clock, progress, inFlight, o);
      const rows = await run.execute();
      const targeted = rows.filter((r) => r.targeted);
      return {
        rows,
        ok: targeted.length > 0 && targeted.every((r) => SUCCESS.includes(r.result)),
        halted: run.halted,
        interrupted: Boolean(o.signal?.aborted),
        version: image.version,
        url: server.url,
        served: { ...server.served },
        seconds: (clock.now() - started) / 1000,
      };
    } finally {
      await link.close();
    }
  } finally {
    await server.close();
  }
}

/** One rollout's waves over the nodes found. */
class Run {
  halted: RolloutRow | undefined;
  readonly #rows = new Map<string, RolloutRow>();
  #toUpdate = 0;
  #settled = 0;

  constructor(
    private readonly image: OtaImage,
    private readonly url: string,
    private readonly prefix: string,
    private readonly link: FleetLink,
    private readonly clock: RolloutClock,
    private readonly progress: (p: Progress) => void,
    private readonly inFlight: Map<string, NodeUpdate>,
    private readonly o: RolloutOptions,
  ) {}

  async execute(): Promise<RolloutRow[]> {
    const toUpdate = this.#plan();
    this.#toUpdate = toUpdate.length;
    const canary = Math.min(this.o.canary ?? DEFAULTS.canary, toUpdate.length);
    const size = batchSize(this.o.batch ?? { percent: DEFAULTS.batchPercent }, toUpdate.length);
    const waves: { label: string; nodes: string[] }[] = [];
    if (canary > 0) waves.push({ label: "canary", nodes: toUpdate.slice(0, canary) });
    const batches = Math.ceil((toUpdate.length - canary) / size);
    for (let b = 0; b < batches; b++) waves.push({ label: `batch ${b + 1} of ${batches}`, nodes: toUpdate.slice(canary + b * size, canary + (b + 1) * size) });
    for (const wave of waves) {
      if (this.halted || this.o.signal?.aborted) break;
      await this.#wave(wave.label, wave.nodes);
    }
    if (this.halted) {
      const untouched = [...this.#rows.values()].filter((r) => r.result === "untouched").length;
      this.progress({ text: `halted: ${this.halted.node} ${this.halted.result}; ${untouched} node(s) untouched` });
    }
    return [...this.#rows.values()];
  }

  /** A row for every node considered; the nodes to command, in order. */
  #plan(): string[] {
    const to = this.image.version;
    const statuses = this.link.statuses;
    const candidates = this.o.all ? [...statuses.keys()].sort(natural) : [...new Set(this.o.nodes)];
    if (this.o.all) {
      const offline = candidates.filter((n) => !statuses.get(n)!.online);
      this.progress({ text: `${candidates.length} node(s) with a status under ${this.prefix}/${offline.length ? `; offline, so not targeted: ${listNodes(offline)}` : ""}` });
    }
    const toUpdate: string[] = [];
    for (const node of candidates) {
      const s = statuses.get(node);
      if (!s) this.#rows.set(node, { node, to, result: "no-status", targeted: true, reason: `no retained status under ${this.prefix}/ (never connected, or another id): not commanded` });
      else if (!s.online) this.#rows.set(node, { node, to, result: "offline", targeted: !this.o.all, reason: this.o.all ? "status offline: not targeted" : "status offline: not commanded" });
      else if (s.fw === to) this.#rows.set(node, { node, from: s.fw, to, result: "current", targeted: true });
      else {
        this.#rows.set(node, { node, from: s.fw, to, result: "untouched", targeted: true });
        toUpdate.push(node);
      }
    }
    const current = candidates.filter((n) => this.#rows.get(n)!.result === "current");
    if (current.length) this.progress({ text: `already on ${to}: ${listNodes(current)}` });
    return toUpdate;
  }

  async #wave(label: string, nodes: string[]): Promise<void> {
    const to = this.image.version;
    const timeoutS = this.o.confirmTimeoutS ?? DEFAULTS.confirmTimeoutS;
    const updates: NodeUpdate[] = [];
    for (const node of nodes) {
      // What the node runs now: it may have changed, or gone offline, since the rollout began.
      const s = this.link.statuses.get(node)!;
      const row = this.#rows.get(node)!;
      row.from = s.fw ?? row.from;
      if (!s.online) Object.assign(row, { result: "offline", reason: "went offline before its turn: not commanded" });
      else if (s.fw === to) row.result = "current";
      else updates.push(new NodeUpdate(node, to, this.clock.now(), this.clock, this.progress));
    }
    if (!updates.length) return;
    this.progress({ text: `${label}: ${listNodes(updates.map((u) => u.node))}${updates.length > 1 ? ` (${updates.length} nodes)` : ""}` });
    const abort = () => updates.forEach((u) => u.finish({ result: "interrupted", reason: "the rollout was interrupted" }));
    this.o.signal?.addEventListener("abort", abort);
    const command = { url: this.url, version: to, sha256: this.image.sha256, size: this.image.bytes.length };
    for (const u of updates) {
      this.inFlight.set(u.node, u);
      u.arm(timeoutS);
      this.link.command(u.node, command).catch((e: Error) => u.finish({ result: "failed", reason: `command not published: ${e.message}` }));
    }
    await Promise.all(updates.map(async (u) => this.#settle(u, await u.done)));
    this.o.signal?.removeEventListener("abort", abort);
  }

  #settle(u: NodeUpdate, outcome: Outcome): void {
    this.inFlight.delete(u.node);
    const row = this.#rows.get(u.node)!;
    Object.assign(row, { result: outcome.result, reason: outcome.reason, seconds: (this.clock.now() - u.sentAt) / 1000 });
    if (outcome.from !== undefined) row.from = outcome.from;
    this.#settled++;
    const what = outcome.result === "confirmed" ? `confirmed ${row.from ?? "?"} -> ${row.to}` : `${outcome.result}${outcome.reason ? `: ${outcome.reason}` : ""}`;
    this.progress({ text: `${u.node}: ${what} (${row.seconds!.toFixed(1)} s; ${this.#settled} of ${this.#toUpdate} done)`, node: u.node, state: outcome.result });
    if (!SUCCESS.includes(outcome.result) && outcome.result !== "interrupted" && !this.halted) this.halted = row;
  }
}
