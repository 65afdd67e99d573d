/*
 * The node application: wires sensors -> acquisition -> features -> payloads -> MQTT.
 * Everything it touches comes through the Host, so the same code runs on the
 * ESP32, in Moddable's simulator, inside xsnap and on the Node simulator host.
 */
import type { Host, TimerId } from "../host.js";
import { ConfigError, changedSections, LIVE_SECTIONS, mergePartial, resolveConfig, type NodeConfig } from "./config.js";
import { loadStoredConfig, saveStoredConfig, type StoredConfig } from "./stored-config.js";
import type { Accelerometer } from "../drivers/accelerometer.js";
import type { Thermometer } from "../drivers/thermometer.js";
import { createAccelerometer, createThermometer, scanBus, ADDRESSES, type AccelerometerKind, type ThermometerKind } from "../drivers/scan.js";
import { HilAccelerometer, hilFramesTopic } from "../drivers/hil.js";
import { Acquirer, type WindowBlock } from "../acquisition/acquirer.js";
import { FeatureExtractor, type AxisFeatures } from "../dsp/features.js";
import { MqttClient } from "../mqtt/client.js";
import { MessageClass, Outbox } from "../outbox/outbox.js";
import { Monitor } from "../monitor/monitor.js";
import { Baseline } from "../monitor/baseline.js";
import { checkWindow } from "../monitor/health.js";
import { isKnownMetric } from "../monitor/metrics.js";
import type { Transition } from "../monitor/state.js";
import type { Zone } from "../monitor/iso.js";
import { ackPayload, Commands, type CommandResult, type CommandTarget } from "./commands.js";
import { recoverBus } from "../drivers/bus-recovery.js";
import { FIRMWARE_VERSION_TEXT } from "./version.js";
import { discoveryEntities, discoveryPayload, discoveryTopic } from "./discovery.js";
import { SparkplugLink } from "./sparkplug-link.js";
import { captureMessages } from "./capture.js";
import {
  alarmPayload,
  clearedAlarmPayload,
  faultAlarmPayload,
  statusPayload,
  telemetryPayload,
  type Envelope,
  type Fault,
  type Level,
} from "./payload.js";

export const FIRMWARE_VERSION = FIRMWARE_VERSION_TEXT;

/** A failed sensor is retried this often (ms) until it answers again. */
const SENSOR_RETRY_MS = 5000;
const BOOT_KEY = "boot";
const ORDER_METRICS = ["order1x", "order2x", "order3x"];
/** Smallest change that counts for the deadband: vRms x/y/z (mm/s), aRms x/y/z (g), temperature (degC). */
const DEADBAND_FLOORS = [0.1, 0.1, 0.1, 0.002, 0.002, 0.002, 0.1];
/** Commands that restart the node answer first; the restart follows after this delay (ms) so the ack is delivered. */
const RESTART_DELAY_MS = 1000;
const BASELINE_KEY = "baseline";
const RUN_HOURS_KEY = "runHours";
/** Running hours are written to storage this often (flash wear vs. what a power cut may lose). */
const RUN_HOURS_SAVE_MS = 10 * 60 * 1000;
/** The commands NodeApp.runCommand knows (`cmd/<name>`). */
const COMMAND_NAMES = Object.freeze(["capture", "config", "rebirth", "restart", "ack-alarm", "reset-baseline"]);

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

