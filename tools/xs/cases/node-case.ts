/*
 * The whole node inside XS: NodeApp (drivers, acquisition, DSP, monitor, payloads,
 * outbox, MQTT codec and session) on an XS-side Host built the way SimNode builds
 * its Node host (tools/simulator/simulation.ts): a VirtualClock for timers and clock,
 * the simulated I2C bus with an ADXL345 and a TMP117 on a seeded Machine, memory
 * storage, and a TCP socket BRIDGED to Node (tools/xs/bridge.ts).
 *
 * Node drives it with one command, `run`:
 *
 *   {op: "run", events: [...], until}  delivers socket events from Node (open,
 *     data, writable, error), then (if `until` is given) fires timers up to
 *     `until` one at a time and stops early as soon as the node wrote to a
 *     socket or waits for a broker reply. Reply: {out, busy, now, windows, idle}.
 *     `out` lists what the node did to its sockets (open, data as hex, close).
 *
 * Node forwards `out` to the broker and delivers the broker's replies with the
 * next `run` before virtual time moves on, as tools/simulator/drive.ts does for the
 * Node host (the network takes no virtual time).
 *
 * `soak` is the fast path for long runs: the broker is a loopback inside XS
 * (CONNACK, SUBACK, PUBACK, PINGRESP, answered after the timer callback that
 * wrote the request, i.e. also in zero virtual time), so thousands of windows
 * run in one command without a round trip each.
 *
 * Plain ECMAScript on the XS side; bundled by tools/xs/harness.ts.
 */
import type { Host, LogLevel, TCPOptions, TCPSocket } from "../../../firmware/host.js";
import { LoopbackNet, readFrom, runLoopback, WRITABLE_BYTES, XsMemoryStorage, type SocketSide } from "./host-parts.js";
import { VirtualClock } from "../../../sim/clock.js";
import { SimI2CBus } from "../../../sim/bus.js";
import { SimADXL345 } from "../../../sim/devices/adxl345.js";
import { SimTMP117 } from "../../../sim/devices/tmp117.js";
import { Machine, type MachineOptions } from "../../../sim/machine/machine.js";
import { Rng } from "../../../sim/rng.js";
import { NodeApp } from "../../../firmware/app/node.js";
import { resolveConfig } from "../../../firmware/app/config.js";
import { onCommand } from "./runtime.js";

/** What both runs (XS and SimNode) are built from. */
export interface NodeRunSpec {
  nodeId: string;
  seed: number;
  machine: MachineOptions & { rpm: number };
  config: Record<string, unknown>;
  broker: { host: string; port: number };
  /** Wall time at virtual 0. */
  epochMs: number;
  /** Machine changes, scheduled right after the node starts (as runSimulation does). */
  events: { at_s: number; path: string; value: number }[];
  /** Multiplier on the ADXL345's datasheet noise (default 1; the soak may use 0 to spend less on the simulation). */
  deviceNoise?: number;
  /** Storage keys the node finds at its first boot (a node that has run before: the soak's). */
  stored?: Record<string, string>;
}

/** Socket activity reported to Node. */
export type SocketOut = { id: number; type: "open"; host: string; port: number } | { id: number; type: "data"; hex: string } | { id: number; type: "close" };
/** Socket events from Node. */
export type SocketIn = { id: number; type: "open" } | { id: number; type: "data"; hex: string } | { id: number; type: "writable"; bytes: number } | { id: number; type: "error"; message: string };

export interface RunReply {
  out: SocketOut[];
  /** The node waits for a broker reply (CONNACK, SUBACK, PUBACK, PINGRESP). */
  busy: boolean;
  now: number;
  windows: number;
  /** Virtual time reached `until` (all timers up to it fired). */
  idle: boolean;
  /** Warnings and errors the node logged during this step, as "level: message". */
  logs: string[];
}

// --- hex (the bridge carries bytes in JSON) ---------------------------------

const HEX = "0123456789abcdef";

