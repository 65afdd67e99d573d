/*
 * The Host's native cryptography on the Moddable SDK (firmware/host.ts, HostCrypto):
 * SHA-256 is the crypt module's Digest (C); ECDSA is the SDK's ecdsa module, whose
 * point arithmetic is native (arith/ec.c, mont.c). The key's DER is read by the
 * firmware's own parser, which also checks the point is on the curve.
 */
import { Digest } from "crypt";
// mcconfig maps these specifiers to the SDK's .js files for tsc (via `paths`), which hides the
// declarations of crypt.d.ts: without the ignores the SDK build fails with TS7016 (as host.ts's TLS import).
// @ts-ignore
import Curve from "curve";
// @ts-ignore
import ECDSA from "ecdsa";
// @ts-ignore
import ECPoint from "ecp";
import type { HostCrypto, Sha256Digest } from "../../firmware/host.js";
import { P256_SIGNATURE_BYTES } from "../../firmware/crypto/p256.js";
import { p256FromSpki } from "../../firmware/crypto/spki.js";

const CURVE = "secp256r1";

function sha256(): Sha256Digest {
  const d = new Digest("SHA256");
  return {
    // The SDK's typings take an ArrayBuffer: a view of a whole buffer is passed as it is, a part is copied.
    update: (bytes) => d.write(bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? (bytes.buffer as ArrayBuffer) : (bytes.slice().buffer as ArrayBuffer)),
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
