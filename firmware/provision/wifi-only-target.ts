/*
 * A stand-in ImprovTarget over the Host's Wi-Fi alone: it joins the network it is
 * given and keeps nothing (a restart forgets it). The provisioning store replaces
 * it with a target that stores the settings; this one lets Improv run end to end
 * on any host with a Wi-Fi station until then, and in tests.
 */
import type { Host, WifiNetwork } from "../host.js";
import { FIRMWARE_VERSION_TEXT } from "../app/version.js";
import type { ImprovDeviceInfo, ImprovTarget } from "./improv-target.js";

export class WifiOnlyTarget implements ImprovTarget {
  #host: Host;
  #chip: string;
  #joined = false;

  /** `chip`: what the hardware is ("esp32"; the simulator says so). */
  constructor(host: Host, chip: string) {
    this.#host = host;
    this.#chip = chip;
  }

  get provisioned(): boolean {
    return this.#joined && this.#host.wifi?.address !== undefined;
  }

  deviceInfo(): ImprovDeviceInfo {
    return { firmware: "sensor-node", version: FIRMWARE_VERSION_TEXT, chip: this.#chip, name: deviceName(this.#host.hardwareId) };
  }

  scan(visit: (network: WifiNetwork | null) => void): void {
    if (this.#host.wifi) this.#host.wifi.scan(visit);
    else visit(null);
  }

  connectWifi(ssid: string, password: string, done: (error?: string) => void): void {
    const wifi = this.#host.wifi;
    if (!wifi) return done("this host has no Wi-Fi");
    wifi.connect(ssid, password, (error) => {
      this.#joined = error === undefined;
      done(error);
    });
  }

  redirectUrl(): string {
    const address = this.#host.wifi?.address;
    return address === undefined ? "" : `http://${address}/`;
  }
}

/** "sensor-node-" and the last four hex digits of the hardware id (the MAC on the device). */
export function deviceName(hardwareId: string): string {
  const hex = hardwareId.replace(/[^0-9A-Fa-f]/g, "").toLowerCase();
  return `sensor-node-${hex.length >= 4 ? hex.slice(-4) : hardwareId}`;
}
