/*
 * The deterministic XS figures: computrons and heap counts from the real XS engine
 * (xsnap, through the test harness). Shared by the bench (in a child process:
 * xs-child.ts) and by test/budgets.test.ts.
 *
 * The caller's process must have imported "@endo/init" first (xsnap needs a
 * locked-down process); this module itself does not, so importing it is harmless.
 */
import { withXsSession, xsCase, type XsSession } from "../xs/harness.js";

export const XS_CASES_ENTRY = "tools/bench/xs-cases.ts";
export const XS_CODEC_CASES_ENTRY = "tools/bench/xs-codec-cases.ts";
export const XS_FIFO_CASES_ENTRY = "tools/bench/xs-fifo-cases.ts";
/** The device path's bundle: the modules the Moddable manifests replace by C (spectrum kernel, envelope pass), here replaced by replays (replay-spectrum.ts, replay-demodulate.ts). */
export const XS_DEVICE_PATH = {
  entry: XS_CASES_ENTRY,
  substitute: { "firmware/dsp/spectrum.ts": "tools/bench/replay-spectrum.ts", "firmware/dsp/demodulate.ts": "tools/bench/replay-demodulate.ts" },
};

import { WINDOW } from "./types.js";
export { WINDOW };

export interface XsFigures {
  window: { n: number; odr: number; axes: number };
  /** Computrons of one window: the full feature set on three axes. */
  featuresPerWindow: number;
  /** The node's published set (no peaks, no order bands), for the breakdown. */
  featuresCorePerWindow: number;
  /** Baseline: a bare loop over the same 3 x n samples. */
  bareLoopPerWindow: number;
  /** Per sample per axis. */
  featuresPerSample: number;
  bareLoopPerSample: number;
  /** Complex FFT (in place, input copy included) and real FFT, by size. */
  fft: Record<string, number>;
  realFft: Record<string, number>;
  /** Mean computrons of one monitor evaluation (ISO zones + 6 rules; transitions included). */
  monitorPerEvaluation: number;
  monitorRules: number;
  monitorTransitions: number;
  /** Computrons of one 1 KiB QoS 1 PUBLISH encode (mean of 100): encode() and encodeInto a preallocated buffer. */
  mqttEncode1k: number;
  mqttEncodeInto1k: number;
  /** The client's send path (SendPath.send of the same PUBLISH, next packet id, to a socket that takes everything), after warm-up: computrons and XS heap slots allocated per send. */
  mqttSend1k: number;
  mqttSendSlotsPerSend: number;
  /** XS speed on this machine: computrons of the features command over its wall time (IPC included, so a floor). */
  computronsPerSecond: number;
}

export interface XsHeapFigures {
  /** Window length used (the allocation pattern does not depend on it; CI uses 1024 to stay fast). */
  n: number;
  windows: number;
  /** XS heap slots in use (xsnap currentHeapCount, after a collection): after setup, after 5 windows, after all. */
  afterSetup: number;
  afterWarmup: number;
  afterAll: number;
  /** afterAll - afterWarmup: 0 when the steady state allocates nothing that survives. */
  growth: number;
  /** Mean computrons per window of the steady state (features on 3 axes + monitor). */
  computePerWindow: number;
}

/** What the bench's XS child process (xs-child.ts) measures in one run. */
export interface XsChildResult {
  xs: XsFigures;
  heap: XsHeapFigures;
  devicePath: XsDevicePathFigures;
  /** The main core's FIFO work per sample with a sampler: ADXL345 int16 counts (fifo), ADXL355 20-bit decode (fifoDecode). */
  fifo: XsFifoFigures;
  fifoDecode: XsFifoFigures;
  /** The bearing diagnostics on both paths (measureXsEnvelope). */
  envelope: { portable: XsEnvelopeFigures; devicePath: XsEnvelopeFigures };
}

export interface XsFifoFigures {
  perSample: number;
  sampled: boolean;
  counts: boolean;
}

export interface XsMeasureOptions {
  /** Monitor evaluations averaged (default 200). */
  monitorEvaluations?: number;
}

async function step(s: XsSession, name: string, arg?: unknown) {
  return xsCase(s, name, arg);
}

