/*
 * The node's sensors: opens the accelerometer and the thermometer (at the
 * configured address, or wherever a bus scan finds them), runs acquisition and
 * the analysis of each window (features, plausibility), reads the temperature,
 * and keeps the faults: a failed sensor is retried, a stuck bus is freed. What
 * goes out about them (fault alarms, status, telemetry) is the telemetry
 * scheduler's (telemetry.ts); this part tells it when.
 */
import type { CpuMeter, SMBusConstructor, TimerId } from "../host.js";
import type { Accelerometer } from "../drivers/accelerometer.js";
import type { Thermometer } from "../drivers/thermometer.js";
import { createAccelerometer, createThermometer, scanBus, ADDRESSES, type AccelerometerKind, type ThermometerKind } from "../drivers/scan.js";
import { HilAccelerometer } from "../drivers/hil.js";
import { recoverBus } from "../drivers/bus-recovery.js";
import { Acquirer, type WindowBlock } from "../acquisition/acquirer.js";
import { FeatureExtractor, type AxisFeatures } from "../dsp/features.js";
import { BearingAnalysis } from "../dsp/bearing-analysis.js";
import { EnvelopeSpectrum } from "../dsp/envelope.js";
import { bearingOrders } from "../dsp/bearing-geometry.js";
import type { SpeedEstimate } from "../dsp/speed.js";
import { checkWindow } from "../monitor/health.js";
import { acquisitionLimit, featuresTime } from "../acquisition/budget.js";
import { bearingDiagnostics, ConfigError, samplerRingMs, type NodeConfig } from "./config.js";
import type { Fault } from "./payload.js";
import type { NodeApp } from "./node.js";

/** The I2C clock the acquisition's bus check assumes (fast mode, the hosts' default). */
const BUS_HZ = 400_000;
/** A failed sensor is retried this often (ms) until it answers again. */
const SENSOR_RETRY_MS = 5000;
/** Metric names of the order bands 1x, 2x, 3x (`x.order1x`); preloaded, frozen. */
const ORDER_METRICS = Object.freeze(["order1x", "order2x", "order3x"]);
/** Metric names of the envelope features start so (`x.env.bpfo`). */
const ENVELOPE_PREFIX = "env.";

export interface Located<K> {
  kind: K;
  address: number;
}

export interface Axes {
  x: AxisFeatures;
  y: AxisFeatures;
  z: AxisFeatures;
}

export class SensorManager {
  #app: NodeApp;
  /** Windows analysed since boot. */
  windows = 0;
  /** Bus recovery attempts since boot. */
  busRecoveries = 0;
  /** Which part and address each sensor turned out to be (after a scan). */
  accelerometerFound: Located<AccelerometerKind> | undefined;
  thermometerFound: Located<ThermometerKind> | undefined;
  /** Open faults by sensor ("accelerometer", "temperature"). */
  readonly faults = new Map<string, Fault>();
  /** Features of the last window, per axis; meaningful while `vibValid`. */
  axes: Axes;
  vibValid = false;
  lastTemperature: number | undefined;
  lastHumidity: number | undefined;
  /** Bearing diagnostics (envelope, speed) when the config asks for them (machine.bearing or envelope). */
  bearing: BearingAnalysis | undefined;
  #accel: Accelerometer | undefined;
  #temp: Thermometer | undefined;
  /** Monotonic ms before which the thermometer has no first conversion yet. */
  #tempReadyAt = 0;
  #acquirer: Acquirer | undefined;
  #features: FeatureExtractor | undefined;
  #retryTimer: TimerId | undefined;
  #healthTimer: TimerId | undefined;
  #recoveringDepth = 0;
  #stopped = false;
  /** A capture asked for by command: sent with the next window. */
  #capturePending: number | undefined;
  #captures = 0;
  /** The config the bearing analysis was set up for: a command that changes it (machine is live) sets it up again. */
  #bearingConfig: NodeConfig | undefined;

  constructor(app: NodeApp) {
    this.#app = app;
    this.axes = { x: emptyAxis(), y: emptyAxis(), z: emptyAxis() };
  }

