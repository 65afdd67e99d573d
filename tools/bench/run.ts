/*
 * `sensor-node bench [--json] [--quick] [--only a,b]`: runs the registered
 * benchmarks and prints one table (figure, value, unit, baseline, ratio, goal,
 * pass/miss; a wall value with its spread over rounds), or the same as one JSON object. Wall-clock figures are reported,
 * never asserted; the deterministic ones are guarded in CI by test/budgets.test.ts.
 */
import * as os from "node:os";
import { fileURLToPath } from "node:url";
import { helpText, parseArgs, UsageError, type FlagSpec } from "../cli/args.js";
import { BENCHMARKS } from "./registry.js";
import { judge, type BenchContext, type Figure } from "./types.js";
import { runJsonChild } from "./child.js";
import { ESP32_COMPUTRONS_PER_S, ESP32_PESSIMISTIC_COMPUTRONS_PER_S, rateText } from "./esp32.js";
import type { XsChildResult } from "./xs-measure.js";

export const BENCH_FLAGS: Record<string, FlagSpec> = {
  json: { kind: "boolean", help: "print the figures as one JSON object" },
  quick: { kind: "boolean", help: "a reduced set (shorter runs, XS heap over 1024-sample windows), under a minute" },
  only: { kind: "string", help: "comma-separated benchmark names (" + BENCHMARKS.map((m) => m.name).join(", ") + ")" },
  help: { kind: "boolean", help: "show this help" },
};

export interface BenchReport {
  version: 1;
  quick: boolean;
  machine: { cpu: string; cores: number; node: string; platform: string };
  startedAt: string;
  seconds: number;
  /** XS speed on this machine (wall, context only: no ESP32 figure is derived from it). */
  xsSpeed?: { computronsPerSecond: number };
  /** The fixed ESP32 assumption every ESP32 estimate of the run uses (esp32.ts). */
  esp32: { computronsPerSecond: number; pessimisticComputronsPerSecond: number };
  figures: Figure[];
  errors: { benchmark: string; message: string }[];
}

/** Runs the XS measurements in a child process (xsnap needs `@endo/init`, which would lock this process down). */
export function runXsChild(request: { heap?: { n?: number; windows?: number } }, timeoutMs = 180_000): Promise<XsChildResult> {
  return runJsonChild(fileURLToPath(new URL("./xs-child.js", import.meta.url)), request, "XS child", timeoutMs);
}

