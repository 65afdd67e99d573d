/*
 * `sensor-node sim --ota-key FILE[,FILE] --image FILE` (docs/ota.md, "In the
 * simulator"): which keys the nodes' built-in image trusts for updates, and a
 * package whose payload the nodes start from instead of the built-in firmware
 * (as if flashed over USB: its hash and target are checked, not its signer).
 */
import crypto from "node:crypto";
import { UsageError } from "../cli/args.js";
import { HEADER_BYTES, SIGNATURE_BYTES } from "../../firmware/ota/header.js";
import { MAX_TRUSTED_KEYS } from "../../firmware/ota/trusted-keys.js";
import { readPackage } from "./image.js";
import { loadPublicKeys, otaKeysValue } from "./keys.js";

/** What SimNode takes (spread into its options). */
export interface SimOta {
  /** The built-in image's trusted keys (`otaKeys`); absent: the development key. */
  otaKeys?: string;
  /** A sim image (the payload of a package) flashed into ota_0 instead of the built-in firmware. */
  image?: Uint8Array;
}

export function simOtaFromFlags(cmd: string, flags: Record<string, unknown>): SimOta {
  const ota: SimOta = {};
  if (typeof flags["ota-key"] === "string") {
    const keys = flags["ota-key"].split(",").filter(Boolean).flatMap((file) => loadPublicKeys(`${cmd}: --ota-key`, file));
    if (!keys.length || keys.length > MAX_TRUSTED_KEYS) throw new UsageError(`${cmd}: --ota-key names ${keys.length} keys; an image trusts 1 to ${MAX_TRUSTED_KEYS}`);
    ota.otaKeys = otaKeysValue(keys);
  }
  if (typeof flags.image === "string") {
    const pkg = readPackage(`${cmd}: --image`, flags.image);
    if (pkg.target !== "sim") throw new UsageError(`${cmd}: --image: ${flags.image} is a package for ${pkg.target}; the simulator runs sim packages (sensor-node ota pack --target sim)`);
    const payload = pkg.bytes.subarray(HEADER_BYTES + SIGNATURE_BYTES);
    if (crypto.createHash("sha256").update(payload).digest("hex") !== pkg.sha256) throw new UsageError(`${cmd}: --image: ${flags.image}: the payload's SHA-256 is not the header's (a damaged file)`);
    ota.image = payload;
  }
  return ota;
}
