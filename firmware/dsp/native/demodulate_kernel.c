/*
 * The envelope's pass (see demodulate_kernel.h). Four samples per iteration
 * as the TS pass; the bit-reversed position advances with a reversed counter.
 * The sums are kept in float over blocks of BLOCK iterations and carried in
 * double between blocks: a float sum over a whole window (2048 values) would
 * lose about 1e-4 of the mean square, and the envelope's RMS is the small
 * difference of mean square and squared mean; double in every iteration would
 * cost a software double add per value on the ESP32.
 */
#include "demodulate_kernel.h"

#include <math.h>

/** Iterations (8 envelope values) per float block of the sums. */
#define BLOCK 8u

static int is_power_of_two(uint32_t v) {
	return v != 0 && (v & (v - 1)) == 0;
}

/* Sample i as float. */
static float sample(const void *samples, dm_sample_kind kind, uint32_t i) {
	return kind == DM_UINT16 ? (float)((const uint16_t *)samples)[i] : ((const float *)samples)[i];
}

/* The Hann window at sample j of 2m: the half window over the first half, 1 - it after. */
static inline float window_at(const float *half_window, uint32_t j, uint32_t m) {
	return j < m ? half_window[j] : 1.0f - half_window[j - m];
}

/* The envelope of the band signal at the pair (a, b) (every second sample), added to the block's sums and the largest. */
static inline float envelope(float a, float b, float c2, float *s1, float *s2, float *mx) {
	const float q = b * b - c2 * b * a + a * a;
	const float e = sqrtf(q);
	*s1 += e;
	*s2 += q;
	if (e > *mx) *mx = e;
	return e;
}

/* The bit reversal (bits of m) of the next index after the one whose reversal is r. */
static uint32_t next_reversed(uint32_t r, uint32_t m) {
	uint32_t bit = m >> 1;
	while (r & bit) {
		r ^= bit;
		bit >>= 1;
	}
	return r | bit;
}

int dm_envelope(const void *samples, dm_sample_kind kind, uint32_t n, const float *half_window, const dm_filter *filter, float *z, double sums[3]) {
	const uint32_t m = n / 2;
	const float a1 = filter->a1, a2 = filter->a2, c2 = filter->two_cos;
	float *re = z, *im = z + m;
	float xa, xb, ya = 0.0f, yb = 0.0f, u0, u1, y0, y1, y2, y3, mx = 0.0f, s1 = 0.0f, s2 = 0.0f;
	double sum = 0.0, squares = 0.0;
	uint32_t i, r = 0, block = 0;
	if (n < 4 || !is_power_of_two(n)) return -1;
	for (i = 0; i < n; i++) z[i] = 0.0f;
	xa = xb = sample(samples, kind, 0);
	for (i = 0; i < n; i += 4) {
		u0 = sample(samples, kind, i);
		u1 = sample(samples, kind, i + 2);
		y0 = u0 - xa - a1 * yb - a2 * ya;
		xa = sample(samples, kind, i + 1);
		y1 = xa - xb - a1 * y0 - a2 * yb;
		y2 = u1 - u0 - a1 * y1 - a2 * y0;
		xb = sample(samples, kind, i + 3);
		y3 = xb - xa - a1 * y2 - a2 * y1;
		xa = u1;
		ya = y2;
		yb = y3;
		re[r] = window_at(half_window, i, m) * envelope(y0, y1, c2, &s1, &s2, &mx);
		im[r] = window_at(half_window, i + 2, m) * envelope(y2, y3, c2, &s1, &s2, &mx);
		r = next_reversed(r, m);
		if (++block == BLOCK) {
			sum += s1;
			squares += s2;
			s1 = s2 = 0.0f;
			block = 0;
		}
	}
	sums[DM_SUM] = sum + s1;
	sums[DM_SUM_SQUARES] = squares + s2;
	sums[DM_LARGEST] = mx;
	return 0;
}
