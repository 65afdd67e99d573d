/*
 * Bearing alarms decided by the node's own monitor on the node's own DSP, over
 * many windows of simulated machines: none on healthy machines with the usual
 * non-bearing faults (imbalance, misalignment, looseness, gear mesh), and, on a
 * growing outer-race defect, the defect's alarm while the ISO velocity zone is
 * still A or B; and the envelope metrics in every rule kind and in a learned baseline.
 */
import test from "ava";
import { Machine, type VibrationComponent } from "../sim/machine/machine.js";
import { FeatureExtractor, type AxisFeatures } from "../firmware/dsp/features.js";
import { EnvelopeSpectrum, type EnvelopeFeatures } from "../firmware/dsp/envelope.js";
import { BearingAnalysis } from "../firmware/dsp/bearing-analysis.js";
import { BEARINGS, defectOrders } from "../firmware/dsp/bearing-geometry.js";
import { Monitor } from "../firmware/monitor/monitor.js";
import { isKnownMetric } from "../firmware/monitor/metrics.js";
import { Baseline } from "../firmware/monitor/baseline.js";

const N = 4096;
const ODR = 3200;
const WINDOW_MS = (N / ODR) * 1000;
/** The bearing rules of the scenario library (docs/monitoring.md): envelope g at each defect frequency. */
const RULES = ["bpfo", "bpfi", "bsf", "ftf"].map((d) => ({ metric: `x.env.${d}`, warning: 0.015, alarm: 0.03, onDelay: 2 }));

class Bench {
  readonly fx = new FeatureExtractor({ n: N, odr: ODR });
  readonly analysis = new BearingAnalysis(this.fx, { orders: defectOrders(BEARINGS["6205"]), rpm: 1780 });
  readonly axis: AxisFeatures = this.fx.createAxisFeatures();
  readonly env: EnvelopeFeatures = EnvelopeSpectrum.createFeatures();
  readonly monitor = new Monitor({ rules: RULES, iso: true, running: { thresholdMmS: 0.5, graceS: 0 }, isoOnDelay: 2 }, isKnownMetric);
  readonly x = new Float32Array(N);
  time = 0;
  windows = 0;

  constructor(readonly machine: Machine) {}

  /** One window on the x axis: features, bearing diagnostics, monitor; the transitions. */
  window(): ReturnType<Monitor["evaluate"]> {
    for (let i = 0; i < N; i++) this.x[i] = this.machine.acceleration(0, this.time + i / ODR);
    this.time += N / ODR;
    this.analysis.begin();
    this.fx.compute(this.x, this.axis);
    this.analysis.axis(this.x, 1, this.env);
    this.analysis.finish();
    this.windows++;
    const read = (metric: string): number | undefined => {
      if (metric === "x.vRms") return this.axis.vRms;
      if (metric.startsWith("x.env.")) return this.env[metric.slice(6) as keyof EnvelopeFeatures];
      return undefined;
    };
    return this.monitor.evaluate(read, this.windows * WINDOW_MS);
  }
}

const noise: VibrationComponent = { axis: "all", kind: "noise", g_rms: 0.01 };
const healthy: [string, VibrationComponent[]][] = [
  ["strong imbalance and misalignment", [{ axis: "all", kind: "imbalance", vrms_mm_s: 6 }, { axis: "all", kind: "misalignment", vrms_mm_s: 4 }, noise]],
  ["looseness", [{ axis: "all", kind: "imbalance", vrms_mm_s: 1.5 }, { axis: "all", kind: "looseness", vrms_mm_s: 5 }, noise]],
  // 31 teeth at 1780 rpm: the mesh at 920 Hz sits inside the envelope band, its 1x sidebands modulate it
  ["gear mesh in the envelope band", [{ axis: "all", kind: "imbalance", vrms_mm_s: 2 }, { axis: "all", kind: "gear", teeth: 31, g_rms: 0.3, sidebands: 0.2 }, noise]],
  ["all of them with running-speed harmonics", [{ axis: "all", kind: "harmonics", vrms_mm_s: [3, 1.5, 1, 0.5] }, { axis: "all", kind: "misalignment", vrms_mm_s: 2 }, { axis: "all", kind: "looseness", vrms_mm_s: 2 }, { axis: "all", kind: "gear", teeth: 23, g_rms: 0.2 }, noise]],
];

test("healthy machines: no bearing warning or alarm over 10 000 windows (2 500 on each of 4 machines)", (t) => {
  let windows = 0;
  for (const [name, vibration] of healthy) {
    const bench = new Bench(new Machine({ seed: 17, rpm: 1780, sample_rate_hz: ODR, vibration }));
    const bearing: string[] = [];
    let largest = 0;
    for (let w = 0; w < 2500; w++) {
      for (const tr of bench.window()) if (tr.metric.startsWith("x.env.")) bearing.push(`${tr.metric} ${tr.level} at window ${w}`);
      largest = Math.max(largest, bench.env.bpfo, bench.env.bpfi, bench.env.bsf, bench.env.ftf);
    }
    windows += bench.windows;
    t.deepEqual(bearing, [], name);
    t.log(`${name}: largest defect value ${largest.toFixed(4)} g over ${bench.windows} windows`);
  }
  t.true(windows >= 10_000);
});

