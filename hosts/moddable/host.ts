/*
 * The Host on the Moddable SDK (ESP32 device and the desktop `lin` simulator).
 * A thin pass-through to ECMA-419 IO and a few Moddable modules:
 *
 *   io.SMBus   device.io.SMBus (embedded:io/smbus) on device.I2C.default (pins from the target);
 *              a driver's options (hz, port, data, clock) win over the defaults
 *   io.Digital device.io.Digital itself (sensor interrupt lines)
 *   io.FifoSampler  esp32 builds: the native FIFO sampler (hosts/moddable/fifo-sampler.js and
 *              native/fifo_sampler.c), found at run time with Modules.has; the lin build, whose I2C
 *              is the simulated bus in XS (which a native task cannot reach), passes the sampler
 *              Worker of hosts/moddable/sim-sampler.ts instead
 *   io.tcp     embedded:io/socket/tcp; TLS with embedded:io/socket/tcp/tls
 *              (the SDK's examples/io/tcp/tlssocket, included by the manifest)
 *   io.listen  embedded:io/socket/listener; an accepted connection is `new TCP({from: listener.read()})`
 *   io.Serial, wifi, watchResetButton  given by the entry (hosts/moddable/console.ts, wifi.ts,
 *              reset-button.ts on the device), absent otherwise
 *   crypto     hosts/moddable/crypto (the SDK's native SHA-256 and ECDSA P-256, for update packages)
 *   firmware   esp32 builds given `ota` options: hosts/moddable/firmware-slots (the SDK's `ota` module
 *              and native/ota_state.c), found at run time with Modules.has as the FIFO sampler is;
 *              absent on lin, where `cmd/ota` is refused
 *   fillRandom hosts/moddable/random (native/random.c: the ESP32's hardware RNG, getrandom on lin)
 *   timers     timer (Timer.set / Timer.clear)
 *   clock      Time.ticks (monotonic ms); Date.now() once SNTP has set the clock
 *   storage    preference (key/value) and file (append-only logs)
 *   log        trace
 *   restart    System.restart() (embedded:io/system, installed by the io manifest)
 *
 * Two adaptations are not pure pass-through, because the Host contract asks for them:
 *   - embedded:io/socket/tcp takes a numeric `address`: names are resolved with Net.resolve;
 *     its `write` throws "would block" past the send buffer: writes are queued and drained
 *     on onWritable; `read(n)` throws past what is buffered: reads take what is there.
 *   - Preference keys are at most 15 characters on the ESP32 (NVS): longer keys are folded.
 *   - Preference is imported at run time, never by this preloaded module (createStorage).
 */
import type { AppendLog, Clock, FirmwareSlots, FifoSamplerConstructor as HostFifoSamplerConstructor, DigitalConstructor, DigitalLine, Host, I2CLines, Listener, ListenerOptions, LogLevel, SerialConstructor, SMBus, SMBusConstructor, SMBusOptions, SocketCallbacks, Storage, TCPOptions, TCPSocket, TimerId, Timers, TlsMaterial, WifiStation } from "../../firmware/host.js";
import type SMBusIO from "embedded:io/smbus";
import TCP from "embedded:io/socket/tcp";
import ListenerIO from "embedded:io/socket/listener";
// mcconfig maps this specifier to the SDK's tlssocket.js for tsc (via `paths`), which hides the
// typings' declaration of the same module: without the ignore, the SDK build fails with TS7016.
// @ts-ignore
import TLSSocket from "embedded:io/socket/tcp/tls";
import Timer from "timer";
import Time from "time";
// Types only: the module is looked up when the host is made (createStorage), so that this
// preloaded module does not preload it: the SDK's lin Preference reads its file into a static
// cache while it loads, which preloading would freeze at build time (every save then fails).
import type PreferenceModule from "preference";
import Net from "net";
import { File } from "file";
import Modules from "modules";
import type { Settings } from "../../firmware/provision/settings.js";
import { secureOptions } from "./tls.js";
import fillRandom from "./random.js";
import { moddableCrypto } from "./crypto.js";
// Types only: the module itself is in esp32 builds alone and is looked up at run time (fifoSamplerClass).
import type { FifoSamplerConstructor as NativeFifoSamplerConstructor, FifoSamplerOptions } from "./fifo-sampler.js";
import type { BootReason } from "./boot-reason.js";

