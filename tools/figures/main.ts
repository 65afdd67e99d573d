/*
 * `npm run figures [-- --check | --update]` (docs/performance.md, "Figures"):
 *
 *   (none)    renders the figures tables into README.md and docs/performance.md,
 *             between their markers, from the committed bench/record.json,
 *             bench/budgets.json and bench/lin-check.json (if there is one);
 *   --check   changes nothing; exit 1 when a committed table differs from its
 *             rendering (test/figures.test.ts checks the same in npm test);
 *   --update  runs the full bench first (several minutes; wall figures need a
 *             quiet machine) and writes bench/record.json, then renders;
 *   --update --only a,b
 *             runs those benchmarks only and merges their figures into the
 *             committed record (the others keep the full run's, and the record's
 *             header says when each part was measured: `parts`), then renders.
 *
 * Exit 2 with one line on a missing or malformed input or marker.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { helpText, parseArgs, UsageError, type FlagSpec } from "../cli/args.js";
import { replaceBlocks, staleBlocks } from "./markers.js";
import { FiguresError, mergeRecord, readBudgets, readLinCheck, readRecord, recordHeader, RECORD_PATH, runStart, UPDATE_COMMAND, writeRecord } from "./record.js";
import { renderBlocks } from "./tables.js";

/** build/tools/figures/ -> the repository. */
export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

const FLAGS: Record<string, FlagSpec> = {
  check: { kind: "boolean", help: "change nothing; exit 1 when a committed figures table differs from its rendering" },
  update: { kind: "boolean", help: "run the full bench (several minutes), write bench/record.json, then render" },
  only: { kind: "string", help: "with --update: run these benchmarks only (comma-separated) and merge their figures into the record" },
  help: { kind: "boolean", help: "show this help" },
};

export interface RenderedDoc {
  file: string;
  /** The file as committed and as the renderer makes it. */
  text: string;
  rendered: string;
  /** Blocks whose committed text differs from the rendering. */
  stale: string[];
}

/** Each document with its figures blocks rendered from the committed record (nothing is written). */
export function renderDocs(root: string): RenderedDoc[] {
  const blocks = renderBlocks({ record: readRecord(root), budgets: readBudgets(root), linCheck: readLinCheck(root) });
  return Object.entries(blocks).map(([file, docBlocks]) => {
    const text = fs.readFileSync(path.join(root, file), "utf8");
    return { file, text, rendered: replaceBlocks(text, docBlocks, file), stale: staleBlocks(text, docBlocks, file) };
  });
}

async function update(root: string, only: string[] | undefined, log: (line: string) => void): Promise<void> {
  const { runBench } = await import("../bench/run.js");
  const earlier = only ? readRecord(root) : undefined;
  const start = runStart(root);
  const bench = await runBench({ quick: false, only, log });
  if (bench.errors.length) throw new FiguresError(`figures: the bench reported ${bench.errors.length} error(s), ${RECORD_PATH} not written; first: ${bench.errors[0].benchmark}: ${bench.errors[0].message.split("\n")[0]}`);
  const header = recordHeader(start, bench);
  writeRecord(root, earlier ? mergeRecord(earlier, { ...header, command: `${UPDATE_COMMAND} --only ${only!.join(",")}` }, bench, only!) : { header, bench });
  log(`figures: ${earlier ? `merged ${only!.join(", ")} into` : "wrote"} ${RECORD_PATH} (${bench.figures.length} figures, ${bench.seconds.toFixed(0)} s)`);
}

export async function figuresCommand(argv: string[], o: { root?: string; out?: (s: string) => void; err?: (s: string) => void } = {}): Promise<number> {
  const root = o.root ?? REPO_ROOT;
  const out = o.out ?? ((s: string) => process.stdout.write(s));
  const err = o.err ?? ((s: string) => process.stderr.write(s));
  try {
    const { flags } = parseArgs("npm run figures --", argv, FLAGS, 0);
    if (flags.help) {
      out(helpText("Usage: npm run figures [-- --check | --update [--only a,b]]", FLAGS));
      return 0;
    }
    if (flags.check && flags.update) throw new UsageError("npm run figures: --check and --update exclude each other");
    if (flags.only !== undefined && !flags.update) throw new UsageError("npm run figures: --only goes with --update");
    const only = flags.only === undefined ? undefined : String(flags.only).split(",").map((m) => m.trim()).filter(Boolean);
    if (flags.update) await update(root, only, (line) => err(line + "\n"));
    const docs = renderDocs(root);
    if (flags.check) {
      const stale = docs.filter((d) => d.stale.length);
      for (const d of stale) err(`figures: ${d.file}: ${d.stale.join(", ")} differ from ${RECORD_PATH} (run \`npm run figures\`)\n`);
      return stale.length ? 1 : 0;
    }
    for (const d of docs) {
      if (d.rendered === d.text) continue;
      fs.writeFileSync(path.join(root, d.file), d.rendered);
      out(`figures: ${d.file}: ${d.stale.join(", ")} rendered\n`);
    }
    return 0;
  } catch (e) {
    if (e instanceof FiguresError || e instanceof UsageError) {
      err(e.message + "\n");
      return 2;
    }
    throw e;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const code = await figuresCommand(process.argv.slice(2));
  // The bench may leave a handle behind (a broker's timer): leave once the output is flushed.
  process.stdout.write("", () => process.exit(code));
}
