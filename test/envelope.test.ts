/*
 * Bearing diagnostics in the DSP (firmware/dsp/envelope.ts, speed.ts,
 * bearing-analysis.ts) against independent truth: an amplitude-modulated tone
 * whose envelope is known analytically, and the simulator's bearing defects
 * (impacts ringing a resonance, sim/machine), whose defect frequencies this test
 * computes itself from the bearing's geometry.
 */
import test from "ava";
import { Machine, type VibrationComponent } from "../sim/machine/machine.js";
import { FeatureExtractor } from "../firmware/dsp/features.js";
import { EnvelopeSpectrum } from "../firmware/dsp/envelope.js";
import { BearingAnalysis } from "../firmware/dsp/bearing-analysis.js";
import { BEARINGS, defectOrders } from "../firmware/dsp/bearing-geometry.js";

const N = 4096;

/**
 * A 6205 deep-groove ball bearing as the CWRU Bearing Data Center publishes it
 * (SKF 6205-2RS JEM): 9 balls of 0.3126 in on a 1.537 in pitch, 0 deg contact.
 * Its defect frequencies per shaft turn, written here from the textbook formulas
 * (Randall & Antoni, Mech. Syst. Signal Process. 25 (2011), eq. 1-4).
 */
const BALLS = 9;
const BALL_IN = 0.3126;
const PITCH_IN = 1.537;
const RATIO = BALL_IN / PITCH_IN; // cos 0 = 1
const ORDER = {
  bpfo: (BALLS / 2) * (1 - RATIO),
  bpfi: (BALLS / 2) * (1 + RATIO),
  bsf: (PITCH_IN / (2 * BALL_IN)) * (1 - RATIO * RATIO),
  ftf: (1 - RATIO) / 2,
};
/** The sim's 6205, in mm (the same bearing: 0.3126 in = 7.94 mm, 1.537 in = 39.04 mm). */
const SIM_6205 = { balls: 9, ball_d_mm: 7.94, pitch_d_mm: 39.04, contact_deg: 0 };

test("bearing table: the 6205 gives the defect orders written from its published geometry (and CWRU's published orders)", (t) => {
  const o = defectOrders(BEARINGS["6205"]);
  for (const k of ["bpfo", "bpfi", "bsf", "ftf"] as const) t.true(Math.abs(o[k] - ORDER[k]) < 1e-9, `${k} ${o[k]} vs ${ORDER[k]}`);
  // CWRU lists the drive-end 6205's frequencies as multiples of running speed: BPFI 5.4152, BPFO 3.5848, FTF 0.39828, BSF 4.7135 (twice the spin: both races).
  t.true(Math.abs(o.bpfi - 5.4152) < 5e-4 && Math.abs(o.bpfo - 3.5848) < 5e-4 && Math.abs(o.ftf - 0.39828) < 5e-5 && Math.abs(2 * o.bsf - 4.7135) < 5e-4);
});

function windowOf(machine: Machine, axis: number, start: number, odr: number): Float32Array {
  const x = new Float32Array(N);
  for (let i = 0; i < N; i++) x[i] = machine.acceleration(axis as 0 | 1 | 2, start + i / odr);
  return x;
}

test("AM tone: the envelope line sits at the modulation frequency with the modulation's amplitude; rms is its RMS", (t) => {
  const odr = 3200;
  // the default band is 0.3 .. 0.9 x ODR/2 (480 .. 1440 Hz, docs/measurement.md); its geometric centre is where the band-pass is documented at 0 dB
  const fc = Math.sqrt(0.3 * 0.9) * (odr / 2);
  const fm = 37.5; // on a bin of the envelope spectrum (df/2 = 0.390625 Hz at n = 4096): its amplitude spectrum reads a m there
  const a = 0.2;
  const m = 0.5;
  const x = new Float32Array(N);
  for (let i = 0; i < N; i++) x[i] = 1 + a * (1 + m * Math.cos((2 * Math.PI * fm * i) / odr)) * Math.cos((2 * Math.PI * fc * i) / odr);
  const fx = new FeatureExtractor({ n: N, odr });
  const env = fx.createEnvelope();
  const out = EnvelopeSpectrum.createFeatures();
  fx.compute(x, fx.createAxisFeatures());
  // a "bearing" whose outer-race order puts its first line on fm at 1 Hz shaft speed: the amplitude at fm is a m
  env.compute(x, out, 1, 1, { bpfo: fm, bpfi: NaN, bsf: NaN, ftf: NaN }, 0.01);
  t.true(Math.abs(out.fDom - fm) / fm < 0.001, `fDom ${out.fDom}`);
  // the envelope a (1 + m cos) has its line at fm of amplitude a m, its RMS about the mean a m / sqrt 2 (the 2nd and 3rd harmonics hold nothing)
  t.true(Math.abs(out.bpfo - a * m) / (a * m) < 0.03, `line ${out.bpfo} vs ${a * m}`);
  t.true(Math.abs(out.rms - (a * m) / Math.SQRT2) / ((a * m) / Math.SQRT2) < 0.03, `rms ${out.rms}`);
  t.true(out.peak >= a * m * 0.97, `peak ${out.peak} below the modulation's ${a * m}`);
  const spectrum = new Float32Array(N / 2 + 1);
  env.amplitudeSpectrum(spectrum);
  const bin = Math.round(fm / env.binHz);
  t.true(Math.abs(spectrum[bin] - a * m) / (a * m) < 0.03, `amplitude spectrum at ${fm} Hz: ${spectrum[bin]} vs ${a * m}`);
});