export async function measureXs(options: XsMeasureOptions = {}): Promise<XsFigures> {
  const evaluations = options.monitorEvaluations ?? 200;
  return withXsSession(
    XS_CASES_ENTRY,
    async (s) => {
      const setup = await step(s, "setup", { n: WINDOW.n, odr: WINDOW.odr, seed: 11 });
      // First runs warm nothing up in an interpreter, but settle lazily created objects: measure the second.
      await step(s, "features");
      const features = await step(s, "features");
      let spent = 0;
      const t0 = performance.now();
      for (let i = 0; i < 5; i++) spent += (await step(s, "features")).compute;
      const computronsPerSecond = spent / ((performance.now() - t0) / 1000);
      await step(s, "featuresCore");
      const core = await step(s, "featuresCore");
      await step(s, "bareLoop");
      const bare = await step(s, "bareLoop");
      const fft: Record<string, number> = {};
      const realFft: Record<string, number> = {};
      for (const n of [1024, 2048, 4096]) {
        await step(s, "fft", { n });
        fft[n] = (await step(s, "fft", { n })).compute;
        await step(s, "realFft", { n });
        realFft[n] = (await step(s, "realFft", { n })).compute;
      }
      await step(s, "monitor", { count: 20, period: 5 });
      const mon = await step(s, "monitor", { count: evaluations, period: 5 });
      const samples = WINDOW.n * WINDOW.axes;
      void setup;
      return {
        window: { ...WINDOW },
        featuresPerWindow: features.compute,
        featuresCorePerWindow: core.compute,
        bareLoopPerWindow: bare.compute,
        featuresPerSample: features.compute / samples,
        bareLoopPerSample: bare.compute / samples,
        fft,
        realFft,
        monitorPerEvaluation: mon.compute / evaluations,
        monitorRules: 9,
        monitorTransitions: (mon.value as { transitions: number }).transitions,
        computronsPerSecond,
        ...(await measureXsCodec()),
      };
    },
    { meteringLimit: 0, name: "sensor-node-bench" },
  );
}

/**
 * Computrons of one 1 KiB PUBLISH encode, both ways (mean of 100, after a first
 * run of 100), and the client's send path: computrons and heap slots per send.
 */
/**
 * Computrons per sample of the main core's FIFO work with a sampler: ring read,
 * decode, window store (tools/bench/xs-fifo-cases.ts), over 4 windows' worth after a
 * first window (so the window's own hand-over is included once per n). ADXL345: int16
 * counts stored as they come (`counts`); ADXL355: 20-bit entries decoded to float g.
 */
export async function measureXsFifoCopy(part: "adxl345" | "adxl355" = "adxl345"): Promise<XsFifoFigures> {
  return withXsSession(
    XS_FIFO_CASES_ENTRY,
    async (s) => {
      const setup = await step(s, "setup", { part });
      await step(s, "drain", { samples: 4096 });
      const samples = 4 * 4096;
      const r = await step(s, "drain", { samples });
      const v = setup.value as { sampled: boolean; counts: boolean };
      return { perSample: r.compute / samples, sampled: v.sampled, counts: v.counts };
    },
    { meteringLimit: 0, name: "sensor-node-bench-fifo" },
  );
}

async function measureXsCodec(): Promise<Pick<XsFigures, "mqttEncode1k" | "mqttEncodeInto1k" | "mqttSend1k" | "mqttSendSlotsPerSend">> {
  const encodes = 100;
  const sends = 100;
  return withXsSession(
    XS_CODEC_CASES_ENTRY,
    async (s) => {
      const per = async (into: boolean) => {
        await step(s, "mqttEncode", { count: encodes, into });
        return (await step(s, "mqttEncode", { count: encodes, into })).compute / encodes;
      };
      const mqttEncode1k = await per(false);
      const mqttEncodeInto1k = await per(true);
      // heapCount counts slots in use, cumulative until a collection: collect, then count what `count` sends add.
      const sendRun = async (count: number) => {
        await step(s, "gc");
        const before = (await step(s, "gc")).heapCount;
        const r = await step(s, "mqttSend", { count });
        const v = r.value as { failed: number; whole: boolean };
        if (v.failed !== 0 || !v.whole) throw new Error(`XS send case: not every packet reached the socket whole: ${JSON.stringify(v)}`);
        return { slots: r.heapCount - before, compute: r.compute };
      };
      await sendRun(sends); // warm-up: the send buffer grows to the packet's size
      const idle = await sendRun(0); // the command's own cost (its JSON in and out), taken off
      const run = await sendRun(sends);
      return { mqttEncode1k, mqttEncodeInto1k, mqttSend1k: (run.compute - idle.compute) / sends, mqttSendSlotsPerSend: (run.slots - idle.slots) / sends };
    },
    { meteringLimit: 0, name: "sensor-node-bench-codec" },
  );
}

export interface XsDevicePathFigures {
  /** Computrons of the full feature set on 3 axes with the spectrum kernel's work taken out (replayed). */
  featuresPerWindow: number;
  featuresPerSample: number;
  /** The replayed window gives the same features as the computed one (the replay is faithful). */
  sameFeatures: boolean;
}

