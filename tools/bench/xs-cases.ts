/*
 * XS side of the benchmarks (tools/bench/xs-measure.ts runs it in xsnap).
 * Plain ECMAScript: bundled with the firmware modules into one script. `setup`
 * allocates everything (as the node does at boot); the measured cases then do
 * only the work of one window, so their computrons are the steady-state cost.
 */
import { FFT, RealFFT } from "../../firmware/dsp/fft.js";
import { FeatureExtractor, type AxisFeatures } from "../../firmware/dsp/features.js";
import { BearingAnalysis } from "../../firmware/dsp/bearing-analysis.js";
import { EnvelopeSpectrum, type EnvelopeFeatures } from "../../firmware/dsp/envelope.js";
import { BEARINGS, defectOrders } from "../../firmware/dsp/bearing-geometry.js";
import { Monitor } from "../../firmware/monitor/monitor.js";
import { isKnownMetric } from "../../firmware/monitor/metrics.js";
import { serveCases, type CaseTable } from "../xs/cases/runtime.js";
import { spectrumReplay } from "./replay-spectrum.js";
import { mulberry32 as rng } from "../../sim/rng.js";


/** A motor-like window: 1x and 2x running speed, a bearing tone, noise, gravity on z. */
function fill(s: Float32Array, odr: number, axis: number, seed: number): void {
  const r = rng(seed + axis);
  const g = axis === 2 ? 1 : 0;
  for (let i = 0; i < s.length; i++) {
    const t = i / odr;
    s[i] = g + 0.046 * Math.sin(2 * Math.PI * 29.7 * t + axis) + 0.012 * Math.sin(2 * Math.PI * 59.4 * t + 0.3) + 0.02 * Math.sin(2 * Math.PI * 157 * t) + 0.01 * (r() - 0.5);
  }
}

interface State {
  n: number;
  odr: number;
  axes: Float32Array[];
  fx: FeatureExtractor;
  out: AxisFeatures[];
  /** Bearing diagnostics on fx (a 6205 at 1782 rpm, configured): the node's with machine.bearing set. */
  bearing: BearingAnalysis;
  env: EnvelopeFeatures[];
  /** What addBearing made, held so that it stays in the heap. */
  kept?: unknown;
  core: AxisFeatures[];
  monitor: Monitor;
  read: (metric: string) => number | undefined;
  level: number;
  t: number;
  ffts: Map<number, { fft: FFT; re: Float64Array; im: Float64Array; src: Float64Array }>;
  realFfts: Map<number, { fft: RealFFT; input: Float64Array; re: Float64Array; im: Float64Array }>;
  sink: number;
}

let st: State | undefined;

function state(): State {
  if (!st) throw new Error("setup first");
  return st;
}

/** The monitor of a typical installation: ISO zones on three axes plus six explicit rules. */
export const MONITOR_CONFIG = {
  rules: [
    { metric: "x.aRms", warning: 0.5, alarm: 1.0 },
    { metric: "x.kurtosis", warning: 4, alarm: 6, onDelay: 2 },
    { metric: "z.crest", warning: 4, alarm: 6, n: 3, m: 5 },
    { metric: "y.aPeak", warning: 2, alarm: 4, offDelay: 2 },
    { metric: "temp.c", warning: 70, alarm: 85 },
    { metric: "temp.c", kind: "rate", warning: 2, alarm: 5, spanS: 60 },
  ],
  iso: true,
  running: { thresholdMmS: 0.5, graceS: 0 },
  isoOnDelay: 1,
};

