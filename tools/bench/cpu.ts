/*
 * The node on the simulated ESP32 CPU (issue 14; docs/host.md, "CPU time" and
 * "FIFO sampler"; docs/measurement.md, "Acquisition on two cores"): one
 * simulated node per part at its top rate (n = 4096, all features, telemetry
 * every window), the real app on an embedded aedes broker, in virtual time, at
 * the central ESP32 rate (sim/cpu.ts ESP32_COMPUTRONS_PER_S) and at the
 * pessimistic one (ESP32_PESSIMISTIC_COMPUTRONS_PER_S), where a configuration
 * the node cannot keep up with is refused at configuration time (reported as
 * such instead of figures).
 *
 * Figures per part (all virtual time, deterministic for a seed):
 *  - CPU share per window: the main task's and the sampler core's busy time over
 *    the run (VirtualClock task busyMs) as % of the run, i.e. of each window.
 *    Baselines: the features' own share (same run); the bus time on one core in
 *    the same run under --cpu free.
 *  - The longest the acquisition waited for the CPU: the sampler task's
 *    maxLateMs (its poll timer's lateness). Goal: below half the FIFO's fill
 *    time (32 samples / ODR / 2). Baseline: the main task's longest wait.
 *  - Alarm latency p99, the x velocity toggled across the warning and alarm
 *    levels every two windows (as alarm.ts does) until >= 100 transitions:
 *    (a) from the window's last sample (block t0 + n / odr) to the alarm
 *    PUBLISH's socket write (virtual time of the node's task), goal <= 500 ms;
 *    the features' time (window end -> features ready), reported; (b) from the
 *    window's features ready (the third axis's features charged) to the same
 *    write, goal <= 50 ms. Baseline: the same run under --cpu free.
 *  - Samples lost over the run (what the windows report and what the part's FIFO
 *    dropped, the larger), goal 0; the run's length in simulated seconds.
 */
import { FeatureExtractor } from "../../firmware/dsp/features.js";
import type { WindowBlock } from "../../firmware/acquisition/acquirer.js";
import type { AccelerometerKind } from "../../firmware/drivers/scan.js";
import { VirtualClock } from "../../sim/clock.js";
import { startAedes } from "../brokers/broker.js";
import { waitIdle } from "../simulator/drive.js";
import { SimNode, tapWrites } from "../simulator/simulation.js";
import { ESP32_COMPUTRONS_PER_S, ESP32_PESSIMISTIC_COMPUTRONS_PER_S, rateText } from "./esp32.js";
import { GOALS } from "./goals.js";
import { roundsText, spreadOf } from "./rounds.js";
import { goal, median, quantile, type BenchModule, type Figure } from "./types.js";
import { publishes, toggleUntil } from "./alarm.js";

export const CPU_N = 4096;
/** Every part's FIFO holds 32 x-y-z samples (ADXL345, LIS3DH, ADXL355 datasheets). */
export const FIFO_DEPTH = 32;

export interface CpuPart {
  id: AccelerometerKind;
  name: string;
  odr: number;
}

/** Each part at its top rate. */
export const CPU_PARTS: CpuPart[] = [
  { id: "adxl345", name: "ADXL345 @ 3200 Hz", odr: 3200 },
  { id: "lis3dh", name: "LIS3DH @ 5376 Hz", odr: 5376 },
  { id: "adxl355", name: "ADXL355 @ 4000 Hz", odr: 4000 },
];

export interface CpuRun {
  part: string;
  /** Computrons per second, or undefined: --cpu free. */
  rate: number | undefined;
  /** The configuration-time refusal ("config.<field>: <problem>"), if the node refused. */
  refused?: string;
  virtualMs: number;
  realMs: number;
  windows: number;
  /** Main task (the firmware's thread) and, under the model, the sampler's core. */
  main: { busyMs: number; maxLateMs: number };
  sampler?: { busyMs: number; maxLateMs: number };
  /** Features' time charged over the run, ms (0 under --cpu free). */
  featuresMs: number;
  /** Samples lost as the windows report them (block.lost) and as the part's FIFO dropped them. */
  lost: number;
  partLost: number;
  /** Accelerometer faults the node logged (an overrun, a stuck bus...). */
  faults: string[];
  /** Per alarm transition, ms: window end -> PUBLISH, features ready -> PUBLISH, window end -> features ready. */
  fromWindowEnd: number[];
  fromFeatures: number[];
  featuresAfterEnd: number[];
}


/**
 * One part at one CPU rate (undefined: --cpu free), until `transitions` alarm
 * transitions of the x velocity rule were published (bounded: 3 windows per
 * transition), or for 10 windows when the node refuses the configuration.
 */
