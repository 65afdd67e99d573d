/*
 * The C kernels of the device path (firmware/dsp/native/: the spectrum kernel,
 * spectrum_kernel.c, and the envelope pass, demodulate_kernel.c) outside the
 * Moddable SDK: compiled with the system `cc` into test/native/spectrum-harness.c
 * and driven through its stdin/stdout. Used by test/spectrum-native.test.ts,
 * test/demodulate-native.test.ts and the bench (the kernels' time per window). No
 * compiler is an error, not a skip: .ci/run installs gcc.
 */
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** build/tools/bench/ -> the repository (not ./xs.js: that one loads xsnap, which wants a locked-down process). */
const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));

export const HARNESS_SOURCES = ["test/native/spectrum-harness.c", "firmware/dsp/native/spectrum_kernel.c", "firmware/dsp/native/demodulate_kernel.c"];
/** Strict C99 as the device build sees it; -O2 as ESP-DSP's "O2" benchmark column. */
export const CC_FLAGS = ["-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-pedantic"];

const built = new Map<string, string>();

/**
 * Compiles a C test harness once per process into build/native/NAME and returns its path. Built
 * beside and renamed into place: test files run in parallel processes, and one must never exec
 * the binary while another is writing it (ETXTBSY) or find it half written.
 */
export function compileHarness(name: string, sources: readonly string[], what: string): string {
  const done = built.get(name);
  if (done) return done;
  const out = path.join(repoRoot, "build", "native", name);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const cc = process.env.CC ?? "cc";
  const part = `${out}.${process.pid}.part`;
  try {
    execFileSync(cc, [...CC_FLAGS, "-o", part, ...sources, "-lm"], { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
    fs.renameSync(part, out);
  } catch (e) {
    const err = e as { code?: string; stderr?: Buffer };
    if (err.code === "ENOENT") throw new Error(`no C compiler "${cc}" on PATH: ${what} is tested with the system cc (.ci/run installs gcc)`);
    throw new Error(`${cc} failed on ${what}:\n${err.stderr?.toString() ?? e}`);
  }
  built.set(name, out);
  return out;
}

/** The spectrum and envelope kernels' harness. */
export function harness(): string {
  return compileHarness("spectrum-harness", HARNESS_SOURCES, "the C spectrum kernel");
}

function run(args: string[], input?: Uint8Array): Buffer {
  const r = spawnSync(harness(), args, { input, maxBuffer: 1 << 26 });
  if (r.error) throw new Error(`spectrum-harness ${args.join(" ")}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`spectrum-harness ${args.join(" ")}: exit ${r.status}: ${r.stderr.toString().trim()}`);
  return r.stdout;
}

function request(n: number, h: number, re: Float32Array, im: Float32Array): Uint8Array {
  const m = n >> 1;
  if (re.length !== m || im.length !== m) throw new RangeError(`packed input must hold n/2 = ${m} points`);
  const buf = new Uint8Array(8 + 8 * m);
  new Uint32Array(buf.buffer, 0, 2).set([n, h]);
  new Float32Array(buf.buffer, 8, m).set(re);
  new Float32Array(buf.buffer, 8 + 4 * m, m).set(im);
  return buf;
}

/** 4 |X[k]|^2, k = 0..n/2, from the C kernel (packed input in bit-reversed order, transformed in blocks of h). */
export function nativePowerX4(n: number, h: number, re: Float32Array, im: Float32Array): Float32Array {
  const out = run(["power"], request(n, h, re, im));
  return new Float32Array(out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength));
}

/** Bytes of the C kernel's plan for n real samples (0: unsupported n). */
export function nativePlanBytes(n: number): number {
  return Number(run(["planbytes", String(n)]).toString());
}

export interface NativeTiming {
  /** Best of the harness's rounds: ns per kernel call, including a copy of the input (the kernel works in place). */
  nsPerCall: number;
  /** The copy alone (ns), to subtract. */
  nsCopy: number;
  reps: number;
  rounds: number;
}

export function timeNative(n: number, h: number, re: Float32Array, im: Float32Array, reps: number): NativeTiming {
  return JSON.parse(run(["time", String(reps)], request(n, h, re, im)).toString()) as NativeTiming;
}

/** n real samples packed for a spectrum kernel: z_j = x_2j + i x_2j+1 written at bitrev[j] (float32, as the C kernel takes them). */
export function packBitReversed(x: ArrayLike<number>, bitrev: ArrayLike<number>): { re: Float32Array; im: Float32Array } {
  const m = x.length >> 1;
  const re = new Float32Array(m);
  const im = new Float32Array(m);
  for (let j = 0; j < m; j++) {
    re[bitrev[j]] = x[2 * j];
    im[bitrev[j]] = x[2 * j + 1];
  }
  return { re, im };
}

/** The envelope pass's constants (firmware/dsp/demodulate.ts, DemodulationFilter). */
export interface EnvelopeFilter {
  a1: number;
  a2: number;
  twoCos: number;
}

function envelopeRequest(samples: Float32Array | Uint16Array, filter: EnvelopeFilter, halfWindow: Float32Array): Uint8Array {
  const n = samples.length;
  if (halfWindow.length !== n >> 1) throw new RangeError(`the half window must hold n/2 = ${n >> 1} values`);
  const head = 8 + 24;
  const buf = new Uint8Array(head + 2 * n + samples.BYTES_PER_ELEMENT * n);
  new Uint32Array(buf.buffer, 0, 2).set([n, samples.BYTES_PER_ELEMENT]);
  new Float64Array(buf.buffer, 8, 3).set([filter.a1, filter.a2, filter.twoCos]);
  new Float32Array(buf.buffer, head, n >> 1).set(halfWindow);
  buf.set(new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength), head + 2 * n);
  return buf;
}

/** The C envelope pass on one window: the kernel's input it writes (n floats, re then im) and its sums (sum, sum of squares, largest). */
export function nativeEnvelope(samples: Float32Array | Uint16Array, filter: EnvelopeFilter, halfWindow: Float32Array): { z: Float32Array; sums: Float64Array } {
  const n = samples.length;
  const out = run(["envelope"], envelopeRequest(samples, filter, halfWindow));
  const bytes = out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength);
  return { z: new Float32Array(bytes, 0, n), sums: new Float64Array(bytes, 4 * n, 3) };
}

/** The C envelope pass's time on this machine: ns per call, best of the harness's rounds. */
export function timeNativeEnvelope(samples: Float32Array | Uint16Array, filter: EnvelopeFilter, halfWindow: Float32Array, reps: number): { nsPerCall: number } {
  return JSON.parse(run(["envelopetime", String(reps)], envelopeRequest(samples, filter, halfWindow)).toString()) as { nsPerCall: number };
}
