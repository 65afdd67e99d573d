/*
 * DSP per window (4096 samples x 3 axes at 3200 Hz, the node's default):
 *  - Node: wall time of the full feature set per window, vs a bare loop over the
 *    same samples in Node (baseline);
 *  - XS: computrons per window and per sample per axis for the full feature set
 *    (FFT, vRms, fDom, hfRms, 5 peaks, 1x/2x/3x order bands, moments) vs a bare
 *    loop over the same samples in XS (baseline); FFT 1024/2048/4096;
 *  - the device path (Moddable builds run the C spectrum kernel and, for the
 *    envelope, the C envelope pass), in separate rows: the XS part with the C
 *    calls replayed at ~0 XS cost (xs-measure.ts, measureXsDevicePath), the C
 *    code's time on this machine (compiled with cc, tools/bench/native-spectrum.ts)
 *    vs the TS code in Node, and ESP32 estimates: the XS part at the assumed XS
 *    rate (esp32.ts), the C code from ESP-DSP's published cycle counts (below),
 *    and their sum.
 */
import { FeatureExtractor } from "../../firmware/dsp/features.js";
import { PowerSpectrum } from "../../firmware/dsp/spectrum.js";
import { Demodulator, type DemodulationFilter } from "../../firmware/dsp/demodulate.js";
import { bandPassFilter, DEFAULT_BAND } from "../../firmware/dsp/envelope.js";
import { FirstPass } from "../../firmware/dsp/fft-first-pass.js";
import { timeNative, timeNativeEnvelope } from "./native-spectrum.js";
import { mulberry32 } from "../../sim/rng.js";
import { ESP32_COMPUTRONS_PER_S, ESP32_ESTIMATE, ESP32_PESSIMISTIC_COMPUTRONS_PER_S, esp32Ms, rateText } from "./esp32.js";
import type { XsChildResult } from "./xs-measure.js";
import { XS_SLOT_BYTES_ESP32 } from "./xs-node.js";
import { GOALS } from "./goals.js";
import { roundsText, spreadOf, summarize } from "./rounds.js";
import { goal, median, WINDOW, type BenchModule, type Figure } from "./types.js";

/** The feature extractor's first pass does the first three FFT stages; the kernel the rest (h = 8). */
const KERNEL_BLOCK = 8;
/**
 * ESP32 estimate of the C kernel. ESP-DSP publishes dsps_fft2r_fc32 (radix-2,
 * float32, like ours) on the ESP32: 64 complex points in 7093 cycles for the ANSI C
 * build at -O2 (docs.espressif.com/projects/esp-dsp, "Benchmarks"), i.e. 7093 / (32 x 6)
 * cycles per butterfly. Our kernel does (n/4) log2(n / 2h) butterflies plus n/4 split
 * iterations, each counted as two butterflies (about twice the loads, stores and flops).
 */
const ESP_DSP_FFT64_ANSI_CYCLES = 7093;
const ESP32_CYCLES_PER_BUTTERFLY = ESP_DSP_FFT64_ANSI_CYCLES / (32 * 6);
const SPLIT_ITERATION_BUTTERFLIES = 2;
const ESP32_HZ = 240e6;
/** The kernel's estimate as every row that uses it names it. */
const KERNEL_ESTIMATE = "ESP32 estimate from ESP-DSP's published cycles (ANSI C radix-2 FFT, 240 MHz; not measured)";
/**
 * ESP32 estimate of the C envelope pass (firmware/dsp/native/demodulate_kernel.c).
 * ESP-DSP publishes dsps_biquad_f32 (float32) on the ESP32: 1024 samples in 24613
 * cycles for the ANSI C build at -O2 (espressif/esp-dsp, docs/en/esp-dsp-benchmarks.rst).
 * The pass runs one biquad per sample and, per two samples, a magnitude, a square root
 * (a libm call: the ESP32's FPU has no square-root instruction), the window, two sums, a
 * comparison and a store: counted as PASS_BIQUADS biquads per sample in all, a
 * deliberately high count (the pass's share stays about one computron per sample).
 */
const ESP_DSP_BIQUAD1024_ANSI_CYCLES = 24613;
const PASS_BIQUADS = 4;
const ESP32_PASS_CYCLES_PER_SAMPLE = (ESP_DSP_BIQUAD1024_ANSI_CYCLES / 1024) * PASS_BIQUADS;

