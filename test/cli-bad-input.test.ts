/*
 * The CLI's bad-input corpus (docs/cli.md, "Exit codes"): every command and
 * option given something wrong, run as a user runs it (node bin/sensor-node.js,
 * built). Each case must end (a kill after a generous ceiling fails it: the
 * ceiling catches a hang, it is not a pace), with the documented exit code,
 * and say why in one line on stderr naming the option, file or field: no
 * stack trace, no runtime warnings. A run that fails (exit 1) may have logged
 * the nodes' own lines before; its last line says why, and the log stays short.
 */
import test from "ava";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { runCli, type CliResult } from "./helpers/cli.js";
import { imbalancedMachine } from "./helpers/scenario-files.js";

/** Real ms one case may take before it is killed (and failed): a hang catcher, far beyond any case. */
const CEILING_MS = 180_000;
/** Cases run a few at a time: the machine has two cores and other suites beside this one. */
const PARALLEL = 3;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sensor-node-corpus-"));
const file = (name: string, text: string) => {
  const f = path.join(dir, name);
  fs.writeFileSync(f, text);
  return f;
};
const scenario = { version: 1, name: "corpus", seed: 3, duration_s: 5, machine: imbalancedMachine(1, 0.004) };
const ok = file("ok.json", JSON.stringify(scenario));
const broken = file("broken.json", "{ version: 1 ");
const typo = file("typo.json", JSON.stringify({ ...scenario, machine: { ...scenario.machine, temperature: 40 } }));
const fleet = file("fleet.json", JSON.stringify({ ...scenario, fleet: [{ name: "pumps", count: 2 }] }));
const badKey = file("bad-key.json", JSON.stringify({ mqtt: { hots: "broker.local" } }));
const badPort = file("bad-port.json", JSON.stringify({ mqtt: { port: 70000 } }));
const notJson = file("not-json.json", "mqtt:\n  port: 1883\n");
const lis3dhOverlap = file("lis3dh-overlap.json", JSON.stringify({ accelerometer: { kind: "lis3dh", odr: 5376 }, window: { overlap: 0.75 } }));
const autoOverlap = file("auto-overlap.json", JSON.stringify({ window: { overlap: 0.75 } }));
const shortRing = file("short-ring.json", JSON.stringify({ accelerometer: { kind: "adxl345" }, machine: { bearing: "6205" }, acquisition: { ringMs: 500 } }));
const folder = fs.mkdtempSync(path.join(dir, "a-folder-"));
const WIFI = ["--port", "/dev/null", "--ssid", "plant", "--password", "plant-secret"];

/** A port this process listens on for the whole file: "in use" for the CLI. */
const busy = net.createServer();
const busyPort = new Promise<number>((resolve) => busy.listen(0, "127.0.0.1", () => resolve((busy.address() as net.AddressInfo).port)));
/** 8080, the dashboard's default, made busy (here, or by whoever already holds it). */
const default8080 = net.createServer();
const holding8080 = new Promise<void>((resolve) => {
  default8080.once("error", () => resolve()); // someone else holds it: busy all the same
  default8080.listen(8080, "127.0.0.1", () => resolve());
});
test.after.always(() => {
  busy.close();
  default8080.close();
});

type Args = string[] | (() => Promise<string[]>);
interface Case {
  args: Args;
  code: 0 | 1 | 2;
  /** What the one line (the last line, for exit 1) must say: the option, file or field. */
  says: RegExp;
  openFiles?: number;
}

const usage = (args: Args, says: RegExp, openFiles?: number): Case => ({ args, code: 2, says, openFiles });
const failed = (args: Args, says: RegExp): Case => ({ args, code: 1, says });
const withPort = (make: (port: number) => string[]) => async () => make(await busyPort);
/** Nobody listens on port 1 (privileged, unassigned): a free port could be taken by another run meanwhile. */
const NOBODY = "mqtt://127.0.0.1:1";

