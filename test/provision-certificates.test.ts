/*
 * The firmware's certificate checks (firmware/provision/certificates.ts) against
 * Node's crypto as the independent truth: for openssl-made RSA and EC keys in
 * every PEM shape, "this key belongs to this certificate" agrees with
 * X509Certificate.checkPrivateKey, validity dates and subjects agree with
 * X509Certificate, and what is not a certificate or not a key is named so.
 */
import test from "ava";
import { X509Certificate, createPrivateKey } from "node:crypto";
import { checkCertificates, checkKeyPair, isProblem, type CertificateInfo } from "../firmware/provision/certificates.js";
import { base64Decode } from "../firmware/util/base64.js";
import { makePemSet, type PemSet } from "./helpers/pki.js";

let set: PemSet;
test.before(() => {
  set = makePemSet();
});
test.after.always(() => set?.cleanup());

function certificate(pem: string, now = Date.now()): CertificateInfo {
  const r = checkCertificates(pem, now);
  if (isProblem(r)) throw new Error(`${r.code}: ${r.message}`);
  return r[0];
}

test("base64 decodes as Node's Buffer does, and refuses what is not base64", (t) => {
  for (let n = 0; n < 70; n++) {
    const bytes = Buffer.from(Array.from({ length: n }, (_, i) => (i * 37 + n) & 0xff));
    const text = bytes.toString("base64");
    t.deepEqual(Buffer.from(base64Decode(text)!), bytes, `length ${n}`);
    t.deepEqual(Buffer.from(base64Decode(text.replace(/(.{10})/g, "$1\r\n"))!), bytes, `length ${n} with line breaks`);
  }
  for (const bad of ["abc", "ab=c", "a*bc", "abcd=", "ab==="]) t.is(base64Decode(bad), undefined, bad);
});

test("validity dates and the subject agree with X509Certificate for valid, expired and not-yet-valid certificates", (t) => {
  for (const name of ["caCert", "ecCert", "rsaCert", "expiredCert", "futureCert"] as const) {
    const truth = new X509Certificate(set.pem[name]);
    const r = checkCertificates(set.pem[name], undefined); // no clock: dates unchecked
    if (isProblem(r)) return t.fail(`${name}: ${r.message}`);
    t.is(r[0].notBefore, Date.parse(truth.validFrom), `${name} notBefore`);
    t.is(r[0].notAfter, Date.parse(truth.validTo), `${name} notAfter`);
    t.is(`CN=${r[0].subject}`, truth.subject, `${name} subject`);
  }
  const now = Date.now();
  const expired = checkCertificates(set.pem.expiredCert, now);
  t.like(expired, { code: "expired" });
  t.regex((expired as { message: string }).message, /"expired-node" expired on 2021-01-01T00:00:00\.000Z/);
  t.like(checkCertificates(set.pem.futureCert, now), { code: "not-yet-valid" });
  t.false(isProblem(checkCertificates(set.pem.ecCert, now)));
  // A bundle: every certificate is read, and one bad one spoils it.
  t.is((checkCertificates(set.pem.caCert + set.pem.ecCert, now) as CertificateInfo[]).length, 2);
  t.like(checkCertificates(set.pem.caCert + set.pem.expiredCert, now), { code: "expired" });
});

test("a key belongs to a certificate exactly when X509Certificate.checkPrivateKey says so, in every PEM shape", (t) => {
  const certs = { ec: set.pem.ecCert, rsa: set.pem.rsaCert, expired: set.pem.expiredCert };
  const keys = { ecSec1: set.pem.ecSec1, ecPkcs8: set.pem.ecPkcs8, rsaPkcs1: set.pem.rsaPkcs1, rsaPkcs8: set.pem.rsaPkcs8, otherEc: set.pem.otherEcSec1 };
  let pairs = 0;
  for (const [cn, certPem] of Object.entries(certs)) {
    const info = (checkCertificates(certPem, undefined) as CertificateInfo[])[0];
    for (const [kn, keyPem] of Object.entries(keys)) {
      const truth = new X509Certificate(certPem).checkPrivateKey(createPrivateKey(keyPem));
      const problem = checkKeyPair(keyPem, info);
      t.is(problem === undefined, truth, `${kn} with ${cn}: ${problem?.message ?? "match"}`);
      if (!truth) t.is(problem?.code, "key-mismatch");
      pairs++;
    }
  }
  t.log(`${pairs} certificate/key pairs agree with node:crypto`);
});

test("PEM that is not a certificate, and keys that cannot be used, are named", (t) => {
  const now = Date.now();
  t.like(checkCertificates(set.pem.csr, now), { code: "not-a-certificate" });
  t.regex((checkCertificates(set.pem.csr, now) as { message: string }).message, /CERTIFICATE REQUEST/);
  t.like(checkCertificates(set.pem.ecSec1, now), { code: "not-a-certificate" });
  t.like(checkCertificates("just some text", now), { code: "not-pem" });
  t.like(checkCertificates("-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n", now), { code: "not-pem" });
  t.like(checkCertificates("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", now), { code: "not-a-certificate" });
  t.like(checkCertificates("-----BEGIN CERTIFICATE-----\nMIIB", now), { code: "not-pem" });
  // A truncated certificate (its DER cut short) is not a certificate, never a crash.
  const body = set.pem.ecCert.split("\n").filter((l) => l && !l.startsWith("-----"));
  const cut = `-----BEGIN CERTIFICATE-----\n${body.slice(0, Math.floor(body.length / 2)).join("\n")}\n-----END CERTIFICATE-----\n`;
  t.like(checkCertificates(cut, now), { code: "not-a-certificate" });
  const ec = certificate(set.pem.ecCert);
  t.like(checkKeyPair(set.pem.encryptedKey, ec), { code: "encrypted-key" });
  t.like(checkKeyPair(set.pem.ecCert, ec), { code: "not-a-key" });
  t.like(checkKeyPair("not a key", ec), { code: "not-a-key" });
  t.like(checkKeyPair(set.pem.ecSec1 + set.pem.ecSec1, ec), { code: "not-a-key" });
});

test("random bytes in a PEM block are refused with a code, never a crash (1000 seeded cases)", (t) => {
  let seed = 12345;
  const next = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
  const der = Buffer.from(set.pem.ecCert.split("\n").filter((l) => l && !l.startsWith("-----")).join(""), "base64");
  const ec = certificate(set.pem.ecCert);
  for (let i = 0; i < 1000; i++) {
    const bytes = Buffer.from(der);
    for (let k = 0; k < 1 + (i % 8); k++) bytes[(next() * 256 + next()) % bytes.length] = next(); // corrupt a few bytes
    const pem = `-----BEGIN CERTIFICATE-----\n${bytes.toString("base64")}\n-----END CERTIFICATE-----\n`;
    const r = checkCertificates(pem, undefined);
    if (isProblem(r)) t.true(["not-a-certificate"].includes(r.code), r.code);
    const key = `-----BEGIN PRIVATE KEY-----\n${bytes.toString("base64")}\n-----END PRIVATE KEY-----\n`;
    const k = checkKeyPair(key, ec);
    t.true(k !== undefined && ["not-a-key", "unsupported-key", "key-mismatch"].includes(k.code), k?.code);
  }
});