/** The wall clock counts as unset before this (2024-01-01T00:00:00Z): no SNTP yet. */
const WALL_VALID_FROM = 1_704_067_200_000;
const PREFERENCE_DOMAIN = "node";
const NVS_KEY_MAX = 15;

export interface I2CPins {
  data: number;
  clock: number;
  hz?: number;
  port?: number;
}

export interface ModdableHostOptions {
  /** I2C bus pins when the target has no `device.I2C.default` (the bare esp32 target has none). */
  i2c?: I2CPins;
  /** Replaces the hardware bus (the lin simulator uses the simulated bus of sim/bus.ts). */
  SMBus?: SMBusConstructor;
  /** Replaces device.io.Digital (simulated interrupt lines). */
  Digital?: DigitalConstructor;
  /** The FIFO sampler; default: the esp32 build's native module when the bus is the hardware one; null: none. */
  FifoSampler?: HostFifoSamplerConstructor | null;
  /** TLS options passed to the TLS socket as `secure` (e.g. `{ca}`; see the SDK's tlssocket). */
  tls?: Record<string, unknown>;
  /** Folder for append-only logs (the entries pass `config.file.root` from mc/config). */
  fileRoot: string;
  /** Preference domain for settings (at most 15 characters). */
  preferenceDomain?: string;
  /** Log sink; default `trace`. */
  log?: (level: LogLevel, message: string) => void;
  /** Called before System.restart() with the firmware's reason (main.ts stores the boot reason for the next boot). */
  beforeRestart?: (reason: string) => void;
  /** Replaces System.restart() (the lin build, whose `System` has none, boots the node again in place). */
  restart?: (reason: string) => void;
  /** The console UART (hosts/moddable/console.ts); absent: no Improv. */
  Serial?: SerialConstructor;
  /** The Wi-Fi station (hosts/moddable/wifi.ts); absent where the platform joins no network itself (lin). */
  wifi?: WifiStation;
  /** The factory-reset button (hosts/moddable/reset-button.ts). */
  watchResetButton?: (onHeld: () => void) => { close(): void };
  /** The host's timers, when the entry made them first (its console and Wi-Fi need them before the host). */
  timers?: ModdableTimers;
  /** Accept connections from 127.0.0.1 only (the lin build's setup page: its listener binds every interface). */
  loopbackOnly?: boolean;
  /** Updates over the air (the device entry): Host.firmware where the build maps hosts/moddable/firmware-slots (esp32). */
  ota?: FirmwareSlotsOptions;
}

/** What the ESP32's firmware slots need from the entry (hosts/moddable/firmware-slots.ts). */
export interface FirmwareSlotsOptions {
  /** The build's `otaKeys` (mc/config, from `sensor-node build esp32 otaKey=FILE`): base64 DER, comma-separated; empty: none, every update refused. */
  trustedKeys: string;
  /** This boot's reset cause: after a new image that did not confirm itself, why the boot loader went back. */
  boot: BootReason;
}

// ---------------------------------------------------------------- I2C / SMBus

// @moddable/typings 5.6.0 omits SMBus.close and types the constructor's options as a tuple; the SDK has both right.
type SMBusInstance = InstanceType<typeof SMBusIO> & { close(): void };
type SMBusIOConstructor = new (options: I2CPins & { address: number; hz: number }) => SMBusInstance;

class ModdableSMBus implements SMBus {
  readonly address: number;
  #io: SMBusInstance | undefined;

  constructor(io: SMBusInstance, address: number) {
    this.#io = io;
    this.address = address;
  }

  #bus(): SMBusInstance {
    if (!this.#io) throw new Error("smbus closed");
    return this.#io;
  }
  readUint8(register: number): number {
    return this.#bus().readUint8(register);
  }
  writeUint8(register: number, value: number): void {
    this.#bus().writeUint8(register, value);
  }
  readUint16(register: number, bigEndian?: boolean): number {
    return this.#bus().readUint16(register, bigEndian);
  }
  writeUint16(register: number, value: number, bigEndian?: boolean): void {
    this.#bus().writeUint16(register, value, bigEndian);
  }
  readBuffer(register: number, buffer: Uint8Array): void {
    // The SDK's SMBus fills a caller's buffer in place; copy if an implementation returns a new one.
    const result = this.#bus().readBuffer(register, buffer) as unknown;
    if (result instanceof ArrayBuffer) buffer.set(new Uint8Array(result, 0, Math.min(result.byteLength, buffer.byteLength)));
  }
  writeBuffer(register: number, buffer: Uint8Array): void {
    this.#bus().writeBuffer(register, buffer);
  }
  write(buffer: Uint8Array, stop?: boolean): void {
    this.#bus().write(buffer, stop);
  }
  read(buffer: Uint8Array, stop?: boolean): void {
    const result = this.#bus().read(buffer, stop) as unknown;
    if (result instanceof ArrayBuffer) buffer.set(new Uint8Array(result, 0, Math.min(result.byteLength, buffer.byteLength)));
  }
  close(): void {
    this.#io?.close();
    this.#io = undefined;
  }
}

