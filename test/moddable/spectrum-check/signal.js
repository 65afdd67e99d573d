/*
 * The check's input, the same in Node and XS (plain JS, no imports): per axis a
 * motor-like window, 1x and 2x running speed, tones between bins (one in the
 * hfRms band), a chirp for broadband content, gravity on z.
 */
export const N = 4096;
export const ODR = 3200;
export const RPM = 1782;
/** Defect band half width for the envelope (a fraction of the defect frequency). */
export const TOLERANCE = 0.04;

export function fill(samples, axis) {
	for (let i = 0; i < samples.length; i++) {
		const t = i / ODR;
		samples[i] = (axis === 2 ? 1 : 0) + 0.046 * Math.sin(2 * Math.PI * 29.7 * t + axis) + 0.012 * Math.sin(2 * Math.PI * 59.4 * t + 0.3)
			+ 0.02 * Math.sin(2 * Math.PI * 157.3 * t) + 0.01 * Math.sin(0.37 * i * i / N) + 0.005 * Math.sin(2 * Math.PI * 1234.5 * t);
	}
}

/** The published per-axis features, rounded to 9 significant digits for the log. */
export function summary(f) {
	const r = (v) => Number(v.toPrecision(9));
	const peaks = [];
	for (let i = 0; i < f.peaks.count; i++) peaks.push([r(f.peaks.freq[i]), r(f.peaks.amp[i])]);
	return { vRms: r(f.vRms), aRms: r(f.aRms), aPeak: r(f.aPeak), crest: r(f.crest), kurtosis: r(f.kurtosis), fDom: r(f.fDom), hfRms: r(f.hfRms),
		orders: Array.from(f.orders.vRms, r), peaks };
}

/** The envelope features, rounded as summary(). */
export function envelopeSummary(e) {
	const r = (v) => Number(v.toPrecision(9));
	return { rms: r(e.rms), peak: r(e.peak), fDom: r(e.fDom), bpfo: r(e.bpfo), bpfi: r(e.bpfi), bsf: r(e.bsf), ftf: r(e.ftf) };
}
