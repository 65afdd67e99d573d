/*
 * The Host: the firmware's only door to the outside world.
 *
 * Shapes follow ECMA-419 (IO classes built from option objects, onReadable /
 * onWritable / onError callbacks, read/write on ArrayBuffer views) so that
 * hosts/moddable is a thin pass-through to the Moddable SDK and hosts/node
 * can simulate every part. Firmware code imports types from here only.
 */

export type BufferLike = ArrayBuffer | Uint8Array;

/** ECMA-419 SMBus (a register-oriented I2C device at one address). Errors (NACK, bus fault) throw. */
export interface SMBus {
  readonly address: number;
  readUint8(register: number): number;
  writeUint8(register: number, value: number): void;
  readUint16(register: number, bigEndian?: boolean): number;
  writeUint16(register: number, value: number, bigEndian?: boolean): void;
  /** Burst read starting at `register` (auto-increment is the device's business). Fills `buffer`. */
  readBuffer(register: number, buffer: Uint8Array): void;
  writeBuffer(register: number, buffer: Uint8Array): void;
  /** Plain I2C transfers, for devices with command words rather than registers (SHT3x). */
  write(buffer: Uint8Array, stop?: boolean): void;
  read(buffer: Uint8Array, stop?: boolean): void;
  close(): void;
}

/**
 * ECMA-419 SMBus options. Drivers spread their `sensor` options into them (the
 * SDK's Sensor Class Pattern: `new sensor.io({address, ...sensor})`), so any I2C
 * option a host knows (`port`, `data`, `clock` pins) passes through untouched.
 */
export interface SMBusOptions {
  address: number;
  /** Bus clock; the default is the host's configured bus speed. */
  hz?: number;
  /** I2C port and pins, where the host has more than one bus (ignored by the simulator). */
  port?: number;
  data?: number | string;
  clock?: number | string;
}

/** ECMA-419 IO class: `new host.io.SMBus({address, ...})`, as `device.io.SMBus` on Moddable. */
export interface SMBusConstructor {
  new (options: SMBusOptions): SMBus;
}

/** ECMA-419 Digital, as an input: read() the level; onReadable fires on the configured edge. */
export interface Digital {
  read(): 0 | 1;
  close(): void;
}

export interface DigitalOptions {
  /** GPIO number (or a host's pin name). */
  pin: number | string;
  /** One of the class's modes (Digital.Input, InputPullUp, InputPullDown). */
  mode: number;
  /** Digital.Rising, Digital.Falling, or both ORed; with onReadable. */
  edge?: number;
  /** Called (from the event loop, not an ISR) after the edge. */
  onReadable?: () => void;
}

/** ECMA-419 Digital IO class, with its mode and edge constants (the values are the host's). */
export interface DigitalConstructor {
  new (options: DigitalOptions): Digital;
  readonly Input: number;
  readonly InputPullUp: number;
  readonly InputPullDown: number;
  readonly Rising: number;
  readonly Falling: number;
}

/** ECMA-419 TCP socket. `onWritable` first fires when the connection is established. */
export interface TCPSocket {
  /** Returns up to `byteLength` bytes (all available if omitted); empty when nothing is buffered. */
  read(byteLength?: number): ArrayBuffer;
  /** Queues a copy of the bytes for sending: the caller may reuse its buffer on return (ECMA-419; the MQTT client does). Throws if the socket is closed. */
  write(data: BufferLike): void;
  close(): void;
}

/** A socket's callbacks (ECMA-419): the same for a connection opened (`io.tcp`) and one accepted (`Listener.read`). */
export interface SocketCallbacks {
  onReadable?: (bytes: number) => void;
  /** First fires once the connection is established (at once for an accepted one), then whenever room frees up. */
  onWritable?: (bytes: number) => void;
  /** Connection failed, was reset, or was closed by the peer. The socket is dead afterwards. */
  onError?: (message: string) => void;
}

/**
 * TLS material the firmware provisioned (docs/provisioning.md), PEM text: the CA(s)
 * to verify the broker with, and a client certificate and key for mTLS. A host
 * passes it to its TLS socket instead of (not merged with) its own trust settings.
 */
export interface TlsMaterial {
  ca?: string;
  cert?: string;
  key?: string;
}

