/*
 * The ESP32's Wi-Fi station as the Host's WifiStation (firmware/host.ts), over
 * the SDK's `wifi` module. The field node (firmware/provision/field-node.ts) says
 * which network to join and when; Improv scans and tries networks through it.
 *
 *   - connect(): one attempt, ended by exactly one call of `done`: an address, a
 *     refused handshake ("wrong password"), any other disconnect before an
 *     address ("no network ... in range"), or no address within JOIN_TIMEOUT_MS.
 *     The SDK's disconnect reason -1 is its mark for a failed WPA handshake.
 *   - Once joined, the station stays up: a lost network is joined again after the
 *     firmware's backoff (firmware/util/backoff.ts: attempt n waits a random time
 *     in [1 s, min(5 min, 1 s * 2^n)]), so a plant full of nodes does not hammer
 *     an access point that just came back. The MQTT client reconnects by itself.
 *   - SNTP sets the clock after the first address (and every 24 h); until then
 *     the Host's clock.wall() stays undefined (Date.now() < 2024).
 *   - accessPoint(): the unprovisioned node's own WPA2 network beside the station
 *     (WIFI_MODE_APSTA), its page at the AP's address (192.168.4.1 by default).
 *
 * The radio is started (station mode) when this is made: the ESP32's hardware RNG
 * is truly random only while RF runs, and the setup key is made next.
 * XS-compatible; timers and logging come from the Host. The password never
 * reaches a log line.
 */
import WiFi from "wifi";
import SNTP from "sntp";
import Time from "time";
import Net from "net";
import type { AccessPointSettings, LogLevel, TimerId, Timers, WifiNetwork, WifiStation } from "../../firmware/host.js";
import { Backoff } from "../../firmware/util/backoff.js";

export interface ModdableWifiOptions {
  /** SNTP server; empty: do not set the clock. */
  sntp?: string;
  timers: Timers;
  log: (level: LogLevel, message: string) => void;
  /** [0, 1) for the jitter; default Math.random. */
  random?: () => number;
  /** Whether the wall clock is set (the Host's clock.wall() !== undefined). */
  clockSet: () => boolean;
}

/** An attempt that has no address after this fails (association, WPA2 handshake with retries, DHCP). */
const JOIN_TIMEOUT_MS = 20_000;
/** What the SDK passes with "disconnect" after a failed WPA handshake (modules/network/wifi/esp32/xs6wifi.c). */
const HANDSHAKE_FAILED = -1;
/** The ESP32 soft AP's address when none is configured (ESP-IDF esp_netif default). */
const DEFAULT_AP_ADDRESS = "192.168.4.1";
const RECONNECT_MIN_MS = 1000;
const RECONNECT_MAX_MS = 300_000;
const SNTP_RESYNC_MS = 24 * 3600_000;
/** A time server that did not answer is asked again after 30 s, growing to an hour. */
const SNTP_MIN_DELAY_MS = 30_000;
const SNTP_MAX_DELAY_MS = 3600_000;

type State = "idle" | "joining" | "connected" | "waiting" | "rejoining";

export class ModdableWifi implements WifiStation {
  #o: ModdableWifiOptions;
  #monitor: WiFi;
  #state: State = "idle";
  #network: { ssid: string; password: string } | undefined;
  #done: ((error?: string) => void) | undefined;
  #timer: TimerId | undefined;
  #retries: Backoff;
  #sntpRetries: Backoff;
  #sntpTimer: TimerId | undefined;
  #sntpBusy = false;
  #scanning = false;
  #accessPoint = false;

  constructor(options: ModdableWifiOptions) {
    this.#o = options;
    this.#retries = new Backoff({ minMs: RECONNECT_MIN_MS, maxMs: RECONNECT_MAX_MS, random: options.random });
    this.#sntpRetries = new Backoff({ minMs: SNTP_MIN_DELAY_MS, maxMs: SNTP_MAX_DELAY_MS, random: options.random });
    WiFi.mode = WiFi.Mode.station;
    // No dictionary: nothing is joined yet; the callback gets every station event from now on.
    this.#monitor = new WiFi(undefined, (message: string, reason?: number) => this.#onMessage(message, reason));
  }

