/*
 * The published figures cannot drift (issue 15): every figures table in README.md,
 * docs/performance.md, docs/provisioning.md, docs/opcua.md, docs/ota.md and docs/measurement.md is what tools/figures renders from the committed
 * bench/record.json, bench/budgets.json and bench/lin-check.json. Nothing here
 * runs the bench. After a change to a table or the record: `npm run figures`.
 */
import test from "ava";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { figuresCommand, renderDocs } from "../tools/figures/main.js";
import { blockText, replaceBlocks, staleBlocks } from "../tools/figures/markers.js";
import { num } from "../tools/figures/format.js";
import { mergeRecord, readRecord, RECORD_PATH } from "../tools/figures/record.js";
import { measuredLine } from "../tools/figures/tables.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url)); // build/test/ -> repo root

/** The documents that hold figures tables. */
const DOCS = ["README.md", "docs/performance.md", "docs/provisioning.md", "docs/opcua.md", "docs/ota.md", "docs/measurement.md"];

test("README.md, docs/performance.md, docs/provisioning.md, docs/opcua.md, docs/ota.md and docs/measurement.md hold the figures tables as rendered from the committed record", (t) => {
  const docs = renderDocs(ROOT);
  t.deepEqual(
    docs.map((d) => d.file),
    DOCS,
  );
  for (const d of docs) t.deepEqual(d.stale, [], `${d.file}: these tables differ from ${RECORD_PATH}: run \`npm run figures\``);
});

test("a README figure edited by hand is caught", (t) => {
  const readme = renderDocs(ROOT).find((d) => d.file === "README.md")!;
  const rendered = { summary: blockText(readme.rendered, "summary", "README.md").trim() };
  // The first digit of the value cell of the table's first row (the header line and the table head carry no figures).
  const summary = blockText(readme.text, "summary", "README.md");
  const row = summary.split("\n").find((line) => line.startsWith("| ") && !line.startsWith("| figure |"))!;
  const cells = row.split(" | ");
  cells[1] = cells[1].replace(/\d/, (d) => String((Number(d) + 1) % 10));
  const edited = readme.text.replace(row, cells.join(" | "));
  t.not(edited, readme.text, "the copy differs from the committed README in one figure");
  t.deepEqual(staleBlocks(readme.text, rendered, "README.md"), []);
  t.deepEqual(staleBlocks(edited, rendered, "README.md"), ["summary"]);
});

test("the record names the machine, Node, date and commit it was measured on, from a full run", (t) => {
  const { header, bench } = readRecord(ROOT);
  t.regex(header.commit, /^[0-9a-f]{40}$/);
  t.false(Number.isNaN(Date.parse(header.date)));
  t.true(header.cores > 0 && header.cpu.length > 0 && /^v\d+\./.test(header.node));
  t.false(bench.quick);
  t.deepEqual(bench.errors, []);
});

test("every wall figure of the record carries a baseline and a spread over rounds measured in the same run, and the tables print both (issue 15)", (t) => {
  const { bench } = readRecord(ROOT);
  const wall = bench.figures.filter((f) => f.kind === "wall" && f.text === undefined);
  t.true(wall.length > 0);
  const missing = wall.filter((f) => !f.baseline || !Number.isFinite(f.baseline.value) || !f.baseline.name || !f.spread).map((f) => f.id);
  t.deepEqual(missing, [], "wall figures without a baseline or a spread: measure them again with `npm run figures -- --update --only MODULE`");
  for (const f of wall) {
    const spread = f.spread!;
    t.true(Number.isInteger(spread.rounds) && spread.rounds >= 1, `${f.id}: rounds ${spread.rounds}`);
    // p10-p90 needs ten rounds to mean anything; fewer are reported as the lowest and highest.
    t.is(spread.stat, spread.rounds >= 10 ? "p10-p90" : "min-max", `${f.id}: ${spread.stat} of ${spread.rounds} rounds`);
    t.true(spread.range[0] <= spread.range[1], `${f.id}: spread ${spread.range.join("-")}`);
  }
  const all = blockText(fs.readFileSync(path.join(ROOT, "docs/performance.md"), "utf8"), "all", "docs/performance.md");
  for (const f of wall) {
    const row = all.split("\n").find((line) => line.startsWith(`| ${f.name.replace(/\|/g, "\\|")} | wall |`));
    t.truthy(row, `${f.id}: no row in docs/performance.md`);
    t.true(row!.includes(`${f.spread!.stat} of ${f.spread!.rounds} `) && row!.includes(`(${f.baseline!.name.replace(/\|/g, "\\|")})`), `${f.id}: the row prints its spread and baseline: ${row}`);
  }
});

test("every ESP32 figure of the record says it is an estimate in its row (its name, or its kind: a column of the table)", (t) => {
  const esp32 = readRecord(ROOT).bench.figures.filter((f) => /ESP32|esp32/.test(f.id + f.name));
  t.true(esp32.length > 10);
  for (const f of esp32) t.true(f.name.includes("estimate") || f.kind === "estimate", `${f.id}: ${f.name} (${f.kind})`);
});

