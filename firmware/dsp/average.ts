/*
 * Running mean of the readings taken within one window (temperature, supply
 * voltage...). Allocation-free: add() per reading, take() at the window's end
 * returns the mean and starts the next window. Non-finite readings (a failed
 * conversion reported as NaN) are skipped. The sum is kept relative to the
 * first reading, so large offsets lose no precision.
 */
export class RunningMean {
  count = 0;
  min = NaN;
  max = NaN;
  #origin = 0;
  #sum = 0;

  add(value: number): void {
    if (!(value - value === 0)) return; // NaN or +-Infinity
    if (this.count === 0) {
      this.#origin = value;
      this.#sum = 0;
      this.min = value;
      this.max = value;
    } else {
      if (value < this.min) this.min = value;
      if (value > this.max) this.max = value;
    }
    this.#sum += value - this.#origin;
    this.count++;
  }

  /** Mean of the readings since the last reset; NaN when there were none. */
  get mean(): number {
    return this.count === 0 ? NaN : this.#origin + this.#sum / this.count;
  }

  reset(): void {
    this.count = 0;
    this.#sum = 0;
    this.min = NaN;
    this.max = NaN;
  }

  /** The mean, then reset (one call at each window's end). */
  take(): number {
    const m = this.mean;
    this.reset();
    return m;
  }
}