export interface TCPOptions extends SocketCallbacks {
  host: string;
  port: number;
  /** Use TLS (certificate checks are the host's business, configured per host). */
  secure?: boolean;
  /** With `secure`: provisioned trust; absent, the host's own (its configured CA files or store). */
  tls?: TlsMaterial;
}

/** ECMA-419 Listener (`embedded:io/socket/listener`): TCP connections coming in on a port. */
export interface Listener {
  /** The port it listens on (a simulator host may map the firmware's port to a free loopback port). */
  readonly port: number;
  /**
   * Takes the next pending connection, with its callbacks (ECMA-419: `new TCP({from: listener.read(), ...})`);
   * undefined when none is pending.
   */
  read(callbacks: SocketCallbacks): TCPSocket | undefined;
  close(): void;
}

export interface ListenerOptions {
  port: number;
  /** Connections are pending (their number); take them with read(). */
  onReadable: (pending: number) => void;
}

/** One open-drain I2C line driven directly (bus recovery): write(1) releases it to the pull-up, write(0) pulls it low. */
export interface DigitalLine {
  read(): 0 | 1;
  write(level: 0 | 1): void;
}

/** Direct control of SDA and SCL while no I2C transfer runs; close() hands the pins back to the I2C controller. */
export interface I2CLines {
  sda: DigitalLine;
  scl: DigitalLine;
  close(): void;
}

export type TimerId = number;

export interface Timers {
  /** Calls `callback` after `ms`; with `repeat` > 0, again every `repeat` ms until cleared. */
  set(callback: () => void, ms: number, repeat?: number): TimerId;
  clear(id: TimerId | undefined): void;
}

export interface Clock {
  /** Monotonic milliseconds since an arbitrary origin (fractional allowed). */
  now(): number;
  /** Wall time in ms since the Unix epoch, or undefined while the clock is not set. */
  wall(): number | undefined;
}

/** A durable append-only log of records (flash spool on the device, a file in the simulator). */
export interface AppendLog {
  append(record: Uint8Array): void;
  /** Calls `visit` for each stored byte chunk from the beginning, in order. */
  readAll(visit: (chunk: Uint8Array) => void): void;
  size(): number;
  clear(): void;
}

/** Durable key/value settings (Preference on the device, a JSON file in the simulator). */
export interface Storage {
  get(key: string): string | undefined;
  set(key: string, value: string): void;
  delete(key: string): void;
  openLog(name: string): AppendLog;
}

export type LogLevel = "debug" | "info" | "warn" | "error";

/**
 * Work the firmware has just done, in the units its cost is counted in (docs/host.md,
 * "CPU time"): FIFO samples read ("fifo", per x/y/z sample stored as the part's int16
 * counts; "fifoDecode", per sample the driver decodes to g: the ADXL355's 20 bits), one
 * axis of one window's features ("features", samples in the window), a monitor
 * evaluation ("monitor", 1), payload bytes serialised ("payload"), packet bytes encoded
 * and handed to the socket ("publish"), record bytes written to the flash spool
 * ("store"), one axis of a window's bearing diagnostics ("envelope", samples in the window);
 * TLS records either way ("tlsRecord", 1 each) and their bytes ("tls"): the
 * platform's TLS socket, charged by the host, not the firmware.
 */
export type CpuWork = "fifo" | "fifoDecode" | "features" | "envelope" | "monitor" | "payload" | "publish" | "store" | "tls" | "tlsRecord";

/** A simulated host's CPU: charges reported work to the node's time. Device hosts have none (the work takes its own time). */
export interface CpuMeter {
  charge(work: CpuWork, units: number): void;
  /** What `units` of `work` take on this CPU, ms (the acquisition's configuration check asks; firmware/acquisition/budget.ts). */
  cost?(work: CpuWork, units: number): number;
}

