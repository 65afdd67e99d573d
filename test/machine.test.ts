import test from "ava";
import { FFT } from "../firmware/dsp/fft.js";
import { parseScenario, ScenarioError } from "../tools/scenario/parse.js";
import {
  BEARING_6205,
  defectFrequencies,
  defectOrder,
  Machine,
  sinePeakG,
  STANDARD_GRAVITY_MM_S2,
  type MachineOptions,
  type VibrationComponent,
} from "../sim/machine/machine.js";

const FS = 3200;
const RPM = 1780;
const FR = RPM / 60;

/** Samples x, y, z at FS from t0, as the ADXL345 model does (three axes per sample time, in time order); gravity removed. */
function record(m: Machine, n: number, t0 = 0, fs = FS): [Float64Array, Float64Array, Float64Array] {
  const out: [Float64Array, Float64Array, Float64Array] = [new Float64Array(n), new Float64Array(n), new Float64Array(n)];
  for (let i = 0; i < n; i++) {
    const t = t0 + i / fs;
    for (let axis = 0 as 0 | 1 | 2; axis < 3; axis++) out[axis][i] = m.acceleration(axis, t) - m.gravity[axis];
  }
  return out;
}

function machine(vibration: VibrationComponent[], o: Partial<MachineOptions> = {}): Machine {
  return new Machine({ seed: 7, rpm: RPM, vibration, ...o });
}

/** One-sided amplitude spectrum (peak units) of x with a Hann window, corrected for the window's coherent gain. */
function amplitudeSpectrum(x: Float64Array): Float64Array {
  const n = x.length;
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  let mean = 0;
  for (let i = 0; i < n; i++) mean += x[i] / n;
  for (let i = 0; i < n; i++) re[i] = (x[i] - mean) * (0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n));
  new FFT(n).forward(re, im);
  const amp = new Float64Array(n / 2 + 1);
  for (let k = 0; k <= n / 2; k++) amp[k] = (4 * Math.hypot(re[k], im[k])) / n;
  return amp;
}

/** Velocity RMS (mm/s) over [lo, hi] Hz: Hann window, FFT, divide by 2 pi f, Parseval with the window's energy. */
function velocityRms(x: Float64Array, fs = FS, lo = 10, hi = 1000): number {
  const n = x.length;
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  let energy = 0;
  for (let i = 0; i < n; i++) {
    const w = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n);
    re[i] = x[i] * w;
    energy += w * w;
  }
  new FFT(n).forward(re, im);
  const df = fs / n;
  let p = 0;
  for (let k = Math.ceil(lo / df); k <= Math.floor(hi / df); k++) {
    const v = STANDARD_GRAVITY_MM_S2 / (2 * Math.PI * k * df);
    p += (re[k] * re[k] + im[k] * im[k]) * v * v;
  }
  return Math.sqrt((2 * p) / (n * energy));
}

/** Hilbert envelope of x band-passed to [lo, hi] Hz (analytic signal by FFT), then its amplitude spectrum. */
function envelopeSpectrum(x: Float64Array, lo: number, hi: number, fs = FS): Float64Array {
  const n = x.length;
  const re = Float64Array.from(x);
  const im = new Float64Array(n);
  const fft = new FFT(n);
  fft.forward(re, im);
  const df = fs / n;
  for (let k = 0; k < n; k++) {
    const f = k * df;
    const keep = k > 0 && k < n / 2 && f >= lo && f <= hi;
    re[k] = keep ? 2 * re[k] : 0; // one-sided: analytic signal
    im[k] = keep ? 2 * im[k] : 0;
  }
  fft.inverse(re, im);
  const env = new Float64Array(n);
  for (let i = 0; i < n; i++) env[i] = Math.hypot(re[i], im[i]);
  return amplitudeSpectrum(env);
}

function peakIn(spec: Float64Array, df: number, lo: number, hi: number): { f: number; a: number } {
  let best = Math.ceil(lo / df);
  for (let k = best; k <= Math.floor(hi / df); k++) if (spec[k] > spec[best]) best = k;
  return { f: best * df, a: spec[best] };
}

function near(spec: Float64Array, df: number, f: number, halfWidthHz = 0.6): number {
  let a = 0;
  for (let k = Math.round((f - halfWidthHz) / df); k <= Math.round((f + halfWidthHz) / df); k++) a = Math.max(a, spec[k]);
  return a;
}