/** Issue #9: the full feature set in at most 150 XS computrons per sample per axis. */
const PER_SAMPLE_GOAL = goal("value", "<=", GOALS.featuresPerAxisSample, `<= ${GOALS.featuresPerAxisSample} computrons`);
/** Issue 19: the envelope transform from the first stage on (the demodulated envelope is placed without butterflies). */
const ENVELOPE_KERNEL_BLOCK = 1;
/** Issue 19: the RAM the bearing diagnostics add. */
const ENVELOPE_RAM_GOAL = goal("value", "<=", GOALS.envelopeRamBytes, `<= ${GOALS.envelopeRamBytes / 1024} KiB`);

/** A deterministic XS figure (computrons) against a baseline measured in the same run. */
function xsFigure(id: string, name: string, value: number, baseline: { name: string; value: number }, target?: Figure["goal"], budget?: string): Figure {
  return { id, name, value, unit: "computrons", baseline, ratio: value / baseline.value, goal: target, kind: "deterministic", budgets: budget ? { [budget]: value } : undefined };
}

/** An ESP32 time estimate (ms) against a baseline. */
function estimateFigure(id: string, name: string, value: number, baseline: { name: string; value: number }, note?: string): Figure {
  return { id, name, value, unit: "ms", baseline, ratio: value / baseline.value, kind: "estimate", note };
}

/**
 * Features and bearing diagnostics per sample per axis on the device path in the
 * goal's terms: their XS part plus the ESP32 estimate of their C code (both spectrum
 * kernel runs and the envelope pass) as computrons at the assumed rate
 * (test/budgets.test.ts checks the same budget).
 */
export function withKernelShare(xsPerSample: number): number {
  const nativeMs = esp32KernelMs(WINDOW.n) + esp32EnvelopeNativeMs(WINDOW.n);
  return xsPerSample + (nativeMs / 1000) * (ESP32_COMPUTRONS_PER_S / WINDOW.n);
}

/** The envelope's C code per axis on the ESP32 (estimate): the pass over the n samples, then the kernel from the first stage. */
function esp32EnvelopeNativeMs(n: number): number {
  return ((n * ESP32_PASS_CYCLES_PER_SAMPLE) / ESP32_HZ) * 1000 + esp32KernelMs(n, ENVELOPE_KERNEL_BLOCK);
}

/** The C kernel's ESP32 estimate for one call on n samples whose first log2(block) stages are done (the features: 8; the envelope: 1). */
function esp32KernelMs(n: number, block = KERNEL_BLOCK): number {
  const m = n / 2;
  const butterflies = (m / 2) * Math.log2(m / block) + (m / 2) * SPLIT_ITERATION_BUTTERFLIES;
  return ((butterflies * ESP32_CYCLES_PER_BUTTERFLY) / ESP32_HZ) * 1000;
}

/** One axis's packed input after the first pass (any data: the kernel's cost does not depend on it). */
function packedInput(n: number): { re: Float32Array; im: Float32Array } {
  const r = mulberry32(7);
  const m = n / 2;
  return { re: Float32Array.from({ length: m }, () => r() - 0.5), im: Float32Array.from({ length: m }, () => r() - 0.5) };
}

/** A window for the envelope pass's timing: 2-byte counts as the ADXL345's acquirer stores them, and the default band's constants at the bench's ODR. */
function envelopeInput(n: number): { samples: Uint16Array; filter: DemodulationFilter; first: FirstPass } {
  const r = mulberry32(9);
  const samples = Uint16Array.from({ length: n }, (_, i) => 32768 + 256 + Math.round(40 * Math.sin(i * 1.6) + 20 * (r() - 0.5)));
  const nyquist = WINDOW.odr / 2;
  return { samples, filter: bandPassFilter(DEFAULT_BAND[0] * nyquist, DEFAULT_BAND[1] * nyquist, WINDOW.odr), first: new FirstPass(n) };
}

/** The portable envelope pass in Node on the same window: a timer of `reps` calls, ns per call. */
function tsEnvelope(input: ReturnType<typeof envelopeInput>): () => void {
  const n = input.samples.length;
  const d = new Demodulator(n, { kernel: new PowerSpectrum(n), halfWindow: input.first.halfWindow, base: input.first.base }, input.filter);
  return () => d.run(input.samples);
}

/** The portable kernel in Node on the same input, input copy included (as the harness's figure). */
function tsKernel(n: number, input: { re: Float32Array; im: Float32Array }): () => void {
  const k = new PowerSpectrum(n);
  return () => {
    k.packedRe.set(input.re);
    k.packedIm.set(input.im);
    k.powerX4(KERNEL_BLOCK);
  };
}

