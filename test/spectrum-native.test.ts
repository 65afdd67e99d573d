/*
 * The C spectrum kernel (firmware/dsp/native/spectrum_kernel.c, what Moddable
 * builds run in place of firmware/dsp/spectrum.ts) compiled with the system cc:
 * against analytic spectra (tones on and between bins, DC, Nyquist, Parseval)
 * and against the TS kernel on the same float32 input. It computes in float32,
 * so errors are measured relative to the largest bin (the spectrum's scale).
 */
import test from "ava";
import { bitReversal } from "../firmware/dsp/bitrev.js";
import { PowerSpectrum, type SpectrumKernel } from "../firmware/dsp/spectrum.js";
import type { PowerSpectrum as NativePowerSpectrum } from "../firmware/dsp/native/spectrum.js";
import { Rng } from "../sim/rng.js";
import { nativePlanBytes, nativePowerX4, packBitReversed } from "../tools/bench/native-spectrum.js";

/** The plan's header: n and n/2 as uint32. */
const PLAN_HEADER_BYTES = 8;
const FLOAT32_BYTES = 4;

/** float32 epsilon is 1.2e-7; an n log n transform of 4096 points stays well inside this (relative to the largest bin). */
const FLOAT32_TOLERANCE = 1e-5;

// The binding's declared shape is the portable kernel's interface (a compile-time check).
const nativeIsAKernel: (k: NativePowerSpectrum) => SpectrumKernel = (k) => k;
void nativeIsAKernel;

