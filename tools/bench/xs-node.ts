/*
 * The whole node in XS: per-window computrons and steady-state heap of NodeApp
 * (drivers on the sim bus, acquisition, DSP, monitor, payloads, outbox, MQTT)
 * running inside xsnap (tools/xs/cases/node-case.ts, tools/xs/bridge.ts).
 *
 *  - bridged: 60 s virtual, default window (n = 4096 @ 3200 Hz), socket bridged to
 *    an embedded aedes broker; heap after a collection following every window.
 *  - soak (fast path): n = 256, the broker is a loopback inside XS; heap after a
 *    collection every `chunk` windows; growth = max over the last whole outbox
 *    cycles - max over the first (tools/xs/bridge.ts, CYCLE_WINDOWS).
 *  - memory: slots and chunk bytes of an empty machine, the node's script loaded,
 *    after boot and the steady state (n = 4096), for the RAM estimate against 96 KiB;
 *    the firmware alone (stub host) at n = 4096 by part, and at n = 2048 (total only);
 *  - setup mode: the firmware unprovisioned (stub host), sampling and serving its
 *    setup page, against the same 96 KiB, and its growth (tools/xs/cases/setup-node-case.ts).
 *
 * Figures are deterministic (computrons, slots); budgets in bench/budgets.json
 * (keys "xs.node.*"), guarded by test/xs-node.test.ts. docs/xs.md explains them.
 *
 * XS needs a process locked down by @endo/init, so the bench runs this file as a
 * child process (`node build/tools/bench/xs-node.js '{"quick":true}'`); the
 * static imports here stay light so the CLI process is never locked down.
 */
import { fileURLToPath } from "node:url";
import { runJsonChild } from "./child.js";
import { GOALS } from "./goals.js";
import { goal, median, type BenchModule, type Figure } from "./types.js";
import { DEFAULT_CONFIG, DEFAULT_RING_MS } from "../../firmware/app/config.js";
import { PARTS } from "./acquisition.js";
import { FIFO_DEPTH } from "./cpu.js";

/**
 * The soak CI runs (test/xs-node.test.ts): windows of n = 256 (~40 s). The full
 * bench runs SOAK_BENCH_WINDOWS (minutes; `--quick` runs CI's), and its figure
 * says so: the docs state both numbers from these constants.
 */
export const SOAK = { n: 256, windows: 2000, chunk: 100 };
export const SOAK_BENCH_WINDOWS = 10_000;
/** sizeof(txSlot) in xsnap (64-bit build) and on the ESP32 (32-bit XS). */
export const XS_SLOT_BYTES_XSNAP = 32;
export const XS_SLOT_BYTES_ESP32 = 16;
/** Windows after boot over which the memory figures take their max. */
export const FIRMWARE_WINDOWS = 8;
/** Issue #9's goal for the node's RAM on an ESP32 (the steady monitoring state at n = 4096; goals.ts). */
export const RAM_GOAL_KIB = GOALS.ramBytes / 1024;
/** A smaller window (configuration `window.n`): the firmware is measured there too, to show where the goal is met. */
export const SMALL_WINDOW_N = 2048;
/** The firmware spec's accelerometer rate (the default ODR), for the window's length in the labels. */
const SPEC_ODR_HZ = 3200;
/** Windows skipped before the steady state of the bridged run (connect, first windows, alarm on-delay). */
const STEADY_FROM = 5;

/**
 * What the FIFO sampler holds on the device beyond the XS figures (the stub host
 * polls the FIFO, as a host without io.FifoSampler does). The goal of 96 KiB is
 * the XS heap's (docs/performance.md, "Whole-node memory"; DESIGN.md: "about 100 KiB
 * of XS heap"), so the two are counted apart:
 *   - the acquirer's read buffer of one FIFO's depth: XS chunk, in the XS figure;
 *   - the sampler's ring, ringMs x ODR samples of the part's raw bytes: native,
 *     allocated by the sampler task from the ESP-IDF heap, a figure of its own.
 */
