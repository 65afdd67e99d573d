/*
 * The C envelope pass (demodulate_kernel.c) as module "firmware/dsp/demodulate" in
 * Moddable builds: manifests/spectrum-native.json maps that specifier here instead of
 * to firmware/dsp/demodulate.ts, the portable pass, whose shape this follows. It writes
 * into the C spectrum kernel's buffer (spectrum.js: one ArrayBuffer, re then im), so it
 * runs only with that kernel, as the same manifest maps both. JavaScript because the
 * host-function syntax (`@ "xs_..."`) is xsc's only; demodulate.d.ts declares the types.
 *
 * Its own memory: the filter (3 doubles) and the sums (3 doubles); nothing per call.
 */
function demodulate(z, samples, samplesOffset, sampleBytes, window, windowOffset, filter, sums) @ "xs_envelope_demodulate";

const FLOAT32_BYTES = 4;

export const SUM = 0;
export const SUM_SQUARES = 1;
export const LARGEST = 2;

export class Demodulator {
	#z;
	#window;
	#windowOffset;
	#filter;

	constructor(n, target, filter) {
		const { kernel, halfWindow } = target;
		const z = kernel.packedRe.buffer;
		if (kernel.packedRe.byteOffset !== 0 || kernel.packedIm.buffer !== z || kernel.packedIm.byteOffset !== FLOAT32_BYTES * (n >> 1) || z.byteLength !== FLOAT32_BYTES * n)
			throw new RangeError("demodulate: the kernel is not the C spectrum kernel of this n");
		if (halfWindow.length < n >> 1) throw new RangeError("demodulate: window too short");
		this.n = n;
		this.sums = new Float64Array(3);
		this.#z = z;
		this.#window = halfWindow.buffer;
		this.#windowOffset = halfWindow.byteOffset;
		this.#filter = new Float64Array([filter.a1, filter.a2, filter.twoCos]).buffer;
	}

	run(samples) {
		demodulate(this.#z, samples.buffer, samples.byteOffset, samples.BYTES_PER_ELEMENT, this.#window, this.#windowOffset, this.#filter, this.sums.buffer);
	}
}
