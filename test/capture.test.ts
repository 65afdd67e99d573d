/* cmd/capture: the next window's raw waveform and spectrum, chunked, reassembled by a client. */
import test from "ava";
import type { NodeSpec } from "../tools/simulator/simulation.js";
import { startRig } from "./helpers/rig.js";
import { until, json } from "./helpers/wait.js";
import { captureMessages } from "../firmware/app/capture.js";

test("capture: the waveform and spectrum of the next window arrive whole and agree with the telemetry", async (t) => {
  const spec: NodeSpec = { nodeId: "cap", seed: 6, machine: { rpm: 3000, vibration: [{ axis: "x", kind: "sine", freq_hz: 50, vrms_mm_s: 5 }], temperature_c: 30 }, config: {} };
  const { observer, runTo, client: connect } = await startRig(t, { spec });
  const client = await connect();
  await runTo(3000);
  await client.publishAsync("sensors/cap/cmd/capture", "", { qos: 1 });
  await until(() => observer.messages.some((m) => m.topic === "sensors/cap/cmd/capture/ack"), "ack");
  const ack = json(observer.messages.find((m) => m.topic === "sensors/cap/cmd/capture/ack")!.payload);
  t.like(ack, { ok: true, id: 1, topic: "sensors/cap/capture/1" });
  await runTo(6000);
  await until(() => observer.messages.filter((m) => m.topic.startsWith("sensors/cap/capture/1/")).length === 22, "22 capture messages");
  const parts = observer.messages.filter((m) => m.topic.startsWith("sensors/cap/capture/1/"));
  const meta = json(parts.find((m) => m.topic.endsWith("/meta"))!.payload);
  t.like(meta, { v: 1, id: 1, odr: 3200, n: 4096, waveChunks: 4, spectrumChunks: 3 });
  const assemble = (kind: string, axis: string, length: number) => {
    const out = new Float64Array(length);
    for (const m of parts.filter((p) => p.topic.includes(`/${kind}/${axis}/`))) {
      const c = json(m.payload);
      out.set(c.data.map((ug: number) => ug / 1e6), c.offset);
    }
    return out;
  };
  const wave = assemble("wave", "x", 4096);
  const mean = wave.reduce((a, b) => a + b, 0) / wave.length;
  const rms = Math.sqrt(wave.reduce((a, b) => a + (b - mean) ** 2, 0) / wave.length);
  const analytic = (5 * Math.SQRT2 * 2 * Math.PI * 50) / 9806.65 / Math.SQRT2; // aRms of 5 mm/s at 50 Hz, g
  t.true(Math.abs(rms - analytic) / analytic < 0.02, `waveform RMS ${rms} g vs ${analytic}`);
  const z = assemble("wave", "z", 4096);
  t.true(Math.abs(z.reduce((a, b) => a + b, 0) / 4096 - 1) < 0.02, "gravity is in the raw z waveform");
  const spectrum = assemble("spectrum", "x", 2049);
  let peak = 0;
  for (let k = 1; k < spectrum.length; k++) if (spectrum[k] > spectrum[peak]) peak = k;
  t.true(Math.abs(peak * meta.df - 50) <= meta.df, `spectrum peak at ${peak * meta.df} Hz`);
  t.true(Math.abs(spectrum[peak] - analytic * Math.SQRT2) / (analytic * Math.SQRT2) < 0.2, "0-peak amplitude");
});

test("capture of a 2-byte count window: the waveform in micro-g of (value - offset) x scale; spectra as given", (t) => {
  // ADXL345 counts (1/256 g, stored count + 32768): 0, +1, -1, +1 g, -4 g
  const x = Uint16Array.from([0, 1, -1, 256, -1024], (c) => c + 32768);
  const spectrum = Float32Array.from([0.5, 0.25, 0.125]);
  const messages = captureMessages({ id: 3, base: "b", ts: undefined, odr: 3200, n: 5, waves: { x, y: x, z: x }, waveUnit: { scale: 1 / 256, offset: 32768 }, spectra: { x: spectrum, y: spectrum, z: spectrum } });
  t.deepEqual(JSON.parse(messages.find((m) => m.topic === "b/capture/3/wave/x/0")!.payload).data, [0, 3906, -3906, 1_000_000, -4_000_000]);
  t.deepEqual(JSON.parse(messages.find((m) => m.topic === "b/capture/3/spectrum/x/0")!.payload).data, [500_000, 250_000, 125_000]);
});