function maxOf(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/** max_k |a[k] - b[k]| / max_k |b[k]|. */
function relativeToPeak(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let err = 0;
  for (let k = 0; k < b.length; k++) err = Math.max(err, Math.abs(a[k] - b[k]));
  return err / maxOf(b);
}

/** The C kernel on n real samples (natural order). */
function nativePower(x: ArrayLike<number>): Float32Array {
  const n = x.length;
  const { re, im } = packBitReversed(x, bitReversal(n >> 1));
  return nativePowerX4(n, 1, re, im);
}

/** 4 |X[k]|^2 of A cos(2 pi f j / n + phi), j < n, for any real f (in bins), summed in closed form in float64. */
function tonePowerX4(n: number, amp: number, f: number, phi: number, k: number): number {
  // X[k] = A/2 (e^(i phi) D(f - k) + e^(-i phi) D(-f - k)), D(d) = sum_j e^(2 pi i d j / n)
  const geometric = (d: number): [number, number] => {
    if (Math.abs(d - Math.round(d / n) * n) < 1e-12) return [n, 0];
    const a = 2 * Math.PI * d;
    const b = a / n;
    // (1 - e^(i a)) / (1 - e^(i b))
    const nr = 1 - Math.cos(a), ni = -Math.sin(a), dr = 1 - Math.cos(b), di = -Math.sin(b);
    const q = dr * dr + di * di;
    return [(nr * dr + ni * di) / q, (ni * dr - nr * di) / q];
  };
  const [pr, pi] = geometric(f - k);
  const [mr, mi] = geometric(-f - k);
  const c = Math.cos(phi), s = Math.sin(phi);
  const xr = (amp / 2) * (c * pr - s * pi + c * mr + s * mi);
  const xi = (amp / 2) * (c * pi + s * pr + c * mi - s * mr);
  return 4 * (xr * xr + xi * xi);
}

test("the plan is one quarter-wave float table (n + 12 bytes: 4 KiB at n = 4096); unsupported sizes get none", (t) => {
  for (const n of [2, 4, 256, 4096]) t.is(nativePlanBytes(n), PLAN_HEADER_BYTES + FLOAT32_BYTES * ((n >> 2) + 1), `n=${n}`);
  for (const n of [1, 12, 2 * 65536]) t.is(nativePlanBytes(n), 0, `n=${n}`);
});

test("tones on a bin: all the energy in that bin, 4 |X|^2 = A^2 n^2 (float32 level)", (t) => {
  const n = 4096;
  for (const [bin, amp, phi] of [[1, 1, 0], [37, 0.05, 1.1], [1000, 2, -0.4], [2047, 0.3, 2.5]]) {
    const x = Float64Array.from({ length: n }, (_, j) => amp * Math.cos((2 * Math.PI * bin * j) / n + phi));
    const p = nativePower(x);
    const expected = amp * amp * n * n;
    t.true(Math.abs(p[bin] / expected - 1) < FLOAT32_TOLERANCE, `bin ${bin}: ${p[bin]} vs ${expected}`);
    let leak = 0;
    for (let k = 0; k <= n / 2; k++) if (k !== bin) leak = Math.max(leak, p[k]);
    t.true(leak / expected < 1e-9, `bin ${bin}: largest other bin ${leak / expected} of the peak`);
  }
});

test("tones between bins: every bin matches the closed-form DFT (float32 level)", (t) => {
  for (const n of [256, 4096]) {
    for (const [f, amp, phi] of [[10.5, 1, 0.3], [38.02, 0.046, 1], [n / 4 + 0.25, 0.01, -2]]) {
      const x = Float64Array.from({ length: n }, (_, j) => amp * Math.cos((2 * Math.PI * f * j) / n + phi));
      const p = nativePower(x);
      const truth = Float64Array.from({ length: n / 2 + 1 }, (_, k) => tonePowerX4(n, amp, f, phi, k));
      const e = relativeToPeak(p, truth);
      t.true(e < FLOAT32_TOLERANCE, `n=${n} f=${f} bins: ${e}`);
    }
  }
});

test("DC and Nyquist land in bins 0 and n/2", (t) => {
  const n = 1024;
  const dc = nativePower(new Float64Array(n).fill(0.5));
  t.is(dc[0], 4 * (0.5 * n) ** 2);
  t.is(maxOf(dc.subarray(1)), 0);
  const nyquist = nativePower(Float64Array.from({ length: n }, (_, j) => (j & 1 ? -1 : 1)));
  t.is(nyquist[n / 2], 4 * n * n);
  t.true(maxOf(nyquist.subarray(0, n / 2)) === 0);
});

test("Parseval: the one-sided power sums to n times the energy of the samples", (t) => {
  const rng = new Rng(31);
  for (const n of [2, 8, 512, 4096]) {
    const x = Float64Array.from({ length: n }, () => Math.fround(rng.gaussian()));
    const p = nativePower(x);
    let energy = 0;
    for (const v of x) energy += v * v;
    let spectrum = (p[0] + p[n / 2]) / 4;
    for (let k = 1; k < n / 2; k++) spectrum += p[k] / 2;
    t.true(Math.abs(spectrum / (n * energy) - 1) < FLOAT32_TOLERANCE, `n=${n}: ${spectrum} vs ${n * energy}`);
  }
});

test("same input, same spectrum as the TS kernel, also after the caller's first stages (h = 8, as the feature extractor)", (t) => {
  const rng = new Rng(32);
  for (const n of [16, 64, 1024, 4096]) {
    for (const h of [1, 2, 8]) {
      // any data is valid input for the remaining stages
      const ts: SpectrumKernel = new PowerSpectrum(n);
      const m = n >> 1;
      const re = Float32Array.from({ length: m }, () => rng.gaussian());
      const im = Float32Array.from({ length: m }, () => rng.gaussian());
      ts.packedRe.set(re);
      ts.packedIm.set(im);
      ts.powerX4(h);
      const e = relativeToPeak(nativePowerX4(n, h, re, im), ts.power);
      t.true(e < FLOAT32_TOLERANCE, `n=${n} h=${h}: ${e}`);
    }
  }
});

test("a block size that is not a power of two <= n/2 is refused", (t) => {
  const re = new Float32Array(8);
  t.throws(() => nativePowerX4(16, 3, re, re), { message: /bad h/ });
  t.throws(() => nativePowerX4(16, 16, re, re), { message: /bad h/ });
  t.throws(() => nativePowerX4(12, 1, new Float32Array(6), new Float32Array(6)), { message: /bad n/ });
});
