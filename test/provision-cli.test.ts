/*
 * `sensor-node sim --factory` as a user runs it (docs/cli.md, docs/provisioning.md):
 * `setup: http://127.0.0.1:PORT/` on stderr, one line, stdout the message log
 * (nothing while unprovisioned); provisioned through the setup API it publishes
 * on the given broker; with --storage the provisioning survives the simulator
 * itself (a second process on the same folder comes up provisioned). Bad flag
 * combinations are usage errors.
 */
import test from "ava";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawn, type ChildProcess } from "node:child_process";
import { startAedes } from "../tools/brokers/broker.js";
import { provisionOverHttp } from "../tools/provision/setup-client.js";
import { BIN, runCli } from "./helpers/cli.js";
import { until } from "./helpers/wait.js";

interface Running {
  child: ChildProcess;
  out: { stdout: string; stderr: string };
  stop(): Promise<number | null>;
}

function start(args: string[]): Running {
  const child = spawn(process.execPath, [BIN, "sim", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  const out = { stdout: "", stderr: "" };
  child.stdout!.on("data", (d) => (out.stdout += d));
  child.stderr!.on("data", (d) => (out.stderr += d));
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  return { child, out, stop: () => (child.kill("SIGTERM"), exited) };
}

test("sim --factory: one setup line on stderr, an empty message log until provisioned, provisioning kept by --storage across processes", async (t) => {
  const broker = await startAedes(0);
  t.teardown(() => broker.close());
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sensor-node-factory-"));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const first = start(["--factory", "--broker", broker.url, "--storage", dir, "--json"]);
  t.teardown(() => void first.child.kill("SIGKILL"));
  await until(() => /^setup: /m.test(first.out.stderr) && /setup key /.test(first.out.stderr), `setup line: ${first.out.stderr}`);
  const setupLines = first.out.stderr.split("\n").filter((l) => l.startsWith("setup: "));
  t.is(setupLines.length, 1);
  t.regex(setupLines[0], /^setup: http:\/\/127\.0\.0\.1:\d+\/$/);
  const url = setupLines[0].slice("setup: ".length);
  const key = /setup key ([A-Z0-9-]+)/.exec(first.out.stderr)![1];
  t.is(first.out.stdout, "", "unprovisioned: nothing published");
  const state = await provisionOverHttp({ url, key, fields: { broker: broker.url, nodeId: "kiln-4" } });
  t.is(state.state, "connected");
  await until(() => first.out.stdout.includes('"topic":"sensors/kiln-4/telemetry"'), "telemetry in the JSON message log");
  for (const line of first.out.stdout.trim().split("\n")) t.notThrows(() => JSON.parse(line), "stdout is JSON lines only");
  t.is(await first.stop(), 0);

  // A new simulator process on the same storage: provisioned at once, no banner, publishing.
  const second = start(["--factory", "--broker", broker.url, "--storage", dir]);
  t.teardown(() => void second.child.kill("SIGKILL"));
  await until(() => / kiln-4 #\d+ normal vRms /.test(second.out.stdout), `telemetry from the second process: ${second.out.stderr}`);
  t.false(second.out.stderr.includes("unprovisioned"), "no unprovisioned banner");
  t.false(second.out.stderr.includes(key), "the setup key is not shown once provisioned");
  t.regex(second.out.stderr, /^setup: http:\/\/127\.0\.0\.1:\d+\/$/m);
  t.is(await second.stop(), 0);
});

test("sim --factory refuses flags that mean more than one node", async (t) => {
  for (const extra of [["--nodes", "3"], ["--dashboard"], ["--workers", "2"]]) {
    const r = await runCli(["sim", "--factory", ...extra], 60_000);
    t.is(r.code, 2, extra.join(" "));
    t.is(r.stderr.trim(), "sensor-node sim: --factory runs one node: no --nodes, --workers or --dashboard");
  }
});
