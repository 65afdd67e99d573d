/*
 * What the Improv service (improv-service.ts) needs from the rest of the node:
 * whether it has working Wi-Fi settings, what to say about itself, the Wi-Fi
 * radio, and where to send the user once connected (the node's setup page).
 * The provisioning store implements it with the stored settings; until then,
 * wifi-only-target.ts implements it over the Host's Wi-Fi alone.
 */
import type { WifiNetwork } from "../host.js";

/** Improv's device information: at least these four strings, in this order. */
export interface ImprovDeviceInfo {
  /** Firmware name ("sensor-node"). */
  firmware: string;
  version: string;
  /** Hardware chip or variant ("esp32"). */
  chip: string;
  /** The device's name ("sensor-node-1a2b"). */
  name: string;
  /** Strings that follow the four (the spec's optional OS name and version, or what the node adds). */
  more?: readonly string[];
}

export interface ImprovTarget {
  /** The node has Wi-Fi settings it joined with (Improv's "provisioned"). */
  readonly provisioned: boolean;
  deviceInfo(): ImprovDeviceInfo;
  /** Networks in range: `visit` once per network, then once with null. */
  scan(visit: (network: WifiNetwork | null) => void): void;
  /**
   * Tries `ssid` with `password` and, when it works, keeps them: `done()` then, else
   * `done(reason)` (the node stays as it was, still provisionable). Called once per
   * attempt; the password goes nowhere but the radio and the store.
   */
  connectWifi(ssid: string, password: string, done: (error?: string) => void): void;
  /** Where to send the user once provisioned (the node's setup page); "" for nowhere. */
  redirectUrl(): string;
}