/** ns per call of `run` over `reps` calls. */
function nsPerCall(run: () => void, reps: number): number {
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) run();
  return ((performance.now() - t0) * 1e6) / reps;
}

/**
 * The C code (its harness, one process per round) against the TS code in Node,
 * interleaved round by round (order swapped every round, so drift hits both alike),
 * after a JIT warm-up of the TS side: ns per call of each side per round.
 */
function nativeVsTs(native: (reps: number) => number, ts: () => void, reps: number, rounds: number): { c: number[]; ts: number[] } {
  for (let i = 0; i < reps; i++) ts(); // JIT warm-up
  const c: number[] = [];
  const t: number[] = [];
  for (let r = 0; r < rounds; r++) {
    if (r % 2 === 0) {
      c.push(native(reps));
      t.push(nsPerCall(ts, reps));
    } else {
      t.push(nsPerCall(ts, reps));
      c.push(native(reps));
    }
  }
  return { c, ts: t };
}

/** A wall figure of C against TS from nativeVsTs's rounds. */
function nativeFigure(id: string, name: string, r: { c: number[]; ts: number[] }, baselineName: string): Figure {
  const { value, spread } = summarize(r.c);
  const ratios = r.c.map((c, i) => c / r.ts[i]);
  return {
    id,
    name,
    value,
    unit: "ns",
    baseline: { name: baselineName, value: median(r.ts) },
    ratio: median(ratios),
    ratioSpread: spreadOf(ratios).range,
    spread,
    kind: "wall",
    note: `${roundsText(spread)} (each the best of the C harness's own repeats), interleaved with the TS code's`,
  };
}

function bareLoop(axes: Float32Array[]): number {
  let sum = 0;
  for (let a = 0; a < 3; a++) {
    const x = axes[a];
    for (let i = 0; i < x.length; i++) sum += x[i];
  }
  return sum;
}

function nodeWindowMs(rounds: number): { features: number[]; bare: number[] } {
  const { n, odr } = WINDOW;
  const fx = new FeatureExtractor({ n, odr, rpm: 1782 });
  const out = [0, 1, 2].map(() => fx.createAxisFeatures({ peaks: 5 }));
  const axes = [0, 1, 2].map((a) => {
    const s = new Float32Array(n);
    for (let i = 0; i < n; i++) s[i] = (a === 2 ? 1 : 0) + 0.046 * Math.sin((2 * Math.PI * 29.7 * i) / odr + a) + 0.01 * Math.sin(i * 0.7);
    return s;
  });
  for (let w = 0; w < 20; w++) for (let a = 0; a < 3; a++) fx.compute(axes[a], out[a]); // JIT warm-up
  for (let w = 0; w < 200; w++) bareLoop(axes);
  const f: number[] = [];
  const b: number[] = [];
  let sink = 0;
  for (let r = 0; r < rounds; r++) {
    let t0 = performance.now();
    for (let w = 0; w < 10; w++) for (let a = 0; a < 3; a++) fx.compute(axes[a], out[a]);
    f.push((performance.now() - t0) / 10);
    t0 = performance.now();
    for (let w = 0; w < 10; w++) sink += bareLoop(axes);
    b.push((performance.now() - t0) / 10);
  }
  if (sink === 1e300) console.log(sink);
  return { features: f, bare: b };
}

/**
 * Issue 19's figures: the bearing diagnostics' XS cost on both paths, features and
 * envelope together on the device path with their C code's estimated share (its ESP32
 * ms as computrons at the assumed rate), its ESP32 time, and the RAM it adds.
 */
