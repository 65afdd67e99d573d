/*
 * ECDSA P-256 signature verification (FIPS 186-5 6.4.2, curve from SP 800-186),
 * pure ECMAScript with BigInt: the simulator's verifier and the XS measurement.
 * The device verifies with the SDK's native arithmetic through the Host instead
 * (firmware/crypto/crypto.ts). Verification needs no secret, so plain
 * (not constant-time) arithmetic is fine here.
 */

/** The field prime, the order of G, the curve's b (a = -3) and the base point. */
const P = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn;
const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const B = 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn;
const GX = 0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296n;
const GY = 0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5n;

/** Bytes of a coordinate, of r and of s. */
export const P256_SCALAR_BYTES = 32;
/** A raw signature: r || s, each 32 bytes big-endian. */
export const P256_SIGNATURE_BYTES = 64;

/** A public key as its affine coordinates (checked to be on the curve when parsed). */
export interface P256Point {
  readonly x: bigint;
  readonly y: bigint;
}

/** Jacobian coordinates (x = X/Z^2, y = Y/Z^3); Z = 0 is the point at infinity. */
type Jacobian = [bigint, bigint, bigint];

function mod(a: bigint, m: bigint): bigint {
  const r = a % m;
  return r < 0n ? r + m : r;
}

/** a^-1 mod m (m prime, a not 0 mod m), by the extended Euclidean algorithm. */
function invert(a: bigint, m: bigint): bigint {
  let [r0, r1] = [mod(a, m), m];
  let [s0, s1] = [1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  return mod(s0, m);
}

/** True when (x, y) satisfies y^2 = x^3 - 3x + b over the field. */
export function onCurve(x: bigint, y: bigint): boolean {
  if (x < 0n || x >= P || y < 0n || y >= P) return false;
  return mod(y * y - (x * x * x - 3n * x + B), P) === 0n;
}

/** Doubling with a = -3 (dbl-2001-b). */
function double([x, y, z]: Jacobian): Jacobian {
  if (z === 0n || y === 0n) return [1n, 1n, 0n];
  const delta = mod(z * z, P);
  const gamma = mod(y * y, P);
  const beta = mod(x * gamma, P);
  const alpha = mod(3n * (x - delta) * (x + delta), P);
  const x3 = mod(alpha * alpha - 8n * beta, P);
  const z3 = mod((y + z) * (y + z) - gamma - delta, P);
  const y3 = mod(alpha * (4n * beta - x3) - 8n * gamma * gamma, P);
  return [x3, y3, z3];
}

/** General addition (add-2007-bl), falling back to doubling for equal points. */
function add(p: Jacobian, q: Jacobian): Jacobian {
  if (p[2] === 0n) return q;
  if (q[2] === 0n) return p;
  const z1z1 = mod(p[2] * p[2], P);
  const z2z2 = mod(q[2] * q[2], P);
  const u1 = mod(p[0] * z2z2, P);
  const u2 = mod(q[0] * z1z1, P);
  const s1 = mod(p[1] * q[2] * z2z2, P);
  const s2 = mod(q[1] * p[2] * z1z1, P);
  if (u1 === u2) return s1 === s2 ? double(p) : [1n, 1n, 0n];
  const h = mod(u2 - u1, P);
  const i = mod(4n * h * h, P);
  const j = mod(h * i, P);
  const r = mod(2n * (s2 - s1), P);
  const v = mod(u1 * i, P);
  const x3 = mod(r * r - j - 2n * v, P);
  const y3 = mod(r * (v - x3) - 2n * s1 * j, P);
  const z3 = mod(((p[2] + q[2]) * (p[2] + q[2]) - z1z1 - z2z2) * h, P);
  return [x3, y3, z3];
}

/** u1*G + u2*Q in one pass over the bits (Shamir's trick). */
function twoScalars(u1: bigint, u2: bigint, q: P256Point): Jacobian {
  const g: Jacobian = [GX, GY, 1n];
  const qj: Jacobian = [q.x, q.y, 1n];
  const both = add(g, qj);
  let acc: Jacobian = [1n, 1n, 0n];
  for (let bit = 255n; bit >= 0n; bit--) {
    acc = double(acc);
    const a = (u1 >> bit) & 1n;
    const b = (u2 >> bit) & 1n;
    if (a && b) acc = add(acc, both);
    else if (a) acc = add(acc, g);
    else if (b) acc = add(acc, qj);
  }
  return acc;
}

/** A big-endian unsigned integer. */
export function bytesToBigInt(bytes: Uint8Array): bigint {
  let v = 0n;
  for (let i = 0; i < bytes.length; i++) v = (v << 8n) | BigInt(bytes[i]);
  return v;
}

/**
 * Verifies a raw (r || s) signature of a 32-byte SHA-256 digest under `key`.
 * False for a signature of the wrong length, r or s out of [1, n-1], or any mismatch.
 */
export function verifyP256(key: P256Point, digest: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== P256_SIGNATURE_BYTES) return false;
  const r = bytesToBigInt(signature.subarray(0, P256_SCALAR_BYTES));
  const s = bytesToBigInt(signature.subarray(P256_SCALAR_BYTES));
  if (r <= 0n || r >= N || s <= 0n || s >= N) return false;
  const e = bytesToBigInt(digest); // 256-bit digest, 256-bit n: no truncation
  const w = invert(s, N);
  const [x, , z] = twoScalars(mod(e * w, N), mod(r * w, N), key);
  if (z === 0n) return false;
  const zInv = invert(z, P);
  return mod(mod(x * zInv * zInv, P), N) === r;
}
