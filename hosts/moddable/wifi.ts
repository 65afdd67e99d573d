/*
 * Wi-Fi supervisor for the ESP32 node (manifests/esp32.json).
 *
 * The SDK's `setup/network` joins the access point once, at boot, and waits
 * until it has an address: if the AP is down at power-on the application never
 * starts, and if the AP drops later nobody reconnects. manifests/esp32.json
 * replaces `setup/network` with hosts/moddable/setup-network (which returns at
 * once) and hosts/moddable/main.ts runs this supervisor instead:
 *
 *   - connects with the SDK's `wifi` module (the station keeps running; the
 *     firmware's MQTT client reconnects by itself once TCP works again);
 *   - after a disconnect, or when an attempt gets no address within
 *     `connectTimeoutMs`, tries again after the firmware's backoff
 *     (firmware/util/backoff.ts: attempt n waits a random time in
 *     [1 s, min(5 min, 1 s * 2^n)]) so that a plant full of nodes does not
 *     hammer an AP that just came back;
 *   - sets the clock by SNTP after the first address (and again every 24 h);
 *     until then the Host's clock.wall() stays undefined (Date.now() < 2024).
 *
 * XS-compatible; timers and logging come from the Host.
 */
import WiFi from "wifi";
import SNTP from "sntp";
import Time from "time";
import Net from "net";
import type { LogLevel, TimerId, Timers } from "../../firmware/host.js";
import { Backoff } from "../../firmware/util/backoff.js";

export interface WiFiSupervisorOptions {
  ssid: string;
  password?: string;
  /** SNTP server; empty: do not set the clock. */
  sntp?: string;
  timers: Timers;
  log: (level: LogLevel, message: string) => void;
  /** [0, 1) for the jitter; default Math.random. */
  random?: () => number;
  /** Whether the wall clock is set (the Host's clock.wall() !== undefined). */
  clockSet: () => boolean;
  minDelayMs?: number;
  maxDelayMs?: number;
  connectTimeoutMs?: number;
}

export type WiFiState = "connecting" | "connected" | "waiting" | "stopped";

const SNTP_RESYNC_MS = 24 * 3600_000;
const DEFAULT_MIN_DELAY_MS = 1000;
const DEFAULT_MAX_DELAY_MS = 300_000;
/** A time server that did not answer is asked again after 30 s, growing to an hour. */
const SNTP_MIN_DELAY_MS = 30_000;
const SNTP_MAX_DELAY_MS = 3600_000;

export class WiFiSupervisor {
  state: WiFiState = "stopped";
  /** Connections made since boot (1 after the first address). */
  connections = 0;
  #o: WiFiSupervisorOptions;
  #monitor: WiFi | undefined;
  #retry: TimerId | undefined;
  #timeout: TimerId | undefined;
  #sntpTimer: TimerId | undefined;
  /** Failed attempts since the last address. */
  #retries: Backoff;
  #sntpRetries: Backoff;
  #sntpBusy = false;

  constructor(options: WiFiSupervisorOptions) {
    this.#o = options;
    this.#retries = new Backoff({ minMs: options.minDelayMs ?? DEFAULT_MIN_DELAY_MS, maxMs: options.maxDelayMs ?? DEFAULT_MAX_DELAY_MS, random: options.random });
    this.#sntpRetries = new Backoff({ minMs: SNTP_MIN_DELAY_MS, maxMs: SNTP_MAX_DELAY_MS, random: options.random });
  }

  /** Failed attempts since the last address (drives the backoff). */
  get attempts(): number {
    return this.#retries.attempts;
  }

  get connected(): boolean {
    return this.state === "connected";
  }

  start(): void {
    if (this.state !== "stopped") return;
    this.#o.log("info", `wifi: connecting to "${this.#o.ssid}"`);
    this.state = "connecting";
    this.#armTimeout();
    // The constructor starts the first connection and keeps reporting station events to the callback.
    this.#monitor = new WiFi(this.#options(), (message) => this.#onMessage(message));
  }

  stop(): void {
    this.state = "stopped";
    this.#o.timers.clear(this.#retry);
    this.#o.timers.clear(this.#timeout);
    this.#o.timers.clear(this.#sntpTimer);
    this.#monitor?.close();
    this.#monitor = undefined;
  }

  #options(): { ssid: string; password?: string } {
    return this.#o.password ? { ssid: this.#o.ssid, password: this.#o.password } : { ssid: this.#o.ssid };
  }

  #onMessage(message: string): void {
    if (this.state === "stopped") return;
    if (message === WiFi.gotIP) {
      this.#o.timers.clear(this.#timeout);
      this.#o.timers.clear(this.#retry);
      this.state = "connected";
      this.#retries.reset();
      this.connections++;
      let address = "";
      try {
        address = String(Net.get("IP") ?? "");
      } catch {
        // not fatal: only for the log line
      }
      this.#o.log("info", `wifi: connected to "${this.#o.ssid}"${address ? ` as ${address}` : ""}`);
      if (!this.#o.clockSet()) this.#syncClock();
    } else if (message === WiFi.disconnected || message === WiFi.lostIP) {
      if (this.state === "waiting") return; // already scheduled
      this.#o.log("warn", `wifi: ${message === WiFi.lostIP ? "lost the address" : "disconnected"}${this.state === "connected" ? "" : ` (attempt ${this.attempts + 1})`}`);
      this.#scheduleRetry();
    }
  }

  #armTimeout(): void {
    this.#o.timers.clear(this.#timeout);
    this.#timeout = this.#o.timers.set(() => {
      this.#timeout = undefined;
      if (this.state !== "connecting") return;
      this.#o.log("warn", `wifi: no address from "${this.#o.ssid}" within ${Math.round((this.#o.connectTimeoutMs ?? 30_000) / 1000)} s`);
      try {
        WiFi.disconnect();
      } catch {
        // nothing to disconnect
      }
      this.#scheduleRetry();
    }, this.#o.connectTimeoutMs ?? 30_000);
  }

  #scheduleRetry(): void {
    this.#o.timers.clear(this.#timeout);
    this.#o.timers.clear(this.#retry);
    const delay = this.#retries.next();
    this.state = "waiting";
    this.#o.log("info", `wifi: reconnecting in ${(delay / 1000).toFixed(1)} s`);
    this.#retry = this.#o.timers.set(() => {
      this.#retry = undefined;
      if (this.state !== "waiting") return;
      this.state = "connecting";
      this.#armTimeout();
      try {
        WiFi.connect(this.#options());
      } catch (e) {
        this.#o.log("warn", `wifi: connect failed: ${e instanceof Error ? e.message : String(e)}`);
        this.#scheduleRetry();
      }
    }, delay);
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
          if (this.connected) this.#syncClock();
        }, delay);
      }
    });
  }
}
