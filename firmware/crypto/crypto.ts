/*
 * The cryptography update verification runs on: the Host's native one where it
 * has it (the device), else the firmware's own ECMAScript (the simulator, XS
 * measurement). One shape for both: HostCrypto (firmware/host.ts).
 */
import type { Host, HostCrypto } from "../host.js";
import { verifyP256 } from "./p256.js";
import { Sha256 } from "./sha256.js";
import { p256FromSpki } from "./spki.js";

export const pureCrypto: HostCrypto = Object.freeze({
  sha256: () => new Sha256(),
  verifyP256(spki: Uint8Array, digest: Uint8Array, signature: Uint8Array): boolean {
    const key = p256FromSpki(spki);
    return typeof key !== "string" && verifyP256(key, digest, signature);
  },
});

export function cryptoOf(host: Pick<Host, "crypto">): HostCrypto {
  return host.crypto ?? pureCrypto;
}
