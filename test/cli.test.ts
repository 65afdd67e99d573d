import test from "ava";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runCli } from "./helpers/cli.js";
import { freePort } from "../tools/brokers/broker.js";
import { kindOf, schemaErrors } from "./helpers/schemas.js";

function tempFile(name: string, text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sensor-node-cli-"));
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

test("sim --json prints every message as one JSON object per line, vRms of the 1.8 mm/s sine within 5%", async (t) => {
  const r = await runCli(["sim", "--duration", "10", "--json", "--speed", "max"]);
  t.is(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
  for (const l of lines) {
    t.deepEqual(Object.keys(l), ["t", "topic", "qos", "retain", "payload"]);
    t.is(schemaErrors(kindOf(l.topic)!, l.payload), undefined, l.topic);
  }
  const telemetry = lines.filter((l) => l.topic === "sensors/node-1/telemetry");
  // 10 s at 3200 Hz in 4096-sample windows: 7 whole windows.
  t.is(telemetry.length, 7);
  for (const m of telemetry) {
    t.true(Math.abs(m.payload.vib.x.vRms - 1.8) <= 0.09, `vRms ${m.payload.vib.x.vRms}`);
    t.is(m.payload.v, 1);
    t.is(m.payload.vib.odr, 3200);
    t.is(m.payload.vib.n, 4096);
  }
  t.deepEqual(telemetry.map((m) => m.payload.seq), [...telemetry.keys()].map((i) => telemetry[0].payload.seq + i));
  const status = lines.find((l) => l.topic === "sensors/node-1/status");
  t.is(status.payload.state, "online");
  t.true(status.retain === false || status.retain === true);
});

test("unknown options and bad values exit 2 with a message naming them", async (t) => {
  const unknown = await runCli(["sim", "--speeed", "max"]);
  t.is(unknown.code, 2);
  t.regex(unknown.stderr, /unknown option --speeed.*--speed/);
  const bad = await runCli(["sim", "--speed", "fast"]);
  t.is(bad.code, 2);
  t.regex(bad.stderr, /--speed expects a number or max, got "fast"/);
  const cmd = await runCli(["simulate"]);
  t.is(cmd.code, 2);
  t.regex(cmd.stderr, /unknown command "simulate"/);
});

test("a malformed scenario file exits 2 naming the place in the file", async (t) => {
  const notJson = tempFile("broken.json", "{ version: 1 ");
  const r1 = await runCli(["sim", "--scenario", notJson]);
  t.is(r1.code, 2);
  t.regex(r1.stderr, /broken\.json: not valid JSON/);

  const unknownKey = tempFile("typo.json", JSON.stringify({ version: 1, duration_s: 5, machine: { vibration: [{ axis: "x", kind: "sine", freq_hz: 30, vrms: 2 }] } }));
  const r2 = await runCli(["sim", "--scenario", unknownKey]);
  t.is(r2.code, 2);
  t.regex(r2.stderr, /typo\.json: machine\.vibration\[0\]\.vrms: unknown key/);

  const missing = await runCli(["sim", "--scenario", "/nonexistent/scenario.json"]);
  t.is(missing.code, 2);
  t.regex(missing.stderr, /cannot read \/nonexistent\/scenario\.json: ENOENT/);
});

test("a scenario file drives the machine: a set event changes the measured velocity", async (t) => {
  const file = tempFile(
    "step.json",
    JSON.stringify({
      version: 1,
      seed: 7,
      duration_s: 12,
      machine: { rpm: 1800, vibration: [{ axis: "x", kind: "sine", freq_hz: 30, vrms_mm_s: 2.0 }], temperature_c: 55 },
      events: [{ at_s: 6, kind: "set", path: "machine.vibration[0].vrms_mm_s", value: 6.0 }],
    }),
  );
  const r = await runCli(["sim", "--scenario", file, "--json", "--speed", "max"]);
  t.is(r.code, 0, r.stderr);
  const telemetry = r.stdout.trim().split("\n").map((l) => JSON.parse(l)).filter((l) => l.topic.endsWith("/telemetry"));
  t.true(telemetry.length >= 8);
  t.true(Math.abs(telemetry[0].payload.vib.x.vRms - 2.0) < 0.1, `first ${telemetry[0].payload.vib.x.vRms}`);
  t.true(Math.abs(telemetry.at(-1).payload.vib.x.vRms - 6.0) < 0.3, `last ${telemetry.at(-1).payload.vib.x.vRms}`);
  t.true(Math.abs(telemetry.at(-1).payload.temp.c - 55) < 0.01);
  t.true(Number.isInteger(telemetry[0].t) && telemetry[0].t > Date.parse("2026-01-01T00:00:00Z"), `t ${telemetry[0].t} is virtual wall time in ms`);
});

test("an unreachable broker: the node retries with growing delays, says so, never spins, and the run fails (exit 1) saying why in its last line", async (t) => {
  const port = await freePort(); // nothing listens here
  const r = await runCli(["sim", "--broker", `mqtt://127.0.0.1:${port}`, "--duration", "300", "--speed", "max"]);
  t.is(r.code, 1, r.stderr);
  t.is(r.stderr.trimEnd().split("\n").at(-1), `sensor-node sim: nothing delivered: the broker at mqtt://127.0.0.1:${port} could not be reached`);
  t.regex(r.stderr, new RegExp(`cannot reach the broker at mqtt://127\\.0\\.0\\.1:${port}`));
  const delays = [...r.stderr.matchAll(/connect failed: .*ECONNREFUSED.*; retry in (\d+) ms/g)].map((m) => Number(m[1]));
  // 300 s with a 1 s floor and a 60 s cap: a handful of attempts, never a tight loop.
  t.true(delays.length >= 5 && delays.length <= 20, `${delays.length} attempts: ${delays.join(", ")}`);
  t.true(delays.every((d) => d >= 1000 && d <= 60_000));
  const firstThree = delays.slice(0, 3).reduce((a, b) => a + b, 0);
  const lastThree = delays.slice(-3).reduce((a, b) => a + b, 0);
  t.true(lastThree > firstThree, `delays grow: ${delays.join(", ")}`);
});
