/*
 * Streaming verification of an update package (docs/ota.md): bytes go in as
 * they arrive, in chunks of any size; the payload comes out as views of those
 * chunks, to be written to the inactive slot; nothing but the 144 bytes of
 * header and signature is kept. The header is authenticated before the first
 * payload byte is released (the signature covers the header, and the header
 * carries the payload's SHA-256), and finish() checks the payload's hash.
 * A refusal is final and names its reason.
 */
import type { HostCrypto, Sha256Digest } from "../host.js";
import { FORMAT_VERSION, hasMagic, HEADER_BYTES, MAGIC, parseHeader, SIGNATURE_BYTES, type PackageHeader, type Target } from "./header.js";

export type RefusalCode =
  | "bad-magic"
  | "bad-format"
  | "signature-length"
  | "wrong-target"
  | "too-large"
  | "old-counter"
  | "bad-signature"
  | "too-long"
  | "truncated"
  | "hash-mismatch";

export interface Refusal {
  code: RefusalCode;
  message: string;
}

export interface VerifierOptions {
  /** What this node runs: a package for another target is refused. */
  target: Target;
  /** The running image's security counter: a package with a lower one is refused (anti-rollback). */
  counter: number;
  /** The largest payload the inactive slot takes, bytes. */
  slotBytes: number;
  /** Trusted public keys, DER SubjectPublicKeyInfo, from the running image (any one may sign). */
  keys: readonly Uint8Array[];
  crypto: HostCrypto;
}

const EMPTY = new Uint8Array(0);
const PREFIX_BYTES = HEADER_BYTES + SIGNATURE_BYTES;

export class PackageVerifier {
  #options: VerifierOptions;
  /** Header then signature, as they arrive. */
  #prefix = new Uint8Array(PREFIX_BYTES);
  #prefixFill = 0;
  /** The header as read, then (once its signature is checked) as authenticated. */
  #parsed: PackageHeader | undefined;
  #header: PackageHeader | undefined;
  #digest: Sha256Digest | undefined;
  #payloadBytes = 0;
  #refusal: Refusal | undefined;
  #finished = false;

  constructor(options: VerifierOptions) {
    this.#options = options;
  }

  /** The authenticated header, once the signature has been checked. */
  get header(): PackageHeader | undefined {
    return this.#header;
  }

  get refusal(): Refusal | undefined {
    return this.#refusal;
  }

  /** Payload bytes released so far (the slot's write offset). */
  get payloadBytes(): number {
    return this.#payloadBytes;
  }

  /**
   * Takes the next bytes of the package. Returns the payload bytes among them (a
   * view of `chunk`, empty while the header is not yet authenticated or after a
   * refusal: check `refusal`).
   */
  write(chunk: Uint8Array): Uint8Array {
    if (this.#refusal || this.#finished) return EMPTY;
    let at = 0;
    if (!this.#header) {
      at = this.#fillPrefix(chunk);
      if (!this.#header) return EMPTY;
    }
    const payload = chunk.subarray(at);
    const room = this.#header.payloadSize - this.#payloadBytes;
    if (payload.length > room) {
      this.#refuse("too-long", `more bytes than the ${this.#header.payloadSize} bytes of payload the header announces`);
      return EMPTY;
    }
    this.#digest!.update(payload);
    this.#payloadBytes += payload.length;
    return payload;
  }

  /** After the last byte: undefined when the whole payload arrived and its hash is the header's; else the refusal. */
  finish(): Refusal | undefined {
    if (this.#refusal) return this.#refusal;
    if (this.#finished) return undefined;
    const h = this.#header;
    if (!h) return this.#refuse("truncated", `the package ends after ${this.#prefixFill} bytes, inside its header and signature (${PREFIX_BYTES} bytes)`);
    if (this.#payloadBytes < h.payloadSize) {
      return this.#refuse("truncated", `the payload ends after ${this.#payloadBytes} of ${h.payloadSize} bytes`);
    }
    const actual = this.#digest!.digest();
    for (let i = 0; i < actual.length; i++) {
      if (actual[i] !== h.sha256[i]) return this.#refuse("hash-mismatch", "the payload's SHA-256 is not the one the signed header carries");
    }
    this.#finished = true;
    return undefined;
  }

  /** Copies header and signature bytes; checks each field as soon as it is complete. Returns how much of `chunk` it took. */
  #fillPrefix(chunk: Uint8Array): number {
    const before = this.#prefixFill;
    const take = Math.min(PREFIX_BYTES - before, chunk.length);
    this.#prefix.set(chunk.subarray(0, take), before);
    const fill = (this.#prefixFill = before + take);
    if (before < MAGIC.length && fill >= MAGIC.length && !hasMagic(this.#prefix)) {
      this.#refuse("bad-magic", "not a sensor-node update package (no SNUP magic)");
    } else if (before < HEADER_BYTES && fill >= HEADER_BYTES) {
      this.#checkHeader();
    }
    if (!this.#refusal && fill === PREFIX_BYTES) this.#checkSignature();
    return take;
  }

  /** Refuses a package whose header does not allow this node to take it. */
  #checkHeader(): void {
    const h = (this.#parsed = parseHeader(this.#prefix.subarray(0, HEADER_BYTES)));
    const o = this.#options;
    if (h.format !== FORMAT_VERSION) this.#refuse("bad-format", `package format ${h.format}; this firmware reads format ${FORMAT_VERSION}`);
    else if (h.signatureLength !== SIGNATURE_BYTES) this.#refuse("signature-length", `a signature of ${h.signatureLength} bytes; P-256 r || s is ${SIGNATURE_BYTES}`);
    else if (h.target !== o.target) this.#refuse("wrong-target", `a package for ${h.target ?? "an unknown target"}; this node runs ${o.target}`);
    else if (h.payloadSize > o.slotBytes) this.#refuse("too-large", `a payload of ${h.payloadSize} bytes; the slot takes ${o.slotBytes}`);
    else if (h.counter < o.counter) this.#refuse("old-counter", `security counter ${h.counter} is lower than the running image's ${o.counter}`);
  }

  #checkSignature(): void {
    const o = this.#options;
    const d = o.crypto.sha256();
    d.update(this.#prefix.subarray(0, HEADER_BYTES));
    const digest = d.digest();
    const signature = this.#prefix.subarray(HEADER_BYTES);
    if (!o.keys.some((key) => o.crypto.verifyP256(key, digest, signature))) {
      this.#refuse("bad-signature", `the header's signature is not from any of the ${o.keys.length} trusted key(s)`);
      return;
    }
    this.#header = this.#parsed;
    this.#digest = o.crypto.sha256();
  }

  #refuse(code: RefusalCode, message: string): Refusal {
    this.#refusal ??= { code, message };
    return this.#refusal;
  }
}
