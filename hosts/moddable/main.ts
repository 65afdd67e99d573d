/*
 * Device entry (manifests/esp32.json): one image for every node (docs/provisioning.md).
 * Builds the Moddable Host and starts the field node (firmware/provision/field-node.ts):
 * provisioned settings from Preference and flash over the build's settings, which are
 * only defaults. With nothing stored the node is unprovisioned: it samples, publishes
 * nothing, opens its access point `sensor-node-XXXX` for its setup page and answers
 * Improv Wi-Fi on the console UART.
 *
 * Build-time configuration (mc/config; `sensor-node build esp32 key=value ...`,
 * docs/device.md), every key optional:
 *   ssid, password   default Wi-Fi network
 *   broker           default broker: "host", "host:port" or "mqtt[s]://host[:port]"
 *   nodeId, mqttUser, mqttPassword   defaults (empty nodeId: from the MAC address)
 *   sntp             SNTP server (the wall clock stays unset until it answers)
 *   prefix           topic prefix
 *   i2c              {data, clock, hz}: ESP32-DevKitC default 21/22/400 kHz
 *   watchdogS        software watchdog: restart after this many seconds without an analysed window (0: off)
 *   otaKeys          the update keys the image trusts (base64 DER, comma-separated; `sensor-node build
 *                    esp32 otaKey=FILE` writes it): empty, every `cmd/ota` is refused (docs/ota.md)
 */
import config from "mc/config";
import { FieldNode } from "../../firmware/provision/field-node.js";
import { FieldImprovTarget } from "../../firmware/provision/field-improv-target.js";
import { IMPROV_BAUD, startImprov } from "../../firmware/provision/improv-service.js";
import type { DigitalConstructor, LogLevel } from "../../firmware/host.js";
import { clock, createModdableHost, ModdableTimers, nodeConfigFromMc, settingsFromMc, type I2CPins } from "./host.js";
import { SerialConsole } from "./console.js";
import { ModdableWifi } from "./wifi.js";
import { watchResetButton } from "./reset-button.js";
import { startWatchdog } from "./watchdog.js";
import { bootReason, rememberRestart, restartReason } from "./boot-reason.js";

/** The console: UART0, the DevKitC's USB UART (its TX on GPIO 1, RX on GPIO 3). */
const CONSOLE_UART = Object.freeze({ port: 0, transmit: 1, receive: 3 });
const CHIP = "esp32";

const mc = config as Record<string, unknown> & { file: { root: string } };
const io = (globalThis as unknown as { device: { io: { Serial: unknown; Digital: DigitalConstructor } } }).device.io;

const timers = new ModdableTimers();
const serial = SerialConsole.open({ io: io.Serial as never, open: CONSOLE_UART, baud: IMPROV_BAUD, timers });
// Without the console (xsbug holds UART0 in a debug build) the log goes to trace, which xsbug shows.
const log = serial ? (level: LogLevel, message: string) => serial.log(level, message) : (level: LogLevel, message: string) => trace(`[${level}] ${message}\n`);

// Before the field node: the radio must run for the hardware RNG that makes the setup key (wifi.ts).
const wifi = new ModdableWifi({ sntp: typeof mc.sntp === "string" ? mc.sntp : "", timers, log, clockSet: () => clock.wall() !== undefined });

// Before the host: its firmware slots say why the boot loader went back to this image, if it did.
const boot = bootReason();

const host = createModdableHost({
  fileRoot: mc.file.root,
  i2c: (mc.i2c as I2CPins | undefined) ?? undefined,
  timers,
  log,
  Serial: serial?.Serial,
  wifi,
  watchResetButton: (onHeld) => watchResetButton({ Digital: io.Digital, timers }, onHeld),
  beforeRestart: (reason) => rememberRestart(restartReason(reason)),
  ota: { trustedKeys: typeof mc.otaKeys === "string" ? mc.otaKeys : "", boot },
});
host.log("info", `boot reason ${boot.reason}${boot.chip ? ` (chip: ${boot.chip})` : ""}`);

let field: FieldNode | undefined;
try {
  field = new FieldNode(host, { config: nodeConfigFromMc(mc), defaults: settingsFromMc(mc), wifi: true, resetReason: boot.reason });
  field.start();
} catch (e) {
  // Only the build's own configuration can fail here (a stored one that fails leaves the node unprovisioned):
  // say why, then retry after a pause (a reboot loop would hide the message).
  host.log("error", `cannot start: ${e instanceof Error ? e.message : String(e)}`);
  timers.set(() => host.restart("start failed"), 30_000);
}

if (field) {
  startImprov(host.io, new FieldImprovTarget(field, CHIP), log);
  const node = field.app;
  const windowMs = (node.config.window.n * 1000) / node.config.accelerometer.odr;
  const seconds = mc.watchdogS === undefined ? 120 : Number(mc.watchdogS);
  if (seconds > 0) {
    startWatchdog(
      { progress: () => node.windows, excused: () => node.faults.some((f) => f.sensor === "accelerometer" || f.sensor === "bus") },
      { timers, now: () => host.clock.now(), log, restart: (reason) => host.restart(reason), stallMs: Math.max(seconds * 1000, 10 * windowMs) },
    );
  }
}
