/** Firmware version, reported in status and discovery. */
export const FIRMWARE_VERSION_TEXT = "0.1.0";
