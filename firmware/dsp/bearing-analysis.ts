/*
 * Bearing diagnostics per window, on a feature extractor's spectrum: after
 * each axis's features, the running speed is looked for in that axis's
 * spectrum (speed.ts), then the envelope spectrum overwrites it (envelope.ts)
 * and the defect bands follow the speed known at that moment. At the
 * window's end the speed is decided and set for the next window's order
 * bands. On only when the node's config names a bearing or an envelope band.
 */
import type { FeatureExtractor } from "./features.js";
import { EnvelopeSpectrum, type EnvelopeFeatures } from "./envelope.js";
import { SpeedTracker, type SpeedEstimate } from "./speed.js";
import type { DefectOrders } from "./bearing-geometry.js";
import type { WindowSamples } from "./fft-first-pass.js";

/** Bearing slip: rolling elements lag pure rolling by up to about 1-2 % (a defect band's half width at a known speed). */
export const SLIP = 0.01;
/** Speed uncertainty added to a defect band's half width: a measured speed, and a configured one (induction-motor slip, a drive). */
export const MEASURED_SPEED_UNCERTAINTY = 0.005;
export const CONFIGURED_SPEED_UNCERTAINTY = 0.03;

export interface BearingAnalysisOptions {
  /** Envelope band-pass, Hz (default envelope.ts's DEFAULT_BAND). */
  bandHz?: readonly [number, number];
  /** The bearing's defect orders; none: only rms, peak and fDom of the envelope. */
  orders?: DefectOrders;
  /** Configured running speed, rpm (0: none): a hint for the speed tracker. */
  rpm: number;
}

export class BearingAnalysis {
  /** This window's running speed (after finish()). */
  readonly speed: SpeedEstimate;
  #features: FeatureExtractor;
  #envelope: EnvelopeSpectrum;
  #tracker: SpeedTracker;
  #orders: DefectOrders | undefined;
  #rpm: number;

  constructor(features: FeatureExtractor, options: BearingAnalysisOptions) {
    this.#features = features;
    this.#envelope = features.createEnvelope(options.bandHz);
    this.#tracker = new SpeedTracker({ n: features.n, odr: features.odr });
    this.#orders = options.orders;
    this.#rpm = options.rpm;
    this.speed = { rpm: options.rpm > 0 ? options.rpm : NaN, confidence: 0, source: options.rpm > 0 ? "configured" : "measured" };
  }

  get envelope(): EnvelopeSpectrum {
    return this.#envelope;
  }

  /** A new window begins. */
  begin(): void {
    this.#tracker.begin();
  }

  /** One axis, right after its features (their spectrum is still in the kernel): speed, then envelope. */
  axis(samples: WindowSamples, scale: number, out: EnvelopeFeatures): void {
    const tracker = this.#tracker;
    tracker.observe(this.#features.power, this.#rpm > 0 ? this.#rpm / 60 : NaN);
    const tolerance = SLIP + (tracker.currentMeasured ? MEASURED_SPEED_UNCERTAINTY : CONFIGURED_SPEED_UNCERTAINTY);
    this.#envelope.compute(samples, out, scale, tracker.currentHz, this.#orders, tolerance);
  }

  /** The defect frequencies at the window's speed, Hz (a capture's markers; allocates); undefined without a bearing or a speed. */
  defectFrequencies(): Record<string, number> | undefined {
    const o = this.#orders;
    const hz = this.speed.rpm / 60;
    if (!o || !(hz > 0)) return undefined;
    return { bpfo: o.bpfo * hz, bpfi: o.bpfi * hz, bsf: o.bsf * hz, ftf: o.ftf * hz };
  }

  /** The window's end: decides the speed and gives it to the order bands. */
  finish(): void {
    this.#tracker.finish(this.#rpm, this.speed);
    const rpm = this.speed.rpm;
    if (rpm > 0 && rpm !== this.#features.rpm) this.#features.setRpm(rpm);
  }
}
