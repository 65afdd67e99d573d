/*
 * Checks on provisioned PEM before it is stored (docs/provisioning.md, error
 * codes): a certificate field holds X.509 certificates that are valid now (when
 * the node's clock is set), and a private key is the one whose public key the
 * client certificate carries. RSA and EC keys in PKCS#1, SEC1 and PKCS#8; the
 * key pair is matched by comparing public keys, so no signature is computed
 * (the device has no spare heap for a big-number library, and needs none).
 */
import { base64Decode } from "../util/base64.js";
import { BIT_STRING, children, CONTEXT_0, CONTEXT_1, content, element, INTEGER, isOid, OCTET_STRING, sameContent, sequence, SET, time, type Element } from "./der.js";

export interface Problem {
  /** A documented error code (docs/provisioning.md). */
  code: string;
  message: string;
}

export interface CertificateInfo {
  /** The subject's common name ("" when it has none). */
  subject: string;
  notBefore: number;
  notAfter: number;
  /** The certificate's DER and its SubjectPublicKeyInfo in it. */
  der: Uint8Array;
  spki: Element;
}

export interface PemBlock {
  label: string;
  der: Uint8Array;
}

const RSA_ENCRYPTION = Object.freeze([0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01]);
/** id-ecPublicKey (RFC 5480), the algorithm of an EC key's SubjectPublicKeyInfo. */
export const EC_PUBLIC_KEY = Object.freeze([0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01]);
const COMMON_NAME = Object.freeze([0x55, 0x04, 0x03]);
const BEGIN = "-----BEGIN ";
const DASHES = "-----";

function problem(code: string, message: string): Problem {
  return { code, message };
}

export function isProblem(v: unknown): v is Problem {
  return typeof v === "object" && v !== null && typeof (v as Problem).code === "string";
}

/** The PEM blocks of `text` (RFC 7468; text between blocks is ignored), or a problem. */
export function pemBlocks(text: string): PemBlock[] | Problem {
  const blocks: PemBlock[] = [];
  for (let at = text.indexOf(BEGIN); at >= 0; at = text.indexOf(BEGIN, at)) {
    const labelEnd = text.indexOf(DASHES, at + BEGIN.length);
    if (labelEnd < 0) return problem("not-pem", "a BEGIN line without its closing dashes");
    const label = text.slice(at + BEGIN.length, labelEnd);
    const endLine = `-----END ${label}-----`;
    const end = text.indexOf(endLine, labelEnd);
    if (end < 0) return problem("not-pem", `no "${endLine}" line`);
    const der = base64Decode(text.slice(labelEnd + DASHES.length, end));
    if (!der) return problem("not-pem", `the ${label} block is not base64`);
    blocks.push({ label, der });
    at = end + endLine.length;
  }
  if (!blocks.length) return problem("not-pem", "expected PEM text (-----BEGIN CERTIFICATE----- ...)");
  return blocks;
}

/** One or more X.509 certificates, each valid at `now` (ms; undefined: the clock is not set, dates go unchecked). */
export function checkCertificates(text: string, now: number | undefined): CertificateInfo[] | Problem {
  const blocks = pemBlocks(text);
  if (isProblem(blocks)) return blocks;
  const out: CertificateInfo[] = [];
  for (const block of blocks) {
    if (block.label !== "CERTIFICATE") return problem("not-a-certificate", `found a "${block.label}" block, not a CERTIFICATE`);
    const info = parseCertificate(block.der);
    if (!info) return problem("not-a-certificate", "the CERTIFICATE block is not an X.509 certificate");
    const name = info.subject ? `"${info.subject}"` : "the certificate";
    if (now !== undefined && now > info.notAfter) return problem("expired", `${name} expired on ${new Date(info.notAfter).toISOString()}`);
    if (now !== undefined && now < info.notBefore) return problem("not-yet-valid", `${name} is valid only from ${new Date(info.notBefore).toISOString()}`);
    out.push(info);
  }
  return out;
}

function parseCertificate(der: Uint8Array): CertificateInfo | undefined {
  const top = element(der, 0);
  if (!top || top.end !== der.length) return undefined;
  const cert = sequence(der, top);
  if (!cert || cert.length !== 3) return undefined;
  const tbs = sequence(der, cert[0]);
  if (!tbs) return undefined;
  // version [0] is optional; then serial, signature, issuer, validity, subject, subjectPublicKeyInfo
  const i = tbs[0]?.tag === CONTEXT_0 ? 1 : 0;
  if (tbs[i]?.tag !== INTEGER) return undefined;
  const validity = sequence(der, tbs[i + 3]);
  const subject = sequence(der, tbs[i + 4]);
  const spki = tbs[i + 5];
  const notBefore = time(der, validity?.[0]);
  const notAfter = time(der, validity?.[1]);
  if (notBefore === undefined || notAfter === undefined || !subject || !spki || !sequence(der, spki)) return undefined;
  return { subject: commonName(der, subject), notBefore, notAfter, der, spki };
}

