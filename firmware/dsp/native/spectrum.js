/*
 * The C spectrum kernel (spectrum_kernel.c) as module "firmware/dsp/spectrum" in
 * Moddable builds: manifests/common.json maps that specifier here instead of to
 * firmware/dsp/spectrum.ts, the portable kernel, whose protocol this follows
 * (float32 buffers instead of float64). JavaScript because the host-function
 * syntax (`@ "xs_..."`) is xsc's only; spectrum.d.ts declares the types.
 *
 * All memory is XS's: the buffers, and the plan (tables) in an ArrayBuffer the
 * C code fills once; nothing is allocated per call.
 */
function planBytes(n) @ "xs_spectrum_plan_bytes";
function planInit(plan, n, bitrev) @ "xs_spectrum_plan_init";
function powerX4(plan, re, im, h, power) @ "xs_spectrum_power_x4";

export class PowerSpectrum {
	#plan;
	#re;
	#im;
	#power;

	constructor(n) {
		const bytes = planBytes(n);
		if (!bytes) throw new RangeError(`spectrum size ${n} is not a power of two in 2..65536`);
		const m = n >> 1;
		this.n = n;
		this.bitrev = new Uint32Array(m);
		this.packedRe = new Float32Array(m);
		this.packedIm = new Float32Array(m);
		this.power = new Float32Array(m + 1);
		this.#plan = new ArrayBuffer(bytes);
		this.#re = this.packedRe.buffer;
		this.#im = this.packedIm.buffer;
		this.#power = this.power.buffer;
		planInit(this.#plan, n, this.bitrev.buffer);
	}

	powerX4(h) {
		powerX4(this.#plan, this.#re, this.#im, h, this.#power);
	}
}
