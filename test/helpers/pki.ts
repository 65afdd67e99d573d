/*
 * Certificates and keys in the shapes provisioning must tell apart, made with
 * the openssl CLI (the independent maker) into a temporary directory: RSA and EC
 * keys in PKCS#1 / SEC1 and PKCS#8, an encrypted key, certificates valid now,
 * expired (2020-2021) and not yet valid (from 2090), and a CSR (PEM that is not a
 * certificate). `openssl ca` sets explicit dates: `x509 -days` cannot go back.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { execFileSync } from "node:child_process";

export interface PemSet {
  dir: string;
  /** PEM text by name. */
  pem: Record<"caCert" | "ecCert" | "ecSec1" | "ecPkcs8" | "rsaCert" | "rsaPkcs1" | "rsaPkcs8" | "encryptedKey" | "expiredCert" | "futureCert" | "csr" | "otherEcSec1", string>;
  cleanup(): void;
}

export function makePemSet(): PemSet {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sensor-node-pem-"));
  const f = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  try {
    openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", f("ca.key"));
    openssl("req", "-x509", "-new", "-key", f("ca.key"), "-sha256", "-days", "2", "-subj", "/CN=pem test CA", "-out", f("ca.crt"));
    // EC: SEC1 ("EC PRIVATE KEY") and PKCS#8 of the same key; a second, unrelated EC key.
    openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", f("ec.key"));
    openssl("pkcs8", "-topk8", "-nocrypt", "-in", f("ec.key"), "-out", f("ec8.key"));
    openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", f("other.key"));
    // RSA: PKCS#8 ("PRIVATE KEY", what genpkey writes) and PKCS#1 ("RSA PRIVATE KEY").
    openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", f("rsa8.key"));
    openssl("rsa", "-in", f("rsa8.key"), "-traditional", "-out", f("rsa1.key"));
    openssl("pkcs8", "-topk8", "-in", f("ec.key"), "-passout", "pass:secret", "-out", f("enc.key"));
    const sign = (key: string, cn: string, out: string, dates?: [string, string]) => {
      openssl("req", "-new", "-key", f(key), "-subj", `/CN=${cn}`, "-out", f(`${out}.csr`));
      if (!dates) {
        openssl("x509", "-req", "-in", f(`${out}.csr`), "-CA", f("ca.crt"), "-CAkey", f("ca.key"), "-CAcreateserial", "-days", "2", "-sha256", "-out", f(out));
        return;
      }
      fs.writeFileSync(f("index.txt"), "");
      fs.writeFileSync(f("serial"), "1000\n");
      fs.writeFileSync(f("ca.cnf"), "[ca]\ndefault_ca=d\n[d]\ndatabase=index.txt\nnew_certs_dir=.\nserial=serial\ndefault_md=sha256\npolicy=p\nunique_subject=no\n[p]\ncommonName=supplied\n");
      openssl("ca", "-batch", "-config", f("ca.cnf"), "-cert", f("ca.crt"), "-keyfile", f("ca.key"), "-in", f(`${out}.csr`), "-out", f(out), "-notext", "-startdate", dates[0], "-enddate", dates[1]);
    };
    sign("ec.key", "ec-node", "ec.crt");
    sign("rsa8.key", "rsa-node", "rsa.crt");
    sign("ec.key", "expired-node", "expired.crt", ["20200101000000Z", "20210101000000Z"]);
    sign("ec.key", "future-node", "future.crt", ["20900101000000Z", "20910101000000Z"]);
    const read = (name: string) => fs.readFileSync(f(name), "utf8");
    return {
      dir,
      pem: {
        caCert: read("ca.crt"),
        ecCert: read("ec.crt"),
        ecSec1: read("ec.key"),
        ecPkcs8: read("ec8.key"),
        rsaCert: read("rsa.crt"),
        rsaPkcs1: read("rsa1.key"),
        rsaPkcs8: read("rsa8.key"),
        encryptedKey: read("enc.key"),
        expiredCert: read("expired.crt"),
        futureCert: read("future.crt"),
        csr: read("ec.crt.csr"),
        otherEcSec1: read("other.key"),
      },
      cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
    };
  } catch (error) {
    fs.rmSync(dir, { recursive: true, force: true });
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(`openssl failed${stderr ? `: ${stderr}` : ""}`);
  }
}
