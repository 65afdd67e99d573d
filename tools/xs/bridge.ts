/*
 * The whole node in XS, bridged to a real broker; and the same run on the Node
 * host (SimNode), for the message-log comparison (test/xs-node.test.ts) and the
 * whole-node budgets (tools/bench/xs-node.ts).
 *
 *   XS run:   tools/xs/cases/node-case.ts inside xsnap. Its TCP socket is a bridge: what
 *             the node writes comes back to Node in the reply to each `run`
 *             command and goes to the broker on a real node:net socket; what the
 *             broker answers goes back into XS with the next `run` (socket
 *             onReadable). While the node waits for a reply (CONNACK, SUBACK,
 *             PUBACK, PINGRESP) virtual time does not move, as in drive.ts.
 *   Node run: SimNode on a VirtualClock driven by drive.ts, real socket to the broker.
 *
 * Both logs are the client->broker byte streams decoded by mqtt-packet; the
 * PUBLISH packets (topic, payload, qos, retain, dup, messageId) must be identical.
 *
 * The caller's process must have imported "@endo/init" (xsnap).
 */
import * as net from "node:net";
import mqttPacket from "mqtt-packet";
import { XsSession, type XsCommandResult } from "./harness.js";
import type { NodeRunSpec, RunReply, SocketIn, SocketOut } from "./cases/node-case.js";
import { COMPONENTS, type Component, type FirmwareSpec } from "./cases/stub-host.js";
import { VirtualClock } from "../../sim/clock.js";
import { RUN_HOURS_KEY } from "../../firmware/app/telemetry.js";
import { defaultMachine } from "../../sim/machine/default-machine.js";
import { SimNode, tapWrites } from "../simulator/simulation.js";
import { drive, waitIdle } from "../simulator/drive.js";
import type { Scenario } from "../scenario/parse.js";

export const NODE_CASE_ENTRY = "tools/xs/cases/node-case.ts";

/** One PUBLISH the node sent. */
export interface PublishRecord {
  topic: string;
  /** Payload bytes as hex. */
  payload: string;
  qos: number;
  retain: boolean;
  dup: boolean;
  messageId: number | undefined;
}

/** Decodes one connection's client->broker byte stream; keeps the PUBLISH packets (and counts the rest). */
export class PublishLog {
  readonly publishes: PublishRecord[] = [];
  readonly counts: Record<string, number> = {};
  #parsers = new Map<number, ReturnType<typeof mqttPacket.parser>>();

  push(connection: number, bytes: Uint8Array): void {
    let p = this.#parsers.get(connection);
    if (!p) {
      p = mqttPacket.parser({ protocolVersion: 4 });
      p.on("packet", (packet: mqttPacket.Packet) => {
        this.counts[packet.cmd] = (this.counts[packet.cmd] ?? 0) + 1;
        if (packet.cmd !== "publish") return;
        const payload = typeof packet.payload === "string" ? Buffer.from(packet.payload) : Buffer.from(packet.payload);
        this.publishes.push({ topic: packet.topic, payload: payload.toString("hex"), qos: packet.qos, retain: packet.retain, dup: packet.dup, messageId: packet.messageId });
      });
      p.on("error", (e: Error) => {
        this.counts.error = (this.counts.error ?? 0) + 1;
        throw e;
      });
      this.#parsers.set(connection, p);
    }
    p.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }
}

/** First difference between two publish logs, described, or undefined when identical. */
export function diffPublishes(xs: PublishRecord[], node: PublishRecord[]): string | undefined {
  const n = Math.min(xs.length, node.length);
  for (let i = 0; i < n; i++) {
    const a = xs[i];
    const b = node[i];
    for (const k of ["topic", "qos", "retain", "dup", "messageId", "payload"] as const) {
      if (a[k] !== b[k]) {
        const text = (r: PublishRecord) => (k === "payload" ? Buffer.from(r.payload, "hex").toString("utf8") : String(r[k]));
        return `publish #${i} (${b.topic}): ${k} differs\n  XS:   ${text(a)}\n  Node: ${text(b)}`;
      }
    }
  }
  if (xs.length !== node.length) return `XS sent ${xs.length} PUBLISH packets, Node ${node.length} (first ${n} identical)`;
  return undefined;
}

