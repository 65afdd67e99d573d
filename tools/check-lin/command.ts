/*
 * `sensor-node check-lin`: the checks of the firmware on the Moddable runtime that
 * CI cannot run (it has no SDK), as one script anyone with the SDK can run; it
 * writes a dated JSON record (default bench/lin-check.json) that the docs quote.
 *
 *   runs        the release build of manifests/sim.json on an embedded broker, each
 *               FIFO design (sampler=worker: the sampler Worker; sampler=none: polled
 *               from the firmware's thread) alone and beside one CPU-bound process:
 *               windows, samples lost, overrun faults (issue 14), and how late the OS
 *               woke a thread sleeping 5 ms meanwhile (wake-probe.ts); the boot counter of
 *               two runs in a row (Preference survives a restart: it counts up)
 *   memory      the debug check app test/moddable/memory-check: XS heap at boot and
 *               once the node runs, with preload (docs/moddable.md, "Preload")
 *   spectrum    the debug check app test/moddable/spectrum-check: the C kernel's
 *               features against Node's portable kernel (compare.mjs)
 *   provision   the release build without a broker (one image): unprovisioned, then
 *               provisioned through its setup page for plain MQTT, TLS and mTLS against
 *               mosquitto, kept across a restart, and a wrong CA or name refused (provision.ts)
 *
 * With --only, the parts of an existing record that were not checked again are kept,
 * each with the date and commit it was checked at (`checked`).
 * Needs MODDABLE (the SDK with its lin tools built), Xvfb, and npm run build.
 * Exit codes: 0 record written, 1 a check could not run, 2 bad usage or missing tools.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { helpText, parseArgs, UsageError, type FlagSpec } from "../cli/args.js";
import { locateSdk, type Sdk } from "../build/mcconfig.js";
import { startAedes } from "../brokers/broker.js";
import { build, CheckError, clearLinStorage, cpuLoad, runDebug, runRelease, startDisplay } from "./mcsim.js";
import { TelemetryTally, type RunFigures } from "./tally.js";
import { git, runStart } from "../figures/record.js";
import { startWakeProbe, type WakeFigures } from "./wake-probe.js";
import { provisionCheck, type ProvisionRecord } from "./provision.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url)); // build/tools/check-lin -> repo root
const CHECKS = ["runs", "memory", "spectrum", "provision"] as const;
/** The memory check measures a provisioned node, as in the field (sim.json's default before one image; nothing need answer there). */
const MEMORY_CHECK_BROKER = "broker=mqtt://127.0.0.1:1883";
type Check = (typeof CHECKS)[number];

const FLAGS: Record<string, FlagSpec> = {
  seconds: { kind: "number", help: "length of each release run in seconds (default 60)", min: 10, max: 3600 },
  only: { kind: "string", help: `comma-separated checks: ${CHECKS.join(", ")} (default: all)` },
  out: { kind: "string", help: "the record to write (default bench/lin-check.json)" },
  help: { kind: "boolean", help: "show this help" },
};

export interface LinCheckRecord {
  kind: "lin-check";
  date: string;
  commit: string;
  sdk: string;
  machine: { cpu: string; cores: number; loadAverage: number[] };
  runs?: (RunFigures & { wake: WakeFigures })[];
  preference?: { boots: number[]; persists: boolean };
  memory?: unknown[];
  spectrum?: unknown;
  provision?: ProvisionRecord;
  /** When each part was checked (a part kept from an earlier record keeps its own). */
  checked?: Partial<Record<Check, { date: string; commit: string; loadAverage?: number[] }>>;
}

