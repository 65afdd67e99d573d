/*
 * Host.firmware on the ESP32 (module "hosts/moddable/firmware-slots"; manifests/esp32.json
 * maps it in its esp32 section only, and hosts/moddable/host.ts finds it with Modules.has):
 * the two app slots of manifests/sdkconfig/partitions.csv through the SDK's `ota` module
 * (begin, write, cancel, complete: the image goes to the other slot and is made the boot
 * image) and native/ota_state.c for what that module lacks (ESP-IDF's app rollback:
 * pending verify, mark valid, roll back, the slots' labels and sizes). docs/ota.md,
 * "On the device".
 */
import type { SlotWriter } from "../../firmware/host.js";
import type { FirmwareSlotsFactory } from "./host.js";
// mcconfig maps this specifier to the SDK's ota.js for tsc (via `paths`), which hides ota.d.ts:
// without the ignore the SDK build fails with TS7016 (as crypto.ts's crypt imports).
// @ts-ignore
import OTA from "ota";
import { markValid, otherSlotBytes, otherSlotState, pendingVerify, rollback, runningSlot } from "./ota-state.js";
import { rollbackReason } from "./boot-reason.js";

/** One image on its way into the other slot; the SDK's OTA object until it is completed or cancelled. */
class OtaSlotWriter implements SlotWriter {
  #ota: OTA | undefined = new OTA();

  write(bytes: Uint8Array): void {
    // The SDK's write takes a byte view as it is (xsmcGetBufferReadable) and has copied it to flash on return.
    this.#open().write(bytes);
  }

  complete(): void {
    const ota = this.#open();
    this.#ota = undefined; // esp_ota_end frees the handle whatever its result: never end it twice
    ota.complete();
  }

  cancel(): void {
    const ota = this.#ota;
    this.#ota = undefined;
    ota?.cancel();
  }

  #open(): OTA {
    if (!this.#ota) throw new Error("the update was completed or cancelled");
    return this.#ota;
  }
}

/** The ESP32's FirmwareSlots; undefined (logged) when the partition table has no second app slot. */
const createFirmwareSlots: FirmwareSlotsFactory = (options, log) => {
  const slotBytes = otherSlotBytes();
  if (slotBytes === 0) {
    log("warn", "ota: the partition table has no second app slot (flash manifests/sdkconfig/partitions.csv over USB): no updates over the air");
    return undefined;
  }
  // The other slot "aborted": the boot loader started this image because the new one was reset
  // before it confirmed itself (a slot the new image gave up on itself is "invalid"; the agent has its reason).
  const reason = otherSlotState() === "aborted" ? rollbackReason(options.boot) : undefined;
  return {
    target: "esp32",
    slotBytes,
    trustedKeys: options.trustedKeys,
    runningSlot: runningSlot(),
    get pendingVerify() {
      return pendingVerify();
    },
    rollbackReason: reason,
    begin(size: number): SlotWriter {
      if (size > slotBytes) throw new Error(`an image of ${size} bytes does not fit the other slot (${slotBytes} bytes)`);
      return new OtaSlotWriter();
    },
    markValid,
    rollback(why: string): void {
      log("error", `ota: going back to the previous image: ${why}`);
      rollback(); // restarts; returns (throws, naming the ESP-IDF error) only when no other slot holds a bootable image
    },
  };
};
export default createFirmwareSlots;