export class NodeApp implements CommandTarget {
  readonly host: Host;
  config: NodeConfig;
  /** The configuration the node was built or started with (before `cmd/config` overrides). */
  readonly baseConfig: unknown;
  #stored: StoredConfig;
  readonly nodeId: string;
  readonly boot: number;
  readonly topics: Topics;
  readonly mqtt: MqttClient;
  /** Set in Sparkplug B mode (config payload "sparkplug"). */
  readonly sparkplug: SparkplugLink | undefined;
  /** Telemetry and alarms go through this durable store-and-forward queue (docs/outbox.md). */
  readonly outbox: Outbox;
  /** Windows analysed since boot. */
  windows = 0;
  #seq = 0;
  #faults = new Map<string, Fault>();
  #accel: Accelerometer | undefined;
  #temp: Thermometer | undefined;
  /** Which part and address each sensor turned out to be (after a scan). */
  accelerometerFound: { kind: AccelerometerKind; address: number } | undefined;
  thermometerFound: { kind: ThermometerKind; address: number } | undefined;
  /** Monotonic ms before which the thermometer has no first conversion yet. */
  #tempReadyAt = 0;
  #acquirer: Acquirer | undefined;
  #features: FeatureExtractor | undefined;
  #axes: { x: AxisFeatures; y: AxisFeatures; z: AxisFeatures };
  #vibValid = false;
  monitor: Monitor;
  #baseline: Baseline | undefined;
  readonly commands: Commands;
  #lastPublished: number[] = [];
  #lastPublishMs = -Infinity;
  #runHoursSavedMs = 0;
  #retryTimer: TimerId | undefined;
  #healthTimer: TimerId | undefined;
  /** A capture asked for by command: sent with the next window. */
  #capturePending: number | undefined;
  #captures = 0;
  #lastTemperature: number | undefined;
  #lastHumidity: number | undefined;
  #stopped = false;

