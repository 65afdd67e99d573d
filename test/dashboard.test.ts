/*
 * The dashboard end to end in headless Chromium (Debian's chromium driven by
 * playwright-core): `sensor-node sim --scenario ... --dashboard --port 0` runs a
 * node whose x vibration steps from 4 to 9 mm/s; the page must show trend points
 * increasing, the alarm transition, and a spectrum from the node's capture.
 * Skipped only when /usr/bin/chromium is absent (CI installs it: .ci/run).
 */
import test from "ava";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { CHROMIUM, haveChromium, launchChromium } from "./helpers/chromium.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const have = haveChromium;
/** Real ms the page may take to show what the test waits for: a ceiling against hangs, never a pace. */
const UI_CEILING_MS = 60_000;
if (!have) process.stderr.write(`dashboard.test: skipped: ${CHROMIUM} is not installed (Debian: apt-get install chromium)\n`);

const SCENARIO = {
  version: 1,
  name: "dashboard test: a vibration step to alarm",
  seed: 3,
  duration_s: 120,
  node: { config: { nodeId: "pump-1", monitor: { rules: [{ metric: "x.vRms", warning: 4.5, alarm: 7.1, onDelay: 1 }] } } },
  machine: {
    rpm: 1782,
    vibration: [
      { axis: "x", kind: "sine", freq_hz: 29.7, vrms_mm_s: 4.0 },
      { axis: "y", kind: "sine", freq_hz: 29.7, vrms_mm_s: 1.5 },
      { axis: "z", kind: "sine", freq_hz: 59.4, vrms_mm_s: 0.8 },
      { axis: "all", kind: "noise", g_rms: 0.005 },
    ],
    temperature_c: 41.5,
  },
  events: [{ at_s: 12, kind: "set", path: "machine.vibration[0].vrms_mm_s", value: 9.0 }],
};

(have ? test : test.skip)(`dashboard in headless Chromium: live trends, an alarm after a vibration step, a captured spectrum${have ? "" : " (skipped: no " + CHROMIUM + ")"}`, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sensor-node-dashboard-"));
  const scenarioFile = path.join(dir, "step.json");
  fs.writeFileSync(scenarioFile, JSON.stringify(SCENARIO));
  const sim = spawn(process.execPath, [path.join(ROOT, "bin/sensor-node.js"), "sim", "--scenario", scenarioFile, "--dashboard", "--port", "0", "--speed", "2"], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  sim.stderr.on("data", (d) => (stderr += String(d)));
  const exited = new Promise<void>((r) => sim.once("exit", () => r()));
  let context: Awaited<ReturnType<typeof launchChromium>> | undefined;
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no dashboard URL within 60 s: ${stderr}`)), 60_000);
      sim.stderr.on("data", () => {
        const m = /dashboard on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(stderr);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
    });
    context = await launchChromium(dir, { width: 1280, height: 860 });
    const page = context.pages()[0] ?? (await context.newPage());
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(url);
    // Each wait is for an event; the ceiling only catches a hang (a busy machine must never reach it).
    // The node shows up in the list and is selected; trend points arrive and keep arriving.
    await page.waitForSelector('#nodes li[data-node="pump-1"].sel', { timeout: UI_CEILING_MS });
    const count = async () => Number((await page.getAttribute("#points", "data-count")) ?? 0);
    await page.waitForFunction('Number(document.getElementById("points").dataset.count || 0) >= 2', undefined, { timeout: UI_CEILING_MS });
    const first = await count();
    await page.waitForFunction(`Number(document.getElementById("points").dataset.count || 0) > ${first}`, undefined, { timeout: UI_CEILING_MS });
    t.true((await count()) > first, "trend points increase");
    // Selecting the node asked it for a capture: the spectrum is the node's FFT (2049 bins of a 4096 window).
    await page.waitForSelector("#spectrum[data-bins]", { timeout: UI_CEILING_MS });
    t.is(await page.getAttribute("#spectrum", "data-bins"), "2049");
    t.regex(await page.textContent("#spectrum-info") ?? "", /capture \d+: 4096 samples at 3200 Hz, peak x 29\.\d Hz/);
    // The step at 12 s simulated (6 s real at --speed 2): warning then alarm on x.vRms.
    await page.waitForSelector("#alarms li.alarm", { timeout: UI_CEILING_MS });
    const alarms = await page.$$eval("#alarms li", (els) => els.map((e) => e.textContent ?? ""));
    t.true(alarms.some((a) => /x\.vRms: (normal|warning) → alarm \(\d/.test(a)), alarms.join(" | "));
    t.is(await page.textContent("#status"), "online");
    t.is(await page.textContent("#state"), "alarm");
    t.is(await page.textContent("#title"), "pump-1");
    t.true((await page.$$("#trend-vrms canvas")).length >= 1 && (await page.$$("#spectrum canvas")).length >= 1, "uPlot canvases");
    const shot = path.join(dir, "dashboard.png");
    await page.screenshot({ path: shot, fullPage: true });
    t.true(fs.statSync(shot).size > 10_000, "screenshot written");
    t.log(`screenshot: ${shot}`);
    t.deepEqual(errors, []);
  } finally {
    await context?.close();
    sim.kill("SIGTERM");
    await exited;
  }
});
