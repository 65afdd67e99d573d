/*
 * XS parity cases for firmware/dsp: FFT and vibration features of a fixed seeded
 * signal. `prepare` builds the inputs and the extractor (allocation), so the cost of
 * `features` is the steady-state cost of one window as on the device.
 */
import { FFT } from "../../firmware/dsp/fft.js";
import { FeatureExtractor, type AxisFeatures } from "../../firmware/dsp/features.js";
import { serveCases, type CaseTable } from "../../tools/xs/cases/runtime.js";
import { mulberry32 as rng } from "../../sim/rng.js";


/** 29.7 Hz at 0.046 g peak, its 2x harmonic, a 157 Hz bearing-ish tone, uniform noise, +1 g offset. */
function signal(n: number, odr: number, seed: number): Float32Array {
  const r = rng(seed);
  const s = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const t = i / odr;
    s[i] = 1 + 0.046 * Math.sin(2 * Math.PI * 29.7 * t) + 0.012 * Math.sin(2 * Math.PI * 59.4 * t + 0.3) + 0.02 * Math.sin(2 * Math.PI * 157 * t) + 0.01 * (r() - 0.5);
  }
  return s;
}

let state: { samples: Float32Array; fx: FeatureExtractor; out: AxisFeatures } | undefined;

export const cases: CaseTable = {
  fft(arg: { n: number; seed: number }): unknown {
    const r = rng(arg.seed);
    const re = new Float64Array(arg.n);
    const im = new Float64Array(arg.n);
    for (let i = 0; i < arg.n; i++) re[i] = Math.sin((2 * Math.PI * 5 * i) / arg.n) + (r() - 0.5);
    new FFT(arg.n).forward(re, im);
    return { re, im };
  },
  prepare(arg: { n: number; odr: number; seed: number }): unknown {
    state = { samples: signal(arg.n, arg.odr, arg.seed), fx: new FeatureExtractor({ n: arg.n, odr: arg.odr }), out: { aRms: 0, aPeak: 0, vRms: 0, fDom: 0 } };
    return { kLo: state.fx.kLo, kHi: state.fx.kHi };
  },
  features(): unknown {
    if (!state) throw new Error("prepare first");
    state.fx.compute(state.samples, state.out);
    return { ...state.out };
  },
};

serveCases(cases);
