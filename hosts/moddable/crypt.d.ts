/*
 * The few SDK crypt modules hosts/moddable/crypto.ts uses ($MODDABLE/modules/crypt,
 * included through tls_419.json), declared as narrowly as it uses them:
 * @moddable/typings 5.6.0 has no declarations for them.
 */
declare module "crypt" {
  /** Native digests (KCL's FIPS 180 in C): "SHA256" among others. */
  export class Digest {
    constructor(type: "SHA256");
    write(data: ArrayBuffer | ArrayBufferView): void;
    /** The digest (32 bytes for SHA256). */
    close(): ArrayBuffer;
  }
}

declare module "ecp" {
  /** A point in affine coordinates (BigInt). */
  export default class ECPoint {
    constructor(x: bigint, y: bigint);
  }
}

declare module "curve" {
  /** Named curve parameters with the native modular arithmetic (arith/ec.c, mont.c). */
  export default class Curve {
    constructor(name: "secp256r1");
  }
}

declare module "ecdsa" {
  import type Curve from "curve";
  import type ECPoint from "ecp";
  export default class ECDSA {
    constructor(key: ECPoint, curve: Curve);
    /** `H` the message digest; `sig` r || s of the curve's order size each (asn1 false). */
    verify(H: ArrayBuffer, sig: ArrayBuffer, asn1?: boolean): boolean;
  }
}
