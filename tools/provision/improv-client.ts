/*
 * The client side of Improv Wi-Fi over serial (docs/provisioning.md, "Serial
 * (Improv Wi-Fi)"), over any byte port: `sensor-node provision` opens a serial
 * port with the serialport package (serial-port.ts); tests may pass their own.
 * The packets are the firmware's own codec (firmware/provision/improv-codec.ts),
 * read in reverse: RPC commands out, states, errors and results in. One command
 * at a time, as the spec's clients do.
 */
import {
  ImprovError,
  ImprovState,
  MAX_PACKET,
  PacketParser,
  PacketType,
  readStrings,
  RpcCommand,
  sealPacket,
  writeRpcStrings,
} from "../../firmware/provision/improv-codec.js";

/** A byte port: what the client writes, and a way to hear what comes back. */
export interface BytePort {
  write(bytes: Uint8Array): void;
  onData(listener: (bytes: Uint8Array) => void): void;
}

/** What the node answered with an Improv error state (its own words: "unable to connect", ...). */
export class ImprovDeviceError extends Error {
  constructor(readonly code: number) {
    super(errorName(code));
    this.name = "ImprovDeviceError";
  }
}

/** No answer in time: the ceiling of a wait for an event, not a pace. */
export class ImprovTimeout extends Error {}

export function errorName(code: number): string {
  switch (code) {
    case ImprovError.InvalidRpc:
      return "invalid RPC packet";
    case ImprovError.UnknownRpc:
      return "unknown RPC command";
    case ImprovError.UnableToConnect:
      return "unable to connect";
    default:
      return `unknown error (0x${code.toString(16).padStart(2, "0")})`;
  }
}

export function stateName(state: number): string {
  return state === ImprovState.Ready ? "ready" : state === ImprovState.Provisioning ? "provisioning" : state === ImprovState.Provisioned ? "provisioned" : `state 0x${state.toString(16)}`;
}

interface Pending {
  command: number;
  /** Results so far (a scan sends several, then an empty one). */
  results: string[][];
  /** Does this result end the command? */
  ends: (strings: string[]) => boolean;
  resolve: (results: string[][]) => void;
  reject: (error: Error) => void;
}

export interface DeviceInfo {
  firmware: string;
  version: string;
  chip: string;
  name: string;
  /** Every string, the four and what follows them. */
  strings: string[];
}

export class ImprovClient {
  /** The node's last reported state (undefined until it reports one). */
  state: number | undefined;
  #port: BytePort;
  #parser: PacketParser;
  #send = new Uint8Array(MAX_PACKET);
  #pending: Pending | undefined;
  #stateWaiters: ((state: number) => void)[] = [];

  constructor(port: BytePort) {
    this.#port = port;
    this.#parser = new PacketParser(
      (type, data) => this.#packet(type, data),
      () => {}, // a damaged packet from the node: the command's ceiling reports it if it mattered
    );
    port.onData((bytes) => this.#parser.push(bytes));
  }

  /**
   * Finds the Improv service (the client's "identify"): asks for the current state,
   * again every `everyMs` (a node may still be booting), until it reports one.
   */
  async detect(ceilingMs: number, everyMs = 1000): Promise<number> {
    const got = new Promise<number>((resolve) => this.#stateWaiters.push(resolve));
    const ask = () => this.#write(RpcCommand.CurrentState, []);
    ask();
    const timer = setInterval(ask, everyMs);
    try {
      return await withCeiling(got, ceilingMs, "no Improv answer (is a sensor-node on this port?)");
    } finally {
      clearInterval(timer);
    }
  }

  async deviceInfo(ceilingMs: number): Promise<DeviceInfo> {
    const [strings] = await this.#command(RpcCommand.DeviceInfo, [], ceilingMs, () => true);
    if (strings.length < 4) throw new Error(`device info has ${strings.length} strings, the spec says at least 4`);
    return { firmware: strings[0], version: strings[1], chip: strings[2], name: strings[3], strings };
  }

  /** The networks the node sees: [ssid, rssi, auth ("YES"/"NO")] each. */
  async scan(ceilingMs: number): Promise<string[][]> {
    const results = await this.#command(RpcCommand.ScanNetworks, [], ceilingMs, (s) => s.length === 0);
    return results.slice(0, -1);
  }

  /** Sends the Wi-Fi settings; resolves with the redirect URL ("" if none) once provisioned, rejects with the node's error. */
  async sendWifi(ssid: string, password: string, ceilingMs: number): Promise<string> {
    const [strings] = await this.#command(RpcCommand.WifiSettings, [ssid, password], ceilingMs, () => true);
    return strings[0] ?? "";
  }

  #command(command: number, strings: string[], ceilingMs: number, ends: (s: string[]) => boolean): Promise<string[][]> {
    if (this.#pending) return Promise.reject(new Error("one Improv command at a time"));
    const done = new Promise<string[][]>((resolve, reject) => {
      this.#pending = { command, results: [], ends, resolve, reject };
    });
    this.#write(command, strings);
    return withCeiling(done, ceilingMs, "no answer from the node").finally(() => (this.#pending = undefined));
  }

  #write(command: number, strings: string[]): void {
    const length = writeRpcStrings(this.#send, command, strings);
    if (length < 0) throw new Error("the command does not fit in one Improv packet");
    this.#port.write(this.#send.slice(0, sealPacket(this.#send, PacketType.Rpc, length)));
  }

  #packet(type: number, data: Uint8Array): void {
    if (type === PacketType.CurrentState && data.length === 1) {
      this.state = data[0];
      for (const w of this.#stateWaiters.splice(0)) w(data[0]);
    } else if (type === PacketType.ErrorState && data.length === 1) {
      if (data[0] !== ImprovError.None) this.#pending?.reject(new ImprovDeviceError(data[0]));
    } else if (type === PacketType.RpcResult && data.length >= 2) {
      const p = this.#pending;
      if (!p || data[0] !== p.command) return; // an answer to an earlier client's command
      const strings = readStrings(data, 2, Math.min(data.length, 2 + data[1]));
      if (!strings) return p.reject(new Error("the node sent a malformed result"));
      p.results.push(strings);
      if (p.ends(strings)) p.resolve(p.results);
    }
  }
}

/** Settles with `promise`, or rejects with ImprovTimeout(`what`) after `ms` of real time. */
function withCeiling<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const ceiling = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new ImprovTimeout(`${what} within ${ms / 1000} s`)), ms)));
  return Promise.race([promise, ceiling]).finally(() => clearTimeout(timer));
}
