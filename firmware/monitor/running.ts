/*
 * Running/stopped detection: a machine runs while its vibration is above a
 * threshold. Vibration alarms wait out a grace period after each start (run-up
 * transients are not faults), and running time is counted for maintenance.
 */

export interface RunningOptions {
  /** Velocity RMS (mm/s, largest axis) above which the machine counts as running. */
  thresholdMmS: number;
  /** Seconds after a start during which vibration alarms are not evaluated. */
  graceS: number;
  /** Running seconds from earlier boots (persisted by the app). */
  hoursBefore?: number;
}

export class RunningDetector {
  running = false;
  /** Seconds of running since the counter was started (including earlier boots). */
  runningSeconds: number;
  starts = 0;
  #options: RunningOptions;
  #since = 0;
  #lastT: number | undefined;

  constructor(options: RunningOptions) {
    this.#options = options;
    this.runningSeconds = (options.hoursBefore ?? 0) * 3600;
  }

  /** Feeds one window (largest axis vRms, time in ms); returns whether vibration alarms may be evaluated. */
  update(vRms: number, tMs: number): boolean {
    const now = vRms >= this.#options.thresholdMmS;
    if (this.running && this.#lastT !== undefined) this.runningSeconds += (tMs - this.#lastT) / 1000;
    if (now && !this.running) {
      this.starts++;
      this.#since = tMs;
    }
    this.running = now;
    this.#lastT = tMs;
    return now && tMs - this.#since >= this.#options.graceS * 1000;
  }

  get runningHours(): number {
    return this.runningSeconds / 3600;
  }
}
