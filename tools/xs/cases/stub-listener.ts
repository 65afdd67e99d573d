/*
 * A Host listener (ECMA-419 shape, `host.io.listen`) whose connections a case
 * makes: each request arrives whole on a connection of its own, and its answer
 * is collected as text. Used by the setup server's cases (test/xs/provision-case.ts)
 * and the whole node in setup mode (tools/xs/cases/setup-node-case.ts).
 */
import type { ListenerOptions, Listener, SocketCallbacks, TCPSocket } from "../../../firmware/host.js";

export const bytesOf = (latin1: string): Uint8Array => Uint8Array.from(latin1, (c) => c.charCodeAt(0) & 0xff);

export class StubListener implements Listener {
  readonly port = 80;
  pending: string[] = [];
  accepted: { request: string; callbacks: SocketCallbacks }[] = [];
  answers: string[] = [];
  #options: ListenerOptions;
  constructor(options: ListenerOptions) {
    this.#options = options;
  }
  /**
   * Connections arrive, are accepted, become writable, their request arrives, and
   * room frees up as a host reports it after each write (synchronously, as events would).
   */
  deliver(requests: string[]): void {
    this.pending.push(...requests);
    this.#options.onReadable(this.pending.length);
    for (const { request, callbacks } of this.accepted.splice(0)) {
      callbacks.onWritable?.(512);
      callbacks.onReadable?.(request.length);
      for (let i = 0; i < 64; i++) callbacks.onWritable?.(512);
    }
  }
  read(callbacks: SocketCallbacks): TCPSocket | undefined {
    const request = this.pending.shift();
    if (request === undefined) return undefined;
    let answer = "";
    let unread: Uint8Array | undefined = bytesOf(request);
    const answers = this.answers;
    this.accepted.push({ request, callbacks });
    return {
      read: () => {
        const b = unread ?? new Uint8Array(0);
        unread = undefined;
        return b.buffer as ArrayBuffer;
      },
      write: (data) => {
        const view = data instanceof Uint8Array ? data : new Uint8Array(data);
        for (const b of view) answer += String.fromCharCode(b);
      },
      close: () => void answers.push(answer),
    };
  }
  close(): void {}

  /** The answers so far as "status line, body length" (then forgotten). */
  takeAnswers(): string[] {
    const out = this.answers.map((a) => `${a.slice(0, a.indexOf("\r\n"))} ${a.length - a.indexOf("\r\n\r\n") - 4}`);
    this.answers = [];
    return out;
  }
}
