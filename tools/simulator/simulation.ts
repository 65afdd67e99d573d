/*
 * The simulator: N firmware nodes, each on its own simulated machine and I2C bus,
 * sharing one virtual clock, publishing to a real MQTT broker (embedded aedes
 * unless a URL is given), watched by an independent mqtt.js subscriber.
 */
import * as mqtt from "mqtt";
import { VirtualClock, type Task } from "../../sim/clock.js";
import { ReplyCounter } from "./reply-counter.js";
import { SimulatedCpu } from "../../sim/cpu.js";
import { SimI2CBus } from "../../sim/bus.js";
import type { I2CTarget } from "../../sim/bus.js";
import { simAccelerometer } from "../../sim/devices/accelerometers.js";
import { SimTMP117 } from "../../sim/devices/tmp117.js";
import { SimSHT3x } from "../../sim/devices/sht3x.js";
import { SimMCP9808 } from "../../sim/devices/mcp9808.js";
import { ADDRESSES, type AccelerometerKind, type ThermometerKind } from "../../firmware/drivers/scan.js";
import { Machine } from "../../sim/machine/machine.js";
import { defaultMachine } from "../../sim/machine/default-machine.js";
import { Rng } from "../../sim/rng.js";
import { createNodeHost, tlsSettingsFromFiles, type NodeHost } from "../../hosts/node/host.js";
import { MemoryStorage, FileStorage } from "../../hosts/node/storage.js";
import type { NodeApp } from "../../firmware/app/node.js";
import type { FieldNode } from "../../firmware/provision/field-node.js";
import * as builtInImage from "../../firmware/app/image.js";
import { SimFlash, type BootedImage } from "../../sim/flash.js";
import { loadImage, type FirmwareImage } from "./image-loader.js";
import { devOtaKeys, OTA_SLOT_BYTES } from "../ota/dev-key.js";
import type { SimOta } from "../ota/sim-options.js";
import type { FirmwareSlots, LogLevel, Storage, TCPOptions, TCPSocket } from "../../firmware/host.js";
import { freePort, parseBrokerUrl, startAedes, type RunningBroker } from "../brokers/broker.js";
import { drive, REPLY_CEILING_MS, waitIdle } from "./drive.js";
import { countDelivered, deliveryProblem, nodeCount, type NodeCount } from "./delivery.js";
import { DEFAULT_START, type Scenario } from "../scenario/parse.js";
import type { ObservedMessage } from "../cli/output.js";
import { DEFAULT_WIFI_NETWORKS, type SimWifiNetwork } from "../../sim/wifi.js";
import type { SerialLine } from "../../sim/serial.js";
import type { ImprovService } from "../../firmware/provision/improv-service.js";

/** The machine `sensor-node sim` runs when no scenario is given (sim/machine/default-machine.ts). */
export const DEFAULT_MACHINE: Scenario["machine"] = defaultMachine();

export interface NodeSpec {
  nodeId: string;
  seed: number;
  /** Parts on the simulated bus (default ADXL345 + TMP117). */
  accelerometer?: AccelerometerKind;
  temperature?: ThermometerKind;
  machine: Scenario["machine"];
  config: Record<string, unknown>;
  /** Wi-Fi networks in range (default: sim/wifi.ts's one network, plant). */
  wifi?: readonly SimWifiNetwork[];
}

