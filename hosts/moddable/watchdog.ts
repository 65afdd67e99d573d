/*
 * Software watchdog for the ESP32 node: restarts a node whose application has
 * stopped making progress while its event loop still runs (a stalled acquisition,
 * a lost timer, a state machine that never leaves a state).
 *
 * Liveness: the number of analysed windows must advance within `stallMs`, unless
 * the accelerometer is reported faulty (a sensor fault is reported in status and
 * retried by the app, not cured by a restart). A hung event loop (a JavaScript
 * loop that never returns) cannot run this timer: that case is the ESP-IDF task
 * watchdog's, enabled by manifests/sdkconfig/sdkconfig.defaults (panic after 30 s
 * without the idle tasks running; the next boot reports reset "watchdog").
 */
import type { Timers, TimerId, LogLevel } from "../../firmware/host.js";

export interface Liveness {
  /** A counter that advances while the app works (NodeApp.windows). */
  progress(): number;
  /** True while not advancing is expected (the accelerometer is in fault). */
  excused(): boolean;
}

export interface WatchdogOptions {
  timers: Timers;
  now: () => number;
  log: (level: LogLevel, message: string) => void;
  /** Called with the reason once the app is judged hung. */
  restart: (reason: string) => void;
  /** No progress for this long means hung (ms). */
  stallMs: number;
  /** Check period (ms); default stallMs / 4. */
  periodMs?: number;
}

export function startWatchdog(live: Liveness, o: WatchdogOptions): { stop(): void } {
  let last = live.progress();
  let since = o.now();
  const period = o.periodMs ?? Math.max(1000, Math.round(o.stallMs / 4));
  const id: TimerId = o.timers.set(
    () => {
      const p = live.progress();
      const t = o.now();
      if (p !== last || live.excused()) {
        last = p;
        since = t;
        return;
      }
      if (t - since < o.stallMs) return;
      o.timers.clear(id);
      const reason = `watchdog: no window analysed for ${Math.round((t - since) / 1000)} s`;
      o.log("error", reason);
      o.restart(reason);
    },
    period,
    period,
  );
  return { stop: () => o.timers.clear(id) };
}
