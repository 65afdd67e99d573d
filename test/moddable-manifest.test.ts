/*
 * The Moddable manifests map every module the entries reach. The CI has no SDK, and a module
 * missing from a manifest only shows at run time in XS: the build succeeds, then the first
 * import of it throws (`module "./packets/connect.js" not found`) and XS aborts before any
 * trace. mcconfig's "dir/*" entries do not recurse, so each folder needs its own entry.
 */
import test from "ava";
import { readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url)); // build/test/ -> repo root

interface Manifest {
  include?: string[];
  modules?: Record<string, string>;
  creation?: { main?: string };
}

/** Module specifiers mapped by a manifest and the project manifests it includes. */
function mappedModules(file: string): Set<string> {
  const m = JSON.parse(readFileSync(file, "utf8")) as Manifest;
  const out = new Set(Object.keys(m.modules ?? {}));
  for (const inc of m.include ?? []) {
    if (!inc.includes("$(")) for (const k of mappedModules(resolve(dirname(file), inc))) out.add(k);
  }
  return out;
}

/** Repo-relative module names (no extension) reached from `entry` through value imports. */
function reachedModules(entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string): void => {
    const name = relative(ROOT, file).replace(/\.ts$/, "").split("\\").join("/");
    if (seen.has(name)) return;
    seen.add(name);
    // import/export ... from "x" and import "x"; `import type` / `export type` are erased by tsc.
    for (const m of readFileSync(file, "utf8").matchAll(/^\s*(?:(import|export)\s+(type\s+)?[^;"']*?\bfrom\s*|import\s*)["']([^"']+)["']/gm)) {
      if (m[2] || !m[3].startsWith(".")) continue;
      visit(resolve(dirname(file), m[3].replace(/\.js$/, ".ts")));
    }
  };
  visit(join(ROOT, entry + ".ts"));
  return seen;
}

function isMapped(name: string, mapped: Set<string>): boolean {
  return mapped.has(name) || mapped.has(name.slice(0, name.lastIndexOf("/") + 1) + "*");
}

for (const manifest of ["manifests/sim.json", "manifests/esp32.json", "manifests/hil.json"]) {
  test(`${manifest} maps every module its entry imports`, (t) => {
    const file = join(ROOT, manifest);
    const main = (JSON.parse(readFileSync(file, "utf8")) as Manifest).creation?.main;
    if (!main) return t.fail("no creation.main");
    const mapped = mappedModules(file);
    const reached = reachedModules(main);
    t.true(reached.has("firmware/mqtt/packets/connect"), "the walk follows imports into subfolders");
    t.deepEqual([...reached].filter((name) => !isMapped(name, mapped)), []);
  });
}
