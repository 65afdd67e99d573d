/*
 * Alarm latency: from the close of the window whose value crosses a level to the
 * alarm PUBLISH written to the socket, as wall-clock processing time, on one
 * simulated node (the real app: acquisition, features, monitor, payload, MQTT
 * client) connected to an embedded aedes broker on loopback, in virtual time.
 *
 * Window close = the app's first feature computation of that window (the
 * FeatureExtractor prototype is wrapped for the run, then restored); end = the
 * host socket's write() of a PUBLISH to `.../alarm`. Baseline: the same span to
 * the telemetry PUBLISH of windows without a transition. XS computrons per
 * monitor evaluation come from the XS run (xs-cases.ts `monitor`).
 */
import { FeatureExtractor } from "../../firmware/dsp/features.js";
import { VirtualClock } from "../../sim/clock.js";
import { startAedes } from "../brokers/broker.js";
import { drive, waitIdle } from "../simulator/drive.js";
import { SimNode, tapWrites } from "../simulator/simulation.js";
import { GOALS } from "./goals.js";
import { roundsText, summarize } from "./rounds.js";
import { goal, median, quantile, type BenchModule, type Figure } from "./types.js";

/**
 * Toggles the node's 1x velocity across both alarm levels (2 and 9 mm/s) every two
 * windows, so each toggle crosses a level, and drives the clock ten windows at a
 * time until `done()` or a bounded number of windows (3 per transition wanted).
 */
export async function toggleUntil(clock: VirtualClock, node: SimNode, windowMs: number, transitions: number, done: () => boolean): Promise<void> {
  let high = false;
  const toggle = clock.set(() => {
    high = !high;
    node.machine.set("machine.vibration[0].vrms_mm_s", high ? 9 : 2);
  }, 3 * windowMs, 2 * windowMs);
  const maxWindows = transitions * 3 + 10;
  let until = clock.now();
  while (!done() && node.app.windows < maxWindows) {
    until += 10 * windowMs;
    await drive({ clock, until, speed: "max", busy: () => node.busy });
  }
  clock.clear(toggle);
}

const WINDOW_MS = (4096 / 3200) * 1000;
/** Whole runs of the full bench: the spread of each percentile is over these. */
const ALARM_ROUNDS = 5;

/** Topic and payload of the PUBLISH packets in one written chunk (MQTT 3.1.1; several packets may share a write). */
export function publishes(bytes: Uint8Array): { topic: string; payload: Uint8Array }[] {
  const out: { topic: string; payload: Uint8Array }[] = [];
  let i = 0;
  while (i + 2 <= bytes.length) {
    const first = bytes[i];
    let len = 0;
    let mul = 1;
    let j = i + 1;
    for (; j < bytes.length; j++) {
      len += (bytes[j] & 0x7f) * mul;
      mul *= 128;
      if ((bytes[j] & 0x80) === 0) break;
    }
    const body = j + 1;
    const end = body + len;
    if (first >> 4 === 3 && body + 2 <= bytes.length) {
      const tl = (bytes[body] << 8) | bytes[body + 1];
      const topic = new TextDecoder().decode(bytes.subarray(body + 2, body + 2 + tl));
      const from = body + 2 + tl + (((first >> 1) & 3) > 0 ? 2 : 0);
      out.push({ topic, payload: bytes.subarray(from, Math.min(end, bytes.length)) });
    }
    i = end;
  }
  return out;
}

/** Topics of the PUBLISH packets in one written chunk. */
function publishTopics(bytes: Uint8Array): string[] {
  return publishes(bytes).map((p) => p.topic);
}

export interface AlarmLatency {
  alarms: number[];
  telemetry: number[];
  windows: number;
}