function envelopeFigures(e: XsChildResult["envelope"], portableFeatures: number, deviceFeatures: number, featuresKernelMs: number, envelopeNativeMs: number): Figure[] {
  const samples = WINDOW.n;
  const combined = withKernelShare(e.devicePath.withFeaturesPerSample);
  const ram = e.portable.slots * XS_SLOT_BYTES_ESP32 + e.portable.chunkBytes;
  return [
    xsFigure("dsp.xs.envelopePerSample", "bearing diagnostics (envelope, speed, defect bands) per sample per axis, XS, portable path (TS FFT)", e.portable.perSample, { name: "features, portable path", value: portableFeatures }),
    {
      ...xsFigure(
        "dsp.xs.envelopeDevicePathPerSample",
        "bearing diagnostics per sample per axis, XS, device path: the XS part only (the envelope's C pass and C kernel calls replayed)",
        e.devicePath.perSample,
        { name: "features, device path", value: deviceFeatures },
        undefined,
      ),
      budgets: { "xs.envelopeDevicePathPerWindow": e.devicePath.perWindow },
      note: e.devicePath.sameValues ? undefined : "replayed spectra gave different values: the figure is not valid",
    },
    {
      ...xsFigure(
        "dsp.xs.devicePathWithEnvelopePerSample",
        `features and bearing diagnostics per sample per axis, device path, ESP32 estimate: the XS part + their C code (both kernel runs and the envelope pass, from ESP-DSP's published cycles) as computrons at ${rateText(ESP32_COMPUTRONS_PER_S)}`,
        combined,
        { name: "features alone, same terms", value: deviceFeatures + (featuresKernelMs / 1000) * (ESP32_COMPUTRONS_PER_S / samples) },
        PER_SAMPLE_GOAL,
      ),
      // Part measured, part estimated: the row is an estimate (the C share is not measured).
      kind: "estimate",
      budgets: { "xs.devicePathWithEnvelopePerSample": combined },
    },
    estimateFigure(
      "dsp.esp32.envelopeMsPerWindow",
      `bearing diagnostics per window (3 axes), device path, ESP32 estimate: XS part at ${rateText(ESP32_COMPUTRONS_PER_S)} + the envelope's C pass and C kernel`,
      esp32Ms(e.devicePath.perWindow) + envelopeNativeMs * WINDOW.axes,
      { name: "window length", value: (WINDOW.n / WINDOW.odr) * 1000 },
    ),
    // The C part alone: firmware/acquisition/budget.ts keeps it for devices without a CPU model (test/esp32-estimates.test.ts).
    estimateFigure(
      "dsp.esp32.envelopeNativeMsPerWindow",
      `the bearing diagnostics' C code per window (${WINDOW.axes} axes: the envelope pass and the kernel from the first stage), ESP32 estimate from ESP-DSP's published cycles (ANSI C biquad and radix-2 FFT, 240 MHz; not measured)`,
      envelopeNativeMs * WINDOW.axes,
      { name: "window length", value: (WINDOW.n / WINDOW.odr) * 1000 },
    ),
    {
      id: "dsp.envelope.ramBytes",
      name: "RAM the bearing diagnostics add to a node, n = 4096, ESP32 estimate (XS slots x 16 B + chunk bytes; the envelope has no buffer of its own)",
      value: ram,
      unit: "B",
      baseline: { name: "XS slots", value: e.portable.slots },
      goal: ENVELOPE_RAM_GOAL,
      kind: "deterministic",
      budgets: { "xs.envelopeRamBytes": ram },
    },
  ];
}

