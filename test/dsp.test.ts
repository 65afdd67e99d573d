import test from "ava";
import { bitReversal } from "../firmware/dsp/bitrev.js";
import { FFT, RealFFT } from "../firmware/dsp/fft.js";
import { FeatureExtractor, G_MM_S2, LOW_SPEED_BAND_HZ, type AxisFeatures } from "../firmware/dsp/features.js";
import { RunningMean } from "../firmware/dsp/average.js";
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

test("power spectrum over the packed input (one buffer of n values): 4 |X[k]|^2 of a naive DFT (1e-9 relative), also after the caller's first stages", (t) => {
  const rng = new Rng(13);
  for (const n of [2, 4, 16, 256, 4096]) {
    const m = n / 2;
    const fft = new RealFFT(n);
    t.is(fft.power.buffer, fft.packedRe.buffer, `n=${n}: power is a view of the input`);
    t.is(fft.packedIm.buffer, fft.packedRe.buffer, `n=${n}: re and im share one buffer`);
    t.is(fft.packedRe.buffer.byteLength, n * Float64Array.BYTES_PER_ELEMENT, `n=${n}: n values in all`);
    const x = Float64Array.from({ length: n }, () => rng.gaussian());
    const [Xr, Xi] = naiveDft(x, new Float64Array(n));
    const rev = bitReversal(m);
    for (const h of [1, 2].filter((b) => b <= m)) {
      for (let j = 0; j < m; j++) {
        fft.packedRe[rev[j]] = x[2 * j];
        fft.packedIm[rev[j]] = x[2 * j + 1];
      }
      // the caller's first stage (h = 2): 2-point DFTs of neighbouring bit-reversed points
      if (h === 2) {
        for (let a = 0; a < m; a += 2) {
          const [r0, i0, r1, i1] = [fft.packedRe[a], fft.packedIm[a], fft.packedRe[a + 1], fft.packedIm[a + 1]];
          [fft.packedRe[a], fft.packedIm[a], fft.packedRe[a + 1], fft.packedIm[a + 1]] = [r0 + r1, i0 + i1, r0 - r1, i0 - i1];
        }
      }
      fft.packedPowerX4(h);
      let err = 0, peak = 0;
      for (let k = 0; k <= m; k++) {
        const truth = 4 * (Xr[k] * Xr[k] + Xi[k] * Xi[k]);
        err = Math.max(err, Math.abs(fft.power[k] - truth));
        peak = Math.max(peak, truth);
      }
      t.true(err / peak < 1e-9, `n=${n} h=${h}: ${err / peak}`);
    }
  }
});

test("the complex FFT builds its bit-reversal table only for forward(), 16-bit up to 65536 points", (t) => {
  const fft = new FFT(64);
  const re = new Float64Array(64).fill(1);
  const im = new Float64Array(64);
  fft.forwardPermuted(re, im);
  t.is(re[0], 64);
  // Reversed binary digits, as written on paper: i = 0b000001 -> 0b100000.
  const reversed = (i: number, bits: number) => parseInt(i.toString(2).padStart(bits, "0").split("").reverse().join(""), 2);
  t.true(fft.bitrev instanceof Uint16Array);
  t.deepEqual(Array.from(fft.bitrev), Array.from({ length: 64 }, (_, i) => reversed(i, 6)));
  t.deepEqual(Array.from(bitReversal(8)), [0, 4, 2, 6, 1, 5, 3, 7]);
  const big = bitReversal(65536);
  t.true(big instanceof Uint16Array, "65536 points still fit 16-bit indices");
  for (const i of [1, 2, 3, 255, 4660, 65534, 65535]) t.is(big[i], reversed(i, 16), `rev[${i}]`);
  t.true(bitReversal(2 * 65536) instanceof Uint32Array);
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
  t.deepEqual(out, { aRms: 0, aPeak: 0, vRms: 0, fDom: 0, crest: 0, kurtosis: 0, hfRms: 0 }, "a constant (gravity) has no features");
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
  // The summed bins stand for kLo - 1/2 .. kHi + 1/2; a Hann-windowed tone spreads over +-2 bins, so the
  // band reaches at least one bin and no more than two bins beyond its 10 Hz edge (docs/measurement.md).
  t.true(10 - (fx.kLo - 0.5) * BIN >= BIN && 10 - (fx.kLo - 0.5) * BIN <= 2 * BIN, `kLo ${fx.kLo}`);
  const f1 = (fx.kLo - 0.5) * BIN;
  const f2 = (fx.kHi + 0.5) * BIN;
  const expected = Math.sqrt((S * G_MM_S2 * G_MM_S2 * (1 / f1 - 1 / f2)) / (4 * Math.PI * Math.PI));
  const got = Math.sqrt(sum / trials);
  t.true(Math.abs(got / expected - 1) < 0.05, `noise vRms ${got} vs ${expected}`);
});

