/*
 * `sensor-node build esp32|sim [--flash] [--debug] [key=value ...]`: wraps the
 * Moddable SDK's mcconfig (docs/device.md, docs/moddable.md).
 *
 * Before running mcconfig it checks, in this order, and stops with exit code 2
 * and one message per missing thing (what is missing and how to get it):
 *   - the build settings: all optional (one image for every node: docs/provisioning.md), but
 *     broker and nodeId are validated and a password needs its ssid; otaKey=FILE[,FILE...]
 *     (P-256 public keys in PEM, docs/ota.md) is read and passed as otaKeys=<base64 DER,...>;
 *   - MODDABLE (set, a directory);
 *   - mcconfig ($MODDABLE/build/bin/<host>/release/mcconfig, else on PATH);
 *   - TypeScript >= 6 for mcconfig's per-module tsc (the project's node_modules/.bin is put first on PATH);
 *   - esp32: IDF_PATH set and $IDF_PATH/export.sh present.
 * Then it runs `mcconfig [-d] -m -p esp32|lin [-t build] manifests/<esp32|sim>.json key=value ...`
 * in the project directory; `--flash` leaves out `-t build`, so mcconfig flashes the
 * board (esp32) or launches the simulator (sim). The exit code is mcconfig's.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { UsageError } from "../cli/args.js";
import { loadPublicKeys, otaKeysValue } from "../ota/keys.js";
import { MAX_TRUSTED_KEYS } from "../../firmware/ota/trusted-keys.js";

/** Where a usage error points (one line: the usage itself is --help's). */
const HELP = "sensor-node build --help";

export const BUILD_USAGE = `Usage: sensor-node build esp32|sim [--flash] [--debug] [key=value ...]

  esp32      the sensor node (manifests/esp32.json): one image for a fleet, provisioned in the
             field (docs/provisioning.md); ssid=... broker=... become defaults
  sim        the firmware in Moddable's desktop simulator (manifests/sim.json, -p lin)
  --flash    flash the board (esp32) or launch the simulator (sim) after building
  --debug    debug build (mcconfig -d): xsbug / xsbug-log connect to it
  key=value  build settings passed to mcconfig (mc/config): ssid, password, broker,
             nodeId, prefix, sntp, i2c data/clock pins are in docs/device.md;
             otaKey=FILE[,FILE...] the update signing public key(s) the image trusts (docs/ota.md)`;

export interface BuildIO {
  env: Record<string, string | undefined>;
  /** The project directory (manifests/ and node_modules/ live here). */
  root: string;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Host platform for $MODDABLE/build/bin/<host>/release (default from process.platform). */
  hostPlatform?: "lin" | "mac" | "win";
  /** Runs a program with inherited stdio; returns its exit code. */
  run?: (file: string, args: string[], options: { cwd: string; env: Record<string, string | undefined> }) => number;
}

const PROJECT_ROOT = fileURLToPath(new URL("../../../", import.meta.url)); // build/tools/build -> repo root

export function defaultBuildIO(): BuildIO {
  return {
    env: process.env,
    root: PROJECT_ROOT,
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
  };
}

const SETTING = /^([A-Za-z_][A-Za-z0-9_.]*)=(.*)$/s;
const BROKER = /^(?:(mqtts?):\/\/)?([^:/]+)(?::(\d+))?\/?$/;
const SECRET = new Set(["password", "mqttPassword"]);

function hostPlatform(): "lin" | "mac" | "win" {
  return process.platform === "darwin" ? "mac" : process.platform === "win32" ? "win" : "lin";
}

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

function isDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** First executable `name` on a PATH string. */
function which(name: string, pathValue: string | undefined): string | undefined {
  for (const dir of (pathValue ?? "").split(path.delimiter)) {
    if (!dir) continue;
    for (const ext of process.platform === "win32" ? [".cmd", ".exe", ""] : [""]) {
      const p = path.join(dir, name + ext);
      if (isFile(p)) {
        try {
          fs.accessSync(p, fs.constants.X_OK);
          return p;
        } catch {
          // not executable
        }
      }
    }
  }
  return undefined;
}

