/*
 * XS parity and cost of the full feature set (firmware/dsp/features.ts): aRms,
 * aPeak, crest, kurtosis, vRms, fDom, hfRms, top-5 peaks, 1x/2x/3x orders, on a
 * fixed seeded 4096-sample window. `prepare` allocates; `features` is the
 * steady-state cost of one axis window; `baseline` is a bare loop over the same
 * samples (one read and add per sample) for scale.
 */
import { FeatureExtractor, type AxisFeatures } from "../../firmware/dsp/features.js";
import { serveCases, type CaseTable } from "../../tools/xs/cases/runtime.js";
import { mulberry32 as rng } from "../../sim/rng.js";


/** Running speed 1782 rpm (29.7 Hz) with 2x, a 157 Hz tone, a 1500 Hz tone, impacts every 256 samples, noise, +1 g. */
function signal(n: number, odr: number, seed: number): Float32Array {
  const r = rng(seed);
  const s = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const t = i / odr;
    s[i] = 1 + 0.046 * Math.sin(2 * Math.PI * 29.7 * t) + 0.012 * Math.sin(2 * Math.PI * 59.4 * t + 0.3) + 0.02 * Math.sin(2 * Math.PI * 157 * t) + 0.03 * Math.sin(2 * Math.PI * 1500 * t) + (i % 256 === 7 ? 0.2 : 0) + 0.01 * (r() - 0.5);
  }
  return s;
}

let state: { samples: Float32Array; fx: FeatureExtractor; out: AxisFeatures } | undefined;

export const cases: CaseTable = {
  prepare(arg: { n: number; odr: number; seed: number; rpm: number; hfBandHz?: [number, number] }): unknown {
    const fx = new FeatureExtractor({ n: arg.n, odr: arg.odr, rpm: arg.rpm, hfBandHz: arg.hfBandHz });
    state = { samples: signal(arg.n, arg.odr, arg.seed), fx, out: fx.createAxisFeatures() };
    return { kLo: fx.kLo, kHi: fx.kHi, hfLo: fx.hfLo, hfHi: fx.hfHi };
  },
  features(): unknown {
    if (!state) throw new Error("prepare first");
    state.fx.compute(state.samples, state.out);
    return state.out;
  },
  /** compute() only (no JSON of the result): the cost figure. */
  computeOnly(): unknown {
    if (!state) throw new Error("prepare first");
    state.fx.compute(state.samples, state.out);
    return null;
  },
  baseline(): unknown {
    if (!state) throw new Error("prepare first");
    const s = state.samples;
    let sum = 0;
    for (let i = 0; i < s.length; i++) sum += s[i];
    return null;
  },
  spectrum(): unknown {
    if (!state) throw new Error("prepare first");
    const dest = new Float32Array((state.fx.n >> 1) + 1);
    state.fx.amplitudeSpectrum(dest);
    return Array.from(dest.subarray(30, 45));
  },
};

serveCases(cases);