/** Tone at f Hz, amplitude A g, on +1 g, for any ODR. */
function toneAt(odr: number, parts: { f: number; a: number; phase?: number }[], n = N): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let v = 1;
    for (const p of parts) v += p.a * Math.sin((2 * Math.PI * p.f * i) / odr + (p.phase ?? 0));
    x[i] = v;
  }
  return x;
}

test("crest and kurtosis: sine sqrt 2 and 1.5, Gaussian 3, impulse train high", (t) => {
  const fx = new FeatureExtractor({ n: N, odr: ODR });
  const out = fx.createAxisFeatures();
  for (const f of [29.7, 100, 157.1, 500]) {
    fx.compute(tone([{ f, v: 4, phase: 0.4 }], 1), out);
    t.true(Math.abs(out.crest! - Math.SQRT2) < 0.01, `${f} Hz crest ${out.crest}`);
    t.true(Math.abs(out.kurtosis! - 1.5) < 0.01, `${f} Hz kurtosis ${out.kurtosis}`);
  }
  const rng = new Rng(21);
  let k = 0;
  const trials = 10;
  const x = new Float32Array(N);
  for (let r = 0; r < trials; r++) {
    for (let i = 0; i < N; i++) x[i] = 1 + 0.05 * rng.gaussian();
    fx.compute(x, out);
    k += out.kurtosis!;
    t.true(out.crest! > 3 && out.crest! < 5.5, `gaussian crest ${out.crest}`);
  }
  t.true(Math.abs(k / trials - 3) < 0.08, `gaussian kurtosis ${k / trials}`);
  // one-sample impulses every 64 samples: kurtosis ~ 64 (a train of period P has kurtosis ~ P)
  x.fill(1);
  for (let i = 5; i < N; i += 64) x[i] = 1.5;
  fx.compute(x, out);
  t.true(out.kurtosis! > 50, `impulse train kurtosis ${out.kurtosis}`);
  t.true(out.crest! > 7, `impulse train crest ${out.crest}`);
  t.log(`gaussian kurtosis ${(k / trials).toFixed(3)}, impulse train (1/64) kurtosis ${out.kurtosis!.toFixed(1)} crest ${out.crest!.toFixed(2)}`);
});

test("hfRms: a 1500 Hz tone at 4000 Hz ODR (default band 1000..1800 Hz) and at 3200 Hz (band 1000..1590 Hz); absent at 1600 Hz ODR", (t) => {
  for (const [odr, band] of [[4000, undefined], [3200, [1000, 1590] as const]] as const) {
    const fx = new FeatureExtractor({ n: N, odr, hfBandHz: band });
    const out = fx.createAxisFeatures();
    fx.compute(toneAt(odr, [{ f: 1500, a: 0.2 }, { f: 50, a: 0.5 }]), out);
    const e = out.hfRms! / (0.2 / Math.SQRT2) - 1;
    t.true(Math.abs(e) < 0.01, `${odr} Hz: hfRms ${out.hfRms}`);
    fx.compute(toneAt(odr, [{ f: 900, a: 0.2 }, { f: 50, a: 0.5 }]), out);
    t.true(out.hfRms! < 1e-3, `${odr}: 900 Hz is outside the HF band (${out.hfRms})`);
    t.log(`ODR ${odr}: hfRms of 1500 Hz error ${(e * 100).toFixed(3)}%, bins ${fx.hfLo}..${fx.hfHi}`);
  }
  const fx = new FeatureExtractor({ n: 1024, odr: 1600 });
  const out = fx.createAxisFeatures();
  fx.compute(toneAt(1600, [{ f: 700, a: 0.2 }], 1024), out);
  t.true(Number.isNaN(out.hfRms), "no HF band below ~2.3 kHz ODR: NaN (absent from the payload)");
});

