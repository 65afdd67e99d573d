/*
 * Trusting a client: the administrator moves its certificate from
 * `<certs>/rejected/` to `<certs>/trusted/certs/` (docs/opcua.md, "Security").
 * node-opcua's certificate manager follows both folders with a file watch and
 * checks its rejected list before its trusted one, so a missed removal event
 * leaves the certificate refused. A full re-read of the folders empties those
 * lists while it reads: a handshake in that moment finds the certificate
 * unknown, writes it into rejected/ again, and from then on it is refused for
 * good. (A re-read every 5 s did exactly that on a loaded machine.)
 *
 * So the gateway re-reads only on demand (SIGHUP; a test calls it), and makes
 * it hold: copies in rejected/ of a trusted certificate are removed first,
 * and it reads again until every trusted certificate checks, a few rounds at
 * most (a client retrying its handshake can race a round). The watch stays
 * node-opcua's: it changes its lists one file at a time, never emptying them.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

/** What the gateway uses of node-opcua's certificate manager (public methods). */
export interface TrustStore {
  reloadCertificates(): Promise<void>;
  verifyCertificate(certificate: Buffer): Promise<string>;
}

/** Rounds of remove-and-read before giving up (a client retrying its handshake in every re-read). */
const MAX_ROUNDS = 5;

interface CertFile {
  file: string;
  certificate: crypto.X509Certificate;
}

/** The certificates in `dir` (PEM or DER files; anything else is skipped). */
function certificates(dir: string): CertFile[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const out: CertFile[] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    try {
      out.push({ file, certificate: new crypto.X509Certificate(fs.readFileSync(file)) });
    } catch {
      // not a certificate (or gone meanwhile)
    }
  }
  return out;
}

export class ClientTrust {
  readonly #store: TrustStore;
  readonly #trusted: string;
  readonly #rejected: string;
  readonly #log: (line: string) => void;
  /** Re-reads run one at a time. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(store: TrustStore, certsDir: string, log: (line: string) => void) {
    this.#store = store;
    this.#trusted = path.join(certsDir, "trusted", "certs");
    this.#rejected = path.join(certsDir, "rejected");
    this.#log = log;
  }

  /** Re-reads the folders until every certificate in trusted/certs is trusted (a few rounds at most); resolves with how many are accepted. */
  reload(): Promise<number> {
    const run = this.#queue.then(() => this.#reload());
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #reload(): Promise<number> {
    for (let round = 1; ; round++) {
      const trusted = certificates(this.#trusted);
      const fingerprints = new Set(trusted.map((c) => c.certificate.fingerprint256));
      for (const r of certificates(this.#rejected)) if (fingerprints.has(r.certificate.fingerprint256)) fs.rmSync(r.file, { force: true });
      await this.#store.reloadCertificates();
      const refused: string[] = [];
      let untrusted = 0;
      for (const c of trusted) {
        const status = await this.#store.verifyCertificate(c.certificate.raw);
        if (status === "Good") continue;
        if (status === "BadCertificateUntrusted") untrusted++;
        refused.push(`${c.certificate.subject.replace(/\n/g, ", ")} (${status})`);
      }
      if (untrusted && round < MAX_ROUNDS) continue;
      // Trusted, yet refused for what the certificate is (expired, revoked, ...): the administrator's to see.
      const accepted = trusted.length - refused.length;
      this.#log(`client certificates: ${accepted} trusted (${this.#trusted} read)${refused.length ? `; refused: ${refused.join("; ")}` : ""}`);
      return accepted;
    }
  }
}
