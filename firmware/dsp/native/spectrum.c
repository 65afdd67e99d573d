/*
 * XS host functions of spectrum.js (xsmc API): argument checks, then the
 * portable kernel in spectrum_kernel.c. Buffers come as ArrayBuffers (xsmc's
 * typed-array access takes byte arrays only); their data may move between calls
 * (XS compacts chunks), never during one: nothing here allocates in XS.
 */
#include "xsmc.h"

#include "spectrum_kernel.h"

/* Data of ArrayBuffer argument `arg`, which must hold at least `bytes`. */
static void *buffer(xsMachine *the, xsSlot *arg, size_t bytes, const char *what) {
	if ((size_t)xsmcGetArrayBufferLength(*arg) < bytes)
		xsRangeError("%s: buffer too small", what);
	return xsmcToArrayBuffer(*arg);
}

/* planBytes(n): bytes of the plan for n real samples, 0 for an unsupported n. */
void xs_spectrum_plan_bytes(xsMachine *the) {
	xsIntegerValue n = xsmcToInteger(xsArg(0));
	xsmcSetInteger(xsResult, n > 0 ? (xsIntegerValue)sk_plan_bytes((uint32_t)n) : 0);
}

/* planInit(plan, n): the table into plan. */
void xs_spectrum_plan_init(xsMachine *the) {
	xsIntegerValue n = xsmcToInteger(xsArg(1));
	size_t bytes = n > 0 ? sk_plan_bytes((uint32_t)n) : 0;
	if (!bytes) xsRangeError("spectrum: bad size");
	if (sk_plan_init(buffer(the, &xsArg(0), bytes, "plan"), (uint32_t)n)) xsRangeError("spectrum: bad size");
}

/* powerX4(plan, z, h): 4 |X[k]|^2 of the packed input z (re then im) into z[0..n/2] (see spectrum_kernel.h). */
void xs_spectrum_power_x4(xsMachine *the) {
	const void *plan = xsmcToArrayBuffer(xsArg(0));
	uint32_t n = sk_plan_n(plan);
	float *z = (float *)buffer(the, &xsArg(1), sizeof(float) * n, "z");
	xsIntegerValue h = xsmcToInteger(xsArg(2));
	if (h <= 0 || sk_power_x4(plan, z, (uint32_t)h))
		xsRangeError("spectrum: block size %d is not a power of two <= n/2", (int)h);
}
