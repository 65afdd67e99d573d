/*
 * host.io.FifoSampler on the ESP32 (module "hosts/moddable/fifo-sampler", esp32 builds only;
 * manifests/esp32.json): the XS binding of native/fifo_sampler.c, a FreeRTOS task that drains
 * the accelerometer FIFO by its FifoProgram into a ring and calls onReadable(samples) on the
 * XS thread. JavaScript because the host-function syntax (`@ "xs_..."`) is xsc's only;
 * fifo-sampler.d.ts declares the types. UNVERIFIED until a board runs it (docs/moddable.md).
 *
 * Lin builds do not have it: their I2C bus is the simulated one of sim/, in XS, which a native
 * task cannot reach, so their sampler is an XS Worker (hosts/moddable/sim-sampler-worker.ts).
 */
function open(fields, onReadable) @ "xs_fifo_sampler_open";
function readSamples(native, into, maxSamples) @ "xs_fifo_sampler_read";
function available(native) @ "xs_fifo_sampler_available";
function counters(native, out) @ "xs_fifo_sampler_counters";
function closeNative(native) @ "xs_fifo_sampler_close";

/* Index of each field in the Int32Array open() takes: the enum of native/fifo_core.h, same order. */
const FIELDS = Object.freeze([
	"levelRegister", "levelMask", "levelDivisor", "levelBytes",
	"overrunRegister", "overrunMask", "overrunWhenFull",
	"dataRegister", "sampleBytes", "samplesPerRead", "depth",
	"capacity", "pollMs",
	"address", "hz", "port", "data", "clock",
	"interruptPin", "interruptMode", "interruptEdge",
]);
const NONE = -1;
const RISING = 1;

function integer(value, name) {
	if (typeof value !== "number" || !Number.isInteger(value)) throw new RangeError(`FifoSampler: ${name} ${value}`);
	return value;
}

/*
 * The one place that reads the FifoProgram and the options (field names follow firmware/host.ts;
 * if they change there, change them here). Returns the Int32Array for open().
 */
function programFields(options) {
	const p = options.program;
	const s = options.sensor;
	const o = p.overrun;
	const i = options.interrupt;
	// The native reader takes the level from the last byte of the level transfer, and an overrun
	// flag without a register of its own from the first (as all three parts have them).
	if ((p.levelOffset ?? 0) !== (p.levelBytes ?? 1) - 1) throw new RangeError("FifoSampler: the level must be the last byte of the level transfer");
	if (o && o.register === undefined && (o.offset ?? 0) !== 0) throw new RangeError("FifoSampler: an overrun flag without a register must be in the first byte");
	const v = {
		levelRegister: p.levelRegister,
		levelMask: p.levelMask,
		levelDivisor: p.levelDivisor ?? 1,
		levelBytes: p.levelBytes ?? 1,
		overrunRegister: o?.register ?? NONE,
		overrunMask: o?.mask ?? 0,
		overrunWhenFull: o?.whenFull ? 1 : 0,
		dataRegister: p.dataRegister,
		sampleBytes: p.sampleBytes,
		samplesPerRead: p.samplesPerRead ?? 1,
		depth: p.depth,
		capacity: options.capacity,
		pollMs: options.pollMs,
		address: s.address,
		hz: s.hz ?? 400_000,
		port: s.port ?? NONE,
		data: s.data,
		clock: s.clock,
		interruptPin: i ? i.pin : NONE,
		interruptMode: i?.mode ?? 0,
		interruptEdge: i?.edge ?? RISING,
	};
	const fields = new Int32Array(FIELDS.length);
	for (let k = 0; k < FIELDS.length; k++) fields[k] = integer(v[FIELDS[k]], FIELDS[k]);
	return fields;
}

export default class FifoSampler {
	#native;
	#counters = new Int32Array(5); // newestAt, lost, overruns, errors, lastError

	constructor(options) {
		const onReadable = options.onReadable;
		const onError = options.onError;
		const self = this;
		let errors = 0;
		this.#native = open(programFields(options), function (samples) {
			const now = self.errors;
			// Once per run of failures (the count grew since the last message), as the Host interface asks.
			if (now !== errors) {
				errors = now;
				onError?.call(self, new Error(`FifoSampler: I2C transfer failed (ESP-IDF error ${self.lastError})`));
			}
			if (samples > 0) onReadable?.call(self, samples);
		});
	}

	/** Copies up to maxSamples whole samples (raw bytes, oldest first) into `into`; returns how many. */
	read(into, maxSamples) {
		if (!this.#native) throw new Error("FifoSampler closed");
		return readSamples(this.#native, into, maxSamples === undefined ? 0x7fffffff : Math.max(0, Math.min(maxSamples, 0x7fffffff)) | 0);
	}

	/** Samples waiting in the ring. */
	get available() {
		return this.#native ? available(this.#native) : 0;
	}

	/** Time.ticks (ms) when the newest sample in the ring was read from the sensor; 0 before the first. */
	get newestAt() {
		return this.#counter(0);
	}

	/** Samples lost: ring full, plus one per FIFO overrun (the part does not say how many it dropped). */
	get lost() {
		return this.#counter(1);
	}

	/** FIFO overruns seen. */
	get overruns() {
		return this.#counter(2);
	}

	/** Drains that failed on the bus; lastError is the ESP-IDF error of the last one. */
	get errors() {
		return this.#counter(3);
	}

	get lastError() {
		return this.#counter(4);
	}

	close() {
		const native = this.#native;
		this.#native = undefined;
		if (native) closeNative(native);
	}

	#counter(i) {
		if (this.#native) counters(this.#native, this.#counters);
		return this.#counters[i];
	}
}
