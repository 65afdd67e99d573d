/*
 * A node in the field: one image for every node (docs/provisioning.md). The
 * build's settings are defaults only; what is provisioned lives in the Host's
 * storage (store.ts). A node with no broker to talk to is unprovisioned: it
 * says so on its console (with its setup key), keeps sampling and evaluating,
 * publishes nothing and serves its setup page (setup-api.ts) until it is given
 * one. Provisioning, and a factory reset, restart the node into its new state.
 */
import type { Host } from "../host.js";
import { ConfigError, mergePartial } from "../app/config.js";
import { NodeApp } from "../app/node.js";
import type { CommandResult } from "../app/commands.js";
import type { ResetReason } from "../app/payload.js";
import { BASELINE_KEY, RUN_HOURS_KEY } from "../app/telemetry.js";
import { FIRMWARE_VERSION_TEXT } from "../app/version.js";
import { checkForm, configPartial, FIELDS, publicSettings, type FieldError, type Settings } from "./settings.js";
import { ProvisionStore, sameKey } from "./store.js";
import { linkProblem, wifiProblem } from "./link-errors.js";
import { SetupApi, type SetupTarget } from "./setup-api.js";
import { SetupServer } from "./setup-server.js";
import { deviceName } from "./wifi-only-target.js";

/** The setup page's port on the device (a simulator host maps it to a loopback port). */
export const SETUP_PORT = 80;
/** A stored network that could not be joined is tried again after this (ms). */
const WIFI_RETRY_MS = 30_000;
/** Provisioning and a factory reset answer first, then restart after this (ms). */
const RESTART_DELAY_MS = 1000;
/** What a factory reset forgets besides the provisioned settings: stored `cmd/config` overrides, the learned baseline, running hours, the outbox. */
const RESET_KEYS = Object.freeze(["config", BASELINE_KEY, RUN_HOURS_KEY]);
const RESET_LOGS = Object.freeze(["outbox", "outbox-b"]);

export interface FieldNodeOptions {
  /** The build's configuration document (a partial over the defaults). */
  config: unknown;
  /** The build's settings, in the form's terms (ssid, broker, ...): defaults under what is provisioned. */
  defaults?: Settings;
  /** The node joins Wi-Fi itself (the device): an ssid is then part of being provisioned. */
  wifi?: boolean;
  resetReason?: ResetReason;
  /** The setup page's port (default 80). */
  port?: number;
}

export class FieldNode implements SetupTarget {
  readonly host: Host;
  readonly store: ProvisionStore;
  readonly app: NodeApp;
  readonly provisioned: boolean;
  readonly setupKey: string;
  readonly server: SetupServer;
  #options: FieldNodeOptions;
  /** Provisioned settings over the build's defaults. */
  #settings: Settings;
  #stored: Settings;
  #restarting = false;
  #button: { close(): void } | undefined;
  /** Why the stored Wi-Fi could not be joined at boot (the Host's reason), until it is. */
  #wifiError: string | undefined;
  #wifiRetry: number | undefined;
  #stopped = false;

  constructor(host: Host, options: FieldNodeOptions) {
    this.host = host;
    this.#options = options;
    this.store = new ProvisionStore(host.storage);
    this.#stored = this.store.load();
    this.#settings = { ...options.defaults, ...this.#stored };
    this.setupKey = this.store.setupKey(host);
    const s = this.#settings;
    let app: NodeApp | undefined;
    if (s.broker !== undefined && (!options.wifi || s.ssid !== undefined)) {
      try {
        app = new NodeApp(host, mergePartial(options.config, configPartial(s)), {
          resetReason: options.resetReason,
          // With a Wi-Fi station to join, the broker connection waits for the network (#joinWifi).
          deferConnection: host.wifi !== undefined && s.ssid !== undefined,
          tls: s.ca || s.cert ? { ca: s.ca, cert: s.cert, key: s.key } : undefined,
          factoryReset: (body) => this.#resetCommand(body),
        });
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        // A firmware update may have changed the rules: stay provisionable rather than stop.
        host.log("error", `provisioned settings no longer valid (${error.message}); unprovisioned until set again`);
      }
    }
    this.provisioned = app !== undefined;
    this.app = app ?? new NodeApp(host, options.config, { resetReason: options.resetReason, offline: true });
    const api = new SetupApi(this);
    this.server = new SetupServer(host, (request) => api.handle(request));
  }

