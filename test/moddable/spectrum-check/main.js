/*
 * Check app for the C spectrum kernel on the real Moddable runtime (not CI; see
 * docs/moddable.md): mcconfig -m -p lin -t build test/moddable/spectrum-check/manifest.json,
 * run it, pipe its output into compare.mjs. Prints JSON lines:
 *   {"features": [x, y, z]}   the feature extractor with the C kernel (this build's firmware/dsp/spectrum)
 *   {"envelope": [x, y, z]}   the envelope with the C pass and kernel (firmware/dsp/demodulate, spectrum)
 *   {"kernel": ...}           C kernel vs the portable FFT (fft.ts) on the same input: error, time per call
 */
import { FeatureExtractor } from "firmware/dsp/features";
import { PowerSpectrum } from "firmware/dsp/spectrum";
import { RealFFT } from "firmware/dsp/fft";
import { BEARINGS, defectOrders } from "firmware/dsp/bearing-geometry";
import { EnvelopeSpectrum } from "firmware/dsp/envelope";
import { envelopeSummary, fill, N, ODR, RPM, summary, TOLERANCE } from "check/signal";

const REPS = 200;
const H = 8; // the feature extractor's first pass does the first three stages

function out(o) {
	trace(JSON.stringify(o) + "\n");
}

const fx = new FeatureExtractor({ n: N, odr: ODR, rpm: RPM });
const axes = [0, 1, 2].map((a) => {
	const s = new Float32Array(N);
	fill(s, a);
	return s;
});
const feats = axes.map(() => fx.createAxisFeatures({ peaks: 5 }));
for (let a = 0; a < 3; a++) fx.compute(axes[a], feats[a]);
out({ features: feats.map(summary) });

const envelope = fx.createEnvelope();
const orders = defectOrders(BEARINGS["6205"]);
const envs = axes.map((s) => {
	const e = EnvelopeSpectrum.createFeatures();
	fx.compute(s, fx.createAxisFeatures());
	envelope.compute(s, e, 1, RPM / 60, orders, TOLERANCE);
	return envelopeSummary(e);
});
out({ envelope: envs });

let t0 = Date.now();
for (let r = 0; r < REPS; r++) for (let a = 0; a < 3; a++) fx.compute(axes[a], feats[a]);
const windowMs = (Date.now() - t0) / REPS;

// the same packed input (as after the first pass: arbitrary blocks) to both kernels
const native = new PowerSpectrum(N);
const portable = new RealFFT(N);
const m = N >> 1;
const re = new Float32Array(m);
const im = new Float32Array(m);
for (let j = 0; j < m; j++) {
	re[j] = Math.sin(j * 0.731) + 0.25 * Math.cos(j * j * 0.01);
	im[j] = Math.cos(j * 1.37) - 0.5 * Math.sin(j * 0.05);
}
const power = portable.power;
function runNative() {
	native.packedRe.set(re);
	native.packedIm.set(im);
	native.powerX4(H);
}
function runPortable() {
	portable.packedRe.set(re);
	portable.packedIm.set(im);
	portable.packedPowerX4(H);
}
runNative();
runPortable();
let err = 0, peak = 0;
for (let k = 0; k <= m; k++) {
	err = Math.max(err, Math.abs(native.power[k] - power[k]));
	peak = Math.max(peak, power[k]);
}
t0 = Date.now();
for (let r = 0; r < REPS; r++) runNative();
const nativeMs = (Date.now() - t0) / REPS;
t0 = Date.now();
for (let r = 0; r < REPS; r++) runPortable();
const portableMs = (Date.now() - t0) / REPS;
out({ kernel: { n: N, h: H, maxErrorOfPeak: err / peak, nativeMsPerCall: nativeMs, portableMsPerCall: portableMs, featuresMsPerWindow: windowMs, reps: REPS } });
out({ done: true });
