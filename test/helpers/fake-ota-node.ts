/*
 * A stand-in node for `ota push` tests, written from the protocol (docs/ota.md,
 * "Rollout") with mqtt.js, node:http and node:crypto, not from the firmware:
 * it takes cmd/ota, downloads the package in byte ranges over real HTTP
 * (dropping the connection every DROP_AFTER bytes and resuming from its
 * offset), checks the header's version, the signature (node:crypto, its own
 * trusted key) and the payload's SHA-256, then "reboots" into the payload: a
 * script run in a fresh vm context. A script that throws at start rolls back.
 * Offsets are docs/ota.md's table: version 16-47, SHA-256 48-79, signature
 * 80-143, payload from 144.
 */
import crypto from "node:crypto";
import http from "node:http";
import vm from "node:vm";
import * as mqtt from "mqtt";

/**
 * How the node departs from the protocol: `silent` never answers a command,
 * `wrong-path` asks the server for another path (a 404), `no-acks` reports
 * only in its retained status (as if every ack were lost).
 */
export type Misbehaviour = "silent" | "wrong-path" | "no-acks";

export interface FakeNodeOptions {
  broker: string;
  prefix: string;
  id: string;
  fw: string;
  /** The public key this node's image trusts. */
  trusts: crypto.KeyObject;
  misbehave?: Misbehaviour;
}

interface Command {
  url: string;
  version: string;
  sha256: string;
  size: number;
}

/** The node drops its download connection after this many bytes of a response, and resumes with a Range request. */
export const DROP_AFTER = 1000;

export class FakeOtaNode {
  /** Every cmd/ota payload received, parsed. */
  readonly commands: unknown[] = [];
  /** The Range headers the node sent. */
  readonly ranges: string[] = [];
  /** What went wrong inside the fake itself (a test asserts there is nothing). */
  readonly errors: string[] = [];
  fw: string;
  #boot = 1;
  #client: mqtt.MqttClient | undefined;
  #ota: Record<string, unknown> | undefined;
  /** Resolves when the current update reached a terminal state. */
  #updating: Promise<void> = Promise.resolve();

  private constructor(private readonly o: FakeNodeOptions) {
    this.fw = o.fw;
  }

  static async start(o: FakeNodeOptions): Promise<FakeOtaNode> {
    const node = new FakeOtaNode(o);
    await node.#connect();
    return node;
  }

  get id(): string {
    return this.o.id;
  }

