/*
 * The C envelope pass (firmware/dsp/native/demodulate_kernel.c, what Moddable
 * builds run in place of firmware/dsp/demodulate.ts) compiled with the system
 * cc: against the analytic envelope of a tone at the band's centre (RBJ band-pass
 * and Hann window written here from their formulas, bit reversal counted here),
 * and against the portable pass on the same samples, float32 and 2-byte counts.
 * It computes in float32, so values are compared relative to the largest one.
 */
import test from "ava";
import { Demodulator, LARGEST, SUM, SUM_SQUARES, type DemodulationFilter } from "../firmware/dsp/demodulate.js";
import type { Demodulator as NativeDemodulator } from "../firmware/dsp/native/demodulate.js";
import { FirstPass } from "../firmware/dsp/fft-first-pass.js";
import { PowerSpectrum } from "../firmware/dsp/spectrum.js";
import { Rng } from "../sim/rng.js";
import { nativeEnvelope } from "../tools/bench/native-spectrum.js";

/**
 * float32 epsilon is 1.2e-7; a biquad with poles at radius r carries rounding over
 * about 1 / (1 - r) samples (r = 0.86 for the narrow band below, 0.1 for the default),
 * a sum of 2048 values in blocks of 16 about 16 eps: 1e-5 leaves a decade of margin
 * while a misplaced value, a wrong window or a wrong sample is off by its whole size.
 */
const FLOAT32_TOLERANCE = 1e-5;

// The binding's declared shape is the portable pass's (a compile-time check).
const nativeIsADemodulator: (d: NativeDemodulator) => Pick<Demodulator, "n" | "sums" | "run"> = (d) => d;
void nativeIsADemodulator;

/** RBJ cookbook band-pass (constant 0 dB peak gain) over lo..hi Hz: its gain g = alpha / a0 and the pass's constants. */
function bandPass(lo: number, hi: number, odr: number): DemodulationFilter & { g: number; w: number } {
  const w = (2 * Math.PI * Math.sqrt(lo * hi)) / odr;
  const alpha = Math.sin(w) * Math.sinh(((Math.LN2 / 2) * Math.log2(hi / lo) * w) / Math.sin(w));
  const a0 = 1 + alpha;
  return { g: alpha / a0, w, a1: (-2 * Math.cos(w)) / a0, a2: (1 - alpha) / a0, twoCos: 2 * Math.cos(w) };
}

function reverse(j: number, bits: number): number {
  let r = 0;
  for (let b = 0; b < bits; b++) r |= ((j >> b) & 1) << (bits - 1 - b);
  return r;
}

/** The periodic Hann window's first half in float32, as the feature extractor holds it. */
function halfHann(n: number): Float32Array {
  return Float32Array.from({ length: n >> 1 }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n));
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

const ODR = 3200;
const N = 4096;

