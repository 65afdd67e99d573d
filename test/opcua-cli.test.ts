/*
 * `sensor-node opcua` and `sim --opcua` as a user runs them (docs/cli.md): bad
 * input is one line naming the option with exit code 2, never a stack trace;
 * `sim --opcua` serves the simulated node to an OPC UA client on loopback;
 * an administrator trusts a client by moving its certificate and sending SIGHUP.
 */
import test from "ava";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { MessageSecurityMode, SecurityPolicy, UserTokenType } from "node-opcua-client";
import { runCli, BIN } from "./helpers/cli.js";
import { openSession, readUntil, tempDir } from "./helpers/opcua.js";
import { until } from "./helpers/wait.js";

const badInput: [string, string[], RegExp][] = [
  ["no broker", ["opcua", "--allow-anonymous"], /--broker URL is required/],
  ["a broker URL of another scheme", ["opcua", "--broker", "http://127.0.0.1:1883", "--allow-anonymous"], /--broker: unsupported scheme http:/],
  ["no users and no anonymous access", ["opcua", "--broker", "mqtt://127.0.0.1:1"], /--users FILE is required \(or --allow-anonymous\)/],
  ["a missing users file", ["opcua", "--broker", "mqtt://127.0.0.1:1", "--users", "/nonexistent/users.json"], /--users: cannot read \/nonexistent\/users\.json: ENOENT/],
  ["--opcua-port without --opcua", ["sim", "--opcua-port", "4841"], /--opcua-port needs --opcua/],
  ["a Sparkplug group that is no topic level", ["opcua", "--broker", "mqtt://127.0.0.1:1", "--allow-anonymous", "--sparkplug-group", "plant/a"], /--sparkplug-group "plant\/a" must not contain '\/', '\+' or '#'/],
];

for (const [what, args, message] of badInput) {
  test(`bad input, ${what}: one line naming the option, exit code 2`, async (t) => {
    const r = await runCli(args, 60_000);
    t.is(r.code, 2);
    t.regex(r.stderr, message);
    t.is(r.stderr.trim().split("\n").length, 1, r.stderr);
    t.notRegex(r.stderr, /\n\s+at /, "no stack trace");
  });
}

test("a malformed users file: one line naming it, and never its passwords", async (t) => {
  const dir = tempDir(t, "opcua-users");
  const cases: [string, RegExp][] = [
    ['{"users":[{"name":"scada","password":hunter2}]}', /--users: .*users\.json is not JSON/],
    ['{"users":[{"name":"scada"}]}', /users\[0\]\.password: expected a non-empty string/],
    ['{"users":[]}', /at least one user/],
    ['{"users":[{"name":"a","password":"hunter2"},{"name":"a","password":"hunter2"}]}', /users\[1\]\.name: "a" appears twice/],
  ];
  for (const [text, message] of cases) {
    const file = path.join(dir, "users.json");
    fs.writeFileSync(file, text);
    const r = await runCli(["opcua", "--broker", "mqtt://127.0.0.1:1", "--users", file], 60_000);
    t.is(r.code, 2, text);
    t.regex(r.stderr, message);
    t.is(r.stderr.trim().split("\n").length, 1);
    t.notRegex(r.stderr, /hunter2/);
  }
});

test("a port in use: one line naming --port, exit code 2", async (t) => {
  const taken = net.createServer();
  await new Promise<void>((resolve) => taken.listen(0, resolve));
  t.teardown(() => taken.close());
  const port = (taken.address() as net.AddressInfo).port;
  const r = await runCli(["opcua", "--broker", "mqtt://127.0.0.1:1", "--allow-anonymous", "--certs", tempDir(t, "opcua-pki"), "--port", String(port)], 120_000);
  t.is(r.code, 2);
  t.regex(r.stderr, new RegExp(`--port: ${port} is in use`));
  t.notRegex(r.stderr, /\n\s+at /);
});

test("sim --opcua: the simulated node's values over OPC UA, as its --json output shows them", async (t) => {
  const child = spawn(process.execPath, [BIN, "sim", "--opcua", "--opcua-port", "0", "--json", "--duration", "30"], { stdio: ["ignore", "pipe", "pipe"] });
  t.teardown(() => child.kill("SIGKILL"));
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  await until(() => /opcua: (opc\.tcp:\/\/\S+)/.test(stderr), "the gateway's endpoint on stderr", 120_000);
  const url = /opcua: (opc\.tcp:\/\/\S+)/.exec(stderr)![1];
  t.regex(url, /^opc\.tcp:\/\/127\.0\.0\.1:/);
  const telemetry = () => stdout.split("\n").filter(Boolean).map((l) => JSON.parse(l)).filter((m) => m.topic === "sensors/node-1/telemetry");
  await until(() => telemetry().length >= 2, "telemetry on stdout", 60_000);
  const session = await openSession(t, url);
  // Read until the gateway shows a window the subscriber also printed, then compare that window.
  const dv = await readUntil(session, "node-1/Seq", (v) => telemetry().some((m) => m.payload.seq === v.value.value), "a window the --json output has");
  const window = telemetry().find((m) => m.payload.seq === dv.value.value)!.payload;
  const vRms = await readUntil(session, "node-1/Vibration/X/vRms", (v) => v.sourceTimestamp?.getTime() === window.ts || telemetry().at(-1)!.payload.seq > window.seq, "the same window");
  if (vRms.sourceTimestamp?.getTime() === window.ts) t.is(vRms.value.value, window.vib.x.vRms);
  else t.true(telemetry().some((m) => m.payload.vib.x.vRms === vRms.value.value && m.payload.ts === vRms.sourceTimestamp?.getTime()));
  t.true(stdout.split("\n").filter(Boolean).every((l) => l.startsWith("{")), "stdout stays the JSON message log");
});

test("sensor-node opcua: a client refused until its certificate is moved into trusted/certs and the gateway gets SIGHUP", async (t) => {
  const dir = tempDir(t, "opcua-cli-trust");
  const certs = path.join(dir, "pki");
  const users = path.join(dir, "users.json");
  fs.writeFileSync(users, JSON.stringify({ users: [{ name: "scada", password: "plant-secret-7" }] }));
  const child = spawn(process.execPath, [BIN, "opcua", "--broker", "mqtt://127.0.0.1:1", "--users", users, "--certs", certs, "--port", "0"], { stdio: ["ignore", "pipe", "pipe"] });
  t.teardown(() => child.kill("SIGKILL"));
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  await until(() => /^opc\.tcp:\/\/\S+\n/.test(stdout), "the endpoint on stdout", 120_000);
  const url = stdout.trim();
  const secure = { mode: MessageSecurityMode.SignAndEncrypt, policy: SecurityPolicy.Basic256Sha256, pki: path.join(dir, "client"), identity: { type: UserTokenType.UserName, userName: "scada", password: "plant-secret-7" } } as const;
  await t.throwsAsync(openSession(t, url, secure), undefined, "an unknown client is refused");
  const rejected = fs.readdirSync(path.join(certs, "rejected"));
  t.is(rejected.length, 1, "its certificate waits in rejected/");
  fs.renameSync(path.join(certs, "rejected", rejected[0]), path.join(certs, "trusted", "certs", rejected[0]));
  child.kill("SIGHUP");
  await until(() => /opcua: client certificates: 1 trusted/.test(stderr), "the gateway's word that it read the folders", 120_000);
  const session = await openSession(t, url, secure);
  t.truthy(session.sessionId, "trusted now");
});
