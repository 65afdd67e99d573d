import test from "ava";
import { FFT, RealFFT } from "../firmware/dsp/fft.js";
import { FeatureExtractor, G_MM_S2, type AxisFeatures } from "../firmware/dsp/features.js";
import { Rng } from "../sim/rng.js";

function naiveDft(re: Float64Array, im: Float64Array): [Float64Array, Float64Array] {
  const n = re.length;
  const Xr = new Float64Array(n);
  const Xi = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    let sr = 0;
    let si = 0;
    for (let j = 0; j < n; j++) {
      const a = (-2 * Math.PI * ((j * k) % n)) / n;
      const c = Math.cos(a);
      const s = Math.sin(a);
      sr += re[j] * c - im[j] * s;
      si += re[j] * s + im[j] * c;
    }
    Xr[k] = sr;
    Xi[k] = si;
  }
  return [Xr, Xi];
}

function maxRelError(ar: ArrayLike<number>, ai: ArrayLike<number>, br: ArrayLike<number>, bi: ArrayLike<number>, count: number): number {
  let err = 0;
  let scale = 0;
  for (let k = 0; k < count; k++) {
    err = Math.max(err, Math.hypot(ar[k] - br[k], ai[k] - bi[k]));
    scale = Math.max(scale, Math.hypot(br[k], bi[k]));
  }
  return err / scale;
}

test("complex FFT matches a naive DFT on random input (1e-9 relative) and inverts", (t) => {
  const rng = new Rng(11);
  for (const n of [1, 2, 4, 8, 64, 512, 2048]) {
    const re = Float64Array.from({ length: n }, () => rng.gaussian());
    const im = Float64Array.from({ length: n }, () => rng.gaussian());
    const [Xr, Xi] = naiveDft(re, im);
    const fr = re.slice();
    const fi = im.slice();
    const fft = new FFT(n);
    fft.forward(fr, fi);
    const e = maxRelError(fr, fi, Xr, Xi, n);
    t.true(e < 1e-9, `n=${n}: ${e}`);
    fft.inverse(fr, fi);
    t.true(maxRelError(fr, fi, re, im, n) < 1e-12, `n=${n}: round trip`);
  }
  t.throws(() => new FFT(12), { message: /power of two/ });
});

test("real FFT matches a naive DFT on random input (bins 0..n/2, 1e-9 relative)", (t) => {
  const rng = new Rng(12);
  for (const n of [2, 4, 16, 256, 4096]) {
    const x = Float64Array.from({ length: n }, () => rng.gaussian());
    const [Xr, Xi] = naiveDft(x, new Float64Array(n));
    const re = new Float64Array(n / 2 + 1);
    const im = new Float64Array(n / 2 + 1);
    const copy = x.slice();
    new RealFFT(n).forward(x, re, im);
    const e = maxRelError(re, im, Xr, Xi, n / 2 + 1);
    t.true(e < 1e-9, `n=${n}: ${e}`);
    t.deepEqual(x, copy, "input untouched");
  }
  // Float32Array input works too
  const f = Float32Array.from({ length: 64 }, (_, i) => Math.sin(i));
  const re = new Float64Array(33);
  const im = new Float64Array(33);
  new RealFFT(64).forward(f, re, im);
  const [Xr, Xi] = naiveDft(Float64Array.from(f), new Float64Array(64));
  t.true(maxRelError(re, im, Xr, Xi, 33) < 1e-9);
});

const ODR = 3200;
const N = 4096;
const BIN = ODR / N; // 0.78125 Hz

/** Peak acceleration (g) of a tone with velocity RMS v (mm/s) at f Hz. */
const peakG = (v: number, f: number) => (v * Math.SQRT2 * 2 * Math.PI * f) / G_MM_S2;

function tone(parts: { f: number; v: number; phase?: number }[], dc = 0): Float32Array {
  const x = new Float32Array(N);
  for (let i = 0; i < N; i++) {
    let a = dc;
    for (const p of parts) a += peakG(p.v, p.f) * Math.sin((2 * Math.PI * p.f * i) / ODR + (p.phase ?? 0));
    x[i] = a;
  }
  return x;
}