export const cases: CaseTable = {
  setup(arg: { n: number; odr: number; seed: number }): unknown {
    const fx = new FeatureExtractor({ n: arg.n, odr: arg.odr, rpm: 1782 });
    const axes = [0, 1, 2].map((a) => {
      const s = new Float32Array(arg.n);
      fill(s, arg.odr, a, arg.seed);
      return s;
    });
    const out = [0, 1, 2].map(() => fx.createAxisFeatures({ peaks: 5 }));
    const s: State = {
      n: arg.n,
      odr: arg.odr,
      axes,
      fx,
      out,
      bearing: new BearingAnalysis(fx, { orders: defectOrders(BEARINGS["6205"]), rpm: 1782 }),
      env: [0, 1, 2].map(() => EnvelopeSpectrum.createFeatures()),
      core: [0, 1, 2].map(() => ({ aRms: 0, aPeak: 0, vRms: 0, fDom: 0 }) as AxisFeatures),
      monitor: new Monitor(MONITOR_CONFIG, isKnownMetric, 0, { group: 1, foundation: "rigid" }),
      level: 2,
      t: 0,
      read: () => undefined,
      ffts: new Map(),
      realFfts: new Map(),
      sink: 0,
    };
    // What the app's #read does: look a metric up by name in this window's features.
    s.read = (metric: string): number | undefined => {
      if (metric === "temp.c") return 40 + (s.t / 60000) * 0.5;
      const i = metric.charCodeAt(0) - 120; // x, y, z
      const f = s.out[i] as unknown as Record<string, number> | undefined;
      if (!f) return undefined;
      const v = metric.endsWith(".vRms") ? s.level : f[metric.slice(2)];
      return typeof v === "number" && Number.isFinite(v) ? v : undefined;
    };
    for (const n of [1024, 2048, 4096]) {
      const src = new Float64Array(n);
      const r = rng(arg.seed + n);
      for (let i = 0; i < n; i++) src[i] = Math.sin((2 * Math.PI * 5 * i) / n) + (r() - 0.5);
      s.ffts.set(n, { fft: new FFT(n), re: new Float64Array(n), im: new Float64Array(n), src });
      s.realFfts.set(n, { fft: new RealFFT(n), input: src, re: new Float64Array(n / 2 + 1), im: new Float64Array(n / 2 + 1) });
    }
    st = s;
    return { n: arg.n, odr: arg.odr, kLo: fx.kLo, kHi: fx.kHi };
  },
  /** Baseline: one pass over the same samples of all three axes, a load and an add per sample. */
  bareLoop(): unknown {
    const s = state();
    let sum = 0;
    for (let a = 0; a < 3; a++) {
      const x = s.axes[a];
      for (let i = 0; i < x.length; i++) sum += x[i];
    }
    s.sink = sum;
    return null;
  },
  /** The full feature set of one window on three axes (FFT, vRms, fDom, hfRms, peaks, orders, moments). */
  features(): unknown {
    const s = state();
    for (let a = 0; a < 3; a++) s.fx.compute(s.axes[a], s.out[a]);
    return null;
  },
  /** The full feature set and the bearing diagnostics (speed, envelope, defect bands) on three axes, as a node with machine.bearing runs them. */
  featuresEnvelope(): unknown {
    const s = state();
    s.bearing.begin();
    for (let a = 0; a < 3; a++) {
      s.fx.compute(s.axes[a], s.out[a]);
      s.bearing.axis(s.axes[a], 1, s.env[a]);
    }
    s.bearing.finish();
    return null;
  },
  /** Another node's worth of bearing diagnostics on the same extractor, kept: what the heap gains is what it costs a node. */
  addBearing(): unknown {
    const s = state();
    s.kept = { bearing: new BearingAnalysis(s.fx, { orders: defectOrders(BEARINGS["6205"]), rpm: 1782 }), env: [0, 1, 2].map(() => EnvelopeSpectrum.createFeatures()) };
    return null;
  },
  /** Same, returning the values (the device path's replay must give the computed ones). */
  featuresEnvelopeValues(): unknown {
    cases.featuresEnvelope(undefined);
    const s = state();
    return { features: s.out.map((o) => ({ aRms: o.aRms, vRms: o.vRms, fDom: o.fDom })), env: s.env.map((e) => ({ ...e })), speed: { ...s.bearing.speed } };
  },
  /** The set the node publishes today (no peaks, no order bands): for the breakdown. */
  featuresCore(): unknown {
    const s = state();
    for (let a = 0; a < 3; a++) s.fx.compute(s.axes[a], s.core[a]);
    return null;
  },
  /** Same, returning the values (to check the XS run did real work). */
  featuresValues(): unknown {
    const s = state();
    for (let a = 0; a < 3; a++) s.fx.compute(s.axes[a], s.out[a]);
    return s.out.map((o) => ({ aRms: o.aRms, vRms: o.vRms, fDom: o.fDom, kurtosis: o.kurtosis }));
  },
  /**
   * From now on the spectrum kernel replays the spectra it recorded (only in the
   * bundle where replay-spectrum.ts stands in for firmware/dsp/spectrum.ts; see
   * xs-measure.ts, measureXsDevicePath).
   */
  replaySpectrum(): unknown {
    spectrumReplay.on = true;
    return null;
  },
  /** Complex FFT of n points (input copied in first: the copy is counted, about 2n stores). */
  fft(arg: { n: number }): unknown {
    const f = state().ffts.get(arg.n)!;
    f.re.set(f.src);
    f.im.fill(0);
    f.fft.forward(f.re, f.im);
    return null;
  },
  /** Real FFT of n samples (the one the feature extractor runs per axis). */
  realFft(arg: { n: number }): unknown {
    const f = state().realFfts.get(arg.n)!;
    f.fft.forward(f.input, f.re, f.im);
    return null;
  },
  /**
   * `count` monitor evaluations of one window each (windows 1.28 s apart). The
   * velocity alternates between zones every `period` windows, so transitions
   * (and the Transition objects they allocate) are part of the average.
   */
  monitor(arg: { count: number; period: number }): unknown {
    const s = state();
    let transitions = 0;
    for (let i = 0; i < arg.count; i++) {
      s.t += 1280;
      s.level = Math.floor(i / arg.period) % 2 === 0 ? 2 : 9;
      transitions += s.monitor.evaluate(s.read, s.t).length;
    }
    return { transitions };
  },
  /** `count` windows of the node's steady state: features on three axes, then the monitor. */
  windows(arg: { count: number }): unknown {
    const s = state();
    let transitions = 0;
    for (let i = 0; i < arg.count; i++) {
      for (let a = 0; a < 3; a++) s.fx.compute(s.axes[a], s.out[a]);
      s.t += 1280;
      s.level = Math.floor(i / 10) % 2 === 0 ? 2 : 9;
      transitions += s.monitor.evaluate(s.read, s.t).length;
    }
    return { transitions };
  },
  /** Forces a full collection so the heap count that follows is live data only. */
  gc(): unknown {
    const g = globalThis as unknown as { gc?: () => void };
    if (typeof g.gc === "function") g.gc();
    return typeof g.gc === "function";
  },
};

serveCases(cases);