export async function measureCpuRun(part: CpuPart, rate: number | undefined, transitions: number): Promise<CpuRun> {
  const realStart = performance.now();
  const broker = await startAedes(0);
  const clock = new VirtualClock({ epochMs: Date.parse("2026-01-01T00:00:00Z") });
  const windowMs = (CPU_N * 1000) / part.odr;
  const faults: string[] = [];
  let refused: string | undefined;
  const node = new SimNode({
    clock,
    cpu: rate === undefined ? undefined : { rate },
    spec: {
      nodeId: `bench-${part.id}`,
      seed: 7,
      accelerometer: part.id,
      temperature: "tmp117",
      machine: { rpm: 1782, vibration: [{ axis: "x", kind: "sine", freq_hz: 29.7, vrms_mm_s: 2 }], temperature_c: 40 },
      config: {
        window: { n: CPU_N },
        accelerometer: { odr: part.odr },
        monitor: { rules: [{ metric: "x.vRms", warning: 4.5, alarm: 7.1 }], running: { thresholdMmS: 0.5, graceS: 0 } },
      },
    },
    broker: { host: broker.host, port: broker.port, secure: false },
    log: (level, message) => {
      if (level !== "warn" && level !== "error") return;
      const m = /^accelerometer fault \((\w+)\): (.*)$/.exec(message);
      if (!m) return;
      if (m[1] === "config") refused ??= m[2];
      else faults.push(`${m[1]}: ${m[2]}`);
    },
  });
  const time = node.time;

  // Features ready: after the third axis's features, and under the model their charge (this node's
  // meter); under --cpu free, when the z axis's compute returns (FeatureExtractor's prototype is
  // wrapped for the run, then restored: free runs must not overlap in one process).
  let featuresReady = NaN;
  const proto = FeatureExtractor.prototype;
  const compute = proto.compute;
  const cpu = node.cpu;
  if (cpu) {
    const charge = cpu.charge.bind(cpu);
    let charges = 0;
    cpu.charge = (work, units) => {
      charge(work, units);
      if (work === "features" && ++charges % 3 === 0) featuresReady = time.now();
    };
  } else {
    proto.compute = function (this: FeatureExtractor, ...args: Parameters<typeof compute>) {
      const r = compute.apply(this, args);
      if (args[1] === node.app.sensors.axes.z) featuresReady = time.now();
      return r;
    };
  }
  // The window whose features the app publishes next: its end (last sample) and when its features were ready.
  let current: { end: number; ready: number } | undefined;
  let lost = 0;
  const telemetry = node.app.telemetry;
  const windowDone = telemetry.windowDone.bind(telemetry);
  telemetry.windowDone = (block: WindowBlock | undefined) => {
    if (block) {
      current = { end: block.t0 + (block.n * 1000) / block.odr, ready: featuresReady };
      lost += block.lost;
    }
    windowDone(block);
    current = undefined; // a transition is published (written) within its window's callback
  };
  const result: CpuRun = {
    part: part.id,
    rate,
    virtualMs: 0,
    realMs: 0,
    windows: 0,
    main: { busyMs: 0, maxLateMs: 0 },
    featuresMs: 0,
    lost: 0,
    partLost: 0,
    faults,
    fromWindowEnd: [],
    fromFeatures: [],
    featuresAfterEnd: [],
  };
  let late = 0;
  tapWrites(node, (bytes) => {
    const t = time.now();
    for (const p of publishes(bytes)) {
      if (!p.topic.endsWith("/alarm")) continue;
      const body = JSON.parse(new TextDecoder().decode(p.payload)) as { metric?: string };
      if (body.metric !== "x.vRms") continue;
      if (!current) {
        late++; // written after its window's callback (held by the outbox): not attributed
        continue;
      }
      result.fromWindowEnd.push(t - current.end);
      result.fromFeatures.push(t - current.ready);
      result.featuresAfterEnd.push(current.ready - current.end);
    }
  });
  try {
    node.start();
    await toggleUntil(clock, node, windowMs, transitions, () => result.fromWindowEnd.length >= transitions || refused !== undefined);
    await waitIdle(() => node.busy, 2000);
  } finally {
    if (!cpu) proto.compute = compute;
    node.stop();
    await new Promise((r) => setTimeout(r, 50));
    await broker.close();
  }
  if (late) throw new Error(`cpu bench ${part.id}: ${late} alarm PUBLISH(es) written outside their window's callback`);
  const main = node.time;
  const sampler = node.core0;
  return {
    ...result,
    refused,
    virtualMs: clock.now(),
    realMs: performance.now() - realStart,
    windows: node.app.windows,
    main: { busyMs: main.busyMs, maxLateMs: main.maxLateMs },
    sampler: sampler ? { busyMs: sampler.busyMs, maxLateMs: sampler.maxLateMs } : undefined,
    featuresMs: node.cpu?.spentMs.features ?? 0,
    lost,
    partLost: (node.accelerometer as unknown as { samplesLost: number }).samplesLost,
  };
}

