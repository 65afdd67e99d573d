/*
 * Where a spectral line really is: its peak bin refined by a parabola through
 * the log power of it and its neighbours (a Hann main lobe is close to a
 * Gaussian, whose log is a parabola). Shared by the features, the envelope and
 * the speed tracker; and keeping the largest lines, for the speed tracker.
 */

/**
 * Inserts line (k, power) into the `count` lines kept in bins/pows (largest
 * first, at most bins.length), dropping the smallest when full; returns the new
 * count. The caller skips lines below the smallest of a full list.
 */
export function keepLargest(bins: Int32Array, pows: Float64Array, count: number, k: number, power: number): number {
  const cap = bins.length;
  let at = count < cap ? count++ : cap - 1;
  while (at > 0 && pows[at - 1] < power) {
    pows[at] = pows[at - 1];
    bins[at] = bins[at - 1];
    at--;
  }
  pows[at] = power;
  bins[at] = k;
  return count;
}

/** Fractional bin of the line peaking at bin k of power spectrum p (k itself when the neighbours do not bracket a peak). */
export function peakBin(p: ArrayLike<number>, k: number): number {
  const pl = p[k - 1];
  const pc = p[k];
  const pr = p[k + 1];
  if (!(pl > 0 && pr > 0 && pc > 0)) return k;
  const a = Math.log(pl);
  const b = Math.log(pc);
  const c = Math.log(pr);
  const den = a - 2 * b + c;
  if (!(den < 0)) return k;
  const d = (0.5 * (a - c)) / den;
  return k + (d > 0.5 ? 0.5 : d < -0.5 ? -0.5 : d);
}
