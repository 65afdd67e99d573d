/*
 * The committed sources of the published figures: bench/record.json (one full
 * `sensor-node bench --json` run with a header: machine, Node, date, commit),
 * bench/budgets.json (the CI ceilings), and bench/lin-check.json (the dated
 * manual check on the Moddable lin build, `sensor-node check-lin`; optional).
 * A missing or malformed file is a FiguresError: one line naming the file.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { BenchReport } from "../bench/run.js";
import type { Figure } from "../bench/types.js";

export const RECORD_PATH = "bench/record.json";
export const BUDGETS_PATH = "bench/budgets.json";
import type { LinCheckRecord } from "../check-lin/command.js";

export const LIN_CHECK_PATH = "bench/lin-check.json";

/** The command that measures and writes the record. */
export const UPDATE_COMMAND = "npm run figures -- --update";

/** A problem with the figures' inputs or the docs' markers: printed as one line, exit code 2. */
export class FiguresError extends Error {
  readonly exitCode = 2;
}

export interface RecordHeader {
  /** CPU model and logical cores of the machine the bench ran on. */
  cpu: string;
  cores: number;
  node: string;
  /** When the bench started (ISO 8601). */
  date: string;
  /** The commit measured, and whether the tree had uncommitted changes when the bench started. */
  commit: string;
  dirty: boolean;
  /** The machine's 1-minute load average when the bench started and when it ended: wall figures are slower on a busy machine. */
  load: [number, number];
  command: string;
  /**
   * Benchmarks measured again on their own since the full run (`--update --only NAME`):
   * each with the date, commit and load of its own run. Their figures replaced theirs
   * in the record; a full `--update` measures everything and clears this.
   */
  parts?: Record<string, PartHeader>;
}

/** One benchmark measured on its own and merged into the record. */
export type PartHeader = Omit<RecordHeader, "cpu" | "cores" | "node" | "parts"> & { cpu: string; cores: number; node: string };

export interface BenchRecord {
  header: RecordHeader;
  bench: BenchReport;
}

export interface Budget {
  budget: number;
  measured: number;
  unit: string;
  what: string;
}

/** bench/lin-check.json as `sensor-node check-lin` writes it (tools/check-lin/command.ts); every part optional. */
export type LinCheck = Partial<Omit<LinCheckRecord, "kind">>;

function readJson(root: string, file: string): unknown {
  const full = path.join(root, file);
  let text: string;
  try {
    text = fs.readFileSync(full, "utf8");
  } catch {
    throw new FiguresError(`figures: ${file} not found${file === RECORD_PATH ? `: run \`${UPDATE_COMMAND}\` (the full bench, several minutes)` : ""}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new FiguresError(`figures: ${file} is not JSON: ${(e as Error).message}`);
  }
}

export function readRecord(root: string): BenchRecord {
  const r = readJson(root, RECORD_PATH) as Partial<BenchRecord>;
  const h = r?.header;
  if (!h || typeof h.commit !== "string" || typeof h.date !== "string" || typeof h.cpu !== "string") {
    throw new FiguresError(`figures: ${RECORD_PATH} has no header (cpu, cores, node, date, commit): write it with \`${UPDATE_COMMAND}\``);
  }
  if (!r.bench || !Array.isArray(r.bench.figures)) throw new FiguresError(`figures: ${RECORD_PATH} has no bench.figures: write it with \`${UPDATE_COMMAND}\``);
  if (r.bench.quick) throw new FiguresError(`figures: ${RECORD_PATH} holds a --quick run: the record is a full run (\`${UPDATE_COMMAND}\`)`);
  return r as BenchRecord;
}

export function readBudgets(root: string): Record<string, Budget> {
  const all = readJson(root, BUDGETS_PATH) as Record<string, Budget | string>;
  const budgets: Record<string, Budget> = {};
  for (const [key, b] of Object.entries(all)) if (typeof b === "object") budgets[key] = b;
  return budgets;
}

/** The lin check record, or undefined when there is none yet. */
export function readLinCheck(root: string): LinCheck | undefined {
  if (!fs.existsSync(path.join(root, LIN_CHECK_PATH))) return undefined;
  const r = readJson(root, LIN_CHECK_PATH);
  if (typeof r !== "object" || r === null || typeof (r as LinCheck).date !== "string") throw new FiguresError(`figures: ${LIN_CHECK_PATH}: not a check-lin record (no date): run \`sensor-node check-lin\` again`);
  return r as LinCheck;
}

/** `git args` in `root`, trimmed; undefined when git fails (no repository, no git). */
export function git(root: string, args: string[]): string | undefined {
  try {
    return execFileSync("git", args, { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return undefined;
  }
}

export interface RunStart {
  commit: string;
  dirty: boolean;
  load: number;
}

/** What the header needs from before the bench runs: the checked-out commit, whether the tree differs from it, the load. */
export function runStart(root: string): RunStart {
  return {
    commit: git(root, ["rev-parse", "HEAD"]) ?? "unknown",
    dirty: (git(root, ["status", "--porcelain", "--untracked-files=no"]) ?? "") !== "",
    load: os.loadavg()[0],
  };
}

/** The header of a record measured in this process: this machine, this Node, the commit and load of `start`. */
export function recordHeader(start: RunStart, bench: BenchReport): RecordHeader {
  const round = (x: number) => Math.round(x * 100) / 100;
  return {
    cpu: bench.machine.cpu,
    cores: bench.machine.cores,
    node: bench.machine.node,
    date: bench.startedAt,
    commit: start.commit,
    dirty: start.dirty,
    load: [round(start.load), round(os.loadavg()[0])],
    command: UPDATE_COMMAND,
  };
}

/**
 * `record` with the benchmarks of `bench` (a run of some of them, `--only`) measured
 * again: their old figures (tagged with the benchmark's name, or of the same id) are
 * replaced by the new ones where the first of them stood, or appended in the
 * run's order; the rest keep the full run's figures and header, and `parts` says
 * when each re-measured benchmark ran.
 */
export function mergeRecord(record: BenchRecord, header: RecordHeader, bench: BenchReport, modules: string[]): BenchRecord {
  const ids = new Set(bench.figures.map((f) => f.id));
  const replaced = (f: Figure) => ids.has(f.id) || (f.module !== undefined && modules.includes(f.module));
  const old = record.bench.figures;
  const at = old.findIndex(replaced);
  const kept = old.filter((f) => !replaced(f));
  const where = at < 0 ? kept.length : old.slice(0, at).filter((f) => !replaced(f)).length;
  const figures = [...kept.slice(0, where), ...bench.figures, ...kept.slice(where)];
  const { parts: _parts, ...part } = header;
  const parts = { ...record.header.parts };
  for (const m of modules) parts[m] = part;
  const errors = [...record.bench.errors.filter((e) => !modules.includes(e.benchmark)), ...bench.errors];
  return { header: { ...record.header, parts }, bench: { ...record.bench, figures, errors } };
}

export function writeRecord(root: string, record: BenchRecord): void {
  fs.writeFileSync(path.join(root, RECORD_PATH), JSON.stringify(record, null, 1) + "\n");
}