// The ECMA-419 host provider (`device`, set up by the SDK's `system` module). SMBus is taken from
// `device.io`, not imported, because the lin simulator has no embedded:io/smbus module at all.
interface DigitalInstance {
  read(): number;
  write(value: 0 | 1): void;
  close(): void;
}
// Its statics and onReadable are those of the Host's DigitalConstructor: io.Digital is this class itself.
interface DigitalIOConstructor extends DigitalConstructor {
  new (options: { pin: number; mode: number }): DigitalInstance;
  readonly OutputOpenDrain: number;
}

interface Provider {
  io?: { SMBus?: SMBusIOConstructor; Digital?: DigitalIOConstructor };
  I2C?: { default?: I2CPins };
}
function provider(): Provider | undefined {
  return (globalThis as unknown as { device?: Provider }).device;
}

/** The host's SMBus class: device.io.SMBus on the target's default I2C pins, the driver's options (hz, port, pins) over them. */
function smbusClass(pins: I2CPins | undefined): SMBusConstructor {
  return class extends ModdableSMBus {
    constructor(o: SMBusOptions) {
      super(openSMBus(o, pins), o.address);
    }
  };
}

function openSMBus(o: SMBusOptions, pins: I2CPins | undefined): SMBusInstance {
  const SMBusIO = provider()?.io?.SMBus;
  if (!SMBusIO) throw new Error("no SMBus on this platform (device.io.SMBus)");
  const bus = provider()?.I2C?.default ?? pins;
  if (!bus) throw new Error("no I2C pins: set config i2c {data, clock} or use a target with device.I2C.default");
  return new SMBusIO({ ...bus, ...(o as Partial<I2CPins>), hz: o.hz ?? bus.hz ?? 400_000, address: o.address });
}

// ---------------------------------------------------------------- native FIFO sampler

/** Mapped by manifests/esp32.json on esp32 only (not by sim.json, nor on lin). */
const FIFO_SAMPLER_MODULE = "hosts/moddable/fifo-sampler";

/** The esp32 build's FifoSampler with the bus defaults of the host's SMBus (target pins, then config.i2c), or undefined. */
function fifoSamplerClass(pins: I2CPins | undefined): NativeFifoSamplerConstructor | undefined {
  if (!Modules.has(FIFO_SAMPLER_MODULE)) return undefined;
  const Native = Modules.importNow(FIFO_SAMPLER_MODULE) as NativeFifoSamplerConstructor;
  return class extends Native {
    constructor(o: FifoSamplerOptions) {
      const bus = provider()?.I2C?.default ?? pins;
      if (!bus) throw new Error("no I2C pins: set config i2c {data, clock} or use a target with device.I2C.default");
      const s = o.sensor;
      super({ ...o, sensor: { ...s, data: s.data ?? bus.data, clock: s.clock ?? bus.clock, port: s.port ?? bus.port, hz: s.hz ?? bus.hz ?? 400_000 } });
    }
  };
}

// ---------------------------------------------------------------- firmware slots (updates over the air)

/** Mapped by manifests/esp32.json on esp32 only, with the SDK's `ota` module and native/ota_state.c. */
const FIRMWARE_SLOTS_MODULE = "hosts/moddable/firmware-slots";
export type FirmwareSlotsFactory = (options: FirmwareSlotsOptions, log: (level: LogLevel, message: string) => void) => FirmwareSlots | undefined;