test("markers: a block is replaced between its markers, prose around it kept; a missing or unclosed marker names the file", (t) => {
  const text = "intro\n<!-- figures:a -->\nold\n<!-- /figures:a -->\nafter\n";
  t.is(replaceBlocks(text, { a: "| new |" }, "X.md"), "intro\n<!-- figures:a -->\n| new |\n<!-- /figures:a -->\nafter\n");
  t.throws(() => replaceBlocks("no markers", { a: "x" }, "X.md"), { message: "figures: X.md has no <!-- figures:a --> marker" });
  t.throws(() => replaceBlocks("<!-- figures:a --> open", { a: "x" }, "X.md"), { message: "figures: X.md: <!-- figures:a --> is not closed by <!-- /figures:a -->" });
});

test("numbers: grouped thousands, trailing zeros dropped", (t) => {
  t.is(num(3084225), "3 084 225");
  t.is(num(8903.615), "8 904");
  t.is(num(93.1), "93.1");
  t.is(num(1.5), "1.5");
  t.is(num(5.7), "5.7");
  t.is(num(0), "0");
  t.is(num(-6), "-6");
});

test("npm run figures: a missing record is one line naming the file, exit 2; an unknown flag exit 2", async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "figures-"));
  try {
    const err: string[] = [];
    t.is(await figuresCommand(["--check"], { root: dir, err: (s) => err.push(s), out: () => {} }), 2);
    t.deepEqual(err, ["figures: bench/record.json not found: run `npm run figures -- --update` (the full bench, several minutes)\n"]);
    fs.mkdirSync(path.join(dir, "bench"));
    fs.writeFileSync(path.join(dir, RECORD_PATH), "{");
    err.length = 0;
    t.is(await figuresCommand([], { root: dir, err: (s) => err.push(s), out: () => {} }), 2);
    t.is(err.length, 1);
    t.regex(err[0], /^figures: bench\/record\.json is not JSON: /);
    err.length = 0;
    t.is(await figuresCommand(["--nope"], { root: dir, err: (s) => err.push(s), out: () => {} }), 2);
    t.regex(err[0], /unknown option --nope/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("npm run figures -- --check: exit 1 and the file and block named when a committed table differs", async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "figures-"));
  try {
    for (const file of ["bench/record.json", "bench/budgets.json", "bench/lin-check.json", ...DOCS]) {
      if (!fs.existsSync(path.join(ROOT, file))) continue; // the lin check record is optional
      fs.mkdirSync(path.join(dir, path.dirname(file)), { recursive: true });
      fs.copyFileSync(path.join(ROOT, file), path.join(dir, file));
    }
    const quiet = { root: dir, out: () => {}, err: () => {} };
    t.is(await figuresCommand(["--check"], quiet), 0);
    const perf = path.join(dir, "docs/performance.md");
    const text = fs.readFileSync(perf, "utf8");
    fs.writeFileSync(perf, text.replace(/(<!-- figures:budgets -->[\s\S]*?\| )(\d)/, (_, head: string, d: string) => head + ((Number(d) + 1) % 10)));
    const err: string[] = [];
    t.is(await figuresCommand(["--check"], { ...quiet, err: (s) => err.push(s) }), 1);
    t.deepEqual(err, ["figures: docs/performance.md: budgets differ from bench/record.json (run `npm run figures`)\n"]);
    t.is(await figuresCommand([], quiet), 0, "rendering puts it right");
    t.is(fs.readFileSync(perf, "utf8"), text);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("--update --only: a benchmark measured on its own replaces its figures where they stood, the others and the full run's header are kept, the part dated", (t) => {
  const record = readRecord(ROOT);
  const figure = (id: string, module: string | undefined, value: number) => ({ id, name: id, value, unit: "x", kind: "wall" as const, ...(module ? { module } : {}) });
  const earlier = { ...record, bench: { ...record.bench, figures: [figure("a.1", undefined, 1), figure("b.1", "b", 2), figure("b.2", "b", 3), figure("c.1", undefined, 4)] } };
  const header = { ...record.header, date: "2030-01-02T00:00:00.000Z", commit: "f".repeat(40), load: [7.5, 8] as [number, number], command: "npm run figures -- --update --only b" };
  const run = { ...record.bench, figures: [figure("b.1", "b", 20), figure("b.3", "b", 30)] };
  const merged = mergeRecord(earlier, header, run, ["b"]);
  t.deepEqual(
    merged.bench.figures.map((f) => [f.id, f.value]),
    [["a.1", 1], ["b.1", 20], ["b.3", 30], ["c.1", 4]],
  );
  t.is(merged.header.date, record.header.date, "the full run's header stays");
  t.deepEqual(merged.header.parts?.b?.load, [7.5, 8]);
  t.is(merged.header.parts?.b?.date, header.date);
  // A benchmark new to the record goes at the end; the line over the tables names the part's own run and load.
  const added = mergeRecord(earlier, header, { ...record.bench, figures: [figure("d.1", "d", 5)] }, ["d"]);
  t.deepEqual(added.bench.figures.map((f) => f.id), ["a.1", "b.1", "b.2", "c.1", "d.1"]);
  t.regex(measuredLine(added), /The d figures were measured again on their own: 2030-01-02 .*load average 7.5 at the start and 8 at the end \(`npm run figures -- --update --only b`\)\.$/);
});