export interface SimNodeOptions {
  clock: VirtualClock;
  /**
   * The CPU model (docs/host.md, "CPU time"): the node's work is charged to its own
   * task on the clock at `rate` computrons per second (sim/cpu.ts), bus time too.
   * Absent (`--cpu free`): computation takes no time, bus time moves the clock it was given.
   */
  cpu?: { rate: number; /** The FIFO sampler on a second core (default true); false: the firmware polls the FIFO on its own task, as before the sampler. */ sampler?: boolean };
  spec: NodeSpec;
  broker: { host: string; port: number; secure: boolean };
  storage?: Storage;
  log?: (level: LogLevel, message: string) => void;
  /**
   * A node fresh from the factory (docs/provisioning.md): the spec's config is the build's,
   * `broker` is unused, and the node runs unprovisioned until set up through its setup page,
   * served on 127.0.0.1:`setupPort` (every boot on the same port).
   */
  factory?: { setupPort: number; onListening?: (port: number) => void };
  /** The console UART's far end (a pty): the node gets io.Serial and runs Improv on it (docs/provisioning.md). */
  serial?: SerialLine;
  /** The node's flash slots (docs/ota.md); default: a new one holding the simulator's own firmware. Pass one to keep it across SimNodes. */
  flash?: SimFlash;
  /** Update keys the built-in image trusts (base64 DER, comma-separated: `sim --ota-key`); default the development key (tools/ota/dev-key). */
  otaKeys?: string;
  /** The image flashed into ota_0 (a sim package's payload: `sim --image`); default the simulator's own firmware. */
  image?: Uint8Array;
  /** Called before every write to a socket, every boot (a fleet stamps what its subscriber receives with the node's time then). */
  onSend?: () => void;
  /** Called as bytes reach a connection the node opened, before the firmware reads them (under the CPU model it may be busy). */
  onArrive?: (data: Uint8Array) => void;
}

export type SimPart = I2CTarget & { present: boolean };

/** One simulated node: machine -> sensors on a bus -> firmware on a Node host. */
export class SimNode {
  readonly spec: NodeSpec;
  readonly machine: Machine;
  readonly bus: SimI2CBus;
  /** The simulated parts and where they sit on the bus. */
  readonly accelerometer: SimPart;
  readonly thermometer: SimPart;
  readonly accelerometerAddress: number;
  readonly thermometerAddress: number;
  readonly storage: Storage;
  /** The node's timers and time: its own task under the CPU model, else the clock. */
  readonly time: Task | VirtualClock;
  /** The board's second core, where the FIFO sampler runs (under the CPU model only). */
  readonly core0: Task | undefined;
  readonly cpu: SimulatedCpu | undefined;
  host!: NodeHost;
  app!: NodeApp;
  /** The field node around `app` (factory mode only). */
  field: FieldNode | undefined;
  /** Improv Wi-Fi on the console (with a serial line only). */
  improv: ImprovService | undefined;
  restarts = 0;
  /** The two OTA slots: what boots (docs/ota.md). */
  readonly flash: SimFlash;
  /** The firmware the running slot holds (the built-in one, or a bundle from an update). */
  image: FirmwareImage = builtInImage;
  #options: SimNodeOptions;
  /** Per connection to the broker: its replies counted from the bytes as they arrive. */
  #replyCounters = new WeakMap<object, ReplyCounter>();
  /** Replies (and connections made) that arrived while the node computed, held for it (reset once nothing is held). */
  #unreadReplies = 0;
  /** The broker connection's end arrived while the node computed: no reply due will come. */
  #heldEnd = false;