/** Rounds of the central run in the full bench (the first included): the simulation's wall time spread is over these. */
const CPU_WALL_ROUNDS = 5;

const pct = (ms: number, run: CpuRun) => (100 * ms) / run.virtualMs;

/**
 * The figures of one part at one rate, against the same part's --cpu free run;
 * `repeats` are the same run measured again, for the wall time's spread.
 */
export function cpuFigures(part: CpuPart, run: CpuRun, free: CpuRun, prefix: string, repeats: CpuRun[] = []): Figure[] {
  const label = `${part.name}, ESP32 estimate at ${rateText(run.rate!)}${run.rate === ESP32_PESSIMISTIC_COMPUTRONS_PER_S ? " (pessimistic)" : ""}`;
  const id = `${prefix}.${part.id}`;
  if (run.refused !== undefined) {
    return [
      {
        id: `${id}.refused`,
        name: label,
        text: `refused at configuration: ${run.refused}`,
        value: NaN,
        unit: "",
        kind: "estimate",
        note: `${(run.virtualMs / 1000).toFixed(0)} s simulated, ${run.windows} windows`,
      },
    ];
  }
  const windowMs = (CPU_N * 1000) / part.odr;
  const fillMs = (FIFO_DEPTH * 1000) / part.odr;
  const s = run.sampler ?? { busyMs: 0, maxLateMs: 0 };
  const p99 = (xs: number[]) => (xs.length ? quantile(xs, 0.99) : NaN);
  const p50 = (xs: number[]) => (xs.length ? quantile(xs, 0.5) : NaN);
  const ratio = (a: number, b: number) => (b > 0 ? a / b : undefined);
  const fig = (f: Omit<Figure, "kind">): Figure => ({ kind: "estimate", ...f });
  /** The central rate's deterministic figures are guarded in CI (test/cpu-budgets.test.ts). */
  const budget = (key: string, value: number) => (prefix === "cpu" ? { budgets: { [key]: value } } : {});
  const perWindow = (ms: number) => ((ms / run.virtualMs) * windowMs).toFixed(0);
  const mainShare = pct(run.main.busyMs, run);
  const featuresShare = pct(run.featuresMs, run);
  const busShare = pct(s.busyMs, run);
  const freeBus = pct(free.main.busyMs, free);
  const a = p99(run.fromWindowEnd);
  const b = p99(run.fromFeatures);
  const f = p99(run.featuresAfterEnd);
  return [
    fig({
      id: `${id}.mainShare`,
      name: `${label}: main core busy per window (${perWindow(run.main.busyMs)} of ${windowMs.toFixed(0)} ms)`,
      value: mainShare,
      unit: "% of window",
      baseline: { name: "features alone, same run", value: featuresShare },
      ratio: ratio(mainShare, featuresShare),
      note: `${perWindow(run.main.busyMs)} ms of each ${windowMs.toFixed(0)} ms window (features ${perWindow(run.featuresMs)} ms)`,
    }),
    fig({
      id: `${id}.samplerShare`,
      name: `${label}: sampler core (bus) busy per window (${perWindow(s.busyMs)} of ${windowMs.toFixed(0)} ms)`,
      value: busShare,
      unit: "% of window",
      baseline: { name: "bus on one core, --cpu free", value: freeBus },
      ratio: ratio(busShare, freeBus),
    }),
    fig({
      id: `${id}.samplerWait`,
      name: `${label}: longest wait of the acquisition for its core`,
      value: s.maxLateMs,
      unit: "ms",
      baseline: { name: "main task's longest wait", value: run.main.maxLateMs },
      ratio: ratio(s.maxLateMs, run.main.maxLateMs),
      goal: goal("value", "<=", fillMs * GOALS.samplerWaitOfFill, `< ${(fillMs * GOALS.samplerWaitOfFill).toFixed(2)} ms (FIFO fill / 2)`),
      ...budget(`cpu.${part.id}.samplerWait`, s.maxLateMs),
    }),
    fig({
      id: `${id}.lost`,
      name: `${label}: samples lost in ${(run.virtualMs / 1000).toFixed(0)} s simulated (${run.windows} windows)`,
      value: Math.max(run.lost, run.partLost),
      unit: "samples",
      baseline: { name: "--cpu free", value: Math.max(free.lost, free.partLost) },
      goal: goal("value", "==", 0, "0 (no overflow)"),
      ...budget("cpu.lost", Math.max(run.lost, run.partLost)),
      note: run.faults.length ? `accelerometer faults: ${run.faults.slice(0, 3).join("; ")}` : "no accelerometer fault",
    }),
    fig({
      id: `${id}.latencyFromWindowEnd.p99`,
      name: `${label}: alarm latency p99 from window end (${run.fromWindowEnd.length} transitions)`,
      value: a,
      unit: "ms",
      baseline: { name: "--cpu free", value: p99(free.fromWindowEnd) },
      ratio: ratio(a, p99(free.fromWindowEnd)),
      goal: goal("value", "<=", GOALS.latencyFromWindowEndMs, `<= ${GOALS.latencyFromWindowEndMs} ms`),
      ...budget(`cpu.${part.id}.latencyFromWindowEnd.p99`, a),
      note: `p50 ${p50(run.fromWindowEnd).toFixed(1)} ms`,
    }),
    fig({
      id: `${id}.featuresAfterWindowEnd.p99`,
      name: `${label}: of which window end -> features ready, p99`,
      value: f,
      unit: "ms",
      baseline: { name: "--cpu free", value: p99(free.featuresAfterEnd) },
      ratio: ratio(f, p99(free.featuresAfterEnd)),
      note: `p50 ${p50(run.featuresAfterEnd).toFixed(1)} ms`,
    }),
    fig({
      id: `${id}.latencyFromFeatures.p99`,
      name: `${label}: alarm latency p99 from features ready`,
      value: b,
      unit: "ms",
      baseline: { name: "--cpu free", value: p99(free.fromFeatures) },
      ratio: ratio(b, p99(free.fromFeatures)),
      goal: goal("value", "<=", GOALS.latencyFromFeaturesMs, `<= ${GOALS.latencyFromFeaturesMs} ms`),
      ...budget(`cpu.${part.id}.latencyFromFeatures.p99`, b),
      note: `p50 ${p50(run.fromFeatures).toFixed(2)} ms`,
    }),
    simulatedFigure(`${id}.simulatedS`, `${label}: run length, simulated`, [run, ...repeats]),
  ];
}

