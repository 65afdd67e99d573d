/*
 * Replaces the SDK's `setup/network` in the esp32 build (manifests/esp32.json
 * excludes $(BUILD)/devices/esp32/setup/network with a "~" entry and maps this
 * module in its place). The SDK's version joins Wi-Fi once and does not call
 * `done` until it has an address, so a node powered up while the access point
 * is down would never start. This one returns at once; hosts/moddable/main.ts
 * starts the Wi-Fi supervisor (hosts/moddable/wifi.ts), which connects,
 * reconnects with backoff and sets the clock by SNTP.
 */
export default function (done: () => void): void {
  done();
}
