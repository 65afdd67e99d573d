/*
 * `sensor-node build` without the Moddable SDK: every missing thing gives its exact
 * message and exit code 2; with a fake SDK (a MODDABLE folder whose mcconfig is a
 * script recording its arguments) the settings pass through to mcconfig.
 */
import test from "ava";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { buildCommand, type BuildIO } from "../tools/build/mcconfig.js";
import { runCli } from "./helpers/cli.js";

interface Fake {
  dir: string;
  moddable: string;
  tools: string;
  record: string;
  /** A bin folder with a fake tsc of the given version. */
  tscBin(version: string): string;
  idf(): string;
}

function fake(): Fake {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sensor-node-build-"));
  const moddable = path.join(dir, "moddable");
  const tools = path.join(moddable, "build", "bin", "lin", "release");
  const record = path.join(dir, "mcconfig-args.json");
  fs.mkdirSync(tools, { recursive: true });
  return {
    dir,
    moddable,
    tools,
    record,
    tscBin(version) {
      const bin = path.join(dir, `tsc-${version}`);
      fs.mkdirSync(bin, { recursive: true });
      fs.writeFileSync(path.join(bin, "tsc"), `#!/bin/sh\necho "Version ${version}"\n`, { mode: 0o755 });
      return bin;
    },
    idf() {
      const idf = path.join(dir, "esp-idf");
      fs.mkdirSync(idf, { recursive: true });
      fs.writeFileSync(path.join(idf, "export.sh"), "");
      return idf;
    },
  };
}

/** A fake mcconfig that writes its arguments, cwd and PATH as JSON, then exits with `code`. */
function installMcconfig(f: Fake, code = 0): void {
  fs.writeFileSync(
    path.join(f.tools, "mcconfig"),
    `#!/usr/bin/env node\nrequire("fs").writeFileSync(${JSON.stringify(f.record)}, JSON.stringify({ args: process.argv.slice(2), cwd: process.cwd(), path: process.env.PATH }));\nprocess.exit(${code});\n`,
    { mode: 0o755 },
  );
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs buildCommand with a controlled environment; `root` is a project folder without node_modules. */
function build(argv: string[], env: Record<string, string | undefined>, root: string): Run {
  let stdout = "";
  let stderr = "";
  const io: BuildIO = { env, root, hostPlatform: "lin", stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) };
  const code = buildCommand(argv, io);
  return { code, stdout, stderr };
}

const NODE_DIR = path.dirname(process.execPath);
const ESP32_SETTINGS = ["ssid=plant-wifi", "password=s3cret", "broker=mqtt://10.0.0.5:1883", "nodeId=pump-07"];

test("esp32 needs no settings (one image for a fleet); given ones are checked before the SDK: exit 2 naming each", (t) => {
  const f = fake();
  const none = build(["esp32"], {}, f.dir);
  t.is(none.code, 2);
  t.regex(none.stderr, /^sensor-node build: MODDABLE is not set/, "past the settings, on to the SDK");
  const badBroker = build(["esp32", "ssid=x", "broker=http://h/x"], {}, f.dir);
  t.is(badBroker.code, 2);
  t.is(badBroker.stderr, "sensor-node build: build setting broker=http://h/x is not host[:port] or mqtt[s]://host[:port]\n");
  const lonePassword = build(["esp32", "password=s3cret", "nodeId=bad id"], {}, f.dir);
  t.is(lonePassword.code, 2);
  t.is(
    lonePassword.stderr,
    'sensor-node build: build setting password= without ssid=: add ssid="<network>" (the network the password is for)\n' +
      "sensor-node build: build setting nodeId=bad id: use 1-64 of A-Z a-z 0-9 _ -\n",
  );
  t.false(lonePassword.stderr.includes("s3cret"), "the password is not echoed");
});

test("missing MODDABLE, or MODDABLE not a directory: exit 2 with how to get it", (t) => {
  const f = fake();
  const unset = build(["sim"], { PATH: NODE_DIR }, f.dir);
  t.is(unset.code, 2);
  t.is(unset.stderr, "sensor-node build: MODDABLE is not set: install the Moddable SDK (docs/moddable.md, 'Install the SDK beside the project') and export MODDABLE=/path/to/moddable\n");
  const wrong = build(["sim"], { MODDABLE: path.join(f.dir, "nope"), PATH: NODE_DIR }, f.dir);
  t.is(wrong.code, 2);
  t.is(wrong.stderr, `sensor-node build: MODDABLE=${path.join(f.dir, "nope")} is not a directory: point it at the Moddable SDK checkout (docs/moddable.md)\n`);
});