/**
 * How to drain one accelerometer's FIFO over SMBus: data only (frozen), provided by
 * each FIFO driver as `program` and executed by a FifoSampler on the sampler's own
 * core (docs/host.md, "FIFO sampler"). One poll:
 *
 * 1. Level: read `levelBytes` bytes from `levelRegister` (one transfer);
 *    level = floor((byte[levelOffset] & levelMask) / levelDivisor) samples.
 * 2. Overrun: if `overrun` is given and (not `whenFull` or level >= depth), the bit
 *    `mask` of byte `offset` of the level transfer, or of `register` read with
 *    readUint8 when `register` is given. An overrun means the FIFO is full: level = depth.
 * 3. Data: level samples of `sampleBytes` raw bytes from `dataRegister`, in bursts
 *    of at most `samplesPerRead` samples (one readBuffer per burst).
 *
 * ADXL345: FIFO_STATUS 0x39 & 0x3F, INT_SOURCE 0x30 bit 0 only when full, 1 burst of
 * 6 bytes per entry from 0x32. LIS3DH: FIFO_SRC 0x2F & 0x1F, OVRN 0x40 in the same
 * byte, the whole level in one burst from 0xA8 (auto-increment). ADXL355: STATUS 0x04
 * and FIFO_ENTRIES in one 2-byte transfer, entries (byte 1 & 0x7F) / 3 axes, FIFO_OVR
 * 0x04 in byte 0, the whole level in one burst of 9-byte sets from FIFO_DATA 0x11.
 */
export interface FifoProgram {
  readonly levelRegister: number;
  /** Bytes read from levelRegister in one transfer (1, or 2 for STATUS + FIFO_ENTRIES). */
  readonly levelBytes: number;
  /** Which of those bytes holds the level (0 unless levelBytes > 1). */
  readonly levelOffset: number;
  readonly levelMask: number;
  /** FIFO entries per sample (3 when the part counts axis entries: ADXL355; else 1). */
  readonly levelDivisor: number;
  readonly overrun?: {
    /** A register of its own (read with readUint8); absent: byte `offset` of the level transfer. */
    readonly register?: number;
    readonly offset?: number;
    readonly mask: number;
    /** Read only when level >= depth (only a full FIFO can have overrun; reading it may clear it). */
    readonly whenFull?: boolean;
  };
  readonly dataRegister: number;
  /** Raw bytes per x, y, z sample (the ring's unit). */
  readonly sampleBytes: number;
  /** Samples per data burst: 1 when each entry needs its own transfer (ADXL345), else up to depth. */
  readonly samplesPerRead: number;
  /** FIFO depth, samples. */
  readonly depth: number;
  /**
   * Each sample is x, y, z as little-endian int16 in units of the driver's lsbG (ADXL345,
   * LIS3DH): the firmware stores them as counts without decoding to g and back.
   */
  readonly int16Counts?: boolean;
}

export interface FifoSamplerOptions {
  /** The part's SMBus options and class: the sampler opens its own instance (`new sensor.io(sensor)`). */
  sensor: SMBusOptions & { io: SMBusConstructor };
  program: FifoProgram;
  /** Samples the ring holds (RAM: capacity x program.sampleBytes bytes). */
  capacity: number;
  /** Poll period, ms, without an interrupt (half the FIFO's fill time). */
  pollMs: number;
  /** The part's output data rate, Hz: how many samples an overrun lost, from the time since the last drain. */
  odr: number;
  /** The watermark line: drain on its rising edge instead of polling (hosts may ignore it and poll). */
  interrupt?: { io: DigitalConstructor; pin: number | string; mode?: number };
  /** Samples are waiting in the ring: called on the firmware's own thread (never from the sampler's core), coalesced. */
  onReadable: (samples: number) => void;
  /**
   * A transfer failed (NACK, stuck bus): called on the firmware's own thread, once per run of
   * failures (again only after a drain succeeded), with the SMBus's error. The sampler keeps polling.
   */
  onError?: (error: Error) => void;
}

/**
 * A FIFO sampler: native code on the ESP32's second core (a simulated core in the
 * simulator) that executes a FifoProgram into a ring of raw samples; the firmware
 * reads the ring. When the ring is full the oldest samples are overwritten (lost).
 */
export interface FifoSampler {
  /**
   * Moves up to maxSamples whole samples (sampleBytes raw bytes each, oldest first)
   * into `into`; returns how many. Takes a snapshot: `available`, `newestAt` and
   * `lost` describe the ring as this read left it.
   */
  read(into: Uint8Array, maxSamples: number): number;
  /** Samples still in the ring after the last read(). */
  readonly available: number;
  /** Monotonic ms when the newest sample in the ring was taken (at the last read()). */
  readonly newestAt: number;
  /** Samples lost since open (FIFO overrun or ring full), at the last read(). */
  readonly lost: number;
  close(): void;
}