export function samplerRingBytes(o: { ringMs: number; odr: number; sampleBytes: number }): number {
  return Math.ceil((o.ringMs * o.odr) / 1000) * o.sampleBytes;
}

const ADXL345_SAMPLE_BYTES = PARTS.find((p) => p.id === "adxl345")!.sampleBytes;
/** The acquirer's read buffer (XS) for the measured firmware's ADXL345: one FIFO (192 B). */
export const SAMPLER_READ_BUFFER_BYTES = FIFO_DEPTH * ADXL345_SAMPLE_BYTES;
/** The native ring for the ADXL345 at the default rate and the default node's acquisition.ringMs (no bearing diagnostics; 9 600 B). */
export const SAMPLER_RING_BYTES = samplerRingBytes({ ringMs: DEFAULT_RING_MS, odr: DEFAULT_CONFIG.accelerometer.odr, sampleBytes: ADXL345_SAMPLE_BYTES });

/** Minimal shapes of the bridge results (the full types live in tools/xs/bridge.ts). */
interface BridgedLike {
  windows: { window: number; compute: number; heap: number; heapAfterGc?: number }[];
  bootCompute: number;
  load: { compute: number; heapCount: number };
}
interface SoakLike {
  n: number;
  windows: number;
  afterWarmup: number;
  afterAll: number;
  growth: number;
  firstCyclePeak: number;
  lastCyclePeak: number;
  peak: number;
  computePerWindow: number;
}

export interface NodeFigures {
  bridged?: {
    windows: number;
    /** Median and max computrons per steady-state window (n = 4096, 3 axes, bridge included). */
    computeMedian: number;
    computeMax: number;
    /** Heap slots after a collection following each steady-state window: max and last. */
    heapMax: number;
    heapLast: number;
    heapFirst: number;
    /** Largest heap right after a window (no collection). */
    heapBeforeGcMax: number;
  };
  soak?: SoakLike;
  memory?: NodeMemoryLike;
  firmware?: FirmwareMemoryLike;
  /** The same firmware measurement at n = SMALL_WINDOW_N. */
  firmwareSmall?: FirmwareMemoryLike;
  setup?: SetupMemoryLike;
}

/** tools/xs/bridge.ts SetupMemory. */
export interface SetupMemoryLike {
  n: number;
  rounds: number;
  blockRounds: number;
  loaded: XsMemoryLike;
  steady: XsMemoryLike;
  peakSlots: number;
  firstBlockSlots: number;
  lastBlockSlots: number;
  growthSlots: number;
}

interface XsMemoryLike {
  slots: number;
  chunkBytes: number;
}
interface NodeMemoryLike {
  n: number;
  windows: number;
  empty: XsMemoryLike;
  load: XsMemoryLike;
  boot: XsMemoryLike;
  steady: XsMemoryLike;
}

/**
 * The node's RAM on an ESP32, estimated from xsnap: slots above an empty machine
 * (the intrinsics are in ROM on a Moddable device; our modules are not preloaded,
 * so their instances count) at 16 B, plus the chunk bytes allocated after the
 * script loaded (bytecode is in flash on a device). An upper bound for the
 * firmware: the simulated sensors, machine and flash (outbox segments) of the
 * XS node are in it.
 */
export function nodeRamBytes(m: NodeMemoryLike): { slots: number; slotBytes: number; chunkBytes: number; total: number } {
  const slots = m.steady.slots - m.empty.slots;
  const slotBytes = slots * XS_SLOT_BYTES_ESP32;
  const chunkBytes = m.steady.chunkBytes - m.load.chunkBytes;
  return { slots, slotBytes, chunkBytes, total: slotBytes + chunkBytes };
}

interface FirmwareStageLike extends XsMemoryLike {
  flash: number;
}
/** tools/xs/bridge.ts FirmwareMemory. */
interface FirmwareMemoryLike {
  n: number;
  windows: number;
  hostOnly: FirmwareStageLike;
  loaded: FirmwareStageLike;
  constructed: FirmwareStageLike;
  started: FirmwareStageLike;
  steady: FirmwareStageLike;
  peakSlots: number;
  components: Record<"acquisition" | "dsp" | "monitor" | "outbox" | "mqtt", XsMemoryLike>;
}

