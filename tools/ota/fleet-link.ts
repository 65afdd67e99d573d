/*
 * The rollout's one MQTT connection (docs/ota.md, "Rollout"): it keeps the
 * latest status of every node under the prefix, passes status and cmd/ota/ack
 * messages on, and publishes commands.
 *
 * The retained burst: the statuses the broker holds arrive after the
 * SUBSCRIBE, with no marker at their end. A message we publish to a topic of
 * our own comes back after whatever the broker had queued for us before it:
 * mosquitto queues a subscription's retained messages while it handles the
 * SUBSCRIBE, so the first echo follows the whole burst; aedes streams them
 * while it goes on with our later packets, so an echo may overtake part of it.
 * The burst is over at the first echo during whose round trip no retained
 * status arrived (mosquitto: the second). Events only, no guessed pause.
 *
 * Statuses are subscribed at QoS 0: they are retained, so a message lost with a
 * dropped connection comes back with the resubscription, and a large fleet's
 * burst is not held to the broker's QoS 1 in-flight window and queue limit.
 */
import crypto from "node:crypto";
import * as mqtt from "mqtt";
import { redactUrl } from "../brokers/broker.js";
import type { Clock, Timers } from "../../firmware/host.js";
import { ackFilter, commandTopic, nodeTopic, parseAck, parseStatus, statusFilter, type NodeStatus, type OtaAck } from "./node-messages.js";

/** A failure of the run (exit code 1): the broker cannot be reached, refuses a subscription, ... */
export class RolloutError extends Error {}

/** How long the broker may take to connect, to grant the subscriptions or to echo the end-of-burst marker: a ceiling against a hang, never a pace. */
export const BROKER_CEILING_MS = 30_000;

export interface FleetLinkOptions {
  broker: string;
  /** Merged into mqtt.js's options (TLS ca/cert/key, username/password). */
  mqttOptions?: mqtt.IClientOptions;
  prefix: string;
  clock: Pick<Clock, "now"> & Timers;
  onStatus(node: string, status: NodeStatus): void;
  onAck(node: string, ack: OtaAck): void;
  /** Lost and regained connections, once each. */
  onNotice(text: string): void;
}

export class FleetLink {
  /** Each node's latest status (retained or live). */
  readonly statuses = new Map<string, NodeStatus>();
  readonly #client: mqtt.MqttClient;
  readonly #o: FleetLinkOptions;
  readonly #syncTopic: string;
  #syncWaiter: ((token: string) => void) | undefined;
  /** Retained statuses received so far (delivered for our subscription, not live). */
  #retained = 0;
  #closing = false;

  private constructor(client: mqtt.MqttClient, o: FleetLinkOptions, clientId: string) {
    this.#client = client;
    this.#o = o;
    this.#syncTopic = `sensor-node-push/${clientId}`;
    client.on("message", (topic, payload, packet) => this.#message(topic, payload, packet.retain));
    const where = redactUrl(o.broker);
    let lost = false;
    client.on("close", () => {
      if (!lost && !this.#closing) o.onNotice(`lost the broker at ${where}; reconnecting (statuses come back retained)`);
      lost = true;
    });
    client.on("connect", () => {
      if (lost) o.onNotice(`reconnected to the broker at ${where}`);
      lost = false;
    });
  }

  /** Connects, subscribes, and waits for the retained burst to end: `statuses` then holds what the broker had. */
  static async open(o: FleetLinkOptions): Promise<FleetLink> {
    const clientId = `sensor-node-push-${process.pid}-${crypto.randomBytes(4).toString("hex")}`;
    const where = redactUrl(o.broker);
    const client = mqtt.connect(o.broker, { clientId, clean: true, reconnectPeriod: 1000, connectTimeout: BROKER_CEILING_MS, ...o.mqttOptions });
    // Errors are reported by the listeners below or as lost connections; an unheard "error" event would throw.
    client.on("error", () => {});
    await new Promise<void>((resolve, reject) => {
      const onError = (e: Error) => fail(e.message);
      const onClose = () => fail("the connection closed");
      const fail = (why: string) => {
        client.off("error", onError).off("close", onClose);
        client.end(true);
        reject(new RolloutError(`cannot reach the broker at ${where}: ${why}`));
      };
      client.once("connect", () => {
        client.off("error", onError).off("close", onClose);
        resolve();
      });
      client.on("error", onError);
      client.on("close", onClose);
    });
    const link = new FleetLink(client, o, clientId);
    try {
      await link.#subscribeAndSync();
    } catch (e) {
      await link.close();
      throw e;
    }
    return link;
  }

  async #subscribeAndSync(): Promise<void> {
    const filters = { [statusFilter(this.#o.prefix)]: { qos: 0 as const }, [ackFilter(this.#o.prefix)]: { qos: 1 as const }, [this.#syncTopic]: { qos: 0 as const } };
    let grants: mqtt.ISubscriptionGrant[];
    try {
      grants = await this.#within(this.#client.subscribeAsync(filters), "grant the subscriptions");
    } catch (e) {
      throw e instanceof RolloutError ? e : new RolloutError(`the broker refused the subscriptions: ${(e as Error).message}`);
    }
    const refused = grants.filter((g) => g.qos === 128).map((g) => g.topic);
    if (refused.length) throw new RolloutError(`the broker refused the subscription to ${refused.join(", ")} (its ACL must let this client read it)`);
    const what = `echo a message on ${this.#syncTopic} (its ACL must let this client write and read it)`;
    await this.#within(this.#quietEcho(), what);
    this.#syncWaiter = undefined;
  }

  /** Round trips to our own topic until one sees no retained status arrive (bounded by the caller's ceiling). */
  async #quietEcho(): Promise<void> {
    while (!this.#closing) {
      const before = this.#retained;
      const token = crypto.randomBytes(8).toString("hex");
      await new Promise<void>((resolve) => {
        this.#syncWaiter = (t) => {
          if (t === token) resolve();
        };
        this.#client.publish(this.#syncTopic, token, { qos: 1 });
      });
      if (this.#retained === before) return;
    }
  }

  /** `p`, or a RolloutError after BROKER_CEILING_MS on the rollout's clock. */
  #within<T>(p: Promise<T>, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = this.#o.clock.set(() => reject(new RolloutError(`the broker at ${redactUrl(this.#o.broker)} did not ${what} within ${BROKER_CEILING_MS / 1000} s`)), BROKER_CEILING_MS);
      p.then(
        (v) => {
          this.#o.clock.clear(timer);
          resolve(v);
        },
        (e) => {
          this.#o.clock.clear(timer);
          reject(e);
        },
      );
    });
  }

  #message(topic: string, payload: Buffer, retained: boolean): void {
    if (topic === this.#syncTopic) {
      this.#syncWaiter?.(payload.toString());
      return;
    }
    const t = nodeTopic(this.#o.prefix, topic);
    if (!t) return;
    if (t.kind === "status") {
      if (retained) this.#retained++;
      const status = parseStatus(payload);
      if (!status) return;
      this.statuses.set(t.node, status);
      this.#o.onStatus(t.node, status);
    } else {
      const ack = parseAck(payload);
      if (ack) this.#o.onAck(t.node, ack);
    }
  }

  /** Publishes `cmd/ota` (QoS 1); resolves at the broker's PUBACK. */
  async command(node: string, body: { url: string; version: string; sha256: string; size: number }): Promise<void> {
    await this.#client.publishAsync(commandTopic(this.#o.prefix, node), JSON.stringify(body), { qos: 1 });
  }

  async close(): Promise<void> {
    this.#closing = true;
    await this.#client.endAsync();
  }
}