  start(): void {
    const { host, app } = this;
    app.start();
    const serving = this.server.start(this.#options.port ?? SETUP_PORT);
    const page = serving ? `setup page on port ${this.server.port}` : "no setup page on this host";
    if (!this.provisioned) {
      // The serial banner: the only place besides Improv's device info that shows the key.
      host.log("warn", `unprovisioned: setup key ${this.setupKey}; ${page}${this.#openAccessPoint()}; sampling, publishing nothing until provisioned (docs/provisioning.md)`);
    } else {
      host.wifi?.accessPoint?.(null);
      host.log("info", `provisioned: broker ${this.#settings.broker}, node ${app.nodeId}; ${page} (setup key required)`);
    }
    this.#button = host.watchResetButton?.(() => this.factoryReset("reset button held"));
    this.#joinWifi();
  }

  /**
   * An unprovisioned node's own network for its setup page: `sensor-node-XXXX`, WPA2 with
   * the setup key (as shown, dashes included) as passphrase. Its part of the banner.
   */
  #openAccessPoint(): string {
    const wifi = this.host.wifi;
    if (!wifi?.accessPoint) return "";
    const ssid = deviceName(this.host.hardwareId);
    const address = wifi.accessPoint({ ssid, passphrase: this.setupKey });
    return address === undefined ? "" : `; access point ${ssid} (WPA2, passphrase: the setup key) with the page at ${this.pageUrl(address)}`;
  }

  /** The setup page's URL at `address` (the port omitted when it is 80); "" while no page is served. */
  pageUrl(address: string): string {
    const port = this.server.port;
    return port === undefined ? "" : `http://${address}${port === 80 ? "" : `:${port}`}/`;
  }

  /** The stored Wi-Fi network, if any (Improv's "provisioned" is this, joined). */
  get ssid(): string | undefined {
    return this.#settings.ssid;
  }

  /**
   * Joins the stored network where the host has a Wi-Fi station, then starts the broker
   * connection; a failure shows in state() with the field to fix, and is tried again.
   */
  #joinWifi(): void {
    const wifi = this.host.wifi;
    const { ssid, password } = this.#settings;
    this.#wifiRetry = undefined;
    if (!wifi || ssid === undefined) return;
    wifi.connect(ssid, password ?? "", (error) => {
      if (this.#stopped) return;
      this.#wifiError = error;
      if (!error) return this.app.connect();
      this.host.log("warn", `wifi: cannot join "${ssid}": ${error}; retry in ${WIFI_RETRY_MS / 1000} s`);
      this.#wifiRetry = this.host.timers.set(() => this.#joinWifi(), WIFI_RETRY_MS);
    });
  }

