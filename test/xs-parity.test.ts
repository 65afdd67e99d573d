/*
 * XS parity: firmware/sim modules run inside the real XS engine (xsnap) on fixed
 * inputs, and the same code runs in Node; the results must agree.
 * XS computrons and heap counts are logged (t.log) for the cost figures.
 */
import "@endo/init"; // xsnap needs a locked-down process: XS tests live in their own files
import test from "ava";
import { diffNumbers, runXs, withXsSession, xsCase } from "../tools/xs/harness.js";
import { runCaseHere } from "../tools/xs/cases/runtime.js";
import { cases as clockCases } from "./xs/clock-case.js";

test("harness: a script's emitted results, computrons and heap count come back", async (t) => {
  const r = await runXs({ code: `issueCommand(new TextEncoder().encode(JSON.stringify({x: 1})).buffer); let s = 0; for (let i = 0; i < 1000; i++) s += i; issueCommand(new TextEncoder().encode(JSON.stringify(s)).buffer);` });
  t.deepEqual(r.results, [{ x: 1 }, 499500]);
  t.true(r.compute > 1000);
  t.true(r.heapCount > 0);
});

test("harness: Node steps the XS side with commands, each with its own cost", async (t) => {
  await withXsSession({ code: `let n = 0; globalThis.handleCommand = (b) => { const m = JSON.parse(new TextDecoder().decode(new Uint8Array(b))); n += m.add; const out = new TextEncoder().encode(JSON.stringify({n})); return out.buffer; };` }, async (s) => {
    const a = await s.command({ add: 2 });
    const b = await s.command({ add: 3 });
    t.deepEqual([a.reply, b.reply], [{ n: 2 }, { n: 5 }]);
    t.true(a.compute > 0 && b.compute > 0);
  });
});

test("harness: an exception in XS is reported, and the worker is closed", async (t) => {
  await t.throwsAsync(runXs({ code: `throw new Error("boom")` }), { message: /boom|Uncaught/ });
});

test("parity: sim/clock.ts VirtualClock fires the same sequence in XS and Node", async (t) => {
  await withXsSession("test/xs/clock-case.ts", async (s) => {
    const fixed = await xsCase(s, "fixed");
    t.deepEqual(fixed.value, runCaseHere(clockCases, "fixed"));
    t.log(`clock fixed: XS ${fixed.compute} computrons, heap ${fixed.heapCount}`);
    const arg = { seed: 42, count: 500, until: 5000 };
    const random = await xsCase(s, "random", arg);
    const node = runCaseHere(clockCases, "random", arg) as number[];
    t.true(node.length > 1000);
    t.is(diffNumbers(random.value, node, 0, 0), undefined);
    t.log(`clock random (500 timers): XS ${random.compute} computrons, heap ${random.heapCount}`);
  });
});

test("parity: sim bus + ADXL345/TMP117 models + machine give the same register bytes in XS and Node", async (t) => {
  const { cases } = await import("./xs/sim-case.js");
  await withXsSession("test/xs/sim-case.ts", async (s) => {
    const arg = { seed: 7, ms: 1000 };
    const xs = await xsCase(s, "adxl345Fifo", arg);
    const node = runCaseHere(cases, "adxl345Fifo", arg) as { samples: number };
    t.true(node.samples > 3000, `samples ${node.samples}`);
    t.deepEqual(xs.value, node);
    t.log(`sim 1 s of ADXL345 @3200 Hz (${node.samples} samples, burst reads): XS ${xs.compute} computrons, heap ${xs.heapCount}`);
  });
});

test("parity: MQTT encode of a fixed packet set is byte-identical in XS and Node (and to mqtt-packet)", async (t) => {
  const { cases, fixedPackets } = await import("./xs/mqtt-case.js");
  const mqttPacket = (await import("mqtt-packet")).default as unknown as { generate(p: unknown): Uint8Array };
  await withXsSession("test/xs/mqtt-case.ts", async (s) => {
    const xs = await xsCase(s, "encodeAll");
    const node = runCaseHere(cases, "encodeAll") as number[][];
    t.deepEqual(xs.value, node);
    // the oracle: mqtt-packet generates the same bytes in Node
    const oracle = fixedPackets().map((p) => {
      const q = { ...(p as unknown as Record<string, unknown>) };
      for (const k of ["payload", "password"]) if (q[k] instanceof Uint8Array) q[k] = Buffer.from(q[k] as Uint8Array);
      if (q.will) q.will = { ...(q.will as object), payload: Buffer.from((q.will as { payload: Uint8Array }).payload) };
      if (q.cmd === "connect") q.protocolId = "MQTT";
      return Array.from(mqttPacket.generate(q));
    });
    t.deepEqual(node, oracle);
    t.log(`mqtt encode ${node.length} packets: XS ${xs.compute} computrons, heap ${xs.heapCount}`);
    const arg = { repeat: 20 };
    const rx = await xsCase(s, "roundTrip", arg);
    t.deepEqual(rx.value, runCaseHere(cases, "roundTrip", arg));
    t.log(`mqtt encode+parse 20x set (${(rx.value as { bytes: number }).bytes} bytes): XS ${rx.compute} computrons, heap ${rx.heapCount}`);
  });
});

