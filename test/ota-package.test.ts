/*
 * Update packages end to end without the firmware's own signer: `ota keygen` and
 * `ota pack` through the real CLI, the package checked with openssl (signature
 * over the header) and node:crypto (payload hash), then fed to the streaming
 * verifier in chunks; each refusal names its reason.
 */
import test from "ava";
import crypto from "node:crypto";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import vm from "node:vm";
import { pureCrypto } from "../firmware/crypto/crypto.js";
import { encodeHeader, HEADER_BYTES, SIGNATURE_BYTES } from "../firmware/ota/header.js";
import { PackageVerifier, type VerifierOptions } from "../firmware/ota/verifier.js";
import { trustedKeys } from "../firmware/ota/trusted-keys.js";
import { deviceSlotBytes } from "../tools/ota/partitions.js";
import { rawToDer } from "./helpers/ecdsa-der.js";
import { runCli } from "./helpers/cli.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sensor-node-ota-"));
const keys = path.join(dir, "keys");
const bin = path.join(dir, "app.bin");
const payload = crypto.randomBytes(50_001);
fs.writeFileSync(bin, payload);

test.before(async () => {
  const r = await runCli(["ota", "keygen", keys]);
  if (r.code !== 0) throw new Error(r.stderr);
});

const spki = () => crypto.createPublicKey(fs.readFileSync(path.join(keys, "ota-public.pem"))).export({ type: "spki", format: "der" });

async function pack(out: string, ...args: string[]): Promise<Buffer> {
  const r = await runCli(["ota", "pack", "--key", path.join(keys, "ota-private.pem"), ...args, out]);
  if (r.code !== 0) throw new Error(r.stderr);
  return fs.readFileSync(out);
}

function options(o: Partial<VerifierOptions> = {}): VerifierOptions {
  return { target: "esp32", counter: 3, slotBytes: deviceSlotBytes(), keys: [spki()], crypto: pureCrypto, ...o };
}

/** Feeds the package in chunks of `chunk` bytes; returns the refusal code (undefined: accepted) and the payload released. */
function verify(pkg: Uint8Array, o: VerifierOptions, chunk = 997): { code: string | undefined; released: Buffer; message?: string } {
  const v = new PackageVerifier(o);
  const parts: Uint8Array[] = [];
  for (let at = 0; at < pkg.length; at += chunk) parts.push(Uint8Array.from(v.write(pkg.subarray(at, at + chunk))));
  const refusal = v.finish();
  return { code: refusal?.code, message: refusal?.message, released: Buffer.concat(parts) };
}

test("keygen: PKCS#8 private key with mode 0600 and SPKI public key (P-256, read by node:crypto); never overwrites", async (t) => {
  const priv = crypto.createPrivateKey(fs.readFileSync(path.join(keys, "ota-private.pem")));
  t.is(priv.asymmetricKeyDetails?.namedCurve, "prime256v1");
  t.regex(fs.readFileSync(path.join(keys, "ota-private.pem"), "utf8"), /^-----BEGIN PRIVATE KEY-----/);
  t.regex(fs.readFileSync(path.join(keys, "ota-public.pem"), "utf8"), /^-----BEGIN PUBLIC KEY-----/);
  t.is(fs.statSync(path.join(keys, "ota-private.pem")).mode & 0o777, 0o600);
  const before = fs.readFileSync(path.join(keys, "ota-private.pem"), "utf8");
  const again = await runCli(["ota", "keygen", keys]);
  t.is(again.code, 2);
  t.regex(again.stderr, /ota-private\.pem exists/);
  t.is(fs.readFileSync(path.join(keys, "ota-private.pem"), "utf8"), before);
  t.notRegex(again.stderr + again.stdout, /BEGIN|PRIVATE KEY-----/);
});

