/*
 * The package `ota push` serves, read once: its header (firmware/ota/header.ts)
 * gives the version and the payload's SHA-256 that go into the command. Only
 * the shape is checked here (the node checks the signature); a file that is not
 * a whole package is one line naming it, exit 2.
 */
import path from "node:path";
import { readOptionFile, UsageError } from "../cli/args.js";
import { FORMAT_VERSION, HEADER_BYTES, hasMagic, isVersion, parseHeader, SIGNATURE_BYTES, type Target } from "../../firmware/ota/header.js";

export interface OtaImage {
  /** The whole package file: what nodes download. */
  bytes: Uint8Array;
  /** The file's basename: the path it is served at. */
  name: string;
  version: string;
  target: Target;
  counter: number;
  /** Hex SHA-256 of the payload (the header's field). */
  sha256: string;
}

export function readPackage(option: string, file: string): OtaImage {
  const bytes = readOptionFile(option, file, true);
  const bad = (why: string) => new UsageError(`${option}: ${file} ${why}`);
  if (bytes.length < HEADER_BYTES || !hasMagic(bytes)) throw bad("is not an update package (it does not start with the SNUP header; sensor-node ota pack makes one)");
  const h = parseHeader(bytes);
  if (h.format !== FORMAT_VERSION) throw bad(`is a package of format ${h.format}; this version reads format ${FORMAT_VERSION}`);
  if (h.target === undefined) throw bad(`names an unknown target (code ${bytes[5]})`);
  if (h.signatureLength !== SIGNATURE_BYTES) throw bad(`announces a ${h.signatureLength}-byte signature, not ${SIGNATURE_BYTES} (raw r || s)`);
  if (!isVersion(h.version)) throw bad(`carries the version ${JSON.stringify(h.version)}, which is not one`);
  const expected = HEADER_BYTES + SIGNATURE_BYTES + h.payloadSize;
  if (bytes.length !== expected) throw bad(`is ${bytes.length} bytes but its header announces ${expected} (truncated or padded)`);
  return {
    bytes,
    name: path.basename(file),
    version: h.version,
    target: h.target,
    counter: h.counter,
    sha256: Buffer.from(h.sha256).toString("hex"),
  };
}