  constructor(options: SimNodeOptions) {
    this.#options = options;
    const { clock, spec } = options;
    this.spec = spec;
    this.storage = options.storage ?? new MemoryStorage();
    const odr = (spec.config.accelerometer as { odr?: number } | undefined)?.odr ?? 3200;
    this.machine = new Machine({ seed: spec.seed, ...spec.machine, sample_rate_hz: odr });
    // With the CPU model the node is a task of its own: its work delays its timers only, never another node's.
    this.time = options.cpu ? clock.task(spec.nodeId) : clock;
    this.cpu = options.cpu ? new SimulatedCpu({ rate: options.cpu.rate, advance: (ms) => this.time.advance(ms) }) : undefined;
    // The sampler drains the FIFO on a second core: its bus time is its own (docs/host.md, "FIFO sampler").
    this.core0 = options.cpu && options.cpu.sampler !== false ? clock.task(spec.nodeId + "/core0") : undefined;
    // Bus time is charged to the task that made the transfer (the main task or core 0); outside callbacks (boot), to the node.
    const onBusTime = options.cpu ? (ms: number) => void (clock.chargeRunning(ms) || this.time.advance(ms)) : (ms: number) => this.time.advance(ms);
    this.bus = new SimI2CBus({ hz: 400_000, now: () => clock.now(), onBusTime });
    const now = () => clock.now();
    const signal = (axis: 0 | 1 | 2, t: number) => this.machine.acceleration(axis, t);
    const temperature = (t: number) => this.machine.temperature(t);
    const accelKind = spec.accelerometer ?? "adxl345";
    const tempKind = spec.temperature ?? "tmp117";
    this.accelerometer = simAccelerometer(accelKind, { now, seed: spec.seed, signal });
    this.thermometer =
      tempKind === "sht3x" ? new SimSHT3x({ now, seed: spec.seed + 1, temperature }) : tempKind === "mcp9808" ? new SimMCP9808({ now, seed: spec.seed + 1, temperature }) : new SimTMP117({ now, seed: spec.seed + 1, temperature });
    // Each part at its first address; the thermometer moves on if the accelerometer took it (LIS3DH and MCP9808 share 0x18).
    this.accelerometerAddress = ADDRESSES[accelKind][0];
    this.thermometerAddress = ADDRESSES[tempKind].find((a) => a !== this.accelerometerAddress)!;
    this.bus.attach(this.accelerometerAddress, this.accelerometer);
    this.bus.attach(this.thermometerAddress, this.thermometer);
    this.flash = options.flash ?? new SimFlash(OTA_SLOT_BYTES, options.image);
    this.#boot();
  }

