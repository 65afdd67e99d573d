/*
 * Drives a VirtualClock from Node's event loop. Virtual time runs as fast as the
 * CPU allows (`speed: "max"`) or paced at `speed` x real time. Real sockets still
 * need real time: while `busy()` says a reply is due (CONNACK, PUBACK, PINGRESP),
 * virtual time waits for it, up to `maxWaitMs` of real time, so a round trip on
 * loopback takes no virtual time and runs repeat.
 */
import { setImmediate as yieldToIo } from "node:timers/promises";
import type { VirtualClock } from "../../sim/clock.js";

export interface DriveOptions {
  clock: VirtualClock;
  /** Virtual time (ms) at which to stop. */
  until: number;
  speed: number | "max";
  busy?: () => boolean;
  /**
   * Real ms to wait for a due reply before virtual time moves on regardless (default
   * REPLY_CEILING_MS). A caller leaves replies it knows will not come out of `busy`, so that a
   * busy machine never changes the virtual timeline (docs/performance.md, "No timed pass/fail").
   */
  maxWaitMs?: number;
  /** Called when a wait ran out (the reply did not come within maxWaitMs). */
  onGiveUp?: () => void;
  signal?: AbortSignal;
  /** Called about once per virtual second. */
  onProgress?: (virtualMs: number) => void;
}

const STEPS_PER_YIELD = 8;

/**
 * Real ms a due reply may take before virtual time moves on (drive()'s default): a ceiling that
 * catches a hang, never a pace, so generous that a loaded machine does not reach it and the
 * virtual timeline stays the same (docs/performance.md, "No timed pass/fail").
 */
export const REPLY_CEILING_MS = 30_000;

/**
 * Runs virtual time to `until`. Resolves true, or false when it ended while giving up on a reply
 * that had still not come (the caller need not wait for that one again).
 */
export async function drive(options: DriveOptions): Promise<boolean> {
  const { clock, until, speed } = options;
  const maxWait = options.maxWaitMs ?? REPLY_CEILING_MS;
  const realStart = performance.now();
  const virtualStart = clock.now();
  let steps = 0;
  let lastProgress = Math.floor(virtualStart / 1000);
  // After one wait ran out (a reply that will not come: a dropped PUBACK, a dead broker), virtual time
  // goes on without waiting again until the node is idle once more; otherwise every step would wait.
  let givenUp = false;
  while (!options.signal?.aborted) {
    if (options.busy?.()) {
      if (!givenUp) {
        givenUp = !(await waitIdle(options.busy, maxWait, options.signal));
        if (givenUp && !options.signal?.aborted) options.onGiveUp?.();
      }
      else await yieldToIo();
    } else {
      givenUp = false;
    }
    // After the wait: a reply may have set a timer (the next message to send), which must not be
    // fired by the final runUntil below without the busy check in between.
    const due = clock.nextDue();
    const target = due === undefined || due > until ? until : due;
    if (speed !== "max") {
      const delay = realStart + (target - virtualStart) / speed - performance.now();
      if (delay > 1) await sleep(delay, options.signal);
      if (options.signal?.aborted) break;
    }
    if (due === undefined || due > until) {
      clock.runUntil(until);
      return !(givenUp && options.busy?.());
    }
    clock.step();
    if (++steps % STEPS_PER_YIELD === 0) await yieldToIo();
    const second = Math.floor(clock.now() / 1000);
    if (second !== lastProgress) {
      lastProgress = second;
      options.onProgress?.(clock.now());
    }
  }
  return !(givenUp && options.busy?.());
}

/** Lets real I/O run until `busy()` turns false or `maxWaitMs` of real time has passed. */
export async function waitIdle(busy: () => boolean, maxWaitMs: number, signal?: AbortSignal): Promise<boolean> {
  const deadline = performance.now() + maxWaitMs;
  let spins = 0;
  while (busy()) {
    if (signal?.aborted || performance.now() > deadline) return false;
    // Spin on the I/O queue first (loopback replies arrive within microseconds), then back off.
    if (++spins < 50) await yieldToIo();
    else await sleep(1, signal);
  }
  return true;
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