/**
 * The run's simulated length (virtual, the same every round: the spread shows it)
 * against the real time to simulate it, the median round's, with the speed-up's
 * spread over the rounds.
 */
function simulatedFigure(id: string, name: string, rounds: CpuRun[]): Figure {
  const real = rounds.map((r) => r.realMs / 1000);
  const speedUps = rounds.map((r) => r.virtualMs / r.realMs);
  const realMedian = median(real);
  const spread = spreadOf(rounds.map((r) => r.virtualMs / 1000));
  const realSpread = spreadOf(real);
  return {
    id,
    name,
    value: rounds[0].virtualMs / 1000,
    unit: "s",
    baseline: { name: "real time to simulate it, s", value: realMedian },
    ratio: median(speedUps),
    ratioSpread: spreadOf(speedUps).range,
    spread,
    kind: "wall",
    note: `real time: ${roundsText(realSpread)} ${realSpread.range.map((x) => x.toFixed(2)).join("-")} s; the simulated length is virtual time${spread.range[0] === spread.range[1] ? ", the same in every round" : ", **not the same in every round**"}`,
  };
}

export const cpuBench: BenchModule = {
  name: "cpu",
  title: "The node on the ESP32 CPU model (CPU share, acquisition wait, alarm latency from window end)",
  quick: true,
  async run(ctx) {
    const transitions = ctx.quick ? 20 : 100;
    const central: Figure[] = [];
    const pessimistic: Figure[] = [];
    for (const part of CPU_PARTS) {
      ctx.log(`bench: cpu ${part.id}: --cpu free, ${ESP32_COMPUTRONS_PER_S}, ${ESP32_PESSIMISTIC_COMPUTRONS_PER_S} computrons/s ...`);
      const free = await measureCpuRun(part, undefined, transitions);
      const run = await measureCpuRun(part, ESP32_COMPUTRONS_PER_S, transitions);
      if (run.refused !== undefined) ctx.log(`bench: cpu ${part.id}: refused at the central rate: ${run.refused}`);
      // The central run again, for the wall time's spread (its virtual figures are the same every round).
      const repeats: CpuRun[] = [];
      for (let i = 1; i < (ctx.quick ? 2 : CPU_WALL_ROUNDS) && run.refused === undefined; i++) repeats.push(await measureCpuRun(part, ESP32_COMPUTRONS_PER_S, transitions));
      central.push(...cpuFigures(part, run, free, "cpu", repeats));
      const slow = await measureCpuRun(part, ESP32_PESSIMISTIC_COMPUTRONS_PER_S, transitions);
      pessimistic.push(...cpuFigures(part, slow, free, "cpu.pessimistic"));
    }
    return [...central, ...pessimistic];
  },
};