/** Cost of the XS run, per window. */
export interface WindowCost {
  window: number;
  /** Virtual ms at which the window closed. */
  at: number;
  /** Computrons of all commands since the previous window closed (bridge overhead included). */
  compute: number;
  /** currentHeapCount right after the command in which the window closed. */
  heap: number;
  /** currentHeapCount after a forced collection (the `gc` command following it), when `gcEachWindow`. */
  heapAfterGc?: number;
}

export interface XsRunResult {
  log: PublishLog;
  windows: WindowCost[];
  commands: number;
  totalCompute: number;
  bootCompute: number;
  load: { compute: number; heapCount: number };
  now: number;
  /** Warnings and errors the node logged ("level: message"). */
  logs: string[];
}

export interface RunOptions {
  untilMs: number;
  /**
   * Real ms to wait for a broker reply before virtual time moves on (default REPLY_CEILING_MS). The
   * brokers here (loopback) always answer: a generous ceiling, so a busy machine never changes
   * the virtual timeline (the XS and Node runs must send the same bytes).
   */
  maxWaitMs?: number;
  /** Force a collection after each window and record the heap (XS run). */
  gcEachWindow?: boolean;
  verbose?: boolean;
}

/**
 * Real ms a run waits for a reply from the broker: in XS the wait ends at the first socket event
 * and is polled again after this (virtual time stays while the node is busy); on the Node host
 * drive() moves virtual time on after it. Generous, so a busy machine never reaches it.
 */
const REPLY_CEILING_MS = 30_000;

/** Runs `spec` as the whole node inside XS, bridged to the broker at spec.broker. */
export async function runNodeInXs(spec: NodeRunSpec, options: RunOptions): Promise<XsRunResult> {
  const session = await XsSession.open(NODE_CASE_ENTRY, { meteringLimit: 0, name: "xs-node", verbose: options.verbose });
  const sockets = new Map<number, net.Socket>();
  const incoming: SocketIn[] = [];
  let wake: (() => void) | undefined;
  const push = (e: SocketIn) => {
    incoming.push(e);
    wake?.();
  };
  const log = new PublishLog();
  const windows: WindowCost[] = [];
  let commands = 0;
  let total = 0;
  let sinceWindow = 0;
  let lastWindows = 0;
  const logs: string[] = [];

  const command = async (msg: unknown): Promise<XsCommandResult & { value: RunReply }> => {
    const r = await session.command(msg);
    commands++;
    const reply = r.reply as { ok?: RunReply; error?: string; stack?: string };
    if (!reply || reply.error !== undefined) throw new Error(`XS node: ${reply?.error ?? "no reply"}${reply?.stack ? "\n" + reply.stack : ""}`);
    return { ...r, value: reply.ok! };
  };

  const account = async (r: XsCommandResult & { value: RunReply }) => {
    total += r.compute;
    sinceWindow += r.compute;
    logs.push(...r.value.logs);
    if (r.value.windows !== lastWindows) {
      lastWindows = r.value.windows;
      const w: WindowCost = { window: r.value.windows, at: r.value.now, compute: sinceWindow, heap: r.heapCount };
      sinceWindow = 0;
      if (options.gcEachWindow) {
        const g = await session.command({ op: "gc" });
        w.heapAfterGc = g.heapCount;
      }
      windows.push(w);
    }
  };

  const forward = (out: SocketOut[]) => {
    for (const o of out) {
      if (o.type === "open") {
        const s = net.connect({ host: spec.broker.host, port: spec.broker.port });
        s.setNoDelay(true);
        sockets.set(o.id, s);
        let dead = false;
        const die = (message: string) => {
          if (dead) return;
          dead = true;
          push({ id: o.id, type: "error", message });
        };
        s.once("connect", () => push({ id: o.id, type: "open" }));
        s.on("data", (d: Buffer) => !dead && push({ id: o.id, type: "data", hex: d.toString("hex") }));
        s.on("error", (e) => die(e.message));
        s.on("end", () => die("connection closed by peer"));
        s.on("close", () => die("connection closed"));
      } else if (o.type === "data") {
        const bytes = Buffer.from(o.hex, "hex");
        log.push(o.id, bytes);
        // As hosts/node/tcp.ts: fresh room is reported once Node handed the bytes on.
        sockets.get(o.id)?.write(bytes, (err) => !err && push({ id: o.id, type: "writable", bytes: 16384 }));
      } else if (o.type === "close") {
        const s = sockets.get(o.id);
        sockets.delete(o.id);
        s?.end();
      }
    }
  };

  const waitForEvent = (ms: number) =>
    new Promise<void>((resolve) => {
      if (incoming.length) return resolve();
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        wake = undefined;
        resolve();
      }
      wake = done;
    });

  try {
    let r = await command({ op: "boot", spec });
    const bootCompute = r.compute;
    await account(r);
    for (;;) {
      forward(r.value.out);
      if (r.value.busy) await waitForEvent(options.maxWaitMs ?? REPLY_CEILING_MS);
      else await new Promise((resolve) => setImmediate(resolve)); // let write callbacks and stray data land
      if (r.value.idle && !r.value.busy && incoming.length === 0) break;
      r = await command({ op: "run", events: incoming.splice(0), until: options.untilMs });
      await account(r);
    }
    const now = r.value.now;
    const stop = await command({ op: "stop" });
    forward(stop.value.out);
    await new Promise((resolve) => setTimeout(resolve, 50));
    return { log, windows, commands, totalCompute: total, bootCompute, load: { compute: session.load.compute, heapCount: session.load.heapCount }, now, logs };
  } finally {
    for (const s of sockets.values()) s.destroy();
    await session.close();
  }
}

