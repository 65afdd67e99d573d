/*
 * Virtual time: a deterministic timer queue. Timers fire in (due time, creation
 * order), so a run with the same inputs is the same run, as fast as the CPU allows.
 * XS-compatible: the simulator host and the XS parity harness both drive it.
 *
 * Tasks (docs/host.md, "CPU time"): every timer runs on a task, a thread of
 * execution with its own timeline (one core of one node). Work a callback does
 * is charged to its task (`advance(ms)` while it runs: I2C transfers, computation
 * by the CPU model): the callback's own clock moves on, and the task stays busy
 * until that time, so its next timers wait (they fire late, as on a device
 * whose CPU was busy) while other tasks (another core, another node) keep their
 * own times. Timers set on the clock itself run on its default task.
 */
import type { Clock, TimerId, Timers } from "../firmware/host.js";

/** One thread of execution: busy until the end of the work charged to it. */
class TaskState {
  busyUntil = Number.NEGATIVE_INFINITY;
  /** Work charged so far by the callback running on this task, ms. */
  charged = 0;
  /** Total work charged, ms (the task's CPU time). */
  busyMs = 0;
  /** Longest a timer of this task waited past its due time because the task was busy, ms. */
  maxLateMs = 0;
  constructor(readonly name: string) {}
}

interface Entry {
  id: number;
  /** When the timer is due (repeats count from here). */
  due: number;
  /** Queue key: the due time, or later while its task is busy. */
  at: number;
  order: number;
  /** Where the entry sits in the queue (kept up to date by every move, so clear() removes it at once). */
  index: number;
  repeat: number;
  callback: () => void;
  task: TaskState;
}

/** A task's view of the clock: its timers, its time (inside its callbacks, with the work charged so far). */
export interface Task extends Clock, Timers {
  readonly name: string;
  /** Charges `ms` of work to this task (while one of its callbacks runs: its clock moves on). */
  advance(ms: number): void;
  /** Total work charged to this task, ms. */
  readonly busyMs: number;
  /** Longest a timer of this task fired late because the task was busy, ms. */
  readonly maxLateMs: number;
  /** Its work runs past the clock's time: a callback of it would have to wait. */
  readonly busy: boolean;
}

export class VirtualClock implements Clock, Timers {
  #now: number;
  #epoch: number | undefined;
  #nextId = 1;
  #order = 0;
  #queue: Entry[] = [];
  #byId = new Map<number, Entry>();
  #main = new TaskState("main");
  /** The task whose callback is running, and the time it started. */
  #running: TaskState | undefined;
  #start = 0;
  /** The latest end of work charged to any task so far. */
  #frontier = Number.NEGATIVE_INFINITY;

  /** `epochMs` is the wall time at virtual 0 (undefined: wall clock not set). */
  constructor(options: { start?: number; epochMs?: number } = {}) {
    this.#now = options.start ?? 0;
    this.#epoch = options.epochMs;
  }

  /** The time: inside a callback, its task's time (start plus the work charged so far). */
  now(): number {
    const r = this.#running;
    return r === undefined ? this.#now : this.#start + r.charged;
  }

  wall(): number | undefined {
    return this.#epoch === undefined ? undefined : this.#epoch + this.now();
  }

  /**
   * The latest time any task has reached: the clock's time, or the end of the work last charged to a
   * task, if later. What a node sends at the end of its work leaves it then, though the clock (the
   * time of the next timer) is still behind: an observer outside the nodes stamps what it receives
   * with this, never with a time before the message was made.
   */
  frontier(): number {
    const now = this.now();
    return this.#frontier > now ? this.#frontier : now;
  }

  setWall(epochMsAtNow: number | undefined): void {
    this.#epoch = epochMsAtNow === undefined ? undefined : epochMsAtNow - this.#now;
  }

  set(callback: () => void, ms: number, repeat = 0): TimerId {
    return this.#set(this.#main, callback, ms, repeat);
  }

