/*
 * The development update key (docs/ota.md, "The development key"): a key pair
 * committed in tools/ota/dev-key/ so that `sensor-node sim` nodes can be
 * updated out of the box. Everyone has its private key: it signs nothing a
 * real node should run, and no device build trusts it unless told to.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadPublicKeys, otaKeysValue } from "./keys.js";
import { deviceSlotBytes } from "./partitions.js";

/** build/tools/ota -> the repository's tools/ota/dev-key. */
const DEV_KEY_DIR = fileURLToPath(new URL("../../../tools/ota/dev-key/", import.meta.url));
export const DEV_PRIVATE_KEY = path.join(DEV_KEY_DIR, "ota-dev-private.pem");
export const DEV_PUBLIC_KEY = path.join(DEV_KEY_DIR, "ota-dev-public.pem");

/** A simulated node's slots are the device's (manifests/sdkconfig/partitions.csv). */
export const OTA_SLOT_BYTES = deviceSlotBytes();

let devKeys: string | undefined;

/** The development public key as an `otaKeys` value (base64 DER). */
export function devOtaKeys(): string {
  devKeys ??= otaKeysValue(loadPublicKeys("development key", DEV_PUBLIC_KEY));
  return devKeys;
}
