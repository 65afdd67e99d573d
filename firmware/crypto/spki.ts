/*
 * P-256 public keys as a SubjectPublicKeyInfo (RFC 5480): DER, or PEM
 * ("PUBLIC KEY"), the form `sensor-node ota keygen` writes and an image's
 * configuration carries (docs/ota.md, "Keys").
 */
import { BIT_STRING, content, element, isOid, sequence } from "../provision/der.js";
import { EC_PUBLIC_KEY, isProblem, pemBlocks } from "../provision/certificates.js";
import { bytesToBigInt, onCurve, P256_SCALAR_BYTES, type P256Point } from "./p256.js";

/** prime256v1 / secp256r1 (RFC 5480 2.1.1.1). */
const PRIME256V1 = Object.freeze([0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07]);
/** An uncompressed point's first byte (SEC 1 2.3.3); compressed keys are not taken. */
const UNCOMPRESSED = 0x04;
const PEM_LABEL = "PUBLIC KEY";

/** The key in a DER SubjectPublicKeyInfo, or a reason it is not a P-256 key on the curve. */
export function p256FromSpki(der: Uint8Array): P256Point | string {
  const top = sequence(der, element(der, 0));
  if (!top || top.length !== 2) return "not a SubjectPublicKeyInfo";
  const algorithm = sequence(der, top[0]);
  if (!algorithm || !isOid(der, algorithm[0], EC_PUBLIC_KEY)) return "not an EC public key";
  if (!isOid(der, algorithm[1], PRIME256V1)) return "an EC key on another curve than P-256";
  if (top[1].tag !== BIT_STRING) return "not a SubjectPublicKeyInfo";
  const bits = content(der, top[1]);
  // One byte of unused bits (0), then the point.
  if (bits.length !== 2 + 2 * P256_SCALAR_BYTES || bits[0] !== 0 || bits[1] !== UNCOMPRESSED) return "not an uncompressed P-256 point";
  const x = bytesToBigInt(bits.subarray(2, 2 + P256_SCALAR_BYTES));
  const y = bytesToBigInt(bits.subarray(2 + P256_SCALAR_BYTES));
  return onCurve(x, y) ? { x, y } : "a point that is not on P-256";
}

/** The DER of each "PUBLIC KEY" block of PEM text, each checked to be a P-256 key; or a reason. */
export function spkiFromPem(text: string): Uint8Array[] | string {
  const blocks = pemBlocks(text);
  if (isProblem(blocks)) return blocks.message;
  const keys: Uint8Array[] = [];
  for (const b of blocks) {
    if (b.label !== PEM_LABEL) return `a ${b.label} block where a PUBLIC KEY was expected`;
    const key = p256FromSpki(b.der);
    if (typeof key === "string") return key;
    keys.push(b.der);
  }
  return keys;
}