export interface BreakdownRow {
  part: string;
  slots: number;
  chunkBytes: number;
  /** slots x 16 B + chunk bytes, on an ESP32. */
  bytes: number;
}

function row(part: string, slots: number, chunkBytes: number): BreakdownRow {
  return { part, slots, chunkBytes, bytes: slots * XS_SLOT_BYTES_ESP32 + chunkBytes };
}

function minus(a: XsMemoryLike, ...b: XsMemoryLike[]): XsMemoryLike {
  return { slots: a.slots - b.reduce((s, x) => s + x.slots, 0), chunkBytes: a.chunkBytes - b.reduce((s, x) => s + x.chunkBytes, 0) };
}

/**
 * The firmware's RAM on an ESP32 by part (stub host, no simulator; flash taken
 * out): module instances (slots above the stub host alone; their bytecode is
 * flash), then what each stage added, split by the marginal instances of its
 * subsystems, the rest of each stage by difference. The rows sum to `total`
 * (steady state, after a collection).
 */
export function firmwareBreakdown(m: FirmwareMemoryLike): { rows: BreakdownRow[]; total: BreakdownRow; xsPreloaded: BreakdownRow; preloaded: BreakdownRow; peakSlots: number } {
  const c = m.components;
  const modules = { slots: m.loaded.slots - m.hostOnly.slots, chunkBytes: 0 };
  const constructed = minus(m.constructed, m.loaded);
  const started = minus(m.started, m.constructed);
  const running = minus(m.steady, m.started);
  const rows = [
    row("module instances (code loaded, not preloaded; bytecode in flash)", modules.slots, modules.chunkBytes),
    row("config, commands, topics, status (NodeApp constructor, rest)", ...xy(minus(constructed, c.monitor, c.outbox, c.mqtt))),
    row("monitor (ISO zones, rules, running hours)", ...xy(c.monitor)),
    row("outbox (index, RAM ring; its log is flash)", ...xy(c.outbox)),
    row("MQTT client (send buffer, parser, queues)", ...xy(c.mqtt)),
    row("acquisition (ADXL345 driver, Acquirer window buffers)", ...xy(c.acquisition)),
    row(`DSP (FeatureExtractor n = ${m.n}, 3 axis results)`, ...xy(c.dsp)),
    row("start, rest (TMP117 driver, timers, subscriptions, CONNECT)", ...xy(minus(started, c.acquisition, c.dsp))),
    row(`running, ${m.windows} windows (outbox index, grown buffers, last payload state)`, ...xy(running)),
  ];
  const total = rows.reduce((t, r) => row("firmware total (steady state)", t.slots + r.slots, t.chunkBytes + r.chunkBytes), row("", 0, 0));
  // The manifests preload every firmware module: the module instances are in flash (checked on the
  // Moddable runtime, lin: test/moddable/memory-check, docs/moddable.md "Preload"); xsnap cannot preload.
  const xsPreloaded = row("firmware total in XS, modules preloaded (steady state)", total.slots - rows[0].slots, total.chunkBytes - rows[0].chunkBytes);
  // The device's XS figure: the XS part and the sampler's read buffer (XS chunk); the ring is native (samplerRingFigure).
  const preloaded = row("firmware total in XS on the device, modules preloaded, with the FIFO sampler's read buffer", xsPreloaded.slots, xsPreloaded.chunkBytes + SAMPLER_READ_BUFFER_BYTES);
  return { rows, total, xsPreloaded, preloaded, peakSlots: m.peakSlots - m.hostOnly.slots };
}

/**
 * The whole node in setup mode on an ESP32, counted as the preloaded firmware figure:
 * slots and chunks above the script loaded (module instances are flash when preloaded),
 * plus the FIFO sampler's read buffer.
 */