/** One-sided mean square per bin (g^2) of x, Hann window, normalised by the window's energy: sums over a line give its mean square. */
function powerSpectrum(x: Float64Array): Float64Array {
  const n = x.length;
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  let mean = 0;
  for (let i = 0; i < n; i++) mean += x[i] / n;
  let energy = 0;
  for (let i = 0; i < n; i++) {
    const w = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n);
    re[i] = (x[i] - mean) * w;
    energy += w * w;
  }
  new FFT(n).forward(re, im);
  const p = new Float64Array(n / 2 + 1);
  for (let k = 1; k <= n / 2; k++) p[k] = (2 * (re[k] * re[k] + im[k] * im[k])) / (n * energy);
  return p;
}

/** Peak amplitude (g) of the line at f: its power summed over +-halfWidthHz (no scalloping loss). */
function tone(ps: Float64Array, df: number, f: number, halfWidthHz = 0.8): number {
  let s = 0;
  for (let k = Math.round((f - halfWidthHz) / df); k <= Math.round((f + halfWidthHz) / df); k++) s += ps[k];
  return Math.sqrt(2 * s);
}

function stats(x: Float64Array): { rms: number; crest: number; kurtosis: number } {
  const n = x.length;
  let mean = 0;
  for (const v of x) mean += v / n;
  let m2 = 0;
  let m4 = 0;
  let peak = 0;
  for (const v of x) {
    const d = v - mean;
    m2 += (d * d) / n;
    m4 += (d * d * d * d) / n;
    peak = Math.max(peak, Math.abs(d));
  }
  return { rms: Math.sqrt(m2), crest: peak / Math.sqrt(m2), kurtosis: m4 / (m2 * m2) };
}

test("harmonics: the velocity RMS of 1x..Nx is the analytic sqrt(sum V_k^2)", (t) => {
  const v = [3, 1.5, 0.8, 0.4];
  const m = machine([{ axis: "x", kind: "harmonics", vrms_mm_s: v }]);
  const [x, y] = record(m, 16384);
  const expected = Math.sqrt(v.reduce((s, a) => s + a * a, 0));
  const got = velocityRms(x);
  t.log(`harmonics [${v}] mm/s: vRms ${got.toFixed(4)} mm/s, analytic ${expected.toFixed(4)}`);
  t.true(Math.abs(got - expected) / expected < 0.005);
  t.is(stats(y).rms, 0, "axis x only");
  // each order at its place: amplitude at k x fr is the sine peak of V_k
  const ps = powerSpectrum(x);
  const df = FS / 16384;
  for (let k = 1; k <= v.length; k++) {
    const a = tone(ps, df, k * FR);
    t.true(Math.abs(a / sinePeakG(v[k - 1], k * FR) - 1) < 0.02, `order ${k}: ${a}`);
  }
});

test("imbalance: 1x radial, x and y equal and 90 degrees apart, small axial", (t) => {
  const m = machine([{ axis: "all", kind: "imbalance", vrms_mm_s: 4.5 }]);
  const [x, y, z] = record(m, 16384);
  const vx = velocityRms(x);
  const vy = velocityRms(y);
  const vz = velocityRms(z);
  t.log(`imbalance 4.5 mm/s: vRms x ${vx.toFixed(4)}, y ${vy.toFixed(4)}, z ${vz.toFixed(4)} mm/s`);
  t.true(Math.abs(vx - 4.5) / 4.5 < 0.005);
  t.true(Math.abs(vy - 4.5) / 4.5 < 0.005);
  t.true(Math.abs(vz - 0.45) / 0.45 < 0.005);
  // quadrature: x.y averages to 0, and y lags x by a quarter turn
  let xy = 0;
  let xx = 0;
  for (let i = 0; i < x.length; i++) {
    xy += x[i] * y[i];
    xx += x[i] * x[i];
  }
  t.true(Math.abs(xy / xx) < 0.01);
  const A = sinePeakG(4.5, FR);
  const tq = 1 / (4 * FR);
  const m2 = machine([{ axis: "all", kind: "imbalance", vrms_mm_s: 4.5 }]);
  t.true(Math.abs(m2.acceleration(0, tq) - A) < 1e-9, "x peaks at a quarter turn");
  t.true(Math.abs(m2.acceleration(1, 2 * tq) - A) < 1e-9, "y peaks a quarter turn later");
  t.true(Math.abs(velocityRms(record(machine([{ axis: "y", kind: "imbalance", vrms_mm_s: 2 }]), 16384)[1]) - 2) < 0.01, "one named axis");
});

