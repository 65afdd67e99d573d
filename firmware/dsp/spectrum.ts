/*
 * The spectrum kernel: the power spectrum of one window, the step the feature
 * extractor hands off. This module is the portable kernel (XS or any JS engine,
 * on RealFFT; float32 storage, float64 arithmetic). Moddable builds map the module specifier
 * "firmware/dsp/spectrum" to firmware/dsp/native/spectrum.js instead, a binding
 * to the C kernel (float32) with the same shape (manifests/common.json,
 * docs/moddable.md). Node and xsnap always run this one.
 *
 * Protocol: the caller writes the n/2 packed points z_j = x_2j + i x_2j+1 into
 * packedRe/packedIm at the bit reversal of j (firmware/dsp/bitrev.ts),
 * optionally already transformed in blocks of h (the first log2 h
 * decimation-in-time stages), then calls powerX4(h); `power`
 * then holds 4 |X[k]|^2 for k = 0..n/2 (the factor 4: the split's halvings are
 * left out, callers fold it into their scale). `power` is a view over the packed
 * input (packedRe, then packedIm[0]): the kernel holds one buffer of n values.
 */
import { RealFFT } from "./real-fft.js";

type Samples = Float64Array | Float32Array;

/**
 * Tables and buffers in float32, as the C kernel: half the RAM (the kernel's
 * share of the DSP), each stored value within 6e-8 (relative), spectra within
 * about 1e-6 of the largest bin; the features need 3-4 digits.
 */
const STORAGE = Float32Array;

export interface SpectrumKernel {
  /** Real samples per window (a power of two >= 2). */
  readonly n: number;
  readonly packedRe: Samples;
  readonly packedIm: Samples;
  /** 4 |X[k]|^2, k = 0..n/2, after powerX4 (over packedRe and packedIm[0]). */
  readonly power: Samples;
  /** The power spectrum of the packed input, transformed in blocks of h already (h = 1: not at all). */
  powerX4(h: number): void;
}

export class PowerSpectrum implements SpectrumKernel {
  readonly n: number;
  readonly packedRe: Samples;
  readonly packedIm: Samples;
  readonly power: Samples;
  #fft: RealFFT;

  constructor(n: number) {
    this.n = n;
    this.#fft = new RealFFT(n, STORAGE);
    this.packedRe = this.#fft.packedRe;
    this.packedIm = this.#fft.packedIm;
    this.power = this.#fft.power;
  }

  powerX4(h: number): void {
    this.#fft.packedPowerX4(h);
  }
}
