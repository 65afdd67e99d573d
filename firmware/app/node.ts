/*
 * The node application: the composition root. It resolves the configuration,
 * builds the shared pieces (monitor, baseline, outbox, MQTT client, Sparkplug
 * link) and wires three parts to them:
 *   sensors.ts         SensorManager: sensors, acquisition, windows, faults and recovery
 *   telemetry.ts       TelemetryScheduler: when telemetry, alarms and status go out
 *   command-router.ts  CommandRouter: incoming messages, commands, cmd/config
 * Data flows sensors -> telemetry -> outbox -> MQTT; commands reach every part
 * through the router. Everything touches the world through the Host, so the
 * same code runs on the ESP32, in Moddable's simulator, inside xsnap and on
 * the Node simulator host.
 */
import type { Host, TlsMaterial } from "../host.js";
import { bearingDiagnostics, type NodeConfig } from "./config.js";
import { resolveWithStored } from "./stored-config.js";
import type { AccelerometerKind, ThermometerKind } from "../drivers/scan.js";
import { hilFramesTopic, type HilAccelerometer } from "../drivers/hil.js";
import { MqttClient } from "../mqtt/client.js";
import { Outbox } from "../outbox/outbox.js";
import { Monitor } from "../monitor/monitor.js";
import { Baseline } from "../monitor/baseline.js";
import { isKnownMetric } from "../monitor/metrics.js";
import type { CommandResult, CommandTarget, Commands } from "./commands.js";
import { FIRMWARE_VERSION_TEXT } from "./version.js";
import { SparkplugLink } from "./sparkplug-link.js";
import { SensorManager, type Located } from "./sensors.js";
import { BASELINE_KEY, RUN_HOURS_KEY, TelemetryScheduler } from "./telemetry.js";
import { CommandRouter } from "./command-router.js";
import type { Fault, ResetReason } from "./payload.js";
import { hasOtaRecord, OtaAgent, type OtaReport } from "../ota/agent.js";
import { ackPayload } from "./commands.js";

export const FIRMWARE_VERSION = FIRMWARE_VERSION_TEXT;

const BOOT_KEY = "boot";

export interface Topics {
  status: string;
  telemetry: string;
  alarm: string;
  command: string;
}

export function topicsFor(prefix: string, nodeId: string): Topics {
  const base = `${prefix}/${nodeId}`;
  return { status: `${base}/status`, telemetry: `${base}/telemetry`, alarm: `${base}/alarm`, command: `${base}/cmd/` };
}

export function nodeIdFor(config: NodeConfig, host: Host): string {
  if (config.nodeId) return config.nodeId;
  return "node-" + host.hardwareId.replace(/[^A-Za-z0-9]/g, "").toLowerCase();
}

export interface NodeOptions {
  /** Why the node last started, when the host knows (hosts/moddable/main.ts); status messages then carry `reset`. */
  resetReason?: ResetReason;
  /** Unprovisioned (docs/provisioning.md): the node samples and evaluates, but connects nowhere and publishes nothing. */
  offline?: boolean;
  /** Connect to the broker only on connect() (the field node joins Wi-Fi first); telemetry waits in the outbox meanwhile. */
  deferConnection?: boolean;
  /** Provisioned CA and client certificate for the broker connection (PEM); passed to the host's TLS socket. */
  tls?: TlsMaterial;
  /** Runs `cmd/factory-reset` (firmware/provision/field-node.ts); absent: the command is refused. */
  factoryReset?: (body: unknown) => CommandResult;
}

export class NodeApp implements CommandTarget {
  readonly host: Host;
  config: NodeConfig;
  /** The configuration the node was built or started with (before `cmd/config` overrides). */
  readonly baseConfig: unknown;
  readonly nodeId: string;
  readonly boot: number;
  readonly resetReason: ResetReason | undefined;
  readonly topics: Topics;
  readonly mqtt: MqttClient;
  /** Set in Sparkplug B mode (config payload "sparkplug"). */
  readonly sparkplug: SparkplugLink | undefined;
  /** Telemetry and alarms go through this durable store-and-forward queue (docs/outbox.md). */
  readonly outbox: Outbox;
  monitor: Monitor;
  /** Set while baseline learning is enabled (monitor.baseline; on by default). */
  baseline: Baseline | undefined;
  readonly sensors: SensorManager;
  readonly telemetry: TelemetryScheduler;
  readonly router: CommandRouter;
  /** False while unprovisioned: nothing is published (NodeOptions.offline). */
  readonly publishing: boolean;
  /** Why the last connection attempt failed or the connection was lost; undefined once connected. */
  linkError: string | undefined;
  readonly options: NodeOptions;
  /** Updates over the air (docs/ota.md): made on first use, so a node that never took an update carries none. */
  #ota: OtaAgent | undefined;
  #connecting = false;

