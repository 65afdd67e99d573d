/*
 * The setup page in headless Chromium (Debian's chromium driven by
 * playwright-core), against `sensor-node sim --factory`: the page shows the
 * node unprovisioned; a wrong broker URL shows the broker field's error in the
 * page; the corrected form is saved, the page follows the node until it says
 * connected, and telemetry reaches an independent subscriber (and the sim's
 * stdout message log). Screenshots are written and their paths logged.
 * Skipped only when /usr/bin/chromium is absent (CI installs it: .ci/run).
 */
import test from "ava";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import * as mqtt from "mqtt";
import { EVENT_CEILING_MS, until } from "./helpers/wait.js";
import { CHROMIUM, haveChromium, launchChromium } from "./helpers/chromium.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const have = haveChromium;
/** Real ms the page may take to show what the test waits for: a ceiling against hangs, never a pace. */
const UI_CEILING_MS = 60_000;
if (!have) process.stderr.write(`provision-page.test: skipped: ${CHROMIUM} is not installed (Debian: apt-get install chromium)\n`);

(have ? test : test.skip)(`setup page in headless Chromium: a field's error shown in the page, then provisioned, connected, publishing${have ? "" : " (skipped: no " + CHROMIUM + ")"}`, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sensor-node-setup-page-"));
  const sim = spawn(process.execPath, [path.join(ROOT, "bin/sensor-node.js"), "sim", "--factory", "--port", "0"], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  let stdout = "";
  sim.stderr.on("data", (d) => (stderr += String(d)));
  sim.stdout.on("data", (d) => (stdout += String(d)));
  const exited = new Promise<void>((r) => sim.once("exit", () => r()));
  let context: Awaited<ReturnType<typeof launchChromium>> | undefined;
  let subscriber: mqtt.MqttClient | undefined;
  try {
    await until(() => /^setup: http:\/\/127\.0\.0\.1:\d+\/$/m.test(stderr) && /setup key [A-Z0-9-]+/.test(stderr), `the setup line and the banner on stderr: ${stderr}`, UI_CEILING_MS);
    const url = /^setup: (\S+)$/m.exec(stderr)![1];
    const key = /setup key ([A-Z0-9-]+)/.exec(stderr)![1];
    const broker = /embedded MQTT broker \(aedes\) on (mqtt:\/\/\S+)/.exec(stderr)![1];
    t.is(stderr.split("\n").filter((l) => l.startsWith("setup: ")).length, 1, "one setup line");
    const telemetry: string[] = [];
    subscriber = await mqtt.connectAsync(broker);
    subscriber.on("message", (topic) => telemetry.push(topic));
    await subscriber.subscribeAsync("sensors/+/telemetry");

    context = await launchChromium(dir, { width: 900, height: 1400 });
    const page = context.pages()[0] ?? (await context.newPage());
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    page.on("dialog", (d) => void d.dismiss());
    await page.goto(url);
    await page.waitForSelector('#status[data-state="unprovisioned"]', { timeout: UI_CEILING_MS });
    t.regex((await page.textContent("#status")) ?? "", /^Unprovisioned \(node-[0-9a-f]{12}\)/);
    // Locators, not waitForFunction: the page's CSP forbids eval, which waitForFunction's polling needs.
    await page.locator("#readings", { hasText: /^vRms x/ }).waitFor({ timeout: UI_CEILING_MS });

    // A wrong field: the broker's error appears beside the broker field, nothing is saved.
    await page.fill("#broker", broker.replace("mqtt://", "http://"));
    await page.fill("#nodeId", "press-9");
    await page.click("#save");
    await page.waitForSelector('#result[data-state="invalid"]', { timeout: UI_CEILING_MS });
    t.is(await page.getAttribute("#status", "data-state"), "unprovisioned", "the node's state is apart from the form's result");
    t.regex((await page.textContent("#e-broker")) ?? "", /scheme "http" is not mqtt:\/\/ or mqtts:\/\/ \(bad-scheme\)/);
    t.true(await page.$eval("#broker", (e) => e.classList.contains("bad")));
    t.is(await page.textContent("#e-nodeId"), "", "a good field shows no error");
    const wrong = path.join(dir, "setup-page-field-error.png");
    await page.screenshot({ path: wrong, fullPage: true });
    t.log(`screenshot (field error): ${wrong}`);

    // Corrected, with the setup key (needed to follow the node once it is provisioned): saved, connected.
    await page.fill("#setupKey", key);
    await page.fill("#broker", broker);
    await page.selectOption("#machineGroup", "1");
    await page.fill("#rpm", "1480");
    await page.click("#save");
    await page.waitForSelector('#status[data-state="connected"]', { timeout: UI_CEILING_MS });
    t.is(await page.getAttribute("#result", "data-state"), "saved");
    t.is(await page.textContent("#status"), `Connected to ${broker} as press-9: publishing.`);
    t.is(await page.textContent("#e-broker"), "", "the error is gone");
    await until(() => telemetry.includes("sensors/press-9/telemetry"), "telemetry at the independent subscriber", EVENT_CEILING_MS);
    await until(() => / press-9 #\d+ normal vRms x /.test(stdout), `telemetry in the sim's message log: ${stdout.slice(-300)}`, EVENT_CEILING_MS);
    await page.locator("#machineGroup option:checked", { hasText: /^1$/ }).waitFor({ state: "attached", timeout: UI_CEILING_MS });
    const connected = path.join(dir, "setup-page-connected.png");
    await page.screenshot({ path: connected, fullPage: true });
    t.true(fs.statSync(wrong).size > 10_000 && fs.statSync(connected).size > 10_000, "screenshots written");
    t.log(`screenshot (connected): ${connected}`);
    t.deepEqual(errors, []);
  } catch (error) {
    t.log(`the simulator's stderr:\n${stderr.slice(-3000)}`);
    throw error;
  } finally {
    await context?.close();
    await subscriber?.endAsync();
    sim.kill("SIGTERM");
    await exited;
  }
});
