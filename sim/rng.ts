/*
 * Seeded PRNG for the simulator: xoshiro128** seeded through splitmix32, plus a
 * gaussian by the Marsaglia polar method. Only 32-bit integer ops, + - * / and
 * sqrt (all exactly rounded in IEEE 754) are used, including for the logarithm,
 * so XS and V8 produce the same bits for the same seed; Math.log is not
 * guaranteed to be identical across engines' libm.
 * XS-compatible.
 */

const LN2 = 0.6931471805599453;
const TWO_POW_32 = 4294967296;

export class Rng {
  #s0 = 0;
  #s1 = 0;
  #s2 = 0;
  #s3 = 0;
  #spare = 0;
  #hasSpare = false;

  constructor(seed: number) {
    // splitmix32 spreads any seed (0 included) over the 128-bit state.
    let x = seed >>> 0;
    const next = (): number => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.#s0 = next();
    this.#s1 = next();
    this.#s2 = next();
    this.#s3 = next();
  }

  /** Uniform 32-bit unsigned integer. */
  uint32(): number {
    const s1 = this.#s1;
    const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    this.#s2 ^= this.#s0;
    this.#s3 ^= s1;
    this.#s1 ^= this.#s2;
    this.#s0 ^= this.#s3;
    this.#s2 ^= t;
    this.#s3 = rotl(this.#s3, 11);
    return r;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.uint32() / TWO_POW_32;
  }

  /** Standard normal (mean 0, variance 1). */
  gaussian(): number {
    if (this.#hasSpare) {
      this.#hasSpare = false;
      return this.#spare;
    }
    let u = 0;
    let v = 0;
    let s = 0;
    do {
      u = 2 * this.next() - 1;
      v = 2 * this.next() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const f = Math.sqrt((-2 * ln(s)) / s);
    this.#spare = v * f;
    this.#hasSpare = true;
    return u * f;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * Natural log of x > 0 with arithmetic only: x = m * 2^e with m in [1, 2),
 * ln m = 2 atanh(z), z = (m - 1) / (m + 1) <= 1/3, series to double precision.
 */
export function ln(x: number): number {
  let e = 0;
  let m = x;
  while (m >= 2) {
    m *= 0.5;
    e++;
  }
  while (m < 1) {
    m *= 2;
    e--;
  }
  const z = (m - 1) / (m + 1);
  const z2 = z * z;
  let term = z;
  let sum = 0;
  for (let k = 1; k < 40; k += 2) {
    sum += term / k;
    term *= z2;
  }
  return 2 * sum + e * LN2;
}

/**
 * mulberry32: a tiny seeded uniform [0, 1) source for tests and benchmarks that
 * want one function, not an Rng object. The same bits in Node and XS.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
