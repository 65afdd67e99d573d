import test from "ava";
import { parseScenario, ScenarioError } from "../tools/scenario/parse.js";

const base = {
  version: 1,
  seed: 42,
  duration_s: 300,
  node: { accelerometer: "adxl345", temperature: "tmp117", config: {} },
  machine: {
    rpm: 1780,
    vibration: [
      { axis: "x", kind: "sine", freq_hz: 29.7, vrms_mm_s: 2.8 },
      { axis: "all", kind: "noise", g_rms: 0.01 },
    ],
    temperature_c: [
      { at_s: 0, value: 40 },
      { at_s: 300, value: 72 },
    ],
  },
  events: [{ at_s: 60, kind: "set", path: "machine.vibration[0].vrms_mm_s", value: 8.0 }],
};

function parse(doc: unknown) {
  return parseScenario(JSON.stringify(doc), "s.json");
}

function variant(edit: (d: any) => void) {
  const d = structuredClone(base);
  edit(d);
  return d;
}

test("the DESIGN.md core example parses, with the default start epoch", (t) => {
  const s = parse(base);
  t.is(s.seed, 42);
  t.is(s.startMs, Date.parse("2026-01-01T00:00:00Z"));
  t.is(s.machine.vibration.length, 2);
  t.deepEqual(s.events[0], { at_s: 60, kind: "set", path: "machine.vibration[0].vrms_mm_s", value: 8 });
  t.is(parse(variant((d) => (d.machine.temperature_c = 35))).machine.temperature_c, 35);
  t.is(parse(variant((d) => (d.start = "2027-03-01T12:00:00Z"))).startMs, Date.parse("2027-03-01T12:00:00Z"));
});

const errors: [string, (d: any) => void, RegExp][] = [
  ["wrong version", (d) => (d.version = 2), /^s\.json: version: expected 1, got 2/],
  ["unknown top-level key", (d) => (d.sed = 1), /^s\.json: sed: unknown key/],
  ["wrong type", (d) => (d.machine.vibration[0].freq_hz = "30"), /machine\.vibration\[0\]\.freq_hz: expected a number, got "30"/],
  ["unknown component kind", (d) => (d.machine.vibration[1].kind = "pink"), /machine\.vibration\[1\]\.kind: expected one of "sine", "noise"/],
  ["event after the end", (d) => (d.events[0].at_s = 301), /events\[0\]\.at_s: 301 is after the end/],
  ["event on a missing component", (d) => (d.events[0].path = "machine.vibration[5].vrms_mm_s"), /events\[0\]\.path: machine\.vibration has no element 5/],
  ["event on a field the component lacks", (d) => (d.events[0].path = "machine.vibration[1].vrms_mm_s"), /noise\) has no field vrms_mm_s/],
  ["temperature out of order", (d) => (d.machine.temperature_c[1].at_s = -1), /temperature_c\[1\]\.at_s: -1 is out of range/],
  ["bad node config", (d) => (d.node.config = { mqtt: { port: 70000 } }), /node\.config\.mqtt\.port: 70000 is out of range/],
  ["bad start", (d) => (d.start = "yesterday"), /start: expected an ISO 8601 time/],
  ["missing duration", (d) => delete d.duration_s, /duration_s: expected a number, got nothing/],
];

for (const [name, edit, message] of errors) {
  test(`error: ${name}`, (t) => {
    t.throws(() => parse(variant(edit)), { instanceOf: ScenarioError, message });
  });
}

test("text that is not JSON names the file", (t) => {
  t.throws(() => parseScenario("{", "x.json"), { message: /^x\.json: not valid JSON/ });
});
