/*
 * Provisioned TLS material (PEM text, firmware/host.ts TlsMaterial) as the SDK's
 * TLS socket takes it (`secure` of examples/io/tcp/tlssocket, read by
 * modules/crypt/ssl/ssl_cert.js): `certificate`, the CA's DER (one: the SDK
 * registers a single trust anchor); `clientCertificates`, [the client
 * certificate's DER]; `clientKey`, the key's PKCS#8 DER. The SDK's PKCS#8 reader
 * takes RSA keys only, so an EC key is refused here, naming the field, instead of
 * failing inside the handshake. The SDK also checks the CA's dates against
 * Date.now() when the socket is made: the Host connects after SNTP (wifi.ts).
 * UNVERIFIED on a board; the simulator's TLS runs on Node's (hosts/node).
 */
import type { TlsMaterial } from "../../firmware/host.js";
import { checkCertificates, isProblem, pemBlocks } from "../../firmware/provision/certificates.js";

/** RSA's algorithm OID (1.2.840.113549.1.1.1) as it appears, with its tag and length, in a PKCS#8 AlgorithmIdentifier. */
const RSA_OID_DER = Object.freeze([0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01]);

/** The bytes of a view as an ArrayBuffer of their own (the SDK reads whole buffers). */
function own(der: Uint8Array): ArrayBuffer {
  return der.slice().buffer as ArrayBuffer;
}

function contains(der: Uint8Array, pattern: readonly number[]): boolean {
  outer: for (let i = 0; i + pattern.length <= der.length; i++) {
    for (let k = 0; k < pattern.length; k++) if (der[i + k] !== pattern[k]) continue outer;
    return true;
  }
  return false;
}

/** The `secure` options for `tls`, or an Error whose message starts with the field (ca, cert, key). */
export function secureOptions(tls: TlsMaterial, now: number | undefined): Record<string, unknown> | Error {
  const secure: Record<string, unknown> = {};
  if (tls.ca) {
    const ca = checkCertificates(tls.ca, now);
    if (isProblem(ca)) return new Error(`ca: ${ca.message}`);
    secure.certificate = own(ca[0].der);
  }
  if (tls.cert || tls.key) {
    if (!tls.cert || !tls.key) return new Error(`${tls.cert ? "key" : "cert"}: a client certificate and its key go together`);
    const cert = checkCertificates(tls.cert, now);
    if (isProblem(cert)) return new Error(`cert: ${cert.message}`);
    const blocks = pemBlocks(tls.key);
    if (isProblem(blocks)) return new Error(`key: ${blocks.message}`);
    const key = blocks[0];
    if (key.label !== "PRIVATE KEY" || !contains(key.der, RSA_OID_DER)) {
      return new Error("key: the device's TLS takes an RSA key in PKCS#8 (-----BEGIN PRIVATE KEY-----; openssl pkcs8 -topk8 -nocrypt)");
    }
    secure.clientCertificates = cert.map((c) => own(c.der));
    secure.clientKey = own(key.der);
  }
  return secure;
}
