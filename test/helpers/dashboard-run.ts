/*
 * A dashboard run for the page tests: mosquitto started here, an independent
 * mqtt.js subscriber on `sensors/#` (the truth the page is checked against),
 * `sensor-node sim ... --broker <it> --dashboard --port 0` and headless
 * Chromium on the page. Every wait is for an event; ceilings only catch hangs.
 */
import type { ExecutionContext } from "ava";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import * as mqtt from "mqtt";
import { startMosquitto } from "../../tools/brokers/broker.js";
import { launchChromium } from "./chromium.js";
import { until } from "./wait.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
/** Real ms the page or the run may take to show what a test waits for: a ceiling against hangs, never a pace. */
export const UI_CEILING_MS = 60_000;
/** Screenshots go here (git-ignored), named by test, so a reviewer can open them after `npm test`. */
export const SHOT_DIR = path.join(ROOT, ".tmp", "dashboard");

export type Page = Awaited<ReturnType<Awaited<ReturnType<typeof launchChromium>>["newPage"]>>;

export interface Seen {
  topic: string;
  payload: Buffer;
  /** The payload parsed as JSON, when it is. */
  doc?: any;
}

export interface DashboardRun {
  url: string;
  page: Page;
  /** Every message the independent subscriber saw, in order. */
  seen: Seen[];
  subscriber: mqtt.MqttClient;
  sim: ChildProcess;
  /** Page errors and responses >= 400 the page got. */
  problems: string[];
  /** Saves a full-page screenshot under SHOT_DIR and logs its path. */
  screenshot(name: string): Promise<string>;
  /** The telemetry payload of (boot, seq) as the subscriber saw it, waiting for it to arrive. */
  telemetry(node: string, boot: number, seq: number): Promise<any>;
  /** Ctrl-C to the simulation (a clean stop). */
  interrupt(): void;
  /** Resolves when the simulation has exited; rejects if it has not within the UI ceiling (a stop that hangs). */
  exited(): Promise<void>;
}

/** Runs `sim` with `args` (and `scenario` written to a file for --scenario), gives `check` the run, cleans up whatever happens. */
export async function withDashboardRun(t: ExecutionContext, o: { args?: string[]; scenario?: object }, check: (run: DashboardRun) => Promise<void>): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sensor-node-dashboard-"));
  const broker = await startMosquitto();
  const seen: Seen[] = [];
  const subscriber = mqtt.connect(broker.url, { clientId: `dashboard-test-${process.pid}-${Math.floor(Math.random() * 1e9)}`, reconnectPeriod: 0 });
  subscriber.on("message", (topic, payload) => {
    let doc: any;
    try {
      doc = JSON.parse(payload.toString("utf8"));
    } catch {
      doc = undefined;
    }
    seen.push({ topic, payload, doc });
  });
  await new Promise<void>((resolve, reject) => {
    subscriber.once("connect", () => subscriber.subscribe("sensors/#", { qos: 1 }, (err) => (err ? reject(err) : resolve())));
    subscriber.once("error", reject);
  });
  const args = [...(o.args ?? [])];
  if (o.scenario) {
    const file = path.join(dir, "scenario.json");
    fs.writeFileSync(file, JSON.stringify(o.scenario));
    args.push("--scenario", file);
  }
  const sim = spawn(process.execPath, [path.join(ROOT, "bin/sensor-node.js"), "sim", ...args, "--broker", broker.url, "--dashboard", "--port", "0"], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  sim.stderr!.on("data", (d) => (stderr += String(d)));
  const exited = new Promise<void>((r) => sim.once("exit", () => r()));
  let context: Awaited<ReturnType<typeof launchChromium>> | undefined;
  try {
    await until(() => /dashboard on http:\/\/127\.0\.0\.1:\d+\//.test(stderr) || sim.exitCode !== null, "the dashboard URL on stderr", UI_CEILING_MS);
    const url = /dashboard on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(stderr)?.[1];
    if (!url) throw new Error(`sim exited without a dashboard: ${stderr}`);
    context = await launchChromium(dir, { width: 1280, height: 1100 });
    const page = context.pages()[0] ?? (await context.newPage());
    const problems: string[] = [];
    page.on("pageerror", (e) => problems.push(`page error: ${e}`));
    page.on("response", (r) => {
      if (r.status() >= 400) problems.push(`${r.status()} for ${r.url()}`);
    });
    fs.mkdirSync(SHOT_DIR, { recursive: true });
    const run: DashboardRun = {
      url,
      page,
      seen,
      subscriber,
      sim,
      problems,
      async screenshot(name) {
        const file = path.join(SHOT_DIR, `${name}.png`);
        await page.screenshot({ path: file, fullPage: true });
        t.log(`screenshot: ${file}`);
        return file;
      },
      async telemetry(node, boot, seq) {
        const find = () => seen.find((m) => m.topic === `sensors/${node}/telemetry` && m.doc?.boot === boot && m.doc?.seq === seq);
        await until(() => find() !== undefined, `telemetry ${node} boot ${boot} seq ${seq} at the subscriber`);
        return find()!.doc;
      },
      interrupt: () => sim.kill("SIGINT"),
      exited: () => until(() => sim.exitCode !== null || sim.signalCode !== null, "the simulation to exit", UI_CEILING_MS),
    };
    await page.goto(url);
    await check(run);
  } catch (error) {
    t.log(`sim stderr:\n${stderr.slice(-4000)}`);
    throw error;
  } finally {
    await context?.close();
    // A clean stop is the tests' to check (run.interrupt()); here the run only has to end.
    if (sim.exitCode === null && sim.signalCode === null) sim.kill("SIGKILL");
    await exited;
    await subscriber.endAsync(true);
    await broker.kill();
  }
}

/** The value at a dotted path of a payload (`vib.x.vRms`). */
export function at(doc: unknown, dotted: string): unknown {
  return dotted.split(".").reduce<unknown>((o, k) => (o && typeof o === "object" ? (o as Record<string, unknown>)[k] : undefined), doc);
}

/**
 * Every `[data-key]` the page shows next to the telemetry (boot, seq) it came from, read in one turn of the page,
 * compared with the subscriber's payload of that (boot, seq). Returns how many values were compared.
 */
export async function checkShownValues(t: ExecutionContext, run: DashboardRun, node: string): Promise<number> {
  const shown = await run.page.$eval("body", (body) => {
    const latest = body.querySelector("#latest") as any;
    return {
      boot: Number(latest.dataset.boot),
      seq: Number(latest.dataset.seq),
      fields: [...body.querySelectorAll("[data-key]")].map((e) => [(e as any).dataset.key as string, e.textContent ?? ""] as const),
    };
  });
  const payload = await run.telemetry(node, shown.boot, shown.seq);
  const statuses = run.seen.filter((m) => m.topic === `sensors/${node}/status`).map((m) => m.doc);
  let compared = 0;
  for (const [key, text] of shown.fields) {
    const [source, ...rest] = key.split(".");
    const dotted = rest.join(".");
    if (source === "status") {
      t.true(statuses.some((s) => String(at(s, dotted)) === text), `${key}: page ${text}, the subscriber's statuses ${statuses.map((s) => at(s, dotted)).join(", ")}`);
    } else {
      let want = at(payload, dotted);
      if (dotted === "running") want = want ? "running" : "stopped"; // shown as a word
      if (dotted === "outbox.rejected") want ??= 0; // the payload leaves a zero out (docs/outbox.md)
      t.is(text, want === undefined ? "-" : String(want), `${key} of boot ${shown.boot} seq ${shown.seq}`);
    }
    compared++;
  }
  return compared;
}
