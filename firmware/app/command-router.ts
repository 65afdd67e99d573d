/*
 * Where incoming messages go: HIL sample frames to the HIL accelerometer,
 * Sparkplug commands to the edge node, and `cmd/<name>` to the commands
 * (commands.ts parses and acks them; this part runs them). `cmd/config` is
 * validated whole and applied live or by a restart; the overrides it stores
 * (stored-config.ts) are this part's.
 */
import { bearingDiagnostics, ConfigError, changedSections, LIVE_SECTIONS, mergePartial, resolveConfig, type NodeConfig } from "./config.js";
import { saveStoredConfig, type StoredConfig } from "./stored-config.js";
import { ackPayload, Commands, type CommandResult, type CommandTarget } from "./commands.js";
import { hilFramesTopic } from "../drivers/hil.js";
import { Monitor } from "../monitor/monitor.js";
import { isKnownMetric } from "../monitor/metrics.js";
import { BASELINE_KEY } from "./telemetry.js";
import type { NodeApp } from "./node.js";

/** The commands runCommand knows (`cmd/<name>`); preloaded, frozen. */
const COMMAND_NAMES = Object.freeze(["capture", "config", "rebirth", "restart", "ack-alarm", "reset-baseline", "factory-reset", "ota"]);
/** Commands that restart the node answer first; the restart follows after this delay (ms) so the ack is delivered. */
const RESTART_DELAY_MS = 1000;

export class CommandRouter implements CommandTarget {
  readonly commands: Commands;
  #app: NodeApp;
  #stored: StoredConfig;

  /** `stored`: the overrides the node booted with (stored-config.ts resolveWithStored). */
  constructor(app: NodeApp, stored: StoredConfig) {
    this.#app = app;
    this.#stored = stored;
    this.commands = new Commands(app.topics.command, COMMAND_NAMES, this);
  }

  /** The stored overrides: their version and, when they were dropped, why (status `config`). */
  get stored(): StoredConfig {
    return this.#stored;
  }

  /** Restarts the node after RESTART_DELAY_MS (the ack or NDEATH goes out first). */
  restartSoon(reason: string): void {
    const host = this.#app.host;
    host.timers.set(() => host.restart(reason), RESTART_DELAY_MS);
  }

  /** Every message the MQTT client receives. */
  message(topic: string, payload: Uint8Array): void {
    const app = this.#app;
    const host = app.host;
    if (app.config.accelerometer.kind === "hil" && topic === hilFramesTopic(app.config.mqtt.prefix, app.nodeId)) {
      const problem = app.hil?.push(payload);
      if (problem) host.log("warn", problem);
      return;
    }
    if (app.sparkplug?.edge.message(topic, payload)) return;
    const handled = this.commands.handle(topic, payload);
    if (!handled) return;
    host.log(handled.result.ok ? "info" : "warn", `command ${handled.name}: ${handled.result.ok ? "ok" : handled.result.error}`);
    app.mqtt.publish(handled.topic, ackPayload(handled.result), { qos: 1 });
  }