const CASES: Record<string, Case> = {
  // the command itself
  "no command": usage([], /^sensor-node: no command given/),
  "an unknown command": usage(["simulate"], /^sensor-node: unknown command "simulate"/),
  "an option for a command": usage(["--nodes", "2"], /unknown command "--nodes"/),

  // sim: --broker
  "sim --broker http://x": usage(["sim", "--broker", "http://x"], /--broker: unsupported scheme http:/),
  "sim --broker ws://x": usage(["sim", "--broker", "ws://x"], /--broker: unsupported scheme ws:/),
  "sim --broker without a scheme": usage(["sim", "--broker", "127.0.0.1:1883"], /--broker: "127\.0\.0\.1:1883" has no scheme: write mqtt:\/\/127\.0\.0\.1:1883/),
  "sim --broker mqtt://:99999": usage(["sim", "--broker", "mqtt://:99999"], /--broker: "mqtt:\/\/:99999" has no host/),
  "sim --broker with a port out of range": usage(["sim", "--broker", "mqtt://127.0.0.1:99999"], /--broker: .* has port 99999, outside 1\.\.65535/),
  "sim --broker with a path": usage(["sim", "--broker", "mqtt://127.0.0.1:1883/sensors"], /--broker: .* has more than host and port \("\/sensors"\)/),
  // sim: numbers
  "sim --nodes 0": usage(["sim", "--nodes", "0"], /--nodes must be between 1 and \d+, got 0/),
  "sim --nodes 100000": usage(["sim", "--nodes", "100000"], /--nodes must be between 1 and \d+, got 100000/),
  "sim --nodes 2.5": usage(["sim", "--nodes", "2.5"], /--nodes expects a whole number, got 2\.5/),
  "sim --nodes beyond the open-file limit": usage(["sim", "--nodes", "1000"], /--nodes: 1000 nodes need about \d+ open files .* \(1024, ulimit -n\): use at most \d+ nodes/, 1024),
  "sim --speed fast": usage(["sim", "--speed", "fast"], /--speed expects a number or max, got "fast"/),
  "sim --speed 0": usage(["sim", "--speed", "0"], /--speed must be between/),
  "sim --duration -1": usage(["sim", "--duration", "-1"], /--duration must be between/),
  "sim --seed -1": usage(["sim", "--seed", "-1"], /--seed must be between/),
  "sim --workers 0": usage(["sim", "--workers", "0"], /--workers must be between/),
  "sim --cpu-rate 5": usage(["sim", "--cpu-rate", "5"], /--cpu-rate must be between/),
  // sim: words and flags
  "sim --payload xml": usage(["sim", "--payload", "xml"], /--payload expects json or sparkplug, got "xml"/),
  "sim --cpu arm": usage(["sim", "--cpu", "arm"], /--cpu must be esp32 or free, got "arm"/),
  "sim --cpu free --cpu-rate": usage(["sim", "--cpu", "free", "--cpu-rate", "1000000"], /--cpu-rate needs the CPU model/),
  "sim --json=yes": usage(["sim", "--json=yes"], /--json takes no value/),
  "sim --verbose=1": usage(["sim", "--verbose=1"], /--verbose takes no value/),
  "sim --storage without a folder": usage(["sim", "--storage"], /--storage needs a value/),
  "sim --duration followed by an option": usage(["sim", "--duration", "--json"], /--duration needs a value/),
  "sim --speeed": usage(["sim", "--speeed", "max"], /unknown option --speeed \(did you mean --speed\?\)/),
  "sim with an argument": usage(["sim", "fast"], /unexpected argument "fast"/),
  // sim: ports
  "sim --port without --dashboard": usage(["sim", "--port", "9000"], /--port goes with --dashboard/),
  "sim --dashboard --port in use": usage(withPort((p) => ["sim", "--dashboard", "--port", String(p), "--duration", "1"]), /--port: \d+ is in use/),
  "sim --dashboard with 8080 in use": usage(async () => (await holding8080, ["sim", "--dashboard", "--duration", "1"]), /--port: 8080 is in use/),
  "sim --port 70000": usage(["sim", "--dashboard", "--port", "70000"], /--port must be between 0 and 65535/),
  "sim --opcua-port without --opcua": usage(["sim", "--opcua-port", "4841"], /--opcua-port needs --opcua/),
  "sim --opcua --opcua-port in use": usage(withPort((p) => ["sim", "--opcua", "--opcua-port", String(p), "--duration", "1"]), /--opcua-port: \d+ is in use/),
  // sim: modes that do not go together
  "sim --factory --nodes 2": usage(["sim", "--factory", "--nodes", "2"], /--factory runs one node/),
  "sim --factory --opcua": usage(["sim", "--factory", "--opcua"], /--factory runs one unprovisioned node: no --opcua/),
  "sim --factory --port in use": usage(withPort((p) => ["sim", "--factory", "--port", String(p)]), /--port: \d+ is in use/),
  "sim --workers with --scenario": usage(["sim", "--workers", "2", "--scenario", ok], /--workers runs a fleet of generated machines; it does not take --scenario/),
  // sim: --scenario
  "sim --scenario, a missing file": usage(["sim", "--scenario", path.join(dir, "none.json")], /--scenario: cannot read .*none\.json: ENOENT \(no such file or folder\)/),
  "sim --scenario, a folder": usage(["sim", "--scenario", folder], /--scenario: cannot read .*a-folder-.*: EISDIR/),
  "sim --scenario, not JSON": usage(["sim", "--scenario", broken], /broken\.json: not valid JSON/),
  "sim --scenario, an unknown key": usage(["sim", "--scenario", typo], /typo\.json: machine\.temperature: unknown key/),
  "sim --scenario, a fleet file": usage(["sim", "--scenario", fleet], /fleet\.json: a fleet file/),
  "sim --scenario --broker mqtts://": usage(["sim", "--scenario", ok, "--broker", "mqtts://127.0.0.1:8883"], /--broker: a scenario run \(--scenario\) speaks plain MQTT/),
  "sim --scenario --nodes 1001": usage(["sim", "--scenario", ok, "--nodes", "1001"], /--nodes: at most 1000 copies of a scenario's node/),

  // scenario
  "scenario without a file": usage(["scenario"], /^sensor-node scenario: missing FILE/),
  "scenario, a missing file": usage(["scenario", path.join(dir, "none.json")], /^sensor-node scenario: cannot read .*none\.json: ENOENT/),
  "scenario, two files": usage(["scenario", ok, ok], /unexpected argument/),
  "scenario --broker foo://x:1": usage(["scenario", ok, "--broker", "foo://x:1"], /--broker: unsupported scheme foo:/),
  "scenario --broker mqtts://": usage(["scenario", ok, "--broker", "mqtts://127.0.0.1:8883"], /--broker: the scenario runner speaks plain MQTT/),
  "scenario --junit into a missing folder": usage(["scenario", ok, "--junit", "/nonexistent-dir/x.xml"], /--junit: cannot write \/nonexistent-dir\/x\.xml: ENOENT \(\/nonexistent-dir does not exist\)/),
  "scenario --junit onto a folder": usage(["scenario", ok, "--junit", folder], /--junit: cannot write .*: it is a folder/),
  "scenario --target cloud": usage(["scenario", ok, "--target", "cloud"], /--target expects sim or device, got "cloud"/),
  "scenario --node without --target device": usage(["scenario", ok, "--node", "n1"], /--node goes with --target device/),
  "scenario --port without --dashboard": usage(["scenario", ok, "--port", "9000"], /--port goes with --dashboard/),
  "scenario --dashboard --port in use": usage(withPort((p) => ["scenario", ok, "--dashboard", "--port", String(p)]), /--port: \d+ is in use/),
  "scenario --speed never": usage(["scenario", ok, "--speed", "never"], /--speed expects a number or max/),
  "scenario --cpu arm": usage(["scenario", ok, "--cpu", "arm"], /--cpu must be esp32 or free/),
  "scenario --target device without --broker": usage(["scenario", ok, "--target", "device"], /--broker URL is required/),
  "scenario --target device without --node": usage(["scenario", ok, "--target", "device", "--broker", "mqtt://127.0.0.1:1883"], /--node ID is required/),
  "scenario --target device --speed": usage(["scenario", ok, "--target", "device", "--broker", "mqtt://127.0.0.1:1883", "--node", "n1", "--speed", "2"], /--speed does not apply/),
  "scenario --target device --broker mqtts://": usage(["scenario", ok, "--target", "device", "--broker", "mqtts://127.0.0.1:8883", "--node", "n1"], /--broker: the device target speaks plain MQTT/),

  // config
  "config without a subcommand": usage(["config"], /^sensor-node config: missing subcommand/),
  "config lint": usage(["config", "lint", badKey], /unknown subcommand "lint"/),
  "config check without a file": usage(["config", "check"], /config check: missing FILE/),
  "config check, a missing file": usage(["config", "check", path.join(dir, "none.json")], /^sensor-node config check: cannot read .*none\.json: ENOENT \(no such file or folder\)/),
  "config check, not JSON": usage(["config", "check", notJson], /not-json\.json: not valid JSON/),
  "config check, an unknown key": usage(["config", "check", badKey], /bad-key\.json: config\.mqtt\.hots: unknown key \(allowed here: .*\bhost\b.*\)/),
  "config check, a port out of range": usage(["config", "check", badPort], /bad-port\.json: config\.mqtt\.port: 70000/),
  "config check, two files": usage(["config", "check", badKey, badPort], /unexpected argument/),
  // The acquisition check the node runs when it opens the part (ESP32 estimate).
  "config check, LIS3DH at 5376 Hz with window.overlap 0.75": usage(["config", "check", lis3dhOverlap], /lis3dh-overlap\.json: config\.window\.overlap: 0\.75 with window\.n 4096 at 5376 Hz: .* use at most 0\.\d+$/),
  "config check, a bearing with a ring set too short": usage(["config", "check", shortRing], /short-ring\.json: config\.acquisition\.ringMs: 500 ms holds less than 1\.25 x one window's features .* use at least \d+$/),
  "config check, kind auto: the part the scan may find": usage(["config", "check", autoOverlap], /auto-overlap\.json: config\.window\.overlap: .* \(accelerometer\.kind auto, if the bus scan finds an ADXL345\)$/),

  // bench, build, check-lin
  "bench --only nope": usage(["bench", "--only", "nope"], /--only: unknown benchmark "nope"/),
  "bench --fast": usage(["bench", "--fast"], /unknown option --fast/),
  "build without a target": usage(["build"], /^sensor-node build: missing target: esp32 or sim/),
  "build esp8266": usage(["build", "esp8266"], /unknown target "esp8266"/),
  "build sim --fast": usage(["build", "sim", "--fast"], /unknown option --fast/),
  "build broker=http://x": usage(["build", "esp32", "broker=http://x"], /build setting broker=http:\/\/x/),
  "build nodeId=a/b": usage(["build", "sim", "nodeId=a/b"], /build setting nodeId=a\/b/),
  "build otaKey=missing": usage(["build", "esp32", `otaKey=${path.join(dir, "none.pem")}`], /build setting otaKey: cannot read .*none\.pem: ENOENT/),
  "check-lin --only foo": usage(["check-lin", "--only", "foo"], /--only: unknown check "foo"/),
  "check-lin --seconds 1": usage(["check-lin", "--seconds", "1"], /--seconds must be between/),

  // provision: every setup option is checked before the port is opened (/dev/null is no node)
  "provision without --port": usage(["provision"], /--port is required/),
  "provision without --password": usage(["provision", "--port", "/dev/null", "--ssid", "plant"], /--password is required/),
  "provision --password too short": usage(["provision", "--port", "/dev/null", "--ssid", "plant", "--password", "short"], /--password: expected "" \(an open network\) or a WPA2 passphrase/),
  "provision --broker http://x": usage(["provision", ...WIFI, "--broker", "http://x"], /^sensor-node provision: --broker: /),
  "provision --foundation soft": usage(["provision", ...WIFI, "--foundation", "soft"], /--foundation: .*"soft"/),
  "provision --machine-group 3": usage(["provision", ...WIFI, "--machine-group", "3"], /--machine-group must be between 1 and 2/),
  "provision --mqtt-password without --mqtt-user": usage(["provision", ...WIFI, "--mqtt-password", "s3cret-pw"], /--mqtt-user: a password needs a user name/),
  "provision --ca missing": usage(["provision", ...WIFI, "--ca", path.join(dir, "none.pem")], /--ca: cannot read .*none\.pem: ENOENT/),
  "provision --port that does not exist": usage(["provision", "--port", path.join(dir, "no-tty"), "--ssid", "plant", "--password", "plant-secret"], /--port: cannot open .*no-tty/),

  // opcua (bad input is refused before node-opcua is loaded)
  "opcua without --broker": usage(["opcua"], /--broker URL is required/),
  "opcua --broker ws://x": usage(["opcua", "--broker", "ws://x", "--allow-anonymous"], /--broker: unsupported scheme ws:/),
  "opcua without users": usage(["opcua", "--broker", "mqtt://127.0.0.1:1883"], /--users FILE is required/),
  "opcua --users missing": usage(["opcua", "--broker", "mqtt://127.0.0.1:1883", "--users", path.join(dir, "none.json")], /--users: cannot read .*none\.json: ENOENT/),
  "opcua --port 70000": usage(["opcua", "--broker", "mqtt://127.0.0.1:1883", "--port", "70000"], /--port must be between 0 and 65535/),

  // ota
  "ota without a subcommand": usage(["ota"], /^sensor-node ota: missing subcommand/),
  "ota sign": usage(["ota", "sign"], /unknown subcommand "sign"/),
  "ota keygen without a folder": usage(["ota", "keygen"], /missing DIR/),
  "ota pack without --target": usage(["ota", "pack"], /--target expects esp32 or sim/),
  "ota pack --version 1.0": usage(["ota", "pack", "--target", "sim", "--version", "1.0", "--key", "k.pem", "out"], /--version "1\.0" is not a version/),
  "ota pack --key missing": usage(["ota", "pack", "--target", "sim", "--version", "1.2.3", "--key", path.join(dir, "none.pem"), path.join(dir, "out.pkg")], /--key: cannot read .*none\.pem: ENOENT/),
  "ota pack --counter -1": usage(["ota", "pack", "--target", "sim", "--version", "1.2.3", "--key", "k.pem", "--counter", "-1", "out"], /--counter must be between 0 and/),

  // runs that cannot do their job: exit 1, the reason in the last line
  "sim against a broker nobody runs": failed(["sim", "--broker", NOBODY, "--duration", "5", "--speed", "max"], /^sensor-node sim: nothing delivered: the broker at mqtt:\/\/127\.0\.0\.1:1 could not be reached$/),
  "a fleet against a broker nobody runs": failed(["sim", "--nodes", "2", "--broker", NOBODY, "--duration", "3", "--speed", "max"], /^sensor-node sim: nothing delivered: the broker at mqtt:\/\/127\.0\.0\.1:1 could not be reached$/),
  "scenario against a broker nobody runs": failed(["scenario", ok, "--broker", NOBODY], /^sensor-node: cannot reach the broker at mqtt:\/\/127\.0\.0\.1:1 \(--broker: /),
  "sim --scenario against a broker nobody runs": failed(["sim", "--scenario", ok, "--broker", NOBODY], /^sensor-node: cannot reach the broker at mqtt:\/\/127\.0\.0\.1:1 \(--broker: /),
};

/** At most PARALLEL cases at once. */
let running = 0;
const queue: (() => void)[] = [];
async function slot<T>(work: () => Promise<T>): Promise<T> {
  if (running >= PARALLEL) await new Promise<void>((resolve) => queue.push(resolve));
  running++;
  try {
    return await work();
  } finally {
    running--;
    queue.shift()?.();
  }
}

const lines = (text: string) => text.split("\n").filter((l) => l !== "");

for (const [name, c] of Object.entries(CASES)) {
  test(`${name}: exit ${c.code}, one line naming it`, async (t) => {
    const args = typeof c.args === "function" ? await c.args() : c.args;
    const r: CliResult = await slot(() => runCli(args, CEILING_MS, { openFiles: c.openFiles }));
    const err = lines(r.stderr);
    t.is(r.code, c.code, `sensor-node ${args.join(" ")}\n${r.stderr}`);
    t.false(/^\s+at /m.test(r.stderr), `no stack trace:\n${r.stderr}`);
    t.false(/^\(node:\d+\)|Warning:/m.test(r.stderr), `no runtime warning:\n${r.stderr}`);
    if (c.code === 2) t.is(err.length, 1, `exactly one line on stderr:\n${r.stderr}`);
    // A failed run may have logged the node's retries first: a few lines, never a flood.
    else t.true(err.length >= 1 && err.length <= 40, `${err.length} lines on stderr:\n${r.stderr}`);
    t.regex(err.at(-1) ?? "", c.says);
  });
}

test("enough cases, over every command", (t) => {
  const commands = new Set(Object.values(CASES).map((c) => (typeof c.args === "function" ? "" : c.args[0])));
  t.true(Object.keys(CASES).length >= 40, `${Object.keys(CASES).length} cases`);
  for (const command of ["sim", "scenario", "config", "bench", "build", "check-lin", "provision", "opcua", "ota"]) t.true(commands.has(command), command);
});

test("help and --version exit 0 with nothing on stderr; help for a command goes to stdout", async (t) => {
  const pkg = JSON.parse(fs.readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  for (const args of [["--version"], ["-V"], ["help"], ["--help"], ["config", "--help"], ["config", "check", "--help"], ["sim", "--help"], ["scenario", "--help"], ["bench", "--help"], ["build", "--help"], ["ota", "--help"], ["opcua", "--help"], ["provision", "--help"], ["check-lin", "--help"]]) {
    const r = await slot(() => runCli(args, CEILING_MS));
    t.is(r.code, 0, args.join(" "));
    t.is(r.stderr, "", args.join(" "));
    t.true(r.stdout.length > 0, args.join(" "));
    if (args[0] === "--version" || args[0] === "-V") t.regex(r.stdout, new RegExp(`^sensor-node ${pkg.version.replace(/\./g, "\\.")} \\(firmware \\d+\\.\\d+\\.\\d+`));
  }
});

test("scenario --junit is checked before the run: nothing ran, nothing was written", async (t) => {
  const out = path.join(dir, "gone", "report.xml");
  const r = await slot(() => runCli(["scenario", ok, "--junit", out], CEILING_MS));
  t.is(r.code, 2);
  t.notRegex(r.stdout + r.stderr, /simulated|scenario "corpus"/, "the scenario did not run");
  t.false(fs.existsSync(out));
});
