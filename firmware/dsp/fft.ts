/*
 * The FFT, one job per module:
 *   angles.ts          the twiddle table (AngleTable), shared by the two below
 *   complex-fft.ts     FFT: complex, in place, radix-8 passes
 *   real-fft.ts        RealFFT: n real samples through an n/2-point FFT and a split step
 *   fft-first-pass.ts  a real window's first three stages with the Hann window
 *                      folded in (the feature extractor's input pass)
 * This module is their entry for callers outside the DSP (tests, bench, the
 * Moddable check app). Firmware modules import the part they use, so a
 * Moddable build, whose spectrum kernel is C (spectrum.ts), loads no
 * TypeScript transform but the first pass.
 */
export { AngleTable, type Storage } from "./angles.js";
export { FFT } from "./complex-fft.js";
export { RealFFT } from "./real-fft.js";