test("misalignment: 2x dominant with 1x, strongest on the axial axis (z)", (t) => {
  const m = machine([{ axis: "all", kind: "misalignment", vrms_mm_s: 3 }]);
  const [x, , z] = record(m, 16384);
  const df = FS / 16384;
  const sz = powerSpectrum(z);
  const sx = powerSpectrum(x);
  const z1 = tone(sz, df, FR);
  const z2 = tone(sz, df, 2 * FR);
  t.log(`misalignment 3 mm/s: z 2x ${z2.toFixed(4)} g, z 1x ${z1.toFixed(4)} g, x 2x ${tone(sx, df, 2 * FR).toFixed(4)} g; vRms z ${velocityRms(z).toFixed(3)} x ${velocityRms(x).toFixed(3)} mm/s`);
  t.true(Math.abs(z2 / sinePeakG(3, 2 * FR) - 1) < 0.02);
  t.true(Math.abs(z1 / sinePeakG(1.5, FR) - 1) < 0.02);
  t.true(z2 > 3 * z1, "2x dominates (in acceleration)");
  t.true(Math.abs(velocityRms(z) - Math.sqrt(9 + 2.25)) < 0.02);
  t.true(Math.abs(velocityRms(x) / velocityRms(z) - 0.5) < 0.01, "radial half the axial");
});

test("looseness: many harmonics of 1x and 0.5x subharmonics from a truncated waveform", (t) => {
  const m = machine([{ axis: "x", kind: "looseness", vrms_mm_s: 4 }]);
  const [x] = record(m, 32768);
  const df = FS / 32768;
  const ps = powerSpectrum(x);
  // velocity amplitude per order (mm/s peak)
  const vel = (order: number) => (tone(ps, df, order * FR, 0.5) * STANDARD_GRAVITY_MM_S2) / (2 * Math.PI * order * FR);
  const orders = [0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 5, 6, 7, 8, 9, 10];
  const floor = (tone(ps, df, 1.25 * FR, 0.5) * STANDARD_GRAVITY_MM_S2) / (2 * Math.PI * 1.25 * FR);
  t.log(`looseness 4 mm/s, velocity peak per order (mm/s): ${orders.map((o) => `${o}x ${vel(o).toFixed(3)}`).join(", ")}; between lines (1.25x) ${floor.toExponential(1)}`);
  for (const o of [0.5, 1, 1.5, 2, 2.5, 3]) t.true(vel(o) > 100 * floor, `${o}x present`);
  const integer = [2, 3, 4, 5, 6, 7, 8, 9, 10].filter((o) => vel(o) > 10 * floor);
  t.true(integer.length >= 7, `harmonics of 1x above the floor: ${integer}`);
  t.true(vel(0.5) > 0.1 * vel(1) && vel(1.5) > 0.05 * vel(1));
  // truncated: the acceleration is exactly zero over part of each turn
  let zeros = 0;
  for (const v of x) if (v === 0) zeros++;
  t.true(zeros > 0.05 * x.length && zeros < 0.5 * x.length, `${zeros} of ${x.length} samples truncated`);
});

test("gear: mesh at teeth x 1x with sidebands at +-1x", (t) => {
  const m = machine([{ axis: "z", kind: "gear", teeth: 23, g_rms: 0.2, sidebands: 0.15 }]);
  const [, , z] = record(m, 32768);
  const df = FS / 32768;
  const ps = powerSpectrum(z);
  const spec = amplitudeSpectrum(z);
  const gmf = 23 * FR;
  const mesh = tone(ps, df, gmf);
  const lo = tone(ps, df, gmf - FR);
  const hi = tone(ps, df, gmf + FR);
  t.log(`gear 23 teeth at ${gmf.toFixed(2)} Hz: mesh ${mesh.toFixed(4)} g peak, sidebands ${lo.toFixed(4)} / ${hi.toFixed(4)} g`);
  t.true(Math.abs(mesh / (0.2 * Math.SQRT2) - 1) < 0.01);
  t.true(Math.abs(lo / mesh - 0.15) < 0.005 && Math.abs(hi / mesh - 0.15) < 0.005);
  t.true(Math.abs(peakIn(spec, df, 10, 1500).f - gmf) <= df);
});

test("bearing defect frequencies of a 6205 at 1780 rpm are the textbook orders", (t) => {
  const f = defectFrequencies(RPM);
  t.log(
    `6205 at 1780 rpm (fr ${FR.toFixed(3)} Hz): BPFO ${f.bpfo.toFixed(2)} Hz (${(f.bpfo / FR).toFixed(4)}x), BPFI ${f.bpfi.toFixed(2)} Hz (${(f.bpfi / FR).toFixed(4)}x), BSF ${f.bsf.toFixed(2)} Hz (${(f.bsf / FR).toFixed(4)}x), FTF ${f.ftf.toFixed(2)} Hz (${(f.ftf / FR).toFixed(4)}x)`,
  );
  t.deepEqual(BEARING_6205, { balls: 9, ball_d_mm: 7.94, pitch_d_mm: 39.04, contact_deg: 0 });
  t.true(Math.abs(f.bpfo / FR - 3.585) < 0.001);
  t.true(Math.abs(f.bpfi / FR - 5.415) < 0.001);
  t.true(Math.abs(f.bsf / FR - 2.357) < 0.001);
  t.true(Math.abs(f.ftf / FR - 0.398) < 0.001);
  t.true(Math.abs(f.bpfo + f.bpfi - 9 * FR) < 1e-9, "BPFO + BPFI = n fr");
  // a contact angle lowers d/D cos a
  const angular = { balls: 9, ball_d_mm: 7.94, pitch_d_mm: 39.04, contact_deg: 40 };
  t.true(defectOrder("bpfo", angular) > defectOrder("bpfo") && defectOrder("bpfi", angular) < defectOrder("bpfi"));
});

