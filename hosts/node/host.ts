/*
 * The Node.js host: the firmware's Host on a desktop. I2C goes to a simulated
 * bus, GPIO inputs follow the simulated parts' interrupt outputs (sim/pins.ts), sockets are real (node:net / node:tls), storage is files or memory, and
 * time is either the wall clock or a VirtualClock driven by the simulator.
 */
import type { AppendLog, Clock, CpuMeter, FirmwareSlots, Host, I2CLines, Listener, ListenerOptions, LogLevel, SMBusConstructor, Storage, TCPOptions, TCPSocket, TimerId, Timers } from "../../firmware/host.js";
import * as fs from "node:fs";
import { randomFillSync } from "node:crypto";
import { createTcpSocket, type Deliver, type SocketObserver, type TlsSettings } from "./tcp.js";
import { createListener, type ListenSettings } from "./listener.js";
import { simDigitalClass, type SimWiring } from "../../sim/pins.js";
import { simFifoSamplerClass } from "../../sim/fifo-sampler.js";
import { simSerialClass, type SerialLine } from "../../sim/serial.js";
import { SimWifi, type SimWifiNetwork } from "../../sim/wifi.js";

/** TLS material named by files (config `mqtt.tls`). */
export interface TlsFiles {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  servername?: string;
}

/** Reads the PEM files named in `files` (at each boot, so renewed certificates are picked up). Throws naming the file that cannot be read. */
export function tlsSettingsFromFiles(files: TlsFiles): TlsSettings {
  const read = (field: string, file: string | undefined) => {
    if (file === undefined) return undefined;
    try {
      return fs.readFileSync(file);
    } catch (e) {
      throw new Error(`mqtt.tls.${field}: cannot read ${file}: ${(e as Error).message}`);
    }
  };
  return { ca: read("caFile", files.caFile), cert: read("certFile", files.certFile), key: read("keyFile", files.keyFile), servername: files.servername };
}

export interface SimBusLike {
  /** The bus's SMBus class (SimI2CBus.SMBus). */
  readonly SMBus: SMBusConstructor;
  /** The raw lines, for bus recovery (the simulated bus models a target holding SDA). */
  lines?(): I2CLines;
}

export interface NodeHostOptions {
  /** Timers and clock; WallClock for real time, a VirtualClock for simulated time. */
  time: Clock & Timers;
  bus: SimBusLike;
  /** Part outputs wired to GPIOs (an accelerometer's INT1): the host's io.Digital. None: no io.Digital. */
  wiring?: SimWiring;
  storage: Storage;
  /**
   * The simulated board's second core (a task of the VirtualClock): with it the host
   * offers io.FifoSampler (sim/fifo-sampler.ts), which drains the accelerometer's
   * FIFO there. None: no sampler (the firmware polls the FIFO itself).
   */
  samplerCore?: Clock & Timers;
  /** The simulator's CPU model (sim/cpu.ts): the firmware's work and flash writes take time. None: free. */
  cpu?: CpuMeter;
  /**
   * True while the firmware's thread is busy (the CPU model: its task's work runs past the
   * clock's time). Socket events that arrive meanwhile wait on its timers until it is free,
   * as on the device, where the XS thread runs one callback at a time. None: at once.
   */
  busy?: () => boolean;
  /** Told of each event on a connection the firmware opened as it arrives, before the firmware hears of it (it may be busy). */
  observe?: SocketObserver;
  hardwareId: string;
  /** Seeded random source (virtual-time runs must repeat); default Math.random. */
  random?: () => number;
  tls?: TlsSettings;
  /** Offer io.listen (the setup page) on loopback ports; none: no io.listen. */
  listen?: ListenSettings;
  /** The console UART's far end (a pty: pty-line.ts): the host's io.Serial. None: no io.Serial. */
  serial?: SerialLine;
  /** Wi-Fi networks in range (sim/wifi.ts): the host's Wi-Fi station. None: no host.wifi. */
  wifi?: readonly SimWifiNetwork[];
  log?: (level: LogLevel, message: string) => void;
  /** Called by `restart()`; the simulator rebuilds the firmware in place. */
  onRestart?: (reason: string) => void;
  /** The simulated flash's OTA slots (sim/flash.ts, through the simulator): the host's firmware. None: no updates. */
  firmware?: FirmwareSlots;
}

export interface NodeHost extends Host {
  /** Every socket this host has open. */
  readonly sockets: Set<TCPSocket>;
  /** Drops every connection without a word to the peer (a yanked cable, a power cut). */
  killConnections(): void;
  /** Cancels every timer the firmware set through this host (the CPU stopped: a power cut). */
  haltTimers(): void;
  /** Holds the factory-reset button long enough (the simulator's stand-in for the BOOT button). */
  holdResetButton(): void;
  /** Socket events that arrived while the firmware was busy and wait for it (see `busy`). */
  readonly heldEvents: number;
}