export function toHex(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += HEX[bytes[i] >> 4] + HEX[bytes[i] & 15];
  return s;
}

/** One pass over the characters: XS strings are UTF-8, so indexing (substr, charCodeAt) at i costs O(i). */
export function fromHex(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length >> 1);
  let i = 0;
  let high = -1;
  for (const ch of hex) {
    const c = ch.charCodeAt(0);
    const nibble = c <= 57 ? c - 48 : c - 87; // "0"-"9", "a"-"f"
    if (high < 0) high = nibble;
    else {
      out[i++] = (high << 4) | nibble;
      high = -1;
    }
  }
  return out;
}

/** A TCP socket whose other end is in Node: writes are queued for the next reply, reads come from `deliver`. */
class BridgeNet {
  #next = 1;
  #sides = new Map<number, SocketSide>();
  out: SocketOut[] = [];

  open(options: TCPOptions): TCPSocket {
    const side: SocketSide = { id: this.#next++, options, rx: [], rxBytes: 0, dead: false };
    this.#sides.set(side.id, side);
    this.out.push({ id: side.id, type: "open", host: options.host, port: options.port });
    const net = this;
    const sides = this.#sides;
    return {
      read: (byteLength?: number) => readFrom(side, byteLength),
      write(data) {
        if (side.dead) throw new Error("socket is closed");
        const view = data instanceof Uint8Array ? data : new Uint8Array(data);
        net.out.push({ id: side.id, type: "data", hex: toHex(view) });
      },
      close() {
        sides.delete(side.id);
        if (side.dead) return;
        side.dead = true;
        net.out.push({ id: side.id, type: "close" });
      },
    };
  }

  deliver(e: SocketIn): void {
    const side = this.#sides.get(e.id);
    if (!side || side.dead) return;
    if (e.type === "open" || e.type === "writable") {
      side.options.onWritable?.(e.type === "open" ? WRITABLE_BYTES : e.bytes);
    } else if (e.type === "data") {
      const bytes = fromHex(e.hex);
      side.rx.push(bytes);
      side.rxBytes += bytes.length;
      side.options.onReadable?.(side.rxBytes);
    } else if (e.type === "error") {
      side.dead = true;
      this.#sides.delete(side.id);
      side.options.onError?.(e.message);
    }
  }

  take(): SocketOut[] {
    const out = this.out;
    this.out = [];
    return out;
  }
}

// --- the node -------------------------------------------------------------------

export interface XsNode {
  clock: VirtualClock;
  machine: Machine;
  app: NodeApp;
  bus: SimI2CBus;
  logs: number;
}

/** Builds the node as SimNode does (same parts, seeds, order of construction), on `tcp`. */
export function buildNode(spec: NodeRunSpec, tcp: (o: TCPOptions) => TCPSocket, log?: (level: LogLevel, message: string) => void): XsNode {
  const clock = new VirtualClock({ epochMs: spec.epochMs });
  const odr = (spec.config.accelerometer as { odr?: number } | undefined)?.odr ?? 3200;
  const machine = new Machine({ seed: spec.seed, ...spec.machine, sample_rate_hz: odr });
  const bus = new SimI2CBus({ hz: 400_000, now: () => clock.now(), onBusTime: (ms) => clock.advance(ms) });
  const now = () => clock.now();
  const accelerometer = new SimADXL345({ now, seed: spec.seed, noise: spec.deviceNoise, signal: (axis, t) => machine.acceleration(axis, t) });
  const thermometer = new SimTMP117({ now, seed: spec.seed + 1, temperature: (t) => machine.temperature(t) });
  bus.attach(0x53, accelerometer);
  bus.attach(0x48, thermometer);
  const storage = new XsMemoryStorage();
  for (const [key, value] of Object.entries(spec.stored ?? {})) storage.set(key, value);
  const node: XsNode = { clock, machine, bus, app: undefined as unknown as NodeApp, logs: 0 };
  const boot = () => {
    const config = resolveConfig({ ...spec.config, nodeId: spec.nodeId, mqtt: { ...(spec.config.mqtt as object), host: spec.broker.host, port: spec.broker.port, secure: false } });
    const rng = new Rng(spec.seed ^ 0x5eed);
    const host: Host = {
      io: { SMBus: bus.SMBus, i2cLines: () => bus.lines(), tcp },
      timers: clock,
      clock,
      storage,
      hardwareId: spec.nodeId,
      random: () => rng.next(),
      log: (level, message) => {
        node.logs++;
        log?.(level, message);
      },
      restart: () => {
        node.app.stop();
        boot();
        node.app.start();
      },
    };
    node.app = new NodeApp(host, config);
  };
  boot();
  return node;
}

/** Starts the node and schedules the scripted machine changes (after start, as runSimulation does). */
export function startNode(node: XsNode, spec: NodeRunSpec): void {
  node.app.start();
  for (const e of spec.events) node.clock.set(() => node.machine.set(e.path, e.value, e.at_s), e.at_s * 1000);
}

// --- XS command handler -------------------------------------------------------------

let bridged: { node: XsNode; net: BridgeNet; logs: string[] } | undefined;
let soak: { node: XsNode; net: LoopbackNet } | undefined;

function gc(): boolean {
  const g = globalThis as unknown as { gc?: () => void };
  if (typeof g.gc === "function") g.gc();
  return typeof g.gc === "function";
}

function runBridged(msg: { events?: SocketIn[]; until?: number }): RunReply {
  const { node, net } = bridged!;
  const { clock, app } = node;
  for (const e of msg.events ?? []) net.deliver(e);
  const until = msg.until;
  let idle = false;
  if (until !== undefined) {
    // drive.ts: wait while busy; otherwise fire the next timer due by `until`, else move to `until`.
    while (!app.mqtt.awaitingReply && net.out.length === 0) {
      const due = clock.nextDue();
      if (due === undefined || due > until) {
        clock.runUntil(until);
        idle = true;
        break;
      }
      clock.step();
    }
  }
  return { out: net.take(), busy: app.mqtt.awaitingReply, now: clock.now(), windows: app.windows, idle, logs: bridged!.logs.splice(0) };
}

/** Runs the soak node for `windows` more windows (fast path, loopback broker). */
function runSoak(windows: number): { windows: number; now: number; published: number; publishedBytes: number; steps: number } {
  const { node, net } = soak!;
  const steps = runLoopback(node.clock, net, node.app, windows);
  return { windows: node.app.windows, now: node.clock.now(), published: net.published, publishedBytes: net.publishedBytes, steps };
}

export function install(): void {
  onCommand((msg: { op: string; spec?: NodeRunSpec; events?: SocketIn[]; until?: number; windows?: number }) => {
    switch (msg.op) {
      case "boot": {
        const net = new BridgeNet();
        const logs: string[] = [];
        const node = buildNode(msg.spec!, (o) => net.open(o), (level, message) => void (level !== "info" && level !== "debug" && logs.push(`${level}: ${message}`)));
        bridged = { node, net, logs };
        startNode(node, msg.spec!);
        return runBridged({});
      }
      case "run":
        return runBridged(msg);
      case "stop": {
        const { node, net } = bridged!;
        node.app.stop();
        return { out: net.take(), busy: false, now: node.clock.now(), windows: node.app.windows, idle: true, logs: bridged!.logs.splice(0) };
      }
      case "soakBoot": {
        const net = new LoopbackNet();
        const node = buildNode(msg.spec!, (o) => net.open(o));
        soak = { node, net };
        startNode(node, msg.spec!);
        return runSoak(0);
      }
      case "soak":
        return runSoak(msg.windows ?? 1);
      case "gc":
        return gc();
      case "noop":
        return null;
      default:
        throw new Error(`unknown op ${msg.op}`);
    }
  });
}

install();
