/*
 * Headless Chromium for the page tests (Debian's /usr/bin/chromium driven by
 * playwright-core): one persistent profile in a folder of the test's, no
 * sandbox (containers), nothing fetched in the background.
 */
import * as fs from "node:fs";
import * as path from "node:path";

export const CHROMIUM = "/usr/bin/chromium";

/** True when the browser is installed (the tests skip without it; CI installs it: .ci/run). */
export const haveChromium = fs.existsSync(CHROMIUM);

/** Launches Chromium with a fresh profile under `dir`; close the context at the end. */
export async function launchChromium(dir: string, viewport: { width: number; height: number }) {
  const { chromium } = await import("playwright-core");
  const profile = path.join(dir, "profile");
  fs.mkdirSync(profile, { recursive: true });
  return chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    viewport,
  });
}