test("pack: openssl verifies the signature over the header, node:crypto the payload's SHA-256; the header's fields are as given", async (t) => {
  const pkg = await pack(path.join(dir, "a.snup"), "--target", "esp32", "--version", "1.4.2-rc.1", "--counter", "7", "--bin", bin);
  const header = pkg.subarray(0, HEADER_BYTES);
  t.is(pkg.length, HEADER_BYTES + SIGNATURE_BYTES + payload.length);
  fs.writeFileSync(path.join(dir, "header.bin"), header);
  fs.writeFileSync(path.join(dir, "sig.der"), rawToDer(pkg.subarray(HEADER_BYTES, HEADER_BYTES + SIGNATURE_BYTES)));
  const out = execFileSync("openssl", ["dgst", "-sha256", "-verify", path.join(keys, "ota-public.pem"), "-signature", path.join(dir, "sig.der"), path.join(dir, "header.bin")], { encoding: "utf8" });
  t.regex(out, /Verified OK/);
  t.is(header.subarray(48, 80).toString("hex"), crypto.createHash("sha256").update(payload).digest("hex"));
  t.is(header.subarray(0, 4).toString("latin1"), "SNUP");
  t.is(header[4], 1, "format 1");
  t.is(header[5], 1, "esp32");
  t.is(header.readUInt16LE(6), 64);
  t.is(header.readUInt32LE(8), 7);
  t.is(header.readUInt32LE(12), payload.length);
  t.is(header.subarray(16, 48).toString("latin1").replace(/\0+$/, ""), "1.4.2-rc.1");
  t.deepEqual(pkg.subarray(HEADER_BYTES + SIGNATURE_BYTES), payload);
});

test("the streaming verifier accepts the package in any chunking and releases exactly the payload", async (t) => {
  const pkg = await pack(path.join(dir, "b.snup"), "--target", "esp32", "--version", "2.0.0", "--counter", "3", "--bin", bin);
  for (const chunk of [1, 7, 80, 143, 144, 145, 4096, pkg.length]) {
    const r = verify(pkg, options(), chunk);
    t.is(r.code, undefined, `chunks of ${chunk}: ${r.message}`);
    t.deepEqual(r.released, payload);
  }
});

test("each refusal names its reason, and nothing of the payload is released before the header is authenticated", async (t) => {
  const pkg = await pack(path.join(dir, "c.snup"), "--target", "esp32", "--version", "2.0.0", "--counter", "3", "--bin", bin);
  const at = (b: Buffer, i: number, v: number) => {
    const c = Buffer.from(b);
    c[i] = v;
    return c;
  };
  const cases: [string, Uint8Array, Partial<VerifierOptions>, string][] = [
    ["not a package", Buffer.from("<html>404</html>".padEnd(300, " ")), {}, "bad-magic"],
    ["format 2", at(pkg, 4, 2), {}, "bad-format"],
    ["a 72-byte signature", at(pkg, 6, 72), {}, "signature-length"],
    ["a sim package", pkg, { target: "sim" }, "wrong-target"],
    ["a slot smaller than the payload", pkg, { slotBytes: payload.length - 1 }, "too-large"],
    ["a running counter of 4", pkg, { counter: 4 }, "old-counter"],
    ["a changed counter", at(pkg, 8, 9), {}, "bad-signature"],
    ["a changed signature", at(pkg, HEADER_BYTES + 5, pkg[HEADER_BYTES + 5] ^ 1), {}, "bad-signature"],
    ["an untrusted key", pkg, { keys: [crypto.generateKeyPairSync("ec", { namedCurve: "prime256v1" }).publicKey.export({ type: "spki", format: "der" })] }, "bad-signature"],
    ["a changed payload byte", at(pkg, pkg.length - 1, pkg[pkg.length - 1] ^ 1), {}, "hash-mismatch"],
    ["cut in the payload", pkg.subarray(0, pkg.length - 1), {}, "truncated"],
    ["cut in the signature", pkg.subarray(0, HEADER_BYTES + 10), {}, "truncated"],
    ["a byte more than announced", Buffer.concat([pkg, Buffer.of(0)]), {}, "too-long"],
  ];
  for (const [what, bytes, o, code] of cases) {
    const r = verify(bytes, options(o));
    t.is(r.code, code, what);
    t.truthy(r.message, what);
    if (["bad-magic", "bad-format", "signature-length", "wrong-target", "too-large", "old-counter", "bad-signature"].includes(code)) t.is(r.released.length, 0, `${what}: nothing released`);
  }
});

test("key rotation: a package signed by any one of the trusted keys is accepted; trusted keys come from the build's otaKeys value", async (t) => {
  const old = crypto.generateKeyPairSync("ec", { namedCurve: "prime256v1" }).publicKey.export({ type: "spki", format: "der" });
  const pkg = await pack(path.join(dir, "d.snup"), "--target", "sim", "--version", "1.0.0", "--bin", bin);
  const value = [old, spki()].map((k) => k.toString("base64")).join(",");
  const parsed = trustedKeys(value);
  if (typeof parsed === "string") return t.fail(parsed);
  t.is(verify(pkg, options({ target: "sim", counter: 0, keys: parsed })).code, undefined);
  t.is(verify(pkg, options({ target: "sim", counter: 0, keys: [old] })).code, "bad-signature");
  t.regex(String(trustedKeys("bm90IGEga2V5")), /key 1: /);
});