  #topic(rest: string): string {
    return `${this.o.prefix}/${this.o.id}/${rest}`;
  }

  /** A boot: connect with the last will, subscribe to cmd/ota, publish the retained status. */
  async #connect(): Promise<void> {
    const client = await mqtt.connectAsync(this.o.broker, { clientId: `${this.o.prefix}-${this.o.id}`, reconnectPeriod: 0, will: { topic: this.#topic("status"), payload: Buffer.from(this.#will()), qos: 1, retain: true } });
    this.#client = client;
    client.on("message", (_topic, payload) => this.#command(payload));
    await client.subscribeAsync(this.#topic("cmd/ota"), { qos: 1 });
    await this.#status();
  }

  #will(): string {
    return JSON.stringify({ v: 1, state: "offline", boot: this.#boot });
  }

  async #status(): Promise<void> {
    const body: Record<string, unknown> = { v: 1, state: "online", boot: this.#boot, fw: this.fw };
    if (this.#ota) body.ota = this.#ota;
    await this.#client!.publishAsync(this.#topic("status"), JSON.stringify(body), { qos: 1, retain: true });
  }

  async #ack(body: Record<string, unknown>): Promise<void> {
    if (this.o.misbehave === "no-acks") return;
    await this.#client!.publishAsync(this.#topic("cmd/ota/ack"), JSON.stringify({ v: 1, ...body }), { qos: 1 });
  }

  /** The update's state, in the ack and in the retained status (as a node reports it). */
  async #state(version: string, state: string, extra: Record<string, unknown> = {}): Promise<void> {
    const ok = !["refused", "failed", "rolled-back"].includes(state);
    await this.#ack({ ok, state, version, ...extra });
    this.#ota = { state, version, ...(extra.error ? { error: extra.error } : {}) };
    await this.#status();
  }

  #command(payload: Buffer): void {
    let cmd: Command;
    try {
      cmd = JSON.parse(payload.toString());
    } catch {
      cmd = undefined as unknown as Command;
    }
    this.commands.push(cmd);
    if (this.o.misbehave === "silent") return;
    const ok = cmd && typeof cmd.url === "string" && typeof cmd.version === "string" && /^[0-9a-f]{64}$/.test(cmd.sha256) && Number.isInteger(cmd.size);
    if (!ok) {
      void this.#ack({ ok: false, error: "bad command: url, version, sha256 and size are needed" });
      return;
    }
    this.#updating = this.#update(cmd).catch((e: Error) => void this.errors.push(e.message));
  }

  async #update(cmd: Command): Promise<void> {
    await this.#state(cmd.version, "downloading", { progress: 0 });
    let pkg: Buffer;
    try {
      pkg = await this.#download(cmd);
    } catch (e) {
      await this.#state(cmd.version, "failed", { error: `download: ${(e as Error).message}` });
      return;
    }
    await this.#state(cmd.version, "verifying");
    const header = pkg.subarray(0, 80);
    const version = header.subarray(16, 48).toString("latin1").replace(/\0+$/, "");
    const payload = pkg.subarray(144);
    const signed = crypto.verify("sha256", header, { key: this.o.trusts, dsaEncoding: "ieee-p1363" }, pkg.subarray(80, 144));
    const hash = crypto.createHash("sha256").update(payload).digest("hex");
    const refusal = header.subarray(0, 4).toString("latin1") !== "SNUP"
      ? "bad-magic: not an update package"
      : !signed
        ? "bad-signature: no trusted key signed the header"
        : version !== cmd.version
          ? `version-mismatch: the package carries ${version}`
          : hash !== header.subarray(48, 80).toString("hex") || hash !== cmd.sha256
            ? "hash-mismatch: the payload's SHA-256 is not the header's"
            : undefined;
    if (refusal) {
      await this.#state(cmd.version, "refused", { error: refusal });
      return;
    }
    await this.#state(cmd.version, "rebooting");
    await this.#reboot(cmd.version, payload);
  }

  /** Ranged GETs from offset 0 to `size`, each cut after DROP_AFTER bytes, resumed from the offset reached. */
  async #download(cmd: Command): Promise<Buffer> {
    const url = this.o.misbehave === "wrong-path" ? cmd.url + ".old" : cmd.url;
    const parts: Buffer[] = [];
    let offset = 0;
    let reported = 0;
    while (offset < cmd.size) {
      const range = `bytes=${offset}-`;
      this.ranges.push(range);
      const chunk = await rangeGet(url, range, offset, cmd.size);
      parts.push(chunk);
      offset += chunk.length;
      const step = Math.floor((offset / cmd.size) * 10);
      if (step > reported && offset < cmd.size) {
        reported = step;
        await this.#ack({ ok: true, state: "downloading", version: cmd.version, progress: step / 10 });
      }
    }
    return Buffer.concat(parts);
  }

  /** Restarts into `payload`; if it throws at start, the previous image boots again and reports the rollback. */
  async #reboot(version: string, payload: Buffer): Promise<void> {
    // What the broker would publish for a node that resets (its will), sent here so it cannot overtake the next boot's status.
    await this.#client!.publishAsync(this.#topic("status"), this.#will(), { qos: 1, retain: true });
    await this.#client!.endAsync();
    const from = this.fw;
    this.#boot++;
    let crash: string | undefined;
    try {
      vm.runInNewContext(payload.toString("utf8"), {});
    } catch (e) {
      crash = (e as Error).message;
    }
    if (crash !== undefined) {
      this.#ota = { state: "rolled-back", version, error: `crashed at start: ${crash}` };
      await this.#connect();
      await this.#ack({ ok: false, state: "rolled-back", version, error: `crashed at start: ${crash}` });
      return;
    }
    this.fw = version;
    this.#ota = { state: "rebooting", version };
    await this.#connect();
    await this.#ack({ ok: true, state: "confirmed", version, from });
    this.#ota = { state: "confirmed", version };
    await this.#status();
  }

  /** Waits for the update in progress, then disconnects cleanly. */
  async close(): Promise<void> {
    await this.#updating;
    await this.#client?.endAsync();
  }
}

/** One GET with `Range`, checked against the protocol: 206 and `Content-Range: bytes offset-(size-1)/size`; at most DROP_AFTER bytes kept, then the connection is cut. */
function rangeGet(url: string, range: string, offset: number, size: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers: { Range: range }, agent: false }, (res) => {
      if (res.statusCode !== 206) {
        res.resume();
        reject(new Error(`HTTP ${res.statusCode}`));
        return;
      }
      const expected = `bytes ${offset}-${size - 1}/${size}`;
      if (res.headers["content-range"] !== expected) {
        req.destroy();
        reject(new Error(`Content-Range ${res.headers["content-range"]}, expected ${expected}`));
        return;
      }
      const parts: Buffer[] = [];
      let got = 0;
      const done = () => resolve(Buffer.concat(parts));
      res.on("data", (d: Buffer) => {
        const take = d.subarray(0, DROP_AFTER - got);
        parts.push(take);
        got += take.length;
        if (got >= DROP_AFTER) {
          res.removeAllListeners("end");
          req.destroy();
          done();
        }
      });
      res.on("end", done);
    });
    req.on("error", (e) => {
      if (!req.destroyed || (e as NodeJS.ErrnoException).code !== "ECONNRESET") reject(e);
    });
  });
}