test("top 5 peaks of a 3-tone signal: the three tones first, amplitude within 1%, distinct bins", (t) => {
  const fx = new FeatureExtractor({ n: N, odr: ODR });
  const out = fx.createAxisFeatures();
  const tones = [{ f: 157.3, a: 0.1 }, { f: 29.7, a: 0.3 }, { f: 612.9, a: 0.05 }];
  fx.compute(toneAt(ODR, tones), out);
  const p = out.peaks!;
  t.true(p.count >= 3 && p.count <= 5);
  const sorted = [...tones].sort((a, b) => b.a - a.a);
  for (let i = 0; i < 3; i++) {
    t.true(Math.abs(p.freq[i] - sorted[i].f) < 0.1 * BIN, `peak ${i}: ${p.freq[i]} Hz vs ${sorted[i].f}`);
    t.true(Math.abs(p.amp[i] / sorted[i].a - 1) < 0.01, `peak ${i}: ${p.amp[i]} g vs ${sorted[i].a}`);
  }
  for (let i = 3; i < p.count; i++) t.true(p.amp[i] < 0.01 * 0.05, `leftovers are leakage only: ${p.amp[i]}`);
  t.log(`3 tones: ${Array.from(p.freq.slice(0, 3), (f, i) => `${f.toFixed(3)} Hz ${p.amp[i].toFixed(5)} g`).join(", ")}`);

  // two close tones 4 bins apart stay two peaks; with noise, no two peaks in one lobe
  const rng = new Rng(3);
  const x = toneAt(ODR, [{ f: 100, a: 0.1 }, { f: 100 + 4 * BIN, a: 0.08 }]);
  for (let i = 0; i < N; i++) x[i] += 0.002 * rng.gaussian();
  fx.compute(x, out);
  t.true(Math.abs(p.freq[0] - 100) < 0.2 && Math.abs(p.freq[1] - (100 + 4 * BIN)) < 0.2, `${p.freq[0]} ${p.freq[1]}`);
  for (let i = 0; i < p.count; i++) for (let j = i + 1; j < p.count; j++) t.true(Math.abs(p.freq[i] - p.freq[j]) > 1.5 * BIN);
});

test("orders 1x/2x/3x with setRpm: velocity and acceleration per order band, NaN while unknown", (t) => {
  const fx = new FeatureExtractor({ n: N, odr: ODR });
  const out = fx.createAxisFeatures();
  const rpm = 1780;
  const f1 = rpm / 60;
  const x = tone([{ f: f1 * 0.99, v: 3 }, { f: 2 * f1, v: 1.5 }, { f: 3 * f1 * 1.02, v: 0.5 }, { f: 157, v: 2 }], 1);
  fx.compute(x, out);
  t.true(Number.isNaN(out.orders!.vRms[0]) && Number.isNaN(out.orders!.rpm), "no rpm: NaN");
  fx.setRpm(rpm);
  fx.compute(x, out);
  const o = out.orders!;
  t.is(o.rpm, rpm);
  const want = [3, 1.5, 0.5];
  const lines: string[] = [];
  for (let i = 0; i < 3; i++) {
    t.true(Math.abs(o.freq[i] - (i + 1) * f1) < 1e-9);
    t.true(Math.abs(o.vRms[i] / want[i] - 1) < 0.02, `${i + 1}x vRms ${o.vRms[i]}`);
    const fTrue = [f1 * 0.99, 2 * f1, 3 * f1 * 1.02][i];
    const aTrue = peakG(want[i], fTrue) / Math.SQRT2;
    t.true(Math.abs(o.aRms[i] / aTrue - 1) < 0.02, `${i + 1}x aRms ${o.aRms[i]} vs ${aTrue}`);
    lines.push(`${i + 1}x ${o.freq[i].toFixed(2)} Hz: vRms ${o.vRms[i].toFixed(4)} mm/s (${((o.vRms[i] / want[i] - 1) * 100).toFixed(2)}%)`);
  }
  t.true(Math.abs(out.vRms - Math.hypot(3, 1.5, 0.5, 2)) < 0.03, "overall vRms unchanged");
  fx.setRpm(0);
  fx.compute(x, out);
  t.true(Number.isNaN(out.orders!.vRms[2]));
  t.log(lines.join("\n"));
});

test("2-1000 Hz band (machines under 600 rpm): a 5 Hz tone within 2%, excluded from the ISO band", (t) => {
  const low = new FeatureExtractor({ n: N, odr: ODR, bandHz: LOW_SPEED_BAND_HZ });
  const iso = new FeatureExtractor({ n: N, odr: ODR });
  const out = low.createAxisFeatures();
  for (const phase of [0, 0.9, 2.1]) {
    low.compute(tone([{ f: 5, v: 3, phase }], 1), out);
    t.true(Math.abs(out.vRms / 3 - 1) < 0.02, `5 Hz: ${out.vRms}`);
    t.true(Math.abs(out.fDom - 5) < 0.2 * BIN, `fDom ${out.fDom}`);
    iso.compute(tone([{ f: 5, v: 3, phase }], 1), out);
    t.true(out.vRms < 0.01, `ISO band excludes 5 Hz: ${out.vRms}`);
  }
});