test("a header made by the firmware's encoder for a sim payload is signed and checked like a packed one (encoder and parser share one table)", (t) => {
  const { privateKey, publicKey } = crypto.generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const body = crypto.randomBytes(3000);
  const header = encodeHeader({ target: "sim", counter: 1, payloadSize: body.length, version: "0.2.0", sha256: crypto.createHash("sha256").update(body).digest() });
  const sig = crypto.sign("sha256", header, { key: privateKey, dsaEncoding: "ieee-p1363" });
  const r = verify(Buffer.concat([header, sig, body]), options({ target: "sim", counter: 1, keys: [publicKey.export({ type: "spki", format: "der" })] }));
  t.is(r.code, undefined);
});

test("pack without --bin for sim: the firmware bundle, stamped with the package's version and the signing key's public half", async (t) => {
  const pkg = await pack(path.join(dir, "e.snup"), "--target", "sim", "--version", "0.3.1");
  const script = pkg.subarray(HEADER_BYTES + SIGNATURE_BYTES).toString("utf8");
  const context: Record<string, unknown> = {};
  vm.runInNewContext(script, context); // a fresh context, as the simulator boots it
  const image = context.SensorNodeFirmware as { NodeApp?: unknown; FIRMWARE_VERSION?: string; otaKeys?: string };
  t.is(typeof image?.NodeApp, "function");
  t.is(image.FIRMWARE_VERSION, "0.3.1");
  // The key the image trusts for the next update: the public key openssl derives from the private one.
  const publicDer = execFileSync("openssl", ["pkey", "-in", path.join(keys, "ota-private.pem"), "-pubout", "-outform", "DER"]);
  t.is(image.otaKeys, publicDer.toString("base64"));
});

test("bad pack input: one line naming the option or file, exit 2", async (t) => {
  const key = path.join(keys, "ota-private.pem");
  const big = path.join(dir, "big.bin");
  fs.writeFileSync(big, Buffer.alloc(deviceSlotBytes() + 1));
  const rsa = path.join(dir, "rsa.pem");
  fs.writeFileSync(rsa, crypto.generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey.export({ type: "pkcs8", format: "pem" }));
  const cases: [string[], RegExp][] = [
    [["--target", "esp32", "--version", "1.0.0", "--key", key, "out"], /--bin is needed for esp32/],
    [["--target", "esp32", "--version", "1.0.0", "--key", path.join(dir, "none.pem"), "--bin", bin, "out"], /--key: cannot read .*none\.pem: ENOENT/],
    [["--target", "esp32", "--version", "1.0.0", "--key", rsa, "--bin", bin, "out"], /--key: .*rsa\.pem is a rsa key; packages are signed with ECDSA P-256/],
    [["--target", "esp32", "--version", "1.0.0", "--key", path.join(keys, "ota-public.pem"), "--bin", bin, "out"], /--key: .*ota-public\.pem is not a PEM private key/],
    [["--target", "esp32", "--version", "v1", "--key", key, "--bin", bin, "out"], /--version "v1" is not a version/],
    [["--target", "esp32", "--version", "1.0.0", "--counter", "4294967296", "--key", key, "--bin", bin, "out"], /--counter must be between 0 and 4294967295/],
    [["--target", "esp32", "--version", "1.0.0", "--key", key, "--bin", big, "out"], new RegExp(`--bin .*big\\.bin is ${deviceSlotBytes() + 1} bytes, larger than an OTA slot \\(${deviceSlotBytes()} bytes`)],
    [["--target", "esp32", "--version", "1.0.0", "--key", key, "--bin", path.join(dir, "none.bin"), "out"], /--bin: cannot read .*none\.bin: ENOENT/],
    [["--target", "avr", "--version", "1.0.0", "--key", key, "out"], /--target expects esp32 or sim/],
  ];
  for (const [args, expected] of cases) {
    const r = await runCli(["ota", "pack", ...args]);
    t.is(r.code, 2, args.join(" "));
    t.regex(r.stderr, expected);
    t.is(r.stderr.trim().split("\n").length, 1, `one line: ${r.stderr}`);
    t.notRegex(r.stderr, /BEGIN|-----/, "no key material");
  }
});