test("parity: FFT and features of a fixed seeded signal agree within 1e-9 (relative) in XS and Node", async (t) => {
  const { cases } = await import("./xs/dsp-case.js");
  await withXsSession("test/xs/dsp-case.ts", async (s) => {
    const fftArg = { n: 1024, seed: 3 };
    const fx = await xsCase(s, "fft", fftArg);
    t.is(diffNumbers(fx.value, runCaseHere(cases, "fft", fftArg), 1e-9, 1e-9), undefined);
    t.log(`fft 1024 (incl. setup): XS ${fx.compute} computrons`);
    const arg = { n: 4096, odr: 3200, seed: 11 };
    const prep = await xsCase(s, "prepare", arg);
    t.deepEqual(prep.value, runCaseHere(cases, "prepare", arg));
    const xs = await xsCase(s, "features");
    const node = runCaseHere(cases, "features") as { fDom: number; vRms: number };
    t.is(diffNumbers(xs.value, node, 1e-9), undefined, JSON.stringify({ xs: xs.value, node }));
    t.true(Math.abs(node.fDom - 29.7) < 1, `fDom ${node.fDom}`);
    const again = await xsCase(s, "features");
    t.deepEqual(again.value, xs.value);
    t.log(`features (4096 samples @3200 Hz): ${JSON.stringify(xs.value)}`);
    t.log(`features: XS ${xs.compute} computrons (again ${again.compute}), heap ${xs.heapCount} -> ${again.heapCount}; prepare ${prep.compute} computrons, heap ${prep.heapCount}`);
  });
});

test("parity: full feature set (crest, kurtosis, hfRms, peaks, orders) within 1e-9 in XS and Node; computrons per sample per axis", async (t) => {
  const { cases } = await import("./xs/features-case.js");
  await withXsSession("test/xs/features-case.ts", async (s) => {
    const n = 4096;
    const arg = { n, odr: 3200, seed: 11, rpm: 1782, hfBandHz: [1000, 1590] };
    const prep = await xsCase(s, "prepare", arg);
    t.deepEqual(prep.value, runCaseHere(cases, "prepare", arg));
    const xs = await xsCase(s, "features");
    const node = runCaseHere(cases, "features") as { fDom: number; kurtosis: number; hfRms: number; peaks: { count: number; freq: number[] }; orders: { vRms: number[] } };
    t.is(diffNumbers(xs.value, node, 1e-9), undefined, JSON.stringify({ xs: xs.value, node }));
    t.true(Math.abs(node.fDom - 29.7) < 1, `fDom ${node.fDom}`);
    t.true(node.kurtosis > 3, `impacts raise kurtosis: ${node.kurtosis}`);
    t.true(node.hfRms > 0.03 / Math.SQRT2 && node.hfRms < 0.03, `hfRms ${node.hfRms}: the 1500 Hz tone plus the impacts' HF share`);
    t.is(node.peaks.count, 5);
    t.true(node.orders.vRms.every((v) => v > 0));
    const sx = await xsCase(s, "spectrum");
    t.is(diffNumbers(sx.value, runCaseHere(cases, "spectrum"), 1e-6), undefined, "Float32 spectrum");
    const cost = await xsCase(s, "computeOnly");
    const again = await xsCase(s, "computeOnly");
    const base = await xsCase(s, "baseline");
    const base2 = await xsCase(s, "baseline");
    t.is(cost.compute, again.compute, "steady state");
    // the command round trip itself allocates a little: compare with the bare loop's step
    const grow = again.heapCount - cost.heapCount;
    const baseGrow = base2.heapCount - base.heapCount;
    t.true(grow <= baseGrow, `no allocation per window: heap +${grow} per compute vs +${baseGrow} per bare loop step`);
    const perSample = cost.compute / n;
    t.log(`features (all) 4096 @3200 Hz: ${JSON.stringify(node)}`);
    t.log(`full feature set: XS ${cost.compute} computrons = ${perSample.toFixed(1)} per sample per axis; bare loop (sum of samples) ${base.compute} = ${(base.compute / n).toFixed(1)} per sample; heap +${grow} per step (bare loop step +${baseGrow})`);
    t.true(perSample < 400, `computrons per sample ${perSample}`);
  });
});

test("parity: Sparkplug B payloads and an edge-node session are byte-identical in XS and Node", async (t) => {
  const { cases } = await import("./xs/sparkplug-case.js");
  await withXsSession("test/xs/sparkplug-case.ts", async (s) => {
    const enc = await xsCase(s, "encodeAll");
    t.deepEqual(enc.value, runCaseHere(cases, "encodeAll"));
    const arg = { windows: 40 };
    const xs = await xsCase(s, "session", arg);
    const node = runCaseHere(cases, "session", arg) as { messages: unknown[]; stats: Record<string, number> };
    t.deepEqual(xs.value, node);
    t.true(node.messages.length > 40);
    t.log(`sparkplug session (40 windows, ${node.messages.length} messages, ${JSON.stringify(node.stats)}): XS ${xs.compute} computrons, heap ${xs.heapCount}; encode fixed set: ${enc.compute} computrons`);
  });
});
