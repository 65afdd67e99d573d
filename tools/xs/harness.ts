/*
 * XS harness: run firmware/sim modules inside the real XS engine (xsnap) from ava.
 *
 * A test file that uses it must import "@endo/init" first (xsnap needs the
 * process locked down), so keep XS tests in their own test files.
 *
 *   const code = await bundleForXs("test/xs/clock-case.ts");     // one script, iife
 *   const { results, compute, heapCount } = await runXs({ code }); // fresh worker
 *
 *   await withXsSession({ entry: "test/xs/dsp-case.ts" }, async (s) => {
 *     const r = await s.command({ case: "features", arg: 4096 });  // Node -> XS
 *     r.reply; r.compute; r.heapCount; r.results;                  // per step
 *   });
 *
 * The XS side talks back with `issueCommand(JSON bytes)` (collected into
 * `results`) and answers Node's commands in `globalThis.handleCommand`; the
 * helpers in tools/xs/cases/runtime.ts (`emit`, `onCommand`, `serveCases`) do both.
 */
import * as proc from "node:child_process";
import fs from "node:fs";
import * as os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";
// @ts-ignore TS7016: tmp ships no types (only tmpName is used, for xsnap snapshots)
import tmp from "tmp";
// @agoric/xsnap ships JavaScript with JSDoc only; its shape is declared below.
// @ts-ignore TS7016 (no declaration file)
import { xsnap as startXsnap } from "@agoric/xsnap";

interface MeterUsage {
  compute: number | null;
  allocate: number | null;
  currentHeapCount: number | null;
}
interface RunResult {
  reply: Uint8Array;
  meterUsage: MeterUsage;
}
interface XsnapWorker {
  evaluate(code: string): Promise<RunResult>;
  issueCommand(message: Uint8Array): Promise<RunResult>;
  makeSnapshotStream(description?: string): AsyncIterable<Uint8Array>;
  close(): Promise<void>;
  terminate(): Promise<void>;
}
const xsnap = startXsnap as (options: Record<string, unknown>) => Promise<XsnapWorker>;

/** What one evaluation or one command cost in XS, and what the script emitted meanwhile. */
export interface XsResult {
  /** Values the script sent with `issueCommand` (JSON-decoded), in order. */
  results: unknown[];
  /** XS computrons spent (xsnap meter). */
  compute: number;
  /** XS heap slot count after the step (xsnap `currentHeapCount`). */
  heapCount: number;
  /** Bytes allocated by XS chunks (xsnap `allocate`), when reported. */
  allocate: number;
}

export interface XsCommandResult extends XsResult {
  /** What `handleCommand` returned (JSON-decoded; `{ok}` or `{error}` with tools/xs/cases/runtime.ts). */
  reply: unknown;
}

/** A script to run: an entry file to bundle (repo-relative or absolute, .ts or compiled .js) or ready code. */
export type XsSource = string | { entry: string; define?: Record<string, string>; substitute?: Substitutions } | { code: string };

export interface XsOptions {
  /** Computron limit per evaluation/command (xsnap default 1e8; 0 = none). */
  meteringLimit?: number;
  /** Show XS `print` output and xsnap diagnostics on this process's stdout/stderr. */
  verbose?: boolean;
  name?: string;
}

/** The repository root: the nearest folder above this file holding package.json (works from build/ too). */
export const repoRoot: string = (() => {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (fs.existsSync(path.join(dir, "package.json"))) return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error("xs harness: package.json not found above " + fileURLToPath(import.meta.url));
    dir = up;
  }
})();

const bundles = new Map<string, Promise<string>>();

/**
 * Module substitution, as a Moddable manifest maps a specifier to another file:
 * repo-relative imported file -> replacement, e.g. {"firmware/dsp/spectrum.ts":
 * "tools/bench/replay-spectrum.ts"}. Only imports from other files are
 * redirected, so the replacement can still import the original.
 */
export type Substitutions = Record<string, string>;

function substitution(map: Substitutions): esbuild.Plugin {
  const abs = new Map(Object.entries(map).map(([from, to]) => [path.join(repoRoot, from), path.join(repoRoot, to)]));
  return {
    name: "substitute",
    setup(build) {
      build.onResolve({ filter: /^\./ }, (args) => {
        const target = path.resolve(args.resolveDir, args.path.replace(/\.js$/, ".ts"));
        const to = abs.get(target);
        return to && to !== args.importer ? { path: to } : undefined;
      });
    },
  };
}