const ENVELOPE_N = 32768;

for (const defect of ["bpfo", "bpfi", "bsf", "ftf"] as const) {
  test(`bearing ${defect}: the envelope spectrum around the resonance peaks at the defect frequency`, (t) => {
    const m = machine([
      { axis: "all", kind: "imbalance", vrms_mm_s: 2.8 },
      { axis: "z", kind: "bearing", defect, severity_g: 0.3 },
      { axis: "all", kind: "noise", g_rms: 0.02 },
    ]);
    const fn = m.defaultResonanceHz;
    t.is(fn, 1280, "default resonance below Nyquist at 3200 Hz");
    const [x, , z] = record(m, ENVELOPE_N);
    const df = FS / ENVELOPE_N;
    const fd = defectFrequencies(RPM)[defect];
    const env = envelopeSpectrum(z, fn - 400, fn + 400);
    const peak = peakIn(env, df, 5, 500);
    t.log(`${defect}: expected ${fd.toFixed(2)} Hz, envelope peak ${peak.f.toFixed(2)} Hz (${peak.a.toFixed(4)} g), df ${df.toFixed(3)} Hz`);
    t.true(Math.abs(peak.f - fd) < 0.5, `${peak.f} vs ${fd}`);
    // the healthy axis has no such line
    const healthy = envelopeSpectrum(x, fn - 400, fn + 400);
    t.true(near(healthy, df, fd) < 0.2 * peak.a);
    if (defect === "bpfi") {
      // load zone: amplitude-modulated at 1x, sidebands at BPFI +- fr
      const side = near(env, df, fd - FR) + near(env, df, fd + FR);
      const between = near(env, df, fd - FR / 2) + near(env, df, fd + FR / 2);
      t.log(`bpfi sidebands at +-1x: ${(side / 2).toFixed(4)} g, between lines ${(between / 2).toFixed(4)} g`);
      t.true(side > 4 * between);
    }
  });
}

test("a bearing defect raises crest factor and kurtosis well above a healthy machine's", (t) => {
  const healthy: VibrationComponent[] = [
    { axis: "all", kind: "imbalance", vrms_mm_s: 2.8 },
    { axis: "all", kind: "harmonics", vrms_mm_s: [0, 0.8, 0.3] },
    { axis: "all", kind: "noise", g_rms: 0.01 },
  ];
  const [h] = record(machine(healthy), 4096);
  const [b] = record(machine([...healthy, { axis: "x", kind: "bearing", defect: "bpfo", severity_g: 0.5 }]), 4096);
  const sh = stats(h);
  const sb = stats(b);
  t.log(`healthy: aRms ${sh.rms.toFixed(4)} g, crest ${sh.crest.toFixed(2)}, kurtosis ${sh.kurtosis.toFixed(2)}`);
  t.log(`bpfo 0.5 g: aRms ${sb.rms.toFixed(4)} g, crest ${sb.crest.toFixed(2)}, kurtosis ${sb.kurtosis.toFixed(2)}`);
  t.true(sh.crest < 3 && sh.kurtosis < 3.5);
  t.true(sb.crest > 1.5 * sh.crest && sb.crest > 4);
  t.true(sb.kurtosis > 2 * sh.kurtosis && sb.kurtosis > 6);
});

test("severity changes through set(): bearing severity_g, harmonics vrms_mm_s[k], thermal fields", (t) => {
  const m = machine([
    { axis: "x", kind: "bearing", defect: "bpfo", severity_g: 0.2 },
    { axis: "y", kind: "harmonics", vrms_mm_s: [2, 1] },
  ]);
  const [b1, h1] = record(m, 8192);
  m.set("machine.vibration[0].severity_g", 0.6);
  m.set("machine.vibration[1].vrms_mm_s[1]", 3);
  const [b2, h2] = record(m, 8192, 8192 / FS);
  t.true(Math.abs(stats(b2).rms / stats(b1).rms - 3) < 0.1, `${stats(b2).rms / stats(b1).rms}`);
  t.true(Math.abs(velocityRms(h1) - Math.sqrt(5)) < 0.02);
  t.true(Math.abs(velocityRms(h2) - Math.sqrt(13)) < 0.02);
  t.throws(() => m.set("machine.vibration[1].vrms_mm_s[2]", 1), { message: /no such path/ });
  t.throws(() => m.set("machine.vibration[0].defect", 1), { message: /not a numeric field/ });
  t.throws(() => m.set("machine.thermal.rise_c", 1), { message: /no such path/ });
});

