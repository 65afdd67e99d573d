/*
 * Where a spectral line really is: its peak bin refined by a parabola through
 * the log power of it and its neighbours (a Hann main lobe is close to a
 * Gaussian, whose log is a parabola). Shared by the features, the envelope and
 * the speed tracker.
 */

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
