/*
 * What the scenario runner drives a node against: an embedded aedes broker that
 * can go down and come back on the same port, and an observer (an independent
 * mqtt.js subscriber) that stamps each message with virtual time.
 */
import * as net from "node:net";
import * as mqtt from "mqtt";
import { Aedes } from "aedes";
import type { ObservedMessage } from "../cli/output.js";

/**
 * aedes on 127.0.0.1. `down()` closes the listener and every client socket
 * (no will reaches anyone: the sockets die together); `up()` listens again on
 * the same port with a fresh broker (no sessions, no retained messages: a
 * broker restarted without persistence). `published` counts the PUBLISHes (and
 * wills) the current broker accepted under `prefix/`, so the runner can wait
 * for the observer to have them all before virtual time moves on.
 */
export class RestartableAedes {
  readonly host = "127.0.0.1";
  port = 0;
  published = 0;
  up = false;
  #aedes: Aedes | undefined;
  #server: net.Server | undefined;
  #sockets = new Set<net.Socket>();
  #prefix: string;

  constructor(prefix: string) {
    this.#prefix = prefix + "/";
  }

  get url(): string {
    return `mqtt://${this.host}:${this.port}`;
  }

  async start(): Promise<void> {
    const aedes = await Aedes.createBroker();
    this.published = 0;
    // Counted when a PUBLISH (or a will) is authorized, before aedes acknowledges it: aedes sends the
    // PUBACK first and emits "publish" only after that write and its persistence, so a count taken at
    // "publish" could lag behind a node that already has its PUBACK, and virtual time would move on
    // while the message is still on its way to the subscriber (it would be stamped late).
    const authorize = aedes.authorizePublish.bind(aedes);
    aedes.authorizePublish = (client, packet, callback) => {
      if (packet.topic.startsWith(this.#prefix)) this.published++;
      authorize(client, packet, callback);
    };
    const server = net.createServer(aedes.handle);
    server.on("connection", (s) => {
      this.#sockets.add(s);
      s.on("close", () => this.#sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, this.host, () => resolve());
    });
    this.port = (server.address() as net.AddressInfo).port;
    this.#aedes = aedes;
    this.#server = server;
    this.up = true;
  }

  async stop(): Promise<void> {
    if (!this.up) return;
    this.up = false;
    const server = this.#server!;
    const aedes = this.#aedes!;
    for (const s of this.#sockets) s.destroy();
    this.#sockets.clear();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
  }
}

/** Subscribes to `filter` and keeps every message, stamped with `now()` (virtual wall time). */
export class ScenarioObserver {
  readonly messages: ObservedMessage[] = [];
  /** Messages received since the last (re)subscription. */
  receivedSinceSubscribe = 0;
  subscribed = false;
  #client: mqtt.MqttClient;
  #listeners = new Set<(m: ObservedMessage) => void>();

  constructor(url: string, filter: string, now: () => number) {
    this.#client = mqtt.connect(url, { clientId: `scenario-observer-${process.pid}-${Math.floor(Math.random() * 1e9)}`, reconnectPeriod: 20, connectTimeout: 5000, resubscribe: false });
    this.#client.on("error", () => {});
    this.#client.on("close", () => (this.subscribed = false));
    this.#client.on("connect", () => {
      this.#client.subscribe(filter, { qos: 1 }, (error) => {
        if (error) return;
        this.receivedSinceSubscribe = 0;
        this.subscribed = true;
      });
    });
    this.#client.on("message", (topic, payload, packet) => {
      const m: ObservedMessage = { t: now(), topic, qos: packet.qos, retain: packet.retain, payload: new Uint8Array(payload) };
      this.messages.push(m);
      this.receivedSinceSubscribe++;
      for (const l of this.#listeners) l(m);
    });
  }

  onMessage(listener: (m: ObservedMessage) => void): void {
    this.#listeners.add(listener);
  }

  publish(topic: string, payload: string): void {
    this.#client.publish(topic, payload, { qos: 1 });
  }

  async close(): Promise<void> {
    await this.#client.endAsync(true);
  }
}