  /** `document` is a partial configuration over the defaults; overrides stored by `cmd/config` apply on top. Throws ConfigError. */
  constructor(host: Host, document: unknown, options: NodeOptions = {}) {
    this.host = host;
    this.baseConfig = document;
    const { config, stored } = resolveWithStored(host.storage, document);
    if (stored.error) host.log("error", stored.error);
    this.config = config;
    this.nodeId = nodeIdFor(config, host);
    this.topics = topicsFor(config.mqtt.prefix, this.nodeId);
    this.boot = nextBoot(host);
    this.resetReason = options.resetReason;
    this.options = options;
    this.publishing = !options.offline;
    this.monitor = new Monitor(config.monitor, isKnownMetric, Number(host.storage.get(RUN_HOURS_KEY)) || 0, config.machine);
    this.baseline = this.baselineFor(config.monitor.baseline);
    if (this.baseline?.ready) this.monitor.addRules(this.baseline.rules(), "baseline");
    this.sensors = new SensorManager(this);
    this.telemetry = new TelemetryScheduler(this);
    this.router = new CommandRouter(this, stored);
    const m = config.mqtt;
    this.outbox = new Outbox({ storage: host.storage, log: (level, message) => host.log(level, message) });
    this.sparkplug =
      config.payload === "sparkplug"
        ? new SparkplugLink({
            host,
            groupId: config.sparkplug.groupId,
            edgeNodeId: this.nodeId,
            primaryHostId: config.sparkplug.primaryHostId,
            client: () => this.mqtt,
            onReboot: () => this.router.restartSoon("Sparkplug Node Control/Reboot"),
            envelope: bearingDiagnostics(config),
          })
        : undefined;
    this.mqtt = new MqttClient({
      host,
      server: { host: m.host, port: m.port, secure: m.secure, tls: options.tls },
      clientId: this.nodeId,
      keepalive: m.keepalive,
      cleanSession: m.cleanSession,
      protocolVersion: m.version,
      sessionExpiryS: m.sessionExpiryS,
      username: m.username,
      password: m.password,
      // Sparkplug: a new bdSeq (and NDEATH) for every connection, as the spec requires.
      will: this.sparkplug ? () => this.sparkplug!.will() : { topic: this.topics.status, payload: this.telemetry.status(false), qos: 1, retain: true },
      random: host.random ? () => host.random!() : undefined,
      onConnect: () => {
        this.linkError = undefined;
        if (this.sparkplug) {
          this.sparkplug.edge.connected();
          return this.#ota?.online(); // the births went out on this connection
        }
        // A new image confirms itself once the broker has its status (docs/ota.md).
        this.telemetry.publishStatus((delivered) => delivered && this.#ota?.online());
        this.telemetry.publishDiscovery();
      },
      onDisconnect: () => this.sparkplug?.edge.disconnected(),
      onConnectionError: (reason) => (this.linkError = reason),
      // A broker without MQTT 5: the client goes on with 3.1.1 by itself; the log names the setting that makes it stick.
      versionAdvice: "set mqtt.version 4",
      onMessage: (topic, payload) => this.router.message(topic, payload),
      // Telemetry and alarms wait in the outbox; the client's own (bounded) queue holds only status, discovery and command acks.
      maxQueued: 64,
    });
    this.mqtt.setSource(this.outbox);
    this.outbox.onReady = () => this.mqtt.wake();
  }

  start(): void {
    this.host.log("info", `node ${this.nodeId} boot ${this.boot} firmware ${FIRMWARE_VERSION}`);
    // An image on probation, or an update's outcome to report: the agent is needed from the start.
    if (this.host.firmware?.pendingVerify || hasOtaRecord(this.host)) this.ota.boot(this.resetReason);
    if (!this.options.deferConnection) this.connect();
    this.sensors.start();
  }

  /** Starts the broker connection (once; never while unprovisioned): at start(), or when the network is up (NodeOptions.deferConnection). */
  connect(): void {
    if (!this.publishing || this.#connecting) return;
    this.#connecting = true;
    this.mqtt.subscribe(`${this.topics.command}+`, 1);
    // Hardware in the loop: the accelerometer's samples come as frames over MQTT (docs/hil.md).
    if (this.config.accelerometer.kind === "hil") this.mqtt.subscribe(hilFramesTopic(this.config.mqtt.prefix, this.nodeId), 1);
    this.sparkplug?.subscribe(this.mqtt);
    this.mqtt.start();
  }

  /** Orderly shutdown: stops sampling, says "offline" (or NDEATH) itself, sends DISCONNECT (so no will is published). */
  stop(): void {
    this.#ota?.stop();
    this.sensors.stop();
    // A clean DISCONNECT makes the broker drop the will: say "offline" (Sparkplug: NDEATH) ourselves first.
    this.telemetry.publishOffline();
    this.sparkplug?.edge.shutdown();
    this.mqtt.stop();
    this.outbox.flush();
  }

  /** The update agent (made now if it was not). */
  get ota(): OtaAgent {
    this.#ota ??= new OtaAgent({
      host: this.host,
      runningVersion: FIRMWARE_VERSION,
      confirmS: this.config.ota.confirmS,
      tls: this.options.tls,
      report: (report, ack) => this.#reportOta(report, ack),
      restart: (reason) => this.router.restartSoon(reason),
    });
    return this.#ota;
  }

