/*
 * Power spectrum kernel (see spectrum_kernel.h). Radix-2 decimation in time,
 * as ESP-DSP's dsps_fft2r_fc32, so its published ESP32 cycle counts bound ours.
 * The table is computed in double once (sk_plan_init) and stored as float.
 */
#include "spectrum_kernel.h"

#include <math.h>

typedef struct {
	uint32_t n;
	uint32_t m; /* n / 2 complex points */
	/*
	 * sine[t] = sin(2 pi t / n), t <= n / 4: one quarter wave gives the FFT's
	 * twiddles (angles 2 pi j / span = 2 pi t / n with t < n / 2, see angle())
	 * and the split's (2 pi k / n, k <= n / 4).
	 */
	float sine[];
} sk_plan;

static const double SK_TWO_PI = 6.283185307179586476925286766559;

static int is_power_of_two(uint32_t v) {
	return v != 0 && (v & (v - 1)) == 0;
}

size_t sk_plan_bytes(uint32_t n) {
	if (n < 2 || n > SK_MAX_N || !is_power_of_two(n)) return 0;
	return sizeof(sk_plan) + sizeof(float) * (size_t)(n / 4 + 1);
}

int sk_plan_init(void *plan, uint32_t n) {
	sk_plan *p = (sk_plan *)plan;
	uint32_t t;
	if (!sk_plan_bytes(n)) return -1;
	p->n = n;
	p->m = n / 2;
	for (t = 0; t <= n / 4; t++) p->sine[t] = (float)sin(SK_TWO_PI * t / n);
	return 0;
}

uint32_t sk_plan_n(const void *plan) {
	return ((const sk_plan *)plan)->n;
}

/* One radix-2 twiddle W = wr + i wi on the butterflies j, j + span, ... of a stage. */
static void butterflies(float *re, float *im, uint32_t m, uint32_t j, uint32_t half, float wr, float wi) {
	const uint32_t span = half << 1;
	uint32_t a, b;
	float tr, ti;
	for (a = j; a < m; a += span) {
		b = a + half;
		tr = re[b] * wr - im[b] * wi;
		ti = re[b] * wi + im[b] * wr;
		re[b] = re[a] - tr;
		im[b] = im[a] - ti;
		re[a] += tr;
		im[a] += ti;
	}
}

int sk_power_x4(const void *plan, float *z, uint32_t h) {
	const sk_plan *p = (const sk_plan *)plan;
	const uint32_t m = p->m, q = p->n / 4;
	const float *sine = p->sine;
	float *re = z, *im = z + m, *power = z;
	uint32_t half, j, t, b, k;
	float ar, ai, br, bi, er, ei, or_, oi, tr, ti, xr, xi, c, s;
	if (!is_power_of_two(h) || h > m) return -1;

	/*
	 * radix-2 stages: blocks of `half` combine pairwise into blocks of 2 half, with
	 * W = e^(-2 pi i t / n), t = j n / (2 half) < n / 2: from the quarter wave as
	 * (sine[q - t], -sine[t]) up to a quarter turn (j <= half / 2), then as
	 * (-sine[t - q], -sine[2q - t]); two loops, no branch per twiddle.
	 */
	for (half = h; half < m; half <<= 1) {
		const uint32_t stride = p->n / (half << 1);
		for (j = 0, t = 0; j <= half / 2; j++, t += stride) butterflies(re, im, m, j, half, sine[q - t], -sine[t]);
		for (; j < half; j++, t += stride) butterflies(re, im, m, j, half, -sine[t - q], -sine[2 * q - t]);
	}

	/*
	 * Split (as RealFFT.packedPowerX4, without the halvings: hence x4):
	 * 2 X[k] = E + W^k O with E = Z[k] + conj Z[m-k], O = -i (Z[k] - conj Z[m-k]),
	 * W = e^(-2 pi i / n); bin m - k from the same two loads. power[k] is re[k]
	 * and power[m] is im[0]: each is written after its last read.
	 */
	ar = re[0];
	ai = im[0];
	xr = 2.0f * (ar + ai);
	power[0] = xr * xr;
	xr = 2.0f * (ar - ai);
	power[m] = xr * xr;
	for (k = 1, b = m - 1; k <= b; k++, b--) {
		c = sine[q - k];
		s = sine[k];
		ar = re[k];
		ai = im[k];
		br = re[b];
		bi = im[b];
		er = ar + br;
		ei = ai - bi;
		or_ = ai + bi;
		oi = br - ar;
		tr = or_ * c + oi * s;
		ti = oi * c - or_ * s;
		xr = er + tr;
		xi = ei + ti;
		power[k] = xr * xr + xi * xi;
		xr = er - tr;
		xi = ti - ei;
		power[b] = xr * xr + xi * xi;
	}
	return 0;
}