  get address(): string | undefined {
    if (this.#state !== "connected") return undefined;
    try {
      const ip = Net.get("IP");
      return ip ? String(ip) : undefined;
    } catch {
      return undefined;
    }
  }

  scan(visit: (network: WifiNetwork | null) => void): void {
    if (this.#scanning) return visit(null);
    this.#scanning = true;
    try {
      WiFi.scan({}, (item) => {
        if (!item) {
          this.#scanning = false;
          return visit(null);
        }
        visit({ ssid: item.ssid, rssi: item.rssi, secure: item.authentication !== "none" });
      });
    } catch (e) {
      this.#scanning = false;
      this.#o.log("warn", `wifi: scan failed: ${e instanceof Error ? e.message : String(e)}`);
      visit(null);
    }
  }

  connect(ssid: string, password: string, done: (error?: string) => void): void {
    this.#finish("interrupted by a new connection attempt");
    this.#network = { ssid, password };
    this.#done = done;
    this.#retries.reset();
    this.#o.log("info", `wifi: joining "${ssid}"`);
    this.#attempt("joining");
  }

  accessPoint(settings: AccessPointSettings | null): string | undefined {
    try {
      if (!settings) {
        if (this.#accessPoint) WiFi.mode = WiFi.Mode.station;
        this.#accessPoint = false;
        return undefined;
      }
      // `station: true` keeps the station beside the AP (WIFI_MODE_APSTA); @moddable/typings 5.6.0 lacks it.
      WiFi.accessPoint({ ssid: settings.ssid, password: settings.passphrase, station: true } as Parameters<typeof WiFi.accessPoint>[0]);
      this.#accessPoint = true;
      let address: unknown;
      try {
        // The AP's interface ("ap"): @moddable/typings 5.6.0 types Net.get with one argument.
        address = (Net.get as (property: string, nif: string) => unknown)("IP", "ap");
      } catch {
        // older SDKs: the default below
      }
      return address ? String(address) : DEFAULT_AP_ADDRESS;
    } catch (e) {
      this.#o.log("error", `wifi: cannot open access point ${settings?.ssid}: ${e instanceof Error ? e.message : String(e)}`);
      return undefined;
    }
  }

  /** Ends a pending connect() with `error` (undefined: joined). */
  #finish(error?: string): void {
    const done = this.#done;
    this.#done = undefined;
    if (done) done(error);
  }

  #attempt(state: "joining" | "rejoining"): void {
    const network = this.#network;
    if (!network) return;
    this.#state = state;
    this.#o.timers.clear(this.#timer);
    this.#timer = this.#o.timers.set(() => this.#failed(`no address from "${network.ssid}" within ${JOIN_TIMEOUT_MS / 1000} s`), JOIN_TIMEOUT_MS);
    try {
      WiFi.connect(network.password ? { ssid: network.ssid, password: network.password } : { ssid: network.ssid });
    } catch (e) {
      this.#failed(`cannot join "${network.ssid}": ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  #onMessage(message: string, reason?: number): void {
    if (message === WiFi.gotIP) {
      if (this.#state !== "joining" && this.#state !== "rejoining") return;
      this.#o.timers.clear(this.#timer);
      this.#state = "connected";
      this.#retries.reset();
      this.#o.log("info", `wifi: connected to "${this.#network?.ssid}" as ${this.address ?? "?"}`);
      if (!this.#o.clockSet()) this.#syncClock();
      this.#finish();
    } else if (message === WiFi.disconnected || message === WiFi.lostIP) {
      const ssid = this.#network?.ssid;
      if (this.#state === "joining" || this.#state === "rejoining") {
        this.#failed(reason === HANDSHAKE_FAILED ? `wrong password for "${ssid}" (handshake failed)` : `no network "${ssid}" in range, or it refused the station`);
      } else if (this.#state === "connected") {
        this.#o.log("warn", `wifi: ${message === WiFi.lostIP ? "lost the address" : "disconnected"} from "${ssid}"`);
        this.#rejoinLater();
      }
    }
  }

  /** A first attempt ends (the field node tries again later); a rejoin waits for the backoff. */
  #failed(reason: string): void {
    this.#o.timers.clear(this.#timer);
    try {
      WiFi.disconnect();
    } catch {
      // nothing to disconnect
    }
    if (this.#state === "rejoining") {
      this.#o.log("warn", `wifi: ${reason}`);
      return this.#rejoinLater();
    }
    this.#state = "idle";
    this.#finish(reason);
  }

  #rejoinLater(): void {
    this.#o.timers.clear(this.#timer);
    const delay = this.#retries.next();
    this.#state = "waiting";
    this.#o.log("info", `wifi: joining again in ${(delay / 1000).toFixed(1)} s`);
    this.#timer = this.#o.timers.set(() => this.#attempt("rejoining"), delay);
  }

  #syncClock(): void {
    const host = this.#o.sntp;
    if (!host || this.#sntpBusy) return;
    this.#sntpBusy = true;
    this.#o.timers.clear(this.#sntpTimer);
    new SNTP({ host }, (message, value) => {
      if (message === SNTP.retry) return;
      this.#sntpBusy = false;
      if (message === SNTP.time && value !== undefined) {
        Time.set(value);
        this.#sntpRetries.reset();
        this.#o.log("info", `sntp: clock set from ${host} (${new Date(value * 1000).toISOString()})`);
        this.#sntpTimer = this.#o.timers.set(() => this.#syncClock(), SNTP_RESYNC_MS);
      } else {
        const delay = this.#sntpRetries.next();
        this.#o.log("warn", `sntp: no time from ${host}; retry in ${Math.round(delay / 1000)} s (wall time stays unset)`);
        this.#sntpTimer = this.#o.timers.set(() => {
          if (this.#state === "connected") this.#syncClock();
        }, delay);
      }
    });
  }
}
