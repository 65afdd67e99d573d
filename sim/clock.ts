/*
 * Virtual time: a deterministic timer queue. Timers fire in (due time, creation
 * order), so a run with the same inputs is the same run, as fast as the CPU allows.
 * XS-compatible: the simulator host and the XS parity harness both drive it.
 */
import type { Clock, TimerId, Timers } from "../firmware/host.js";

interface Entry {
  id: number;
  due: number;
  order: number;
  repeat: number;
  callback: () => void;
}

export class VirtualClock implements Clock, Timers {
  #now: number;
  #epoch: number | undefined;
  #nextId = 1;
  #order = 0;
  #queue: Entry[] = [];
  #byId = new Map<number, Entry>();

  /** `epochMs` is the wall time at virtual 0 (undefined: wall clock not set). */
  constructor(options: { start?: number; epochMs?: number } = {}) {
    this.#now = options.start ?? 0;
    this.#epoch = options.epochMs;
  }

  now(): number {
    return this.#now;
  }

  wall(): number | undefined {
    return this.#epoch === undefined ? undefined : this.#epoch + this.#now;
  }

  setWall(epochMsAtNow: number | undefined): void {
    this.#epoch = epochMsAtNow === undefined ? undefined : epochMsAtNow - this.#now;
  }

  set(callback: () => void, ms: number, repeat = 0): TimerId {
    const id = this.#nextId++;
    const entry: Entry = { id, due: this.#now + Math.max(0, ms), order: this.#order++, repeat: Math.max(0, repeat), callback };
    this.#byId.set(id, entry);
    this.#push(entry);
    return id;
  }

  clear(id: TimerId | undefined): void {
    if (id === undefined) return;
    const entry = this.#byId.get(id);
    if (!entry) return;
    this.#byId.delete(id);
    entry.callback = noop; // lazily removed when it reaches the head
  }

  /** Due time of the next live timer, or undefined when none is pending. */
  nextDue(): number | undefined {
    this.#dropDead();
    return this.#queue.length ? this.#queue[0].due : undefined;
  }

  /** Moves time forward without firing anything (bus transfers take time, for example). */
  advance(ms: number): void {
    if (ms > 0) this.#now += ms;
  }

  /** Fires the next due timer if it is due at or before `limit`; returns false if none. */
  step(limit = Infinity): boolean {
    this.#dropDead();
    const head = this.#queue[0];
    if (!head || head.due > limit) return false;
    this.#pop();
    if (head.due > this.#now) this.#now = head.due;
    if (head.repeat > 0) {
      head.due += head.repeat;
      if (head.due < this.#now) head.due = this.#now; // a callback that overran its period does not pile up
      head.order = this.#order++;
      this.#push(head);
    } else {
      this.#byId.delete(head.id);
    }
    head.callback();
    return true;
  }

  /** Fires every timer due up to `t`, then sets the time to `t`. Returns the number fired. */
  runUntil(t: number, maxSteps = Infinity): number {
    let fired = 0;
    while (fired < maxSteps && this.step(t)) fired++;
    if (this.#now < t && fired < maxSteps) this.#now = t;
    return fired;
  }

  get pending(): number {
    return this.#byId.size;
  }

  #dropDead(): void {
    while (this.#queue.length && !this.#byId.has(this.#queue[0].id)) this.#pop();
    // a cleared-then-reused id cannot happen: ids are never reused
  }

  // Binary heap on (due, order).
  #less(a: Entry, b: Entry): boolean {
    return a.due < b.due || (a.due === b.due && a.order < b.order);
  }

  #push(entry: Entry): void {
    const q = this.#queue;
    q.push(entry);
    let i = q.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#less(q[i], q[parent])) break;
      [q[i], q[parent]] = [q[parent], q[i]];
      i = parent;
    }
  }

  #pop(): Entry | undefined {
    const q = this.#queue;
    const top = q[0];
    const last = q.pop();
    if (q.length && last) {
      q[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < q.length && this.#less(q[l], q[m])) m = l;
        if (r < q.length && this.#less(q[r], q[m])) m = r;
        if (m === i) break;
        [q[i], q[m]] = [q[m], q[i]];
        i = m;
      }
    }
    return top;
  }
}

function noop(): void {}