/** The ESP32's two app slots, or undefined: a build without the module (lin), or an entry that asks for none. */
function firmwareSlots(options: FirmwareSlotsOptions | undefined, log: (level: LogLevel, message: string) => void): FirmwareSlots | undefined {
  if (!options || !Modules.has(FIRMWARE_SLOTS_MODULE)) return undefined;
  return (Modules.importNow(FIRMWARE_SLOTS_MODULE) as FirmwareSlotsFactory)(options, log);
}

// ---------------------------------------------------------------- TCP / TLS

interface RawSocket {
  read(): ArrayBuffer | number | undefined | ArrayBufferLike;
  write(data: ArrayBuffer | Uint8Array): unknown;
  close(): unknown;
  readonly remoteAddress?: string;
}
/** An accepted connection before it has callbacks (what Listener.read() returns). */
type PendingConnection = InstanceType<typeof TCP>;

const IPV4 = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;
const LOOPBACK = "127.0.0.1";
/**
 * Room a TLS record takes besides its data, the SDK's own estimate (tlssocket.js reports
 * onWritable less 96). Without it a second write in a row can overrun the TCP socket's room,
 * which the SDK's TLS socket turns into a thrown "would block" and a dead connection.
 */
const TLS_RECORD_OVERHEAD = 96;

/** The SDK's TLS session cache (modules/crypt/ssl/ssl_cache.js): one entry, by host name. */
interface SessionCache {
  deleteSessionID(id?: unknown): void;
}
let sessionMaterial: TlsMaterial | undefined;

/**
 * The SDK resumes the last TLS session to a host name, and a resumed session keeps the
 * identity it was made with: after new trust or a new client certificate (or none), that
 * would be the old one. The cache is forgotten when the material differs from the last.
 */
function forgetSessionUnlessSame(tls: TlsMaterial | undefined): void {
  const last = sessionMaterial;
  sessionMaterial = tls;
  if (last === tls || (last && tls && last.ca === tls.ca && last.cert === tls.cert && last.key === tls.key)) return;
  if (Modules.has("ssl/cache")) (Modules.importNow("ssl/cache") as SessionCache).deleteSessionID();
}

type GuardedOptions = ConstructorParameters<typeof TCP>[0] & { onReadable?: (n: number) => void; onWritable?: (n: number) => void; onThrow: (error: unknown) => void };

/**
 * The SDK's TLS socket runs its handshake inside the TCP socket's callbacks, and a
 * refused certificate throws there ("certificate: auth err"): nothing catches it, and
 * XS aborts the whole machine (a reboot on the device, again at every attempt). The
 * TLS socket is given this TCP class instead, whose callbacks catch and report to `onThrow`.
 */
class GuardedTCP extends TCP {
  // The TLS socket passes its own options through (`new TCP.io({...options, onReadable, ...})`): `onThrow` arrives with them.
  constructor(options: GuardedOptions) {
    const guard = (f: ((n: number) => void) | undefined) =>
      f &&
      ((n: number) => {
        try {
          f(n);
        } catch (e) {
          options.onThrow(e);
        }
      });
    super({ ...options, onReadable: guard(options.onReadable), onWritable: guard(options.onWritable) } as never);
  }
}

/**
 * A TLS failure in words that name the cause (firmware/provision/link-errors.ts maps them to a
 * field). The SDK refuses a certificate that does not chain to the CA and one that does not name
 * the host with the same "certificate: auth err" (its name check reads DNS names only, not IP addresses).
 */
function tlsReason(error: unknown, host: string): string {
  const message = error instanceof Error ? error.message : String(error);
  if (/^certificate: auth err/.test(message)) return `TLS: the broker's certificate was refused: it does not chain to the CA, or does not name "${host}" (a DNS name) (${message})`;
  if (/^certificateVerify: unimplemented/.test(message)) return `TLS: the broker chose a key exchange for which the device cannot sign with its client certificate (allow ECDHE-RSA or RSA ciphers) (${message})`;
  return `TLS: ${message}`;
}

class ModdableTCPSocket implements TCPSocket {
  #options: TCPOptions;
  #tls: Record<string, unknown> | undefined;
  #socket: RawSocket | undefined;
  #closed = false;
  #writable = 0;
  #queue: Uint8Array[] = [];
  #rest: Uint8Array | undefined; // bytes read from the socket but not yet taken by `read(n)`

