/*
 * Power spectrum kernel, portable C99, float32 arithmetic (the ESP32's FPU is
 * single precision only). It computes what firmware/dsp/spectrum.ts computes in
 * XS (RealFFT.packedPowerX4): the remaining stages of an n/2-point complex FFT
 * of n real samples packed as z_j = x_2j + i x_2j+1 in bit-reversed order, then
 * the split into the one-sided power spectrum times 4, 4 |X[k]|^2, k = 0..n/2.
 *
 * No allocation: the caller owns the plan (sk_plan_bytes(n) bytes, 4-byte
 * aligned, built once by sk_plan_init) and the buffers. The plan holds no
 * pointers, so it may live in memory that moves between calls (an XS chunk).
 */
#ifndef SPECTRUM_KERNEL_H
#define SPECTRUM_KERNEL_H

#include <stddef.h>
#include <stdint.h>

/** Largest n supported (the bit reversal and tables use 32-bit indices; this bounds the plan size). */
#define SK_MAX_N 65536u

/** Bytes of the plan for n real samples; 0 when n is not a power of two in 2..SK_MAX_N. */
size_t sk_plan_bytes(uint32_t n);

/** Builds the tables for n real samples into plan (sk_plan_bytes(n) bytes). Returns 0, or -1 for a bad n. */
int sk_plan_init(void *plan, uint32_t n);

/** The n a plan was built for. */
uint32_t sk_plan_n(const void *plan);

/** rev[j] = the bit-reversed index of j for the n/2-point complex FFT, j < n/2 (where the caller writes z_j). */
void sk_bitrev(uint32_t n, uint32_t *rev);

/**
 * re, im: n/2 points, in bit-reversed order and already transformed in blocks of
 * h (h = 1: not at all; the first log2 h decimation-in-time stages done by the
 * caller, as the feature extractor's first pass does with h = 8). Destroyed.
 * power: n/2 + 1 values out, 4 |X[k]|^2.
 * Returns 0, or -1 when h is not a power of two <= n/2.
 */
int sk_power_x4(const void *plan, float *re, float *im, uint32_t h, float *power);

#endif
