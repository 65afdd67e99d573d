/*
 * Signing keys for update packages (docs/ota.md, "Keys"): ECDSA P-256, the
 * private key PKCS#8 PEM (mode 0600), the public key SPKI PEM. Errors name the
 * file and what is wrong with it, never its contents.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { readOptionFile, UsageError } from "../cli/args.js";
import { spkiFromPem } from "../../firmware/crypto/spki.js";
import { KEY_SEPARATOR } from "../../firmware/ota/trusted-keys.js";

export const PRIVATE_KEY_FILE = "ota-private.pem";
export const PUBLIC_KEY_FILE = "ota-public.pem";
const PRIVATE_MODE = 0o600;
const CURVE = "prime256v1";


/** Writes DIR/ota-private.pem and DIR/ota-public.pem; refuses when either exists. Returns the two paths. */
export function generateKeys(dir: string): { privateFile: string; publicFile: string } {
  const privateFile = path.join(dir, PRIVATE_KEY_FILE);
  const publicFile = path.join(dir, PUBLIC_KEY_FILE);
  for (const file of [privateFile, publicFile]) {
    if (fs.existsSync(file)) throw new UsageError(`sensor-node ota keygen: ${file} exists; keys are never overwritten (move it away first)`);
  }
  const pair = crypto.generateKeyPairSync("ec", {
    namedCurve: CURVE,
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  try {
    fs.mkdirSync(dir, { recursive: true });
    // "wx": fails rather than replace a file that appeared meanwhile; the mode is set at creation.
    fs.writeFileSync(privateFile, pair.privateKey, { mode: PRIVATE_MODE, flag: "wx" });
    fs.chmodSync(privateFile, PRIVATE_MODE);
    fs.writeFileSync(publicFile, pair.publicKey, { flag: "wx" });
  } catch (error) {
    throw new UsageError(`sensor-node ota keygen: cannot write in ${dir}: ${(error as NodeJS.ErrnoException).code ?? "unwritable"}`);
  }
  return { privateFile, publicFile };
}

/** The P-256 private key in `file` (PKCS#8 or SEC1 PEM); a UsageError naming `option` and the file otherwise. */
export function loadPrivateKey(option: string, file: string): crypto.KeyObject {
  const text = readOptionFile(option, file);
  let key: crypto.KeyObject;
  try {
    key = crypto.createPrivateKey(text);
  } catch {
    throw new UsageError(`${option}: ${file} is not a PEM private key (sensor-node ota keygen writes one)`);
  }
  if (key.asymmetricKeyType !== "ec" || key.asymmetricKeyDetails?.namedCurve !== CURVE) {
    const kind = key.asymmetricKeyType === "ec" ? `an EC key on ${key.asymmetricKeyDetails?.namedCurve ?? "another curve"}` : `a ${key.asymmetricKeyType ?? "non-EC"} key`;
    throw new UsageError(`${option}: ${file} is ${kind}; packages are signed with ECDSA P-256`);
  }
  return key;
}

/** The DER SubjectPublicKeyInfo of each P-256 public key in `file` (PEM); a UsageError naming `option` and the file otherwise. */
export function loadPublicKeys(option: string, file: string): Uint8Array[] {
  const keys = spkiFromPem(readOptionFile(option, file));
  if (typeof keys === "string") throw new UsageError(`${option}: ${file}: ${keys} (expected a P-256 PUBLIC KEY, as ota keygen writes)`);
  return keys;
}

/** DER public keys as an `otaKeys` value (what mcconfig gets, and what the simulator's images carry). */
export function otaKeysValue(keys: readonly Uint8Array[]): string {
  return keys.map((k) => Buffer.from(k).toString("base64")).join(KEY_SEPARATOR);
}
