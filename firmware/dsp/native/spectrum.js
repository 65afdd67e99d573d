/*
 * The C spectrum kernel (spectrum_kernel.c) as module "firmware/dsp/spectrum" in
 * Moddable builds: manifests/common.json maps that specifier here instead of to
 * firmware/dsp/spectrum.ts, the portable kernel, whose protocol this follows
 * (float32 buffers instead of float64). JavaScript because the host-function
 * syntax (`@ "xs_..."`) is xsc's only; spectrum.d.ts declares the types.
 *
 * All memory is XS's: one buffer of n floats (input, then the power spectrum
 * over it) and the plan (a quarter-wave table, n + 12 bytes) in an ArrayBuffer
 * the C code fills once; nothing is allocated per call.
 */
function planBytes(n) @ "xs_spectrum_plan_bytes";
function planInit(plan, n) @ "xs_spectrum_plan_init";
function powerX4(plan, z, h) @ "xs_spectrum_power_x4";

const FLOAT32_BYTES = 4;

export class PowerSpectrum {
	#plan;
	#z;

	constructor(n) {
		const bytes = planBytes(n);
		if (!bytes) throw new RangeError(`spectrum size ${n} is not a power of two in 2..65536`);
		const m = n >> 1;
		this.n = n;
		// one buffer: the packed input (re, then im), then the power spectrum over it
		const z = new ArrayBuffer(FLOAT32_BYTES * n);
		this.packedRe = new Float32Array(z, 0, m);
		this.packedIm = new Float32Array(z, FLOAT32_BYTES * m, m);
		this.power = new Float32Array(z, 0, m + 1);
		this.#z = z;
		this.#plan = new ArrayBuffer(bytes);
		planInit(this.#plan, n);
	}

	powerX4(h) {
		powerX4(this.#plan, this.#z, h);
	}
}
