/**
 * Types of spectrum.js, the Moddable binding of the C spectrum kernel (module
 * "firmware/dsp/spectrum" in Moddable builds). Same shape as the portable
 * kernel's SpectrumKernel (firmware/dsp/spectrum.ts; test/spectrum-native.test.ts
 * checks it), with float32 buffers (views of one: the power spectrum is
 * written over the packed input). Self-contained: mcconfig places it under the
 * mapped specifier.
 */
export declare class PowerSpectrum {
  constructor(n: number);
  readonly n: number;
  readonly packedRe: Float32Array;
  readonly packedIm: Float32Array;
  readonly power: Float32Array;
  powerX4(h: number): void;
}