export async function checkLinCommand(argv: string[]): Promise<number> {
  const { flags } = parseArgs("sensor-node check-lin", argv, FLAGS, 0);
  if (flags.help) {
    process.stdout.write(helpText("Usage: sensor-node check-lin [options]   (docs/moddable.md, 'check-lin')", FLAGS));
    return 0;
  }
  const only = flags.only === undefined ? [...CHECKS] : String(flags.only).split(",");
  for (const c of only) if (!(CHECKS as readonly string[]).includes(c)) throw new UsageError(`sensor-node check-lin: --only: unknown check ${JSON.stringify(c)} (expected ${CHECKS.join(", ")})`);
  const seconds = (flags.seconds as number | undefined) ?? 60;
  const out = path.resolve(String(flags.out ?? path.join(ROOT, "bench", "lin-check.json")));
  const sdk = locateSdk({ env: process.env, root: ROOT });
  if ("problem" in sdk) throw new UsageError(`sensor-node check-lin: ${sdk.problem}`);
  if (!fs.existsSync(path.join(ROOT, "build", "firmware"))) throw new UsageError("sensor-node check-lin: build/ is missing: run npm run build first");

  const start = runStart(ROOT);
  const record: LinCheckRecord = {
    kind: "lin-check",
    date: new Date().toISOString(),
    commit: `${start.commit.slice(0, 10)}${start.dirty ? " (modified)" : ""}`,
    sdk: git(sdk.moddable, ["describe", "--tags", "--always"]) ?? "unknown",
    machine: { cpu: os.cpus()[0]?.model ?? "unknown", cores: os.cpus().length, loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100) },
  };
  const earlier = flags.only !== undefined && fs.existsSync(out) ? (JSON.parse(fs.readFileSync(out, "utf8")) as LinCheckRecord) : undefined;
  record.checked = {};
  for (const check of CHECKS) {
    if (only.includes(check)) record.checked[check] = { date: record.date, commit: record.commit, loadAverage: record.machine.loadAverage };
    else if (earlier?.[check] !== undefined) {
      // A check's results are the record's key of the same name (runs also wrote preference).
      Object.assign(record, { [check]: earlier[check] }, check === "runs" ? { preference: earlier.preference } : {});
      record.checked[check] = earlier.checked?.[check] ?? { date: earlier.date, commit: earlier.commit };
    }
  }
  const work = path.join(ROOT, ".tmp", "check-lin");
  const x = await startDisplay();
  try {
    for (const check of only as Check[]) {
      process.stderr.write(`check-lin: ${check}\n`);
      if (check === "runs") Object.assign(record, await releaseRuns(sdk, x.display, work, seconds));
      else if (check === "provision") record.provision = await provisionCheck(sdk, ROOT, x.display, path.join(work, "provision"));
      else if (check === "memory") {
        clearLinStorage();
        record.memory = await runDebug(sdk, x.display, build(sdk, ROOT, path.join(work, "memory"), "test/moddable/memory-check/manifest.json", [MEMORY_CHECK_BROKER], true), 120, (o) => o.some((v) => (v as { stage?: string }).stage === "running 5 s"));
      } else record.spectrum = await spectrum(sdk, x.display, work);
    }
  } catch (error) {
    if (error instanceof CheckError) {
      process.stderr.write(`${error.message}\n`);
      return 1;
    }
    throw error;
  } finally {
    // Leave the machine's lin storage as a factory-fresh node would find it (every lin build here shares it).
    clearLinStorage();
    await x.stop();
  }
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify(record, null, 1) + "\n");
  process.stdout.write(`check-lin: wrote ${path.relative(process.cwd(), out) || out}\n`);
  return 0;
}

/** Both FIFO designs, alone and beside one CPU-bound process; then the boot counter across two runs of one build. */
async function releaseRuns(sdk: Sdk, display: string, work: string, seconds: number): Promise<Pick<LinCheckRecord, "runs" | "preference">> {
  const broker = await startAedes(0);
  const tally = new TelemetryTally();
  broker.aedes.on("publish", (packet) => tally.add(packet.topic, packet.payload as Buffer));
  try {
    const runs: (RunFigures & { wake: WakeFigures })[] = [];
    const boots: number[] = [];
    for (const sampler of ["worker", "none"] as const) {
      const nodeId = `lin-check-${sampler}`;
      const so = build(sdk, ROOT, path.join(work, sampler), "manifests/sim.json", [`broker=${broker.url}`, `nodeId=${nodeId}`, `sampler=${sampler}`]);
      // A factory-fresh node: settings provisioned by an earlier run would replace the build's broker.
      clearLinStorage();
      for (const load of [0, 1]) {
        process.stderr.write(`check-lin: sampler=${sampler}, ${load} CPU-bound process(es) beside, ${seconds} s\n`);
        tally.start(nodeId);
        const stopLoad = cpuLoad(load);
        const stopProbe = startWakeProbe();
        await runRelease(sdk, display, so, seconds);
        const wake = await stopProbe();
        await stopLoad();
        const figures = { ...tally.finish({ sampler, cpuBoundBeside: load, seconds }), wake };
        runs.push(figures);
        if (sampler === "worker") boots.push(figures.boot);
      }
    }
    return { runs, preference: { boots, persists: boots.length === 2 && boots[1] > boots[0] } };
  } finally {
    await broker.close();
  }
}

/** The spectrum check app's features against Node's portable kernel (test/moddable/spectrum-check/compare.mjs). */
async function spectrum(sdk: Sdk, display: string, work: string): Promise<unknown> {
  const so = build(sdk, ROOT, path.join(work, "spectrum"), "test/moddable/spectrum-check/manifest.json", [], true);
  const lines = await runDebug(sdk, display, so, 300, (o) => o.some((v) => (v as { done?: boolean }).done === true));
  const compare = spawnSync(process.execPath, [path.join(ROOT, "test/moddable/spectrum-check/compare.mjs")], { input: lines.map((l) => JSON.stringify(l)).join("\n"), encoding: "utf8" });
  if (compare.status !== 0) throw new CheckError(`check-lin: spectrum compare failed: ${(compare.stderr || "").trim().split("\n").slice(-1)[0]}`);
  const result = JSON.parse(compare.stdout) as { worstRelativeDifference: unknown; kernel: unknown };
  return { worstRelativeDifference: result.worstRelativeDifference, kernel: result.kernel };
}
