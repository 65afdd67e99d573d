/*
 * Settings and append logs held in memory, standing in for a node's flash: the
 * Node host's MemoryStorage (tests, fleets) and the XS cases use it.
 * XS-compatible (no Node APIs), so both engines run the same storage.
 */
import type { AppendLog, Storage } from "../firmware/host.js";

/** An append log as a list of copied records. */
export class MemoryLog implements AppendLog {
  #chunks: Uint8Array[] = [];
  #size = 0;
  append(record: Uint8Array): void {
    this.#chunks.push(record.slice());
    this.#size += record.length;
  }
  readAll(visit: (chunk: Uint8Array) => void): void {
    for (const chunk of this.#chunks) visit(chunk);
  }
  size(): number {
    return this.#size;
  }
  clear(): void {
    this.#chunks = [];
    this.#size = 0;
  }
}

export class MemoryStorage implements Storage {
  #values = new Map<string, string>();
  #logs = new Map<string, AppendLog>();
  #newLog: () => AppendLog;

  /** `newLog` makes each append log (default: a MemoryLog). */
  constructor(newLog: () => AppendLog = () => new MemoryLog()) {
    this.#newLog = newLog;
  }

  get(key: string): string | undefined {
    return this.#values.get(key);
  }
  set(key: string, value: string): void {
    this.#values.set(key, value);
  }
  delete(key: string): void {
    this.#values.delete(key);
  }
  openLog(name: string): AppendLog {
    let log = this.#logs.get(name);
    if (!log) this.#logs.set(name, (log = this.#newLog()));
    return log;
  }
}