export function setupPreloaded(m: SetupMemoryLike): BreakdownRow {
  return row("firmware in setup mode, modules preloaded, with the FIFO sampler's read buffer", m.steady.slots - m.loaded.slots, m.steady.chunkBytes - m.loaded.chunkBytes + SAMPLER_READ_BUFFER_BYTES);
}

/** Setup mode's figures: the RAM against the goal, and the growth. */
function setupFigures(m: SetupMemoryLike): Figure[] {
  const p = setupPreloaded(m);
  return [
    {
      ...preloadedFigure(
        p,
        "xs.node.setup.ramKiBPreloaded",
        `whole node in setup mode (unprovisioned: sampling at n = ${m.n}, publishing nothing, serving its setup page), firmware XS heap, ESP32 estimate, firmware preloaded, same method as the steady state`,
        `xs.node.setup.preloadedBytes${m.n}`,
      ),
      goal: goal("value", "<=", GOALS.setupRamBytes / 1024, `<= ${GOALS.setupRamBytes / 1024} KiB`),
    },
    {
      id: "xs.node.setup.growthSlots",
      name: `whole node in setup mode: XS heap growth, most over the last ${m.blockRounds} rounds (a window, the page and its state served) minus the most over the ${m.blockRounds} before`,
      value: m.growthSlots,
      unit: "slots",
      baseline: { name: "most slots over the first block", value: m.firstBlockSlots },
      goal: goal("value", "<=", 0, "no growth"),
      kind: "deterministic",
      budgets: { "xs.node.setup.growthSlots": m.growthSlots },
      note: `${m.rounds} rounds; before a collection up to ${m.peakSlots - m.loaded.slots} slots above the script loaded (a window's and the requests' garbage)`,
    },
  ];
}

function xy(m: XsMemoryLike): [number, number] {
  return [m.slots, m.chunkBytes];
}

/** Steady-state figures and the budget keys they are checked against. */
export function nodeBudgetChecks(r: { bridged?: BridgedLike; soak?: SoakLike }): { figures: NodeFigures; values: [string, number][]; lines: string[] } {
  const figures: NodeFigures = {};
  const values: [string, number][] = [];
  const lines: string[] = [];
  if (r.bridged) {
    const steady = r.bridged.windows.filter((w) => w.window > STEADY_FROM);
    if (!steady.length) throw new Error("xs-node: no steady-state windows");
    const compute = steady.map((w) => w.compute);
    const heaps = steady.map((w) => w.heapAfterGc ?? w.heap);
    const b = {
      windows: r.bridged.windows.length,
      computeMedian: median(compute),
      computeMax: Math.max(...compute),
      heapMax: Math.max(...heaps),
      heapLast: heaps[heaps.length - 1],
      heapFirst: heaps[0],
      heapBeforeGcMax: Math.max(...steady.map((w) => w.heap)),
    };
    figures.bridged = b;
    lines.push(`XS whole node, n = 4096: ${b.windows} windows; per window ${b.computeMedian} computrons (median of ${steady.length}), max ${b.computeMax}`);
    lines.push(`XS heap after collection, windows ${STEADY_FROM + 1}..${b.windows}: first ${b.heapFirst}, max ${b.heapMax}, last ${b.heapLast} slots = ${kib(b.heapMax, XS_SLOT_BYTES_XSNAP)} KiB in xsnap, ${kib(b.heapMax, XS_SLOT_BYTES_ESP32)} KiB at ${XS_SLOT_BYTES_ESP32} B/slot (ESP32); before collection up to ${b.heapBeforeGcMax} slots`);
    lines.push(`script load ${r.bridged.load.compute} computrons, heap ${r.bridged.load.heapCount} slots; boot ${r.bridged.bootCompute} computrons`);
    values.push(["xs.node.computePerWindow", b.computeMedian], ["xs.node.computeMaxWindow", b.computeMax], ["xs.node.heapSlots", b.heapMax]);
  }
  if (r.soak) {
    figures.soak = r.soak;
    lines.push(`soak n = ${r.soak.n}: ${r.soak.windows} windows, heap ${r.soak.afterWarmup} -> ${r.soak.afterAll} slots (peak ${r.soak.peak}; max over the first / last whole outbox cycles ${r.soak.firstCyclePeak} / ${r.soak.lastCyclePeak}), ${r.soak.computePerWindow.toFixed(0)} computrons per window`);
    values.push(["xs.node.soakHeapSlots", r.soak.peak], ["xs.node.soakHeapGrowth", r.soak.growth]);
  }
  return { figures, values, lines };
}

