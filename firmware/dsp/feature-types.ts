/*
 * What the feature extractor (features.ts) takes and fills: its options and the
 * per-axis result, whose typed arrays are allocated once (createAxisFeatures)
 * and overwritten every window. Types only: nothing here exists at run time.
 */
import type { EnvelopeFeatures } from "./envelope.js";

/** Top spectral peaks, preallocated; `count` entries are valid, largest first. */
export interface SpectrumPeaks {
  count: number;
  /** Hz */
  freq: Float64Array;
  /** g, 0-peak */
  amp: Float64Array;
}

/** Band values around the running-speed orders 1x, 2x, 3x (index 0, 1, 2). */
export interface OrderBands {
  /** The rpm used for this window (NaN when unknown). */
  rpm: number;
  /** Order frequency, Hz. */
  freq: Float64Array;
  /** Velocity RMS in the order band, mm/s. */
  vRms: Float64Array;
  /** Acceleration RMS in the order band, g. */
  aRms: Float64Array;
}

export interface AxisFeatures {
  /** g */
  aRms: number;
  /** g */
  aPeak: number;
  /** mm/s over bandHz */
  vRms: number;
  /** Hz */
  fDom: number;
  /** aPeak / aRms */
  crest?: number;
  /** m4 / m2^2 */
  kurtosis?: number;
  /** g over hfBandHz; NaN when not available at this ODR */
  hfRms?: number;
  /** Filled when present (capacity = freq.length). */
  peaks?: SpectrumPeaks;
  /** Filled when present. */
  orders?: OrderBands;
  /** Amplitude spectrum, filled when present (length >= n/2 + 1). */
  spectrum?: Float32Array;
  /** Envelope features, filled by a BearingAnalysis when the node has one (bearing-analysis.ts). */
  env?: EnvelopeFeatures;
}

export interface FeatureOptions {
  /** Window length (power of two). */
  n: number;
  /** Sample rate, Hz. */
  odr: number;
  /** Band for vRms and fDom, Hz (default ISO 10816: 10..1000; LOW_SPEED_BAND_HZ = 2..1000). */
  bandHz?: readonly [number, number];
  /** Band for hfRms, Hz (default 1000 .. 0.45 ODR). */
  hfBandHz?: readonly [number, number];
  /** Band searched for peaks, Hz (default bandHz low edge .. ODR / 2). */
  peakBandHz?: readonly [number, number];
  /** Half width of an order band as a fraction of the order frequency (default 0.05). */
  orderTolerance?: number;
  /** Number of orders (default 3: 1x, 2x, 3x). */
  orders?: number;
  /** Running speed, rpm (default unknown; see setRpm). */
  rpm?: number;
}
