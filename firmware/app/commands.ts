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

/**
 * What runs the commands: one method for all of them. A closure per command (and
 * a Map of them) cost every node about 1.8 KiB of RAM; the names are a constant.
 */
export interface CommandTarget {
  runCommand(name: string, body: unknown): CommandResult;
}

/** Largest command body accepted (bytes). */
export const MAX_COMMAND_BYTES = 8192;

export class Commands {
  readonly prefix: string;
  /** The commands `target` runs, in the order an unknown command lists them. */
  readonly names: readonly string[];
  #target: CommandTarget;

  /** `prefix` is `<prefix>/<nodeId>/cmd/`; `names` should be a module constant (flash when preloaded). */
  constructor(prefix: string, names: readonly string[], target: CommandTarget) {
    this.prefix = prefix;
    this.names = names;
    this.#target = target;
  }

  /** Runs the command a message names; returns the ack topic and body, or undefined for topics that are not commands. */
  handle(topic: string, payload: Uint8Array): { topic: string; name: string; result: CommandResult } | undefined {
    if (!topic.startsWith(this.prefix)) return undefined;
    const name = topic.slice(this.prefix.length);
    if (name === "" || name.includes("/")) return undefined; // acks and deeper topics are not commands
    const ack = `${this.prefix}${name}/ack`;
    if (!this.names.includes(name)) return { topic: ack, name, result: { ok: false, error: `unknown command "${name}" (known: ${this.names.join(", ")})` } };
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
      return { topic: ack, name, result: this.#target.runCommand(name, body) };
    } catch (error) {
      return { topic: ack, name, result: { ok: false, error: error instanceof Error ? error.message : String(error) } };
    }
  }
}

export function ackPayload(result: CommandResult): string {
  return JSON.stringify({ v: 1, ...result });
}
