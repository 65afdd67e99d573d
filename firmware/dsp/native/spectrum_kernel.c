/*
 * Power spectrum kernel (see spectrum_kernel.h). Radix-2 decimation in time,
 * as ESP-DSP's dsps_fft2r_fc32, so its published ESP32 cycle counts bound ours.
 * Tables are computed in double once (sk_plan_init) and stored as float.
 */
#include "spectrum_kernel.h"

#include <math.h>

typedef struct {
	uint32_t n;
	uint32_t m; /* n / 2 complex points */
	/*
	 * table[0 .. m): FFT twiddles as pairs (cos, -sin)(2 pi k / m), k < m / 2;
	 * table[m .. 2m + 2): split twiddles as pairs (cos, sin)(2 pi k / n), k <= m / 2.
	 */
	float table[];
} sk_plan;

static const double SK_TWO_PI = 6.283185307179586476925286766559;

static int is_power_of_two(uint32_t v) {
	return v != 0 && (v & (v - 1)) == 0;
}

size_t sk_plan_bytes(uint32_t n) {
	if (n < 2 || n > SK_MAX_N || !is_power_of_two(n)) return 0;
	return sizeof(sk_plan) + sizeof(float) * (size_t)(2 * (n / 2) + 2);
}

int sk_plan_init(void *plan, uint32_t n) {
	sk_plan *p = (sk_plan *)plan;
	uint32_t m = n / 2, k;
	float *split;
	if (!sk_plan_bytes(n)) return -1;
	p->n = n;
	p->m = m;
	for (k = 0; k < m / 2; k++) {
		double a = SK_TWO_PI * k / m;
		p->table[2 * k] = (float)cos(a);
		p->table[2 * k + 1] = (float)-sin(a);
	}
	split = p->table + m;
	for (k = 0; k <= m / 2; k++) {
		double a = SK_TWO_PI * k / n;
		split[2 * k] = (float)cos(a);
		split[2 * k + 1] = (float)sin(a);
	}
	return 0;
}

uint32_t sk_plan_n(const void *plan) {
	return ((const sk_plan *)plan)->n;
}

void sk_bitrev(uint32_t n, uint32_t *rev) {
	uint32_t m = n / 2, bits = 0, j, r, b;
	while ((1u << bits) < m) bits++;
	for (j = 0; j < m; j++) {
		for (r = 0, b = 0; b < bits; b++) r |= ((j >> b) & 1u) << (bits - 1 - b);
		rev[j] = r;
	}
}

int sk_power_x4(const void *plan, float *re, float *im, uint32_t h, float *power) {
	const sk_plan *p = (const sk_plan *)plan;
	const uint32_t m = p->m;
	const float *tw = p->table;
	const float *split = p->table + m;
	uint32_t half, j, a, b, k;
	float ar, ai, br, bi, er, ei, or_, oi, tr, ti, xr, xi;
	if (!is_power_of_two(h) || h > m) return -1;

	/* radix-2 stages: blocks of `half` combine pairwise into blocks of 2 half */
	for (half = h; half < m; half <<= 1) {
		const uint32_t span = half << 1, step = m / span;
		for (j = 0; j < half; j++) {
			const float wr = tw[2 * j * step], wi = tw[2 * j * step + 1];
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
	}

	/*
	 * Split (as RealFFT.packedPowerX4, without the halvings: hence x4):
	 * 2 X[k] = E + W^k O with E = Z[k] + conj Z[m-k], O = -i (Z[k] - conj Z[m-k]),
	 * W = e^(-2 pi i / n); bin m - k from the same two loads.
	 */
	xr = 2.0f * (re[0] + im[0]);
	power[0] = xr * xr;
	xr = 2.0f * (re[0] - im[0]);
	power[m] = xr * xr;
	for (k = 1, b = m - 1; k <= b; k++, b--) {
		const float c = split[2 * k], s = split[2 * k + 1];
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