  /** The last update's state for status; undefined on a node that never took one. */
  get otaReport(): OtaReport | undefined {
    return this.#ota?.report;
  }

  /** An update's download waits for the server (the simulator's virtual time waits with it). */
  get otaDownloading(): boolean {
    return this.#ota?.awaitingData ?? false;
  }

  /** A window's reports are out (telemetry.ts): the moment an update restarts the node. */
  windowEnded(): void {
    this.#ota?.windowEnded();
  }

  /** An update's step: on `cmd/ota/ack` (when `ack`) and in status. */
  #reportOta(report: OtaReport, ack: boolean): void {
    const failed = report.state === "refused" || report.state === "failed" || report.state === "rolled-back";
    if (ack && this.publishing) this.mqtt.publish(`${this.topics.command}ota/ack`, ackPayload({ ok: !failed, ...report }), { qos: 1 });
    this.telemetry.publishStatus();
  }

  /** The baseline learner for `settings` (undefined when disabled), going on from what was learned so far or stored. */
  baselineFor(settings: NodeConfig["monitor"]["baseline"]): Baseline | undefined {
    if (!settings.enabled) return undefined;
    return new Baseline(settings, this.baseline?.snapshot() ?? parseJson(this.host.storage.get(BASELINE_KEY)));
  }

  /** Runs command `name` (`cmd/<name>`); the router does (command-router.ts). */
  runCommand(name: string, body: unknown): CommandResult {
    return this.router.runCommand(name, body);
  }

  get commands(): Commands {
    return this.router.commands;
  }

  get faults(): Fault[] {
    return [...this.sensors.faults.values()];
  }

  /** Windows analysed since boot. */
  get windows(): number {
    return this.sensors.windows;
  }

  /** The HIL accelerometer (accelerometer.kind "hil") while it is open. */
  get hil(): HilAccelerometer | undefined {
    return this.sensors.hil;
  }

  get seq(): number {
    return this.telemetry.seq;
  }

  /** Which part and address each sensor turned out to be (after a scan). */
  get accelerometerFound(): Located<AccelerometerKind> | undefined {
    return this.sensors.accelerometerFound;
  }

  get thermometerFound(): Located<ThermometerKind> | undefined {
    return this.sensors.thermometerFound;
  }

  /** Bus recovery attempts since boot. */
  get busRecoveries(): number {
    return this.sensors.busRecoveries;
  }

  get configVersion(): number {
    return this.router.stored.version;
  }
}

/** Validates `config` (a partial document over the defaults) and starts the node. */
export function startNode(host: Host, config: unknown, options?: NodeOptions): NodeApp {
  const app = new NodeApp(host, config, options);
  app.start();
  return app;
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined; // a torn or corrupt record: learn again rather than stop
  }
}

function nextBoot(host: Host): number {
  const previous = Number(host.storage.get(BOOT_KEY) ?? "0");
  const boot = Number.isInteger(previous) && previous >= 0 ? previous + 1 : 1;
  host.storage.set(BOOT_KEY, String(boot));
  return boot;
}