function defaultRun(file: string, args: string[], options: { cwd: string; env: Record<string, string | undefined> }): number {
  const r = spawnSync(file, args, { cwd: options.cwd, env: options.env as NodeJS.ProcessEnv, stdio: "inherit" });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

export function buildCommand(argv: string[], io: BuildIO = defaultBuildIO()): number {
  const fail = (lines: string[]): number => {
    for (const l of lines) io.stderr(`sensor-node build: ${l}\n`);
    return 2;
  };
  let target: "esp32" | "sim" | undefined;
  let flash = false;
  let debug = false;
  const settings: string[] = [];
  const values = new Map<string, string>();
  for (const arg of argv) {
    if (arg === "--help" || arg === "-h") {
      io.stdout(BUILD_USAGE + "\n");
      return 0;
    }
    if (arg === "--flash") flash = true;
    else if (arg === "--debug") debug = true;
    else if (arg.startsWith("-")) return fail([`unknown option ${arg} (${HELP})`]);
    else if (SETTING.test(arg)) {
      const m = SETTING.exec(arg)!;
      values.set(m[1], m[2]);
      settings.push(arg);
    } else if (target === undefined && (arg === "esp32" || arg === "sim")) target = arg;
    else if (target === undefined) return fail([`unknown target ${JSON.stringify(arg)}: expected esp32 or sim (${HELP})`]);
    else return fail([`unexpected argument ${JSON.stringify(arg)}: build settings are key=value (${HELP})`]);
  }
  if (!target) return fail([`missing target: esp32 or sim (${HELP})`]);

  // 1. Build settings (checked first: they need no SDK).
  const problems: string[] = [];
  if (values.get("password") && !values.get("ssid")) problems.push('build setting password= without ssid=: add ssid="<network>" (the network the password is for)');
  const broker = values.get("broker");
  if (broker && !BROKER.test(broker)) problems.push(`build setting broker=${broker} is not host[:port] or mqtt[s]://host[:port]`);
  const nodeId = values.get("nodeId");
  if (nodeId && !/^[A-Za-z0-9_-]{1,64}$/.test(nodeId)) problems.push(`build setting nodeId=${nodeId}: use 1-64 of A-Z a-z 0-9 _ -`);
  const otaKey = values.get("otaKey");
  if (otaKey !== undefined) {
    const setting = otaKeysSetting(otaKey);
    if (setting.startsWith("build setting")) problems.push(setting);
    else settings.splice(settings.findIndex((s) => s.startsWith("otaKey=")), 1, setting);
  }
  if (problems.length) return fail(problems);

  // 2-4. MODDABLE, mcconfig, TypeScript.
  const sdk = locateSdk(io);
  if ("problem" in sdk) return fail([sdk.problem]);
  const { env, mcconfig, moddable, host } = sdk;

  // 5. ESP-IDF for esp32.
  if (target === "esp32") {
    const idf = env.IDF_PATH;
    const doc = path.join(moddable, "documentation", "devices", "esp32.md");
    if (!idf) return fail([`IDF_PATH is not set: install the ESP-IDF version this SDK expects (${doc}) and export IDF_PATH=/path/to/esp-idf`]);
    if (!isFile(path.join(idf, "export.sh"))) return fail([`IDF_PATH=${idf} has no export.sh: point IDF_PATH at an ESP-IDF checkout installed as in ${doc}`]);
  }

  const manifest = path.join("manifests", target === "esp32" ? "esp32.json" : "sim.json");
  const args = [...(debug ? ["-d"] : []), "-m", "-p", target === "esp32" ? "esp32" : host, ...(flash ? [] : ["-t", "build"]), manifest, ...settings];
  const shown = args.map((a) => {
    const m = SETTING.exec(a);
    return m && SECRET.has(m[1]) ? `${m[1]}=***` : a;
  });
  io.stdout(`> mcconfig ${shown.join(" ")}\n`);
  return (io.run ?? defaultRun)(mcconfig, args, { cwd: io.root, env });
}

/** `otaKeys=<base64 DER,...>` for mcconfig from `otaKey=FILE[,FILE...]`, or one line naming the problem ("build setting ..."). */
function otaKeysSetting(files: string): string {
  const list = files.split(",").filter(Boolean);
  if (!list.length) return "build setting otaKey= names no file: otaKey=DIR/ota-public.pem (sensor-node ota keygen)";
  try {
    const keys = list.flatMap((file) => loadPublicKeys("build setting otaKey", file));
    if (keys.length > MAX_TRUSTED_KEYS) return `build setting otaKey: ${keys.length} keys; an image trusts at most ${MAX_TRUSTED_KEYS}`;
    return `otaKeys=${otaKeysValue(keys)}`;
  } catch (error) {
    if (error instanceof UsageError) return error.message;
    throw error;
  }
}

/** The SDK and its build tools, with PATH set for mcconfig (which runs xsc, xsl and tsc by name). */
export interface Sdk {
  moddable: string;
  host: "lin" | "mac" | "win";
  /** $MODDABLE/build/bin/<host>/release: mcconfig, mcsim. */
  toolsDir: string;
  mcconfig: string;
  env: Record<string, string | undefined>;
}

/**
 * Checks, in this order: MODDABLE (set, a directory); mcconfig ($MODDABLE/build/bin/<host>/release,
 * else on PATH); TypeScript >= 6 for mcconfig's per-module tsc (node_modules/.bin first on PATH).
 * Returns the first problem as one line saying how to fix it.
 */
export function locateSdk(io: Pick<BuildIO, "env" | "root" | "hostPlatform">): Sdk | { problem: string } {
  const env = { ...io.env };
  const moddable = env.MODDABLE;
  if (!moddable) return { problem: "MODDABLE is not set: install the Moddable SDK (docs/moddable.md, 'Install the SDK beside the project') and export MODDABLE=/path/to/moddable" };
  if (!isDir(moddable)) return { problem: `MODDABLE=${moddable} is not a directory: point it at the Moddable SDK checkout (docs/moddable.md)` };

  // mcconfig: the SDK's own build first, else PATH.
  const host = io.hostPlatform ?? hostPlatform();
  const toolsDir = path.join(moddable, "build", "bin", host, "release");
  const bundled = path.join(toolsDir, host === "win" ? "mcconfig.exe" : "mcconfig");
  const mcconfig = isFile(bundled) ? bundled : which("mcconfig", env.PATH);
  if (!mcconfig) {
    return { problem: `mcconfig not found in ${toolsDir} or on PATH: build the SDK tools (cd ${path.join(moddable, "build", "makefiles", host)} && make) and add ${toolsDir} to PATH` };
  }
  // mcconfig runs xsc, xsl, tsc, ... by name: its own folder goes on PATH too.
  const binDir = path.join(io.root, "node_modules", ".bin");
  env.PATH = [binDir, env.PATH ?? "", toolsDir].filter(Boolean).join(path.delimiter);

  // TypeScript >= 6 for mcconfig's tsc.
  const tsc = which("tsc", env.PATH);
  if (!tsc) return { problem: `TypeScript (tsc) not found on PATH or in ${binDir}: mcconfig compiles the .ts modules with tsc >= 6; run npm ci in ${io.root} (the project pins it)` };
  const version = spawnSync(tsc, ["--version"], { encoding: "utf8", env: env as NodeJS.ProcessEnv });
  const major = Number(/(\d+)\.\d+/.exec(String(version.stdout ?? ""))?.[1]);
  if (!(major >= 6)) {
    return { problem: `TypeScript >= 6 needed for mcconfig, found ${JSON.stringify(String(version.stdout ?? "").trim() || "no version")} at ${tsc}: run npm ci in ${io.root} (the project pins it)` };
  }

  return { moddable, host, toolsDir, mcconfig, env };
}
