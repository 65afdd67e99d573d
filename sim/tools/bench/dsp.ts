/*
 * DSP per window (4096 samples x 3 axes at 3200 Hz, the node's default):
 *  - Node: wall time of the full feature set per window, vs a bare loop over the
 *    same samples in Node (baseline);
 *  - XS: computrons per window and per sample per axis for the full feature set
 *    (FFT, vRms, fDom, hfRms, 5 peaks, 1x/2x/3x order bands, moments) vs a bare
 *    loop over the same samples in XS (baseline); FFT 1024/2048/4096.
 */
import { FeatureExtractor } from "../../../firmware/dsp/features.js";
import { goal, median, WINDOW, type BenchModule, type Figure } from "./types.js";

function bareLoop(axes: Float32Array[]): number {
  let sum = 0;
  for (let a = 0; a < 3; a++) {
    const x = axes[a];
    for (let i = 0; i < x.length; i++) sum += x[i];
  }
  return sum;
}

function nodeWindowMs(rounds: number): { features: number; bare: number } {
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
  return { features: median(f), bare: median(b) };
}

export const dspBench: BenchModule = {
  name: "dsp",
  title: "DSP per window (4096 x 3 axes @ 3200 Hz)",
  quick: true,
  async run(ctx) {
    const node = nodeWindowMs(ctx.quick ? 5 : 20);
    const { xs } = await ctx.xs();
    const samples = WINDOW.n * WINDOW.axes;
    const figures: Figure[] = [
      {
        id: "dsp.node.windowMs",
        name: "features per window, Node (wall)",
        value: node.features,
        unit: "ms",
        baseline: { name: "bare loop, Node", value: node.bare },
        ratio: node.features / node.bare,
        kind: "wall",
      },
      {
        id: "dsp.xs.featuresPerWindow",
        name: "features per window, XS",
        value: xs.featuresPerWindow,
        unit: "computrons",
        baseline: { name: "bare loop, XS", value: xs.bareLoopPerWindow },
        ratio: xs.featuresPerWindow / xs.bareLoopPerWindow,
        kind: "deterministic",
      },
      {
        id: "dsp.xs.featuresPerSample",
        name: "features per sample per axis, XS",
        value: xs.featuresPerSample,
        unit: "computrons",
        baseline: { name: "bare loop, XS", value: xs.bareLoopPerSample },
        ratio: xs.featuresPerSample / xs.bareLoopPerSample,
        goal: goal("value", "<=", 150),
        kind: "deterministic",
      },
      {
        id: "dsp.xs.featuresCorePerSample",
        name: "published set per sample per axis, XS (no peaks/orders)",
        value: xs.featuresCorePerWindow / samples,
        unit: "computrons",
        baseline: { name: "bare loop, XS", value: xs.bareLoopPerSample },
        ratio: xs.featuresCorePerWindow / samples / xs.bareLoopPerSample,
        goal: goal("value", "<=", 150),
        kind: "deterministic",
      },
    ];
    for (const n of [1024, 2048, 4096]) {
      figures.push({
        id: `dsp.xs.realFft${n}`,
        name: `real FFT ${n}, XS`,
        value: xs.realFft[n],
        unit: "computrons",
        baseline: { name: `complex FFT ${n}`, value: xs.fft[n] },
        ratio: xs.realFft[n] / xs.fft[n],
        kind: "deterministic",
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
      });
    }
    return figures;
  },
};
