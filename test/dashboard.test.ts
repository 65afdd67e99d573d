/*
 * The dashboard end to end in headless Chromium (Debian's chromium driven by
 * playwright-core): `sensor-node sim --scenario ... --dashboard --port 0` runs a
 * node whose x vibration steps from 4 to 9 mm/s; the page must show trend points
 * increasing, the alarm transition, and a spectrum from the node's capture. A
 * node with a bearing defect and bearing diagnostics: the envelope spectrum with
 * its peak on BPFO and the defect frequencies marked. Waits are Playwright
 * locators (waitForFunction's polling evaluates strings, which a page's CSP may refuse).
 * Skipped only when /usr/bin/chromium is absent (CI installs it: .ci/run).
 */
import test, { type ExecutionContext } from "ava";
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

type Page = Awaited<ReturnType<Awaited<ReturnType<typeof launchChromium>>["newPage"]>>;

/** Runs `sensor-node sim --scenario <scenario> --dashboard` and opens the page; `check` gets it; a screenshot after. */
async function withDashboard(t: ExecutionContext, scenario: object, check: (page: Page) => Promise<void>): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sensor-node-dashboard-"));
  const scenarioFile = path.join(dir, "scenario.json");
  fs.writeFileSync(scenarioFile, JSON.stringify(scenario));
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
    context = await launchChromium(dir, { width: 1280, height: 1100 });
    const page = context.pages()[0] ?? (await context.newPage());
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(url);
    await check(page);
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
}

(have ? test : test.skip)(`dashboard in headless Chromium: live trends, an alarm after a vibration step, a captured spectrum${have ? "" : " (skipped: no " + CHROMIUM + ")"}`, async (t) => {
  await withDashboard(t, SCENARIO, async (page) => {
    // Each wait is for an event; the ceiling only catches a hang (a busy machine must never reach it).
    // The node shows up in the list and is selected; trend points arrive and keep arriving.
    await page.locator('#nodes li[data-node="pump-1"].sel').waitFor({ timeout: UI_CEILING_MS });
    const count = async () => Number((await page.getAttribute("#points", "data-count")) ?? 0);
    await page.locator('#points[data-count]:not([data-count="0"]):not([data-count="1"])').waitFor({ timeout: UI_CEILING_MS });
    const first = await count();
    await page.locator(`#points[data-count]:not([data-count="${first}"])`).waitFor({ timeout: UI_CEILING_MS });
    t.true((await count()) > first, "trend points increase");
    // Selecting the node asked it for a capture: the spectrum is the node's FFT (2049 bins of a 4096 window).
    await page.locator("#spectrum[data-bins]").waitFor({ timeout: UI_CEILING_MS });
    t.is(await page.getAttribute("#spectrum", "data-bins"), "2049");
    t.regex((await page.textContent("#spectrum-info")) ?? "", /capture \d+: 4096 samples at 3200 Hz, peak x 29\.\d Hz/);
    // A node without a bearing has no envelope: its card stays hidden.
    t.true(await page.locator("#envelope-card").isHidden());
    // The step at 12 s simulated (6 s real at --speed 2): warning then alarm on x.vRms.
    await page.locator("#alarms li.alarm").first().waitFor({ timeout: UI_CEILING_MS });
    const alarms = await page.$$eval("#alarms li", (els) => els.map((e) => e.textContent ?? ""));
    t.true(alarms.some((a) => /x\.vRms: (normal|warning) → alarm \(\d/.test(a)), alarms.join(" | "));
    t.is(await page.textContent("#status"), "online");
    // The header shows the state of the node's latest message: wait for the alarm's (with four CPU-bound
    // processes beside the whole suite, the header once still showed "fault" when the alarm list did not).
    await page.locator("#state", { hasText: /^alarm$/ }).waitFor({ timeout: UI_CEILING_MS });
    t.is(await page.textContent("#title"), "pump-1");
    t.true((await page.$$("#trend-vrms canvas")).length >= 1 && (await page.$$("#spectrum canvas")).length >= 1, "uPlot canvases");
  });
});

/** 6205 (9 balls, 7.94 mm on a 39.04 mm pitch, 0 deg) at 1780 rpm: BPFO = n/2 fr (1 - d/D), BPFI = n/2 fr (1 + d/D). */
const BEARING_RPM = 1780;
const BPFO_HZ = (9 / 2) * (BEARING_RPM / 60) * (1 - 7.94 / 39.04);
const BPFI_HZ = (9 / 2) * (BEARING_RPM / 60) * (1 + 7.94 / 39.04);

const BEARING_SCENARIO = {
  version: 1,
  name: "dashboard test: an outer-race defect on a node that knows its bearing",
  seed: 5,
  duration_s: 120,
  // on the ESP32 CPU model (the sim default) the envelope needs a ring longer than the default 500 ms (docs/decisions.md 31)
  node: { config: { nodeId: "motor-7", machine: { rpm: BEARING_RPM, bearing: "6205" }, acquisition: { ringMs: 1000 } } },
  machine: {
    rpm: BEARING_RPM,
    vibration: [
      { axis: "all", kind: "imbalance", vrms_mm_s: 1.0 },
      { axis: "all", kind: "bearing", defect: "bpfo", severity_g: 0.4 },
      { axis: "all", kind: "noise", g_rms: 0.01 },
    ],
    temperature_c: 45,
  },
};

(have ? test : test.skip)(`dashboard in headless Chromium: the envelope spectrum of a bearing defect, its peak on BPFO, the defect frequencies marked${have ? "" : " (skipped: no " + CHROMIUM + ")"}`, async (t) => {
  await withDashboard(t, BEARING_SCENARIO, async (page) => {
    await page.locator('#nodes li[data-node="motor-7"].sel').waitFor({ timeout: UI_CEILING_MS });
    await page.locator("#envelope[data-peak]").waitFor({ timeout: UI_CEILING_MS });
    await page.locator("#defects[data-bpfo]").waitFor({ state: "attached", timeout: UI_CEILING_MS });
    t.true(await page.locator("#envelope-card").isVisible());
    const peak = Number(await page.getAttribute("#envelope", "data-peak"));
    t.true(Math.abs(peak - BPFO_HZ) / BPFO_HZ < 0.01, `envelope peak ${peak} Hz vs BPFO ${BPFO_HZ.toFixed(2)} Hz`);
    // the markers are the node's defect frequencies at its measured speed: within its 0.5 % of the test's
    const bpfo = Number(await page.getAttribute("#defects", "data-bpfo"));
    const bpfi = Number(await page.getAttribute("#defects", "data-bpfi"));
    t.true(Math.abs(bpfo - BPFO_HZ) / BPFO_HZ < 0.005 && Math.abs(bpfi - BPFI_HZ) / BPFI_HZ < 0.005, `markers BPFO ${bpfo}, BPFI ${bpfi}`);
    t.regex((await page.textContent("#defects")) ?? "", /^BPFO \d+\.\d Hz · BPFI .* FTF \d+\.\d Hz$/);
    t.regex((await page.textContent("#envelope-info")) ?? "", /speed 17[78]\d rpm/);
    t.true((await page.$$("#envelope canvas")).length >= 1, "uPlot canvas");
  });
});
