/*
 * The SDK's `ota` module ($(BUILD)/devices/esp32/modules/ota: ota.js, ota.c; esp32 only),
 * declared as hosts/moddable/firmware-slots.ts uses it: @moddable/typings 5.6.0 has none.
 */
declare module "ota" {
  /** One image written into the other app slot (esp_ota_get_next_update_partition(NULL)). */
  export default class OTA {
    /** esp_ota_begin with OTA_WITH_SEQUENTIAL_WRITES: nothing erased up front, each sector as the writes reach it. Throws "no update parition", "begin failed". */
    constructor();
    /** esp_ota_write: an ArrayBuffer or a byte view (xsmcGetBufferReadable). Throws "write failed". */
    write(data: ArrayBuffer | Uint8Array): void;
    /** esp_ota_end without changing the boot partition: what was written is abandoned. */
    cancel(): void;
    /** esp_ota_end (checks the ESP-IDF image: format and its own SHA-256) then esp_ota_set_boot_partition. Throws "bad state", "end failed", "can't change boot partition". */
    complete(): void;
  }
}