test("rpm changes keep the waveform continuous (ramped speed, continuous phase)", (t) => {
  const parts: VibrationComponent[] = [
    { axis: "x", kind: "harmonics", vrms_mm_s: [4, 1.5, 0.5] },
    { axis: "all", kind: "imbalance", vrms_mm_s: 2 },
    { axis: "all", kind: "misalignment", vrms_mm_s: 1 },
    { axis: "z", kind: "gear", teeth: 7, g_rms: 0.05 },
  ];
  const m = machine(parts);
  const n = 4 * FS;
  let prev = [0, 0, 0];
  let maxJump = 0;
  let maxSteady = 0;
  for (let i = 0; i < n; i++) {
    const t = i / FS;
    if (i === FS) m.set("machine.rpm", 1200);
    if (i === Math.round(2.5 * FS)) m.set("machine.rpm", 2400);
    const a = [m.acceleration(0, t), m.acceleration(1, t), m.acceleration(2, t)];
    if (i > 0) {
      for (let k = 0; k < 3; k++) {
        const d = Math.abs(a[k] - prev[k]);
        if (i < FS) maxSteady = Math.max(maxSteady, d);
        maxJump = Math.max(maxJump, d);
      }
    }
    prev = a;
  }
  // the largest per-sample step anywhere is bounded by the slopes at the highest speed (2400 rpm = 1.35 x 1780)
  t.log(`rpm 1780 -> 1200 -> 2400 (ramp 1 s): largest step between samples ${maxJump.toFixed(4)} g; at steady 1780 rpm ${maxSteady.toFixed(4)} g`);
  t.true(maxJump < 1.35 * 1.35 * maxSteady * 1.05);
  t.is(m.shaftHz, 40, "the ramp ends at the new speed");

  // no ramp: the phase still carries over. A mesh tone (amplitude independent of speed) shows it alone.
  const g = machine([{ axis: "z", kind: "gear", teeth: 3, g_rms: 0.1, sidebands: 0 }], { rpm_ramp_s: 0 });
  const A = 0.1 * Math.SQRT2;
  const slope = (f: number) => A * 2 * Math.PI * 3 * f * (1 / FS);
  let worst = 0;
  let last = g.acceleration(2, 0) - 1;
  for (let i = 1; i < 2 * FS; i++) {
    if (i === 1000) g.set("rpm", 1200);
    const a = g.acceleration(2, i / FS) - 1;
    worst = Math.max(worst, Math.abs(a - last));
    last = a;
  }
  t.log(`gear mesh, instant 1780 -> 1200 rpm: largest step ${worst.toFixed(4)} g, slope bound ${slope(FR).toFixed(4)} g`);
  t.true(worst <= slope(FR) * 1.0001);

  // a sine's freq_hz change is phase-continuous too
  const s = new Machine({ vibration: [{ axis: "x", kind: "sine", freq_hz: 20, vrms_mm_s: 5 }] });
  let sLast = s.acceleration(0, 0);
  let sWorst = 0;
  for (let i = 1; i < FS; i++) {
    if (i === 777) s.set("machine.vibration[0].freq_hz", 25);
    const a = s.acceleration(0, i / FS);
    sWorst = Math.max(sWorst, Math.abs(a - sLast));
    sLast = a;
  }
  const bound = sinePeakG(5, 25) * (2 * Math.PI * 25) / FS + (sinePeakG(5, 25) - sinePeakG(5, 20));
  t.true(sWorst <= bound, `${sWorst} <= ${bound}`);
});

test("rpm 0: stopped, only noise (and fixed sines) remain", (t) => {
  const m = machine([
    { axis: "all", kind: "harmonics", vrms_mm_s: [3, 1] },
    { axis: "all", kind: "imbalance", vrms_mm_s: 3 },
    { axis: "all", kind: "misalignment", vrms_mm_s: 2 },
    { axis: "all", kind: "looseness", vrms_mm_s: 2 },
    { axis: "all", kind: "bearing", defect: "bpfi", severity_g: 0.5 },
    { axis: "all", kind: "gear", teeth: 31, g_rms: 0.1 },
  ]);
  record(m, FS);
  m.set("machine.rpm", 0);
  record(m, 2 * FS, 1); // ramp down and ring-downs
  const [x, y, z] = record(m, FS, 3);
  t.is(Math.max(...x.map(Math.abs), ...y.map(Math.abs), ...z.map(Math.abs)), 0);
  const n = new Machine({ rpm: 0, vibration: [{ axis: "all", kind: "noise", g_rms: 0.05 }, { axis: "all", kind: "imbalance", vrms_mm_s: 5 }] });
  t.true(Math.abs(stats(record(n, 20000)[0]).rms - 0.05) < 0.002);
});