export interface FifoSamplerConstructor {
  new (options: FifoSamplerOptions): FifoSampler;
}

/**
 * ECMA-419 Serial (`embedded:io/serial`): the node's console UART (the USB UART on
 * the ESP32; a pseudo-terminal in the simulator). Bytes in, bytes out; what nobody
 * is listening for on the other end is lost, as on a wire.
 */
export interface Serial {
  /** Up to `byteLength` received bytes (all buffered if omitted); undefined when none are buffered. */
  read(byteLength?: number): ArrayBuffer | undefined;
  /** Queues a copy of the bytes for sending (the caller may reuse its buffer on return). */
  write(data: BufferLike): void;
  close(): void;
}

export interface SerialOptions {
  /** Bits per second (Improv uses 115200). */
  baud: number;
  /** UART number and pins where the host has a choice (the simulator has one port and ignores them). */
  port?: number;
  receive?: number | string;
  transmit?: number | string;
  /** ECMA-419: "buffer" makes read() return ArrayBuffers (the only format the firmware uses). */
  format?: "buffer";
  /** Bytes are waiting (called from the event loop, on the firmware's own thread). */
  onReadable?: (bytes: number) => void;
}

export interface SerialConstructor {
  new (options: SerialOptions): Serial;
}

/** A Wi-Fi network in range, as a scan reports it. */
export interface WifiNetwork {
  readonly ssid: string;
  /** Signal strength, dBm. */
  readonly rssi: number;
  /** A password is needed (WPA2); false for an open network. */
  readonly secure: boolean;
}

/**
 * The Wi-Fi station: the SDK's `wifi` module on the device, simulated networks in
 * the simulator (sim/wifi.ts). Every request ends: a scan with `null`, a connect
 * with exactly one call of `done`, never a hang.
 */
export interface WifiStation {
  /** Calls `visit` once per network in range, then once with null (as the SDK's WiFi.scan does). */
  scan(visit: (network: WifiNetwork | null) => void): void;
  /**
   * Joins `ssid` ("" password: an open network). `done()` once the station has an
   * address; `done(reason)` when it cannot (a wrong password, no such network). The
   * reason never contains the password. A new connect ends a pending one with a reason.
   */
  connect(ssid: string, password: string, done: (error?: string) => void): void;
  /** The station's IP address while connected, else undefined. */
  readonly address: string | undefined;
  /**
   * Opens the node's own access point (WPA2, beside the station) for its setup page,
   * or closes it (null). Returns the node's address on it; undefined when it could
   * not be opened (the reason is logged). Absent where the host has no radio of its own.
   */
  accessPoint?(settings: AccessPointSettings | null): string | undefined;
}

export interface AccessPointSettings {
  /** The network's name (`sensor-node-XXXX`). */
  ssid: string;
  /** WPA2 passphrase, 8-63 characters (the setup key). */
  passphrase: string;
}

/** A running SHA-256: update() chunks of any size, then digest() once (32 bytes). */
export interface Sha256Digest {
  update(bytes: Uint8Array): void;
  digest(): Uint8Array;
}

/**
 * The platform's native cryptography, for verifying update packages (docs/ota.md):
 * the SDK's Crypt.Digest and ECDSA on the device. Absent, the firmware uses its own
 * ECMAScript (firmware/crypto), as the simulator does.
 */
export interface HostCrypto {
  sha256(): Sha256Digest;
  /**
   * ECDSA P-256 of a SHA-256 `digest`: `spki` a DER SubjectPublicKeyInfo, `signature`
   * raw r || s (64 bytes). False for a mismatch and for any malformed input, never a throw.
   */
  verifyP256(spki: Uint8Array, digest: Uint8Array, signature: Uint8Array): boolean;
}

/**
 * Writes the image into the slot that is not running (docs/ota.md). Nothing it
 * writes boots until complete(); a power cut before that leaves the running
 * image the boot image.
 */
