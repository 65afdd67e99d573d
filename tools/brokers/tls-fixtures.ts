/*
 * Throwaway PKI and broker credentials for tests and demos (Node tooling).
 *
 * makeTlsFixtures() runs the `openssl` CLI into a fresh temporary directory:
 * a CA, a server certificate for 127.0.0.1/localhost signed by it, client
 * certificates (CN = node id) signed by it, and an unrelated "rogue" CA that
 * signs a server certificate nothing should trust. Keys are EC P-256 (fast to
 * make), or RSA 2048 in PKCS#8 (`keyType: "rsa"`: the Moddable SDK's TLS takes RSA
 * client keys only, docs/moddable.md). Nothing is installed or kept: the
 * directory is deleted by cleanup().
 *
 * writePasswordFile() writes a mosquitto 2.x password file ($7$ = PBKDF2-SHA512,
 * 101 iterations, the format mosquitto_passwd writes) without needing that tool.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { execFileSync, spawnSync } from "node:child_process";
import { pbkdf2Sync, randomBytes } from "node:crypto";

export interface CertFiles {
  cert: string;
  key: string;
}

export interface TlsFixtures {
  dir: string;
  /** The CA that signed the server and client certificates. */
  caFile: string;
  /** An unrelated CA: trusting it instead of `caFile` must fail. */
  rogueCaFile: string;
  /** Server certificate (CN 127.0.0.1, SAN IP:127.0.0.1, DNS:localhost) and key. */
  server: CertFiles;
  /** A server certificate for 127.0.0.1 signed by the rogue CA (a man in the middle). */
  rogueServer: CertFiles;
  /** A server certificate signed by the CA for another name only (DNS:broker.invalid): connecting to 127.0.0.1 fails the name check. */
  misnamedServer: CertFiles;
  /** Client certificates by common name. */
  clients: Record<string, CertFiles>;
  cleanup(): void;
}

/** The `openssl` version string, or undefined when the CLI is missing. */
export function opensslVersion(): string | undefined {
  const r = spawnSync("openssl", ["version"], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

export function makeTlsFixtures(options: { clients?: string[]; days?: number; keyType?: "ec" | "rsa" } = {}): TlsFixtures {
  if (!opensslVersion()) throw new Error("the openssl CLI is needed to make test certificates (Debian: apt-get install openssl)");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sensor-node-tls-"));
  const days = String(options.days ?? 2);
  const file = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  const key = (name: string) =>
    options.keyType === "rsa"
      ? openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", file(name))
      : openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", file(name));

  const makeCa = (name: string, cn: string) => {
    key(`${name}.key`);
    openssl("req", "-x509", "-new", "-key", file(`${name}.key`), "-sha256", "-days", days, "-subj", `/CN=${cn}`,
      "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-out", file(`${name}.crt`));
  };
  const sign = (ca: string, name: string, cn: string, ext: string[]): CertFiles => {
    key(`${name}.key`);
    openssl("req", "-new", "-key", file(`${name}.key`), "-subj", `/CN=${cn}`, "-out", file(`${name}.csr`));
    fs.writeFileSync(file(`${name}.ext`), ext.join("\n") + "\n");
    openssl("x509", "-req", "-in", file(`${name}.csr`), "-CA", file(`${ca}.crt`), "-CAkey", file(`${ca}.key`), "-CAcreateserial",
      "-days", days, "-sha256", "-extfile", file(`${name}.ext`), "-out", file(`${name}.crt`));
    fs.chmodSync(file(`${name}.key`), 0o600);
    return { cert: file(`${name}.crt`), key: file(`${name}.key`) };
  };
  const serverExt = ["basicConstraints=CA:FALSE", "keyUsage=critical,digitalSignature", "extendedKeyUsage=serverAuth", "subjectAltName=IP:127.0.0.1,DNS:localhost"];
  const clientExt = ["basicConstraints=CA:FALSE", "keyUsage=critical,digitalSignature", "extendedKeyUsage=clientAuth"];

  try {
    makeCa("ca", "sensor-node test CA");
    makeCa("rogue-ca", "rogue CA");
    const server = sign("ca", "server", "127.0.0.1", serverExt);
    const rogueServer = sign("rogue-ca", "rogue-server", "127.0.0.1", serverExt);
    const misnamedServer = sign("ca", "misnamed-server", "broker.invalid", [...serverExt.slice(0, -1), "subjectAltName=DNS:broker.invalid"]);
    const clients: Record<string, CertFiles> = {};
    for (const cn of options.clients ?? []) {
      if (!/^[A-Za-z0-9_-]{1,64}$/.test(cn)) throw new Error(`client name ${JSON.stringify(cn)}: use 1-64 of A-Z a-z 0-9 _ -`);
      clients[cn] = sign("ca", `client-${cn}`, cn, clientExt);
    }
    // mosquitto may drop privileges before reading its files: keep them readable, the directory is private anyway.
    fs.chmodSync(dir, 0o700);
    return { dir, caFile: file("ca.crt"), rogueCaFile: file("rogue-ca.crt"), server, rogueServer, misnamedServer, clients, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
  } catch (error) {
    fs.rmSync(dir, { recursive: true, force: true });
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(`openssl failed${stderr ? `: ${stderr}` : ""}`);
  }
}

/**
 * mosquitto.conf lines for a TLS listener on 127.0.0.1:`port` with `server`'s certificate,
 * trusting the fixtures' CA for client certificates; `ciphers` restricts TLS 1.2 suites (OpenSSL names).
 */
export function tlsListener(pki: TlsFixtures, port: number, server: CertFiles, o: { requireCertificate?: boolean; ciphers?: string } = {}): string[] {
  return [
    `listener ${port} 127.0.0.1`,
    `cafile ${pki.caFile}`,
    `certfile ${server.cert}`,
    `keyfile ${server.key}`,
    `require_certificate ${o.requireCertificate === true}`,
    ...(o.ciphers ? [`ciphers ${o.ciphers}`] : []),
  ];
}

/** A mosquitto 2.x password file line for `user` (PBKDF2-SHA512, 101 iterations, 12-byte salt). */
export function mosquittoPasswordLine(user: string, password: string): string {
  if (user.includes(":") || /[\r\n]/.test(user)) throw new Error(`user name ${JSON.stringify(user)} may not contain ':' or a line break`);
  const salt = randomBytes(12);
  const hash = pbkdf2Sync(Buffer.from(password, "utf8"), salt, 101, 64, "sha512");
  return `${user}:$7$101$${salt.toString("base64")}$${hash.toString("base64")}`;
}

/** Writes a password file (mode 0600) for `users` and returns its path. */
export function writePasswordFile(file: string, users: Record<string, string>): string {
  fs.writeFileSync(file, Object.entries(users).map(([u, p]) => mosquittoPasswordLine(u, p)).join("\n") + "\n", { mode: 0o600 });
  return file;
}

/**
 * The ACL this project recommends (docs/security.md): a node, authenticated as
 * user = its node id, writes only under `<prefix>/<its id>/` and reads only its
 * own commands; `operators` may read everything and send commands.
 */
export function recommendedAcl(prefix: string, operators: string[]): string {
  const lines = [
    "# Nodes: the user name is the node id (password or certificate CN).",
    `pattern write ${prefix}/%u/#`,
    `pattern read ${prefix}/%u/cmd/#`,
    "",
  ];
  for (const op of operators) {
    lines.push(`user ${op}`, `topic read ${prefix}/#`, `topic write ${prefix}/+/cmd/#`, "");
  }
  return lines.join("\n");
}