test("band edges: response table (n 4096 at 3200 Hz), tones inside +-2%, 10-20 Hz and 900-1000 Hz +-5%", (t) => {
  const table: string[] = ["f Hz   band      vRms error (worst of 8 phases)"];
  const check = (band: readonly [number, number], f: number, tol: number | undefined) => {
    const fx = new FeatureExtractor({ n: N, odr: ODR, bandHz: band });
    const out = fx.createAxisFeatures();
    let worst = 0;
    for (let k = 0; k < 8; k++) {
      fx.compute(tone([{ f, v: 4, phase: k * 0.7 }], 1), out);
      const e = out.vRms / 4 - 1;
      if (Math.abs(e) > Math.abs(worst)) worst = e;
    }
    if (tol !== undefined) t.true(Math.abs(worst) < tol, `${f} Hz in ${band}: ${worst}`);
    table.push(`${f.toString().padEnd(6)} ${band.join("-").padEnd(9)} ${(worst * 100).toFixed(2)}%`);
  };
  for (const f of [8, 9, 9.5]) check([10, 1000], f, undefined);
  for (const f of [10, 10.5, 11, 12.3, 14, 16.6, 18, 20]) check([10, 1000], f, 0.05);
  for (const f of [31.3, 100, 433.3, 750]) check([10, 1000], f, 0.02);
  for (const f of [900, 925.5, 950, 975, 990.4, 999, 1000]) check([10, 1000], f, 0.05);
  for (const f of [1001, 1002, 1003]) check([10, 1000], f, undefined);
  for (const f of [1.5, 2, 2.5]) check(LOW_SPEED_BAND_HZ, f, undefined);
  for (const f of [3, 4, 5, 7.5]) check(LOW_SPEED_BAND_HZ, f, 0.02);
  t.log(table.join("\n"));
});

test("RunningMean: mean over the readings of a window, NaN skipped, reset, no allocation", (t) => {
  const m = new RunningMean();
  t.true(Number.isNaN(m.mean));
  for (const v of [40, 41, NaN, 42]) m.add(v);
  t.is(m.count, 3);
  t.is(m.mean, 41);
  t.is(m.take(), 41);
  t.is(m.count, 0);
  t.true(Number.isNaN(m.take()));
  m.add(1e9 + 0.25);
  m.add(1e9 + 0.75);
  t.is(m.mean, 1e9 + 0.5);
  t.is(m.min, 1e9 + 0.25);
  t.is(m.max, 1e9 + 0.75);
});

/** The acquirer's 2-byte windows: count + 32768 (firmware/acquisition/acquirer.ts). */
const COUNT_OFFSET = 32768;

test("2-byte counts with their scale give the features of the same counts in float32 g (offset cancels, scale folded in)", (t) => {
  const rng = new Rng(9);
  // ADXL345 full resolution (a power of two) and LIS3DH normal mode at 4 g (8 mg per 10-bit digit, left-justified: not one)
  for (const lsbG of [1 / 256, 0.008 / 64]) {
    for (const n of [8, N]) {
      const fx = new FeatureExtractor({ n, odr: ODR, rpm: 1770 });
      const g = tone([{ f: 29.7, v: 4 }, { f: 240.2, v: 2 }, { f: 1300, v: 1 }], -0.3).subarray(0, n);
      const counts = new Uint16Array(n);
      const floats = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        const c = Math.round((g[i] + 0.05 * rng.gaussian()) / lsbG);
        counts[i] = c + COUNT_OFFSET;
        floats[i] = c * lsbG;
      }
      const a = fx.createAxisFeatures({ spectrum: true });
      const b = fx.createAxisFeatures({ spectrum: true });
      fx.compute(floats, a);
      fx.compute(counts, b, lsbG);
      const close = (x: number, y: number, what: string) => t.true(Object.is(x, y) || Math.abs(x - y) <= 1e-6 * Math.max(Math.abs(x), Math.abs(y)), `lsb ${lsbG}, n ${n}, ${what}: ${y} vs ${x}`);
      for (const k of ["aRms", "aPeak", "vRms", "fDom", "crest", "kurtosis", "hfRms"] as const) close(a[k]!, b[k]!, k);
      t.is(b.peaks!.count, a.peaks!.count);
      for (let i = 0; i < a.peaks!.count; i++) {
        close(a.peaks!.freq[i], b.peaks!.freq[i], `peak ${i} Hz`);
        close(a.peaks!.amp[i], b.peaks!.amp[i], `peak ${i} g`);
      }
      for (let i = 0; i < 3; i++) close(a.orders!.vRms[i], b.orders!.vRms[i], `order ${i + 1} vRms`);
      // the first pass subtracts the first sample, offset included: even bins 0 and 1 agree, to the
      // float32 kernel's rounding (relative to the largest bin: the floor of a float32 FFT)
      const top = Math.max(...a.spectrum!);
      for (let k = 0; k <= n / 2; k++) t.true(Math.abs(a.spectrum![k] - b.spectrum![k]) <= 1e-6 * top, `lsb ${lsbG}, n ${n}, spectrum bin ${k}: ${b.spectrum![k]} vs ${a.spectrum![k]}`);
      if (n === N) t.true(a.aRms > 0.05 && a.vRms > 4, "a signal, not noise only");
    }
  }
});