/** The first CN of a Name (printable ASCII only: it is shown on the page). */
function commonName(der: Uint8Array, rdns: Element[]): string {
  for (const rdn of rdns) {
    for (const attribute of sequence(der, rdn, SET) ?? []) {
      const pair = sequence(der, attribute);
      if (!pair || !isOid(der, pair[0], COMMON_NAME) || !pair[1]) continue;
      let s = "";
      for (const b of content(der, pair[1])) s += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : "?";
      return s;
    }
  }
  return "";
}

/** The public key a private key implies, as the parts a certificate's SubjectPublicKeyInfo also has. */
interface PublicKey {
  kind: "rsa" | "ec";
  /** RSA: the modulus and exponent INTEGERs; EC: the public point BIT STRING (and the curve OID when the key names it). */
  der: Uint8Array;
  parts: Element[];
  curve?: Element;
}

/** Is `keyText` the private key of `cert`? A problem says why not. */
export function checkKeyPair(keyText: string, cert: CertificateInfo): Problem | undefined {
  const blocks = pemBlocks(keyText);
  if (isProblem(blocks)) return blocks.code === "not-pem" ? problem("not-a-key", "expected a PEM private key (-----BEGIN PRIVATE KEY----- ...)") : blocks;
  if (blocks.length !== 1) return problem("not-a-key", `expected one private key, got ${blocks.length} PEM blocks`);
  const { label, der } = blocks[0];
  if (label === "ENCRYPTED PRIVATE KEY") return problem("encrypted-key", "the key is encrypted: give it without a passphrase (openssl pkey -in key.pem -out plain.pem)");
  let key: PublicKey | Problem | undefined;
  if (label === "PRIVATE KEY") key = pkcs8(der);
  else if (label === "RSA PRIVATE KEY") key = rsaKey(der, element(der, 0));
  else if (label === "EC PRIVATE KEY") key = ecKey(der, element(der, 0));
  else return problem("not-a-key", `found a "${label}" block, not a private key`);
  if (isProblem(key)) return key;
  if (!key) return problem("not-a-key", `the ${label} block is not a private key`);
  return matches(key, cert) ? undefined : problem("key-mismatch", "the key does not belong to the client certificate");
}

function pkcs8(der: Uint8Array): PublicKey | Problem | undefined {
  const parts = sequence(der, element(der, 0));
  const algorithm = sequence(der, parts?.[1]);
  const inner = parts?.[2];
  if (!parts || !algorithm || !inner || inner.tag !== OCTET_STRING) return undefined;
  const nested = element(der, inner.start, inner.end);
  if (isOid(der, algorithm[0], RSA_ENCRYPTION)) return rsaKey(der, nested);
  if (isOid(der, algorithm[0], EC_PUBLIC_KEY)) {
    const key = ecKey(der, nested);
    if (key && !isProblem(key) && !key.curve) key.curve = algorithm[1];
    return key;
  }
  return problem("unsupported-key", "only RSA and EC keys are supported");
}

/** RSAPrivateKey (RFC 8017): version, n, e, ... */
function rsaKey(der: Uint8Array, e: Element | undefined): PublicKey | undefined {
  const parts = sequence(der, e);
  if (!parts || parts.length < 9 || parts[1].tag !== INTEGER || parts[2].tag !== INTEGER) return undefined;
  return { kind: "rsa", der, parts: [parts[1], parts[2]] };
}

/** ECPrivateKey (RFC 5915): version, privateKey, [0] curve, [1] public point. */
function ecKey(der: Uint8Array, e: Element | undefined): PublicKey | Problem | undefined {
  const parts = sequence(der, e);
  if (!parts || parts[1]?.tag !== OCTET_STRING) return undefined;
  let curve: Element | undefined;
  let point: Element | undefined;
  for (const p of parts.slice(2)) {
    if (p.tag === CONTEXT_0) curve = element(der, p.start, p.end);
    if (p.tag === CONTEXT_1) point = element(der, p.start, p.end);
  }
  if (!point || point.tag !== BIT_STRING) return problem("unsupported-key", "the EC key does not carry its public key (openssl ec -in key.pem -out full.pem adds it)");
  return { kind: "ec", der, parts: [point], curve };
}

function matches(key: PublicKey, cert: CertificateInfo): boolean {
  const der = cert.der;
  const spki = children(der, cert.spki);
  const algorithm = sequence(der, spki?.[0]);
  const bits = spki?.[1];
  if (!algorithm || !bits || bits.tag !== BIT_STRING) return false;
  if (key.kind === "ec") {
    if (!isOid(der, algorithm[0], EC_PUBLIC_KEY)) return false;
    if (key.curve && (!algorithm[1] || !sameContent(key.der, key.curve, der, algorithm[1]))) return false;
    return sameContent(key.der, key.parts[0], der, bits);
  }
  if (!isOid(der, algorithm[0], RSA_ENCRYPTION) || der[bits.start] !== 0) return false;
  // The BIT STRING holds RSAPublicKey {n, e} after its unused-bits octet.
  const rsa = sequence(der, element(der, bits.start + 1, bits.end));
  return !!rsa && rsa.length === 2 && sameContent(key.der, key.parts[0], der, rsa[0]) && sameContent(key.der, key.parts[1], der, rsa[1]);
}