/** The firmware-only figures: one per part of the breakdown, the total against the goal, the per-window garbage. */
function firmwareFigures(m: FirmwareMemoryLike): Figure[] {
  const b = firmwareBreakdown(m);
  const k = (bytes: number) => Number((bytes / 1024).toFixed(1));
  const parts: Figure[] = b.rows.map((r, i) => ({
    id: `xs.node.firmware.part${i + 1}`,
    name: `  firmware, ESP32 estimate: ${r.part}`,
    value: k(r.bytes),
    unit: "KiB",
    kind: "estimate",
    note: `${r.slots} slots + ${r.chunkBytes} chunk B`,
  }));
  return [
    ...parts,
    {
      id: "xs.node.firmware.ramKiB",
      name: `firmware RAM, ESP32 estimate, steady state, modules not preloaded: slots x ${XS_SLOT_BYTES_ESP32} B + chunks (n = ${m.n}; stub host, flash and bytecode out)`,
      value: k(b.total.bytes),
      unit: "KiB",
      kind: "estimate",
      note: `${b.total.slots} slots + ${b.total.chunkBytes} chunk B`,
      budgets: { "xs.node.firmware.ramSlots": b.total.slots, "xs.node.firmware.ramChunkBytes": b.total.chunkBytes },
    },
    preloadedFigure(
      b.preloaded,
      "xs.node.firmware.ramKiBPreloaded",
      `firmware XS heap, ESP32 estimate, firmware preloaded (as the manifests build it), n = ${m.n}: the figure above minus module instances, plus the FIFO sampler's read buffer (xsnap cannot preload; a check on the Moddable runtime is recorded in bench/lin-check.json, \`sensor-node check-lin\`)`,
      `xs.node.firmware.preloadedBytes${m.n}`,
    ),
    {
      id: "xs.node.firmware.samplerRingKiB",
      name: `FIFO sampler's ring, native RAM on the ESP32 (ESP-IDF heap, outside the XS heap): acquisition.ringMs ${DEFAULT_RING_MS} of the ADXL345 at ${DEFAULT_CONFIG.accelerometer.odr} Hz`,
      value: Number((SAMPLER_RING_BYTES / 1024).toFixed(1)),
      unit: "KiB",
      kind: "estimate",
      budgets: { "device.samplerRingBytes": SAMPLER_RING_BYTES },
      note: `${Math.ceil((DEFAULT_RING_MS * DEFAULT_CONFIG.accelerometer.odr) / 1000)} samples x ${ADXL345_SAMPLE_BYTES} B (x, y, z int16 as the FIFO gives them)`,
    },
    {
      id: "xs.node.firmware.windowGarbageSlots",
      name: "firmware slots allocated per window and freed by the next collection (GC pressure, not RAM held)",
      value: b.peakSlots - b.total.slots,
      unit: "slots",
      kind: "deterministic",
      budgets: { "xs.node.firmware.windowGarbageSlots": b.peakSlots - b.total.slots },
      note: `before a collection up to ${b.peakSlots} slots above the stub host`,
    },
  ];
}

/** The preloaded ESP32 estimate against the goal. */
function preloadedFigure(p: BreakdownRow, id: string, name: string, budget: string): Figure {
  return {
    id,
    name,
    value: Number((p.bytes / 1024).toFixed(1)),
    unit: "KiB",
    kind: "estimate",
    budgets: { [budget]: p.bytes },
    note: `${p.slots} slots + ${p.chunkBytes} chunk B (the sampler's read buffer, ${SAMPLER_READ_BUFFER_BYTES} B, included); plus 4 B of RAM per aliasable preloaded object or \`let\` (docs/moddable.md); the sampler's ring is native RAM (xs.node.firmware.samplerRingKiB)`,
    goal: goal("value", "<=", RAM_GOAL_KIB, `<= ${RAM_GOAL_KIB} KiB`),
  };
}

