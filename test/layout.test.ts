/*
 * The tree by runtime (docs/architecture.md), checked on the source (esbuild strips
 * the types, acorn parses the JavaScript):
 * - firmware/ and sim/ run in XS (device and Moddable lin build): they import
 *   only each other (firmware never the simulated world), never `node:*` or a
 *   package, and never name Node's globals `Buffer` or `process`;
 * - nothing outside test/ imports test/ (tooling is imported by tests, never
 *   the reverse);
& (a pool or a cache at
 *   module level outlives every owner on a 96 KiB heap; state belongs to an
 *   instance).
 */
import test from "ava";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as acorn from "acorn";
import * as walk from "acorn-walk";
import * as esbuild from "esbuild";

const ROOT = fileURLToPath(new URL("../../", import.meta.url)); // build/test/ -> repo root

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sources(rel));
    else if (/\.(ts|js|mjs)$/.test(e.name) && !e.name.endsWith(".d.ts")) out.push(rel);
  }
  return out;
}

interface Parsed {
  file: string;
  /** Import and export specifiers, static and dynamic. */
  imports: string[];
  /** Identifiers read as values (property names and keys excluded). */
  globals: Set<string>;
  /** Names declared with `let` or `var` at module level (top-level statements start at column 0). */
  moduleLets: string[];
}

function parse(file: string): Parsed {
  // xsc's host-function declarations (`function f(a) @ "xs_f";`) parse as empty functions.
  const text = fs.readFileSync(path.join(ROOT, file), "utf8").replace(/\)\s*@\s*"[^"]*"\s*;/g, ") {}");
  // Types stripped by esbuild, then a real JavaScript parse: comments and strings never match.
  const js = esbuild.transformSync(text, { loader: file.endsWith(".ts") ? "ts" : "js", format: "esm", target: "es2022" }).code;
  const ast = acorn.parse(js, { ecmaVersion: "latest", sourceType: "module" });
  const imports: string[] = [];
  const globals = new Set<string>();
  walk.simple(ast, {
    ImportDeclaration: (n: any) => void imports.push(n.source.value),
    ExportNamedDeclaration: (n: any) => void (n.source && imports.push(n.source.value)),
    ExportAllDeclaration: (n: any) => void imports.push(n.source.value),
    ImportExpression: (n: any) => void (n.source.type === "Literal" && imports.push(n.source.value)),
    Identifier: (n: any) => void globals.add(n.name),
  });
  const moduleLets = [...text.matchAll(/^(?:export\s+)?(?:let|var)\s+([A-Za-z_$][\w$]*)/gm)].map((m) => m[1]!);
  return { file, imports, globals, moduleLets };
}

const XS_TREES = ["firmware", "sim"];
const xsFiles = XS_TREES.flatMap((d) => sources(d)).map(parse);

/** The repo-relative folder an import lands in ("" for a package or a host module). */
function target(file: string, spec: string): string {
  if (!spec.startsWith(".")) return "";
  return path.normalize(path.join(path.dirname(file), spec));
}

test("the XS trees (firmware/, sim/) exist and are parsed", (t) => {
  t.true(xsFiles.some((p) => p.file.startsWith("firmware/app/")));
  t.true(xsFiles.some((p) => p.file.startsWith("sim/devices/")));
});

test("firmware/ and sim/ import only firmware/ and sim/: no node:*, no packages, no tooling", (t) => {
  const bad: string[] = [];
  for (const p of xsFiles) {
    for (const spec of p.imports) {
      const to = target(p.file, spec);
      const ok = to !== "" && (to.startsWith("firmware/") || (to.startsWith("sim/") && !p.file.startsWith("firmware/")));
      if (!ok) bad.push(`${p.file} imports ${spec}`);
    }
  }
  t.deepEqual(bad, []);
});

test("firmware/ and sim/ never use Node's Buffer or process", (t) => {
  const bad = xsFiles.flatMap((p) => ["Buffer", "process", "require"].filter((g) => p.globals.has(g)).map((g) => `${p.file} uses ${g}`));
  t.deepEqual(bad, []);
});

test("firmware/ holds no module-level let/var state", (t) => {
  const bad = xsFiles.filter((p) => p.file.startsWith("firmware/")).flatMap((p) => p.moduleLets.map((n) => `${p.file}: let ${n}`));
  t.deepEqual(bad, []);
});

test("nothing outside test/ imports test/", (t) => {
  const trees = ["firmware", "sim", "hosts", "tools", "bin"].filter((d) => fs.existsSync(path.join(ROOT, d)));
  const bad: string[] = [];
  for (const file of trees.flatMap((d) => sources(d))) {
    for (const spec of parse(file).imports) {
      if (target(file, spec).startsWith("test/")) bad.push(`${file} imports ${spec}`);
    }
  }
  t.deepEqual(bad, []);
});

test("the checks see what they look for (a planted offender fails each rule)", (t) => {
  const dir = path.join(ROOT, "firmware", "__layout_probe__");
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, "probe.ts");
  try {
    fs.writeFileSync(file, 'import fs from "node:fs";\nimport { x } from "../../test/helpers/wait.js";\nlet cache = 0;\nexport const f = () => Buffer.from(process.argv[0] ?? "") && fs && x && cache;\n');
    const p = parse("firmware/__layout_probe__/probe.ts");
    t.deepEqual(p.imports, ["node:fs", "../../test/helpers/wait.js"]);
    t.is(target(p.file, p.imports[1]!), path.normalize("test/helpers/wait.js"));
    t.deepEqual(p.moduleLets, ["cache"]);
    t.true(p.globals.has("Buffer") && p.globals.has("process"));
    t.false(p.globals.has("from"), "a property name is not a global");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
