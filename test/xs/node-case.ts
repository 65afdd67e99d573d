/*
 * The whole node inside XS: NodeApp (drivers, acquisition, DSP, monitor, payloads,
 * outbox, MQTT codec and session) on an XS-side Host built the way SimNode builds
 * its Node host (sim/tools/simulation.ts): a VirtualClock for timers and clock,
 * the simulated I2C bus with an ADXL345 and a TMP117 on a seeded Machine, memory
 * storage, and a TCP socket BRIDGED to Node (test/helpers/xs-bridge.ts).
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
 * next `run` before virtual time moves on, as sim/tools/drive.ts does for the
 * Node host (the network takes no virtual time).
 *
 * `soak` is the fast path for long runs: the broker is a loopback inside XS
 * (CONNACK, SUBACK, PUBACK, PINGRESP, answered after the timer callback that
 * wrote the request, i.e. also in zero virtual time), so thousands of windows
 * run in one command without a round trip each.
 *
 * Plain ECMAScript on the XS side; bundled by test/helpers/xs.ts.
 */
import type { AppendLog, Host, LogLevel, Storage, TCPOptions, TCPSocket } from "../../firmware/host.js";
import { VirtualClock } from "../../sim/clock.js";
import { SimI2CBus } from "../../sim/bus.js";
import { SimADXL345 } from "../../sim/devices/adxl345.js";
import { SimTMP117 } from "../../sim/devices/tmp117.js";
import { Machine, type MachineOptions } from "../../sim/machine/machine.js";
import { Rng } from "../../sim/rng.js";
import { NodeApp } from "../../firmware/app/node.js";
import { resolveConfig } from "../../firmware/app/config.js";
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
}

// --- hex (the bridge carries bytes in JSON) ---------------------------------

const HEX = "0123456789abcdef";

export function toHex(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += HEX[bytes[i] >> 4] + HEX[bytes[i] & 15];
  return s;
}

export function fromHex(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
  return out;
}

// --- storage: hosts/node/storage.ts MemoryStorage's semantics (that file imports node:fs) ---

/**
 * An append log in one byte buffer, like a flash partition: records are copied in,
 * no object per record, so the XS slot heap does not carry the spool (on the device
 * it lives in flash). Same bytes as hosts/node/storage.ts MemoryLog, read back as one
 * chunk. The buffer doubles when full (from 64 KiB).
 */