/** The preloaded estimate at the smaller window: only the window-sized buffers (acquisition, DSP) differ from n = 4096. */
function smallWindowFigure(m: FirmwareMemoryLike): Figure {
  const seconds = (m.n / SPEC_ODR_HZ).toFixed(2);
  const bin = (SPEC_ODR_HZ / m.n).toFixed(2);
  return preloadedFigure(
    firmwareBreakdown(m).preloaded,
    `xs.node.firmware.ramKiBPreloaded${m.n}`,
    `firmware RAM, ESP32 estimate, firmware preloaded, window n = ${m.n} (config window.n: ${seconds} s windows, ${bin} Hz bins at ${SPEC_ODR_HZ} Hz), same method as at n = 4096`,
    `xs.node.firmware.preloadedBytes${m.n}`,
  );
}

function kib(slots: number, slotBytes: number): string {
  return ((slots * slotBytes) / 1024).toFixed(1);
}

/** Runs in the child process: both measurements, one JSON line on stdout. */
async function child(request: { quick?: boolean }): Promise<void> {
  await import("@endo/init");
  const bridge = await import("../xs/bridge.js");
  const { startAedes } = await import("../brokers/broker.js");
  const broker = await startAedes(0);
  try {
    const bridged = await bridge.runNodeInXs(bridge.scriptedSpec(broker), { untilMs: 60_000, gcEachWindow: true });
    const windows = request.quick ? SOAK.windows : SOAK_BENCH_WINDOWS;
    const soak = await bridge.soakNodeInXs(bridge.steadySoakSpec(SOAK.n), { windows, chunk: windows > SOAK.windows ? 500 : SOAK.chunk });
    const memory = await bridge.nodeMemoryInXs(bridge.soakSpec(4096), FIRMWARE_WINDOWS);
    const firmware = await bridge.firmwareMemoryInXs(bridge.firmwareSpec(4096), FIRMWARE_WINDOWS);
    const firmwareSmall = await bridge.firmwareMemoryInXs(bridge.firmwareSpec(SMALL_WINDOW_N), FIRMWARE_WINDOWS);
    const setup = await bridge.setupMemoryInXs(bridge.firmwareSpec(4096));
    process.stdout.write(JSON.stringify({ ...nodeBudgetChecks({ bridged, soak }).figures, memory, firmware, firmwareSmall, setup }) + "\n");
  } finally {
    await broker.close();
  }
}

/** The full run (the 10 000-window soak, the memory stages, setup mode) takes minutes; a loaded machine takes several times as long. */
function runChild(request: { quick: boolean }, timeoutMs = 1_200_000): Promise<NodeFigures> {
  return runJsonChild(fileURLToPath(import.meta.url), request, "XS node child", timeoutMs);
}

