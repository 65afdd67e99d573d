/*
 * `sensor-node provision` over a real pseudo-terminal against `sensor-node sim
 * --factory` (docs/provisioning.md, "Serial (Improv Wi-Fi)"): a wrong password is
 * the node's "unable to connect" (exit 1) and leaves it provisionable; the right
 * one provisions it (exit 0) and prints its redirect URL; a scenario's `wifi` key
 * sets the networks; bad usage exits 2 in one line; and no Wi-Fi password shows
 * in any output of either process.
 */
import test from "ava";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { BIN, runCli } from "./helpers/cli.js";
import { EVENT_CEILING_MS, until } from "./helpers/wait.js";

interface Factory {
  port: string;
  stdout: () => string;
  stderr: () => string;
  stop: () => Promise<number | null>;
}

/** Starts `sim --factory` (info lines too) and waits for its `serial: /dev/pts/N` line. */
async function factory(...args: string[]): Promise<Factory> {
  const child = spawn(process.execPath, [BIN, "sim", "--factory", "--verbose", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  const closed = new Promise<number | null>((resolve) => child.on("close", resolve));
  await until(() => /^serial: \S+$/m.test(stderr) || child.exitCode !== null, "sim --factory to print its serial port");
  const port = /^serial: (\S+)$/m.exec(stderr)?.[1];
  if (!port) throw new Error(`sim --factory printed no serial port:\n${stderr}`);
  return {
    port,
    stdout: () => stdout,
    stderr: () => stderr,
    stop: async () => {
      child.kill("SIGINT");
      return closed;
    },
  };
}

const SECRETS = ["plant-secret", "wrong-password", "mill-pass-123"];

function leaks(...outputs: string[]): string[] {
  return SECRETS.filter((s) => outputs.some((o) => o.includes(s)));
}

test("provision over the pty: a wrong password is the node's error (exit 1), then the right one provisions it (exit 0)", async (t) => {
  const sim = await factory();
  try {
    t.regex(sim.port, /^\/dev\/pts\/\d+$/);
    const wrong = await runCli(["provision", "--port", sim.port, "--ssid", "plant", "--password", "wrong-password"], EVENT_CEILING_MS * 4);
    t.is(wrong.code, 1, wrong.stderr);
    t.regex(wrong.stderr, /the node says: unable to connect/);
    t.is(wrong.stdout, "");

    const right = await runCli(["provision", "--port", sim.port, "--ssid", "plant", "--password", "plant-secret"], EVENT_CEILING_MS * 4);
    t.is(right.code, 0, right.stderr);
    t.regex(right.stdout, /^http:\/\/127\.0\.0\.1:\d+\/\n$/, "the redirect URL (the setup page), alone on stdout");
    t.is(right.stdout.trim(), /^setup: (\S+)$/m.exec(sim.stderr())?.[1] ?? "(none)", "the same page sim --factory announced");
    t.regex(right.stderr, /sensor-node 0\.1\.0 on esp32 \(simulated\), Improv ready/);
    t.regex(right.stderr, /provisioned on "plant"/);

    t.deepEqual(leaks(wrong.stdout, wrong.stderr, right.stdout, right.stderr), []);
  } finally {
    t.is(await sim.stop(), 0);
  }
  t.regex(sim.stderr(), /improv: joined "plant"/, "the node's own log (--verbose) saw it");
  t.deepEqual(leaks(sim.stdout(), sim.stderr()), [], "the simulator's message log and its log lines");
});

test("the scenario's wifi key sets the networks the node can join", async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sensor-node-wifi-"));
  const file = path.join(dir, "mill.json");
  fs.writeFileSync(file, JSON.stringify({ version: 1, duration_s: 3600, machine: {}, wifi: [{ ssid: "mill", password: "mill-pass-123", rssi: -48 }] }));
  const sim = await factory("--scenario", file);
  try {
    const absent = await runCli(["provision", "--port", sim.port, "--ssid", "plant", "--password", "plant-secret"], EVENT_CEILING_MS * 4);
    t.is(absent.code, 1, absent.stderr);
    t.regex(absent.stderr, /unable to connect/);
    const mill = await runCli(["provision", "--port", sim.port, "--ssid", "mill", "--password", "mill-pass-123"], EVENT_CEILING_MS * 4);
    t.is(mill.code, 0, mill.stderr);
    t.deepEqual(leaks(absent.stdout, absent.stderr, mill.stdout, mill.stderr), []);
  } finally {
    await sim.stop();
  }
  t.deepEqual(leaks(sim.stdout(), sim.stderr()), []);
});

test("bad usage exits 2 with one line naming the option, never showing the password", async (t) => {
  const noSsid = await runCli(["provision", "--port", "/dev/null", "--password", "plant-secret"]);
  t.is(noSsid.code, 2);
  t.is(noSsid.stderr, "sensor-node provision: --ssid is required (sensor-node provision --help)\n");

  const short = await runCli(["provision", "--port", "/dev/null", "--ssid", "plant", "--password", "short12"]);
  t.is(short.code, 2);
  t.regex(short.stderr, /^sensor-node provision: --password: expected .* \(got 7 characters\)\n$/);
  t.false(short.stderr.includes("short12"));

  const spaced = await runCli(["provision", "--port", "/dev/null", "--ssid", "plant", "--password", "plant", "secret"]);
  t.is(spaced.code, 2);
  t.false(spaced.stderr.includes("secret"), spaced.stderr);

  const missing = await runCli(["provision", "--port", "/dev/does-not-exist", "--ssid", "plant", "--password", "plant-secret"]);
  t.is(missing.code, 2);
  t.regex(missing.stderr, /^sensor-node provision: --port: cannot open \/dev\/does-not-exist: .*\n$/);

  for (const r of [noSsid, short, spaced, missing]) {
    t.is(r.stdout, "");
    t.false(r.stderr.includes("    at "), "no stack trace");
    t.deepEqual(leaks(r.stderr), []);
  }
});

test("a port with no Improv node on it: exit 1 after the detection ceiling, saying so", async (t) => {
  // A pty pair whose other end nobody answers on: socat links two ptys; we use one end.
  const child = spawn("socat", ["-d", "-d", "pty,raw,echo=0", "pty,raw,echo=0"], { stdio: ["ignore", "ignore", "pipe"] });
  let said = "";
  child.stderr.on("data", (d) => (said += d));
  try {
    await until(() => (said.match(/PTY is \S+/g) ?? []).length === 2, "socat's two ptys");
    const port = /PTY is (\S+)/.exec(said)![1];
    const r = await runCli(["provision", "--port", port, "--ssid", "plant", "--password", "plant-secret"], EVENT_CEILING_MS * 4);
    t.is(r.code, 1);
    t.regex(r.stderr, /^sensor-node provision: no Improv answer \(is a sensor-node on this port\?\) within \d+ s\n$/);
  } finally {
    child.kill();
  }
});