  /** The boot loader picks a slot; the firmware in it is built (an image that throws while loading crashes the boot). */
  #boot(): void {
    const booted = this.flash.bootloader();
    try {
      this.image = booted.slot.image ? loadImage(booted.slot.image) : builtInImage;
      this.#build(booted);
    } catch (error) {
      this.#crashed(error);
      this.restarts++;
      this.#boot();
    }
  }

  /** An image on probation crashed: as on the ESP32 the reset boots the previous image. Any other crash is the simulator's bug. */
  #crashed(error: unknown): void {
    if (this.flash.running.state !== "pending-verify") throw error;
    // An image's errors come from its own context (another realm's Error): read the message, not the class.
    const message = typeof (error as Error)?.message === "string" ? (error as Error).message : String(error);
    this.#options.log?.("error", `crashed at start: ${message}`);
    this.flash.crashed(`crashed at start: ${message}`);
  }

  #build(booted: BootedImage): void {
    const { spec, broker, factory } = this.#options;
    const { NodeApp, FieldNode, resolveConfig } = this.image;
    const config = factory ? undefined : resolveConfig({ ...spec.config, nodeId: spec.nodeId, mqtt: { ...(spec.config.mqtt as object), host: broker.host, port: broker.port, secure: broker.secure } });
    const log = this.#options.log;
    this.host = createNodeHost({
      tls: config?.mqtt.tls ? tlsSettingsFromFiles(config.mqtt.tls) : undefined,
      time: this.time,
      cpu: this.cpu,
      // under the CPU model a reply that comes while the node computes waits for its thread
      busy: this.cpu && (() => (this.time as Task).busy),
      observe: (event, socket) => this.#observe(event, socket),
      samplerCore: this.core0,
      bus: this.bus,
      storage: this.storage,
      // A factory node's id comes from provisioning or its hardware id (a MAC-like one here).
      hardwareId: factory ? simulatedMac(spec.seed) : spec.nodeId,
      random: ((rng) => () => rng.next())(new Rng(spec.seed ^ 0x5eed)),
      listen: factory && {
        port: () => factory.setupPort,
        onListening: (_asked, port) => factory.onListening?.(port),
        onError: (_asked, message) => log?.("error", `setup page: cannot listen on 127.0.0.1:${factory.setupPort}: ${message}`),
      },
      log,
      serial: this.#options.serial,
      wifi: spec.wifi ?? DEFAULT_WIFI_NETWORKS,
      onRestart: () => this.restart(),
      firmware: this.#slots(booted),
    });
    const onSend = this.#options.onSend;
    if (onSend) wrapWrites(this.host, (write, data) => (onSend(), write(data)));
    this.field = factory ? new FieldNode(this.host, { config: spec.config }) : undefined;
    this.app = this.field ? this.field.app : new NodeApp(this.host, config);
  }

  start(): void {
    try {
      if (this.field) this.field.start();
      else this.app.start();
    } catch (error) {
      this.#crashed(error);
      this.#reset();
      return;
    }
    // Improv on the console: over the field node's settings, or (a node configured by its build) the Wi-Fi alone.
    const { FieldImprovTarget, WifiOnlyTarget, startImprov } = this.image;
    const target = this.field ? new FieldImprovTarget(this.field, SIM_CHIP) : new WifiOnlyTarget(this.host, SIM_CHIP);
    this.improv = startImprov(this.host.io, target, (level, message) => this.host.log(level, message));
  }

  /** The firmware's view of the flash (Host.firmware) for the image `booted`. */
  #slots(booted: BootedImage): FirmwareSlots {
    const flash = this.flash;
    // A bundle stamped by `ota pack` names its keys; the built-in image (and an unstamped bundle) trusts the simulator's.
    const trustedKeys = (booted.slot.image && this.image.otaKeys) || this.#options.otaKeys || devOtaKeys();
    return {
      target: "sim",
      slotBytes: flash.slotBytes,
      trustedKeys,
      runningSlot: booted.slot.label,
      get pendingVerify() {
        return flash.running.state === "pending-verify";
      },
      get rollbackReason() {
        return flash.rollbackReason;
      },
      begin: (size) => flash.begin(size),
      markValid: () => flash.markValid(),
      // On the ESP32 this resets the chip at once: no DISCONNECT, the broker publishes the will.
      rollback: (reason) => {
        flash.rollback(reason);
        this.#reset();
      },
    };
  }

  /** Stops the firmware cleanly (DISCONNECT) and boots it again with the same storage. */
  restart(): void {
    this.stop();
    this.restarts++;
    this.#boot();
    this.start();
  }

  /**
   * A power cut and the power back: no DISCONNECT (the broker publishes the will), no
   * flush of anything held in RAM, every timer gone; then a cold boot from storage.
   */
  powerLoss(): void {
    this.#reset();
  }

  /** The chip resets: connections drop without a word, timers stop, the boot loader runs. */
  #reset(): void {
    this.host.killConnections();
    this.host.haltTimers();
    this.restarts++;
    this.#boot();
    this.start();
  }

  /**
   * An event on a connection as it arrives. Under the CPU model, what reaches the broker
   * connection while the node computes waits for it unread (decision 76): the replies in it,
   * the connection being made (what a connecting node waits for first) and its end are noted.
   */
  #observe(event: Uint8Array | "established" | "error", socket: { readonly remotePort?: number }): void {
    if (typeof event !== "string") this.#options.onArrive?.(event);
    if (!this.cpu || socket.remotePort !== this.app.config.mqtt.port) return;
    let replies = 0;
    if (typeof event !== "string") {
      let counter = this.#replyCounters.get(socket);
      if (!counter) this.#replyCounters.set(socket, (counter = new ReplyCounter()));
      replies = counter.count(event);
    } else if (event === "established") replies = 1;
    if (!(this.time as Task).busy) return;
    if (event === "error") this.#heldEnd = true;
    this.#unreadReplies += replies;
  }

  /**
   * True while the node waits for a reply from the broker that has not come (virtual time
   * waits too). Under the CPU model a reply that came while the node computed waits for it
   * unread (decision 76): once every reply due is in, or the connection's end, virtual time
   * moves on to deliver them.
   */
  get busy(): boolean {
    const held = this.host.heldEvents;
    if (held === 0) {
      this.#unreadReplies = 0;
      this.#heldEnd = false;
    }
    return (!this.#heldEnd && this.app.mqtt.repliesDue > this.#unreadReplies) || (this.app.otaDownloading && held === 0);
  }

  stop(): void {
    this.improv?.stop();
    if (this.field) this.field.stop();
    else this.app.stop();
  }
}

