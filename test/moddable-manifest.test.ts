/*
 * The Moddable manifests map every module the entries reach. The CI has no SDK, and a module
 * missing from a manifest only shows at run time in XS: the build succeeds, then the first
 * import of it throws (`module "./packets/connect.js" not found`) and XS aborts before any
 * trace. mcconfig's "dir/*" entries do not recurse, so each folder needs its own entry.
 */
import test from "ava";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { runInNewContext } from "node:vm";
import * as esbuild from "esbuild";
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
      // A module written in JavaScript (the host-function bindings: random.js, fifo-sampler.js) ends the walk.
      const ts = resolve(dirname(file), m[3].replace(/\.js$/, ".ts"));
      if (existsSync(ts)) visit(ts);
      else seen.add(relative(ROOT, ts).replace(/\.ts$/, "").split("\\").join("/"));
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

/** Every module entry [specifier, absolute source] of a manifest and the project manifests it includes (top level). */
function moduleEntries(file: string): [string, string][] {
  const m = JSON.parse(readFileSync(file, "utf8")) as Manifest;
  const out: [string, string][] = [];
  for (const [key, source] of Object.entries(m.modules ?? {})) for (const s of [source].flat()) out.push([key, resolve(dirname(file), s)]);
  for (const inc of m.include ?? []) if (!inc.includes("$(")) out.push(...moduleEntries(resolve(dirname(file), inc)));
  return out;
}

const NATIVE = "firmware/dsp/native/";

for (const manifest of ["manifests/sim.json", "manifests/esp32.json", "manifests/hil.json", "test/moddable/spectrum-check/manifest.json"]) {
  test(`${manifest} runs the C spectrum kernel and envelope pass: bindings mapped, portable modules excluded, C sources listed`, (t) => {
    const entries = moduleEntries(join(ROOT, manifest));
    const sources = (key: string) => entries.filter(([k]) => k === key).map(([, s]) => relative(ROOT, s).split("\\").join("/"));
    for (const name of ["spectrum", "demodulate"]) {
      t.deepEqual(sources(`firmware/dsp/${name}`), [NATIVE + name], `one mapping of the ${name} specifier, to the binding`);
      // without the exclusion the firmware/dsp/* entry would also bring the portable .ts under the same name
      t.true(sources("~").includes(`firmware/dsp/${name}`), `'~' drops the portable ${name}.ts`);
      t.true(sources("*").includes(`${NATIVE}${name}_kernel`), `the C ${name} kernel is listed`);
      // mcconfig takes every file of a mapped name: the binding's .js, its host functions' .c and its .d.ts
      for (const ext of [".js", ".c", ".d.ts"]) t.true(existsSync(join(ROOT, NATIVE + name + ext)), `${name}${ext}`);
      for (const ext of [".c", ".h"]) t.true(existsSync(join(ROOT, `${NATIVE}${name}_kernel${ext}`)), `${name}_kernel${ext}`);
    }
  });
}

for (const [binding, sources] of [
  [NATIVE + "spectrum.js", [NATIVE + "spectrum.c"]],
  [NATIVE + "demodulate.js", [NATIVE + "demodulate.c"]],
  ["hosts/moddable/random.js", ["hosts/moddable/native/random.c"]],
  ["hosts/moddable/fifo-sampler.js", ["hosts/moddable/native/fifo_sampler.c"]],
  ["hosts/moddable/ota-state.js", ["hosts/moddable/native/ota_state.c"]],
] as const) {
  test(`every host function ${binding} declares is defined in its C file (xsl fails the link otherwise, without the SDK here)`, (t) => {
    const js = readFileSync(join(ROOT, binding), "utf8");
    const c = sources.map((f) => readFileSync(join(ROOT, f), "utf8")).join("\n");
    const declared = [...js.matchAll(/@\s*"(xs_\w+)"/g)].map((m) => m[1]);
    t.true(declared.length >= 1, `host functions in ${binding}: ${declared}`);
    for (const name of declared) t.regex(c, new RegExp(`\\bvoid\\s+${name}\\s*\\(\\s*xsMachine\\s*\\*\\s*the\\s*\\)`), name);
  });
}

/*
 * Preload (docs/moddable.md, "Preload"): xsl runs the listed modules (and what they import) at
 * build time, so their classes, functions and tables are in flash, not RAM. mcconfig's "dir/*"
 * preload patterns match .js modules only, so the TypeScript modules are listed one by one and a
 * new module is easily forgotten: it would then load into RAM on the device without any error.
 */