export const xsNodeBench: BenchModule = {
  name: "xs-node",
  title: "whole node in XS: computrons per window, heap, soak",
  quick: true,
  async run(ctx) {
    const f = await runChild({ quick: ctx.quick });
    const out: Figure[] = [];
    if (f.bridged) {
      out.push(
        {
          id: "xs.node.computePerWindow",
          name: "whole node per window (n = 4096), XS",
          value: f.bridged.computeMedian,
          unit: "computrons",
          kind: "deterministic",
          note: `max ${f.bridged.computeMax}`,
          budgets: { "xs.node.computePerWindow": f.bridged.computeMedian, "xs.node.computeMaxWindow": f.bridged.computeMax },
        },
        {
          id: "xs.node.heapSlots",
          name: "whole node XS heap, steady state (after collection)",
          value: f.bridged.heapMax,
          unit: "slots",
          kind: "deterministic",
          budgets: { "xs.node.heapSlots": f.bridged.heapMax },
          note: `${kib(f.bridged.heapMax, XS_SLOT_BYTES_ESP32)} KiB at ${XS_SLOT_BYTES_ESP32} B/slot (ESP32), ${kib(f.bridged.heapMax, XS_SLOT_BYTES_XSNAP)} KiB in xsnap; chunks not included`,
        },
        {
          id: "xs.node.heapKiB",
          name: "whole node XS slots at 16 B, all of them (intrinsics and module code included; see xs.node.ramKiB)",
          value: Number(kib(f.bridged.heapMax, XS_SLOT_BYTES_ESP32)),
          unit: "KiB",
          kind: "deterministic",
        },
      );
    }
    if (f.memory) {
      const m = f.memory;
      const ram = nodeRamBytes(m);
      out.push(
        {
          id: "xs.node.ramSlots",
          name: `whole node XS slots above an empty machine, steady state (n = ${m.n}, max of ${m.windows} windows)`,
          value: ram.slots,
          unit: "slots",
          baseline: { name: "empty machine (intrinsics, in ROM on a device)", value: m.empty.slots },
          kind: "deterministic",
          budgets: { "xs.node.ramSlots": ram.slots },
          note: `script loaded ${m.load.slots}, boot ${m.boot.slots}, steady ${m.steady.slots} slots; x ${XS_SLOT_BYTES_ESP32} B = ${kib(ram.slots, XS_SLOT_BYTES_ESP32)} KiB`,
        },
        {
          id: "xs.node.ramChunkKiB",
          name: `whole node XS chunks allocated after load, steady state (n = ${m.n})`,
          value: Number((ram.chunkBytes / 1024).toFixed(1)),
          unit: "KiB",
          baseline: { name: "script loaded (bytecode: flash on a device)", value: Number((m.load.chunkBytes / 1024).toFixed(1)) },
          kind: "deterministic",
          budgets: { "xs.node.ramChunkBytes": ram.chunkBytes },
          note: `boot ${m.boot.chunkBytes} B, steady ${m.steady.chunkBytes} B (xsnap snapshot BLOC); includes the simulated sensors, machine and flash`,
        },
        {
          id: "xs.node.ramKiB",
          name: `whole node incl. simulator: slots x 16 B + chunks (n = ${m.n}; simulated sensors, machine, bus and flash included: not the device figure, see xs.node.firmware.ramKiB)`,
          value: Number((ram.total / 1024).toFixed(1)),
          unit: "KiB",
          kind: "deterministic",
        },
      );
    }
    if (f.firmware) out.push(...firmwareFigures(f.firmware));
    if (f.firmwareSmall) out.push(smallWindowFigure(f.firmwareSmall));
    if (f.setup) out.push(...setupFigures(f.setup));
    if (f.soak) {
      out.push({
        id: "xs.node.soakHeapGrowth",
        name: `whole node XS heap growth over ${f.soak.windows} windows (n = ${f.soak.n}, fast path; ${f.soak.windows === SOAK.windows ? "as CI runs it" : `bench only: CI's test/xs-node.test.ts runs ${SOAK.windows}`})`,
        value: f.soak.growth,
        unit: "slots",
        baseline: { name: "max over the first whole outbox cycles", value: f.soak.firstCyclePeak },
        goal: goal("value", "<=", 0, "no growth"),
        kind: "deterministic",
        budgets: { "xs.node.soakHeapGrowth": f.soak.growth, "xs.node.soakHeapSlots": f.soak.peak },
        note: `max over the last cycles ${f.soak.lastCyclePeak}, first ${f.soak.firstCyclePeak}; ${f.soak.computePerWindow.toFixed(0)} computrons per window`,
      });
    }
    return out;
  },
};

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  child(JSON.parse(process.argv[2] ?? "{}")).catch((e) => {
    process.stderr.write(String(e && e.stack ? e.stack : e) + "\n");
    process.exit(1);
  });
}