test("thermal model: first order towards ambient + rise while running, ambient when stopped", (t) => {
  const tau = 600;
  const m = new Machine({ rpm: RPM, thermal: { ambient_c: 25, rise_c: 40, tau_s: tau } });
  t.is(m.temperature(0), 25);
  t.true(Math.abs(m.temperature(tau) - (25 + 40 * (1 - Math.exp(-1)))) < 1e-9, "63 % after one tau");
  const hot = m.temperature(5 * tau);
  t.log(`after 5 tau running: ${hot.toFixed(3)} degC (target 65, within ${((100 * Math.abs(hot - 65)) / 65).toFixed(2)} %)`);
  t.true(Math.abs(hot - 65) <= 0.01 * 65);
  t.true(Math.abs(hot - 65) <= 0.01 * 40, "within 1 % of the rise, too");
  m.set("machine.rpm", 0);
  t.is(m.temperature(5 * tau), hot, "continuous at the stop");
  const cold = m.temperature(10 * tau);
  t.log(`5 tau after the stop: ${cold.toFixed(3)} degC (ambient 25)`);
  t.true(Math.abs(cold - 25) <= 0.01 * 40, "within 1 % of the fall");
  // ambient changes apply from the time of the change, continuously
  m.set("machine.thermal.ambient_c", 35, 10 * tau);
  t.is(m.temperature(10 * tau), cold);
  t.true(Math.abs(m.temperature(16 * tau) - 35) < 0.1);
  // a stopped machine stays at ambient; explicit temperature_c replaces the model
  const s = new Machine({ rpm: 0, thermal: { ambient_c: 18, rise_c: 30, tau_s: 100, initial_c: 18 } });
  t.is(s.temperature(1e4), 18);
  s.set("machine.temperature_c", 50);
  t.is(s.temperature(2e4), 50);
});

test("determinism: same seed, same samples; another seed, other samples", (t) => {
  const parts: VibrationComponent[] = [
    { axis: "all", kind: "bearing", defect: "bpfi", severity_g: 0.4 },
    { axis: "x", kind: "looseness", vrms_mm_s: 2 },
    { axis: "all", kind: "noise", g_rms: 0.02 },
  ];
  const run = (seed: number) => {
    const m = new Machine({ seed, rpm: RPM, vibration: parts });
    const r = record(m, 3 * FS);
    m.set("machine.rpm", 900);
    const r2 = record(m, FS, 3);
    return [...r, ...r2].flatMap((a) => Array.from(a));
  };
  const a = run(11);
  t.deepEqual(a, run(11));
  t.notDeepEqual(a, run(12));
});

test("cost: all components for three axes, samples per second of CPU", (t) => {
  const m = machine([
    { axis: "all", kind: "harmonics", vrms_mm_s: [3, 1, 0.5, 0.2, 0.1] },
    { axis: "all", kind: "imbalance", vrms_mm_s: 3 },
    { axis: "all", kind: "misalignment", vrms_mm_s: 2 },
    { axis: "all", kind: "looseness", vrms_mm_s: 2 },
    { axis: "all", kind: "bearing", defect: "bpfi", severity_g: 0.5 },
    { axis: "all", kind: "gear", teeth: 31, g_rms: 0.1 },
    { axis: "all", kind: "noise", g_rms: 0.01 },
  ]);
  const seconds = 60;
  const start = process.hrtime.bigint();
  let sink = 0;
  for (let i = 0; i < seconds * FS; i++) {
    const tt = i / FS;
    sink += m.acceleration(0, tt) + m.acceleration(1, tt) + m.acceleration(2, tt);
  }
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  t.log(`${seconds} s of virtual time at ${FS} Hz x 3 axes, 7 components: ${ms.toFixed(0)} ms (${((seconds * 1000) / ms).toFixed(0)}x real time)`);
  t.true(Number.isFinite(sink));
});

// ---- scenario file: the machine section ----

