/**
 * Types of ota-state.js (module "hosts/moddable/ota-state", esp32 builds only): ESP-IDF's
 * app rollback state through native/ota_state.c.
 */

/** The running image booted after an update and has not confirmed itself (ESP_OTA_IMG_PENDING_VERIFY). */
export declare function pendingVerify(): boolean;
/** esp_ota_mark_app_valid_cancel_rollback(); throws with the ESP-IDF error's name. */
export declare function markValid(): void;
/** esp_ota_mark_app_invalid_rollback_and_reboot(): restarts into the other slot; throws only when there is no image to go back to. */
export declare function rollback(): void;
/** The running slot's label ("ota_0", "ota_1"). */
export declare function runningSlot(): string;
/** The size of the slot an update goes to (esp_ota_get_next_update_partition(NULL)->size); 0 when there is none. */
export declare function otherSlotBytes(): number;
/** What otadata says of the other slot; "aborted": the boot loader went back from it (a reset while it was pending verify). */
export declare function otherSlotState(): "new" | "pending-verify" | "valid" | "invalid" | "aborted" | "undefined" | "none";
