/*
 * What the node says, and when: after each window (or each health tick while
 * the accelerometer is down) the alarm rules run and their transitions go out
 * at once; telemetry follows, every window or, with a deadband, when a value
 * moved or the node was quiet too long. Sensor faults raise and clear alarms;
 * status and Home Assistant discovery go out on connect and on change. JSON
 * telemetry and alarms wait in the outbox; Sparkplug reports by exception.
 */
import type { WindowBlock } from "../acquisition/acquirer.js";
import { MessageClass } from "../outbox/outbox.js";
import type { Transition } from "../monitor/state.js";
import type { Zone } from "../monitor/iso.js";
import { discoveryEntities, discoveryPayload, discoveryTopic } from "./discovery.js";
import { captureMessages, type CaptureInput } from "./capture.js";
import { FIRMWARE_VERSION_TEXT } from "./version.js";
import { alarmPayload, clearedAlarmPayload, faultAlarmPayload, statusPayload, telemetryPayload, type Envelope, type Fault, type Level, type VibrationSummary } from "./payload.js";
import type { NodeApp } from "./node.js";
import { bearingDiagnostics } from "./config.js";

/** Storage keys of the learned baseline and the running hours (the node loads them at boot). */
export const BASELINE_KEY = "baseline";
export const RUN_HOURS_KEY = "runHours";
/** Running hours are written to storage this often (flash wear vs. what a power cut may lose). */
const RUN_HOURS_SAVE_MS = 10 * 60 * 1000;
/** Smallest change that counts for the deadband: vRms x/y/z (mm/s), aRms x/y/z (g), temperature (degC). Preloaded, frozen. */
const DEADBAND_FLOORS = Object.freeze([0.1, 0.1, 0.1, 0.002, 0.002, 0.002, 0.1]);

export class TelemetryScheduler {
  #app: NodeApp;
  #seq = 0;
  #lastPublished: number[] = [];
  #lastPublishMs = -Infinity;
  #runHoursSavedMs = 0;

  constructor(app: NodeApp) {
    this.#app = app;
  }

  /** Sequence number of the last telemetry or alarm message. */
  get seq(): number {
    return this.#seq;
  }

  /** A window was analysed (`block`), or a health tick passed without one (undefined): evaluate, then report. */
  windowDone(block: WindowBlock | undefined): void {
    this.#evaluate();
    const sensors = this.#app.sensors;
    const vib = block && sensors.vibValid ? { odr: block.odr, n: block.n, lost: block.lost, ...sensors.axes, zones: this.#zones(), speed: sensors.speed } : undefined;
    this.#publishTelemetry(vib);
    this.#app.windowEnded();
  }

  /** A sensor fault began, or changed (`known`: it was in fault already). */
  sensorFault(fault: Fault, known: boolean): void {
    const app = this.#app;
    if (!app.sparkplug) this.#push(app.topics.alarm, faultAlarmPayload(this.#envelope(), fault, known ? "fault" : "normal"), MessageClass.Alarm);
    this.publishStatus();
  }

  sensorRecovered(sensor: string): void {
    const app = this.#app;
    if (!app.sparkplug) this.#push(app.topics.alarm, clearedAlarmPayload(this.#envelope(), sensor), MessageClass.Alarm);
    this.publishStatus();
  }

  /** Sends a capture (`cmd/capture`): waveforms and amplitude spectra of one window, published at once (not through the outbox). */
  sendCapture(id: number, block: WindowBlock, spectra: { x: Float32Array; y: Float32Array; z: Float32Array }, envelope?: CaptureInput["envelope"]): void {
    const { host, topics, mqtt } = this.#app;
    const base = topics.status.slice(0, -"/status".length);
    const messages = captureMessages({ id, base, ts: host.clock.wall(), odr: block.odr, n: block.n, waves: { x: block.x, y: block.y, z: block.z }, waveUnit: block, spectra, envelope });
    for (const m of messages) mqtt.publish(m.topic, m.payload, { qos: 1 });
    host.log("info", `capture ${id}: ${messages.length} messages`);
  }

  /** Home Assistant discovery configs (retained), on every connect when enabled. */
  publishDiscovery(): void {
    const app = this.#app;
    const ha = app.config.homeassistant;
    if (!ha.enabled) return;
    const sensors = app.sensors;
    const ctx = {
      discoveryPrefix: ha.prefix,
      nodeId: app.nodeId,
      telemetryTopic: app.topics.telemetry,
      statusTopic: app.topics.status,
      model: `${sensors.accelerometerFound?.kind ?? app.config.accelerometer.kind} + ${sensors.thermometerFound?.kind ?? app.config.temperature.kind}`,
    };
    for (const entity of discoveryEntities({ humidity: sensors.thermometerFound?.kind === "sht3x", envelope: bearingDiagnostics(app.config) })) {
      app.mqtt.publish(discoveryTopic(ctx, entity), discoveryPayload(ctx, entity), { qos: 1, retain: true });
    }
  }

  /** `onDone(true)` once the broker has it (PUBACK). */
  publishStatus(onDone?: (delivered: boolean) => void): void {
    const app = this.#app;
    if (!app.mqtt.connected || app.sparkplug) return; // sent on (re)connect; Sparkplug has births instead
    app.mqtt.publish(app.topics.status, this.status(true), { qos: 1, retain: true }, onDone);
  }

  /**
   * Before a clean DISCONNECT (which makes the broker drop the will): the will's "offline" ourselves,
   * retained, so the status topic does not go on saying "online". QoS 0: written straight away, ahead
   * of the DISCONNECT on the same connection; a QoS 1 message could wait behind a full window and be dropped.
   */
  publishOffline(): void {
    const app = this.#app;
    if (!app.mqtt.connected || app.sparkplug) return; // Sparkplug says NDEATH instead
    app.mqtt.publish(app.topics.status, this.status(false), { qos: 0, retain: true });
  }

  /** The status message; offline, it is the will (only state and boot). */
  status(online: boolean): string {
    const app = this.#app;
    const stored = app.router.stored;
    return statusPayload({
      online,
      reset: app.resetReason,
      boot: app.boot,
      ts: online ? app.host.clock.wall() : undefined,
      firmware: FIRMWARE_VERSION_TEXT,
      sensors: app.sensors.openKinds(),
      faults: app.faults,
      config: { version: stored.version, error: stored.error },
      ota: app.otaReport,
    });
  }

  /** Runs the alarm rules on this window's values and publishes every transition at once. */
  #evaluate(): void {
    const { host, monitor, baseline, sensors } = this.#app;
    const now = host.clock.now();
    const transitions = monitor.evaluate(sensors.read, now);
    host.cpu?.charge("monitor", 1);
    for (const t of transitions) this.#publishTransition(t);
    if (baseline && baseline.learn(sensors.read, now, monitor.running.running)) {
      host.log("info", `baseline learned over ${Math.round(baseline.learnedS)} s of running`);
      monitor.addRules(baseline.rules(), "baseline");
      host.storage.set(BASELINE_KEY, JSON.stringify(baseline.snapshot()));
    }
    if (now - this.#runHoursSavedMs >= RUN_HOURS_SAVE_MS) {
      this.#runHoursSavedMs = now;
      host.storage.set(RUN_HOURS_KEY, String(monitor.running.runningHours));
    }
  }

