/*
 * ESP-IDF's app rollback state (module "hosts/moddable/ota-state", esp32 builds only):
 * the XS binding of native/ota_state.c, what the SDK's `ota` module lacks. Used by
 * hosts/moddable/firmware-slots.ts. JavaScript because the host-function syntax
 * (`@ "xs_..."`) is xsc's only; ota-state.d.ts declares the types.
 */
function pendingVerify() @ "xs_ota_state_pending_verify";
function markValid() @ "xs_ota_state_mark_valid";
function rollback() @ "xs_ota_state_rollback";
function runningSlot() @ "xs_ota_state_running_slot";
function otherSlotBytes() @ "xs_ota_state_other_slot_bytes";
function otherSlotState() @ "xs_ota_state_other_slot_state";

export { pendingVerify, markValid, rollback, runningSlot, otherSlotBytes, otherSlotState };
