/*
 * The dashboard end to end in headless Chromium (Debian's chromium driven by
 * playwright-core): `sensor-node sim --scenario ... --broker <mosquitto>
 * --dashboard --port 0` while an independent mqtt.js subscriber records what
 * the node publishes. What the page shows is checked against that truth and
 * against the standards and formulas written here: every telemetry value the
 * page prints equals the payload's (same boot and seq); the ISO 10816-3 zones
 * and the configured levels behind the velocity trend are the standard's and
 * the scenario's, and painted; the temperature axis never spans less than 20
 * steps of the TMP117; the spectrum's largest line in the vRms band is the
 * node's fDom (never a DC or sub-band bin), its amplitude in mm/s RMS and mg
 * recomputed here from the capture's own chunks; the 1x-3x and bearing markers
 * sit where the configured or measured speed puts them; a second capture adds a
 * waterfall row; no request of the page fails (favicon); a clean stop shows
 * "run finished". Screenshots go to .tmp/dashboard/ (paths in the test log).
 * Waits are Playwright locators (waitForFunction polls by evaluating strings,
 * which the page's CSP refuses). Skipped only when /usr/bin/chromium is absent.
 */
import test from "ava";
import { CHROMIUM, haveChromium } from "./helpers/chromium.js";
import { checkShownValues, UI_CEILING_MS, withDashboardRun, type DashboardRun, type Page } from "./helpers/dashboard-run.js";
import { until } from "./helpers/wait.js";

const have = haveChromium;
if (!have) process.stderr.write(`dashboard.test: skipped: ${CHROMIUM} is not installed (Debian: apt-get install chromium)\n`);
const maybe = have ? test.serial : test.skip;
const skipped = have ? "" : ` (skipped: no ${CHROMIUM})`;

/** ISO 10816-3:2009 Table A.2, group 2 (15-300 kW) on a rigid foundation, mm/s: A/B, B/C, C/D. */
const ISO_GROUP2_RIGID = { ab: 1.4, bc: 2.8, cd: 4.5 };
/** TMP117 datasheet (SNOSD82): 7.8125 m degC per LSB. */
const TMP117_RESOLUTION_C = 0.0078125;
/** Standard gravity, m/s^2. */
const G = 9.80665;
const RPM = 1782;

const SCENARIO = {
  version: 1,
  name: "dashboard test: a vibration step to alarm",
  seed: 3,
  duration_s: 3600,
  node: { config: { nodeId: "pump-1", machine: { rpm: RPM }, monitor: { rules: [{ metric: "x.vRms", warning: 4.5, alarm: 7.1, onDelay: 1 }] } } },
  machine: {
    rpm: RPM,
    vibration: [
      { axis: "x", kind: "sine", freq_hz: 29.7, vrms_mm_s: 4.0 },
      { axis: "y", kind: "sine", freq_hz: 29.7, vrms_mm_s: 1.5 },
      { axis: "z", kind: "sine", freq_hz: 59.4, vrms_mm_s: 0.8 },
      { axis: "all", kind: "noise", g_rms: 0.005 },
    ],
    temperature_c: 41.5,
  },
  events: [{ at_s: 30, kind: "set", path: "machine.vibration[0].vrms_mm_s", value: 9.0 }],
};

const data = async (page: Page, selector: string, name: string) => page.getAttribute(selector, `data-${name}`);
const dataNumber = async (page: Page, selector: string, name: string) => Number(await data(page, selector, name));
const dataJson = async (page: Page, selector: string, name: string) => JSON.parse((await data(page, selector, name)) ?? "null");

/** The colour painted at value (x fraction of the plot, y in data units) of a chart, from its canvas. */
async function pixel(page: Page, selector: string, xFraction: number, y: number): Promise<[number, number, number]> {
  const plot = await dataJson(page, selector, "plot");
  const y0 = await dataNumber(page, selector, "y-min");
  const y1 = await dataNumber(page, selector, "y-max");
  const px = plot.left + xFraction * plot.width;
  const py = plot.top + ((y1 - y) / (y1 - y0)) * plot.height;
  return page.$eval(`${selector} canvas`, (c, [x, yy]) => {
    const canvas = c as any;
    const scale = canvas.width / canvas.clientWidth;
    const d = canvas.getContext("2d")!.getImageData(Math.round(x * scale), Math.round(yy * scale), 1, 1).data;
    return [d[0], d[1], d[2]] as [number, number, number];
  }, [px, py]);
}