test("missing mcconfig: exit 2 naming the folder and how to build the tools", (t) => {
  const f = fake();
  const r = build(["sim"], { MODDABLE: f.moddable, PATH: NODE_DIR }, f.dir);
  t.is(r.code, 2);
  t.is(
    r.stderr,
    `sensor-node build: mcconfig not found in ${f.tools} or on PATH: build the SDK tools (cd ${path.join(f.moddable, "build", "makefiles", "lin")} && make) and add ${f.tools} to PATH\n`,
  );
});

test("missing or old TypeScript: exit 2 with how to get tsc >= 6", (t) => {
  const f = fake();
  installMcconfig(f);
  const missing = build(["sim"], { MODDABLE: f.moddable, PATH: NODE_DIR }, f.dir);
  t.is(missing.code, 2);
  t.is(
    missing.stderr,
    `sensor-node build: TypeScript (tsc) not found on PATH or in ${path.join(f.dir, "node_modules", ".bin")}: mcconfig compiles the .ts modules with tsc >= 6; run npm ci in ${f.dir} (the project pins it)\n`,
  );
  const bin = f.tscBin("5.9.3");
  const old = build(["sim"], { MODDABLE: f.moddable, PATH: [bin, NODE_DIR].join(path.delimiter) }, f.dir);
  t.is(old.code, 2);
  t.is(old.stderr, `sensor-node build: TypeScript >= 6 needed for mcconfig, found "Version 5.9.3" at ${path.join(bin, "tsc")}: run npm ci in ${f.dir} (the project pins it)\n`);
  t.false(fs.existsSync(f.record), "mcconfig did not run");
});

test("esp32 without the ESP-IDF: exit 2 for IDF_PATH unset and for a folder without export.sh", (t) => {
  const f = fake();
  installMcconfig(f);
  const PATH = [f.tscBin("7.0.2"), NODE_DIR].join(path.delimiter);
  const doc = path.join(f.moddable, "documentation", "devices", "esp32.md");
  const unset = build(["esp32", ...ESP32_SETTINGS], { MODDABLE: f.moddable, PATH }, f.dir);
  t.is(unset.code, 2);
  t.is(unset.stderr, `sensor-node build: IDF_PATH is not set: install the ESP-IDF version this SDK expects (${doc}) and export IDF_PATH=/path/to/esp-idf\n`);
  const empty = path.join(f.dir, "empty-idf");
  fs.mkdirSync(empty);
  const noExport = build(["esp32", ...ESP32_SETTINGS], { MODDABLE: f.moddable, PATH, IDF_PATH: empty }, f.dir);
  t.is(noExport.code, 2);
  t.is(noExport.stderr, `sensor-node build: IDF_PATH=${empty} has no export.sh: point IDF_PATH at an ESP-IDF checkout installed as in ${doc}\n`);
  t.false(fs.existsSync(f.record), "mcconfig did not run");
});

test("esp32: settings pass through to mcconfig with -t build; --flash leaves it out; the password is not echoed", (t) => {
  const f = fake();
  installMcconfig(f, 0);
  const bin = f.tscBin("7.0.2");
  const env = { MODDABLE: f.moddable, PATH: [bin, NODE_DIR].join(path.delimiter), IDF_PATH: f.idf() };
  const r = build(["esp32", ...ESP32_SETTINGS], env, f.dir);
  t.is(r.code, 0, r.stderr);
  const seen = JSON.parse(fs.readFileSync(f.record, "utf8")) as { args: string[]; cwd: string; path: string };
  t.deepEqual(seen.args, ["-m", "-p", "esp32", "-t", "build", "manifests/esp32.json", ...ESP32_SETTINGS]);
  t.is(fs.realpathSync(seen.cwd), fs.realpathSync(f.dir));
  t.is(seen.path.split(path.delimiter)[0], path.join(f.dir, "node_modules", ".bin"), "the project's tsc comes first");
  t.true(seen.path.split(path.delimiter).includes(f.tools), "the SDK tools are on PATH for mcconfig");
  t.is(r.stdout, "> mcconfig -m -p esp32 -t build manifests/esp32.json ssid=plant-wifi password=*** broker=mqtt://10.0.0.5:1883 nodeId=pump-07\n");

  const flash = build(["esp32", "--flash", "--debug", ...ESP32_SETTINGS], env, f.dir);
  t.is(flash.code, 0, flash.stderr);
  t.deepEqual((JSON.parse(fs.readFileSync(f.record, "utf8")) as { args: string[] }).args, ["-d", "-m", "-p", "esp32", "manifests/esp32.json", ...ESP32_SETTINGS]);
});