export function createNodeHost(options: NodeHostOptions): NodeHost {
  const sockets = new Set<TCPSocket>();
  const timerIds = new Set<TimerId>();
  const killers = new Map<TCPSocket, () => void>();
  const listeners = new Set<Listener>();
  const buttonWatchers = new Set<() => void>();
  const timers: Timers = {
    set: (callback, ms, repeat) => {
      const id = options.time.set(callback, ms, repeat);
      timerIds.add(id);
      return id;
    },
    clear: (id) => {
      if (id !== undefined) timerIds.delete(id);
      options.time.clear(id);
    },
  };
  let held = 0;
  const busy = options.busy;
  const deliver: Deliver | undefined =
    busy &&
    ((callback) => {
      if (!busy()) return callback();
      held++;
      timers.set(() => {
        held--;
        callback();
      }, 0);
    });
  const core = options.samplerCore;
  // The sampler's timers are the host's too: a power cut (haltTimers) stops that core as well.
  const coreTimers: (Clock & Timers) | undefined = core && {
    now: () => core.now(),
    wall: () => core.wall(),
    set: (callback, ms, repeat) => {
      const id = core.set(callback, ms, repeat);
      timerIds.add(id);
      return id;
    },
    clear: (id) => {
      if (id !== undefined) timerIds.delete(id);
      core.clear(id);
    },
  };
  const host: NodeHost = {
    io: {
      FifoSampler: coreTimers ? simFifoSamplerClass(coreTimers, timers) : undefined,
      SMBus: options.bus.SMBus,
      // on the host's timers: a power cut (haltTimers) silences the pins too
      Digital: options.wiring ? simDigitalClass(options.wiring, timers, options.time) : undefined,
      i2cLines: options.bus.lines ? () => options.bus.lines!() : undefined,
      listen: options.listen
        ? (o: ListenerOptions) => {
            const listener = createListener(o, options.listen!, deliver, (socket, kill) => {
              sockets.add(socket);
              killers.set(socket, kill);
              return () => {
                sockets.delete(socket);
                killers.delete(socket);
              };
            });
            listeners.add(listener);
            const close = listener.close.bind(listener);
            listener.close = () => {
              listeners.delete(listener);
              close();
            };
            return listener;
          }
        : undefined,
      Serial: options.serial ? simSerialClass(options.serial, timers) : undefined,
      tcp: (o: TCPOptions) => {
        let kill: (() => void) | undefined;
        let established = false;
        const forget = () => {
          sockets.delete(socket);
          killers.delete(socket);
        };
        const socket: TCPSocket = createTcpSocket(
          {
            ...o,
            onWritable: (bytes) => {
              established = true;
              o.onWritable?.(bytes);
            },
            onError: (message) => {
              forget();
              // A failed handshake (untrusted CA, wrong name, client certificate refused) says so in one line: it is never retried in plain text.
              const alert = /SSL routines:[^:]*:([^:\n]+)/.exec(message)?.[1];
              o.onError?.(o.secure && (!established || alert) ? `TLS connection failed: ${alert ?? message}` : message);
            },
          },
          // Provisioned material (PEM from the firmware) replaces the host's configured files.
          o.tls ? { ca: o.tls.ca, cert: o.tls.cert, key: o.tls.key } : options.tls,
          { onKill: (k) => (kill = k), cpu: options.cpu, deliver, observe: options.observe },
        );
        sockets.add(socket);
        if (kill) killers.set(socket, kill);
        const close = socket.close.bind(socket);
        socket.close = () => {
          forget();
          close();
        };
        return socket;
      },
    },
    timers,
    clock: options.time,
    wifi: options.wifi ? new SimWifi(options.wifi, timers) : undefined,
    storage: options.cpu ? meteredStorage(options.storage, options.cpu) : options.storage,
    cpu: options.cpu,
    hardwareId: options.hardwareId,
    random: options.random ?? Math.random,
    fillRandom: (bytes) => void randomFillSync(bytes),
    watchResetButton(onHeld) {
      buttonWatchers.add(onHeld);
      return { close: () => void buttonWatchers.delete(onHeld) };
    },
    holdResetButton() {
      for (const w of [...buttonWatchers]) w();
    },
    log: options.log ?? (() => {}),
    restart: (reason) => options.onRestart?.(reason),
    firmware: options.firmware,
    sockets,
    haltTimers() {
      for (const id of timerIds) options.time.clear(id);
      timerIds.clear();
      held = 0;
    },
    get heldEvents() {
      return held;
    },
    killConnections() {
      for (const kill of [...killers.values()]) kill();
      killers.clear();
      sockets.clear();
      for (const l of [...listeners]) l.close();
    },
  };
  return host;
}

/** Flash writes take time on the device: each append to a log is charged as "store" work. */
function meteredStorage(storage: Storage, cpu: CpuMeter): Storage {
  return {
    get: (key) => storage.get(key),
    set: (key, value) => storage.set(key, value),
    delete: (key) => storage.delete(key),
    openLog(name): AppendLog {
      const log = storage.openLog(name);
      return {
        append(record) {
          log.append(record);
          cpu.charge("store", record.length);
        },
        readAll: (visit) => log.readAll(visit),
        size: () => log.size(),
        clear: () => log.clear(),
      };
    },
  };
}

/** Real time: Node timers, a monotonic clock from performance.now(), wall time from Date. */
export class WallClock implements Clock, Timers {
  #next = 1;
  #timers = new Map<number, NodeJS.Timeout>();

  now(): number {
    return performance.now();
  }
  wall(): number | undefined {
    return Date.now();
  }
  set(callback: () => void, ms: number, repeat = 0): TimerId {
    const id = this.#next++;
    const fire = () => {
      if (repeat > 0) this.#timers.set(id, setTimeout(fire, repeat));
      else this.#timers.delete(id);
      callback();
    };
    this.#timers.set(id, setTimeout(fire, Math.max(0, ms)));
    return id;
  }
  clear(id: TimerId | undefined): void {
    if (id === undefined) return;
    clearTimeout(this.#timers.get(id));
    this.#timers.delete(id);
  }
  /** Cancels every pending timer (used when a simulated node is torn down). */
  clearAll(): void {
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
  }
}