export interface SlotWriter {
  /** Appends payload bytes (any size; the caller's buffer may be reused on return). Throws on a flash error. */
  write(bytes: Uint8Array): void;
  /** The image is whole and verified: boot it next, on probation (ESP-IDF: pending verify). Throws when it cannot. */
  complete(): void;
  /** Abandons what was written; the running image stays the boot image. */
  cancel(): void;
}

/**
 * The node's two firmware slots and the boot loader's rollback (ESP-IDF app
 * rollback on the device, sim/flash.ts in the simulator). An image booted after
 * an update runs on probation until markValid(); a restart before that boots
 * the previous image again.
 */
export interface FirmwareSlots {
  /** What a package must be built for ("esp32", "sim"). */
  readonly target: "esp32" | "sim";
  /** The largest image the other slot takes, bytes. */
  readonly slotBytes: number;
  /** The running image's trusted update keys: base64 DER SPKI, comma-separated (its build's `otaKeys`). */
  readonly trustedKeys: string;
  /** The running slot's label (ota_0, ota_1). */
  readonly runningSlot: string;
  /** The running image booted after an update and is not yet confirmed. */
  readonly pendingVerify: boolean;
  /** Why the boot loader went back to this image, when the host knows (the simulator: the new image's exception). */
  readonly rollbackReason?: string;
  /** Opens the other slot for an image of `size` bytes (erasing as it goes). Throws when it cannot. */
  begin(size: number): SlotWriter;
  /** Confirms the running image: no rollback any more. */
  markValid(): void;
  /** Gives up on the running (unconfirmed) image: boots the previous one now. Does not return on the device. */
  rollback(reason: string): void;
}

export interface Host {
  /**
   * I2C and GPIO are ECMA-419 IO classes (drivers construct them from their options, as the
   * Moddable SDK's drivers do); a socket is opened by a function that picks TCP or TLS.
   */
  readonly io: {
    SMBus: SMBusConstructor;
    /** GPIO inputs (sensor interrupt lines); absent where the host has none. */
    Digital?: DigitalConstructor;
    tcp(options: TCPOptions): TCPSocket;
    /** Raw access to the I2C lines for bus recovery (ECMA-419 Digital, open drain); absent where the host cannot. */
    i2cLines?(): I2CLines;
    /** A FIFO sampler on a core of its own (docs/host.md, "FIFO sampler"); absent: the acquisition polls the FIFO itself. */
    FifoSampler?: FifoSamplerConstructor;
    /** Listens for TCP connections (the setup page, docs/provisioning.md); absent where the host serves nothing. */
    listen?(options: ListenerOptions): Listener;
    /** The console UART (Improv Wi-Fi provisioning, docs/provisioning.md); absent where the host has none. */
    Serial?: SerialConstructor;
  };
  readonly timers: Timers;
  readonly clock: Clock;
  readonly storage: Storage;
  /** The Wi-Fi station, where the host joins networks itself (the device; simulated networks in the simulator). */
  readonly wifi?: WifiStation;
  /** A stable identifier of the hardware (MAC address on the device). */
  readonly hardwareId: string;
  /** Uniform random numbers in [0, 1) for backoff jitter; the simulator seeds it so runs repeat (default Math.random). */
  random?(): number;
  /** Native SHA-256 and ECDSA P-256 (update verification); absent: firmware/crypto's ECMAScript. */
  readonly crypto?: HostCrypto;
  /** The firmware slots for updates over the air (docs/ota.md); absent where the host cannot update itself. */
  readonly firmware?: FirmwareSlots;
  /** Fills `bytes` from a cryptographically strong source (the setup key); absent: Math.random, which is not. */
  fillRandom?(bytes: Uint8Array): void;
  /**
   * The factory-reset button: `onHeld` is called once each time it has been held long
   * enough (the ESP32's BOOT button, 10 s; docs/provisioning.md). Absent where there is none.
   */
  watchResetButton?(onHeld: () => void): { close(): void };
  log(level: LogLevel, message: string): void;
  /** The simulator's CPU model (absent on the device and with `--cpu free`). */
  readonly cpu?: CpuMeter;
  /** Reboots the node (the simulator restarts the firmware in place). */
  restart(reason: string): void;
}
