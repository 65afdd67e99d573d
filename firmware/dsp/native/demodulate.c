/*
 * XS host function of demodulate.js (xsmc API): argument checks, then the
 * portable pass in demodulate_kernel.c. Buffers come as ArrayBuffers with a
 * byte offset where a view may start inside one (xsmc's typed-array access
 * takes byte arrays only); their data may move between calls (XS compacts
 * chunks), never during one: nothing here allocates in XS, and every pointer
 * is taken after the last conversion.
 */
#include "xsmc.h"

#include "demodulate_kernel.h"

/* ArrayBuffer argument `arg` must hold `bytes` from byte `offset`. */
static void check(xsMachine *the, xsSlot *arg, xsIntegerValue offset, size_t bytes, const char *what) {
	if (offset < 0 || (size_t)xsmcGetArrayBufferLength(*arg) < (size_t)offset + bytes)
		xsRangeError("%s: buffer too small", what);
}

/*
 * demodulate(z, samples, samplesOffset, sampleBytes, window, windowOffset, filter, sums):
 * z the spectrum kernel's buffer (n floats: n from its length), samples n values of
 * sampleBytes (2: uint16 counts, 4: float32), window n/2 floats, filter 3 doubles
 * (a1, a2, 2 cos W), sums 3 doubles out (see demodulate_kernel.h).
 */
void xs_envelope_demodulate(xsMachine *the) {
	xsIntegerValue samplesOffset = xsmcToInteger(xsArg(2));
	xsIntegerValue sampleBytes = xsmcToInteger(xsArg(3));
	xsIntegerValue windowOffset = xsmcToInteger(xsArg(5));
	uint32_t n = (uint32_t)(xsmcGetArrayBufferLength(xsArg(0)) / sizeof(float));
	const double *f;
	dm_filter filter;
	if (sampleBytes != DM_UINT16 && sampleBytes != DM_FLOAT32) xsRangeError("demodulate: samples of %d bytes", (int)sampleBytes);
	check(the, &xsArg(1), samplesOffset, (size_t)sampleBytes * n, "samples");
	check(the, &xsArg(4), windowOffset, sizeof(float) * (n / 2), "window");
	check(the, &xsArg(6), 0, 3 * sizeof(double), "filter");
	check(the, &xsArg(7), 0, 3 * sizeof(double), "sums");
	f = (const double *)xsmcToArrayBuffer(xsArg(6));
	filter.a1 = (float)f[0];
	filter.a2 = (float)f[1];
	filter.two_cos = (float)f[2];
	if (dm_envelope((const uint8_t *)xsmcToArrayBuffer(xsArg(1)) + samplesOffset, (dm_sample_kind)sampleBytes, n,
			(const float *)((const uint8_t *)xsmcToArrayBuffer(xsArg(4)) + windowOffset), &filter,
			(float *)xsmcToArrayBuffer(xsArg(0)), (double *)xsmcToArrayBuffer(xsArg(7))))
		xsRangeError("demodulate: window of %u samples is not a power of two >= 4", (unsigned)n);
}