test("outer-race defect growing: its alarm while the ISO velocity zone is A or B and before any other defect's, BPFO amplitude rising with severity", (t) => {
  const bearing: VibrationComponent = { axis: "all", kind: "bearing", defect: "bpfo", severity_g: 0 };
  const machine = new Machine({ seed: 8, rpm: 1780, sample_rate_hz: ODR, vibration: [{ axis: "all", kind: "imbalance", vrms_mm_s: 1.2 }, noise, bearing] });
  const bench = new Bench(machine);
  let alarmAt: { severity: number; zone: string | undefined } | undefined;
  const others: string[] = [];
  const means: number[] = [];
  for (const severity of [0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4]) {
    machine.set("vibration[2].severity_g", severity, bench.time);
    let sum = 0;
    for (let w = 0; w < 20; w++) {
      for (const tr of bench.window()) {
        if (tr.metric === "x.env.bpfo" && tr.level === "alarm" && !alarmAt) alarmAt = { severity, zone: bench.monitor.zone(bench.axis.vRms) };
        // a 6205's 3 x BSF lies within 1.5 % of 2 x BPFO: a loud outer race reaches the ball-spin band too, but only after its own
        if (tr.metric.startsWith("x.env.") && tr.metric !== "x.env.bpfo" && tr.level === "alarm" && !alarmAt) others.push(tr.metric);
      }
      sum += bench.env.bpfo;
    }
    means.push(sum / 20);
  }
  t.truthy(alarmAt, "x.env.bpfo alarmed");
  t.true(alarmAt!.zone === "A" || alarmAt!.zone === "B", `zone at the alarm: ${alarmAt!.zone}`);
  t.deepEqual(others, []);
  for (let i = 1; i < means.length; i++) t.true(means[i] > means[i - 1], `BPFO means ${means.map((m) => m.toFixed(4)).join(" < ")}`);
  t.log(`alarm at severity ${alarmAt!.severity} g, zone ${alarmAt!.zone}`);
});

test("envelope metrics in every rule kind (n of m, rate, latched level) and in baseline learning, fed by the node's DSP", (t) => {
  const bearing: VibrationComponent = { axis: "all", kind: "bearing", defect: "bpfo", severity_g: 0 };
  const machine = new Machine({ seed: 12, rpm: 1780, sample_rate_hz: ODR, vibration: [{ axis: "all", kind: "imbalance", vrms_mm_s: 1.2 }, noise, bearing] });
  const bench = new Bench(machine);
  const monitor = new Monitor(
    {
      rules: [
        { metric: "x.env.bpfo", alarm: 0.03, n: 3, m: 5 },
        { metric: "x.env.rms", kind: "rate", warning: 0.02, spanS: 30 },
        { metric: "x.env.peak", warning: 0.15, latch: true },
      ],
      iso: false,
      running: { thresholdMmS: 0.5, graceS: 0 },
      isoOnDelay: 2,
    },
    isKnownMetric,
  );
  // learn x.env.bpfo over 60 s of the healthy machine, then grow the defect
  const baseline = new Baseline({ metrics: ["x.env.bpfo"], learnS: 60, warning: 1.5, alarm: 3, minSigma: 3, onDelay: 2 });
  const seen = new Set<string>();
  const read = (metric: string): number | undefined => (metric === "x.vRms" ? bench.axis.vRms : metric.startsWith("x.env.") ? bench.env[metric.slice(6) as keyof EnvelopeFeatures] : undefined);
  for (let w = 0; w < 160; w++) {
    if (w === 80) machine.set("vibration[2].severity_g", 0.4, bench.time);
    bench.window();
    const tMs = bench.windows * WINDOW_MS;
    if (baseline.learn(read, tMs, true)) monitor.addRules(baseline.rules(), "baseline");
    for (const tr of monitor.evaluate(read, tMs)) seen.add(`${tr.metric} ${tr.level}`);
  }
  t.true(baseline.ready, "the baseline of x.env.bpfo was learned");
  for (const s of ["x.env.bpfo alarm", "x.env.rms.rate warning", "x.env.peak warning", "x.env.bpfo.baseline alarm"]) t.true(seen.has(s), `${s} in ${[...seen].join(", ")}`);
  // latched: still warning at the end, unacknowledged
  t.is(monitor.states.find((r) => r.rule.name === "x.env.peak")!.level, "warning");
});