/** What Improv's device info says the simulated node's chip is. */
const SIM_CHIP = "esp32 (simulated)";

/** A locally administered MAC address from a seed: a factory node's hardware id. */
function simulatedMac(seed: number): string {
  const rng = new Rng(seed ^ 0x3ac);
  const bytes = [0x02, ...Array.from({ length: 5 }, () => Math.floor(rng.next() * 256))];
  return bytes.map((b) => b.toString(16).padStart(2, "0")).join(":");
}

/**
 * Calls `onWrite` with every chunk the node's firmware writes to a socket of its
 * current boot (after the socket took it), and the socket's number (1, 2, ... in
 * the order opened): what the bench and the parity run read off the wire.
 */
export function tapWrites(node: SimNode, onWrite: (bytes: Uint8Array, connection: number) => void): void {
  wrapWrites(node.host, (write, data, id) => {
    write(data);
    onWrite(data instanceof Uint8Array ? data : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data as ArrayBuffer), id);
  });
}

type Write = TCPSocket["write"];

/** Puts `wrap` around every write to a socket the host opens from now on (`connection`: 1, 2, ... in the order opened). */
function wrapWrites(host: NodeHost, wrap: (write: Write, data: Parameters<Write>[0], connection: number) => void): void {
  const io = host.io as { tcp(o: TCPOptions): TCPSocket };
  const tcp = io.tcp.bind(io);
  let connections = 0;
  io.tcp = (o: TCPOptions) => {
    const socket = tcp(o);
    const id = ++connections;
    const write = socket.write.bind(socket);
    socket.write = (data) => wrap(write, data, id);
    return socket;
  };
}

/**
 * Nodes that share one clock are independent devices: a transfer on one
 * node's I2C bus must not delay the others, so bus time (which SimNode charges
 * with clock.advance) does not move the shared clock through this view.
 */