export const dspBench: BenchModule = {
  name: "dsp",
  title: "DSP per window (4096 x 3 axes @ 3200 Hz)",
  quick: true,
  async run(ctx) {
    const node = nodeWindowMs(ctx.quick ? 5 : 20);
    const { xs, devicePath, envelope } = await ctx.xs();
    const samples = WINDOW.n * WINDOW.axes;
    const input = packedInput(WINDOW.n);
    const reps = ctx.quick ? 100 : 300;
    const rounds = ctx.quick ? 5 : 15;
    const kernel = nativeVsTs((k) => timeNative(WINDOW.n, KERNEL_BLOCK, input.re, input.im, k).nsPerCall, tsKernel(WINDOW.n, input), reps, rounds);
    const pass = envelopeInput(WINDOW.n);
    const envelopePass = nativeVsTs((k) => timeNativeEnvelope(pass.samples, pass.filter, pass.first.halfWindow, k).nsPerCall, tsEnvelope(pass), reps, rounds);
    const features = summarize(node.features);
    const kernelEsp32Ms = esp32KernelMs(WINDOW.n) * WINDOW.axes;
    const xsEsp32Ms = esp32Ms(devicePath.featuresPerWindow);
    const portableEsp32Ms = esp32Ms(xs.featuresPerWindow);
    const windowMs = (WINDOW.n / WINDOW.odr) * 1000;
    const window = { name: "window length", value: windowMs };
    const pessimistic = `at ${rateText(ESP32_PESSIMISTIC_COMPUTRONS_PER_S)} (pessimistic)`;
    const figures: Figure[] = [
      {
        id: "dsp.node.windowMs",
        name: "features per window, Node (wall)",
        value: features.value,
        unit: "ms",
        baseline: { name: "bare loop, Node", value: median(node.bare) },
        ratio: features.value / median(node.bare),
        spread: features.spread,
        kind: "wall",
        note: `${roundsText(features.spread)} of 10 windows, interleaved with the bare loop's`,
      },
      xsFigure("dsp.xs.featuresPerWindow", "features per window, XS, portable path (TS FFT)", xs.featuresPerWindow, { name: "bare loop, XS", value: xs.bareLoopPerWindow }, undefined, "xs.featuresPerWindow"),
      xsFigure("dsp.xs.featuresPerSample", "features per sample per axis, XS, portable path (TS FFT)", xs.featuresPerSample, { name: "bare loop, XS", value: xs.bareLoopPerSample }, PER_SAMPLE_GOAL),
      xsFigure("dsp.xs.featuresCorePerSample", "published set per sample per axis, XS, portable path (no peaks/orders)", xs.featuresCorePerWindow / samples, { name: "bare loop, XS", value: xs.bareLoopPerSample }, PER_SAMPLE_GOAL),
      {
        ...xsFigure(
          "dsp.xs.devicePathPerWindow",
          "features per window, XS, device path: the XS part only (C kernel call replayed at ~0 XS cost; the kernel is not in this figure)",
          devicePath.featuresPerWindow,
          { name: "portable path, XS", value: xs.featuresPerWindow },
          undefined,
          "xs.devicePathPerWindow",
        ),
        note: devicePath.sameFeatures ? undefined : "replayed spectra gave different features: the figure is not valid",
      },
      xsFigure("dsp.xs.devicePathPerSample", "features per sample per axis, XS, device path: the XS part only (C kernel not included)", devicePath.featuresPerSample, { name: "portable path, XS", value: xs.featuresPerSample }, PER_SAMPLE_GOAL),
      nativeFigure("dsp.native.kernelNs", `C spectrum kernel per axis (n = ${WINDOW.n}, after the first pass), this machine, cc -O2`, kernel, "TS kernel, Node (JIT)"),
      nativeFigure("dsp.native.envelopePassNs", `C envelope pass per axis (n = ${WINDOW.n}, 2-byte counts), this machine, cc -O2`, envelopePass, "TS pass, Node (JIT)"),
      estimateFigure("dsp.esp32.devicePathXsMsPerWindow", `features per window, device path, XS part, ${ESP32_ESTIMATE}`, xsEsp32Ms, window, `${esp32Ms(devicePath.featuresPerWindow, ESP32_PESSIMISTIC_COMPUTRONS_PER_S).toFixed(0)} ms ${pessimistic}`),
      estimateFigure("dsp.esp32.kernelMsPerWindow", `C spectrum kernel per window (${WINDOW.axes} axes), ${KERNEL_ESTIMATE}`, kernelEsp32Ms, window),
      estimateFigure(
        "dsp.esp32.devicePathMsPerWindow",
        "features per window, device path, ESP32 estimate: the two rows above added",
        xsEsp32Ms + kernelEsp32Ms,
        { name: `portable path, ${ESP32_ESTIMATE}`, value: portableEsp32Ms },
        `portable path ${esp32Ms(xs.featuresPerWindow, ESP32_PESSIMISTIC_COMPUTRONS_PER_S).toFixed(0)} ms ${pessimistic}`,
      ),
    ];
    figures.push(...envelopeFigures(envelope, xs.featuresPerSample, devicePath.featuresPerSample, esp32KernelMs(WINDOW.n), esp32EnvelopeNativeMs(WINDOW.n)));
    for (const n of [1024, 2048, 4096]) {
      figures.push({
        id: `dsp.xs.realFft${n}`,
        name: `real FFT ${n}, XS`,
        value: xs.realFft[n],
        unit: "computrons",
        baseline: { name: `complex FFT ${n}`, value: xs.fft[n] },
        ratio: xs.realFft[n] / xs.fft[n],
        kind: "deterministic",
        budgets: n === 4096 ? { "xs.realFft4096": xs.realFft[n] } : undefined,
      });
    }
    for (const n of [1024, 2048, 4096]) {
      const log2 = Math.log2(n);
      figures.push({
        id: `dsp.xs.fft${n}`,
        name: `complex FFT ${n}, XS`,
        value: xs.fft[n],
        unit: "computrons",
        baseline: { name: "n log2 n", value: n * log2 },
        ratio: xs.fft[n] / (n * log2),
        kind: "deterministic",
        budgets: n === 4096 ? { "xs.fft4096": xs.fft[n] } : undefined,
      });
    }
    return figures;
  },
};