  /** Opens the sensors; while the accelerometer is down, a timer at the window rate keeps temperature and telemetry going. */
  start(): void {
    this.#openSensors();
    const config = this.#app.config;
    const windowMs = (config.window.n * 1000) / config.accelerometer.odr;
    this.#healthTimer = this.#app.host.timers.set(() => this.#healthTick(), windowMs, windowMs);
  }

  stop(): void {
    this.#stopped = true;
    const timers = this.#app.host.timers;
    timers.clear(this.#retryTimer);
    timers.clear(this.#healthTimer);
    this.#closeAccelerometer();
    this.#temp?.close();
    this.#temp = undefined;
  }

  /** The HIL accelerometer (accelerometer.kind "hil") while it is open. */
  get hil(): HilAccelerometer | undefined {
    return this.#accel instanceof HilAccelerometer ? this.#accel : undefined;
  }

  /** The open parts by kind, for the status message (null: not open). */
  openKinds(): { accelerometer: string | null; temperature: string | null } {
    return {
      accelerometer: this.#accel && this.accelerometerFound ? this.accelerometerFound.kind : null,
      temperature: this.#temp && this.thermometerFound ? this.thermometerFound.kind : null,
    };
  }

  /** Asks for a capture with the next window; its id, or undefined without an accelerometer. */
  requestCapture(): number | undefined {
    if (!this.#accel) return undefined;
    return (this.#capturePending ??= ++this.#captures);
  }

  /** The running speed of the last window, when bearing diagnostics are on. */
  get speed(): SpeedEstimate | undefined {
    return this.bearing?.speed;
  }

  /** Bearing diagnostics for `config` on the open extractor, or none (allocates: at open and on a config change). */
  #setUpBearing(config: NodeConfig): void {
    const f = this.#features!;
    const machine = config.machine;
    this.#bearingConfig = config;
    if (!bearingDiagnostics(config)) {
      this.bearing = undefined;
      for (const a of [this.axes.x, this.axes.y, this.axes.z]) a.env = undefined;
      return;
    }
    const orders = machine.bearing === undefined ? undefined : bearingOrders(machine.bearing);
    this.bearing = new BearingAnalysis(f, { bandHz: config.envelope?.bandHz, orders, rpm: machine.rpm });
    for (const a of [this.axes.x, this.axes.y, this.axes.z]) a.env ??= EnvelopeSpectrum.createFeatures();
  }

  /** Metric values of the current window by name (`x.vRms`, `temp.c`); undefined when not available. */
  read = (metric: string): number | undefined => {
    if (metric === "temp.c") return this.lastTemperature;
    if (metric === "humidity.rh") return this.lastHumidity;
    if (metric === "speed.rpm") return this.vibValid && this.bearing && Number.isFinite(this.bearing.speed.rpm) ? this.bearing.speed.rpm : undefined;
    if (!this.vibValid) return undefined;
    const axis = this.axes[metric[0] as "x" | "y" | "z"];
    if (!axis) return undefined;
    const feature = metric.slice(2);
    const order = ORDER_METRICS.indexOf(feature);
    const from = feature.startsWith(ENVELOPE_PREFIX) ? axis.env : axis;
    const key = from === axis ? feature : feature.slice(ENVELOPE_PREFIX.length);
    const value = order >= 0 ? axis.orders?.vRms[order] : (from as unknown as Record<string, number | undefined> | undefined)?.[key];
    return typeof value === "number" && Number.isFinite(value) ? value : undefined;
  };

  #openSensors(): void {
    this.#retryTimer = undefined;
    if (this.#stopped) return;
    if (!this.#accel) this.#openAccelerometer();
    if (!this.#temp) this.#openTemperature();
    if (this.faults.get("accelerometer")?.reason === "bus-stuck" && !this.#accel && this.#recoveringDepth === 0) {
      this.#recoveringDepth++;
      const recovered = this.#recoverBus();
      this.#recoveringDepth--;
      if (recovered) return;
    }
    if (!this.#accel || !this.#temp) this.#retryTimer = this.#app.host.timers.set(() => this.#openSensors(), SENSOR_RETRY_MS);
  }

  #retryLater(): void {
    if (this.#retryTimer === undefined && !this.#stopped) this.#retryTimer = this.#app.host.timers.set(() => this.#openSensors(), SENSOR_RETRY_MS);
  }

  #openAccelerometer(): void {
    const { host, config } = this.#app;
    const c = config.accelerometer;
    try {
      const found = c.kind === "hil" ? { kind: "hil", address: 0 } : this.#locate("accelerometer", c.kind, c.address);
      const accel = makeAccelerometer(found, config, this.#app.host.io.SMBus);
      this.accelerometerFound = found as Located<AccelerometerKind>;
      this.#accel = accel;
      if (!this.#features || this.#features.odr !== accel.odr) {
        const f = new FeatureExtractor({ n: config.window.n, odr: accel.odr, bandHz: [config.band.lowHz, config.band.highHz] });
        this.#features = f;
        this.axes = { x: f.createAxisFeatures(), y: f.createAxisFeatures(), z: f.createAxisFeatures() };
      }
      this.#features.setRpm(config.machine.rpm > 0 ? config.machine.rpm : undefined);
      this.#setUpBearing(config);
      const a = config.acquisition;
      const sensor = { io: host.io.SMBus, address: found.address };
      const sampler = host.io.FifoSampler && accel.program ? { io: host.io.FifoSampler, sensor, ringMs: samplerRingMs(config) } : undefined;
      if (sampler) {
        // Refused here, where the part's actual rate and the CPU are known: once, not as a fault every window.
        const refused = acquisitionRefusal(config, accel, host.cpu);
        if (refused) throw refused;
      }
      this.#acquirer = new Acquirer({
        timers: host.timers,
        clock: host.clock,
        accel,
        n: config.window.n,
        overlap: config.window.overlap,
        duty: a.mode === "duty" ? { captureMs: a.captureS * 1000, periodMs: a.periodS * 1000 } : undefined,
        overrun: a.overrun,
        // #onWindow is done with the block when it returns (a capture is encoded at once): one buffer set.
        buffers: 1,
        onWindow: (block) => this.#onWindow(block),
        onError: (error) => this.#onAccelerometerError(error),
        cpu: host.cpu,
        sampler,
      });
      this.#acquirer.start();
      this.#clearFault("accelerometer");
    } catch (error) {
      this.#closeAccelerometer();
      this.#setFault("accelerometer", error);
    }
  }

  #openTemperature(): void {
    const c = this.#app.config.temperature;
    try {
      const found = this.#locate("temperature", c.kind, c.address);
      const temp = makeThermometer(found, this.#app.host.io.SMBus);
      this.#temp = temp;
      this.thermometerFound = found as Located<ThermometerKind>;
      // Parts without a data-ready flag (MCP9808) read 0 until their first conversion is done.
      const conversionMs = (temp as { conversionMs?: number }).conversionMs ?? 0;
      this.#tempReadyAt = this.#app.host.clock.now() + conversionMs;
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
  #locate(role: "accelerometer" | "temperature", kind: string, address: number): Located<string> {
    if (kind !== "auto" && address !== 0) return { kind, address };
    // Once found, a part is looked for where it was: a replugged sensor comes back, and a failure says why (NACK, wrong ID).
    const known = role === "accelerometer" ? this.accelerometerFound : this.thermometerFound;
    if (known) return known;
    const scan = scanBus({ io: this.#app.host.io.SMBus });
    const found = (role === "accelerometer" ? scan.accelerometers : scan.thermometers).filter((d) => kind === "auto" || d.kind === kind);
    if (found.length) return found[0];
    const where = kind === "auto" ? "" : ` at ${ADDRESSES[kind as AccelerometerKind | ThermometerKind].map((a) => "0x" + a.toString(16)).join("/")}`;
    throw new AbsentError(`no ${kind === "auto" ? role : kind} found on the bus${where}`);
  }

  #onAccelerometerError(error: unknown): void {
    this.#closeAccelerometer();
    this.#setFault("accelerometer", error);
    if (classify(error) === "bus-stuck" && this.#recoverBus()) return;
    this.#retryLater();
  }

  /** Frees a stuck bus (nine clocks and a STOP) and reopens the sensors at once; false if it stays stuck. */
  #recoverBus(): boolean {
    const host = this.#app.host;
    const lines = host.io.i2cLines?.();
    if (!lines) return false;
    this.#closeAccelerometer();
    this.#temp?.close();
    this.#temp = undefined;
    const result = recoverBus(lines);
    this.busRecoveries++;
    if (!result.recovered) {
      host.log("error", `I2C bus stuck: SDA still low after ${result.pulses} clock pulses; retrying in ${SENSOR_RETRY_MS / 1000} s`);
      return false;
    }
    host.log("warn", `I2C bus was stuck (SDA low); recovered with ${result.pulses} clock pulses and a STOP`);
    host.timers.clear(this.#retryTimer);
    this.#openSensors();
    return true;
  }

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
    const axes = this.axes;
    const capture = this.#capturePending !== undefined ? spectra(f.n) : undefined;
    const envelopes = capture && this.bearing ? spectra(f.n) : undefined;
    const cpu = this.#app.host.cpu;
    if (this.#bearingConfig !== this.#app.config) this.#setUpBearing(this.#app.config);
    const bearing = this.bearing;
    // The features hold the main core in one stretch: a keepalive due meanwhile could only go out late.
    this.#app.mqtt.pingAhead(featuresTime(cpu, f.n, bearing !== undefined));
    bearing?.begin();
    this.#axis(f, block.x, axes.x, block.scale, capture?.x, bearing, envelopes?.x);
    this.#axis(f, block.y, axes.y, block.scale, capture?.y, bearing, envelopes?.y);
    this.#axis(f, block.z, axes.z, block.scale, capture?.z, bearing, envelopes?.z);
    bearing?.finish();
    if (capture) {
      const id = this.#capturePending!;
      this.#capturePending = undefined;
      const envelope = bearing && envelopes ? { df: bearing.envelope.binHz, spectra: envelopes, rpm: bearing.speed.rpm, defects: bearing.defectFrequencies() } : undefined;
      this.#app.telemetry.sendCapture(id, block, capture, envelope);
    }
    const verdict = checkWindow([block.x, block.y, block.z], block.n, block.lost, { rangeG: this.#accel?.rangeG ?? this.#app.config.accelerometer.rangeG }, block);
    const finite = finiteAxis(axes.x) && finiteAxis(axes.y) && finiteAxis(axes.z);
    if (verdict) this.#setFault("accelerometer", new Error(verdict.detail), verdict.reason);
    else if (!finite) this.#setFault("accelerometer", new Error("non-finite feature values"), "implausible");
    else this.#clearFault("accelerometer");
    // Overrun leaves the features usable (the loss is reported); other verdicts do not.
    this.vibValid = finite && (!verdict || verdict.reason === "overrun");
    this.#readTemperature();
    this.#app.telemetry.windowDone(block);
  }

  /** One axis's features, its capture spectrum, then its envelope (which overwrites the spectrum) and the envelope's capture spectrum. */
  #axis(f: FeatureExtractor, samples: WindowBlock["x"], out: AxisFeatures, scale: number, capture: Float32Array | undefined, bearing: BearingAnalysis | undefined, envelope: Float32Array | undefined): void {
    const cpu = this.#app.host.cpu;
    f.compute(samples, out, scale);
    cpu?.charge("features", f.n);
    if (capture) f.amplitudeSpectrum(capture);
    if (!bearing) return;
    bearing.axis(samples, scale, out.env!);
    cpu?.charge("envelope", f.n);
    if (envelope) bearing.envelope.amplitudeSpectrum(envelope);
  }

  #healthTick(): void {
    if (this.#accel) return; // windows carry the telemetry
    this.vibValid = false;
    this.#readTemperature();
    this.#app.telemetry.windowDone(undefined);
  }

  #readTemperature(): void {
    if (!this.#temp || this.#app.host.clock.now() < this.#tempReadyAt) return;
    try {
      const reading = this.#temp.sample();
      if (reading && Number.isFinite(reading.temperature)) this.lastTemperature = reading.temperature;
      if (reading && reading.humidity !== undefined && Number.isFinite(reading.humidity)) this.lastHumidity = reading.humidity;
    } catch (error) {
      this.#temp = undefined;
      this.lastTemperature = undefined;
      this.lastHumidity = undefined;
      this.#setFault("temperature", error);
      this.#retryLater();
    }
  }

  #setFault(sensor: string, error: unknown, reason = classify(error)): void {
    const detail = error instanceof Error ? error.message : String(error);
    const known = this.faults.get(sensor);
    if (known && known.reason === reason && known.detail === detail) return;
    const fault: Fault = { sensor, reason, detail };
    this.faults.set(sensor, fault);
    this.#app.host.log("warn", `${sensor} fault (${reason}): ${detail}`);
    this.#app.telemetry.sensorFault(fault, known !== undefined);
  }

  #clearFault(sensor: string): void {
    if (!this.faults.delete(sensor)) return;
    this.#app.host.log("info", `${sensor} recovered`);
    this.#app.telemetry.sensorRecovered(sensor);
  }
}

/**
 * The acquisition check (firmware/acquisition/budget.ts) for this configuration and
 * the opened part (its actual rate and FIFO program): the error the node refuses it
 * with, or undefined. `cpu`: the host's CPU model; without one, the ESP32 estimate.
 * `sensor-node config check` runs it too.
 */
export function acquisitionRefusal(config: NodeConfig, accel: Pick<Accelerometer, "odr" | "fifoDepth" | "program">, cpu?: CpuMeter): ConfigError | undefined {
  if (!accel.program) return undefined;
  const w = config.window;
  const pollMs = ((accel.fifoDepth / 2) * 1000) / accel.odr;
  const limit = acquisitionLimit({ odr: accel.odr, n: w.n, overlap: w.overlap, ringMs: samplerRingMs(config), pollMs, program: accel.program, busHz: BUS_HZ, cpu, envelope: bearingDiagnostics(config) });
  return limit && new ConfigError(limit.field, limit.problem);
}

// Driver construction, in one place: the drivers' options may change shape.

export function makeAccelerometer(found: Located<string>, config: NodeConfig, io: SMBusConstructor): Accelerometer {
  const c = config.accelerometer;
  return createAccelerometer(found.kind as AccelerometerKind | "hil", { sensor: { io, address: found.address }, odr: c.odr, rangeG: c.rangeG });
}

function makeThermometer(found: Located<string>, io: SMBusConstructor): Thermometer {
  return createThermometer(found.kind as ThermometerKind, { sensor: { io, address: found.address } });
}

class AbsentError extends Error {}

/** The fault reason for a driver error (payload `reason`). */
function classify(error: unknown): string {
  if (error instanceof AbsentError) return "absent";
  if (error instanceof ConfigError) return "config";
  const message = error instanceof Error ? error.message : String(error);
  if (/stuck/i.test(message)) return "bus-stuck";
  if (/crc/i.test(message)) return "crc";
  if (/device id/i.test(message)) return "wrong-id";
  if (/nack/i.test(message)) return "nack";
  return "error";
}

/** Three spectra of n/2 + 1 bins, for a capture (allocated only when one is asked for). */
function spectra(n: number): { x: Float32Array; y: Float32Array; z: Float32Array } {
  return { x: new Float32Array(n / 2 + 1), y: new Float32Array(n / 2 + 1), z: new Float32Array(n / 2 + 1) };
}

function emptyAxis(): AxisFeatures {
  return { aRms: 0, aPeak: 0, vRms: 0, fDom: 0 } as AxisFeatures;
}

function finiteAxis(a: AxisFeatures): boolean {
  return Number.isFinite(a.aRms) && Number.isFinite(a.aPeak) && Number.isFinite(a.vRms) && Number.isFinite(a.fDom);
}
