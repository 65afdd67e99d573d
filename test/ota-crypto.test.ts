/*
 * The firmware's SHA-256 and ECDSA P-256 verifier against independent
 * implementations: FIPS 180-2's example digests and node:crypto for SHA-256;
 * signatures made by the openssl CLI and by node:crypto (and RFC 6979's P-256
 * vector, itself checked by node:crypto), tampered ones refused.
 */
import test from "ava";
import crypto from "node:crypto";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { sha256, Sha256 } from "../firmware/crypto/sha256.js";
import { pureCrypto } from "../firmware/crypto/crypto.js";
import { p256FromSpki, spkiFromPem } from "../firmware/crypto/spki.js";
import { derToRaw } from "./helpers/ecdsa-der.js";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const ascii = (s: string) => new TextEncoder().encode(s);

test("SHA-256 gives FIPS 180-2's example digests", (t) => {
  t.is(hex(sha256(ascii(""))), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  t.is(hex(sha256(ascii("abc"))), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  t.is(hex(sha256(ascii("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  const d = new Sha256();
  const a = new Uint8Array(1000).fill(0x61);
  for (let i = 0; i < 1000; i++) d.update(a); // one million "a"
  t.is(hex(d.digest()), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
});

test("SHA-256 equals node:crypto on random data of every length around the block and padding edges, in chunks of odd sizes", (t) => {
  const rand = crypto.randomBytes(5000);
  for (const n of [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1000, 4999]) {
    const data = rand.subarray(0, n);
    const expected = crypto.createHash("sha256").update(data).digest("hex");
    t.is(hex(sha256(data)), expected, `one update, ${n} bytes`);
    for (const chunk of [1, 3, 7, 63, 65, 333]) {
      const d = new Sha256();
      for (let at = 0; at < n; at += chunk) d.update(data.subarray(at, Math.min(n, at + chunk)));
      t.is(hex(d.digest()), expected, `${n} bytes in chunks of ${chunk}`);
    }
  }
});

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "sensor-node-ota-crypto-"));
}

function openssl(args: string[], input?: Uint8Array): Buffer {
  return execFileSync("openssl", args, { input, stdio: ["pipe", "pipe", "pipe"] });
}

function flipped(b: Uint8Array, at: number): Uint8Array {
  const c = Uint8Array.from(b);
  c[at] ^= 0x01;
  return c;
}

test("signatures made by the openssl CLI verify; a changed message, signature or key does not", (t) => {
  const dir = tmpDir();
  const key = path.join(dir, "key.pem");
  const pub = path.join(dir, "pub.pem");
  openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key]);
  openssl(["pkey", "-in", key, "-pubout", "-out", pub]);
  const spkis = spkiFromPem(fs.readFileSync(pub, "utf8"));
  if (typeof spkis === "string") return t.fail(spkis);
  const other = crypto.generateKeyPairSync("ec", { namedCurve: "prime256v1" }).publicKey.export({ type: "spki", format: "der" });
  for (let i = 0; i < 8; i++) {
    const message = crypto.randomBytes(100 + i * 37);
    const der = openssl(["dgst", "-sha256", "-sign", key], message);
    const sig = derToRaw(der);
    const digest = crypto.createHash("sha256").update(message).digest();
    t.true(pureCrypto.verifyP256(spkis[0], digest, sig), `openssl signature ${i}`);
    t.false(pureCrypto.verifyP256(spkis[0], flipped(digest, i), sig), "another message");
    t.false(pureCrypto.verifyP256(spkis[0], digest, flipped(sig, i * 8)), "r changed");
    t.false(pureCrypto.verifyP256(spkis[0], digest, flipped(sig, 32 + i * 4)), "s changed");
    t.false(pureCrypto.verifyP256(other, digest, sig), "another key");
  }
});

test("signatures made by node:crypto verify; wrong lengths, zero and out-of-range r or s are refused", (t) => {
  const { privateKey, publicKey } = crypto.generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const spki = publicKey.export({ type: "spki", format: "der" });
  for (let i = 0; i < 8; i++) {
    const message = crypto.randomBytes(64);
    const sig = crypto.sign("sha256", message, { key: privateKey, dsaEncoding: "ieee-p1363" });
    const digest = crypto.createHash("sha256").update(message).digest();
    t.true(pureCrypto.verifyP256(spki, digest, sig));
  }
  const message = ascii("sensor-node");
  const digest = crypto.createHash("sha256").update(message).digest();
  const sig = crypto.sign("sha256", message, { key: privateKey, dsaEncoding: "ieee-p1363" });
  t.false(pureCrypto.verifyP256(spki, digest, sig.subarray(0, 63)), "63 bytes");
  t.false(pureCrypto.verifyP256(spki, digest, Buffer.concat([sig, Buffer.of(0)])), "65 bytes");
  t.false(pureCrypto.verifyP256(spki, digest, crypto.sign("sha256", message, privateKey)), "DER, not raw");
  t.false(pureCrypto.verifyP256(spki, digest, new Uint8Array(64)), "r = s = 0");
  t.false(pureCrypto.verifyP256(spki, digest, new Uint8Array(64).fill(0xff)), "r, s >= n");
});

test("RFC 6979 A.2.5's P-256/SHA-256 signature of \"sample\" verifies (node:crypto agrees on the vector)", (t) => {
  const x = "60fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6";
  const y = "7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299";
  const sig = Buffer.from("efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716" + "f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8", "hex");
  const key = crypto.createPublicKey({ key: { kty: "EC", crv: "P-256", x: Buffer.from(x, "hex").toString("base64url"), y: Buffer.from(y, "hex").toString("base64url") }, format: "jwk" });
  t.true(crypto.verify("sha256", ascii("sample"), { key, dsaEncoding: "ieee-p1363" }, sig), "node:crypto on the RFC's vector");
  const spki = key.export({ type: "spki", format: "der" });
  t.true(pureCrypto.verifyP256(spki, sha256(ascii("sample")), sig));
  t.false(pureCrypto.verifyP256(spki, sha256(ascii("test")), sig));
});

test("public keys: SPKI DER and PEM of P-256 read; RSA, other curves and off-curve points are named", (t) => {
  const p256 = crypto.generateKeyPairSync("ec", { namedCurve: "prime256v1" }).publicKey;
  const der = p256.export({ type: "spki", format: "der" });
  const jwk = p256.export({ format: "jwk" });
  const point = p256FromSpki(der);
  if (typeof point === "string") return t.fail(point);
  t.is(point.x.toString(16).padStart(64, "0"), Buffer.from(jwk.x!, "base64url").toString("hex"));
  t.is(point.y.toString(16).padStart(64, "0"), Buffer.from(jwk.y!, "base64url").toString("hex"));
  const pem = spkiFromPem(String(p256.export({ type: "spki", format: "pem" })));
  t.deepEqual(pem, [new Uint8Array(der)]);
  const rsa = crypto.generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey.export({ type: "spki", format: "der" });
  t.is(p256FromSpki(rsa), "not an EC public key");
  const p384 = crypto.generateKeyPairSync("ec", { namedCurve: "secp384r1" }).publicKey.export({ type: "spki", format: "der" });
  t.is(p256FromSpki(p384), "an EC key on another curve than P-256");
  t.is(p256FromSpki(flipped(der, der.length - 1)), "a point that is not on P-256");
  t.regex(String(spkiFromPem(String(crypto.generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey.export({ type: "pkcs8", format: "pem" })))), /PRIVATE KEY block/);
});
