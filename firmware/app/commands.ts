/*
 * Commands arrive on `<prefix>/<nodeId>/cmd/<name>` with an optional JSON body
 * and are answered on `.../cmd/<name>/ack` with `{"v":1,"ok":true|false,...}`.
 * A bad command is refused with a reason; it never changes anything else.
 */
import { utf8Decode } from "../util/utf8.js";

export interface CommandResult {
  ok: boolean;
  error?: string;
  [key: string]: unknown;
}

export type CommandHandler = (body: unknown) => CommandResult;

/** Largest command body accepted (bytes). */
export const MAX_COMMAND_BYTES = 8192;

export class Commands {
  readonly prefix: string;
  #handlers = new Map<string, CommandHandler>();

  /** `prefix` is `<prefix>/<nodeId>/cmd/`. */
  constructor(prefix: string) {
    this.prefix = prefix;
  }

  register(name: string, handler: CommandHandler): void {
    this.#handlers.set(name, handler);
  }

  get names(): string[] {
    return [...this.#handlers.keys()];
  }

  /** Runs the command a message names; returns the ack topic and body, or undefined for topics that are not commands. */
  handle(topic: string, payload: Uint8Array): { topic: string; name: string; result: CommandResult } | undefined {
    if (!topic.startsWith(this.prefix)) return undefined;
    const name = topic.slice(this.prefix.length);
    if (name === "" || name.includes("/")) return undefined; // acks and deeper topics are not commands
    const ack = `${this.prefix}${name}/ack`;
    const handler = this.#handlers.get(name);
    if (!handler) return { topic: ack, name, result: { ok: false, error: `unknown command "${name}" (known: ${this.names.join(", ")})` } };
    if (payload.length > MAX_COMMAND_BYTES) return { topic: ack, name, result: { ok: false, error: `command body of ${payload.length} bytes exceeds ${MAX_COMMAND_BYTES}` } };
    let body: unknown = undefined;
    if (payload.length) {
      const text = utf8Decode(payload);
      if (text === undefined) return { topic: ack, name, result: { ok: false, error: "command body is not valid UTF-8" } };
      try {
        body = JSON.parse(text);
      } catch {
        return { topic: ack, name, result: { ok: false, error: "command body is not valid JSON" } };
      }
    }
    try {
      return { topic: ack, name, result: handler(body) };
    } catch (error) {
      return { topic: ack, name, result: { ok: false, error: error instanceof Error ? error.message : String(error) } };
    }
  }
}

export function ackPayload(result: CommandResult): string {
  return JSON.stringify({ v: 1, ...result });
}
