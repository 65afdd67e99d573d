/*
 * The Host's native cryptography on the Moddable SDK (firmware/host.ts, HostCrypto):
 * SHA-256 is the crypt module's Digest (C); ECDSA is the SDK's ecdsa module, whose
 * point arithmetic is native (arith/ec.c, mont.c). The key's DER is read by the
 * firmware's own parser, which also checks the point is on the curve.
 */
import { Digest } from "crypt";
import Curve from "curve";
import ECDSA from "ecdsa";
import ECPoint from "ecp";
import type { HostCrypto, Sha256Digest } from "../../firmware/host.js";
import { P256_SIGNATURE_BYTES } from "../../firmware/crypto/p256.js";
import { p256FromSpki } from "../../firmware/crypto/spki.js";

const CURVE = "secp256r1";

function sha256(): Sha256Digest {
  const d = new Digest("SHA256");
  return {
    update: (bytes) => d.write(bytes),
    digest: () => new Uint8Array(d.close()),
  };
}

/** The SDK's ECDSA takes ArrayBuffers of exactly the bytes: copies of the views. */
function verifyP256(spki: Uint8Array, digest: Uint8Array, signature: Uint8Array): boolean {
  const key = p256FromSpki(spki);
  if (typeof key === "string" || signature.length !== P256_SIGNATURE_BYTES) return false;
  try {
    return new ECDSA(new ECPoint(key.x, key.y), new Curve(CURVE)).verify(digest.slice().buffer, signature.slice().buffer, false);
  } catch {
    return false; // r or s out of range can throw in the modular inverse: a bad signature
  }
}

export const moddableCrypto: HostCrypto = Object.freeze({ sha256, verifyP256 });