  stop(): void {
    this.#stopped = true;
    this.host.timers.clear(this.#wifiRetry);
    this.#button?.close();
    this.server.stop();
    this.app.stop();
  }

  now(): number {
    return this.host.clock.now();
  }

  state(): Record<string, unknown> {
    const app = this.app;
    const connected = app.mqtt.connected;
    const wifiError = this.#wifiError;
    // The network first: without it nothing else can work (on the device).
    const error = wifiError ? wifiProblem(wifiError) : this.provisioned && !connected && app.linkError ? linkProblem(app.linkError) : null;
    const state = this.#restarting ? "restarting" : !this.provisioned ? "unprovisioned" : connected ? "connected" : error ? "error" : "connecting";
    const axes = app.sensors.axes;
    return {
      v: 1,
      state,
      provisioned: this.provisioned,
      nodeId: app.nodeId,
      firmware: FIRMWARE_VERSION_TEXT,
      boot: app.boot,
      broker: this.provisioned ? this.#settings.broker : null,
      wifi: this.host.wifi && this.#settings.ssid !== undefined ? { ssid: this.#settings.ssid, connected: this.host.wifi.address !== undefined } : null,
      mqtt: { connected, attempts: app.mqtt.stats.attempts, error },
      windows: app.windows,
      vRms: app.sensors.vibValid ? { x: axes.x.vRms, y: axes.y.vRms, z: axes.z.vRms } : null,
      tempC: app.sensors.lastTemperature ?? null,
      faults: app.faults.map((f) => `${f.sensor}: ${f.reason}`),
    };
  }

  settings(): Record<string, unknown> {
    return { v: 1, provisioned: this.provisioned, ...publicSettings(this.#settings, this.host.clock.wall()) };
  }

  /**
   * Checks `body` (fields to change) over the current settings; stores the
   * result and restarts, or returns every problem with nothing changed. `via`
   * names the channel for the log ("setup page", "Improv").
   */
  provision(body: unknown, via: string): { restartInMs: number } | { errors: FieldError[] } {
    const checked = this.#save(body, via, false);
    if (checked) return checked;
    this.#restartSoon("provisioned");
    return { restartInMs: RESTART_DELAY_MS };
  }

  /**
   * Stores Wi-Fi settings alone, without a restart (Improv gives the Wi-Fi first, once
   * the station has joined it; the rest follows through the setup API): every
   * problem, or undefined once stored.
   */
  saveWifi(ssid: string, password: string, via: string): { errors: FieldError[] } | undefined {
    const refused = this.#save({ ssid, password }, via, true);
    if (refused) return refused;
    // The caller has joined it: a provisioned node waiting for its network goes on to its broker.
    this.#wifiError = undefined;
    this.host.timers.clear(this.#wifiRetry);
    this.app.connect();
    return undefined;
  }

  /** Checks and stores; the problems, or undefined when stored. `partial`: no field is required. */
  #save(body: unknown, via: string, partial: boolean): { errors: FieldError[] } | undefined {
    if (this.#restarting) return { errors: [{ code: "restarting", message: "the node is restarting with new settings: try again in a moment" }] };
    const checked = checkForm(body, this.#settings, { config: this.#options.config, now: this.host.clock.wall(), wifi: !!this.#options.wifi, partial });
    if ("errors" in checked) {
      this.host.log("warn", `provisioning by ${via} refused: ${checked.errors.map((e) => `${e.field ?? "request"} ${e.code}`).join(", ")}`);
      return checked;
    }
    const next = checked.settings;
    // Store what differs from the build's defaults (so a factory reset, or clearing a field, returns to them).
    const defaults = this.#options.defaults ?? {};
    const stored: Record<string, unknown> = {};
    for (const f of FIELDS) if (next[f] !== undefined && next[f] !== defaults[f]) stored[f] = next[f];
    this.store.save(stored as Settings);
    const changed = FIELDS.filter((f) => next[f] !== this.#settings[f]);
    this.#settings = next;
    this.host.log("info", `provisioned by ${via}: ${changed.length ? changed.join(", ") : "nothing"} changed${partial ? "" : `; restart in ${RESTART_DELAY_MS} ms`}`);
    return undefined;
  }

  /** Forgets everything provisioned (and the setup key: a new one is made), then restarts. Returns the delay, ms. */
  factoryReset(reason: string): number {
    this.host.log("warn", `${reason}: forgetting the provisioned settings; restart in ${RESTART_DELAY_MS} ms`);
    this.#restartSoon(reason, () => {
      const storage = this.host.storage;
      this.store.clear();
      for (const key of RESET_KEYS) storage.delete(key);
      for (const name of RESET_LOGS) storage.openLog(name).clear();
    });
    return RESTART_DELAY_MS;
  }

  /** `cmd/factory-reset` with `{"key": "<setup key>"}`. */
  #resetCommand(body: unknown): CommandResult {
    const key = (body as { key?: unknown } | undefined)?.key;
    if (typeof key !== "string" || !sameKey(key, this.setupKey)) return { ok: false, error: "key: expected this node's setup key" };
    return { ok: true, restartInMs: this.factoryReset("factory reset command") };
  }

  /** The answer goes out first; `before` runs just before the restart (nothing is published in between). */
  #restartSoon(reason: string, before?: () => void): void {
    this.#restarting = true;
    const host = this.host;
    host.timers.set(() => {
      before?.();
      host.restart(reason);
    }, RESTART_DELAY_MS);
  }
}
