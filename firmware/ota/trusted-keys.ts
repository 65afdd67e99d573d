/*
 * The public keys an image trusts for updates, from its build configuration
 * (`sensor-node build esp32 otaKey=FILE[,FILE...]` passes them to mcconfig as
 * `otaKeys`: base64 DER SubjectPublicKeyInfo, comma-separated). More than one
 * key lets a fleet move to a new signing key (docs/ota.md, "Key rotation").
 */
import { p256FromSpki } from "../crypto/spki.js";
import { base64Decode } from "../util/base64.js";

/** At most this many keys: each costs one signature check on a package signed by the last. */
export const MAX_TRUSTED_KEYS = 4;
export const KEY_SEPARATOR = ",";

/** The DER keys of an `otaKeys` value, each a P-256 key; or the reason the value is not usable. */
export function trustedKeys(value: string): Uint8Array[] | string {
  const parts = value.split(KEY_SEPARATOR).filter((p) => p.trim() !== "");
  if (!parts.length) return "no keys";
  if (parts.length > MAX_TRUSTED_KEYS) return `${parts.length} keys; at most ${MAX_TRUSTED_KEYS}`;
  const keys: Uint8Array[] = [];
  for (let i = 0; i < parts.length; i++) {
    const der = base64Decode(parts[i].trim());
    const key = der ? p256FromSpki(der) : "not base64";
    if (typeof key === "string") return `key ${i + 1}: ${key}`;
    keys.push(der!);
  }
  return keys;
}