  /** A new task on this clock (a core of a node); its timers and charges are its own. */
  task(name: string): Task {
    return new TaskView(this, new TaskState(name), (t, cb, ms, r) => this.#set(t, cb, ms, r), (t, ms) => this.#charge(t, ms));
  }

  /** Work charged to the default task (the timers set on the clock itself). */
  get busyMs(): number {
    return this.#main.busyMs;
  }

  /** Longest a default-task timer fired late because the task was busy, ms. */
  get maxLateMs(): number {
    return this.#main.maxLateMs;
  }

  #set(task: TaskState, callback: () => void, ms: number, repeat: number | undefined): TimerId {
    const id = this.#nextId++;
    const due = this.now() + Math.max(0, ms);
    const entry: Entry = { id, due, at: due, order: this.#order++, index: -1, repeat: Math.max(0, repeat ?? 0), callback, task };
    this.#byId.set(id, entry);
    this.#push(entry);
    return id;
  }

  clear(id: TimerId | undefined): void {
    if (id === undefined) return;
    const entry = this.#byId.get(id);
    if (!entry) return;
    this.#byId.delete(id);
    // Out of the queue now, not when it would have fired: a timer re-armed on every read (a
    // download's stall timer) would otherwise keep every cleared entry until its due time,
    // memory that a device's timer service frees at once (the XS memory figures count it).
    this.#removeAt(entry.index);
  }

  /** When the next live timer fires (its due time, or later while its task is busy), or undefined when none is pending. */
  nextDue(): number | undefined {
    return this.#settle()?.at;
  }

  /**
   * Moves time forward without firing anything: inside a callback, charges the
   * work to the running task (bus transfers, computation); outside, moves the
   * clock.
   */
  advance(ms: number): void {
    if (!(ms > 0)) return;
    if (this.#running !== undefined) this.#charge(this.#running, ms);
    else this.#now += ms;
  }

  /**
   * Charges `ms` to the task whose callback is running (bus time: the core that made
   * the transfer pays for it); false when no callback runs (nothing charged).
   */
  chargeRunning(ms: number): boolean {
    if (this.#running === undefined) return false;
    this.#charge(this.#running, ms);
    return true;
  }

  /** Fires the next timer if it fires at or before `limit`; returns false if none. */
  step(limit = Infinity): boolean {
    const head = this.#settle();
    if (!head || head.at > limit) return false;
    this.#pop();
    const task = head.task;
    if (head.at > this.#now) this.#now = head.at;
    const start = this.#now;
    const late = start - head.due;
    if (late > task.maxLateMs) task.maxLateMs = late;
    if (head.repeat > 0) {
      head.due += head.repeat;
      if (head.due < start) head.due = start; // a callback that overran its period does not pile up
      head.at = head.due;
      head.order = this.#order++;
      this.#push(head);
    } else {
      this.#byId.delete(head.id);
    }
    const outer = this.#running;
    const outerStart = this.#start;
    this.#running = task;
    this.#start = start;
    task.charged = 0;
    try {
      head.callback();
    } finally {
      const end = start + task.charged;
      if (end > task.busyUntil) task.busyUntil = end;
      if (end > this.#frontier) this.#frontier = end;
      task.busyMs += task.charged;
      task.charged = 0;
      this.#running = outer;
      this.#start = outerStart;
    }
    return true;
  }

  #charge(task: TaskState, ms: number): void {
    if (!(ms > 0)) return;
    if (task === this.#running) task.charged += ms;
    else {
      // Work of a task that is not running (a native job started from outside): it is busy from now on.
      const from = Math.max(task.busyUntil, this.now());
      task.busyUntil = from + ms;
      task.busyMs += ms;
      if (task.busyUntil > this.#frontier) this.#frontier = task.busyUntil;
    }
  }

  /** The next live timer, moved past its task's busy time first (so the queue head is the next to fire). */
  #settle(): Entry | undefined {
    for (;;) {
      const head = this.#queue[0];
      if (!head) return undefined;
      const busy = head.task.busyUntil;
      if (busy <= head.at) return head;
      this.#pop();
      head.at = busy;
      this.#push(head);
    }
  }

  /** Fires every timer that fires up to `t`, then sets the time to `t`. Returns the number fired. */
  runUntil(t: number, maxSteps = Infinity): number {
    let fired = 0;
    while (fired < maxSteps && this.step(t)) fired++;
    if (this.#now < t && fired < maxSteps) this.#now = t;
    return fired;
  }

  get pending(): number {
    return this.#byId.size;
  }

  // Binary heap on (due, order).
  #less(a: Entry, b: Entry): boolean {
    // Timers that waited for a busy task fire in the order they were due.
    return a.at < b.at || (a.at === b.at && (a.due < b.due || (a.due === b.due && a.order < b.order)));
  }

  #push(entry: Entry): void {
    entry.index = this.#queue.length;
    this.#queue.push(entry);
    this.#up(entry.index);
  }

  #pop(): Entry | undefined {
    const top = this.#queue[0];
    if (top) this.#removeAt(0);
    return top;
  }

  /** Takes the entry at `i` out of the heap. */
  #removeAt(i: number): void {
    const q = this.#queue;
    const last = q.pop()!;
    if (i < q.length) {
      this.#place(last, i);
      this.#down(i);
      this.#up(last.index);
    }
  }

  #place(entry: Entry, i: number): void {
    this.#queue[i] = entry;
    entry.index = i;
  }

  #up(i: number): void {
    const q = this.#queue;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#less(q[i], q[parent])) break;
      const e = q[i];
      this.#place(q[parent], i);
      this.#place(e, parent);
      i = parent;
    }
  }

  #down(i: number): void {
    const q = this.#queue;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < q.length && this.#less(q[l], q[m])) m = l;
      if (r < q.length && this.#less(q[r], q[m])) m = r;
      if (m === i) break;
      const e = q[i];
      this.#place(q[m], i);
      this.#place(e, m);
      i = m;
    }
  }
}

type SetOnTask = (task: TaskState, callback: () => void, ms: number, repeat: number | undefined) => TimerId;
type ChargeTask = (task: TaskState, ms: number) => void;

class TaskView implements Task {
  readonly #clock: VirtualClock;
  readonly #state: TaskState;
  readonly #set: SetOnTask;
  readonly #charge: ChargeTask;

  constructor(clock: VirtualClock, state: TaskState, set: SetOnTask, charge: ChargeTask) {
    this.#clock = clock;
    this.#state = state;
    this.#set = set;
    this.#charge = charge;
  }

  get name(): string {
    return this.#state.name;
  }
  get busyMs(): number {
    return this.#state.busyMs;
  }
  get maxLateMs(): number {
    return this.#state.maxLateMs;
  }
  get busy(): boolean {
    return this.#state.busyUntil > this.#clock.now();
  }
  now(): number {
    return this.#clock.now();
  }
  wall(): number | undefined {
    return this.#clock.wall();
  }
  set(callback: () => void, ms: number, repeat?: number): TimerId {
    return this.#set(this.#state, callback, ms, repeat);
  }
  clear(id: TimerId | undefined): void {
    this.#clock.clear(id);
  }
  advance(ms: number): void {
    this.#charge(this.#state, ms);
  }
}
