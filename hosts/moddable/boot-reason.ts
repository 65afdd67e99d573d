/*
 * Boot reason for the status message (`reset`, docs/device.md).
 *
 * Two sources: the ESP32's reset cause (the SDK's `resetReason` module,
 * $(BUILD)/devices/esp32/modules/resetReason, included by manifests/esp32.json
 * on esp32 only, so it is looked up with Modules rather than imported), and a
 * reason stored in Preference just before a deliberate restart (a software
 * reset looks the same to the chip whether a command, a configuration change
 * or our software watchdog asked for it).
 */
// Types only: looked up when used, so that preloading this module does not preload the
// SDK's lin Preference, whose file cache a preload would freeze (hosts/moddable/host.ts).
import type PreferenceModule from "preference";
import Modules from "modules";
import type { ResetReason } from "../../firmware/app/payload.js";

const DOMAIN = "node";
const KEY = "rstwhy";
const preference = (): typeof PreferenceModule => Modules.importNow("preference") as typeof PreferenceModule;
const KNOWN: readonly ResetReason[] = ["power-on", "watchdog", "restart-command", "config-change", "panic", "unknown"];

/** Maps the reason text the firmware passes to host.restart() to a boot reason. */
export function restartReason(text: string): ResetReason {
  if (/watchdog/i.test(text)) return "watchdog";
  if (/config|provision|factory/i.test(text)) return "config-change";
  if (/restart command|reboot/i.test(text)) return "restart-command";
  return "unknown";
}

/** Stores why we are about to restart; read (and removed) by bootReason() on the next boot. */
export function rememberRestart(reason: ResetReason): void {
  try {
    preference().set(DOMAIN, KEY, reason);
  } catch {
    // NVS full or broken: the next boot reports "unknown"
  }
}

/** ESP-IDF esp_reset_reason_t -> boot reason; undefined for a software reset (then the stored reason decides). */
function fromChip(code: number): ResetReason | undefined {
  switch (code) {
    case 1: // ESP_RST_POWERON
    case 2: // ESP_RST_EXT (EN button / reset pin)
    case 9: // ESP_RST_BROWNOUT (supply dipped: a power event)
      return "power-on";
    case 3: // ESP_RST_SW (esp_restart)
      return undefined;
    case 4: // ESP_RST_PANIC (exception, abort, XS fatal error)
      return "panic";
    case 5: // ESP_RST_INT_WDT
    case 6: // ESP_RST_TASK_WDT
    case 7: // ESP_RST_WDT (other watchdogs)
      return "watchdog";
    default: // 0 unknown, 8 deep sleep, 10 SDIO, ...
      return "unknown";
  }
}

export interface BootReason {
  reason: ResetReason;
  /** The chip's own description ("Power-On", "Task WDT", ...) when the SDK exposes it. */
  chip?: string;
}

/** Reads the reset cause once at boot and clears the stored reason. */
export function bootReason(): BootReason {
  let stored: ResetReason | undefined;
  try {
    const v = preference().get(DOMAIN, KEY);
    if (typeof v === "string" && (KNOWN as readonly string[]).includes(v)) stored = v as ResetReason;
    if (v !== undefined) preference().delete(DOMAIN, KEY);
  } catch {
    // a corrupt entry reads as nothing stored
  }
  let chip: { reason: number; string: string } | undefined;
  try {
    if (Modules.has("resetReason")) chip = (Modules.importNow("resetReason") as () => { reason: number; string: string })();
  } catch {
    chip = undefined;
  }
  if (!chip) return { reason: stored ?? "power-on" }; // lin simulator: a run starts like a power-on
  return { reason: fromChip(chip.reason) ?? stored ?? "unknown", chip: chip.string };
}

/**
 * Why the boot loader went back to this image from a new one that had not confirmed itself
 * (ESP-IDF app rollback: any reset while an image is pending verify), in the terms of the
 * reset that ended it: the OTA agent reports it with `rolled-back` (docs/ota.md).
 */
export function rollbackReason(boot: BootReason): string {
  const chip = boot.chip ? ` (reset: ${boot.chip})` : "";
  switch (boot.reason) {
    case "panic":
      return `crashed before it confirmed itself${chip}`;
    case "watchdog":
      return `watchdog: reset before it confirmed itself${chip}`;
    case "power-on":
      return `power cycled or reset before it confirmed itself${chip}`;
    default:
      return `restarted before it confirmed itself${chip}`;
  }
}
