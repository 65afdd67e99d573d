/*
 * Running Moddable lin builds headless for `sensor-node check-lin`: a private X
 * display (Xvfb), mcconfig builds into a folder of the check, and mcsim runs
 * (release: plain; debug: through the SDK's xsbug-log, which prints `trace`).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import type { Sdk } from "../build/mcconfig.js";

export class CheckError extends Error {}

/** Waits up to `ms` for `test` (polled every 100 ms): only for the tools and builds the check starts itself. */
export async function until(test: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  for (const end = Date.now() + ms; !(await test()); ) {
    if (Date.now() > end) throw new CheckError(`check-lin: ${what} did not happen within ${ms / 1000} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Starts Xvfb on the first free display from :90; returns its DISPLAY value and a stop function. */
export async function startDisplay(): Promise<{ display: string; stop(): Promise<void> }> {
  let n = 90;
  while (fs.existsSync(`/tmp/.X11-unix/X${n}`) || fs.existsSync(`/tmp/.X${n}-lock`)) n++;
  const xvfb = spawn("Xvfb", [`:${n}`, "-screen", "0", "640x480x24", "-nolisten", "tcp"], { stdio: "ignore" });
  let failed: Error | undefined;
  xvfb.once("error", (e) => (failed = e));
  await until(() => failed !== undefined || fs.existsSync(`/tmp/.X11-unix/X${n}`), 15_000, "Xvfb start");
  if (failed) throw new CheckError(`check-lin: cannot start Xvfb (${failed.message}): install it (Debian: apt-get install xvfb)`);
  return { display: `:${n}`, stop: () => stop(xvfb) };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
}

/** mcconfig [-d] -m -p lin -t build -o OUT MANIFEST settings...; returns the built mc.so. */
export function build(sdk: Sdk, root: string, out: string, manifest: string, settings: string[], debug = false): string {
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });
  const args = [...(debug ? ["-d"] : []), "-m", "-p", sdk.host, "-t", "build", "-o", out, manifest, ...settings];
  const r = spawnSync(sdk.mcconfig, args, { cwd: root, env: sdk.env as NodeJS.ProcessEnv, encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.status !== 0) {
    const last = `${r.stderr ?? ""}${r.stdout ?? ""}`.trim().split("\n").slice(-1)[0] ?? "";
    throw new CheckError(`check-lin: mcconfig ${manifest} failed (exit ${r.status}): ${last}`);
  }
  const found = findFile(path.join(out, "bin"), "mc.so");
  if (!found) throw new CheckError(`check-lin: mcconfig ${manifest} made no mc.so under ${out}`);
  return found;
}

function findFile(dir: string, name: string): string | undefined {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isFile() && e.name === name) return p;
    if (e.isDirectory()) {
      const f = findFile(p, name);
      if (f) return f;
    }
  }
  return undefined;
}

/** Where the SDK's lin file module keeps files (its manifest's `file.root`): Preference's file and the node's logs. */
export const LIN_FILE_ROOT = "/tmp/";

/**
 * Forgets what a lin build stored (the SDK's modpreferences.json and our sn_*.log files): the
 * next run is a node fresh from the factory. Every lin build on this machine shares them.
 */
export function clearLinStorage(): void {
  for (const f of fs.readdirSync(LIN_FILE_ROOT)) if (f === "modpreferences.json" || /^sn_.*\.log$/.test(f)) fs.rmSync(path.join(LIN_FILE_ROOT, f), { force: true });
}

/**
 * Starts a release build; `onLine` gets each line it traces (a release mcsim prints them on
 * stdout, through C stdio: stdbuf makes a pipe line-buffered, as a terminal is).
 */
export function startRelease(sdk: Sdk, display: string, so: string, onLine: (line: string) => void): { stop(): Promise<void> } {
  const sim = spawn("stdbuf", ["-oL", path.join(sdk.toolsDir, "mcsim"), so], { env: { ...process.env, DISPLAY: display }, stdio: ["ignore", "pipe", "ignore"] });
  let text = "";
  sim.stdout!.on("data", (d: Buffer) => {
    text += d.toString("utf8");
    for (let nl = text.indexOf("\n"); nl >= 0; nl = text.indexOf("\n")) {
      onLine(text.slice(0, nl));
      text = text.slice(nl + 1);
    }
  });
  return { stop: () => stop(sim) };
}

/** Runs a release build for `seconds` of real time. */
export async function runRelease(sdk: Sdk, display: string, so: string, seconds: number): Promise<void> {
  const sim = spawn(path.join(sdk.toolsDir, "mcsim"), [so], { env: { ...process.env, DISPLAY: display }, stdio: "ignore" });
  await new Promise((r) => setTimeout(r, seconds * 1000));
  await stop(sim);
}

/**
 * Runs a debug build through xsbug-log and returns the JSON objects its `trace`
 * printed, once `done` says so (or after `seconds`).
 */
export async function runDebug(sdk: Sdk, display: string, so: string, seconds: number, done: (objects: unknown[]) => boolean): Promise<unknown[]> {
  const xsbugLog = path.join(sdk.moddable, "tools", "xsbug-log", "xsbug-log.js");
  if (!fs.existsSync(path.join(sdk.moddable, "tools", "xsbug-log", "node_modules"))) {
    throw new CheckError(`check-lin: xsbug-log has no node_modules: cd ${path.dirname(xsbugLog)} && npm install`);
  }
  const child = spawn(process.execPath, [xsbugLog, path.join(sdk.toolsDir, "mcsim"), so], {
    cwd: path.dirname(xsbugLog),
    env: { ...process.env, DISPLAY: display },
    stdio: ["pipe", "pipe", "ignore"],
  });
  const objects: unknown[] = [];
  let text = "";
  const finished = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, seconds * 1000);
    child.stdout!.on("data", (d: Buffer) => {
      text += d.toString("utf8");
      let nl: number;
      while ((nl = text.indexOf("\n")) >= 0) {
        const line = text.slice(0, nl);
        text = text.slice(nl + 1);
        const at = line.indexOf("{");
        if (at < 0) continue;
        try {
          objects.push(JSON.parse(line.slice(at)));
        } catch {
          // not a JSON trace line
        }
        if (done(objects)) {
          clearTimeout(timer);
          resolve();
        }
      }
    });
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
  });
  await finished;
  child.stdin!.end("quit\n");
  await stop(child);
  return objects;
}

/** Starts `count` CPU-bound processes (a busy loop each); returns a function that stops them. */
export function cpuLoad(count: number): () => Promise<void> {
  const busy = Array.from({ length: count }, () => spawn(process.execPath, ["-e", "for (;;) {}"], { stdio: "ignore" }));
  return async () => {
    for (const b of busy) await stop(b);
  };
}
