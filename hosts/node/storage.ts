/*
 * Storage for the Node host: key/value settings and append-only logs, either in
 * memory (tests, fleets) or in files under a directory (survives a restart).
 * Settings are written to a temporary file and renamed, so a crash never leaves
 * a half-written settings file.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { AppendLog, Storage } from "../../firmware/host.js";

export { MemoryStorage } from "../../sim/storage.js";

export class FileStorage implements Storage {
  readonly dir: string;
  #file: string;
  #values: Record<string, string>;

  constructor(dir: string) {
    this.dir = dir;
    fs.mkdirSync(dir, { recursive: true });
    this.#file = path.join(dir, "settings.json");
    this.#values = readSettings(this.#file);
  }

  get(key: string): string | undefined {
    return Object.hasOwn(this.#values, key) ? this.#values[key] : undefined;
  }
  set(key: string, value: string): void {
    this.#values[key] = value;
    this.#save();
  }
  delete(key: string): void {
    delete this.#values[key];
    this.#save();
  }
  openLog(name: string): AppendLog {
    if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new Error(`invalid log name ${JSON.stringify(name)}`);
    return new FileLog(path.join(this.dir, `${name}.log`));
  }

  #save(): void {
    const tmp = `${this.#file}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(this.#values, null, 1));
    fs.renameSync(tmp, this.#file);
  }
}

function readSettings(file: string): Record<string, string> {
  try {
    const parsed: unknown = JSON.parse(fs.readFileSync(file, "utf8"));
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return {};
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(parsed)) if (typeof v === "string") out[k] = v;
    return out;
  } catch {
    return {}; // missing or corrupt: start from defaults (the firmware reports what it lost)
  }
}

class FileLog implements AppendLog {
  #file: string;
  constructor(file: string) {
    this.#file = file;
  }
  append(record: Uint8Array): void {
    fs.appendFileSync(this.#file, record);
  }
  readAll(visit: (chunk: Uint8Array) => void): void {
    let data: Uint8Array;
    try {
      data = fs.readFileSync(this.#file);
    } catch {
      return;
    }
    visit(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }
  size(): number {
    try {
      return fs.statSync(this.#file).size;
    } catch {
      return 0;
    }
  }
  clear(): void {
    fs.rmSync(this.#file, { force: true });
  }
}
