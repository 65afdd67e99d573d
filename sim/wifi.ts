/*
 * Simulated Wi-Fi networks and the node's station among them (the Host's
 * WifiStation, firmware/host.ts). A scenario lists the networks (its top-level
 * `wifi` key, docs/scenarios.md); by default there is one, "plant". Every request
 * ends in virtual time on the host's timers: a scan reports each network and
 * then null; a join with the right password gets an address, a wrong one an
 * error, never a hang.
 */
import type { AccessPointSettings, Timers, TimerId, WifiNetwork, WifiStation } from "../firmware/host.js";

export interface SimWifiNetwork {
  ssid: string;
  /** WPA2 passphrase; "" for an open network. */
  password: string;
  /** Signal strength, dBm. */
  rssi: number;
}

export const DEFAULT_WIFI_NETWORKS: readonly SimWifiNetwork[] = Object.freeze([Object.freeze({ ssid: "plant", password: "plant-secret", rssi: -60 })]);

/**
 * How long things take, virtual ms: the ESP32's order of magnitude (assumptions,
 * not measurements). An all-channel active scan, about 120 ms a channel over 13;
 * association, the WPA2 handshake and DHCP; a wrong passphrase is known only after
 * the 4-way handshake has timed out and been retried.
 */
const SCAN_MS = 1500;
const JOIN_MS = 1500;
const WRONG_PASSWORD_MS = 4000;

/** The station's address once joined: the simulator's sockets are the desktop's, on loopback. */
const ADDRESS = "127.0.0.1";

export class SimWifi implements WifiStation {
  #networks: readonly SimWifiNetwork[];
  #timers: Timers;
  #address: string | undefined;
  #pending: { timer: TimerId; done: (error?: string) => void } | undefined;
  #accessPoint: AccessPointSettings | undefined;

  constructor(networks: readonly SimWifiNetwork[], timers: Timers) {
    this.#networks = networks;
    this.#timers = timers;
  }

  get address(): string | undefined {
    return this.#address;
  }

  /** The node's own access point while it is open (a test reads its name and passphrase). */
  get openAccessPoint(): AccessPointSettings | undefined {
    return this.#accessPoint;
  }

  /** Records the access point; its address is the simulator's loopback, where the setup page listens. */
  accessPoint(settings: AccessPointSettings | null): string | undefined {
    this.#accessPoint = settings ? { ...settings } : undefined;
    return settings ? ADDRESS : undefined;
  }

  scan(visit: (network: WifiNetwork | null) => void): void {
    this.#timers.set(() => {
      for (const n of this.#networks) visit({ ssid: n.ssid, rssi: n.rssi, secure: n.password !== "" });
      visit(null);
    }, SCAN_MS);
  }

  connect(ssid: string, password: string, done: (error?: string) => void): void {
    const previous = this.#pending;
    if (previous) {
      this.#timers.clear(previous.timer);
      previous.done("interrupted by a new connection attempt");
    }
    this.#address = undefined;
    const network = this.#networks.find((n) => n.ssid === ssid);
    const joins = network !== undefined && (network.password === "" || network.password === password);
    const ms = network === undefined ? SCAN_MS : joins ? JOIN_MS : WRONG_PASSWORD_MS;
    const timer = this.#timers.set(() => {
      this.#pending = undefined;
      if (joins) this.#address = ADDRESS;
      done(joins ? undefined : network ? "wrong password (handshake failed)" : `no network "${ssid}" in range`);
    }, ms);
    this.#pending = { timer, done };
  }
}
