/*
 * A bearing defect seen by the node's own DSP: crest and kurtosis rise above a
 * healthy machine's, and the spectrum's peaks sit on multiples of the defect
 * frequency computed from the bearing geometry.
 */
import test from "ava";
import { Machine } from "../sim/machine/machine.js";
import { FeatureExtractor } from "../firmware/dsp/features.js";

const ODR = 3200;
const N = 4096;
const RPM = 1780;
const BPFO = (9 / 2) * (RPM / 60) * (1 - 7.94 / 39.04); // 6205 bearing, 0 deg contact: 106.35 Hz

function window(machine: Machine, start: number): Float32Array {
  const x = new Float32Array(N);
  for (let i = 0; i < N; i++) x[i] = machine.acceleration(0, start + i / ODR);
  return x;
}

test("BPFO defect: crest and kurtosis above the healthy baseline, spectral lines at multiples of BPFO", (t) => {
  const base = [
    { axis: "all", kind: "imbalance", vrms_mm_s: 2.5 },
    { axis: "all", kind: "noise", g_rms: 0.01 },
  ] as const;
  const healthy = new Machine({ seed: 3, rpm: RPM, sample_rate_hz: ODR, vibration: [...base] as any });
  const faulty = new Machine({ seed: 3, rpm: RPM, sample_rate_hz: ODR, vibration: [...base, { axis: "all", kind: "bearing", defect: "bpfo", severity_g: 0.4 }] as any });
  const f = new FeatureExtractor({ n: N, odr: ODR, rpm: RPM });
  const h = f.createAxisFeatures({ peaks: 5 });
  const d = f.createAxisFeatures({ peaks: 5 });
  f.compute(window(healthy, 10), h);
  f.compute(window(faulty, 10), d);
  t.true(d.kurtosis! > 2 * h.kurtosis!, `kurtosis ${h.kurtosis} -> ${d.kurtosis}`);
  t.true(d.crest! > 1.5 * h.crest!, `crest ${h.crest} -> ${d.crest}`);
  // Impacts at BPFO ringing a ~1.3 kHz resonance: the largest lines around the resonance are BPFO harmonics.
  const lines = Array.from(d.peaks!.freq.subarray(0, d.peaks!.count)).filter((fHz) => fHz > 200);
  // Each line above 200 Hz is a whole multiple of BPFO (impact timing jitter widens high harmonics: 0.3%).
  const orders = new Set<number>();
  for (const fHz of lines) {
    const k = Math.round(fHz / BPFO);
    t.true(Math.abs(fHz / k - BPFO) / BPFO < 0.003, `${fHz.toFixed(1)} Hz is not a multiple of BPFO ${BPFO.toFixed(2)} (k ${k}: ${(fHz / k).toFixed(2)})`);
    orders.add(k);
  }
  t.true(orders.size >= 3, `lines ${lines.map((x) => x.toFixed(1)).join(", ")}`);
  // ...and not multiples of running speed: the spacing between them is BPFO.
  const sorted = [...orders].sort((a, b) => a - b);
  t.true(sorted.every((k, i) => i === 0 || k - sorted[i - 1] <= 3));
  // The healthy machine's top line is 1x (imbalance), not a bearing line.
  t.true(Math.abs(h.peaks!.freq[0] - RPM / 60) < (2 * ODR) / N, `healthy top peak ${h.peaks!.freq[0]}`);
});
