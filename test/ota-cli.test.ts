/*
 * The update path from the command line, process to process (docs/ota.md):
 * `ota keygen`, `ota pack --target sim`, `sim --ota-key` / `sim --image`, and
 * `ota push` against the running simulator through mosquitto. Each process is
 * the real CLI; the waits are for their output lines and exits.
 */
import test from "ava";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startMosquitto } from "../tools/brokers/broker.js";
import { BIN, runCli } from "./helpers/cli.js";
import { until } from "./helpers/wait.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sensor-node-ota-cli-"));
test.after.always(() => fs.rmSync(dir, { recursive: true, force: true }));

/** `sensor-node sim ...` in the background; its stdout lines (--json) as they come. */
function startSim(t: import("ava").ExecutionContext, args: string[]) {
  const child = spawn(process.execPath, [BIN, "sim", "--json", "--speed", "1", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  const lines: any[] = [];
  let stderr = "";
  let rest = "";
  child.stdout.on("data", (d) => {
    const parts = (rest + d).split("\n");
    rest = parts.pop()!;
    for (const p of parts) if (p.trim()) lines.push(JSON.parse(p));
  });
  child.stderr.on("data", (d) => (stderr += d));
  t.teardown(() => void child.kill("SIGKILL"));
  // Each simulator's subscriber sees the whole broker: a node's statuses are those on its own topic.
  return { lines, stderr: () => stderr, statuses: (nodeId: string) => lines.filter((l) => l.topic === `sensors/${nodeId}/status`).map((l) => l.payload) };
}

test("keygen, pack, sim --ota-key, push: the node runs the new version; nodes on the development key refuse it", async (t) => {
  const broker = await startMosquitto();
  t.teardown(() => broker.close());
  const keys = path.join(dir, "keys");
  t.is((await runCli(["ota", "keygen", keys])).code, 0);
  const pkg = path.join(dir, "release.snup");
  const packed = await runCli(["ota", "pack", "--target", "sim", "--version", "0.7.0", "--key", path.join(keys, "ota-private.pem"), pkg]);
  t.is(packed.code, 0, packed.stderr);

  // One simulator trusts the new key, the other the development key (no --ota-key).
  const trusting = startSim(t, ["--broker", broker.url, "--ota-key", path.join(keys, "ota-public.pem"), "--scenario", scenario("plant-a")]);
  const stranger = startSim(t, ["--broker", broker.url, "--scenario", scenario("plant-b")]);
  await until(() => trusting.statuses("plant-a").some((s) => s.state === "online") && stranger.statuses("plant-b").some((s) => s.state === "online"), "both simulators online");

  const ok = await runCli(["ota", "push", "--broker", broker.url, "--image", pkg, "--node", "plant-a", "--confirm-timeout", "600"]);
  t.is(ok.code, 0, ok.stdout + ok.stderr);
  t.regex(ok.stdout, /plant-a\s+0\.1\.0\s+0\.7\.0\s+confirmed/);
  await until(() => trusting.statuses("plant-a").some((s) => s.fw === "0.7.0" && s.ota?.state === "confirmed"), "the new version in status");

  const refused = await runCli(["ota", "push", "--broker", broker.url, "--image", pkg, "--node", "plant-b", "--confirm-timeout", "600"]);
  t.is(refused.code, 1, refused.stdout + refused.stderr);
  t.regex(refused.stdout, /plant-b\s+0\.1\.0\s+0\.7\.0\s+refused/);
  t.regex(refused.stdout, /bad-signature/);
  t.false(stranger.statuses("plant-b").some((s) => s.fw === "0.7.0"));
});

test("sim --image starts the nodes from a package; a package for esp32 or a damaged one is one line, exit 2", async (t) => {
  const keys = path.join(dir, "keys2");
  await runCli(["ota", "keygen", keys]);
  const pkg = path.join(dir, "start.snup");
  t.is((await runCli(["ota", "pack", "--target", "sim", "--version", "0.9.1", "--key", path.join(keys, "ota-private.pem"), pkg])).code, 0);
  const run = await runCli(["sim", "--image", pkg, "--json", "--speed", "max", "--duration", "3"]);
  t.is(run.code, 0, run.stderr);
  const statuses = run.stdout.split("\n").filter(Boolean).map((l) => JSON.parse(l)).filter((m) => m.topic.endsWith("/status"));
  t.is(statuses.find((s) => s.payload.state === "online")?.payload.fw, "0.9.1");

  const esp32 = path.join(dir, "esp32.snup");
  const bin = path.join(dir, "app.bin");
  fs.writeFileSync(bin, Buffer.alloc(4096, 0xe9));
  t.is((await runCli(["ota", "pack", "--target", "esp32", "--version", "0.9.1", "--key", path.join(keys, "ota-private.pem"), "--bin", bin, esp32])).code, 0);
  const damaged = path.join(dir, "damaged.snup");
  const bytes = fs.readFileSync(pkg);
  bytes[bytes.length - 10] ^= 0xff;
  fs.writeFileSync(damaged, bytes);
  for (const [file, pattern] of [
    [esp32, /--image: .*esp32\.snup is a package for esp32; the simulator runs sim packages/],
    [damaged, /--image: .*damaged\.snup: the payload's SHA-256 is not the header's/],
    [bin, /--image: .*app\.bin is not an update package/],
  ] as const) {
    const r = await runCli(["sim", "--image", file, "--duration", "1"]);
    t.is(r.code, 2, file);
    t.regex(r.stderr.trim(), pattern);
    t.is(r.stderr.trim().split("\n").length, 1);
  }
});

/** A one-node scenario file whose node is `nodeId` (two simulators on one broker need distinct ids). */
function scenario(nodeId: string): string {
  const file = path.join(dir, `${nodeId}.json`);
  fs.writeFileSync(file, JSON.stringify({ version: 1, name: nodeId, duration_s: 600, node: { config: { nodeId } }, machine: { rpm: 1480, vibration: [{ axis: "x", kind: "sine", freq_hz: 24.67, vrms_mm_s: 1.0 }], temperature_c: 40 } }));
  return file;
}
