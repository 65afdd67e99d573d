/*
 * SHA-256 (FIPS 180-4), incremental: update() any number of chunks of any size,
 * then digest() once. Pure ECMAScript for the simulator and for XS measurement;
 * the device uses the SDK's native digest through the Host (firmware/crypto/crypto.ts).
 * RAM per instance: the state, one 64-byte block and the 64-word schedule (about
 * 0.6 KiB), whatever the length hashed.
 */

import type { Sha256Digest } from "../host.js";

/** The first 32 bits of the fractional parts of the cube roots of the first 64 primes (FIPS 180-4 4.2.2). */
const K = Uint32Array.of(
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
);

/** Initial hash value H(0) (FIPS 180-4 5.3.3). */
const H0 = Object.freeze([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);

export const SHA256_BYTES = 32;
const BLOCK_BYTES = 64;
/** The padding's length field: the message length in bits, 8 bytes big-endian. */
const LENGTH_BYTES = 8;

export class Sha256 implements Sha256Digest {
  #h = Uint32Array.from(H0);
  #w = new Uint32Array(64);
  #block = new Uint8Array(BLOCK_BYTES);
  #fill = 0;
  /** Bytes hashed so far (a Number stays exact up to 2^53: far beyond any image). */
  #length = 0;
  #done = false;

  update(bytes: Uint8Array): void {
    if (this.#done) throw new Error("sha256: update after digest");
    this.#length += bytes.length;
    let i = 0;
    // Fill a partial block first, then hash whole blocks straight from the input.
    if (this.#fill) {
      const take = Math.min(BLOCK_BYTES - this.#fill, bytes.length);
      this.#block.set(bytes.subarray(0, take), this.#fill);
      this.#fill += take;
      i = take;
      if (this.#fill < BLOCK_BYTES) return;
      this.#compress(this.#block, 0);
      this.#fill = 0;
    }
    for (; i + BLOCK_BYTES <= bytes.length; i += BLOCK_BYTES) this.#compress(bytes, i);
    if (i < bytes.length) {
      this.#block.set(bytes.subarray(i), 0);
      this.#fill = bytes.length - i;
    }
  }

  digest(): Uint8Array {
    if (this.#done) throw new Error("sha256: digest twice");
    this.#done = true;
    const block = this.#block;
    const bits = this.#length * 8;
    block[this.#fill++] = 0x80;
    if (this.#fill > BLOCK_BYTES - LENGTH_BYTES) {
      block.fill(0, this.#fill);
      this.#compress(block, 0);
      this.#fill = 0;
    }
    block.fill(0, this.#fill);
    // The bit length, big-endian; its high word is what a 32-bit shift cannot reach.
    writeUint32(block, BLOCK_BYTES - 8, Math.floor(bits / 0x100000000));
    writeUint32(block, BLOCK_BYTES - 4, bits >>> 0);
    this.#compress(block, 0);
    const out = new Uint8Array(SHA256_BYTES);
    for (let j = 0; j < 8; j++) writeUint32(out, j * 4, this.#h[j]);
    return out;
  }

  #compress(bytes: Uint8Array, at: number): void {
    const w = this.#w;
    for (let t = 0; t < 16; t++, at += 4) w[t] = (bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3];
    for (let t = 16; t < 64; t++) {
      const a = w[t - 15];
      const b = w[t - 2];
      const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
      const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
      w[t] = w[t - 16] + s0 + w[t - 7] + s1;
    }
    const h = this.#h;
    let a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    for (let t = 0; t < 64; t++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const t1 = (hh + S1 + ((e & f) ^ (~e & g)) + K[t] + w[t]) | 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      hh = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
  }
}

function writeUint32(out: Uint8Array, at: number, v: number): void {
  out[at] = v >>> 24;
  out[at + 1] = (v >>> 16) & 0xff;
  out[at + 2] = (v >>> 8) & 0xff;
  out[at + 3] = v & 0xff;
}

/** SHA-256 of one buffer. */
export function sha256(bytes: Uint8Array): Uint8Array {
  const d = new Sha256();
  d.update(bytes);
  return d.digest();
}
