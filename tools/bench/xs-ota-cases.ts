/*
 * XS side of the update-verification figures (tools/bench/xs-ota.ts runs it in
 * xsnap): the firmware's pure SHA-256 and P-256 verifier, and a streaming
 * verification of a package whose header and signature Node made (XS has no
 * signer) and whose payload XS regenerates chunk by chunk (nothing whole in RAM).
 */
import { pureCrypto } from "../../firmware/crypto/crypto.js";
import { Sha256 } from "../../firmware/crypto/sha256.js";
import { PackageVerifier } from "../../firmware/ota/verifier.js";
import { base64Decode } from "../../firmware/util/base64.js";
import { serveCases } from "../xs/cases/runtime.js";
import { fillPayload } from "./ota-payload.js";

const KIB = 1024;
let verifier: PackageVerifier | undefined;
let chunk: Uint8Array | undefined;
let payloadAt = 0;

const bytes = (b64: string) => base64Decode(b64)!;

serveCases({
  /** SHA-256 of `kib` KiB fed in 1 KiB updates; returns the digest's first byte (so the work is not dead). */
  sha256(arg: { kib: number }): unknown {
    const block = new Uint8Array(KIB);
    const d = new Sha256();
    for (let i = 0; i < arg.kib; i++) {
      fillPayload(block, i * KIB);
      d.update(block);
    }
    return { first: d.digest()[0] };
  },
  /** The 1 KiB fill alone, the sha256 case's baseline. */
  fill(arg: { kib: number }): unknown {
    const block = new Uint8Array(KIB);
    for (let i = 0; i < arg.kib; i++) fillPayload(block, i * KIB);
    return { last: block[KIB - 1] };
  },
  /** One ECDSA P-256 verification (SPKI parse included). */
  verify(arg: { spki: string; digest: string; signature: string }): unknown {
    return { ok: pureCrypto.verifyP256(bytes(arg.spki), bytes(arg.digest), bytes(arg.signature)) };
  },
  /** A verifier for an esp32 package, fed header and signature; then `feed` the payload. */
  start(arg: { prefix: string; spki: string; slotBytes: number; chunkBytes: number }): unknown {
    verifier = new PackageVerifier({ target: "esp32", counter: 0, slotBytes: arg.slotBytes, keys: [bytes(arg.spki)], crypto: pureCrypto });
    chunk = new Uint8Array(arg.chunkBytes);
    payloadAt = 0;
    verifier.write(bytes(arg.prefix));
    return { accepted: verifier.header !== undefined, refusal: verifier.refusal?.code ?? null };
  },
  /** The next `count` chunks of payload (the last may be short). */
  feed(arg: { count: number; total: number }): unknown {
    for (let i = 0; i < arg.count && payloadAt < arg.total; i++) {
      const n = Math.min(chunk!.length, arg.total - payloadAt);
      const part = chunk!.subarray(0, n);
      fillPayload(part, payloadAt);
      verifier!.write(part);
      payloadAt += n;
    }
    return { at: payloadAt };
  },
  finish(): unknown {
    const refusal = verifier!.finish();
    verifier = undefined;
    chunk = undefined;
    return { refusal: refusal?.code ?? null };
  },
  gc(): unknown {
    const g = globalThis as unknown as { gc?: () => void };
    if (typeof g.gc === "function") g.gc();
    return typeof g.gc === "function";
  },
});