/**
 * Bundles `entry` and everything it imports into one script for xsnap: format iife,
 * platform neutral, target es2022. TypeScript is compiled by esbuild (a `./x.js`
 * import finds `./x.ts`); a file under build/ bundles the tsc output instead.
 */
export function bundleForXs(entry: string, define: Record<string, string> = {}, substitute: Substitutions = {}): Promise<string> {
  const file = path.isAbsolute(entry) ? entry : path.join(repoRoot, entry);
  const key = file + "\0" + JSON.stringify(define) + "\0" + JSON.stringify(substitute);
  let pending = bundles.get(key);
  if (!pending) {
    pending = esbuild
      .build({
        entryPoints: [file],
        bundle: true,
        write: false,
        format: "iife",
        platform: "neutral",
        target: "es2022",
        mainFields: ["module", "main"],
        define,
        plugins: Object.keys(substitute).length ? [substitution(substitute)] : [],
        logLevel: "silent",
        sourcemap: false,
        legalComments: "none",
      })
      .then((r) => new TextDecoder().decode(r.outputFiles[0].contents));
    pending.catch(() => bundles.delete(key));
    bundles.set(key, pending);
  }
  return pending;
}

async function codeOf(source: XsSource): Promise<string> {
  if (typeof source === "string") return bundleForXs(source);
  if ("code" in source) return source.code;
  return bundleForXs(source.entry, source.define, source.substitute);
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

function decodeJson(bytes: Uint8Array): unknown {
  if (bytes.byteLength === 0) return undefined;
  const text = decoder.decode(bytes);
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function metered(r: RunResult, results: unknown[]): XsResult {
  return {
    results,
    compute: r.meterUsage.compute ?? NaN,
    heapCount: r.meterUsage.currentHeapCount ?? NaN,
    allocate: r.meterUsage.allocate ?? NaN,
  };
}

/**
 * A fresh xsnap worker with one script loaded. Node drives it step by step with
 * `command(message)`; every step reports its own computrons and heap count.
 */
export class XsSession {
  #worker: XsnapWorker;
  /** The collector shared with the worker's handleCommand (emitted values land in `sink`). */
  #sinkRef: { sink: unknown[] };
  #closed = false;
  /** What the script's top level cost and emitted. */
  readonly load: XsResult;

  private constructor(worker: XsnapWorker, sinkRef: { sink: unknown[] }, load: XsResult) {
    this.#worker = worker;
    this.#sinkRef = sinkRef;
    this.load = load;
  }

  static async open(source: XsSource, options: XsOptions = {}): Promise<XsSession> {
    const code = await codeOf(source);
    const sinkRef = { sink: [] as unknown[] };
    const worker = await xsnap({
      os: os.type(),
      spawn: proc.spawn,
      fs: { ...fs, ...fs.promises, tmpName: tmp.tmpName },
      name: options.name ?? "xs-harness",
      stdout: options.verbose ? "inherit" : "ignore",
      stderr: options.verbose ? "inherit" : "ignore",
      ...(options.meteringLimit !== undefined ? { meteringLimit: options.meteringLimit } : {}),
      handleCommand: async (message: Uint8Array) => {
        sinkRef.sink.push(decodeJson(message));
        return new Uint8Array(0);
      },
    });
    try {
      const r = await worker.evaluate(code);
      const load = metered(r, sinkRef.sink);
      sinkRef.sink = [];
      return new XsSession(worker, sinkRef, load);
    } catch (e) {
      await closeQuietly(worker);
      throw e;
    }
  }

  /** Sends `message` (JSON) to the script's `handleCommand`; returns its reply and the step's cost. */
  async command(message: unknown): Promise<XsCommandResult> {
    if (this.#closed) throw new Error("xs session closed");
    this.#sinkRef.sink = [];
    const r = await this.#worker.issueCommand(encoder.encode(JSON.stringify(message)));
    const results = this.#sinkRef.sink;
    this.#sinkRef.sink = [];
    return { ...metered(r, results), reply: decodeJson(r.reply) };
  }

  /** Evaluates more code in the same worker (same globals). */
  async evaluate(code: string): Promise<XsResult> {
    if (this.#closed) throw new Error("xs session closed");
    this.#sinkRef.sink = [];
    const r = await this.#worker.evaluate(code);
    const results = this.#sinkRef.sink;
    this.#sinkRef.sink = [];
    return metered(r, results);
  }

  /**
   * Bytes of XS chunks in use (strings, typed-array and array storage, code
   * copied into RAM): xsnap meters no such figure, so this writes a snapshot
   * (which collects first) and reads the size of its chunk block ("BLOC").
   */
  async chunkBytes(): Promise<number> {
    if (this.#closed) throw new Error("xs session closed");
    const parts: Uint8Array[] = [];
    let have = 0;
    for await (const part of this.#worker.makeSnapshotStream("chunk-bytes")) {
      parts.push(part);
      have += part.length;
    }
    const all = Buffer.concat(parts, have);
    // Atoms: 4-byte big-endian size (header included), 4-byte type; "XS_M" holds the others.
    for (let at = 8; at + 8 <= all.length; ) {
      const size = all.readUInt32BE(at);
      if (all.toString("latin1", at + 4, at + 8) === "BLOC") return size - 8;
      if (size < 8) break;
      at += size;
    }
    throw new Error("xs snapshot: no BLOC atom");
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await closeQuietly(this.#worker);
  }
}

async function closeQuietly(worker: XsnapWorker): Promise<void> {
  try {
    await worker.close();
  } catch {
    try {
      await worker.terminate();
    } catch {
      // already gone
    }
  }
}

/** Runs `fn` with a fresh session and always closes the worker. */
export async function withXsSession<T>(source: XsSource, fn: (session: XsSession) => Promise<T>, options: XsOptions = {}): Promise<T> {
  const session = await XsSession.open(source, options);
  try {
    return await fn(session);
  } finally {
    await session.close();
  }
}

/** Runs a script once in a fresh worker: what it emitted, its computrons and heap count. */
export async function runXs(source: XsSource, options: XsOptions = {}): Promise<XsResult> {
  return withXsSession(source, async (s) => s.load, options);
}

/** Runs one case of a `serveCases` table in XS; throws with the XS error message if the case threw. */
export async function xsCase(session: XsSession, name: string, arg?: unknown): Promise<XsCommandResult & { value: unknown }> {
  const r = await session.command({ case: name, arg });
  const reply = r.reply as { ok?: unknown; error?: string; stack?: string } | undefined;
  if (!reply || reply.error !== undefined) {
    throw new Error(`XS case ${name} failed: ${reply?.error ?? "no reply"}${reply?.stack ? "\n" + reply.stack : ""}`);
  }
  return { ...r, value: reply.ok };
}

/**
 * Compares numbers in two JSON values with a relative tolerance (everything else
 * strictly). Returns the first difference as a path and message, or undefined.
 */
export function diffNumbers(a: unknown, b: unknown, rel = 1e-9, abs = 1e-12, at = "$"): string | undefined {
  if (typeof a === "number" && typeof b === "number") {
    if (Object.is(a, b)) return undefined;
    const scale = Math.max(Math.abs(a), Math.abs(b));
    if (Math.abs(a - b) <= Math.max(abs, rel * scale)) return undefined;
    return `${at}: ${a} != ${b} (rel ${(Math.abs(a - b) / scale).toExponential(2)})`;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return `${at}: length ${a.length} != ${b.length}`;
    for (let i = 0; i < a.length; i++) {
      const d = diffNumbers(a[i], b[i], rel, abs, `${at}[${i}]`);
      if (d) return d;
    }
    return undefined;
  }
  if (a && b && typeof a === "object" && typeof b === "object") {
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    if (ka.join() !== kb.join()) return `${at}: keys ${ka.join()} != ${kb.join()}`;
    for (const k of ka) {
      const d = diffNumbers((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], rel, abs, `${at}.${k}`);
      if (d) return d;
    }
    return undefined;
  }
  return Object.is(a, b) ? undefined : `${at}: ${JSON.stringify(a)} != ${JSON.stringify(b)}`;
}
