/*
 * The envelope's pass over one window's samples, portable C99, float32
 * arithmetic (the ESP32's FPU is single precision only). It computes what
 * firmware/dsp/demodulate.ts computes in XS (Demodulator.run): per sample one
 * band-pass biquad run on g x its output, y_k = x_k - x_k-2 - a1 y_k-1 -
 * a2 y_k-2; every second sample the squared magnitude q = y_k^2 - 2 cos(W)
 * y_k y_k-1 + y_k-1^2 and e = sqrt(q); envelope value d (samples 2d, 2d + 1)
 * times w[2d] of the n-point periodic Hann window into the spectrum kernel's
 * packed input (spectrum_kernel.h): packed point j = e_2j + i e_2j+1 at the
 * bit reversal of j (log2(n/2) bits), every other position zero.
 *
 * No allocation; nothing kept between calls.
 */
#ifndef DEMODULATE_KERNEL_H
#define DEMODULATE_KERNEL_H

#include <stdint.h>

/** The samples' storage: the acquirer's 2-byte counts (count + 32768) or float32. */
typedef enum { DM_UINT16 = 2, DM_FLOAT32 = 4 } dm_sample_kind;

typedef struct {
	/** Biquad feedback coefficients (normalised by a0) and 2 cos(W), W the band's centre. */
	float a1, a2, two_cos;
} dm_filter;

/** Index of each sum in dm_envelope's `sums`. */
enum { DM_SUM = 0, DM_SUM_SQUARES = 1, DM_LARGEST = 2 };

/**
 * samples: n values of `kind`; half_window: w[i] for i < n/2 (the second half
 * is 1 - w[i - n/2]); z: the kernel's n floats (re, then im), all written.
 * sums: sum of the n/2 envelope values, of their squares, and their largest
 * value (DM_SUM, DM_SUM_SQUARES, DM_LARGEST). Returns 0, or -1 when n is not a
 * power of two >= 4.
 */
int dm_envelope(const void *samples, dm_sample_kind kind, uint32_t n, const float *half_window, const dm_filter *filter, float *z, double sums[3]);

#endif