export async function measureAlarmLatency(transitions: number): Promise<AlarmLatency> {
  const broker = await startAedes(0);
  const clock = new VirtualClock({ epochMs: Date.parse("2026-01-01T00:00:00Z") });
  const node = new SimNode({
    clock,
    spec: {
      nodeId: "bench-1",
      seed: 7,
      machine: { rpm: 1782, vibration: [{ axis: "x", kind: "sine", freq_hz: 29.7, vrms_mm_s: 2 }], temperature_c: 40 },
      config: { monitor: { rules: [{ metric: "x.vRms", warning: 4.5, alarm: 7.1 }], running: { thresholdMmS: 0.5, graceS: 0 } } },
    },
    broker: { host: broker.host, port: broker.port, secure: false },
  });
  const proto = FeatureExtractor.prototype;
  const compute = proto.compute;
  let calls = 0;
  let windowStart = NaN;
  proto.compute = function (this: FeatureExtractor, ...args: Parameters<typeof compute>) {
    if (calls++ % 3 === 0) windowStart = performance.now();
    return compute.apply(this, args);
  };
  const result: AlarmLatency = { alarms: [], telemetry: [], windows: 0 };
  tapWrites(node, (bytes) => {
    const t = performance.now();
    if (windowStart === windowStart) {
      for (const topic of publishTopics(bytes)) {
        if (topic.endsWith("/alarm")) result.alarms.push(t - windowStart);
        else if (topic.endsWith("/telemetry")) {
          result.telemetry.push(t - windowStart);
          windowStart = NaN; // one window, one telemetry message
        }
      }
    }
  });
  try {
    node.start();
    await toggleUntil(clock, node, WINDOW_MS, transitions, () => result.alarms.length >= transitions);
    await waitIdle(() => node.busy, 2000);
    result.windows = node.app.windows;
  } finally {
    proto.compute = compute;
    node.stop();
    await new Promise((r) => setTimeout(r, 50));
    await broker.close();
  }
  return result;
}

export const alarmBench: BenchModule = {
  name: "alarm",
  title: "Alarm latency (window close -> PUBLISH on the socket)",
  quick: true,
  async run(ctx) {
    // Whole runs repeated: the percentiles per round, their median and spread over the rounds.
    const rounds: AlarmLatency[] = [];
    for (let i = 0; i < (ctx.quick ? 3 : ALARM_ROUNDS); i++) {
      const r = await measureAlarmLatency(ctx.quick ? 30 : 200);
      if (r.alarms.length === 0) throw new Error("alarm bench: no alarm PUBLISH seen");
      rounds.push(r);
    }
    const { xs } = await ctx.xs();
    const per = (q: number) => {
      const alarm = summarize(rounds.map((r) => quantile(r.alarms, q)));
      const telemetry = median(rounds.map((r) => quantile(r.telemetry, q)));
      return { ...alarm, telemetry, note: `${roundsText(alarm.spread)} (each a whole run: its own node, broker and transitions)` };
    };
    const p50 = per(0.5);
    const p99 = per(0.99);
    const r = rounds[0];
    const figures: Figure[] = [
      {
        id: "alarm.latency.p50",
        name: `alarm latency p50 (${r.alarms.length} transitions, ${r.windows} windows per round)`,
        value: p50.value,
        unit: "ms",
        baseline: { name: "telemetry p50, no transition", value: p50.telemetry },
        ratio: p50.value / p50.telemetry,
        spread: p50.spread,
        kind: "wall",
        note: p50.note,
      },
      {
        id: "alarm.latency.p99",
        name: "alarm latency p99",
        value: p99.value,
        unit: "ms",
        baseline: { name: "telemetry p99", value: p99.telemetry },
        ratio: p99.value / p99.telemetry,
        spread: p99.spread,
        goal: goal("value", "<=", GOALS.alarmLatencyP99Ms, `<= ${GOALS.alarmLatencyP99Ms} ms`),
        kind: "wall",
        note: p99.note,
      },
      {
        id: "alarm.xs.monitorPerEvaluation",
        name: `monitor evaluation, XS (${xs.monitorRules} rules)`,
        value: xs.monitorPerEvaluation,
        unit: "computrons",
        baseline: { name: "features per window, XS", value: xs.featuresPerWindow },
        ratio: xs.monitorPerEvaluation / xs.featuresPerWindow,
        kind: "deterministic",
        budgets: { "xs.monitorPerEvaluation": xs.monitorPerEvaluation },
      },
    ];
    return figures;
  },
};
