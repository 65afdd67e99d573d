/*
 * The Improv Wi-Fi service on the node's serial console (docs/provisioning.md,
 * "Serial (Improv Wi-Fi)"): answers RPC commands from a client (ESP Web Tools,
 * Home Assistant, `sensor-node provision`) with the packets the spec names.
 *
 *   Wi-Fi settings   -> error none, state provisioning, then state provisioned
 *                       and a result with the redirect URL; or error "unable to
 *                       connect" and state ready (still provisionable)
 *   current state    -> the state; when provisioned, a result with the redirect URL
 *   device info      -> a result: firmware, version, chip, name (and more)
 *   scan             -> one result per network (ssid, rssi, "YES"/"NO"), then an empty one
 *
 * A packet with a bad checksum, or RPC data whose length byte is wrong, gets
 * "invalid RPC packet"; a command it does not know gets "unknown RPC command";
 * nothing a client sends can throw out of here. Packets of the node-to-client
 * types are ignored (answering an echo of its own output would loop). One send
 * buffer; the Wi-Fi password is handed to the target and never logged.
 */
import type { LogLevel, Serial, SerialConstructor, WifiNetwork } from "../host.js";
import {
  DATA_OFFSET,
  ImprovError,
  ImprovState,
  MAX_PACKET,
  PacketParser,
  PacketType,
  readRpc,
  readStrings,
  RpcCommand,
  sealPacket,
  writeRpcStrings,
} from "./improv-codec.js";
import type { ImprovTarget } from "./improv-target.js";

/** Improv's serial speed (ESP Web Tools opens the port at 115200). */
export const IMPROV_BAUD = 115200;

export interface ImprovServiceOptions {
  /** The host's serial class (host.io.Serial). */
  serial: SerialConstructor;
  target: ImprovTarget;
  log?: (level: LogLevel, message: string) => void;
  /** The UART and its pins, where the host has a choice. */
  port?: number;
  receive?: number | string;
  transmit?: number | string;
}

export class ImprovService {
  #options: ImprovServiceOptions;
  #serial: Serial | undefined;
  #parser: PacketParser;
  #send = new Uint8Array(MAX_PACKET);
  /** A Wi-Fi attempt or a scan is under way (the radio does one thing at a time). */
  #connecting = false;
  #scanning = false;
  /** Bumped by stop(): answers to requests of an earlier run are dropped. */
  #run = 0;

  constructor(options: ImprovServiceOptions) {
    this.#options = options;
    this.#parser = new PacketParser(
      (type, data) => this.#packet(type, data),
      () => this.#error(ImprovError.InvalidRpc),
    );
  }

  /** Improv's current state: ready, provisioning (a Wi-Fi attempt under way) or provisioned. */
  get state(): number {
    if (this.#connecting) return ImprovState.Provisioning;
    return this.#options.target.provisioned ? ImprovState.Provisioned : ImprovState.Ready;
  }

  start(): void {
    if (this.#serial) return;
    const o = this.#options;
    this.#serial = new o.serial({
      baud: IMPROV_BAUD,
      port: o.port,
      receive: o.receive,
      transmit: o.transmit,
      format: "buffer",
      onReadable: () => this.#readable(),
    });
  }

  stop(): void {
    this.#run++;
    this.#connecting = false;
    this.#scanning = false;
    this.#parser.reset();
    this.#serial?.close();
    this.#serial = undefined;
  }

  #readable(): void {
    for (;;) {
      const bytes = this.#serial?.read();
      if (bytes === undefined || bytes.byteLength === 0) return;
      this.#parser.push(new Uint8Array(bytes));
    }
  }

  #packet(type: number, data: Uint8Array): void {
    if (type !== PacketType.Rpc) return;
    const rpc = readRpc(data);
    if ("error" in rpc) return this.#error(rpc.error);
    switch (rpc.command) {
      case RpcCommand.WifiSettings:
        return this.#wifiSettings(data, rpc.start, rpc.end);
      case RpcCommand.CurrentState:
        this.#error(ImprovError.None);
        this.#sendState();
        if (this.state === ImprovState.Provisioned) this.#result(RpcCommand.CurrentState, [this.#options.target.redirectUrl()]);
        return;
      case RpcCommand.DeviceInfo: {
        this.#error(ImprovError.None);
        const info = this.#options.target.deviceInfo();
        const strings = [info.firmware, info.version, info.chip, info.name];
        if (info.more) for (let i = 0; i < info.more.length; i++) strings.push(info.more[i]);
        return this.#result(RpcCommand.DeviceInfo, strings);
      }
      case RpcCommand.ScanNetworks:
        return this.#scan();
      default:
        return this.#error(ImprovError.UnknownRpc);
    }
  }

  #wifiSettings(data: Uint8Array, start: number, end: number): void {
    const strings = readStrings(data, start, end);
    // Exactly ssid and password; an ssid is 1 to 32 bytes (IEEE 802.11).
    if (strings === undefined || strings.length !== 2 || strings[0] === "" || data[start] > 32) return this.#error(ImprovError.InvalidRpc);
    if (this.#connecting || this.#scanning) return this.#error(ImprovError.Unknown);
    const ssid = strings[0];
    const log = this.#options.log;
    this.#error(ImprovError.None);
    this.#connecting = true;
    this.#sendState();
    log?.("info", `improv: Wi-Fi settings received, joining "${ssid}"`);
    const run = this.#run;
    this.#options.target.connectWifi(ssid, strings[1], (error) => {
      if (run !== this.#run) return;
      this.#connecting = false;
      if (error !== undefined) {
        log?.("warn", `improv: cannot join "${ssid}": ${error}`);
        this.#error(ImprovError.UnableToConnect);
        return this.#sendState();
      }
      log?.("info", `improv: joined "${ssid}"`);
      this.#sendState();
      this.#result(RpcCommand.WifiSettings, [this.#options.target.redirectUrl()]);
    });
  }

  #scan(): void {
    if (this.#connecting || this.#scanning) return this.#error(ImprovError.Unknown);
    this.#error(ImprovError.None);
    this.#scanning = true;
    const run = this.#run;
    this.#options.target.scan((network: WifiNetwork | null) => {
      if (run !== this.#run) return;
      if (network === null) {
        this.#scanning = false;
        return this.#result(RpcCommand.ScanNetworks, []);
      }
      this.#result(RpcCommand.ScanNetworks, [network.ssid, String(Math.round(network.rssi)), network.secure ? "YES" : "NO"]);
    });
  }

  #sendState(): void {
    this.#send[DATA_OFFSET] = this.state;
    this.#write(PacketType.CurrentState, 1);
  }

  #error(code: number): void {
    this.#send[DATA_OFFSET] = code;
    this.#write(PacketType.ErrorState, 1);
  }

  #result(command: number, strings: readonly string[]): void {
    const length = writeRpcStrings(this.#send, command, strings);
    if (length < 0) return this.#error(ImprovError.Unknown); // longer than a packet holds
    this.#write(PacketType.RpcResult, length);
  }

  #write(type: number, length: number): void {
    const size = sealPacket(this.#send, type, length);
    this.#serial?.write(this.#send.subarray(0, size));
  }
}

/** Starts Improv on the host's console UART; undefined where the host has none. */
export function startImprov(
  io: { Serial?: SerialConstructor },
  target: ImprovTarget,
  log?: (level: LogLevel, message: string) => void,
): ImprovService | undefined {
  if (!io.Serial) return undefined;
  const service = new ImprovService({ serial: io.Serial, target, log });
  service.start();
  return service;
}
