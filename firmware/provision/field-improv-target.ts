/*
 * Improv Wi-Fi over the field node (firmware/provision/improv-target.ts): the
 * network Improv is given is joined with the Host's Wi-Fi station and, once it
 * works, stored with the node's other settings (checked like the setup form,
 * no restart); Improv's "provisioned" is a stored network the station has
 * joined; the device info carries the setup key (its fifth string: with the
 * serial banner, the only place that shows it), so a client can go on with the
 * setup API at the redirect URL, the node's setup page.
 */
import type { WifiNetwork } from "../host.js";
import { FIRMWARE_VERSION_TEXT } from "../app/version.js";
import type { ImprovDeviceInfo, ImprovTarget } from "./improv-target.js";
import { deviceName } from "./wifi-only-target.js";
import type { FieldNode } from "./field-node.js";

export class FieldImprovTarget implements ImprovTarget {
  #field: FieldNode;
  #chip: string;

  /** `chip`: what the hardware is ("esp32"; the simulator says so). */
  constructor(field: FieldNode, chip: string) {
    this.#field = field;
    this.#chip = chip;
  }

  get provisioned(): boolean {
    return this.#field.ssid !== undefined && this.#field.host.wifi?.address !== undefined;
  }

  deviceInfo(): ImprovDeviceInfo {
    const field = this.#field;
    return { firmware: "sensor-node", version: FIRMWARE_VERSION_TEXT, chip: this.#chip, name: deviceName(field.host.hardwareId), more: [field.setupKey] };
  }

  scan(visit: (network: WifiNetwork | null) => void): void {
    const wifi = this.#field.host.wifi;
    if (wifi) wifi.scan(visit);
    else visit(null);
  }

  connectWifi(ssid: string, password: string, done: (error?: string) => void): void {
    const field = this.#field;
    const wifi = field.host.wifi;
    if (!wifi) return done("this host has no Wi-Fi");
    wifi.connect(ssid, password, (error) => {
      if (error) return done(error);
      const refused = field.saveWifi(ssid, password, "Improv");
      done(refused ? refused.errors.map((e) => `${e.field ?? "request"}: ${e.message}`).join("; ") : undefined);
    });
  }

  /** The setup page: the station's address and the page's port (omitted when it is 80). */
  redirectUrl(): string {
    const address = this.#field.host.wifi?.address;
    return address === undefined ? "" : this.#field.pageUrl(address);
  }
}
