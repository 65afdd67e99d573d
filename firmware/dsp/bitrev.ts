/*
 * Bit reversal for radix-2 FFTs of power-of-two size. Its own module so that the
 * feature extractor can place its input without loading the FFT (Moddable
 * builds run the C kernel and never load fft.ts).
 */

/** Indices below this fit in 16 bits: their tables are Uint16Array (half the RAM of Uint32Array). */
const UINT16_INDICES = 0x10000;

export type IndexTable = Uint16Array | Uint32Array;

/** A zeroed table of `length` indices, each below `limit`. */
export function indexTable(length: number, limit: number): IndexTable {
  return limit <= UINT16_INDICES ? new Uint16Array(length) : new Uint32Array(length);
}

/** Number of bits of the indices of an n-point FFT (n a power of two). */
export function log2(n: number): number {
  let bits = 0;
  while (1 << bits < n) bits++;
  return bits;
}

/** i with its low `bits` bits in reverse order. */
export function reverseBits(i: number, bits: number): number {
  let r = 0;
  for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
  return r;
}

/** rev[i] = reverseBits(i, log2 n) for i < n, in 16-bit entries when they fit. */
export function bitReversal(n: number): IndexTable {
  const rev = indexTable(n, n);
  const bits = log2(n);
  for (let i = 0; i < n; i++) rev[i] = reverseBits(i, bits);
  return rev;
}
