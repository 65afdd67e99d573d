/*
 * Commands to a node over MQTT (docs/monitoring.md, "Commands"): publish
 * `<prefix>/<nodeId>/cmd/<name>` and wait for the node's
 * `.../cmd/<name>/ack`. Acks carry no correlation id, so calls of one command
 * on one node go one at a time, in order: each ack answers the oldest call.
 */

export interface CommandAck {
  ok: boolean;
  [key: string]: unknown;
}

export type CommandOutcome = { ack: CommandAck } | { timeout: true };

/** How long a method call waits for the node's ack (ms): a node answers within a window on a live link. */
export const COMMAND_TIMEOUT_MS = 10_000;

interface Pending {
  resolve(outcome: CommandOutcome): void;
  timer: NodeJS.Timeout;
}

export class CommandChannel {
  readonly #publish: (topic: string, body: string) => void;
  readonly #prefix: string;
  readonly #timeoutMs: number;
  /** Calls waiting for an ack, by ack topic, oldest first. */
  readonly #pending = new Map<string, Pending[]>();
  /** The end of each ack topic's queue: the next call publishes after the previous one settled. */
  readonly #tail = new Map<string, Promise<unknown>>();

  constructor(o: { prefix: string; publish: (topic: string, body: string) => void; timeoutMs?: number }) {
    this.#publish = o.publish;
    this.#prefix = o.prefix;
    this.#timeoutMs = o.timeoutMs ?? COMMAND_TIMEOUT_MS;
  }

  /** The filter that carries every node's acks. */
  get ackFilter(): string {
    return `${this.#prefix}/+/cmd/+/ack`;
  }

  send(nodeId: string, name: string, body: unknown = {}): Promise<CommandOutcome> {
    const topic = `${this.#prefix}/${nodeId}/cmd/${name}`;
    const ackTopic = `${topic}/ack`;
    const previous = this.#tail.get(ackTopic) ?? Promise.resolve();
    const call = previous.then(() => this.#call(topic, ackTopic, body));
    this.#tail.set(ackTopic, call);
    void call.finally(() => {
      if (this.#tail.get(ackTopic) === call) this.#tail.delete(ackTopic);
    });
    return call;
  }

  /** An ack from the broker; false when it answers no call (a late ack after a timeout, another client's command). */
  ack(topic: string, payload: Uint8Array): boolean {
    const queue = this.#pending.get(topic);
    const p = queue?.shift();
    if (!p) return false;
    if (!queue!.length) this.#pending.delete(topic);
    clearTimeout(p.timer);
    let ack: CommandAck;
    try {
      ack = JSON.parse(new TextDecoder().decode(payload)) as CommandAck;
    } catch {
      ack = { ok: false, error: "the node's ack is not JSON" };
    }
    p.resolve({ ack });
    return true;
  }

  /** Fails every waiting call (the gateway is closing). */
  close(): void {
    for (const queue of this.#pending.values()) for (const p of queue) {
      clearTimeout(p.timer);
      p.resolve({ timeout: true });
    }
    this.#pending.clear();
  }

  #call(topic: string, ackTopic: string, body: unknown): Promise<CommandOutcome> {
    return new Promise((resolve) => {
      const queue = this.#pending.get(ackTopic) ?? [];
      const p: Pending = {
        resolve,
        timer: setTimeout(() => {
          const i = queue.indexOf(p);
          if (i >= 0) queue.splice(i, 1);
          resolve({ timeout: true });
        }, this.#timeoutMs),
      };
      queue.push(p);
      this.#pending.set(ackTopic, queue);
      this.#publish(topic, JSON.stringify(body));
    });
  }
}
