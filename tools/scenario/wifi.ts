/*
 * The scenario's top-level `wifi` key (docs/scenarios.md): the Wi-Fi networks in
 * the simulated node's range (sim/wifi.ts). Errors name the place and never show
 * a password, only what is wrong with it.
 */
import type { SimWifiNetwork } from "../../sim/wifi.js";
import type { Reader } from "./parse.js";

const RSSI = { min: -100, max: 0 };
const DEFAULT_RSSI = -60;

export function parseWifi(v: Reader, doc: unknown, at: string): SimWifiNetwork[] {
  const list = v.array(doc, at);
  if (list.length === 0) throw v.error(at, "expected at least one network (leave the key out for the default, plant / plant-secret)");
  const ssids = new Set<string>();
  return list.map((d, i) => {
    const where = `${at}[${i}]`;
    const n = v.object(d, where, ["ssid", "password", "rssi"]);
    const ssid = v.string(n.ssid, `${where}.ssid`);
    const bytes = new TextEncoder().encode(ssid).length;
    if (bytes < 1 || bytes > 32) throw v.error(`${where}.ssid`, `expected 1 to 32 bytes (IEEE 802.11), got ${bytes}`);
    if (ssids.has(ssid)) throw v.error(`${where}.ssid`, `${JSON.stringify(ssid)} is listed twice`);
    ssids.add(ssid);
    const password = n.password ?? "";
    if (typeof password !== "string") throw v.error(`${where}.password`, "expected a string");
    if (password !== "" && !isPassphrase(password)) {
      throw v.error(`${where}.password`, `expected "" (an open network) or a WPA2 passphrase: 8 to 63 printable ASCII characters or 64 hex digits (got ${password.length} characters)`);
    }
    const rssi = n.rssi === undefined ? DEFAULT_RSSI : v.integer(n.rssi, `${where}.rssi`, RSSI);
    return { ssid, password, rssi };
  });
}

/** WPA2-PSK (IEEE 802.11i): a passphrase of 8 to 63 printable ASCII characters, or the key as 64 hex digits. */
export function isPassphrase(password: string): boolean {
  return (/^[\x20-\x7e]{8,63}$/.test(password) || /^[0-9A-Fa-f]{64}$/.test(password));
}