const empty = (): AxisFeatures => ({ aRms: 0, aPeak: 0, vRms: 0, fDom: 0 });

test("features of single tones: vRms within 1%, aRms within 1%, aPeak, fDom within a tenth of a bin", (t) => {
  const fx = new FeatureExtractor({ n: N, odr: ODR, bandHz: [10, 1000] });
  const out = empty();
  const report: string[] = [];
  for (const f of [12.3, 29.7, 100, 157.1, 500, 900, 990.4]) {
    for (const phase of [0, 1.1]) {
      fx.compute(tone([{ f, v: 4, phase }], 1), out);
      const A = peakG(4, f);
      const ev = out.vRms / 4 - 1;
      const ea = out.aRms / (A / Math.SQRT2) - 1;
      t.true(Math.abs(ev) < 0.01, `${f} Hz vRms ${out.vRms}`);
      t.true(Math.abs(ea) < 0.01, `${f} Hz aRms ${out.aRms}`);
      // a partial cycle leaves a small mean, so |a - mean| may exceed A by that much
      t.true(Math.abs(out.aPeak / A - 1) < 0.02, `${f} Hz aPeak ${out.aPeak} vs ${A}`);
      t.true(Math.abs(out.fDom - f) < 0.1 * BIN, `${f} Hz fDom ${out.fDom}`);
      if (phase === 0) report.push(`${f} Hz: vRms ${(ev * 100).toFixed(3)}% aRms ${(ea * 100).toFixed(3)}% fDom ${(out.fDom - f).toFixed(4)} Hz`);
    }
  }
  t.log(report.join("\n"));
});

test("vRms sums tones in quadrature over the band and ignores what lies outside it", (t) => {
  const fx = new FeatureExtractor({ n: N, odr: ODR, bandHz: [10, 1000] });
  const out = empty();
  fx.compute(tone([{ f: 29.7, v: 3 }, { f: 240.2, v: 4 }], -0.3), out);
  t.true(Math.abs(out.vRms - 5) < 0.05, `3-4-5: ${out.vRms}`);
  t.true(Math.abs(out.fDom - 240.2) < BIN, "the largest acceleration peak, not the largest velocity");
  fx.compute(tone([{ f: 29.7, v: 4 }, { f: 3, v: 10 }, { f: 1300, v: 10 }]), out);
  t.true(Math.abs(out.vRms - 4) < 0.04, `out-of-band tones excluded: ${out.vRms}`);
  fx.compute(new Float32Array(N).fill(1), out);
  t.deepEqual(out, { aRms: 0, aPeak: 0, vRms: 0, fDom: 0 }, "a constant (gravity) has no features");
});

test("white noise: vRms matches the analytic band integral of a flat spectrum", (t) => {
  // one-sided density S = 2 sigma^2 / odr (g^2/Hz); v^2 = S G^2 / (2 pi)^2 * (1/f1 - 1/f2)
  const fx = new FeatureExtractor({ n: N, odr: ODR, bandHz: [10, 1000] });
  const out = empty();
  const rng = new Rng(5);
  const sigma = 0.05;
  let sum = 0;
  const trials = 40;
  const x = new Float32Array(N);
  for (let k = 0; k < trials; k++) {
    for (let i = 0; i < N; i++) x[i] = sigma * rng.gaussian();
    fx.compute(x, out);
    sum += out.vRms * out.vRms;
  }
  const S = (2 * sigma * sigma) / ODR;
  const f1 = fx.kLo * BIN;
  const f2 = fx.kHi * BIN;
  const expected = Math.sqrt((S * G_MM_S2 * G_MM_S2 * (1 / f1 - 1 / f2)) / (4 * Math.PI * Math.PI));
  const got = Math.sqrt(sum / trials);
  t.true(Math.abs(got / expected - 1) < 0.05, `noise vRms ${got} vs ${expected}`);
});
