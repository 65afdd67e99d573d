// Compares the check app's {"features": ...} and {"envelope": ...} lines (stdin) with the same values computed
// in Node by the portable kernel and pass (build/, so run `npm run build` first). Prints the largest relative
// difference per feature (envelope features as env.<name>).
import { readFileSync } from "node:fs";
import { FeatureExtractor } from "../../../build/firmware/dsp/features.js";
import { EnvelopeSpectrum } from "../../../build/firmware/dsp/envelope.js";
import { BEARINGS, defectOrders } from "../../../build/firmware/dsp/bearing-geometry.js";
import { envelopeSummary, fill, N, ODR, RPM, summary, TOLERANCE } from "./signal.js";

const lines = readFileSync(0, "utf8").split("\n").map((l) => l.slice(l.indexOf("{"))).filter((l) => l.startsWith("{"));
const xs = lines.map((l) => JSON.parse(l));
const device = xs.find((o) => o.features)?.features;
if (!device) throw new Error("no {\"features\"} line on stdin");
const fx = new FeatureExtractor({ n: N, odr: ODR, rpm: RPM });
const node = [0, 1, 2].map((a) => {
  const s = new Float32Array(N);
  fill(s, a);
  const f = fx.createAxisFeatures({ peaks: 5 });
  fx.compute(s, f);
  return summary(f);
});
const worst = {};
const rel = (a, b) => (a === b ? 0 : Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b)));
const walk = (key, a, b) => {
  if (Array.isArray(a)) return a.forEach((v, i) => walk(key, v, b[i]));
  worst[key] = Math.max(worst[key] ?? 0, rel(a, b));
};
for (let a = 0; a < 3; a++) for (const k of Object.keys(node[a])) walk(k, device[a][k], node[a][k]);
const deviceEnvelope = xs.find((o) => o.envelope)?.envelope;
if (!deviceEnvelope) throw new Error("no {\"envelope\"} line on stdin");
const envelope = fx.createEnvelope();
const nodeEnvelope = [0, 1, 2].map((a) => {
  const s = new Float32Array(N);
  fill(s, a);
  const e = EnvelopeSpectrum.createFeatures();
  fx.compute(s, fx.createAxisFeatures());
  envelope.compute(s, e, 1, RPM / 60, defectOrders(BEARINGS["6205"]), TOLERANCE);
  return envelopeSummary(e);
});
for (let a = 0; a < 3; a++) for (const k of Object.keys(nodeEnvelope[a])) walk(`env.${k}`, deviceEnvelope[a][k], nodeEnvelope[a][k]);
console.log(JSON.stringify({ node, worstRelativeDifference: worst, kernel: xs.find((o) => o.kernel)?.kernel }, null, 1));