export interface NodeRunResult {
  log: PublishLog;
  windows: number;
  now: number;
}

/** Runs `spec` on the Node host: SimNode on a VirtualClock, drive.ts, a real socket to the broker. */
export async function runNodeInNode(spec: NodeRunSpec, options: RunOptions): Promise<NodeRunResult> {
  const clock = new VirtualClock({ epochMs: spec.epochMs });
  const node = new SimNode({
    clock,
    spec: { nodeId: spec.nodeId, seed: spec.seed, machine: spec.machine as Scenario["machine"], config: spec.config },
    broker: { host: spec.broker.host, port: spec.broker.port, secure: false },
  });
  const log = new PublishLog();
  tapWrites(node, (bytes, connection) => log.push(connection, bytes));
  node.start();
  for (const e of spec.events) clock.set(() => node.machine.set(e.path, e.value, e.at_s), e.at_s * 1000);
  const busy = () => node.busy;
  try {
    await drive({ clock, until: options.untilMs, speed: "max", busy, maxWaitMs: options.maxWaitMs ?? REPLY_CEILING_MS });
    await waitIdle(busy, options.maxWaitMs ?? REPLY_CEILING_MS);
    return { log, windows: node.app.windows, now: clock.now() };
  } finally {
    node.stop();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The soak (fast path): the node in XS with a loopback broker inside XS, heap after a collection at each checkpoint. */
export interface SoakResult {
  n: number;
  windows: number;
  checkpoints: { windows: number; heap: number; compute: number }[];
  afterWarmup: number;
  afterAll: number;
  /**
   * Growth over the run, immune to the outbox's sawtooth (the spool index grows
   * 9 slots a window until a compaction; a period of about 106 windows at n = 256):
   * the max heap over the last CYCLE_WINDOWS windows (a collection after each)
   * minus the max over the first CYCLE_WINDOWS after warm-up. Both maxima span
   * whole periods, so the phase at which a checkpoint falls does not matter.
   */
  growth: number;
  /** The two maxima of `growth`. */
  firstCyclePeak: number;
  lastCyclePeak: number;
  /** Largest heap (after collection) at any checkpoint. */
  peak: number;
  computePerWindow: number;
  published: number;
  virtualS: number;
  bootHeap: number;
}

/** Windows per growth sample of the soak: two periods of the outbox's sawtooth at n = 256 (about 106 windows). */
export const CYCLE_WINDOWS = 224;

export async function soakNodeInXs(spec: NodeRunSpec, o: { windows: number; chunk: number; warmup?: number; verbose?: boolean }): Promise<SoakResult> {
  const session = await XsSession.open(NODE_CASE_ENTRY, { meteringLimit: 0, name: "xs-node-soak", verbose: o.verbose });
  const cmd = async (msg: unknown) => {
    const r = await session.command(msg);
    const reply = r.reply as { ok?: any; error?: string; stack?: string };
    if (!reply || reply.error !== undefined) throw new Error(`XS node soak: ${reply?.error ?? "no reply"}${reply?.stack ? "\n" + reply.stack : ""}`);
    return { ...r, value: reply.ok };
  };
  try {
    await cmd({ op: "soakBoot", spec });
    const bootHeap = (await cmd({ op: "gc" })).heapCount;
    await cmd({ op: "soak", windows: o.warmup ?? SOAK_WARMUP_WINDOWS });
    const afterWarmup = (await cmd({ op: "gc" })).heapCount;
    const checkpoints: SoakResult["checkpoints"] = [];
    let done = 0;
    let compute = 0;
    let last: any;
    /** Max heap after a collection over the next CYCLE_WINDOWS windows, one at a time. */
    const cyclePeak = async () => {
      let peak = 0;
      let spent = 0;
      for (let i = 0; i < CYCLE_WINDOWS; i++) {
        const r = await cmd({ op: "soak", windows: 1 });
        last = r.value;
        spent += r.compute;
        done++;
        peak = Math.max(peak, (await cmd({ op: "gc" })).heapCount);
      }
      compute += spent;
      checkpoints.push({ windows: done, heap: peak, compute: spent / CYCLE_WINDOWS });
      return peak;
    };
    const firstCyclePeak = await cyclePeak();
    while (done < o.windows - CYCLE_WINDOWS) {
      const count = Math.min(o.chunk, o.windows - CYCLE_WINDOWS - done);
      const r = await cmd({ op: "soak", windows: count });
      last = r.value;
      done += count;
      compute += r.compute;
      const heap = (await cmd({ op: "gc" })).heapCount;
      checkpoints.push({ windows: done, heap, compute: r.compute / count });
    }
    const lastCyclePeak = await cyclePeak();
    const afterAll = (await cmd({ op: "gc" })).heapCount;
    const n = ((spec.config.window as { n?: number } | undefined)?.n ?? 4096) as number;
    return {
      n,
      windows: o.windows,
      checkpoints,
      afterWarmup,
      afterAll,
      growth: lastCyclePeak - firstCyclePeak,
      firstCyclePeak,
      lastCyclePeak,
      peak: Math.max(afterWarmup, ...checkpoints.map((c) => c.heap)),
      computePerWindow: compute / o.windows,
      published: last.published,
      virtualS: last.now / 1000,
      bootHeap,
    };
  } finally {
    await session.close();
  }
}

/** Slots and chunk bytes of an XS machine after a collection. */
export interface XsMemory {
  slots: number;
  chunkBytes: number;
}

/**
 * What the node needs in XS memory, as a device would count it: an empty
 * machine (intrinsics + harness: in ROM on a Moddable device), the script
 * loaded (+ firmware and simulator modules), after boot, and the steady state
 * (max after a collection over `windows` windows). Chunks: see XsSession.chunkBytes.
 */
export interface NodeMemory {
  n: number;
  windows: number;
  empty: XsMemory;
  load: XsMemory;
  boot: XsMemory;
  steady: XsMemory;
}

export const EMPTY_CASE_ENTRY = "tools/xs/cases/empty-case.ts";

/** Slots and chunk bytes after a collection (the script's command handler must answer `{op: "gc"}`). */
async function memory(s: XsSession): Promise<XsMemory> {
  return { slots: (await s.command({ op: "gc" })).heapCount, chunkBytes: await s.chunkBytes() };
}

export async function nodeMemoryInXs(spec: NodeRunSpec, windows: number): Promise<NodeMemory> {
  const e = await XsSession.open(EMPTY_CASE_ENTRY, { meteringLimit: 0, name: "xs-empty" });
  let empty: XsMemory;
  try {
    empty = await memory(e);
  } finally {
    await e.close();
  }
  const s = await XsSession.open(NODE_CASE_ENTRY, { meteringLimit: 0, name: "xs-node-memory" });
  try {
    const load = await memory(s);
    await s.command({ op: "soakBoot", spec });
    const boot = await memory(s);
    const steady = { ...boot };
    for (let i = 0; i < windows; i++) {
      await s.command({ op: "soak", windows: 1 });
      const m = await memory(s);
      steady.slots = Math.max(steady.slots, m.slots);
      steady.chunkBytes = Math.max(steady.chunkBytes, m.chunkBytes);
    }
    const n = ((spec.config.window as { n?: number } | undefined)?.n ?? 4096) as number;
    return { n, windows, empty, load, boot, steady };
  } finally {
    await s.close();
  }
}

/** The scripted run used by the test and the bench: 60 s virtual, 1x on x steps from 4.0 to 9.0 mm/s at 30 s. */
export function scriptedSpec(broker: { host: string; port: number }, over: Partial<NodeRunSpec> = {}): NodeRunSpec {
  return {
    nodeId: "xs-node-1",
    seed: 7,
    machine: defaultMachine(),
    config: {
      machine: { group: 2, foundation: "rigid" },
      monitor: {
        running: { thresholdMmS: 0.5, graceS: 0 },
        rules: [{ metric: "x.vRms", warning: 4.5, alarm: 7.1, onDelay: 2 }],
      },
    },
    broker: { host: broker.host, port: broker.port },
    epochMs: Date.parse("2026-01-01T00:00:00Z"),
    events: [{ at_s: 30, path: "vibration[0].vrms_mm_s", value: 9.0 }],
    ...over,
  };
}

/**
 * The soak's node (fast path): the scripted machine without its noise component and
 * an ADXL345 without datasheet noise (the simulated sensor costs less XS time), n = `n`.
 * The firmware does the same work per sample; only the simulation is cheaper.
 */
export function soakSpec(n: number): NodeRunSpec {
  const base = scriptedSpec({ host: "127.0.0.1", port: 1883 });
  return { ...base, deviceNoise: 0, machine: { ...base.machine, vibration: base.machine.vibration!.filter((c) => c.kind !== "noise") }, config: { ...base.config, window: { n } }, events: [] };
}

/**
 * The soak's node in a field node's steady state, so that growth means a leak and
 * not a first time: its baseline learned within the warm-up (SOAK_LEARN_S of running),
 * and its running hours already stored, as a node has them after its first
 * 10 minutes. A node's first save of running hours adds a key to its storage: in
 * the simulator that is 3 slots of the simulated storage's Map in the XS heap (NVS,
 * outside it, on the device), the +3 the 10 000-window soak once showed after
 * window 7 500 (docs/decisions.md 73).
 */
export function steadySoakSpec(n: number): NodeRunSpec {
  const base = soakSpec(n);
  const monitor = { ...(base.config.monitor as object), baseline: { learnS: SOAK_LEARN_S } };
  return { ...base, config: { ...base.config, monitor }, stored: { [RUN_HOURS_KEY]: "1" } };
}

/** Running seconds the soak learns its baseline over: 38 windows of n = 256, within SOAK_WARMUP_WINDOWS. */
const SOAK_LEARN_S = 3;
/** Windows the soak runs before its first heap reading: the baseline learned within them. */
export const SOAK_WARMUP_WINDOWS = 64;

// --- the firmware's own memory (stub host, no simulator) ----------------------------

export const FIRMWARE_CASE_ENTRY = "tools/xs/cases/firmware-case.ts";
export const STUB_HOST_CASE_ENTRY = "tools/xs/cases/stub-host-case.ts";

/** Slots and chunk bytes of one stage, the flash-standing log bytes taken out of the chunks. */
export interface FirmwareStage extends XsMemory {
  /** Chunk bytes of the storage's append logs (flash on a device), already subtracted from chunkBytes. */
  flash: number;
}

/**
 * The firmware's memory in XS, as a device would hold it: NodeApp on the stub
 * host (tools/xs/cases/stub-host.ts), slots and chunks (flash taken out) after each
 * stage, above the stub host alone; then one marginal instance per subsystem.
 */
export interface FirmwareMemory {
  n: number;
  windows: number;
  /** The stub host alone (no firmware), host built: the baseline of the slots. */
  hostOnly: FirmwareStage;
  /** Firmware + stub host script loaded, host built (module instances; bytecode is flash on a device). */
  loaded: FirmwareStage;
  constructed: FirmwareStage;
  started: FirmwareStage;
  /** Max over the windows, after a collection. */
  steady: FirmwareStage;
  /** Max over the windows of the slots right after a window, before a collection (live + that window's garbage). */
  peakSlots: number;
  /** One more instance of each subsystem: its slots and chunk bytes (flash taken out). */
  components: Record<Component, XsMemory>;
  published: number;
  /** The measured window after which the baseline was learned (its rules in the steady state), if it was. */
  learnedAt: number | undefined;
}

/**
 * Runs `op` (if given) in a firmware case, then measures after a collection: slots and
 * chunk bytes with the flash-standing log bytes taken out; `heapBefore` is the slot count
 * right after the op (live + its garbage), `compute` its computrons. The case answers
 * `{op: "gc"}` with `{flash}` (tools/xs/cases/firmware-case.ts).
 */
export async function firmwareStage(s: XsSession, op?: Record<string, unknown>): Promise<FirmwareStage & { reply: any; heapBefore: number; compute: number }> {
  const r = op ? await s.command(op) : undefined;
  const reply = r?.reply as { ok?: { flash: number }; error?: string } | undefined;
  if (reply && reply.error !== undefined) throw new Error(`XS firmware case, op ${String(op?.op)}: ${reply.error}`);
  const gc = await s.command({ op: "gc" });
  const flash = (gc.reply as { ok: { flash: number } }).ok.flash;
  const chunkBytes = (await s.chunkBytes()) - flash;
  return { slots: gc.heapCount, chunkBytes, flash, reply: reply?.ok, heapBefore: r?.heapCount ?? gc.heapCount, compute: r?.compute ?? 0 };
}

export async function firmwareMemoryInXs(spec: FirmwareSpec, windows: number): Promise<FirmwareMemory> {
  const stage = firmwareStage;
  const strip = ({ slots, chunkBytes, flash }: FirmwareStage): FirmwareStage => ({ slots, chunkBytes, flash });
  const h = await XsSession.open(STUB_HOST_CASE_ENTRY, { meteringLimit: 0, name: "xs-stub-host" });
  let hostOnly: FirmwareStage;
  try {
    hostOnly = strip(await stage(h, { op: "host", spec }));
  } finally {
    await h.close();
  }
  const s = await XsSession.open(FIRMWARE_CASE_ENTRY, { meteringLimit: 0, name: "xs-firmware-memory" });
  try {
    const loaded = strip(await stage(s, { op: "host", spec }));
    const constructed = strip(await stage(s, { op: "construct", spec }));
    const started = strip(await stage(s, { op: "start" }));
    const steady = { ...started };
    let peakSlots = started.slots;
    let published = 0;
    let learnedAt: number | undefined;
    for (let i = 0; i < windows; i++) {
      const w = await stage(s, { op: "windows", count: 1 });
      steady.slots = Math.max(steady.slots, w.slots);
      steady.chunkBytes = Math.max(steady.chunkBytes, w.chunkBytes);
      steady.flash = Math.max(steady.flash, w.flash);
      peakSlots = Math.max(peakSlots, w.heapBefore);
      published = w.reply.published;
      learnedAt ??= w.reply.learned ? i + 1 : undefined;
    }
    const components = {} as Record<Component, XsMemory>;
    let before = await stage(s);
    for (const component of COMPONENTS) {
      const after = await stage(s, { op: "add", component });
      components[component] = { slots: after.slots - before.slots, chunkBytes: after.chunkBytes - before.chunkBytes };
      before = after;
    }
    const n = ((spec.config.window as { n?: number } | undefined)?.n ?? 4096) as number;
    return { n, windows, hostOnly, loaded, constructed, started, steady, peakSlots, components, published, learnedAt };
  } finally {
    await s.close();
  }
}

/**
 * The firmware-only spec: the soak's node id, epoch and configuration at window size `n`,
 * the baseline learned within the measured windows: the steady state holds its rules, as
 * a node does after its first hour.
 */
export function firmwareSpec(n: number): FirmwareSpec {
  const base = soakSpec(n);
  const monitor = { ...(base.config.monitor as object), baseline: { learnS: FIRMWARE_LEARN_S } };
  return { nodeId: base.nodeId, epochMs: base.epochMs, config: { ...base.config, monitor } };
}

/** Running seconds the firmware-only run learns its baseline over: learned within its first 6 windows at n = 2048 (0.64 s each) and 4096. */
const FIRMWARE_LEARN_S = 3;

// --- the whole node in setup mode (unprovisioned, serving its setup page) ----------

export const SETUP_NODE_CASE_ENTRY = "tools/xs/cases/setup-node-case.ts";

/** What one round of setup mode serves, after a window: the page, then the state the page polls. */
export const SETUP_ROUND_REQUESTS = ["GET / HTTP/1.1\r\nHost: 192.168.4.1\r\n\r\n", "GET /api/state HTTP/1.1\r\nHost: 192.168.4.1\r\n\r\n"];
/** Rounds before the growth is measured (the baseline learned, buffers grown), then two blocks of this many compared. */
export const SETUP_WARMUP_ROUNDS = 8;
export const SETUP_BLOCK_ROUNDS = 16;

/**
 * The firmware's memory in setup mode, as the firmware figures count it (stub host,
 * flash taken out, after a collection): the script loaded with the host built, then
 * an unprovisioned FieldNode started, then rounds of one window and the setup page
 * served (SETUP_ROUND_REQUESTS). `steady` is the most over all rounds; growth is the
 * most over the last block of rounds minus the most over the block after warm-up.
 */
export interface SetupMemory {
  n: number;
  rounds: number;
  /** Rounds per block of the growth. */
  blockRounds: number;
  loaded: FirmwareStage;
  started: FirmwareStage;
  steady: FirmwareStage;
  /** Most slots right after a round (a request's buffers and its garbage), before collection. */
  peakSlots: number;
  firstBlockSlots: number;
  lastBlockSlots: number;
  growthSlots: number;
  /** The answers of the first round ("status line, body length"), and windows published (must be 0). */
  answers: string[];
  published: number;
}

export async function setupMemoryInXs(spec: FirmwareSpec): Promise<SetupMemory> {
  const strip = ({ slots, chunkBytes, flash }: FirmwareStage): FirmwareStage => ({ slots, chunkBytes, flash });
  const s = await XsSession.open(SETUP_NODE_CASE_ENTRY, { meteringLimit: 0, name: "xs-setup-node" });
  try {
    const loaded = strip(await firmwareStage(s, { op: "host", spec }));
    const started = strip(await firmwareStage(s, { op: "start" }));
    const steady = { ...started };
    let peakSlots = started.slots;
    let answers: string[] | undefined;
    let published = 0;
    /** Rounds of a window and the page served; the most slots after collection over them. */
    const rounds = async (count: number): Promise<number> => {
      let most = 0;
      for (let i = 0; i < count; i++) {
        await firmwareStage(s, { op: "windows", count: 1 });
        const w = await firmwareStage(s, { op: "serve", requests: SETUP_ROUND_REQUESTS });
        answers ??= w.reply.answers;
        published = w.reply.published;
        peakSlots = Math.max(peakSlots, w.heapBefore);
        steady.slots = Math.max(steady.slots, w.slots);
        steady.chunkBytes = Math.max(steady.chunkBytes, w.chunkBytes);
        steady.flash = Math.max(steady.flash, w.flash);
        most = Math.max(most, w.slots);
      }
      return most;
    };
    await rounds(SETUP_WARMUP_ROUNDS);
    const firstBlockSlots = await rounds(SETUP_BLOCK_ROUNDS);
    const lastBlockSlots = await rounds(SETUP_BLOCK_ROUNDS);
    const n = ((spec.config.window as { n?: number } | undefined)?.n ?? 4096) as number;
    return {
      n,
      rounds: SETUP_WARMUP_ROUNDS + 2 * SETUP_BLOCK_ROUNDS,
      blockRounds: SETUP_BLOCK_ROUNDS,
      loaded,
      started,
      steady,
      peakSlots,
      firstBlockSlots,
      lastBlockSlots,
      growthSlots: lastBlockSlots - firstBlockSlots,
      answers: answers ?? [],
      published,
    };
  } finally {
    await s.close();
  }
}