  /** Connects to options.host, or (`from`) takes over a connection a listener accepted. */
  constructor(options: TCPOptions, tls: Record<string, unknown> | undefined, from?: PendingConnection) {
    this.#options = options;
    this.#tls = tls;
    if (from) this.#open("", from);
    else if (IPV4.test(options.host)) this.#open(options.host);
    // RFC 6761 6.3: "localhost" is loopback, answered without DNS (the lin Net.resolve asks DNS only).
    else if (options.host.toLowerCase() === "localhost") this.#open(LOOPBACK);
    else {
      Net.resolve(options.host, (_name, address) => {
        if (this.#closed) return;
        if (!address) this.#fail(`cannot resolve ${options.host}`);
        else this.#open(address);
      });
    }
  }

  #open(address: string, from?: PendingConnection): void {
    const o = this.#options;
    const self = this;
    const callbacks = {
      onReadable(bytes: number) {
        if (!self.#closed) o.onReadable?.(bytes);
      },
      onWritable(bytes: number) {
        self.#writable = bytes;
        self.#drain();
        if (!self.#closed && self.#queue.length === 0) o.onWritable?.(self.#writable);
      },
      onError() {
        self.#fail("connection error");
      },
    };
    try {
      if (from) {
        this.#socket = new TCP({ from, ...callbacks } as never) as unknown as RawSocket;
      } else if (o.secure) {
        // The SDK's TLSSocket opens its own TCP socket from `TCP.io`; `host` is the TLS server name (SNI).
        // Provisioned material (o.tls) replaces the host's own trust settings, as the Host contract says.
        const provisioned = o.tls ? secureOptions(o.tls, clock.wall()) : undefined;
        if (provisioned instanceof Error) throw provisioned;
        forgetSessionUnlessSame(o.tls);
        const tlsOptions = { address, host: o.host, port: o.port, secure: provisioned ?? this.#tls ?? {}, TCP: { io: GuardedTCP }, onThrow: (e: unknown) => this.#fail(tlsReason(e, o.host)), ...callbacks };
        this.#socket = new TLSSocket(tlsOptions as never) as unknown as RawSocket;
      } else {
        this.#socket = new TCP({ address, port: o.port, nodelay: true, ...callbacks }) as unknown as RawSocket;
      }
    } catch (e) {
      this.#fail(e instanceof Error ? e.message : String(e));
    }
  }

  #fail(message: string): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#socket?.close();
    } catch {
      // already dead
    }
    this.#socket = undefined;
    this.#queue.length = 0;
    this.#options.onError?.(message);
  }

  #drain(): void {
    const socket = this.#socket;
    // Each TLS write is a record of its own: its header, MAC and padding take room besides the bytes.
    const overhead = this.#options.secure ? TLS_RECORD_OVERHEAD : 0;
    while (socket && this.#queue.length && this.#writable > overhead) {
      const room = this.#writable - overhead;
      let chunk = this.#queue[0];
      if (chunk.byteLength > room) {
        this.#queue[0] = chunk.subarray(room);
        chunk = chunk.subarray(0, room);
      } else this.#queue.shift();
      try {
        socket.write(chunk);
      } catch (e) {
        this.#fail(e instanceof Error ? e.message : String(e));
        return;
      }
      this.#writable -= chunk.byteLength + overhead;
    }
  }

  read(byteLength?: number): ArrayBuffer {
    let bytes = this.#rest;
    this.#rest = undefined;
    if (!bytes && this.#socket) {
      const got = this.#socket.read();
      if (got && typeof got === "object") bytes = new Uint8Array(got as ArrayBuffer);
    }
    if (!bytes) return new ArrayBuffer(0);
    if (byteLength !== undefined && byteLength < bytes.byteLength) {
      this.#rest = bytes.subarray(byteLength);
      bytes = bytes.subarray(0, byteLength);
    }
    return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
      ? (bytes.buffer as ArrayBuffer)
      : (bytes.slice().buffer as ArrayBuffer);
  }

  write(data: ArrayBuffer | Uint8Array): void {
    if (this.#closed) throw new Error("socket closed");
    const bytes = data instanceof Uint8Array ? data.slice() : new Uint8Array(data.slice(0));
    if (bytes.byteLength === 0) return;
    this.#queue.push(bytes);
    this.#drain();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue.length = 0;
    try {
      this.#socket?.close();
    } catch {
      // already closed by the peer
    }
    this.#socket = undefined;
  }
}

/** io.listen over the SDK's listener: each pending connection is taken with its callbacks by read(). */
class ModdableListener implements Listener {
  #io: (InstanceType<typeof ListenerIO> & { close(): void }) | undefined;
  #loopbackOnly: boolean;