/**
 * The feature set as the device runs it, minus the C kernel: everything the XS
 * side does (first pass with the first FFT stages, band sums, peaks, orders,
 * moments) with the kernel call replaced by a replay of recorded spectra.
 */
export async function measureXsDevicePath(): Promise<XsDevicePathFigures> {
  return withXsSession(
    XS_DEVICE_PATH,
    async (s) => {
      await step(s, "setup", { n: WINDOW.n, odr: WINDOW.odr, seed: 11 });
      const computed = await step(s, "featuresValues"); // records the three axes' spectra
      await step(s, "replaySpectrum");
      const replayed = await step(s, "featuresValues");
      await step(s, "features");
      const features = await step(s, "features");
      return {
        featuresPerWindow: features.compute,
        featuresPerSample: features.compute / (WINDOW.n * WINDOW.axes),
        sameFeatures: JSON.stringify(computed.value) === JSON.stringify(replayed.value),
      };
    },
    { meteringLimit: 0, name: "sensor-node-bench-device-path" },
  );
}

export interface XsEnvelopeFigures {
  /** Computrons of the bearing diagnostics alone (envelope, speed, defect bands) per window of 3 axes: features + envelope minus features. */
  perWindow: number;
  perSample: number;
  /** Features and envelope together per axis-sample (the goal's figure). */
  withFeaturesPerSample: number;
  /** XS heap slots and chunk bytes the bearing analysis adds (its objects and 3 result objects), measured after a collection. */
  slots: number;
  chunkBytes: number;
  /** Device path only: the replayed spectra gave the computed values. */
  sameValues?: boolean;
}

/**
 * The bearing diagnostics' cost in XS on the portable path (`devicePath` false:
 * the TS kernel) or the device path (the kernel replayed, as measureXsDevicePath),
 * and the heap it adds (portable session: the BearingAnalysis made in setup, measured
 * by making another and its results after a collection).
 */
export async function measureXsEnvelope(devicePath: boolean): Promise<XsEnvelopeFigures> {
  return withXsSession(
    devicePath ? XS_DEVICE_PATH : XS_CASES_ENTRY,
    async (s) => {
      await step(s, "setup", { n: WINDOW.n, odr: WINDOW.odr, seed: 11 });
      let sameValues: boolean | undefined;
      if (devicePath) {
        const computed = await step(s, "featuresEnvelopeValues"); // records 6 spectra: features and envelope, per axis
        await step(s, "replaySpectrum");
        sameValues = JSON.stringify(computed.value) === JSON.stringify((await step(s, "featuresEnvelopeValues")).value);
      }
      await step(s, "featuresEnvelope");
      const both = (await step(s, "featuresEnvelope")).compute;
      // features alone would replay the wrong spectra here: the features-only figure comes from the same bundle, measured before any replay
      const features = devicePath ? (await measureXsDevicePath()).featuresPerWindow : (await step(s, "features"), (await step(s, "features")).compute);
      await step(s, "gc");
      const before = { heapCount: (await step(s, "gc")).heapCount, chunkBytes: await s.chunkBytes() };
      await step(s, "addBearing");
      await step(s, "gc");
      const after = { heapCount: (await step(s, "gc")).heapCount, chunkBytes: await s.chunkBytes() };
      const samples = WINDOW.n * WINDOW.axes;
      return {
        perWindow: both - features,
        perSample: (both - features) / samples,
        withFeaturesPerSample: both / samples,
        slots: after.heapCount - before.heapCount,
        chunkBytes: after.chunkBytes - before.chunkBytes,
        sameValues,
      };
    },
    { meteringLimit: 0, name: "sensor-node-bench-envelope" },
  );
}

/** Heap of the DSP + monitor steady state over `windows` windows of `n` samples per axis. */
export async function measureXsHeap(options: { n?: number; windows?: number } = {}): Promise<XsHeapFigures> {
  const n = options.n ?? WINDOW.n;
  const windows = options.windows ?? 1000;
  return withXsSession(
    XS_CASES_ENTRY,
    async (s) => {
      await step(s, "setup", { n, odr: WINDOW.odr, seed: 11 });
      await step(s, "gc");
      const afterSetup = (await step(s, "gc")).heapCount;
      await step(s, "windows", { count: 5 });
      await step(s, "gc");
      const afterWarmup = (await step(s, "gc")).heapCount;
      const run = await step(s, "windows", { count: windows });
      await step(s, "gc");
      const afterAll = (await step(s, "gc")).heapCount;
      return { n, windows, afterSetup, afterWarmup, afterAll, growth: afterAll - afterWarmup, computePerWindow: run.compute / windows };
    },
    { meteringLimit: 0, name: "sensor-node-bench-heap" },
  );
}
