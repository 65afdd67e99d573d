/*
 * Device entry (manifests/esp32.json): builds the Moddable Host and starts the node.
 *
 * Build-time configuration comes from the manifest's "config" section (mc/config),
 * set on the mcconfig command line (`key=value` after the manifest) or by
 * `sensor-node build esp32 key=value ...` (docs/device.md):
 *   ssid, password   Wi-Fi (hosts/moddable/wifi.ts connects and reconnects)
 *   sntp             SNTP server (the wall clock stays unset until it answers)
 *   broker           "host", "host:port" or "mqtt[s]://host[:port]"
 *   nodeId           empty: derived from the MAC address
 *   prefix           topic prefix (optional)
 *   i2c              {data, clock, hz}: ESP32-DevKitC default 21/22/400 kHz
 *   watchdogS        software watchdog: restart after this many seconds without an analysed window (0: off)
 *
 * Missing `ssid` or `broker` is reported on the log at boot and every minute after.
 */
import config from "mc/config";
import { startNode, type NodeApp } from "../../firmware/app/node.js";
import { createModdableHost, nodeConfigFromMc, type I2CPins } from "./host.js";
import { WiFiSupervisor } from "./wifi.js";
import { startWatchdog } from "./watchdog.js";
import { bootReason, rememberRestart, restartReason } from "./boot-reason.js";

const mc = config as Record<string, unknown> & { file: { root: string } };
const setting = (key: string): string => (typeof mc[key] === "string" ? (mc[key] as string) : "");

const host = createModdableHost({
  fileRoot: mc.file.root,
  i2c: (mc.i2c as I2CPins | undefined) ?? undefined,
  beforeRestart: (reason) => rememberRestart(restartReason(reason)),
});

const boot = bootReason();
host.log("info", `boot reason ${boot.reason}${boot.chip ? ` (chip: ${boot.chip})` : ""}`);

const missing: string[] = [];
if (!setting("ssid")) missing.push("ssid (Wi-Fi network name: ssid=...)");
if (!setting("broker")) missing.push("broker (MQTT broker: broker=mqtt://host:1883)");
if (missing.length) {
  const say = () => host.log("error", `build settings missing: ${missing.join(", ")}; rebuild with sensor-node build esp32 (docs/device.md)`);
  say();
  host.timers.set(say, 60_000, 60_000);
}

let wifi: WiFiSupervisor | undefined;
if (setting("ssid")) {
  wifi = new WiFiSupervisor({
    ssid: setting("ssid"),
    password: setting("password") || undefined,
    sntp: setting("sntp"),
    timers: host.timers,
    log: (level, message) => host.log(level, message),
    clockSet: () => host.clock.wall() !== undefined,
  });
  wifi.start();
}

let app: NodeApp | undefined;
if (setting("broker")) {
  try {
    app = startNode(host, nodeConfigFromMc(mc), { resetReason: boot.reason });
    host.log("info", `node ${app.nodeId} started`);
  } catch (e) {
    // A bad build-time config is fatal: say why, then retry after a pause (a reboot loop would hide the message).
    host.log("error", `cannot start: ${e instanceof Error ? e.message : String(e)}`);
    host.timers.set(() => host.restart("start failed"), 30_000);
  }
}

if (app) {
  const node = app;
  const windowMs = (node.config.window.n * 1000) / node.config.accelerometer.odr;
  const seconds = mc.watchdogS === undefined ? 120 : Number(mc.watchdogS);
  if (seconds > 0) {
    startWatchdog(
      { progress: () => node.windows, excused: () => node.faults.some((f) => f.sensor === "accelerometer" || f.sensor === "bus") },
      {
        timers: host.timers,
        now: () => host.clock.now(),
        log: (level, message) => host.log(level, message),
        restart: (reason) => host.restart(reason),
        stallMs: Math.max(seconds * 1000, 10 * windowMs),
      },
    );
  }
}