  constructor(options: ListenerOptions, loopbackOnly: boolean) {
    this.#loopbackOnly = loopbackOnly;
    // @moddable/typings 5.6.0 omits Listener.close; the SDK has it.
    this.#io = new ListenerIO({ port: options.port, onReadable: (pending) => options.onReadable(pending) }) as InstanceType<typeof ListenerIO> & { close(): void };
  }

  get port(): number {
    return this.#io?.port ?? 0;
  }

  read(callbacks: SocketCallbacks): TCPSocket | undefined {
    for (;;) {
      const from = this.#io?.read();
      if (!from) return undefined;
      if (this.#loopbackOnly && from.remoteAddress !== LOOPBACK) {
        from.close();
        continue;
      }
      return new ModdableTCPSocket({ host: "", port: 0, ...callbacks }, undefined, from);
    }
  }

  close(): void {
    this.#io?.close();
    this.#io = undefined;
  }
}

// ---------------------------------------------------------------- timers and clock

/** Timer-module timers of the calling thread (the firmware's, or a Worker's own). */
export class ModdableTimers implements Timers {
  #next = 1;
  #timers = new Map<number, Timer>();

  set(callback: () => void, ms: number, repeat = 0): TimerId {
    const id = this.#next++;
    const timers = this.#timers;
    const t =
      repeat > 0
        ? Timer.set(() => callback(), Math.max(0, ms), repeat)
        : Timer.set(() => {
            timers.delete(id);
            callback();
          }, Math.max(0, ms));
    timers.set(id, t);
    return id;
  }

  clear(id: TimerId | undefined): void {
    if (id === undefined) return;
    const t = this.#timers.get(id);
    if (!t) return;
    this.#timers.delete(id);
    Timer.clear(t);
  }
}

export const clock: Clock = {
  now: () => Time.ticks,
  wall: () => {
    const t = Date.now();
    return t >= WALL_VALID_FROM ? t : undefined;
  },
};

// ---------------------------------------------------------------- storage

/** NVS keys are at most 15 characters: longer keys keep a prefix and a hash. */
function preferenceKey(key: string): string {
  if (key.length <= NVS_KEY_MAX) return key;
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193) >>> 0;
  return key.slice(0, NVS_KEY_MAX - 7) + "~" + (h >>> 8).toString(16).padStart(6, "0");
}

/** An append-only log in one file (LittleFS/SPIFFS on the device, the host's disk under lin). */
class FileAppendLog implements AppendLog {
  #path: string;

  constructor(path: string) {
    this.#path = path;
  }

