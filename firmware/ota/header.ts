/*
 * The update package's header (docs/ota.md, "Package format"): one table of
 * offsets shared by the parser (the node) and the encoder (`sensor-node ota
 * pack`), so the two cannot drift. All integers little-endian.
 *
 *   0   4  magic "SNUP"
 *   4   1  format version (1)
 *   5   1  target: 1 esp32, 2 sim
 *   6   2  signature length (64: raw P-256 r || s)
 *   8   4  security counter
 *   12  4  payload size, bytes
 *   16  32 firmware version, ASCII, NUL-padded
 *   48  32 SHA-256 of the payload
 *   80     the signature, then the payload
 */
import { P256_SIGNATURE_BYTES } from "../crypto/p256.js";
import { SHA256_BYTES } from "../crypto/sha256.js";

export const MAGIC = Object.freeze([0x53, 0x4e, 0x55, 0x50]); // "SNUP": sensor-node update package
export const FORMAT_VERSION = 1;
export const HEADER_BYTES = 80;
export const SIGNATURE_BYTES = P256_SIGNATURE_BYTES;
export const VERSION_FIELD_BYTES = 32;
/** The security counter is a u32. */
export const MAX_COUNTER = 0xffffffff;

const AT = Object.freeze({ magic: 0, format: 4, target: 5, signatureLength: 6, counter: 8, payloadSize: 12, version: 16, sha256: 48 });

export type Target = "esp32" | "sim";
const TARGET_CODES = Object.freeze({ esp32: 1, sim: 2 } as const);

/** A firmware version: dotted numbers with an optional pre-release or build tag (semver's shape), at most 32 ASCII characters. */
const VERSION_PATTERN = /^\d{1,9}\.\d{1,9}\.\d{1,9}(?:[-+][0-9A-Za-z.+-]+)?$/;

export interface PackageHeader {
  format: number;
  /** undefined: a target code this firmware does not know. */
  target: Target | undefined;
  signatureLength: number;
  counter: number;
  payloadSize: number;
  version: string;
  /** SHA-256 of the payload (a view into the header bytes). */
  sha256: Uint8Array;
}

export function isVersion(text: string): boolean {
  return text.length <= VERSION_FIELD_BYTES && VERSION_PATTERN.test(text);
}

export function hasMagic(bytes: Uint8Array): boolean {
  for (let i = 0; i < MAGIC.length; i++) if (bytes[AT.magic + i] !== MAGIC[i]) return false;
  return true;
}

function u16(b: Uint8Array, at: number): number {
  return b[at] | (b[at + 1] << 8);
}

function u32(b: Uint8Array, at: number): number {
  return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
}

function putU32(b: Uint8Array, at: number, v: number): void {
  b[at] = v & 0xff;
  b[at + 1] = (v >>> 8) & 0xff;
  b[at + 2] = (v >>> 16) & 0xff;
  b[at + 3] = v >>> 24;
}

/** The fields of HEADER_BYTES bytes (magic and format are the caller's to check first). */
export function parseHeader(b: Uint8Array): PackageHeader {
  let version = "";
  for (let i = AT.version; i < AT.version + VERSION_FIELD_BYTES && b[i] !== 0; i++) version += String.fromCharCode(b[i]);
  const code = b[AT.target];
  return {
    format: b[AT.format],
    target: code === TARGET_CODES.esp32 ? "esp32" : code === TARGET_CODES.sim ? "sim" : undefined,
    signatureLength: u16(b, AT.signatureLength),
    counter: u32(b, AT.counter),
    payloadSize: u32(b, AT.payloadSize),
    version,
    sha256: b.subarray(AT.sha256, AT.sha256 + SHA256_BYTES),
  };
}

export interface HeaderFields {
  target: Target;
  counter: number;
  payloadSize: number;
  /** Checked with isVersion by the caller. */
  version: string;
  sha256: Uint8Array;
}

/** The header bytes of a package (what is signed). */
export function encodeHeader(f: HeaderFields): Uint8Array {
  const b = new Uint8Array(HEADER_BYTES);
  b.set(MAGIC, AT.magic);
  b[AT.format] = FORMAT_VERSION;
  b[AT.target] = TARGET_CODES[f.target];
  b[AT.signatureLength] = SIGNATURE_BYTES & 0xff;
  b[AT.signatureLength + 1] = SIGNATURE_BYTES >>> 8;
  putU32(b, AT.counter, f.counter);
  putU32(b, AT.payloadSize, f.payloadSize);
  for (let i = 0; i < f.version.length; i++) b[AT.version + i] = f.version.charCodeAt(i);
  b.set(f.sha256, AT.sha256);
  return b;
}
