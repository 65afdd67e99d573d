/*
 * Power spectrum kernel, portable C99, float32 arithmetic (the ESP32's FPU is
 * single precision only). It computes what firmware/dsp/spectrum.ts computes in
 * XS (RealFFT.packedPowerX4): the remaining stages of an n/2-point complex FFT
 * of n real samples packed as z_j = x_2j + i x_2j+1 in bit-reversed order, then
 * the split into the one-sided power spectrum times 4, 4 |X[k]|^2, k = 0..n/2.
 *
 * No allocation: the caller owns the plan (sk_plan_bytes(n) bytes, 4-byte
 * aligned, built once by sk_plan_init: a quarter-wave float table, n + 12
 * bytes) and the one buffer of n floats that holds the input and then the
 * power spectrum. The plan holds no pointers, so it may live in memory that
 * moves between calls (an XS chunk).
 */
#ifndef SPECTRUM_KERNEL_H
#define SPECTRUM_KERNEL_H

#include <stddef.h>
#include <stdint.h>

/** Largest n supported (this bounds the plan size). */
#define SK_MAX_N 65536u

/** Bytes of the plan for n real samples; 0 when n is not a power of two in 2..SK_MAX_N. */
size_t sk_plan_bytes(uint32_t n);

/** Builds the tables for n real samples into plan (sk_plan_bytes(n) bytes). Returns 0, or -1 for a bad n. */
int sk_plan_init(void *plan, uint32_t n);

/** The n a plan was built for. */
uint32_t sk_plan_n(const void *plan);

/**
 * z: n floats, re then im of the n/2 packed points z_j = x_2j + i x_2j+1, each
 * at the bit reversal of j (log2(n/2) bits, as firmware/dsp/bitrev.ts), already
 * transformed in blocks of h (h = 1: not at all; the first log2 h
 * decimation-in-time stages done by the caller, as the feature extractor's
 * first pass does with h = 8). Out: z[0..n/2] = 4 |X[k]|^2 (the rest is
 * scratch). Returns 0, or -1 when h is not a power of two <= n/2.
 */
int sk_power_x4(const void *plan, float *z, uint32_t h);

#endif