  /** `config` is a partial document over the defaults; overrides stored by `cmd/config` apply on top. Throws ConfigError. */
  constructor(host: Host, document: unknown) {
    this.host = host;
    this.baseConfig = document;
    this.#stored = loadStoredConfig(host.storage);
    let effective: NodeConfig;
    try {
      effective = resolveConfig(mergePartial(document, this.#stored.overrides));
    } catch (error) {
      if (!(error instanceof ConfigError) || !Object.keys(this.#stored.overrides).length) throw error;
      this.#stored = { version: this.#stored.version, overrides: {}, error: `stored configuration no longer valid (${error.message}); using the build-time configuration` };
      effective = resolveConfig(document);
    }
    if (this.#stored.error) host.log("error", this.#stored.error);
    const config = (this.config = effective);
    this.nodeId = nodeIdFor(config, host);
    this.topics = topicsFor(config.mqtt.prefix, this.nodeId);
    this.boot = nextBoot(host);
    this.#axes = { x: emptyAxis(), y: emptyAxis(), z: emptyAxis() };
    this.monitor = new Monitor(config.monitor, isKnownMetric, Number(host.storage.get(RUN_HOURS_KEY)) || 0);
    const b = config.monitor.baseline;
    if (b.enabled) {
      this.#baseline = new Baseline(b, parseJson(host.storage.get(BASELINE_KEY)));
      if (this.#baseline.ready) this.monitor.addRules(this.#baseline.rules(), "baseline");
    }
    this.commands = new Commands(this.topics.command, COMMAND_NAMES, this);
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
            onReboot: () => host.timers.set(() => host.restart("Sparkplug Node Control/Reboot"), RESTART_DELAY_MS),
          })
        : undefined;
    this.mqtt = new MqttClient({
      host,
      server: { host: m.host, port: m.port, secure: m.secure },
      clientId: this.nodeId,
      keepalive: m.keepalive,
      cleanSession: m.cleanSession,
      protocolVersion: m.version,
      sessionExpiryS: m.sessionExpiryS,
      username: m.username,
      password: m.password,
      // Sparkplug: a new bdSeq (and NDEATH) for every connection, as the spec requires.
      will: this.sparkplug ? () => this.sparkplug!.will() : { topic: this.topics.status, payload: this.#status(false), qos: 1, retain: true },
      random: host.random ? () => host.random!() : undefined,
      onConnect: () => {
        if (this.sparkplug) return this.sparkplug.edge.connected();
        this.#publishStatus();
        this.#publishDiscovery();
      },
      onDisconnect: () => this.sparkplug?.edge.disconnected(),
      onMessage: (topic, payload) => this.#onMessage(topic, payload),
      // Telemetry and alarms wait in the outbox; the client's own (bounded) queue holds only status, discovery and command acks.
      maxQueued: 64,
    });
    this.mqtt.setSource(this.outbox);
    this.outbox.onReady = () => this.mqtt.wake();
  }

  start(): void {
    this.host.log("info", `node ${this.nodeId} boot ${this.boot} firmware ${FIRMWARE_VERSION}`);
    this.mqtt.subscribe(`${this.topics.command}+`, 1);
    // Hardware in the loop: the accelerometer's samples come as frames over MQTT (docs/hil.md).
    if (this.config.accelerometer.kind === "hil") this.mqtt.subscribe(hilFramesTopic(this.config.mqtt.prefix, this.nodeId), 1);
    this.sparkplug?.subscribe(this.mqtt);
    this.mqtt.start();
    this.#openSensors();
    // While the accelerometer is down no window closes; keep reporting at the window rate.
    const windowMs = (this.config.window.n * 1000) / this.config.accelerometer.odr;
    this.#healthTimer = this.host.timers.set(() => this.#healthTick(), windowMs, windowMs);
  }

  /** Orderly shutdown: stops sampling, sends DISCONNECT (so no will is published). */
  stop(): void {
    this.#stopped = true;
    this.host.timers.clear(this.#retryTimer);
    this.host.timers.clear(this.#healthTimer);
    this.#closeAccelerometer();
    this.#temp?.close();
    this.#temp = undefined;
    // A clean DISCONNECT makes the broker drop the will: say NDEATH ourselves first.
    this.sparkplug?.edge.shutdown();
    this.mqtt.stop();
    this.outbox.flush();
  }

  get faults(): Fault[] {
    return [...this.#faults.values()];
  }

  /** The HIL accelerometer (accelerometer.kind "hil") while it is open. */
  get hil(): HilAccelerometer | undefined {
    return this.#accel instanceof HilAccelerometer ? this.#accel : undefined;
  }

  get seq(): number {
    return this.#seq;
  }

  #openSensors(): void {
    this.#retryTimer = undefined;
    if (this.#stopped) return;
    if (!this.#accel) this.#openAccelerometer();
    if (!this.#temp) this.#openTemperature();
    if (this.#faults.get("accelerometer")?.reason === "bus-stuck" && !this.#accel && this.#recoveringDepth === 0) {
      this.#recoveringDepth++;
      const recovered = this.#recoverBus();
      this.#recoveringDepth--;
      if (recovered) return;
    }
    if (!this.#accel || !this.#temp) this.#retryTimer = this.host.timers.set(() => this.#openSensors(), SENSOR_RETRY_MS);
  }

  #openAccelerometer(): void {
    const c = this.config.accelerometer;
    try {
      const found = c.kind === "hil" ? { kind: "hil", address: 0 } : this.#locate("accelerometer", c.kind, c.address);
      const accel = createAccelerometer(found.kind as AccelerometerKind | "hil", { sensor: { io: this.host.io.SMBus, address: found.address }, odr: c.odr, rangeG: c.rangeG });
      this.accelerometerFound = found as { kind: AccelerometerKind; address: number };
      this.#accel = accel;
      if (!this.#features || this.#features.odr !== accel.odr) {
        const f = new FeatureExtractor({ n: this.config.window.n, odr: accel.odr, bandHz: [this.config.band.lowHz, this.config.band.highHz] });
        this.#features = f;
        this.#axes = { x: f.createAxisFeatures(), y: f.createAxisFeatures(), z: f.createAxisFeatures() };
      }
      this.#features.setRpm(this.config.machine.rpm > 0 ? this.config.machine.rpm : undefined);
      const a = this.config.acquisition;
      this.#acquirer = new Acquirer({
        timers: this.host.timers,
        clock: this.host.clock,
        accel,
        n: this.config.window.n,
        duty: a.mode === "duty" ? { captureMs: a.captureS * 1000, periodMs: a.periodS * 1000 } : undefined,
        overrun: a.overrun,
        // #onWindow is done with the block when it returns (a capture is encoded at once): one buffer set.
        buffers: 1,
        onWindow: (block) => this.#onWindow(block),
        onError: (error) => this.#onAccelerometerError(error),
      });
      this.#acquirer.start();
      this.#clearFault("accelerometer");
    } catch (error) {
      this.#closeAccelerometer();
      this.#setFault("accelerometer", error);
    }
  }

  #openTemperature(): void {
    const c = this.config.temperature;
    try {
      const found = this.#locate("temperature", c.kind, c.address);
      const temp = createThermometer(found.kind as ThermometerKind, { sensor: { io: this.host.io.SMBus, address: found.address } });
      this.#temp = temp;
      this.thermometerFound = found as { kind: ThermometerKind; address: number };
      // Parts without a data-ready flag (MCP9808) read 0 until their first conversion is done.
      const conversionMs = (temp as { conversionMs?: number }).conversionMs ?? 0;
      this.#tempReadyAt = this.host.clock.now() + conversionMs;
      this.#clearFault("temperature");
    } catch (error) {
      this.#temp = undefined;
      this.#setFault("temperature", error);
    }
  }

  /**
   * Which part to open: the configured kind at the configured address, or the
   * first one a bus scan finds (kind "auto", or address 0). Throws "absent".
   */
  #locate(role: "accelerometer" | "temperature", kind: string, address: number): { kind: string; address: number } {
    if (kind !== "auto" && address !== 0) return { kind, address };
    // Once found, a part is looked for where it was: a replugged sensor comes back, and a failure says why (NACK, wrong ID).
    const known = role === "accelerometer" ? this.accelerometerFound : this.thermometerFound;
    if (known) return known;
    const scan = scanBus({ io: this.host.io.SMBus });
    const found = (role === "accelerometer" ? scan.accelerometers : scan.thermometers).filter((d) => kind === "auto" || d.kind === kind);
    if (found.length) return found[0];
    const where = kind === "auto" ? "" : ` at ${ADDRESSES[kind as AccelerometerKind | ThermometerKind].map((a) => "0x" + a.toString(16)).join("/")}`;
    throw new AbsentError(`no ${kind === "auto" ? role : kind} found on the bus${where}`);
  }

  #onAccelerometerError(error: unknown): void {
    this.#closeAccelerometer();
    this.#setFault("accelerometer", error);
    if (classify(error) === "bus-stuck" && this.#recoverBus()) return;
    if (this.#retryTimer === undefined && !this.#stopped) {
      this.#retryTimer = this.host.timers.set(() => this.#openSensors(), SENSOR_RETRY_MS);
    }
  }

  /** Frees a stuck bus (nine clocks and a STOP) and reopens the sensors at once; false if it stays stuck. */
  #recoverBus(): boolean {
    const lines = this.host.io.i2cLines?.();
    if (!lines) return false;
    this.#closeAccelerometer();
    this.#temp?.close();
    this.#temp = undefined;
    const result = recoverBus(lines);
    this.busRecoveries++;
    if (!result.recovered) {
      this.host.log("error", `I2C bus stuck: SDA still low after ${result.pulses} clock pulses; retrying in ${SENSOR_RETRY_MS / 1000} s`);
      return false;
    }
    this.host.log("warn", `I2C bus was stuck (SDA low); recovered with ${result.pulses} clock pulses and a STOP`);
    this.host.timers.clear(this.#retryTimer);
    this.#openSensors();
    return true;
  }

  #recoveringDepth = 0;
  /** Bus recovery attempts since boot. */
  busRecoveries = 0;

  #closeAccelerometer(): void {
    this.#acquirer?.stop();
    this.#acquirer = undefined;
    try {
      this.#accel?.close();
    } catch {
      // a sensor that is gone cannot be closed; nothing to release
    }
    this.#accel = undefined;
  }

  #onWindow(block: WindowBlock): void {
    this.windows++;
    const f = this.#features!;
    const capture = this.#capturePending !== undefined ? { x: new Float32Array(f.n / 2 + 1), y: new Float32Array(f.n / 2 + 1), z: new Float32Array(f.n / 2 + 1) } : undefined;
    f.compute(block.x, this.#axes.x, block.scale);
    if (capture) f.amplitudeSpectrum(capture.x);
    f.compute(block.y, this.#axes.y, block.scale);
    if (capture) f.amplitudeSpectrum(capture.y);
    f.compute(block.z, this.#axes.z, block.scale);
    if (capture) f.amplitudeSpectrum(capture.z);
    if (capture) this.#sendCapture(block, capture);
    const verdict = checkWindow([block.x, block.y, block.z], block.n, block.lost, { rangeG: this.#accel?.rangeG ?? this.config.accelerometer.rangeG }, block);
    const finite = finiteAxis(this.#axes.x) && finiteAxis(this.#axes.y) && finiteAxis(this.#axes.z);
    if (verdict) this.#setFault("accelerometer", new Error(verdict.detail), verdict.reason);
    else if (!finite) this.#setFault("accelerometer", new Error("non-finite feature values"), "implausible");
    else this.#clearFault("accelerometer");
    // Overrun leaves the features usable (the loss is reported); other verdicts do not.
    this.#vibValid = finite && (!verdict || verdict.reason === "overrun");
    this.#readTemperature();
    this.#evaluate();
    const vib = this.#vibValid ? { odr: block.odr, n: block.n, lost: block.lost, ...this.#axes, zones: this.#zones() } : undefined;
    this.#publishTelemetry(vib);
  }

  /** Runs the alarm rules on this window's values and publishes every transition at once. */
  #evaluate(): void {
    const now = this.host.clock.now();
    const transitions = this.monitor.evaluate(this.#read, now);
    for (const t of transitions) this.#publishTransition(t);
    if (this.#baseline && this.#baseline.learn(this.#read, now, this.monitor.running.running)) {
      this.host.log("info", `baseline learned over ${Math.round(this.#baseline.learnedS)} s of running`);
      this.monitor.addRules(this.#baseline.rules(), "baseline");
      this.host.storage.set(BASELINE_KEY, JSON.stringify(this.#baseline.snapshot()));
    }
    if (now - this.#runHoursSavedMs >= RUN_HOURS_SAVE_MS) {
      this.#runHoursSavedMs = now;
      this.host.storage.set(RUN_HOURS_KEY, String(this.monitor.running.runningHours));
    }
  }

  /** Metric values of the current window by name (`x.vRms`, `temp.c`); undefined when not available. */
  #read = (metric: string): number | undefined => {
    if (metric === "temp.c") return this.#lastTemperature;
    if (metric === "humidity.rh") return this.#lastHumidity;
    if (!this.#vibValid) return undefined;
    const axis = this.#axes[metric[0] as "x" | "y" | "z"];
    if (!axis) return undefined;
    const feature = metric.slice(2);
    const order = ORDER_METRICS.indexOf(feature);
    const value = order >= 0 ? axis.orders?.vRms[order] : (axis as unknown as Record<string, number | undefined>)[feature];
    return typeof value === "number" && Number.isFinite(value) ? value : undefined;
  };

  #zones(): Record<string, Zone> | undefined {
    if (!this.monitor.limits) return undefined;
    return { x: this.monitor.zone(this.#axes.x.vRms)!, y: this.monitor.zone(this.#axes.y.vRms)!, z: this.monitor.zone(this.#axes.z.vRms)! };
  }

  #publishTransition(t: Transition): void {
    this.host.log(t.level === "normal" ? "info" : "warn", `${t.metric}: ${t.prev} -> ${t.level} (value ${t.value}, limit ${t.limit})`);
    if (this.sparkplug) return; // the State metric carries it, by exception
    this.outbox.push(this.topics.alarm, alarmPayload(this.#envelope(), t), MessageClass.Alarm);
  }

  #healthTick(): void {
    if (this.#accel) return; // windows carry the telemetry
    this.#vibValid = false;
    this.#readTemperature();
    this.#evaluate();
    this.#publishTelemetry(undefined);
  }

  #readTemperature(): void {
    if (!this.#temp || this.host.clock.now() < this.#tempReadyAt) return;
    try {
      const reading = this.#temp.sample();
      if (reading && Number.isFinite(reading.temperature)) this.#lastTemperature = reading.temperature;
      if (reading && reading.humidity !== undefined && Number.isFinite(reading.humidity)) this.#lastHumidity = reading.humidity;
    } catch (error) {
      this.#temp = undefined;
      this.#lastTemperature = undefined;
      this.#lastHumidity = undefined;
      this.#setFault("temperature", error);
      if (this.#retryTimer === undefined && !this.#stopped) {
        this.#retryTimer = this.host.timers.set(() => this.#openSensors(), SENSOR_RETRY_MS);
      }
    }
  }

  #publishTelemetry(vib: Parameters<typeof telemetryPayload>[2]): void {
    const state: Level = this.#faults.size ? "fault" : this.monitor.level;
    const running = { running: this.monitor.running.running, hours: this.monitor.running.runningHours };
    if (this.sparkplug) {
      // Sparkplug reports by exception itself: only metrics that changed go out, as NDATA/DDATA.
      this.sparkplug.report({ state, faults: this.faults, vib, temperatureC: this.#lastTemperature, running }, this.#faults.has("accelerometer"));
      return;
    }
    if (!this.#dueForTelemetry(vib)) return;
    const o = this.outbox.stats;
    const outbox = { queued: o.queued + 1, dropped: o.dropped.telemetry + o.dropped.alarm, rejected: o.rejected };
    const payload = telemetryPayload(this.#envelope(), state, vib, this.#lastTemperature, this.faults, running, this.#lastHumidity, outbox);
    this.outbox.push(this.topics.telemetry, payload, MessageClass.Telemetry);
  }

  /** With a deadband, a window is published only when a value moved enough, or when the node has been quiet too long. */
  #dueForTelemetry(vib: Parameters<typeof telemetryPayload>[2]): boolean {
    const t = this.config.telemetry;
    const now = this.host.clock.now();
    if (t.deadbandPct <= 0 || this.#faults.size) {
      this.#lastPublishMs = now;
      return true;
    }
    const values = vib ? [vib.x.vRms, vib.y.vRms, vib.z.vRms, vib.x.aRms, vib.y.aRms, vib.z.aRms] : [];
    if (this.#lastTemperature !== undefined) values.push(this.#lastTemperature);
    // Relative to the last published value, with a floor per quantity so sensor noise on a quiet axis does not count.
    const moved =
      values.length !== this.#lastPublished.length ||
      values.some((v, i) => Math.abs(v - this.#lastPublished[i]) > Math.max((Math.abs(this.#lastPublished[i]) * t.deadbandPct) / 100, DEADBAND_FLOORS[i]));
    if (!moved && now - this.#lastPublishMs < t.maxSilenceS * 1000) return false;
    this.#lastPublished = values;
    this.#lastPublishMs = now;
    return true;
  }

  #envelope(): Envelope {
    return { boot: this.boot, seq: ++this.#seq, ts: this.host.clock.wall() };
  }

  #sendCapture(block: WindowBlock, spectra: { x: Float32Array; y: Float32Array; z: Float32Array }): void {
    const id = this.#capturePending!;
    this.#capturePending = undefined;
    const base = this.topics.status.slice(0, -"/status".length);
    const messages = captureMessages({ id, base, ts: this.host.clock.wall(), odr: block.odr, n: block.n, waves: { x: block.x, y: block.y, z: block.z }, waveUnit: block, spectra });
    for (const m of messages) this.mqtt.publish(m.topic, m.payload, { qos: 1 });
    this.host.log("info", `capture ${id}: ${messages.length} messages`);
  }

  /** Runs command `name` (one of COMMAND_NAMES) for `this.commands`; acks say what happened. */
  runCommand(name: string, body: unknown): CommandResult {
    switch (name) {
      case "capture": {
        if (!this.#accel) return { ok: false, error: "no accelerometer (sensor fault)" };
        const id = (this.#capturePending ??= ++this.#captures);
        return { ok: true, id, topic: `${this.topics.status.slice(0, -"/status".length)}/capture/${id}` };
      }
      case "config":
        return this.#configure(body);
      case "rebirth":
        if (!this.sparkplug) return { ok: false, error: "not in Sparkplug mode (config payload)" };
        this.sparkplug.edge.rebirth();
        return { ok: true };
      case "restart":
        this.host.timers.set(() => this.host.restart("restart command"), RESTART_DELAY_MS);
        return { ok: true, restartInMs: RESTART_DELAY_MS };
      case "ack-alarm": {
        const metric = (body as { metric?: unknown } | undefined)?.metric;
        if (metric !== undefined && typeof metric !== "string") return { ok: false, error: "metric: expected a string" };
        if (typeof metric === "string" && !this.monitor.states.some((s) => s.rule.name === metric)) return { ok: false, error: `no rule watches ${metric}` };
        return { ok: true, acknowledged: this.monitor.acknowledge(metric) };
      }
      case "reset-baseline":
        if (!this.#baseline) return { ok: false, error: "baseline learning is not enabled (monitor.baseline.enabled)" };
        this.#baseline.reset();
        this.monitor.addRules([], "baseline");
        this.host.storage.delete(BASELINE_KEY);
        return { ok: true, learnS: this.#baseline.config.learnS };
    }
    return { ok: false, error: `unknown command "${name}"` };
  }

  /**
   * `cmd/config`: a partial document over the current configuration. It is
   * validated whole (errors name the field) and applied all at once, or not at
   * all. Monitoring, telemetry and machine settings apply from the next window;
   * anything else (sensors, window, MQTT) restarts the firmware in place.
   */
  #configure(body: unknown): CommandResult {
    if (typeof body !== "object" || body === null || Array.isArray(body)) return { ok: false, error: "expected a JSON object (a partial configuration)", version: this.#stored.version };
    const overrides = mergePartial(this.#stored.overrides, body) as Record<string, unknown>;
    let next: NodeConfig;
    try {
      next = resolveConfig(mergePartial(this.baseConfig, overrides));
      if (next.nodeId !== this.config.nodeId && (body as { nodeId?: unknown }).nodeId !== undefined) throw new ConfigError("nodeId", "cannot be changed by command (it names the topics)");
    } catch (error) {
      return { ok: false, error: error instanceof Error ? error.message : String(error), version: this.#stored.version };
    }
    const changed = changedSections(this.config, next);
    this.#stored = { version: this.#stored.version + 1, overrides };
    saveStoredConfig(this.host.storage, this.#stored);
    const restart = changed.some((k) => !(LIVE_SECTIONS as readonly string[]).includes(k));
    if (restart) {
      this.host.timers.set(() => this.host.restart("configuration changed"), RESTART_DELAY_MS);
    } else if (changed.length) {
      this.#applyLive(next);
    }
    this.#publishStatus();
    return { ok: true, version: this.#stored.version, changed, restart };
  }

  /** Swaps in new monitoring and telemetry settings, keeping the levels of rules that still exist. */
  #applyLive(next: NodeConfig): void {
    const monitor = new Monitor(next.monitor, isKnownMetric, this.monitor.running.runningHours);
    for (const state of monitor.states) {
      const old = this.monitor.states.find((s) => s.rule.name === state.rule.name);
      if (old) state.level = old.level;
    }
    monitor.running.running = this.monitor.running.running;
    if (this.#baseline && next.monitor.baseline.enabled && this.#baseline.ready) monitor.addRules(this.#baseline.rules(), "baseline");
    this.monitor = monitor;
    const discovery = JSON.stringify(next.homeassistant) !== JSON.stringify(this.config.homeassistant);
    this.config = next;
    if (discovery) this.#publishDiscovery();
  }

  get configVersion(): number {
    return this.#stored.version;
  }

  #onMessage(topic: string, payload: Uint8Array): void {
    if (this.config.accelerometer.kind === "hil" && topic === hilFramesTopic(this.config.mqtt.prefix, this.nodeId)) {
      const problem = this.hil?.push(payload);
      if (problem) this.host.log("warn", problem);
      return;
    }
    if (this.sparkplug?.edge.message(topic, payload)) return;
    const handled = this.commands.handle(topic, payload);
    if (!handled) return;
    this.host.log(handled.result.ok ? "info" : "warn", `command ${handled.name}: ${handled.result.ok ? "ok" : handled.result.error}`);
    this.mqtt.publish(handled.topic, ackPayload(handled.result), { qos: 1 });
  }

  #setFault(sensor: string, error: unknown, reason = classify(error)): void {
    const detail = error instanceof Error ? error.message : String(error);
    const known = this.#faults.get(sensor);
    if (known && known.reason === reason && known.detail === detail) return;
    const fault: Fault = { sensor, reason, detail };
    this.#faults.set(sensor, fault);
    this.host.log("warn", `${sensor} fault (${reason}): ${detail}`);
    if (!this.sparkplug) this.outbox.push(this.topics.alarm, faultAlarmPayload(this.#envelope(), fault, known ? "fault" : "normal"), MessageClass.Alarm);
    this.#publishStatus();
  }

  #clearFault(sensor: string): void {
    if (!this.#faults.delete(sensor)) return;
    this.host.log("info", `${sensor} recovered`);
    if (!this.sparkplug) this.outbox.push(this.topics.alarm, clearedAlarmPayload(this.#envelope(), sensor), MessageClass.Alarm);
    this.#publishStatus();
  }

  /** Home Assistant discovery configs (retained), on every connect when enabled. */
  #publishDiscovery(): void {
    const ha = this.config.homeassistant;
    if (!ha.enabled) return;
    const ctx = {
      discoveryPrefix: ha.prefix,
      nodeId: this.nodeId,
      telemetryTopic: this.topics.telemetry,
      statusTopic: this.topics.status,
      model: `${this.accelerometerFound?.kind ?? this.config.accelerometer.kind} + ${this.thermometerFound?.kind ?? this.config.temperature.kind}`,
    };
    for (const entity of discoveryEntities({ humidity: this.thermometerFound?.kind === "sht3x" })) {
      this.mqtt.publish(discoveryTopic(ctx, entity), discoveryPayload(ctx, entity), { qos: 1, retain: true });
    }
  }

  #publishStatus(): void {
    if (!this.mqtt.connected || this.sparkplug) return; // sent on (re)connect; Sparkplug has births instead
    this.mqtt.publish(this.topics.status, this.#status(true), { qos: 1, retain: true });
  }

  #status(online: boolean): string {
    return statusPayload({
      online,
      boot: this.boot,
      ts: online ? this.host.clock.wall() : undefined,
      firmware: FIRMWARE_VERSION,
      sensors: {
        accelerometer: this.#accel && this.accelerometerFound ? this.accelerometerFound.kind : null,
        temperature: this.#temp && this.thermometerFound ? this.thermometerFound.kind : null,
      },
      faults: this.faults,
      config: { version: this.#stored.version, error: this.#stored.error },
    });
  }
}

/** Validates `config` (a partial document over the defaults) and starts the node. */
export function startNode(host: Host, config: unknown): NodeApp {
  const app = new NodeApp(host, config);
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

class AbsentError extends Error {}

function classify(error: unknown): string {
  if (error instanceof AbsentError) return "absent";
  const message = error instanceof Error ? error.message : String(error);
  if (/stuck/i.test(message)) return "bus-stuck";
  if (/crc/i.test(message)) return "crc";
  if (/device id/i.test(message)) return "wrong-id";
  if (/nack/i.test(message)) return "nack";
  return "error";
}

function emptyAxis(): AxisFeatures {
  return { aRms: 0, aPeak: 0, vRms: 0, fDom: 0 } as AxisFeatures;
}

function finiteAxis(a: AxisFeatures): boolean {
  return Number.isFinite(a.aRms) && Number.isFinite(a.aPeak) && Number.isFinite(a.vRms) && Number.isFinite(a.fDom);
}