/** The capture `id` of `node` as the subscriber saw it: meta and the joined spectrum of each axis (micro-g, 0-peak). */
async function capture(run: DashboardRun, node: string, id: number) {
  const base = `sensors/${node}/capture/${id}`;
  const meta = async () => run.seen.find((m) => m.topic === `${base}/meta`)?.doc;
  await until(() => run.seen.some((m) => m.topic === `${base}/meta`), `${base}/meta`);
  const m = await meta();
  const chunks = Math.ceil((m.n / 2 + 1) / 1024);
  const spectrum = (axis: string) => Array.from({ length: chunks }, (_, k) => run.seen.find((s) => s.topic === `${base}/spectrum/${axis}/${k}`)?.doc?.data as number[] | undefined);
  await until(() => ["x", "y", "z"].every((a) => spectrum(a).every((c) => c !== undefined)), `the spectrum chunks of ${base}`);
  return { meta: m, x: spectrum("x").flat() as number[], y: spectrum("y").flat() as number[], z: spectrum("z").flat() as number[] };
}

maybe(`dashboard: the page's values are the telemetry's; ISO zones, levels, temperature floor, spectrum peak and markers, waterfall, run finished${skipped}`, async (t) => {
  await withDashboardRun(t, { scenario: SCENARIO, args: ["--speed", "2"] }, async (run) => {
    const { page } = run;
    // The node shows up, is selected, and trend points keep arriving.
    await page.locator('#nodes li[data-node="pump-1"].sel').waitFor({ timeout: UI_CEILING_MS });
    await page.locator('#points[data-count]:not([data-count="0"]):not([data-count="1"])').waitFor({ timeout: UI_CEILING_MS });
    // Every value shown is the payload's.
    const compared = await checkShownValues(t, run, "pump-1");
    t.true(compared >= 3 * 7 + 1 + 3, `${compared} values compared`);

    // Velocity trend: the zones of the default class (group 2, rigid) and the levels in force behind the lines.
    const z = ISO_GROUP2_RIGID;
    t.deepEqual(await dataJson(page, "#trend-vrms", "bands"), [["zone A", 0, z.ab], ["zone B", z.ab, z.bc], ["zone C", z.bc, z.cd], ["zone D", z.cd, null]]);
    const levels: [string, number][] = await dataJson(page, "#trend-vrms", "levels");
    const levelAt = (y: number) => levels.find(([, v]) => v === y)?.[0] ?? "";
    t.regex(levelAt(4.5), /\bx warning\b/, "the scenario's x warning");
    t.regex(levelAt(4.5), /\by,z alarm\b/, "zone alarms (C/D) of the axes without a rule");
    t.regex(levelAt(7.1), /\bx alarm\b/, "the scenario's x alarm");
    t.regex(levelAt(z.bc), /\by,z warning\b/, "zone warnings (B/C)");
    // ...and painted: zone A green over red, zone D red over green (most of three columns: a line may cross one).
    const greenish = ([r, g]: number[]) => g > r;
    const a = await Promise.all([0.25, 0.5, 0.75].map((f) => pixel(page, "#trend-vrms", f, z.ab * 0.3)));
    const d = await Promise.all([0.25, 0.5, 0.75].map((f) => pixel(page, "#trend-vrms", f, z.cd + 0.3)));
    t.true(a.filter(greenish).length >= 2, `zone A pixels ${JSON.stringify(a)}`);
    t.true(d.filter((p) => !greenish(p)).length >= 2, `zone D pixels ${JSON.stringify(d)}`);

    // Temperature: a constant 41.5 degC never zooms below 20 TMP117 steps (nor 0.5 degC).
    const span = (await dataNumber(page, "#trend-temp", "y-max")) - (await dataNumber(page, "#trend-temp", "y-min"));
    t.true(span >= Math.max(0.5, 20 * TMP117_RESOLUTION_C) - 1e-9, `temperature axis spans ${span} degC`);
    t.regex((await page.textContent("#temp-info")) ?? "", /tmp117, resolution 0\.0078125/);

    // Spectrum: the capture the selection asked for, checked against its chunks at the subscriber.
    await page.locator("#spectrum[data-capture]").waitFor({ timeout: UI_CEILING_MS });
    const id = await dataNumber(page, "#spectrum", "capture");
    const cap = await capture(run, "pump-1", id);
    const df = cap.meta.df;
    t.is(df, 3200 / 4096);
    t.is(await data(page, "#spectrum", "bins"), "2049");
    // The largest line of x between 10 Hz and 1000 Hz (the vRms band): the node's fDom of that window, 29.7 Hz, not DC.
    const [k0, k1] = [Math.ceil(10 / df), Math.floor(1000 / df)];
    let kPeak = k0;
    for (let k = k0; k <= k1; k++) if (cap.x[k] > cap.x[kPeak]) kPeak = k;
    // The window's telemetry: the first at or after the capture (published once its features and rules are done, which the CPU model charges).
    await until(() => run.seen.some((m) => m.topic === "sensors/pump-1/telemetry" && m.doc?.ts >= cap.meta.ts), "the telemetry of the capture's window");
    const window = run.seen.find((m) => m.topic === "sensors/pump-1/telemetry" && m.doc?.ts >= cap.meta.ts)!.doc;
    const shownHz = await dataNumber(page, '#peaks span[data-axis="x"]', "hz");
    t.true(Math.abs(shownHz - window.vib.x.fDom) < 0.02, `peak ${shownHz} Hz, telemetry fDom ${window.vib.x.fDom} Hz`);
    t.true(Math.abs(shownHz - 29.7) < df / 2, `peak ${shownHz} Hz, the machine's 29.7 Hz`);
    // In mm/s RMS by default: a / (2 pi f) / sqrt 2 of the peak bin; then in mg 0-peak.
    const velocity = (cap.x[kPeak] * 1e-6 * G * 1000) / (2 * Math.PI * kPeak * df) / Math.SQRT2;
    t.is(await page.textContent('#peaks span[data-axis="x"]'), ` x ${shownHz.toFixed(2)} Hz ${velocity.toFixed(3)} mm/s RMS`);
    // A steady pure tone's line is its vRms (a window that straddles the step is not steady: the Hann window weighs its middle).
    const previous = run.seen.filter((m) => m.topic === "sensors/pump-1/telemetry" && m.doc?.ts < window.ts).pop()?.doc;
    if (previous?.vib && Math.abs(previous.vib.x.vRms - window.vib.x.vRms) / window.vib.x.vRms < 0.05) t.true(Math.abs(velocity - window.vib.x.vRms) / window.vib.x.vRms < 0.05, `a pure tone: its line ${velocity} mm/s is its vRms ${window.vib.x.vRms}`);
    else t.log(`the capture's window is not steady (vRms ${previous?.vib?.x?.vRms} then ${window.vib.x.vRms}): line against vRms not compared`);
    await page.selectOption("#spec-unit", "acc");
    await page.locator('#peaks[data-unit="acc"]').waitFor({ timeout: UI_CEILING_MS });
    t.is(await page.textContent('#peaks span[data-axis="x"]'), ` x ${shownHz.toFixed(2)} Hz ${(cap.x[kPeak] / 1000).toFixed(2)} mg 0-peak`);
    // 1x, 2x, 3x of the configured machine.rpm (the node has no speed measurement without bearing diagnostics).
    t.is(await data(page, "#markers", "source"), "config");
    const markers: [string, number][] = await dataJson(page, "#spectrum", "markers");
    t.deepEqual(markers.map(([label]) => label), ["1x", "2x", "3x"]);
    markers.forEach(([, hz], i) => t.true(Math.abs(hz - ((i + 1) * RPM) / 60) < 1e-9, `${i + 1}x at ${hz} Hz`));
    await run.screenshot("pump-1-linear");
    // A logarithmic frequency axis: from the first line (df) to ODR/2.
    await page.selectOption("#spec-x", "log");
    await page.locator(`#spectrum[data-x-min="${df}"]`).waitFor({ timeout: UI_CEILING_MS });
    t.is(await dataNumber(page, "#spectrum", "x-max"), 1600);

    // The step at 30 s simulated: the x.vRms alarm, and the header's state.
    await page.locator("#alarms li.alarm").first().waitFor({ timeout: UI_CEILING_MS });
    const alarms = await page.$$eval("#alarms li", (els) => els.map((e) => e.textContent ?? ""));
    t.true(alarms.some((a) => /x\.vRms: (normal|warning) → alarm \(\d/.test(a)), alarms.join(" | "));
    await page.locator("#state", { hasText: /^alarm$/ }).waitFor({ timeout: UI_CEILING_MS });
    t.is(await page.textContent("#status"), "online");

    // A second capture: a second waterfall row.
    await page.locator('#waterfall[data-rows="1"]').waitFor({ timeout: UI_CEILING_MS });
    await page.click("#capture");
    await page.locator('#waterfall[data-rows="2"]').waitFor({ timeout: UI_CEILING_MS });
    await run.screenshot("pump-1-log-waterfall");

    // No request of the page failed (favicon included).
    const icon = await fetch(new URL("/favicon.ico", run.url));
    t.is(icon.status, 200);
    t.deepEqual(run.problems, []);

    // A clean stop: the page says the run is over instead of reconnecting.
    run.interrupt();
    await page.locator('#conn[data-state="finished"]').waitFor({ timeout: UI_CEILING_MS });
    t.is(await page.textContent("#conn"), "run finished");
    await run.exited();
    await run.screenshot("pump-1-finished");
    t.is(await page.textContent("#conn"), "run finished", "still finished once the server is gone");
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
  duration_s: 3600,
  // on the ESP32 CPU model (the sim default) the envelope needs a ring longer than the default 500 ms (docs/decisions.md 31)
  node: {
    config: {
      nodeId: "motor-7",
      machine: { rpm: BEARING_RPM, bearing: "6205" },
      acquisition: { ringMs: 1000 },
      monitor: { rules: [{ metric: "x.env.bpfo", warning: 0.015, alarm: 0.03, onDelay: 2 }] },
    },
  },
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

maybe(`dashboard: a bearing defect: envelope spectrum on BPFO, defect and running-speed markers from the node, defect amplitude trend with its levels${skipped}`, async (t) => {
  await withDashboardRun(t, { scenario: BEARING_SCENARIO, args: ["--speed", "2"] }, async (run) => {
    const { page } = run;
    await page.locator('#nodes li[data-node="motor-7"].sel').waitFor({ timeout: UI_CEILING_MS });
    await page.locator("#envelope[data-peak]").waitFor({ timeout: UI_CEILING_MS });
    await page.locator("#defects[data-bpfo]").waitFor({ state: "attached", timeout: UI_CEILING_MS });
    t.true(await page.locator("#envelope-card").isVisible());
    const peak = await dataNumber(page, "#envelope", "peak");
    t.true(Math.abs(peak - BPFO_HZ) / BPFO_HZ < 0.01, `envelope peak ${peak} Hz vs BPFO ${BPFO_HZ.toFixed(2)} Hz`);
    // The markers are the node's defect frequencies at its measured speed: within its 0.5 % of the test's.
    const bpfo = await dataNumber(page, "#defects", "bpfo");
    const bpfi = await dataNumber(page, "#defects", "bpfi");
    t.true(Math.abs(bpfo - BPFO_HZ) / BPFO_HZ < 0.005 && Math.abs(bpfi - BPFI_HZ) / BPFI_HZ < 0.005, `markers BPFO ${bpfo}, BPFI ${bpfi}`);
    t.regex((await page.textContent("#defects")) ?? "", /^BPFO \d+\.\d Hz · BPFI .* FTF \d+\.\d Hz$/);
    // Running speed: the capture's own (meta.envelope.speed at the subscriber), 1x-3x and the defects on the FFT.
    const id = await dataNumber(page, "#spectrum", "capture");
    const cap = await capture(run, "motor-7", id);
    t.is(await data(page, "#markers", "source"), "capture");
    const markers: [string, number][] = await dataJson(page, "#spectrum", "markers");
    for (let h = 1; h <= 3; h++) t.true(markers.some(([l, hz]) => l === `${h}x` && Math.abs(hz - (h * cap.meta.envelope.speed) / 60) < 1e-9), `${h}x of ${cap.meta.envelope.speed} rpm in ${JSON.stringify(markers)}`);
    for (const [k, v] of Object.entries(cap.meta.envelope.defects as Record<string, number>)) t.true(markers.some(([l, hz]) => l === k.toUpperCase() && hz === v), `${k} marker`);
    // The envelope's defect amplitudes over time, with the x.env.bpfo rule's levels.
    await page.locator("#env-trend-card:not([hidden])").waitFor({ timeout: UI_CEILING_MS });
    const levels: [string, number][] = await dataJson(page, "#trend-env", "levels");
    t.deepEqual(levels.map(([, y]) => y).sort(), [0.015, 0.03]);
    // Values (speed, envelope features included) are the payload's.
    const compared = await checkShownValues(t, run, "motor-7");
    t.true(compared >= 3 * 7 + 3 * 7, `${compared} values compared`);
    t.true((await page.$$("#envelope canvas")).length === 1);
    await run.screenshot("motor-7-bearing");
    t.deepEqual(run.problems, []);
  });
});
