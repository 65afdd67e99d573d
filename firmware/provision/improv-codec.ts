/*
 * Improv Wi-Fi over serial: the packet codec (docs/provisioning.md, "Serial
 * (Improv Wi-Fi)"; the spec is improv-wifi.com/serial).
 *
 *   "IMPROV" | version (1) | type | length | data (length bytes) | checksum
 *
 * The checksum is the low byte of the sum of every byte before it, header
 * included. RPC commands (client to node) and RPC results (node to client)
 * share one data layout: command, length of the rest, then length-prefixed
 * UTF-8 strings (Wi-Fi settings are the strings ssid and password). Both
 * directions live here: the node decodes commands and encodes states, errors
 * and results; the desktop client (tools/provision) does the reverse.
 */
import { utf8ByteLength, utf8Decode, utf8Write } from "../util/utf8.js";

export const IMPROV_VERSION = 1;

/** Packet types (byte 8). */
export const PacketType = Object.freeze({
  CurrentState: 0x01,
  ErrorState: 0x02,
  Rpc: 0x03,
  RpcResult: 0x04,
});

/** Current state values. */
export const ImprovState = Object.freeze({
  Ready: 0x02,
  Provisioning: 0x03,
  Provisioned: 0x04,
});

/** Error state values. */
export const ImprovError = Object.freeze({
  None: 0x00,
  InvalidRpc: 0x01,
  UnknownRpc: 0x02,
  UnableToConnect: 0x03,
  Unknown: 0xff,
});

/** RPC commands over serial (Identify, 0x02 on BLE, is not one: 0x02 asks for the current state here). */
export const RpcCommand = Object.freeze({
  WifiSettings: 0x01,
  CurrentState: 0x02,
  DeviceInfo: 0x03,
  ScanNetworks: 0x04,
});

/** "IMPROV" */
const HEADER = Object.freeze([0x49, 0x4d, 0x50, 0x52, 0x4f, 0x56]);
/** Where the data starts: header, version, type, length. */
export const DATA_OFFSET = 9;
/** The length is one byte. */
export const MAX_DATA = 255;
/** The longest packet: what one parse buffer or one send buffer holds. */
export const MAX_PACKET = DATA_OFFSET + MAX_DATA + 1;

/** The low byte of the sum of `bytes[start..end)`. */
export function checksum(bytes: Uint8Array, start: number, end: number): number {
  let sum = 0;
  for (let i = start; i < end; i++) sum += bytes[i];
  return sum & 0xff;
}

/**
 * Completes the packet in `into` whose `length` data bytes are already in place at
 * DATA_OFFSET: writes the header, version, type, length and checksum. Returns the
 * packet's size.
 */
export function sealPacket(into: Uint8Array, type: number, length: number): number {
  for (let i = 0; i < HEADER.length; i++) into[i] = HEADER[i];
  into[6] = IMPROV_VERSION;
  into[7] = type;
  into[8] = length;
  const end = DATA_OFFSET + length;
  into[end] = checksum(into, 0, end);
  return end + 1;
}

/**
 * Writes RPC data (a command's or a result's) at DATA_OFFSET of `into`: `command`,
 * the length of the rest, and each string length-prefixed. Returns the data length,
 * or -1 when it does not fit a packet (or a string is longer than 255 bytes).
 */
export function writeRpcStrings(into: Uint8Array, command: number, strings: readonly string[]): number {
  let size = 2;
  for (let i = 0; i < strings.length; i++) {
    const n = utf8ByteLength(strings[i]);
    if (n > 255) return -1;
    size += 1 + n;
  }
  if (size > MAX_DATA) return -1;
  let at = DATA_OFFSET;
  into[at++] = command;
  into[at++] = size - 2;
  for (let i = 0; i < strings.length; i++) {
    const start = at++;
    at = utf8Write(strings[i], into, at);
    into[start] = at - start - 1;
  }
  return size;
}

/** RPC data split into its command and the bytes of its body (`data[start..end)`), or an error. */
export type RpcFrame = { command: number; start: number; end: number } | { error: number };

/** Splits RPC data: its second byte must be the length of the rest (else Invalid RPC packet). */
export function readRpc(data: Uint8Array): RpcFrame {
  if (data.length < 2 || data[1] !== data.length - 2) return { error: ImprovError.InvalidRpc };
  return { command: data[0], start: 2, end: data.length };
}

/**
 * The length-prefixed strings of `data[start..end)`, or undefined when a length
 * runs past the end or a string is not UTF-8.
 */
export function readStrings(data: Uint8Array, start: number, end: number): string[] | undefined {
  const out: string[] = [];
  for (let at = start; at < end; ) {
    const stop = at + 1 + data[at];
    if (stop > end) return undefined;
    const s = utf8Decode(data, at + 1, stop);
    if (s === undefined) return undefined;
    out.push(s);
    at = stop;
  }
  return out;
}

const MORE = 0;
const COMPLETE = 1;
const BAD_PREFIX = 2;
const BAD_CHECKSUM = 3;

/**
 * Finds packets in a byte stream that may carry anything else too (console text,
 * the newline a client sends after each packet, line noise). Bytes that cannot
 * begin a packet are skipped; after a bad prefix or a bad checksum it resyncs at the
 * next "I" already received, so a packet inside a broken one is still found. One
 * buffer of MAX_PACKET bytes: a packet can be no longer.
 */
export class PacketParser {
  #buffer = new Uint8Array(MAX_PACKET);
  #length = 0;
  #onPacket: (type: number, data: Uint8Array) => void;
  #onBadChecksum: () => void;

  /** `onPacket` gets a view of the data that is valid only during the call. */
  constructor(onPacket: (type: number, data: Uint8Array) => void, onBadChecksum: () => void) {
    this.#onPacket = onPacket;
    this.#onBadChecksum = onBadChecksum;
  }

  push(bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length; i++) {
      this.#buffer[this.#length++] = bytes[i];
      this.#scan(this.#length - 1);
    }
  }

  /** Forgets a partial packet. */
  reset(): void {
    this.#length = 0;
  }

  /** Checks the buffer from index `from` on (everything before it is a valid prefix). */
  #scan(from: number): void {
    const b = this.#buffer;
    let i = from;
    while (i < this.#length) {
      const r = this.#check(i);
      if (r === MORE) {
        i++;
        continue;
      }
      if (r === COMPLETE) {
        this.#onPacket(b[7], b.subarray(DATA_OFFSET, i));
        this.#drop(i + 1);
        i = 0;
        continue;
      }
      if (r === BAD_CHECKSUM) this.#onBadChecksum();
      // Resync: the next "I" after the first byte starts the search again.
      let next = 1;
      while (next < this.#length && b[next] !== HEADER[0]) next++;
      this.#drop(next);
      i = 0;
    }
  }

  /** Whether byte `i` continues a packet, given that bytes 0..i-1 do. */
  #check(i: number): number {
    const b = this.#buffer;
    if (i < HEADER.length) return b[i] === HEADER[i] ? MORE : BAD_PREFIX;
    if (i === 6) return b[i] === IMPROV_VERSION ? MORE : BAD_PREFIX;
    if (i < DATA_OFFSET + b[8]) return MORE; // type, length, data
    return checksum(b, 0, i) === b[i] ? COMPLETE : BAD_CHECKSUM;
  }

  /** Drops the first `n` bytes. */
  #drop(n: number): void {
    this.#buffer.copyWithin(0, n, this.#length);
    this.#length -= n;
  }
}