export function sharedView(clock: VirtualClock): VirtualClock {
  return new Proxy(clock, {
    get(target, prop) {
      if (prop === "advance") return () => {};
      const v = Reflect.get(target, prop, target);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

/** Subscribes to everything the nodes publish, independently of the firmware's own client. */
export class Observer {
  readonly messages: ObservedMessage[] = [];
  #client: mqtt.MqttClient;
  #listeners = new Set<(m: ObservedMessage) => void>();

  private constructor(client: mqtt.MqttClient, wall: () => number) {
    this.#client = client;
    client.on("message", (topic, payload, packet) => {
      const m: ObservedMessage = { t: Math.round(wall()), topic, qos: packet.qos, retain: packet.retain, payload: new Uint8Array(payload) };
      this.messages.push(m);
      for (const l of this.#listeners) l(m);
    });
  }

  /** Connects and subscribes; resolves once subscribed. */
  static async connect(url: string, filter: string | string[], wall: () => number): Promise<Observer> {
    const observer = Observer.start(url, filter, wall);
    await observer.ready;
    return observer;
  }

  /** Starts connecting in the background (it keeps retrying); `ready` resolves once subscribed. */
  static start(url: string, filter: string | string[], wall: () => number): Observer {
    const client = mqtt.connect(url, { clientId: `observer-${process.pid}-${Math.floor(Math.random() * 1e9)}`, reconnectPeriod: 500, connectTimeout: 5000 });
    client.on("error", () => {}); // retried by mqtt.js; the nodes report their own connection state
    const observer = new Observer(client, wall);
    observer.ready = new Promise((resolve) => {
      client.on("connect", () => {
        client.subscribe(filter, { qos: 1 }, () => {
          observer.reached = true;
          resolve();
        });
      });
    });
    observer.firstAttempt = Promise.race([observer.ready.then(() => true), new Promise<boolean>((resolve) => client.once("close", () => resolve(false)))]);
    return observer;
  }

  ready: Promise<void> = Promise.resolve();
  /** True once subscribed, false once a connection attempt failed first (mqtt.js goes on retrying). */
  firstAttempt: Promise<boolean> = Promise.resolve(true);
  /** True once the subscriber has been subscribed at the broker (it was reachable). */
  reached = false;

  /** Resolves true once `done()` holds (checked now and after each message), false after `ceilingMs` of real time. */
  until(done: () => boolean, ceilingMs: number): Promise<boolean> {
    if (done()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const finish = (ok: boolean) => {
        clearTimeout(timer);
        off();
        resolve(ok);
      };
      const timer = setTimeout(() => finish(false), ceilingMs);
      const off = this.onMessage(() => done() && finish(true));
    });
  }

  onMessage(listener: (m: ObservedMessage) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async close(): Promise<void> {
    await this.#client.endAsync(true);
  }
}

export interface SimulationOptions {
  scenario?: Scenario;
  nodes: number;
  broker?: string;
  speed: number | "max";
  durationS?: number;
  seed?: number;
  /** Overrides the nodes' config `payload` (json | sparkplug). */
  payload?: "json" | "sparkplug";
  /** The CPU model (--cpu esp32 / --cpu-rate); undefined: free computation. */
  cpu?: { rate: number };
  signal?: AbortSignal;
  storageDir?: string;
  /** Update keys and a starting image for the nodes (`sim --ota-key`, `--image`). */
  ota?: SimOta;
  /** One node fresh from the factory, unprovisioned, with its setup page on loopback (docs/provisioning.md). */
  factory?: boolean;
  /** The setup page's port in factory mode (default: a free one). */
  setupPort?: number;
  /** Factory mode: the setup page's URL, once it listens. */
  onSetup?: (url: string) => void;
  /** The console line of the one node (`sim --factory`: a pty, tools/simulator/factory-serial.ts). */
  serial?: SerialLine;
  onMessage?: (m: ObservedMessage) => void;
  onLog?: (nodeId: string, level: LogLevel, message: string) => void;
  onInfo?: (message: string) => void;
}

export interface SimulationSummary {
  nodes: number;
  messages: number;
  virtualMs: number;
  /** Why the run failed, in one line (nothing delivered, messages lost: delivery.ts); undefined when it did its job. */
  problem?: string;
}

export function nodeSpecs(scenario: Scenario | undefined, count: number, seed: number): NodeSpec[] {
  const base = scenario?.node.config ?? {};
  const baseId = typeof base.nodeId === "string" && base.nodeId ? base.nodeId : "node";
  const specs: NodeSpec[] = [];
  for (let i = 0; i < count; i++) {
    const nodeId = count === 1 && base.nodeId ? baseId : `${baseId}-${i + 1}`;
    specs.push({
      nodeId,
      seed: (seed + i * 7919) >>> 0,
      accelerometer: scenario?.node.accelerometer,
      temperature: scenario?.node.temperature,
      machine: scenario?.machine ?? DEFAULT_MACHINE,
      config: base,
      ...(scenario?.wifi ? { wifi: scenario.wifi } : {}),
    });
  }
  return specs;
}

export async function runSimulation(o: SimulationOptions): Promise<SimulationSummary> {
  if (o.serial && o.nodes !== 1) throw new Error("one serial line serves one node");
  if (o.scenario && !o.factory) return await scenarioSimulation(o, o.scenario);
  const seed = o.seed ?? o.scenario?.seed ?? 1;
  // Simulated runs start at a fixed epoch so a seed gives the same log; a live demo shows real time.
  // A factory node lives in real time: its certificates are checked against today's date.
  const epochMs = !o.factory && (o.scenario || o.speed === "max") ? o.scenario?.startMs ?? Date.parse(DEFAULT_START) : Date.now();
  const clock = new VirtualClock({ epochMs });
  let embedded: RunningBroker | undefined;
  const server = o.broker ? parseBrokerUrl(o.broker) : undefined;
  if (!server) {
    embedded = await startAedes(0);
    o.onInfo?.(`embedded MQTT broker (aedes) on ${embedded.url}`);
  }
  const broker = server ?? { host: embedded!.host, port: embedded!.port, secure: false };
  const url = o.broker ?? embedded!.url;
  const setupPort = o.factory ? o.setupPort || (await freePort()) : 0;
  let announced = false;
  const factory = o.factory
    ? {
        setupPort,
        onListening: (port: number) => {
          if (!announced) o.onSetup?.(`http://127.0.0.1:${port}/`);
          announced = true;
        },
      }
    : undefined;
  const specs = nodeSpecs(o.scenario, o.factory ? 1 : o.nodes, seed).map((spec) => (o.payload ? { ...spec, config: { ...spec.config, payload: o.payload } } : spec));
  const prefix = String((o.scenario?.node.config.mqtt as { prefix?: string } | undefined)?.prefix ?? "sensors");
  // Stamped with the clock's frontier: a message leaves its node when the node's work is done (sim/clock.ts).
  const observer = Observer.start(url, [`${prefix}/#`, "spBv1.0/#"], () => epochMs + clock.frontier());
  // Waits for an event, not a time: subscribed, or the first attempt failed (a broker nobody runs refuses at once,
  // a silent one meets mqtt.js's connectTimeout); the ceiling only catches a hang.
  const subscribed = await within(observer.firstAttempt, REPLY_CEILING_MS, false);
  if (!subscribed) o.onInfo?.(`cannot reach the broker at ${url} yet; the nodes keep retrying`);
  if (o.onMessage) observer.onMessage(o.onMessage);
  // Several nodes share the clock as independent devices: one's bus time must not delay the others.
  const nodeClock = specs.length > 1 ? sharedView(clock) : clock;
  const nodes = specs.map(
    (spec) =>
      new SimNode({
        clock: nodeClock,
        cpu: o.cpu,
        spec,
        broker,
        storage: o.storageDir ? new FileStorage(`${o.storageDir}/${spec.nodeId}`) : undefined,
        log: (level, message) => o.onLog?.(spec.nodeId, level, message),
        ...o.ota,
        factory,
        serial: o.serial,
      }),
  );
  for (const node of nodes) node.start();
  // A factory node takes its machine changes from the scenario (its faults need the scenario runner).
  for (const e of o.scenario?.events ?? []) {
    clock.set(() => {
      for (const node of nodes) node.machine.set(e.path, e.value, e.at_s);
    }, e.at_s * 1000);
  }
  const busy = () => nodes.some((n) => n.busy);
  const until = o.durationS === undefined ? Infinity : o.durationS * 1000;
  let counts: NodeCount[] = [];
  // A factory node left unprovisioned publishes nothing, on purpose.
  const expected = () => nodes.some((n) => n.app.publishing);
  const problem = () => deliveryProblem({ messages: observer.messages.length, ...countDelivered(counts, observer.messages, prefix), broker: url, reached: observer.reached, expected: expected() });
  const warn = (message: string) => o.onLog?.("sim", "warn", message);
  // False once a wait ran out: the broker left something unanswered, so the goodbyes are not waited for either.
  let answered = false;
  try {
    answered = await drive({ clock, until, speed: o.speed, busy, signal: o.signal, onGiveUp: () => warn(`waited ${REPLY_CEILING_MS / 1000} s of real time for a reply from the broker; virtual time goes on`) });
    // The last replies and the outboxes (while connected) finish before the nodes say goodbye, after Ctrl-C too:
    // events, with the hang-catching ceiling. A reply drive() already gave up on is not waited for again.
    if (answered) await waitIdle(() => busy() || nodes.some((n) => n.app.mqtt.connected && n.app.outbox.stats.queued > 0), REPLY_CEILING_MS);
    // A node that does not publish (a factory node not given a broker yet) is not counted.
    counts = nodes.filter((n) => n.app.publishing).map((n) => nodeCount(n.app));
    // Then the subscriber gets what the broker took: wait until it has every message the nodes counted, unless
    // none can come any more (the subscriber never reached the broker, or a node still holds messages: lost
    // either way). Only a message really lost reaches the ceiling.
    const more = observer.reached && !nodes.some((n) => n.app.outbox.stats.queued > 0);
    if (more && !(await observer.until(() => problem() === undefined, REPLY_CEILING_MS))) {
      warn(`waited ${REPLY_CEILING_MS / 1000} s of real time for the subscriber to get what the nodes published`);
      answered = false;
    }
  } finally {
    // A connected node says goodbye as it stops (status "offline", Sparkplug NDEATH): the subscriber shows it.
    const leaving = answered && observer.reached ? nodes.filter((n) => n.app.mqtt.connected).map((n) => n.app.nodeId) : [];
    const mark = observer.messages.length;
    for (const node of nodes) node.stop();
    const said = () => leaving.every((id) => observer.messages.slice(mark).some((m) => m.topic.split("/").includes(id)));
    await observer.until(said, REPLY_CEILING_MS);
    await observer.close();
    await embedded?.close();
  }
  return { nodes: nodes.length, messages: observer.messages.length, virtualMs: clock.now(), problem: problem() };
}

/**
 * `sim --scenario FILE`: the scenario runner (tools/scenario/runner.ts) runs it, so the file's
 * faults and config pushes happen as under `sensor-node scenario`, paced at `speed`, with
 * `--nodes` copies of its node; its expectations are not checked (that is `sensor-node scenario`).
 */
async function scenarioSimulation(o: SimulationOptions, scenario: Scenario): Promise<SimulationSummary> {
  // Loaded here: the runner imports this module (SimNode).
  const { runScenario } = await import("../scenario/runner.js");
  const node = o.payload ? { ...scenario.node, config: { ...scenario.node.config, payload: o.payload } } : scenario.node;
  const run = await runScenario(
    { ...scenario, node, seed: o.seed ?? scenario.seed, duration_s: o.durationS ?? scenario.duration_s },
    {
      copies: o.nodes,
      broker: o.broker,
      speed: o.speed,
      cpu: o.cpu,
      signal: o.signal,
      storageDir: o.storageDir,
      ota: o.ota,
      onMessage: o.onMessage,
      onLog: (level, message, nodeId) => o.onLog?.(nodeId ?? "sim", level, message),
      onBroker: (url) => {
        if (!o.broker) o.onInfo?.(`embedded MQTT broker (aedes) on ${url}`);
      },
    },
  );
  const prefix = String((node.config.mqtt as { prefix?: string } | undefined)?.prefix ?? "sensors");
  const broker = o.broker ?? "the embedded broker";
  const problem = deliveryProblem({ messages: run.messages.length, ...countDelivered(run.lastBoots ?? [], run.messages, prefix), broker, reached: true });
  return { nodes: o.nodes, messages: run.messages.length, virtualMs: run.virtualMs, problem };
}

/** `promise`'s value, or `fallback` after `ms` of real time (the timer cleared either way, so it never holds the process open). */
async function within<T>(promise: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<T>((resolve) => (timer = setTimeout(() => resolve(fallback), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