const scenarioBase = () => ({
  version: 1,
  seed: 3,
  duration_s: 600,
  machine: {
    rpm: 1780,
    vibration: [
      { axis: "x", kind: "sine", freq_hz: 29.7, vrms_mm_s: 2.8 },
      { kind: "harmonics", vrms_mm_s: [1.2, 0.6, 0.2] },
      { kind: "imbalance", vrms_mm_s: 3.5 },
      { axis: "z", kind: "misalignment", vrms_mm_s: 1.5 },
      { axis: "y", kind: "looseness", vrms_mm_s: 1, clip: 0.8 },
      { axis: "z", kind: "bearing", defect: "bpfi", severity_g: 0.3, bearing: { balls: 8, ball_d_mm: 7.94, pitch_d_mm: 34.5, contact_deg: 0 }, resonance_hz: 1200, damping: 0.08, jitter: 0.02 },
      { axis: "x", kind: "gear", teeth: 23, g_rms: 0.05, sidebands: 0.2 },
      { axis: "all", kind: "noise", g_rms: 0.01 },
    ],
    thermal: { ambient_c: 22, rise_c: 35, tau_s: 900 },
  } as Record<string, unknown>,
  events: [
    { at_s: 60, kind: "set", path: "machine.vibration[5].severity_g", value: 0.9 },
    { at_s: 120, kind: "set", path: "machine.vibration[1].vrms_mm_s[0]", value: 4 },
    { at_s: 180, kind: "set", path: "machine.rpm", value: 1200 },
    { at_s: 240, kind: "set", path: "machine.thermal.ambient_c", value: 30 },
    { at_s: 300, kind: "set", path: "machine.rpm", value: 0 },
  ] as Record<string, unknown>[],
});

function scenarioVariant(edit: (d: any) => void): string {
  const d = scenarioBase();
  edit(d);
  return JSON.stringify(d);
}

test("scenario: every component kind and the thermal model parse, with defaults, and drive a Machine", (t) => {
  const s = parseScenario(scenarioVariant(() => {}), "m.json");
  t.is(s.machine.vibration.length, 8);
  t.is(s.machine.rpm_ramp_s, 1);
  t.is(s.machine.temperature_c, undefined);
  t.deepEqual(s.machine.thermal, { ambient_c: 22, rise_c: 35, tau_s: 900 });
  t.deepEqual(s.machine.vibration[1], { axis: "all", kind: "harmonics", vrms_mm_s: [1.2, 0.6, 0.2] });
  t.deepEqual(s.machine.vibration[6], { axis: "x", kind: "gear", teeth: 23, g_rms: 0.05, sidebands: 0.2 });
  const bare = parseScenario(scenarioVariant((d) => {
      d.machine.vibration = [{ kind: "bearing", defect: "bpfo", severity_g: 0.2 }];
      d.events = [];
    }), "m.json");
  t.deepEqual(bare.machine.vibration[0], { axis: "all", kind: "bearing", defect: "bpfo", severity_g: 0.2 }, "optional fields stay absent");
  const m = new Machine({ seed: s.seed, ...s.machine });
  for (const e of s.events) {
    record(m, 64, e.at_s - 0.02);
    m.set(e.path, e.value, e.at_s);
  }
  t.is(m.temperature(300), m.temperature(300));
  t.true(m.temperature(300) > 30 && m.temperature(300 + 5 * 900) - 30 < 0.3, "cools to the new ambient once stopped");
  t.is(new Machine({ rpm: 1780, vibration: s.machine.vibration }).vibration.length, 8);
});