interface Case {
  odr: number;
  defect: "bpfo" | "bpfi";
}

/** A motor with a defect on top of imbalance and noise, analysed on one axis at `rpm`. */
function analyse(c: Case, severity: number, rpm: number, seed = 3): { fDom: number; value: number; speed: number } {
  const vibration: VibrationComponent[] = [
    { axis: "all", kind: "imbalance", vrms_mm_s: 2.5 },
    { axis: "all", kind: "noise", g_rms: 0.01 },
    { axis: "all", kind: "bearing", defect: c.defect, severity_g: severity, bearing: SIM_6205 },
  ];
  const machine = new Machine({ seed, rpm, sample_rate_hz: c.odr, vibration });
  const fx = new FeatureExtractor({ n: N, odr: c.odr });
  const analysis = new BearingAnalysis(fx, { orders: defectOrders(BEARINGS["6205"]), rpm: 0 });
  const axis = fx.createAxisFeatures();
  const env = EnvelopeSpectrum.createFeatures();
  const x = windowOf(machine, 0, 10, c.odr);
  analysis.begin();
  fx.compute(x, axis);
  analysis.axis(x, 1, env);
  analysis.finish();
  return { fDom: env.fDom, value: env[c.defect], speed: analysis.speed.rpm };
}

// The three parts' top rates: the sim puts the resonance at 0.4 x ODR, inside the default band 0.3..0.9 x ODR/2.
for (const odr of [3200, 5376, 4000]) {
  for (const defect of ["bpfo", "bpfi"] as const) {
    test(`${defect} at ${odr} Hz: envelope fDom within 1 % of the defect frequency from the geometry; its amplitude grows with severity`, (t) => {
      const rpm = 1780;
      const truth = ORDER[defect] * (rpm / 60);
      const severities = [0.02, 0.05, 0.1, 0.2, 0.4];
      const results = severities.map((s) => analyse({ odr, defect }, s, rpm));
      for (const [i, r] of results.entries()) {
        if (severities[i] < 0.05) continue; // the smallest is at the noise floor: only the ordering below is asked of it
        t.true(Math.abs(r.fDom - truth) / truth < 0.01, `severity ${severities[i]}: fDom ${r.fDom.toFixed(2)} Hz vs ${defect} ${truth.toFixed(2)} Hz`);
        t.true(Math.abs(r.speed - rpm) / rpm < 0.005, `speed ${r.speed}`);
      }
      for (let i = 1; i < results.length; i++) t.true(results[i].value > results[i - 1].value, `${defect} ${results.map((r) => r.value.toFixed(4)).join(" < ")}`);
    });
  }
}

