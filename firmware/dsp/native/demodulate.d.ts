/**
 * Types of demodulate.js, the Moddable binding of the C envelope pass (module
 * "firmware/dsp/demodulate" in Moddable builds). Same shape as the portable
 * Demodulator (firmware/dsp/demodulate.ts; test/demodulate-native.test.ts checks
 * it). Self-contained: mcconfig places it under the mapped specifier.
 */
interface DemodulationTarget {
  kernel: { readonly packedRe: Float32Array | Float64Array; readonly packedIm: Float32Array | Float64Array };
  halfWindow: Float32Array;
  base: ArrayLike<number>;
}

export declare const SUM: 0;
export declare const SUM_SQUARES: 1;
export declare const LARGEST: 2;

export declare class Demodulator {
  constructor(n: number, target: DemodulationTarget, filter: { a1: number; a2: number; twoCos: number });
  readonly n: number;
  readonly sums: Float64Array;
  run(samples: Float32Array | Uint16Array): void;
}