test("esp32 otaKey=FILE[,FILE]: the PEM public keys reach mcconfig as otaKeys=<base64 DER,...>; a missing or wrong key file is exit 2 naming it", (t) => {
  const f = fake();
  installMcconfig(f, 0);
  const env = { MODDABLE: f.moddable, PATH: [f.tscBin("7.0.2"), NODE_DIR].join(path.delimiter), IDF_PATH: f.idf() };
  const keys = [0, 1].map((i) => {
    const file = path.join(f.dir, `ota-public-${i}.pem`);
    const pub = crypto.generateKeyPairSync("ec", { namedCurve: "prime256v1" }).publicKey;
    fs.writeFileSync(file, pub.export({ type: "spki", format: "pem" }));
    return { file, der: pub.export({ type: "spki", format: "der" }).toString("base64") };
  });
  const r = build(["esp32", `otaKey=${keys[0].file},${keys[1].file}`], env, f.dir);
  t.is(r.code, 0, r.stderr);
  t.deepEqual((JSON.parse(fs.readFileSync(f.record, "utf8")) as { args: string[] }).args.slice(-1), [`otaKeys=${keys[0].der},${keys[1].der}`]);
  const missing = build(["esp32", `otaKey=${path.join(f.dir, "none.pem")}`], env, f.dir);
  t.is(missing.code, 2);
  t.regex(missing.stderr, /^sensor-node build: build setting otaKey: cannot read .*none\.pem: ENOENT \(no such file or folder\)\n$/);
  const priv = path.join(f.dir, "private.pem");
  fs.writeFileSync(priv, crypto.generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey.export({ type: "pkcs8", format: "pem" }));
  const wrong = build(["esp32", `otaKey=${priv}`], env, f.dir);
  t.is(wrong.code, 2);
  t.regex(wrong.stderr, /build setting otaKey: .*private\.pem: a PRIVATE KEY block where a PUBLIC KEY was expected/);
  t.notRegex(wrong.stderr, /-----BEGIN/);
});

test("sim: builds manifests/sim.json for lin without Wi-Fi settings; mcconfig's exit code is returned", (t) => {
  const f = fake();
  installMcconfig(f, 3);
  const env = { MODDABLE: f.moddable, PATH: [f.tscBin("6.0.1"), NODE_DIR].join(path.delimiter) };
  const r = build(["sim", "broker=mqtt://127.0.0.1:18899"], env, f.dir);
  t.is(r.code, 3);
  t.deepEqual((JSON.parse(fs.readFileSync(f.record, "utf8")) as { args: string[] }).args, ["-m", "-p", "lin", "-t", "build", "manifests/sim.json", "broker=mqtt://127.0.0.1:18899"]);
});

test("usage errors exit 2 in one line: no target, unknown target, unknown option", (t) => {
  const f = fake();
  for (const [argv, first] of [
    [[], "sensor-node build: missing target: esp32 or sim\n"],
    [["esp8266"], 'sensor-node build: unknown target "esp8266": expected esp32 or sim\n'],
    [["sim", "--fast"], "sensor-node build: unknown option --fast\n"],
  ] as const) {
    const r = build([...argv], {}, f.dir);
    t.is(r.code, 2, argv.join(" "));
    t.true(r.stderr.startsWith(first.trimEnd()), r.stderr);
    t.is(r.stderr.split("\n").filter(Boolean).length, 1, "one line, pointing at --help");
    t.regex(r.stderr, /sensor-node build --help/);
  }
});

test("the CLI routes `build` (a bad setting through bin/sensor-node.js exits 2)", async (t) => {
  const r = await runCli(["build", "esp32", "broker=ws://h:1883"]);
  t.is(r.code, 2);
  t.is(r.stderr, "sensor-node build: build setting broker=ws://h:1883 is not host[:port] or mqtt[s]://host[:port]\n");
});