export async function runBench(o: { quick: boolean; only?: string[]; log?: (m: string) => void }): Promise<BenchReport> {
  const log = o.log ?? (() => {});
  const startedAt = new Date().toISOString();
  const started = performance.now();
  let xsPromise: Promise<XsChildResult> | undefined;
  const ctx: BenchContext = {
    quick: o.quick,
    log,
    xs: () => (xsPromise ??= runXsChild({ heap: o.quick ? { n: 1024, windows: 1000 } : { n: 4096, windows: 1000 } })),
  };
  const modules = BENCHMARKS.filter((m) => (o.only ? o.only.includes(m.name) : !o.quick || m.quick));
  if (o.only) for (const name of o.only) if (!BENCHMARKS.some((m) => m.name === name)) throw new UsageError(`--only: unknown benchmark ${JSON.stringify(name)} (known: ${BENCHMARKS.map((m) => m.name).join(", ")})`);
  const figures: Figure[] = [];
  const errors: BenchReport["errors"] = [];
  for (const m of modules) {
    log(`bench: ${m.title} ...`);
    const t0 = performance.now();
    try {
      for (const f of await m.run(ctx)) figures.push({ ...f, module: m.name, pass: judge(f) });
    } catch (e) {
      errors.push({ benchmark: m.name, message: (e as Error).message });
      log(`bench: ${m.name} failed: ${(e as Error).message}`);
    }
    log(`bench: ${m.name} done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  let xsSpeed: BenchReport["xsSpeed"];
  if (xsPromise) {
    try {
      const { xs } = await xsPromise;
      xsSpeed = { computronsPerSecond: xs.computronsPerSecond };
    } catch {
      // reported by the module that asked for it
    }
  }
  const cpus = os.cpus();
  return {
    version: 1,
    quick: o.quick,
    machine: { cpu: cpus[0]?.model ?? "unknown", cores: cpus.length, node: process.version, platform: `${process.platform}-${process.arch}` },
    startedAt,
    seconds: (performance.now() - started) / 1000,
    xsSpeed,
    esp32: { computronsPerSecond: ESP32_COMPUTRONS_PER_S, pessimisticComputronsPerSecond: ESP32_PESSIMISTIC_COMPUTRONS_PER_S },
    figures,
    errors,
  };
}

function fmt(v: number | undefined): string {
  if (v === undefined || Number.isNaN(v)) return "-";
  const a = Math.abs(v);
  if (a === 0) return "0";
  if (a >= 1e6) return v.toExponential(3);
  if (a >= 1000) return Math.round(v).toString();
  if (a >= 100) return v.toFixed(1);
  if (a >= 1) return v.toFixed(3);
  return v.toPrecision(3);
}

export function formatTable(r: BenchReport): string {
  const rows = [["figure", "value", "unit", "baseline", "ratio", "goal", "result"]];
  /** Statements (figures with `text`): printed as one line at their place, outside the columns. */
  const statements = new Map<number, string>();
  for (const f of r.figures) {
    if (f.text !== undefined) {
      statements.set(rows.length, `${f.name}: ${f.text}`);
      rows.push([]);
      continue;
    }
    rows.push([
      f.name,
      fmt(f.value) + (f.spread ? ` (${f.spread.range.map(fmt).join("-")})` : ""),
      f.unit,
      f.baseline ? `${fmt(f.baseline.value)} (${f.baseline.name})` : "-",
      f.ratio === undefined ? "-" : fmt(f.ratio) + "x" + (f.ratioSpread ? ` (${f.ratioSpread.map((x) => x.toFixed(2)).join("-")})` : ""),
      f.goal?.text ?? "-",
      f.pass === undefined ? "" : f.pass ? "pass" : "MISS",
    ]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c]?.length ?? 0)));
  const line = (row: string[]) => row.map((cell, c) => (c === 1 || c === 4 ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join("  ").trimEnd();
  const out = [line(rows[0]), widths.map((w) => "-".repeat(w)).join("  "), ...rows.slice(1).map((row, i) => statements.get(i + 1) ?? line(row))];
  out.push("", `ESP32 estimates assume ${rateText(r.esp32.computronsPerSecond)} (pessimistic ${rateText(r.esp32.pessimisticComputronsPerSecond)}), a fixed assumption (ESP32_COMPUTRONS_PER_S; docs/performance.md), never this machine's speed`);
  if (r.xsSpeed) out.push(`XS on this machine: ${fmt(r.xsSpeed.computronsPerSecond / 1e6)} M computrons/s (wall, context only)`);
  for (const e of r.errors) out.push(`error in ${e.benchmark}: ${e.message}`);
  const misses = r.figures.filter((f) => f.pass === false).length;
  out.push(`${r.figures.length} figures, ${misses} goal(s) missed, ${r.errors.length} error(s); ${r.machine.cpu} x${r.machine.cores}, Node ${r.machine.node}; ${r.seconds.toFixed(1)} s${r.quick ? " (quick)" : ""}`);
  return out.join("\n") + "\n";
}

/** The CLI command. Exit code 0 when every benchmark ran (missed goals are reported, not failures); 1 on errors. */
export async function benchCommand(argv: string[]): Promise<number> {
  const { flags } = parseArgs("sensor-node bench", argv, BENCH_FLAGS, 0);
  if (flags.help) {
    process.stdout.write(helpText("Usage: sensor-node bench [options]", BENCH_FLAGS));
    return 0;
  }
  const json = Boolean(flags.json);
  const only = flags.only ? String(flags.only).split(",").map((s) => s.trim()).filter(Boolean) : undefined;
  const report = await runBench({ quick: Boolean(flags.quick), only, log: (m) => process.stderr.write(m + "\n") });
  process.stdout.write(json ? JSON.stringify(report) + "\n" : formatTable(report));
  return report.errors.length ? 1 : 0;
}