class FlashLikeLog implements AppendLog {
  #buffer = new Uint8Array(65536);
  #size = 0;
  append(record: Uint8Array): void {
    if (this.#size + record.length > this.#buffer.length) {
      let capacity = this.#buffer.length * 2;
      while (capacity < this.#size + record.length) capacity *= 2;
      const next = new Uint8Array(capacity);
      next.set(this.#buffer.subarray(0, this.#size));
      this.#buffer = next;
    }
    this.#buffer.set(record, this.#size);
    this.#size += record.length;
  }
  readAll(visit: (chunk: Uint8Array) => void): void {
    if (this.#size) visit(this.#buffer.slice(0, this.#size));
  }
  size(): number {
    return this.#size;
  }
  clear(): void {
    this.#size = 0;
  }
}

export class XsMemoryStorage implements Storage {
  #values = new Map<string, string>();
  #logs = new Map<string, FlashLikeLog>();
  get(key: string): string | undefined {
    return this.#values.get(key);
  }
  set(key: string, value: string): void {
    this.#values.set(key, value);
  }
  delete(key: string): void {
    this.#values.delete(key);
  }
  openLog(name: string): AppendLog {
    let log = this.#logs.get(name);
    if (!log) this.#logs.set(name, (log = new FlashLikeLog()));
    return log;
  }
}

// --- sockets ------------------------------------------------------------------

/** Room reported by onWritable: what a fresh node:net socket reports (writableHighWaterMark). */
export const WRITABLE_BYTES = 16384;

interface SocketSide {
  id: number;
  options: TCPOptions;
  rx: Uint8Array[];
  rxBytes: number;
  dead: boolean;
}

function readFrom(side: SocketSide, byteLength?: number): ArrayBuffer {
  const want = byteLength === undefined ? side.rxBytes : Math.min(byteLength, side.rxBytes);
  const out = new Uint8Array(want);
  let o = 0;
  while (o < want) {
    const head = side.rx[0];
    const take = Math.min(head.length, want - o);
    out.set(head.subarray(0, take), o);
    o += take;
    if (take === head.length) side.rx.shift();
    else side.rx[0] = head.subarray(take);
  }
  side.rxBytes -= want;
  return out.buffer;
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

/**
 * A broker inside XS for the soak: answers CONNECT, SUBSCRIBE, QoS 1 PUBLISH and
 * PINGREQ with fixed 4- or 5-byte packets. Requests are scanned, not decoded (the
 * figures are the node's, not the broker's). Replies wait in `pending` until
 * `flush()`, called after each timer callback (no re-entry into the client).
 */
class LoopbackNet {
  #side: SocketSide | undefined;
  #pending: number[] = [];
  #carry: Uint8Array | undefined;
  #connectPending = false;
  published = 0;
  publishedBytes = 0;

  open(options: TCPOptions): TCPSocket {
    const side: SocketSide = { id: 1, options, rx: [], rxBytes: 0, dead: false };
    this.#side = side;
    this.#carry = undefined;
    this.#connectPending = true;
    return {
      read: (byteLength?: number) => readFrom(side, byteLength),
      write: (data) => {
        if (side.dead) throw new Error("socket is closed");
        this.#scan(data instanceof Uint8Array ? data : new Uint8Array(data));
      },
      close: () => {
        side.dead = true;
      },
    };
  }

  #scan(chunk: Uint8Array): void {
    let bytes = chunk;
    if (this.#carry) {
      bytes = new Uint8Array(this.#carry.length + chunk.length);
      bytes.set(this.#carry);
      bytes.set(chunk, this.#carry.length);
      this.#carry = undefined;
    }
    let i = 0;
    while (i < bytes.length) {
      let len = 0;
      let mul = 1;
      let j = i + 1;
      let complete = false;
      for (; j < bytes.length && j < i + 5; j++) {
        len += (bytes[j] & 0x7f) * mul;
        mul *= 128;
        if ((bytes[j] & 0x80) === 0) {
          complete = true;
          break;
        }
      }
      const body = j + 1;
      if (!complete || body + len > bytes.length) break;
      const type = bytes[i] >> 4;
      if (type === 1) this.#pending.push(0x20, 2, 0, 0); // CONNACK accepted, no session
      else if (type === 8) this.#pending.push(0x90, 3, bytes[body], bytes[body + 1], 1); // SUBACK granted QoS 1
      else if (type === 12) this.#pending.push(0xd0, 0); // PINGRESP
      else if (type === 3) {
        this.published++;
        this.publishedBytes += body + len - i;
        if (((bytes[i] >> 1) & 3) === 1) {
          const at = body + 2 + ((bytes[body] << 8) | bytes[body + 1]);
          this.#pending.push(0x40, 2, bytes[at], bytes[at + 1]); // PUBACK
        }
      }
      i = body + len;
    }
    if (i < bytes.length) this.#carry = bytes.slice(i);
  }

  /** Completes the connection and delivers pending replies; true if anything happened. */
  flush(): boolean {
    const side = this.#side;
    if (!side || side.dead) return false;
    if (this.#connectPending) {
      this.#connectPending = false;
      side.options.onWritable?.(Infinity);
      return true;
    }
    if (!this.#pending.length) return false;
    const bytes = new Uint8Array(this.#pending);
    this.#pending.length = 0;
    side.rx.push(bytes);
    side.rxBytes += bytes.length;
    side.options.onReadable?.(side.rxBytes);
    return true;
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
  const node: XsNode = { clock, machine, bus, app: undefined as unknown as NodeApp, logs: 0 };
  const boot = () => {
    const config = resolveConfig({ ...spec.config, nodeId: spec.nodeId, mqtt: { ...(spec.config.mqtt as object), host: spec.broker.host, port: spec.broker.port, secure: false } });
    const rng = new Rng(spec.seed ^ 0x5eed);
    const host: Host = {
      io: { smbus: (o) => bus.smbus(o), i2cLines: () => bus.lines(), tcp },
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

let bridged: { node: XsNode; net: BridgeNet } | undefined;
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
  return { out: net.take(), busy: app.mqtt.awaitingReply, now: clock.now(), windows: app.windows, idle };
}

/** Runs the soak node for `windows` more windows (fast path, loopback broker). */
function runSoak(windows: number): { windows: number; now: number; published: number; publishedBytes: number; steps: number } {
  const { node, net } = soak!;
  const { clock, app } = node;
  const target = app.windows + windows;
  let steps = 0;
  while (app.windows < target) {
    while (net.flush()) {
      // replies before the next timer (zero network time), possibly several rounds
    }
    if (!clock.step()) throw new Error("soak: no timer pending");
    steps++;
  }
  while (net.flush()) {
    // answer the last window's publishes
  }
  return { windows: app.windows, now: clock.now(), published: net.published, publishedBytes: net.publishedBytes, steps };
}

export function install(): void {
  onCommand((msg: { op: string; spec?: NodeRunSpec; events?: SocketIn[]; until?: number; windows?: number }) => {
    switch (msg.op) {
      case "boot": {
        const net = new BridgeNet();
        const node = buildNode(msg.spec!, (o) => net.open(o));
        bridged = { node, net };
        startNode(node, msg.spec!);
        return runBridged({});
      }
      case "run":
        return runBridged(msg);
      case "stop": {
        const { node, net } = bridged!;
        node.app.stop();
        return { out: net.take(), busy: false, now: node.clock.now(), windows: node.app.windows, idle: true };
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