const scenarioErrors: [string, (d: any) => void, RegExp][] = [
  ["unknown kind", (d) => (d.machine.vibration[0].kind = "wobble"), /^m\.json: machine\.vibration\[0\]\.kind: expected one of "sine", "noise", "harmonics", "imbalance", "misalignment", "looseness", "bearing", "gear", got "wobble"/],
  ["unknown bearing key", (d) => (d.machine.vibration[5].severity = 1), /machine\.vibration\[5\]\.severity: unknown key \(allowed here: axis, kind, defect, severity_g, bearing, resonance_hz, damping, jitter\)/],
  ["wrong type", (d) => (d.machine.vibration[5].severity_g = "0.3"), /machine\.vibration\[5\]\.severity_g: expected a number, got "0\.3"/],
  ["unknown defect", (d) => (d.machine.vibration[5].defect = "cage"), /machine\.vibration\[5\]\.defect: expected one of "bpfo", "bpfi", "bsf", "ftf", got "cage"/],
  ["geometry", (d) => (d.machine.vibration[5].bearing.pitch_d_mm = 5), /machine\.vibration\[5\]\.bearing\.pitch_d_mm: the pitch diameter \(5 mm\) must exceed the ball diameter/],
  ["geometry key", (d) => (d.machine.vibration[5].bearing.n = 9), /machine\.vibration\[5\]\.bearing\.n: unknown key/],
  ["balls not an integer", (d) => (d.machine.vibration[5].bearing.balls = 8.5), /bearing\.balls: expected an integer, got 8\.5/],
  ["resonance above Nyquist", (d) => (d.machine.vibration[5].resonance_hz = 3000), /machine\.vibration\[5\]\.resonance_hz: 3000 Hz is at or above the accelerometer's Nyquist frequency \(1600 Hz/],
  ["harmonics element", (d) => (d.machine.vibration[1].vrms_mm_s[1] = null), /machine\.vibration\[1\]\.vrms_mm_s\[1\]: expected a number, got null/],
  ["harmonics empty", (d) => (d.machine.vibration[1].vrms_mm_s = []), /machine\.vibration\[1\]\.vrms_mm_s: expected 1 to 100 velocities/],
  ["harmonics not a list", (d) => (d.machine.vibration[1].vrms_mm_s = 2), /machine\.vibration\[1\]\.vrms_mm_s: expected an array, got 2/],
  ["gear teeth", (d) => (d.machine.vibration[6].teeth = 22.5), /machine\.vibration\[6\]\.teeth: expected an integer/],
  ["looseness clip", (d) => (d.machine.vibration[4].clip = 2), /machine\.vibration\[4\]\.clip: 2 is out of range 0\.05\.\.1/],
  ["sine key on imbalance", (d) => (d.machine.vibration[2].freq_hz = 30), /machine\.vibration\[2\]\.freq_hz: unknown key/],
  ["both temperature and thermal", (d) => (d.machine.temperature_c = 40), /^m\.json: machine\.thermal: give machine\.temperature_c \(a profile\) or machine\.thermal \(a model\), not both/],
  ["thermal key", (d) => (d.machine.thermal.tau = 5), /machine\.thermal\.tau: unknown key \(allowed here: ambient_c, rise_c, tau_s, initial_c\)/],
  ["thermal missing tau", (d) => delete d.machine.thermal.tau_s, /machine\.thermal\.tau_s: expected a number, got nothing/],
  ["machine key", (d) => (d.machine.ramp = 2), /machine\.ramp: unknown key \(allowed here: rpm, rpm_ramp_s, vibration, temperature_c, thermal\)/],
  ["set a field the kind lacks", (d) => (d.events[0].path = "machine.vibration[1].severity_g"), /events\[0\]\.path: machine\.vibration\[1\] \(harmonics\) has no field severity_g \(settable: vrms_mm_s\[k\]\)/],
  ["set a harmonic that is not there", (d) => (d.events[1].path = "machine.vibration[1].vrms_mm_s[3]"), /events\[1\]\.path: machine\.vibration\[1\]\.vrms_mm_s has no element 3/],
  ["set a whole list", (d) => (d.events[1].path = "machine.vibration[1].vrms_mm_s"), /events\[1\]\.path: machine\.vibration\[1\] \(harmonics\) has no field vrms_mm_s/],
  ["set geometry", (d) => (d.events[0].path = "machine.vibration[5].bearing"), /\(bearing\) has no field bearing \(settable: severity_g, resonance_hz, damping, jitter\)/],
  ["set temperature_c with a thermal model", (d) => (d.events[3].path = "machine.temperature_c"), /events\[3\]\.path: this machine has a thermal model/],
  ["set thermal without a model", (d) => {
    delete d.machine.thermal;
    d.events.splice(4);
  }, /events\[3\]\.path: this machine has no thermal model/],
  ["set an unknown thermal field", (d) => (d.events[3].path = "machine.thermal.initial_c"), /machine\.thermal has no settable field initial_c/],
  ["set value out of range", (d) => (d.events[0].value = -1), /events\[0\]\.value: -1 is out of range 0\.\.100 for machine\.vibration\[5\]\.severity_g/],
  ["set rpm out of range", (d) => (d.events[2].value = -5), /events\[2\]\.value: -5 is out of range 0\.\.100000 for machine\.rpm/],
  ["set resonance above Nyquist", (d) => d.events.push({ at_s: 1, kind: "set", path: "machine.vibration[5].resonance_hz", value: 2000 }), /events\[5\]\.value: 2000 Hz is at or above the accelerometer's Nyquist/],
];

for (const [name, edit, message] of scenarioErrors) {
  test(`scenario error: ${name}`, (t) => {
    t.throws(() => parseScenario(scenarioVariant(edit), "m.json"), { instanceOf: ScenarioError, message });
  });
}

test("scenario: a lower ODR lowers the Nyquist limit on resonance_hz", (t) => {
  const text = scenarioVariant((d) => {
    d.node = { config: { accelerometer: { odr: 1600 } } };
  });
  t.throws(() => parseScenario(text, "m.json"), { message: /resonance_hz: 1200 Hz is at or above the accelerometer's Nyquist frequency \(800 Hz at node\.config accelerometer\.odr 1600\)/ });
});