  #zones(): Record<string, Zone> | undefined {
    const { monitor, sensors } = this.#app;
    if (!monitor.limits) return undefined;
    const axes = sensors.axes;
    return { x: monitor.zone(axes.x.vRms)!, y: monitor.zone(axes.y.vRms)!, z: monitor.zone(axes.z.vRms)! };
  }

  #publishTransition(t: Transition): void {
    const app = this.#app;
    app.host.log(t.level === "normal" ? "info" : "warn", `${t.metric}: ${t.prev} -> ${t.level} (value ${t.value}, limit ${t.limit})`);
    if (app.sparkplug) return; // the State metric carries it, by exception
    const payload = alarmPayload(this.#envelope(), t);
    app.host.cpu?.charge("payload", payload.length);
    this.#push(app.topics.alarm, payload, MessageClass.Alarm);
  }

  #publishTelemetry(vib: VibrationSummary | undefined): void {
    const app = this.#app;
    const { monitor, sensors } = app;
    const faults = sensors.faults;
    const state: Level = faults.size ? "fault" : monitor.level;
    const running = { running: monitor.running.running, hours: monitor.running.runningHours };
    if (app.sparkplug) {
      // Sparkplug reports by exception itself: only metrics that changed go out, as NDATA/DDATA.
      app.sparkplug.report({ state, faults: app.faults, vib, temperatureC: sensors.lastTemperature, running }, faults.has("accelerometer"));
      return;
    }
    if (!this.#dueForTelemetry(vib)) return;
    const o = app.outbox.stats;
    const outbox = { queued: o.queued + 1, dropped: o.dropped.telemetry + o.dropped.alarm, rejected: o.rejected };
    const payload = telemetryPayload(this.#envelope(), state, vib, sensors.lastTemperature, app.faults, running, sensors.lastHumidity, outbox);
    app.host.cpu?.charge("payload", payload.length);
    this.#push(app.topics.telemetry, payload, MessageClass.Telemetry);
  }

  /** Into the outbox, unless the node is unprovisioned: then nothing is kept for a broker it does not have yet. */
  #push(topic: string, payload: string, cls: MessageClass): void {
    if (this.#app.publishing) this.#app.outbox.push(topic, payload, cls);
  }

  /** With a deadband, a window is published only when a value moved enough, or when the node has been quiet too long. */
  #dueForTelemetry(vib: VibrationSummary | undefined): boolean {
    const app = this.#app;
    const t = app.config.telemetry;
    const now = app.host.clock.now();
    if (t.deadbandPct <= 0 || app.sensors.faults.size) {
      this.#lastPublishMs = now;
      return true;
    }
    const values = vib ? [vib.x.vRms, vib.y.vRms, vib.z.vRms, vib.x.aRms, vib.y.aRms, vib.z.aRms] : [];
    const temperature = app.sensors.lastTemperature;
    if (temperature !== undefined) values.push(temperature);
    // Relative to the last published value, with a floor per quantity so sensor noise on a quiet axis does not count.
    const last = this.#lastPublished;
    const moved = values.length !== last.length || values.some((v, i) => Math.abs(v - last[i]) > Math.max((Math.abs(last[i]) * t.deadbandPct) / 100, DEADBAND_FLOORS[i]));
    if (!moved && now - this.#lastPublishMs < t.maxSilenceS * 1000) return false;
    this.#lastPublished = values;
    this.#lastPublishMs = now;
    return true;
  }

  #envelope(): Envelope {
    return { boot: this.#app.boot, seq: ++this.#seq, ts: this.#app.host.clock.wall() };
  }
}