  /** Runs command `name` (one of COMMAND_NAMES) for `this.commands`; acks say what happened. */
  runCommand(name: string, body: unknown): CommandResult {
    const app = this.#app;
    switch (name) {
      case "capture": {
        const id = app.sensors.requestCapture();
        if (id === undefined) return { ok: false, error: "no accelerometer (sensor fault)" };
        return { ok: true, id, topic: `${app.topics.status.slice(0, -"/status".length)}/capture/${id}` };
      }
      case "config":
        return this.#configure(body);
      case "ota":
        return app.ota.command(body);
      case "rebirth":
        if (!app.sparkplug) return { ok: false, error: "not in Sparkplug mode (config payload)" };
        app.sparkplug.edge.rebirth();
        return { ok: true };
      case "restart":
        this.restartSoon("restart command");
        return { ok: true, restartInMs: RESTART_DELAY_MS };
      case "ack-alarm": {
        const metric = (body as { metric?: unknown } | undefined)?.metric;
        if (metric !== undefined && typeof metric !== "string") return { ok: false, error: "metric: expected a string" };
        if (typeof metric === "string" && !app.monitor.states.some((s) => s.rule.name === metric)) return { ok: false, error: `no rule watches ${metric}` };
        return { ok: true, acknowledged: app.monitor.acknowledge(metric) };
      }
      case "reset-baseline": {
        const baseline = app.baseline;
        if (!baseline) return { ok: false, error: "baseline learning is not enabled (monitor.baseline.enabled)" };
        baseline.reset();
        app.monitor.addRules([], "baseline");
        app.host.storage.delete(BASELINE_KEY);
        return { ok: true, learnS: baseline.config.learnS };
      }
      case "factory-reset": {
        // The body carries the setup key: it is checked there and never echoed or logged.
        const reset = app.options.factoryReset;
        return reset ? reset(body) : { ok: false, error: "factory reset is not available on this node (it has no setup key)" };
      }
    }
    return { ok: false, error: `unknown command "${name}"` };
  }

  /**
   * `cmd/config`: a partial document over the current configuration. It is
   * validated whole (errors name the field) and applied all at once, or not at
   * all. Monitoring, telemetry and machine settings apply from the next window;
   * anything else (sensors, window, MQTT, and a bearing named or removed) restarts
   * the firmware in place.
   */
  #configure(body: unknown): CommandResult {
    const app = this.#app;
    if (typeof body !== "object" || body === null || Array.isArray(body)) return { ok: false, error: "expected a JSON object (a partial configuration)", version: this.#stored.version };
    const overrides = mergePartial(this.#stored.overrides, body) as Record<string, unknown>;
    let next: NodeConfig;
    try {
      next = resolveConfig(mergePartial(app.baseConfig, overrides));
      if (next.nodeId !== app.config.nodeId && (body as { nodeId?: unknown }).nodeId !== undefined) throw new ConfigError("nodeId", "cannot be changed by command (it names the topics)");
    } catch (error) {
      return { ok: false, error: error instanceof Error ? error.message : String(error), version: this.#stored.version };
    }
    const changed = changedSections(app.config, next);
    this.#stored = { version: this.#stored.version + 1, overrides };
    saveStoredConfig(app.host.storage, this.#stored);
    // Bearing diagnostics switched on or off change the acquisition's check and its default ring: the sensors open again.
    const restart = changed.some((k) => !(LIVE_SECTIONS as readonly string[]).includes(k)) || bearingDiagnostics(next) !== bearingDiagnostics(app.config);
    if (restart) {
      this.restartSoon("configuration changed");
    } else if (changed.length) {
      this.#applyLive(next);
    }
    app.telemetry.publishStatus();
    return { ok: true, version: this.#stored.version, changed, restart };
  }

  /** Swaps in new monitoring and telemetry settings, keeping the levels of rules that still exist. */
  #applyLive(next: NodeConfig): void {
    const app = this.#app;
    const old = app.monitor;
    const monitor = new Monitor(next.monitor, isKnownMetric, old.running.runningHours, next.machine);
    for (const state of monitor.states) {
      const previous = old.states.find((s) => s.rule.name === state.rule.name);
      if (previous) state.level = previous.level;
    }
    monitor.running.running = old.running.running;
    // Baseline settings changed by command (disabled, other factors or metrics) apply at once; what was learned carries over.
    if (JSON.stringify(next.monitor.baseline) !== JSON.stringify(app.config.monitor.baseline)) app.baseline = app.baselineFor(next.monitor.baseline);
    if (app.baseline?.ready) monitor.addRules(app.baseline.rules(), "baseline");
    app.monitor = monitor;
    const discovery = JSON.stringify(next.homeassistant) !== JSON.stringify(app.config.homeassistant);
    app.config = next;
    if (discovery) app.telemetry.publishDiscovery();
  }
}
