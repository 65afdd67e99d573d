/*
 * The parent's side of a bench child process that talks over Node's IPC channel:
 * messages are objects with a `type`; `next(type)` waits for the next one of that
 * type (with a ceiling, so a stuck child cannot hang the bench), `close()` asks
 * the child to stop and kills it if it does not.
 */
import { fork, type ChildProcess } from "node:child_process";

export interface IpcMessage {
  type: string;
  [key: string]: unknown;
}

export class BenchChild {
  readonly #child: ChildProcess;
  readonly #queue: IpcMessage[] = [];
  readonly #waiters: { type: string; resolve: (m: IpcMessage) => void }[] = [];
  #exit?: string;
  #stderr = "";

  constructor(readonly label: string, script: string, request: unknown, execArgv: string[] = []) {
    this.#child = fork(script, [JSON.stringify(request)], { execArgv, stdio: ["ignore", "ignore", "pipe", "ipc"] });
    this.#child.stderr!.on("data", (d) => (this.#stderr = (this.#stderr + d).slice(-4000)));
    this.#child.on("message", (m: IpcMessage) => {
      const i = this.#waiters.findIndex((w) => w.type === m.type);
      if (i >= 0) this.#waiters.splice(i, 1)[0].resolve(m);
      else this.#queue.push(m);
    });
    this.#child.on("exit", (code, signal) => (this.#exit = signal ? `killed by ${signal}` : `exited with ${code}`));
  }

  get pid(): number {
    return this.#child.pid!;
  }

  send(message: IpcMessage): void {
    if (this.#child.connected) this.#child.send(message);
  }

  /** The next message of `type` (one that came earlier and was not taken counts). */
  next<T extends IpcMessage>(type: string, timeoutMs: number): Promise<T> {
    const i = this.#queue.findIndex((m) => m.type === type);
    if (i >= 0) return Promise.resolve(this.#queue.splice(i, 1)[0] as T);
    return new Promise((resolve, reject) => {
      const waiter = { type, resolve: (m: IpcMessage) => (clearInterval(poll), clearTimeout(timer), resolve(m as T)) };
      const fail = (why: string) => {
        clearInterval(poll);
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        reject(new Error(`${this.label}: ${why} waiting for "${type}"${this.#stderr.trim() ? ": " + this.#stderr.trim().split("\n").slice(-3).join(" / ") : ""}`));
      };
      const timer = setTimeout(() => fail(`no answer in ${timeoutMs / 1000} s`), timeoutMs);
      const poll = setInterval(() => this.#exit && (clearTimeout(timer), fail(this.#exit)), 200);
      this.#waiters.push(waiter);
    });
  }

  /** Asks the child to stop ({type: "close"}); SIGKILL after `graceMs`. */
  async close(graceMs = 15_000): Promise<void> {
    if (this.#exit) return;
    const exited = new Promise<void>((resolve) => this.#child.once("exit", () => resolve()));
    this.send({ type: "close" });
    const timer = setTimeout(() => this.#child.kill("SIGKILL"), graceMs);
    await exited;
    clearTimeout(timer);
  }
}

/** The child's side: the request it was started with, and a typed send to the parent. */
export function childRequest<T>(): T {
  return JSON.parse(process.argv[2] ?? "{}") as T;
}

export function toParent(message: IpcMessage): void {
  process.send?.(message);
}
