/*
 * The factory-reset button (the Host's watchResetButton, docs/provisioning.md):
 * the ESP32 DevKitC's BOOT button, GPIO 0 to ground with a pull-up (low while
 * pressed; a strapping pin only at reset, a plain input afterwards). Held for
 * HOLD_MS, `onHeld` is called once; releasing earlier cancels. Edges come from
 * the ECMA-419 Digital's onReadable; the hold is timed on the Host's timers and
 * the pin is read again when it ends (a missed release edge cannot fake a hold).
 */
import type { DigitalConstructor, TimerId, Timers } from "../../firmware/host.js";

/** GPIO 0: the BOOT button of the ESP32-DevKitC (its schematic: SW1 between IO0 and GND). */
export const BOOT_BUTTON_PIN = 0;
/** How long the button must be held (docs/provisioning.md). */
export const HOLD_MS = 10_000;

export interface ResetButtonOptions {
  Digital: DigitalConstructor;
  timers: Timers;
  pin?: number;
}

/** Watches the button; where the pin cannot be opened, the watcher does nothing. */
export function watchResetButton(options: ResetButtonOptions, onHeld: () => void): { close(): void } {
  const { Digital, timers } = options;
  let hold: TimerId | undefined;
  let pin: { read(): number; close(): void } | undefined;
  const pressed = (): boolean => pin?.read() === 0;
  try {
    pin = new Digital({
      pin: options.pin ?? BOOT_BUTTON_PIN,
      mode: Digital.InputPullUp,
      edge: Digital.Rising | Digital.Falling,
      onReadable: () => {
        if (!pressed()) {
          timers.clear(hold);
          hold = undefined;
        } else if (hold === undefined) {
          hold = timers.set(() => {
            hold = undefined;
            if (pressed()) onHeld();
          }, HOLD_MS);
        }
      },
    });
  } catch {
    pin = undefined;
  }
  return {
    close() {
      timers.clear(hold);
      pin?.close();
      pin = undefined;
    },
  };
}
