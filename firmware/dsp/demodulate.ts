/*
 * The envelope's pass over the samples (envelope.ts, steps 1-3): band-pass,
 * demodulate, Hann-window and place the envelope into the spectrum kernel's
 * packed input. This module is the portable pass (XS or any JS engine, float64
 * arithmetic). Moddable builds map the module specifier "firmware/dsp/demodulate"
 * to firmware/dsp/native/demodulate.js instead, a binding to the C pass
 * (demodulate_kernel.c, float32) with the same shape, as they map the spectrum
 * kernel (spectrum.ts; manifests/spectrum-native.json). It is the envelope's one
 * loop per sample: in XS it costs most of the bearing diagnostics
 * (docs/decisions.md 31 and 53).
 *
 * Per sample, one RBJ band-pass biquad run on g x its output, y_k = x_k -
 * x_k-2 - a1 y_k-1 - a2 y_k-2; every second sample the band signal's squared
 * magnitude from two successive outputs, q = y_k^2 - 2 cos(W) y_k y_k-1 +
 * y_k-1^2 (sin^2 W and g folded into the caller's scale), and e = sqrt(q).
 * Envelope value d (samples 2d, 2d + 1) is windowed with w[2d] of the n-point
 * periodic Hann window: the n/2 values make the first half of the kernel's
 * n-point input, whose second half stays zero. Packed point j = e_2j + i e_2j+1
 * goes to the bit reversal of j (the kernel's protocol, spectrum.ts); j < n/4,
 * so only even positions hold data.
 */
import type { IndexTable } from "./bitrev.js";
import type { SpectrumKernel } from "./spectrum.js";
import type { WindowSamples } from "./fft-first-pass.js";

/** The band-pass and demodulation constants (envelope.ts computes them from the band). */
export interface DemodulationFilter {
  /** Biquad feedback coefficients (normalised by a0). */
  a1: number;
  a2: number;
  /** 2 cos(W), W the band's centre in radians per sample. */
  twoCos: number;
}

/** What the pass writes into and reads: the feature extractor's kernel, its half Hann window (float32, n/2) and the first pass's bit-reversal base table (n/16). */
export interface DemodulationTarget {
  kernel: SpectrumKernel;
  halfWindow: Float32Array;
  base: IndexTable;
}

/** Index of each sum in Demodulator.sums. */
export const SUM = 0;
export const SUM_SQUARES = 1;
export const LARGEST = 2;

/** Bit reversal of the segment number (top 2 of the packed index's bits) for the data half. */
const SEGMENT_OFFSET = Object.freeze([0, 4, 2, 6]);

export class Demodulator {
  readonly n: number;
  /** After run(): sum of the n/2 envelope values, sum of their squares, their largest value (SUM, SUM_SQUARES, LARGEST). */
  readonly sums: Float64Array;
  #target: DemodulationTarget;
  #a1: number;
  #a2: number;
  #twoCos: number;

  /** `n`: samples per window, a power of two >= 64 (a segment of the base table per quarter). */
  constructor(n: number, target: DemodulationTarget, filter: DemodulationFilter) {
    this.n = n;
    this.sums = new Float64Array(3);
    this.#target = target;
    this.#a1 = filter.a1;
    this.#a2 = filter.a2;
    this.#twoCos = filter.twoCos;
  }

  /**
   * The pass over one window's samples (length n). Four samples per
   * iteration, renaming the filter's state instead of shifting it, two
   * envelope values each (XS charges per loop iteration and per load).
   */
  run(samples: WindowSamples): void {
    const n = this.n;
    const { kernel, halfWindow: hw, base } = this.#target;
    const zr = kernel.packedRe;
    const zi = kernel.packedIm;
    // the zero-padded half and each value's zero partner of the first FFT stage
    zr.fill(0);
    zi.fill(0);
    const a1 = this.#a1, a2 = this.#a2, c2 = this.#twoCos;
    const seg = n >> 4; // packed points per segment: n/16 (4 segments of n/4 samples)
    let xa = samples[0], xb = xa, ya = 0, yb = 0;
    let u0 = 0, u1 = 0, y0 = 0, y1 = 0, y2 = 0, y3 = 0, q = 0, e = 0, mx = 0, s1 = 0, s2 = 0;
    let i = 0, j = 0, at = 0, r = 0, k = 0, wa = 0, wb = 0, b = 0;
    for (r = 0; r < 4; r++) {
      at = SEGMENT_OFFSET[r];
      // envelope value d = 2j (+1) has window w[2d] = hw[i] over the first half, 1 - hw[i - n/2] after
      wa = r < 2 ? 0 : 1;
      wb = r < 2 ? 1 : -1;
      k = r < 2 ? i : i - (n >> 1);
      for (j = 0; j < seg; j++) {
        u0 = samples[i];
        u1 = samples[i + 2];
        y0 = u0 - xa - a1 * yb - a2 * ya;
        xa = samples[i + 1];
        y1 = xa - xb - a1 * y0 - a2 * yb;
        y2 = u1 - u0 - a1 * y1 - a2 * y0;
        xb = samples[i + 3];
        y3 = xb - xa - a1 * y2 - a2 * y1;
        xa = u1;
        q = y1 * y1 - c2 * y1 * y0 + y0 * y0;
        e = Math.sqrt(q);
        s1 += e;
        s2 += q;
        if (e > mx) mx = e;
        b = base[j] + at;
        zr[b] = (wa + wb * hw[k]) * e;
        q = y3 * y3 - c2 * y3 * y2 + y2 * y2;
        e = Math.sqrt(q);
        s1 += e;
        s2 += q;
        if (e > mx) mx = e;
        zi[b] = (wa + wb * hw[k + 2]) * e;
        k += 4;
        ya = y2;
        yb = y3;
        i += 4;
      }
    }
    const sums = this.sums;
    sums[SUM] = s1;
    sums[SUM_SQUARES] = s2;
    sums[LARGEST] = mx;
  }
}
