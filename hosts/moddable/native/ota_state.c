/*
 * XS host functions of hosts/moddable/ota-state.js (esp32 builds only): the
 * parts of ESP-IDF's app rollback that the SDK's `ota` module lacks (it begins,
 * writes, cancels and completes an image; docs/ota.md, "On the device").
 *
 * With CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE (manifests/sdkconfig) the boot
 * loader starts a new image in ESP_OTA_IMG_PENDING_VERIFY; it stays only once
 * the image marks itself valid. A reset before that (crash, watchdog, power
 * loss) makes the boot loader mark it ESP_OTA_IMG_ABORTED and start the other
 * slot; marking it invalid does the same at once.
 */
#include "xsmc.h"
#include "esp_err.h"
#include "esp_partition.h"
#include "app_update/include/esp_ota_ops.h"

/* The running image booted after an update and has not confirmed itself. */
void xs_ota_state_pending_verify(xsMachine *the)
{
	const esp_partition_t *running = esp_ota_get_running_partition();
	esp_ota_img_states_t state;

	// ESP_ERR_NOT_FOUND: no otadata entry for the slot (an image flashed over USB): not on probation.
	xsmcSetBoolean(xsResult, (NULL != running) && (ESP_OK == esp_ota_get_state_partition(running, &state)) && (ESP_OTA_IMG_PENDING_VERIFY == state));
}

/* Confirms the running image: the boot loader keeps starting it. */
void xs_ota_state_mark_valid(xsMachine *the)
{
	esp_err_t err = esp_ota_mark_app_valid_cancel_rollback();
	if (ESP_OK != err)
		xsUnknownError("esp_ota_mark_app_valid_cancel_rollback: %s", esp_err_to_name(err));
}

/* Marks the running image invalid and restarts into the other slot; returns (throws) only when there is no image to go back to. */
void xs_ota_state_rollback(xsMachine *the)
{
	esp_err_t err = esp_ota_mark_app_invalid_rollback_and_reboot();
	xsUnknownError("esp_ota_mark_app_invalid_rollback_and_reboot: %s", esp_err_to_name(err));
}

/* The running slot's label in the partition table ("ota_0", "ota_1"). */
void xs_ota_state_running_slot(xsMachine *the)
{
	const esp_partition_t *running = esp_ota_get_running_partition();
	if (NULL == running)
		xsUnknownError("no running partition");
	xsmcSetString(xsResult, (xsStringValue)running->label);
}

/* The size in bytes of the slot an update goes to; 0 when the table has none (no second app slot). */
void xs_ota_state_other_slot_bytes(xsMachine *the)
{
	const esp_partition_t *next = esp_ota_get_next_update_partition(NULL);
	xsmcSetInteger(xsResult, (NULL == next) ? 0 : (xsIntegerValue)next->size);
}

/*
 * What otadata says of the other slot: "aborted" (the boot loader gave up on it: reset while
 * pending verify), "invalid" (it marked itself invalid), "new", "pending-verify", "valid",
 * "undefined", or "none" (no otadata entry, or no other slot).
 */
void xs_ota_state_other_slot_state(xsMachine *the)
{
	const esp_partition_t *next = esp_ota_get_next_update_partition(NULL);
	esp_ota_img_states_t state;
	const char *name = "none";

	if ((NULL != next) && (ESP_OK == esp_ota_get_state_partition(next, &state))) {
		switch (state) {
			case ESP_OTA_IMG_NEW: name = "new"; break;
			case ESP_OTA_IMG_PENDING_VERIFY: name = "pending-verify"; break;
			case ESP_OTA_IMG_VALID: name = "valid"; break;
			case ESP_OTA_IMG_INVALID: name = "invalid"; break;
			case ESP_OTA_IMG_ABORTED: name = "aborted"; break;
			default: name = "undefined"; break;
		}
	}
	xsmcSetString(xsResult, (xsStringValue)name);
}