interface PreloadManifest extends Manifest {
  preload?: string[];
}

/** The preload list of a manifest and the project manifests it includes. */
function preloads(file: string): string[] {
  const m = JSON.parse(readFileSync(file, "utf8")) as PreloadManifest;
  const out = [...(m.preload ?? [])];
  for (const inc of m.include ?? []) if (!inc.includes("$(")) out.push(...preloads(resolve(dirname(file), inc)));
  return out;
}

/**
 * Runs the bodies of `modules` (repo-relative names) as xsl would, in a fresh context with every
 * Moddable module (non-relative import) replaced by a stub that throws on use: the error, if a
 * module touches a native (Time, Timer, Preference, sockets, ...) or a global such as trace while
 * it loads. Preloading such a module fails the build, or bakes the build machine's state into flash.
 */
async function loadWithoutNatives(modules: string[], source?: string): Promise<string | undefined> {
  const contents = source ?? modules.map((name) => `import "./${name}.js";`).join("\n");
  const out = await esbuild.build({
    stdin: { contents, resolveDir: ROOT, loader: "ts" },
    bundle: true,
    format: "cjs",
    write: false,
    logLevel: "silent",
    plugins: [{
      name: "moddable-stubs",
      setup(b) {
        b.onResolve({ filter: /^[^.]/ }, (a) => ({ path: a.path, namespace: "sdk" }));
        b.onLoad({ filter: /.*/, namespace: "sdk" }, (a) => ({ contents: `module.exports = sdk(${JSON.stringify(a.path)});`, loader: "js" }));
        // A host-function binding (`function f(x) @ "xs_f";`, xsc's syntax): declared at load, native only when called.
        b.onLoad({ filter: /\.js$/ }, (a) => {
          const text = readFileSync(a.path, "utf8");
          if (!/@\s*"xs_/.test(text)) return undefined;
          return { contents: text.replace(/\)\s*@\s*"(xs_\w+)"\s*;/g, ') { throw new Error("native $1 called while loading"); }'), loader: "js" };
        });
      },
    }],
  });
  const sdk = (name: string) => new Proxy({}, {
    get: (_, key) => {
      if (key === "__esModule") return undefined; // esbuild's interop looks, harmlessly
      throw new Error(`"${name}".${String(key)} used while loading`);
    },
  });
  try {
    runInNewContext(out.outputFiles[0].text, { sdk, module: { exports: {} } });
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

test("the load check catches a module that uses a native while it loads, not one that uses it later", async (t) => {
  t.is(await loadWithoutNatives([], `import Time from "time";\nexport function later() { return Time.ticks; }\nclass A { m() { return Time.ticks; } }`), undefined);
  t.is(await loadWithoutNatives([], `import Time from "time";\nexport const t0 = Time.ticks;`), `"time".ticks used while loading`);
  t.regex((await loadWithoutNatives([], `trace("hello");`))!, /trace is not defined/);
});

for (const manifest of ["manifests/sim.json", "manifests/esp32.json"]) {
  test(`${manifest} preloads every module its entry loads except main, and none uses a native while it loads`, async (t) => {
    const file = join(ROOT, manifest);
    const main = (JSON.parse(readFileSync(file, "utf8")) as Manifest).creation?.main;
    if (!main) return t.fail("no creation.main");
    const listed = preloads(file);
    t.false(listed.includes(main), "main is not preloaded (it starts the node: timers, sockets)");
    t.deepEqual(listed.filter((name, i) => listed.indexOf(name) !== i), [], "no module listed twice");
    // the C kernel's binding stands in for firmware/dsp/spectrum (spectrum-native.json): same name
    const reached = [...reachedModules(main)].filter((name) => name !== main);
    t.true(reached.includes("firmware/app/node") && reached.includes("hosts/moddable/host"));
    t.deepEqual(reached.filter((name) => !listed.includes(name)), [], "every module the entry loads is preloaded");
    t.deepEqual(listed.filter((name) => !existsSync(join(ROOT, name + ".ts")) && !existsSync(join(ROOT, name + ".js")) && name !== "firmware/dsp/spectrum"), [], "every listed module exists");
    t.is(await loadWithoutNatives(listed), undefined);
  });
}

test("every firmware module is preloaded by common.json", (t) => {
  const listed = preloads(join(ROOT, "manifests/common.json"));
  const walk = (dir: string): string[] => readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(`${dir}/${e.name}`) : e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") ? [`${dir}/${e.name.slice(0, -3)}`] : []));
  const firmware = walk("firmware");
  t.true(firmware.length > 40, `${firmware.length} firmware modules`);
  t.deepEqual(firmware.filter((name) => !listed.includes(name)), []);
});

/*
 * Updates over the air on the device (docs/ota.md, "On the device"): the SDK's `ota` module, the
 * firmware slots and the native rollback calls exist on esp32 alone (the module's own manifest
 * stops any other platform), so they are mapped in esp32.json's esp32 section only; the lin builds
 * (sim.json, and esp32.json's lin smoke build) have no Host.firmware and refuse cmd/ota.
 */
interface PlatformManifest extends PreloadManifest {
  platforms?: Record<string, PreloadManifest & { include?: string[]; config?: Record<string, unknown> }>;
  config?: Record<string, unknown>;
}
const OTA_PARTS = /modules\/ota\/manifest|firmware-slots|ota-state|ota_state/;

test("manifests/esp32.json maps the SDK's ota module, hosts/moddable/firmware-slots and the ota_state binding in its esp32 section only", (t) => {
  const m = JSON.parse(readFileSync(join(ROOT, "manifests/esp32.json"), "utf8")) as PlatformManifest;
  const esp32 = m.platforms?.esp32;
  if (!esp32) return t.fail("no esp32 section");
  t.true(esp32.include?.includes("$(BUILD)/devices/esp32/modules/ota/manifest.json"), "the SDK's ota module");
  t.is(esp32.modules?.["hosts/moddable/firmware-slots"], "../hosts/moddable/firmware-slots");
  t.is(esp32.modules?.["hosts/moddable/ota-state"], "../hosts/moddable/ota-state");
  t.true([esp32.modules?.["*"] ?? []].flat().includes("../hosts/moddable/native/ota_state"), "the C of the binding");
  for (const name of ["hosts/moddable/firmware-slots", "hosts/moddable/ota-state"]) t.true(esp32.preload?.includes(name), `${name} preloaded`);
  for (const file of ["hosts/moddable/firmware-slots.ts", "hosts/moddable/ota-state.js", "hosts/moddable/ota-state.d.ts", "hosts/moddable/native/ota_state.c"]) t.true(existsSync(join(ROOT, file)), file);
  // The host looks the module up by this name (Modules.has), and the entry passes the build's keys.
  t.regex(readFileSync(join(ROOT, "hosts/moddable/host.ts"), "utf8"), /const FIRMWARE_SLOTS_MODULE = "hosts\/moddable\/firmware-slots";/);
  t.regex(readFileSync(join(ROOT, "hosts/moddable/main.ts"), "utf8"), /ota: \{ trustedKeys: typeof mc\.otaKeys === "string" \? mc\.otaKeys : "", boot \}/);
  t.is(m.config?.otaKeys, "", "otaKeys defaults to none (sensor-node build esp32 otaKey=FILE sets it)");
  // Everywhere else: nothing of it (the lin smoke section, the top level, and the manifests it includes).
  const { platforms, "//": _comment, ...top } = m as PlatformManifest & { "//"?: string };
  t.notRegex(JSON.stringify({ top, lin: platforms?.lin }), OTA_PARTS);
});

for (const manifest of ["manifests/sim.json", "manifests/common.json", "manifests/spectrum-native.json", "test/moddable/memory-check/manifest.json", "test/moddable/spectrum-check/manifest.json"]) {
  test(`${manifest} has no OTA device modules (its host has no firmware slots)`, (t) => {
    const { "//": _comment, ...m } = JSON.parse(readFileSync(join(ROOT, manifest), "utf8")) as Record<string, unknown>;
    t.notRegex(JSON.stringify(m), OTA_PARTS);
  });
}

test("the lin entry makes its host without ota options, and the firmware slots load without touching a native", async (t) => {
  t.notRegex(readFileSync(join(ROOT, "hosts/moddable/sim-node.ts"), "utf8"), /\bota:/);
  t.is(await loadWithoutNatives(["hosts/moddable/firmware-slots"]), undefined);
});