  append(record: Uint8Array): void {
    const f = new File(this.#path, true);
    try {
      f.position = f.length;
      f.write(record.slice().buffer as ArrayBuffer);
    } finally {
      f.close();
    }
  }

  readAll(visit: (chunk: Uint8Array) => void): void {
    if (!File.exists(this.#path)) return;
    const f = new File(this.#path);
    try {
      const length = f.length;
      while (f.position < length) {
        const chunk = f.read(ArrayBuffer, Math.min(1024, length - f.position));
        visit(new Uint8Array(chunk));
      }
    } finally {
      f.close();
    }
  }

  size(): number {
    if (!File.exists(this.#path)) return 0;
    const f = new File(this.#path);
    try {
      return f.length;
    } finally {
      f.close();
    }
  }

  clear(): void {
    if (File.exists(this.#path)) File.delete(this.#path);
  }
}

function createStorage(domain: string, root: string): Storage {
  const Preference = Modules.importNow("preference") as typeof PreferenceModule;
  return {
    get(key) {
      const v = Preference.get(domain, preferenceKey(key));
      return typeof v === "string" ? v : v === undefined ? undefined : String(v);
    },
    set(key, value) {
      Preference.set(domain, preferenceKey(key), value);
    },
    delete(key) {
      Preference.delete(domain, preferenceKey(key));
    },
    openLog(name) {
      const safe = name.replace(/[^A-Za-z0-9_.-]/g, "_");
      return new FileAppendLog(root + (root.endsWith("/") ? "" : "/") + "sn_" + safe + ".log");
    },
  };
}

// ---------------------------------------------------------------- host

function macAddress(): string {
  try {
    const mac = Net.get("MAC");
    if (mac) return mac.toLowerCase();
  } catch {
    // no network interface (some simulator builds)
  }
  return "000000000000";
}

function traceLog(level: LogLevel, message: string): void {
  trace(`[${level}] ${message}\n`);
}

/** The firmware's Host on Moddable (io.FifoSampler on esp32 builds only). */
export function createModdableHost(options: ModdableHostOptions): Host {
  const log = options.log ?? traceLog;
  const pins = options.i2c;
  const timers = options.timers ?? new ModdableTimers();
  const storage = createStorage(options.preferenceDomain ?? PREFERENCE_DOMAIN, options.fileRoot);
  return {
    io: {
      SMBus: options.SMBus ?? smbusClass(pins),
      Digital: options.Digital ?? provider()?.io?.Digital,
      // The native one never beside an injected SMBus: a native task cannot reach a bus that lives in XS.
      FifoSampler: options.FifoSampler === null ? undefined : (options.FifoSampler ?? (options.SMBus ? undefined : fifoSamplerClass(pins))),
      tcp(o: TCPOptions): TCPSocket {
        return new ModdableTCPSocket(o, options.tls);
      },
      listen: (o: ListenerOptions): Listener => new ModdableListener(o, options.loopbackOnly === true),
      Serial: options.Serial,
      // Bus recovery drives SDA and SCL as open-drain Digital pins; the app closes every SMBus first.
      i2cLines: options.SMBus
        ? undefined
        : (): I2CLines => {
            const Digital = provider()?.io?.Digital;
            const bus = provider()?.I2C?.default ?? pins;
            if (!Digital || !bus) throw new Error("no Digital IO or I2C pins for bus recovery");
            const line = (pin: number): DigitalInstance & DigitalLine => {
              const io = new Digital({ pin, mode: Digital.OutputOpenDrain });
              io.write(1);
              return { read: () => (io.read() ? 1 : 0), write: (v: 0 | 1) => io.write(v), close: () => io.close() };
            };
            const sda = line(bus.data);
            const scl = line(bus.clock);
            return {
              sda,
              scl,
              close() {
                sda.close();
                scl.close();
              },
            };
          },
    },
    timers,
    clock,
    storage,
    wifi: options.wifi,
    hardwareId: macAddress().replace(/:/g, ""),
    crypto: moddableCrypto,
    firmware: firmwareSlots(options.ota, log),
    fillRandom,
    watchResetButton: options.watchResetButton,
    log,
    restart(reason: string): void {
      log("warn", `restart: ${reason}`);
      try {
        options.beforeRestart?.(reason);
      } finally {
        if (options.restart) options.restart(reason);
        else System.restart();
      }
    },
  };
}

/**
 * The build-time `mc/config` values of our manifests as the field node's settings
 * (firmware/provision/settings.ts): defaults under what is provisioned. `broker` is
 * "host", "host:port" or "mqtt[s]://host[:port]"; an empty value is no setting.
 */
export function settingsFromMc(mc: Record<string, unknown>): Settings {
  const text = (key: string): string | undefined => (typeof mc[key] === "string" && mc[key] !== "" ? (mc[key] as string) : undefined);
  const out: Settings = {};
  const broker = text("broker");
  if (broker !== undefined) out.broker = broker.includes("://") ? broker : `mqtt://${broker}`;
  const ssid = text("ssid");
  if (ssid !== undefined) {
    out.ssid = ssid;
    out.password = text("password") ?? "";
  }
  out.nodeId = text("nodeId");
  out.mqttUser = text("mqttUser");
  out.mqttPassword = text("mqttPassword");
  for (const k of Object.keys(out) as (keyof Settings)[]) if (out[k] === undefined) delete out[k];
  return out;
}

/**
 * The build's configuration document under the field node's settings: the topic
 * prefix and, e.g. "hil" in manifests/hil.json (docs/hil.md), the accelerometer.
 */
export function nodeConfigFromMc(mc: Record<string, unknown>): Record<string, unknown> {
  const partial: Record<string, unknown> = {};
  if (typeof mc.prefix === "string" && mc.prefix) partial.mqtt = { prefix: mc.prefix };
  if (typeof mc.accelerometer === "string" && mc.accelerometer) partial.accelerometer = { kind: mc.accelerometer };
  return partial;
}
