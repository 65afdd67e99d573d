/*
 * XS parity cases for sim/clock.ts (VirtualClock). Runs in XS (bundled, served
 * through `serveCases`) and in Node (imported by test/xs-parity.test.ts).
 */
import { VirtualClock } from "../../sim/clock.js";
import { serveCases, type CaseTable } from "../../tools/xs/cases/runtime.js";
import { mulberry32 as rng } from "../../sim/rng.js";


export const cases: CaseTable = {
  /** Fixed schedule: ties, repeats, clears from inside callbacks, advance() overruns. */
  fixed(): string[] {
    const c = new VirtualClock({ epochMs: 1_767_225_600_000 });
    const seen: string[] = [];
    c.set(() => seen.push(`b@${c.now()}`), 20);
    c.set(() => seen.push(`a@${c.now()}`), 10);
    c.set(() => seen.push(`c@${c.now()}`), 20);
    let n = 0;
    const rep = c.set(() => {
      seen.push(`r${++n}@${c.now()}`);
      if (n === 5) c.clear(rep);
      if (n === 2) c.advance(25); // overrun: the next one does not pile up
    }, 5, 10);
    const dead = c.set(() => seen.push("never"), 50);
    c.set(() => c.clear(dead), 49);
    c.set(() => {
      seen.push(`nest@${c.now()}`);
      c.set(() => seen.push(`child@${c.now()}`), 0);
    }, 60);
    c.runUntil(200);
    seen.push(`end@${c.now()} wall=${c.wall()} pending=${c.pending}`);
    return seen;
  },

  /** A seeded random workload: `count` timers with random delays/repeats/clears. */
  random(arg: { seed: number; count: number; until: number }): number[] {
    const r = rng(arg.seed);
    const c = new VirtualClock();
    const fired: number[] = [];
    const ids: number[] = [];
    for (let i = 0; i < arg.count; i++) {
      const tag = i;
      const repeat = r() < 0.3 ? 1 + Math.floor(r() * 50) : 0;
      let left = 1 + Math.floor(r() * 6);
      const id = c.set(() => {
        fired.push(tag, c.now());
        if (repeat && --left === 0) c.clear(id);
        if (r() < 0.05) c.advance(Math.floor(r() * 20));
        if (r() < 0.05 && ids.length) c.clear(ids[Math.floor(r() * ids.length)]);
      }, Math.floor(r() * 1000), repeat);
      ids.push(id);
    }
    c.runUntil(arg.until);
    fired.push(-1, c.now(), c.pending);
    return fired;
  },
};

serveCases(cases);
