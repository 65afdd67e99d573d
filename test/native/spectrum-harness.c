/*
 * Test harness for the C kernels firmware/dsp/native/spectrum_kernel.c and
 * demodulate_kernel.c, built with the system cc by tools/bench/native-spectrum.ts
 * (CI has no Moddable SDK). Native-endian binary on stdin/stdout:
 *
 *   spectrum-harness power         in: u32 n, u32 h, n/2 f32 re, n/2 f32 im
 *                                  out: n/2 + 1 f32, 4 |X[k]|^2
 *   spectrum-harness planbytes N   out: one line, sk_plan_bytes(N)
 *   spectrum-harness time REPS     in: as power; out: one JSON line, the best of
 *                                  ROUNDS rounds of REPS calls (ns per call), each
 *                                  call on a fresh copy of the input (the kernel
 *                                  works in place), and the copy alone
 *   spectrum-harness envelope      in: u32 n, u32 sample bytes (2: u16, 4: f32),
 *                                  3 f64 filter (a1, a2, 2 cos W), n/2 f32 half
 *                                  window, n samples
 *                                  out: n f32 (the kernel's input), 3 f64 sums
 *   spectrum-harness envelopetime REPS  in: as envelope; out: one JSON line, the
 *                                  best of ROUNDS rounds of REPS calls (ns per call)
 */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../firmware/dsp/native/spectrum_kernel.h"
#include "../../firmware/dsp/native/demodulate_kernel.h"

#define ROUNDS 7

static void die(const char *what) {
	fprintf(stderr, "spectrum-harness: %s\n", what);
	exit(2);
}

static void read_all(void *dst, size_t bytes) {
	if (fread(dst, 1, bytes, stdin) != bytes) die("short input");
}

static double now_ns(void) {
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

/* The envelope commands: the pass once (its output) or timed. */
static int envelope(int timed, long reps) {
	uint32_t n, bytes;
	double f[3], sums[3];
	dm_filter filter;
	float *window, *z;
	void *samples;
	read_all(&n, sizeof n);
	read_all(&bytes, sizeof bytes);
	if (n < 4 || (n & (n - 1)) || (bytes != DM_UINT16 && bytes != DM_FLOAT32)) die("bad n or sample size");
	read_all(f, sizeof f);
	filter.a1 = (float)f[0];
	filter.a2 = (float)f[1];
	filter.two_cos = (float)f[2];
	window = malloc(sizeof(float) * (n / 2));
	z = malloc(sizeof(float) * n);
	samples = malloc((size_t)bytes * n);
	if (!window || !z || !samples) die("out of memory");
	read_all(window, sizeof(float) * (n / 2));
	read_all(samples, (size_t)bytes * n);
	if (!timed) {
		if (dm_envelope(samples, (dm_sample_kind)bytes, n, window, &filter, z, sums)) die("bad n");
		fwrite(z, sizeof(float), n, stdout);
		fwrite(sums, sizeof(double), 3, stdout);
	} else {
		long i;
		int round;
		double best = 1e300, t0, sink = 0;
		for (round = 0; round < ROUNDS; round++) {
			t0 = now_ns();
			for (i = 0; i < reps; i++) {
				dm_envelope(samples, (dm_sample_kind)bytes, n, window, &filter, z, sums);
				sink += sums[DM_SUM];
			}
			t0 = (now_ns() - t0) / (double)reps;
			if (t0 < best) best = t0;
		}
		printf("{\"n\":%u,\"reps\":%ld,\"rounds\":%d,\"nsPerCall\":%.1f,\"sink\":%g}\n", n, reps, ROUNDS, best, sink);
	}
	return 0;
}

int main(int argc, char **argv) {
	uint32_t n, h, m;
	void *plan;
	float *z, *z0;
	if (argc >= 3 && !strcmp(argv[1], "planbytes")) {
		printf("%lu\n", (unsigned long)sk_plan_bytes((uint32_t)strtoul(argv[2], NULL, 10)));
		return 0;
	}
	if (argc >= 2 && !strcmp(argv[1], "envelope")) return envelope(0, 0);
	if (argc >= 3 && !strcmp(argv[1], "envelopetime")) return envelope(1, strtol(argv[2], NULL, 10));
	if (argc < 2) die("usage: power | planbytes N | time REPS | envelope | envelopetime REPS");
	read_all(&n, sizeof n);
	read_all(&h, sizeof h);
	if (!sk_plan_bytes(n)) die("bad n");
	m = n / 2;
	plan = malloc(sk_plan_bytes(n));
	z = malloc(sizeof(float) * n);
	z0 = malloc(sizeof(float) * n);
	if (!plan || !z || !z0) die("out of memory");
	read_all(z0, sizeof(float) * n); /* re then im: the kernel's layout */
	if (sk_plan_init(plan, n)) die("plan");
	if (!strcmp(argv[1], "power")) {
		memcpy(z, z0, sizeof(float) * n);
		if (sk_power_x4(plan, z, h)) die("bad h");
		fwrite(z, sizeof(float), m + 1, stdout);
		return 0;
	}
	if (argc >= 3 && !strcmp(argv[1], "time")) {
		long reps = strtol(argv[2], NULL, 10), i;
		int round;
		double best = 1e300, bestCopy = 1e300, t0, sink = 0;
		for (round = 0; round < ROUNDS; round++) {
			t0 = now_ns();
			for (i = 0; i < reps; i++) {
				memcpy(z, z0, sizeof(float) * n);
				sk_power_x4(plan, z, h);
				sink += z[i % (m + 1)];
			}
			t0 = (now_ns() - t0) / (double)reps;
			if (t0 < best) best = t0;
			t0 = now_ns();
			for (i = 0; i < reps; i++) {
				memcpy(z, z0, sizeof(float) * n);
				sink += z[i % n];
			}
			t0 = (now_ns() - t0) / (double)reps;
			if (t0 < bestCopy) bestCopy = t0;
		}
		printf("{\"n\":%u,\"h\":%u,\"reps\":%ld,\"rounds\":%d,\"nsPerCall\":%.1f,\"nsCopy\":%.1f,\"sink\":%g}\n", n, h, reps, ROUNDS, best, bestCopy, sink);
		return 0;
	}
	die("usage: power | planbytes N | time REPS | envelope | envelopetime REPS");
	return 2;
}