test("speed tracking: within 0.5 % of the true running speed over a 600 -> 3000 rpm ramp, no speed configured; the BPFO band follows it", (t) => {
  const odr = 3200;
  const vibration: VibrationComponent[] = [
    { axis: "all", kind: "imbalance", vrms_mm_s: 3 },
    { axis: "z", kind: "misalignment", vrms_mm_s: 2 },
    { axis: "all", kind: "noise", g_rms: 0.01 },
    { axis: "all", kind: "bearing", defect: "bpfo", severity_g: 0.3, bearing: SIM_6205 },
  ];
  const machine = new Machine({ seed: 5, rpm: 600, rpm_ramp_s: 0, sample_rate_hz: odr, vibration });
  const fx = new FeatureExtractor({ n: N, odr });
  const analysis = new BearingAnalysis(fx, { orders: defectOrders(BEARINGS["6205"]), rpm: 0 });
  const axes = [fx.createAxisFeatures(), fx.createAxisFeatures(), fx.createAxisFeatures()];
  const env = [EnvelopeSpectrum.createFeatures(), EnvelopeSpectrum.createFeatures(), EnvelopeSpectrum.createFeatures()];
  const x = [new Float32Array(N), new Float32Array(N), new Float32Array(N)];
  let time = 0;
  let worst = 0;
  let windows = 0;
  const rampS = 240;
  for (let w = 0; w < 200; w++) {
    if (w === 3) {
      machine.set("rpm_ramp_s", rampS);
      machine.set("rpm", 3000, time);
    }
    // the true speed of a window: the mean of the shaft's speed over its samples
    let sum = 0;
    for (let i = 0; i < N; i++) {
      for (let a = 0; a < 3; a++) x[a][i] = machine.acceleration(a as 0 | 1 | 2, time);
      sum += machine.shaftHz * 60;
      time += 1 / odr;
    }
    const truth = sum / N;
    analysis.begin();
    for (let a = 0; a < 3; a++) {
      fx.compute(x[a], axes[a]);
      analysis.axis(x[a], 1, env[a]);
    }
    analysis.finish();
    const error = Math.abs(analysis.speed.rpm - truth) / truth;
    worst = Math.max(worst, error);
    t.is(analysis.speed.source, "measured");
    // once past the first windows of the ramp the defect band follows: fDom on BPFO at the true speed
    if (w > 3) {
      const bpfo = ORDER.bpfo * (truth / 60);
      t.true(Math.abs(env[0].fDom - bpfo) / bpfo < 0.01, `window ${w}: fDom ${env[0].fDom.toFixed(2)} vs BPFO ${bpfo.toFixed(2)} at ${truth.toFixed(0)} rpm`);
    }
    windows++;
  }
  t.true(worst < 0.005, `worst speed error ${(worst * 100).toFixed(3)} %`);
  t.is(windows, 200);
  t.log(`worst speed error over the ramp: ${(worst * 100).toFixed(3)} %`);
});

test("a configured speed is a hint: the spectrum's speed replaces it when they disagree (a drive moved it), and it stands when nothing is measurable", (t) => {
  const odr = 3200;
  const fx = new FeatureExtractor({ n: N, odr });
  const analysis = new BearingAnalysis(fx, { orders: defectOrders(BEARINGS["6205"]), rpm: 1780 });
  const machine = new Machine({ seed: 9, rpm: 1200, sample_rate_hz: odr, vibration: [{ axis: "all", kind: "imbalance", vrms_mm_s: 3 }, { axis: "all", kind: "noise", g_rms: 0.005 }] });
  const x = windowOf(machine, 0, 5, odr);
  analysis.begin();
  fx.compute(x, fx.createAxisFeatures());
  analysis.axis(x, 1, EnvelopeSpectrum.createFeatures());
  analysis.finish();
  t.is(analysis.speed.source, "measured");
  t.true(Math.abs(analysis.speed.rpm - 1200) / 1200 < 0.005, `rpm ${analysis.speed.rpm}`);
  // a stopped machine (noise only): the configured speed stands
  const quiet = new Machine({ seed: 9, rpm: 0, sample_rate_hz: odr, vibration: [{ axis: "all", kind: "noise", g_rms: 0.005 }] });
  const q = windowOf(quiet, 0, 5, odr);
  analysis.begin();
  fx.compute(q, fx.createAxisFeatures());
  analysis.axis(q, 1, EnvelopeSpectrum.createFeatures());
  analysis.finish();
  t.deepEqual({ rpm: analysis.speed.rpm, source: analysis.speed.source }, { rpm: 1780, source: "configured" });
});

test("speed: every window of a loud outer-race defect within 0.5 %, with a weak axial 1x", (t) => {
  const odr = 3200;
  const rpm = 1780;
  const machine = new Machine({
    seed: 5,
    rpm,
    sample_rate_hz: odr,
    vibration: [
      { axis: "all", kind: "imbalance", vrms_mm_s: 1.0 }, // z (axial) gets a tenth
      { axis: "all", kind: "bearing", defect: "bpfo", severity_g: 0.4, bearing: SIM_6205 },
      { axis: "all", kind: "noise", g_rms: 0.01 },
    ],
  });
  const fx = new FeatureExtractor({ n: N, odr });
  const analysis = new BearingAnalysis(fx, { orders: defectOrders(BEARINGS["6205"]), rpm });
  const axis = fx.createAxisFeatures();
  const env = EnvelopeSpectrum.createFeatures();
  const wrong: string[] = [];
  for (let w = 0; w < 300; w++) {
    analysis.begin();
    for (let a = 0; a < 3; a++) {
      const x = windowOf(machine, a, (w * N) / odr, odr);
      fx.compute(x, axis);
      analysis.axis(x, 1, env);
    }
    analysis.finish();
    if (!(Math.abs(analysis.speed.rpm - rpm) / rpm < 0.005)) wrong.push(`window ${w}: ${analysis.speed.rpm.toFixed(1)} rpm (${analysis.speed.source}, ${analysis.speed.confidence.toFixed(2)})`);
  }
  t.deepEqual(wrong, []);
});