test("a tone at the band's centre: every envelope value is A sin W / g, times the Hann window, at the bit reversal of its packed point (float32 and 2-byte counts)", (t) => {
  const f = bandPass(0.3 * (ODR / 2), 0.9 * (ODR / 2), ODR);
  const amp = 0.2;
  const tone = (i: number) => amp * Math.cos(f.w * i + 0.4);
  const counts = 8000; // counts per g, on the acquirer's +32768 offset: the tone is 1600 counts
  for (const samples of [Float32Array.from({ length: N }, (_, i) => 1 + tone(i)), Uint16Array.from({ length: N }, (_, i) => 32768 + Math.round(counts * (1 + tone(i))))]) {
    const a = samples instanceof Uint16Array ? amp * counts : amp;
    const { z, sums } = nativeEnvelope(samples, f, halfHann(N));
    const expected = (a * Math.sin(f.w)) / f.g;
    const m = N / 2;
    const bits = Math.log2(m);
    // past the filter's start (its poles are at radius 0.1: a few samples), away from the window's ends
    let worst = 0;
    for (let d = 64; d < N / 2 - 64; d++) {
      const j = d >> 1;
      const at = reverse(j, bits);
      const value = d & 1 ? z[m + at] : z[at];
      const w = 0.5 - 0.5 * Math.cos((2 * Math.PI * 2 * d) / N);
      worst = Math.max(worst, Math.abs(value - w * expected));
    }
    // counts are whole: +-0.5 count is 3e-4 of the tone per sample, a few times that through the filter's noise gain and the magnitude
    const tolerance = samples instanceof Uint16Array ? 2e-3 : 1e-5;
    t.log(`${samples.constructor.name}: within ${(worst / expected).toExponential(1)} of the envelope`);
    t.true(worst / expected < tolerance, `${samples.constructor.name}: worst ${worst / expected} of the envelope`);
    // the odd positions (each value's partner of the first FFT stage) and the second half stay zero
    let stray = 0;
    for (let p = 1; p < m; p += 2) stray = Math.max(stray, Math.abs(z[p]), Math.abs(z[m + p]));
    t.is(stray, 0, "odd positions zero");
    // the sums take every value, the filter's first few samples too (a step from 0 to the tone): 1e-3 of the mean
    t.log(`mean ${(sums[SUM] / (N / 2) / expected - 1).toExponential(1)}, mean square ${(sums[SUM_SQUARES] / (N / 2) / expected ** 2 - 1).toExponential(1)}, largest ${(sums[LARGEST] / expected - 1).toExponential(1)} off`);
    t.true(Math.abs(sums[SUM] / (N / 2) / expected - 1) < 1e-3, `mean ${sums[SUM] / (N / 2)} vs ${expected}`);
    t.true(Math.abs(sums[SUM_SQUARES] / (N / 2) / (expected * expected) - 1) < 2e-3, `mean square ${sums[SUM_SQUARES] / (N / 2)} vs ${expected ** 2}`);
    t.true(Math.abs(sums[LARGEST] / expected - 1) < 2e-3, `largest ${sums[LARGEST]} vs ${expected}`);
  }
});

test("same samples, same kernel input and sums as the portable pass: float32 and 2-byte counts, the default and a narrow band", (t) => {
  const rng = new Rng(53);
  const first = new FirstPass(N);
  const kernel = new PowerSpectrum(N);
  for (const [lo, hi] of [[480, 1440], [800, 900]]) {
    const f = bandPass(lo, hi, ODR);
    const portable = new Demodulator(N, { kernel, halfWindow: first.halfWindow, base: first.base }, f);
    // a machine-like window: gravity, 1x, a ringing resonance with impacts, noise
    const g = Array.from({ length: N }, (_, i) => 1 + 0.05 * Math.sin((2 * Math.PI * 29.7 * i) / ODR) + 0.1 * Math.exp(-((i % 37) / 6)) * Math.sin((2 * Math.PI * 850 * i) / ODR) + 0.01 * rng.gaussian());
    for (const samples of [Float32Array.from(g), Uint16Array.from(g, (v) => 32768 + Math.round(v * 256))]) {
      portable.run(samples);
      const ts = new Float32Array(N);
      ts.set(kernel.packedRe, 0);
      ts.set(kernel.packedIm, N / 2);
      const c = nativeEnvelope(samples, f, first.halfWindow);
      let err = 0;
      for (let i = 0; i < N; i++) err = Math.max(err, Math.abs(c.z[i] - ts[i]));
      const label = `${lo}..${hi} Hz, ${samples.constructor.name}`;
      t.log(`${label}: kernel input within ${(err / maxAbs(ts)).toExponential(1)} of its largest value`);
      t.true(err / maxAbs(ts) < FLOAT32_TOLERANCE, `${label}: kernel input off by ${err / maxAbs(ts)} of its largest value`);
      for (const k of [SUM, SUM_SQUARES, LARGEST]) t.true(Math.abs(c.sums[k] / portable.sums[k] - 1) < FLOAT32_TOLERANCE, `${label}: sum ${k} ${c.sums[k]} vs ${portable.sums[k]}`);
    }
  }
});
