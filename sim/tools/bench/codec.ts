/*
 * MQTT codec: our firmware codec vs mqtt-packet (the Node ecosystem's reference),
 * encode and decode of a 100 B and a 1 KiB PUBLISH, a SUBSCRIBE and a CONNECT.
 * Both sides run in this process in alternating batches; the figure is the
 * median over rounds of each side's rate, and the ratio ours / mqtt-packet.
 * Decode goes through each side's streaming parser (ours: MqttParser).
 */
import mqttPacket from "mqtt-packet";
import { encode, type Packet } from "../../../firmware/mqtt/codec.js";
import { MqttParser } from "../../../firmware/mqtt/parser.js";
import { goal, median, type BenchModule, type Figure } from "./types.js";

interface Case {
  name: string;
  ours: Packet;
  theirs: Record<string, unknown>;
}

function payload(n: number): Uint8Array {
  const p = new Uint8Array(n);
  for (let i = 0; i < n; i++) p[i] = 32 + ((i * 7) % 90);
  return p;
}

function cases(): Case[] {
  const out: Case[] = [];
  for (const [name, size] of [["PUBLISH 100 B", 100], ["PUBLISH 1 KiB", 1024]] as const) {
    const ours: Packet = { cmd: "publish", topic: "sensors/pump-1/telemetry", payload: payload(size), qos: 1, retain: false, dup: false, messageId: 4242 };
    out.push({ name, ours, theirs: { ...ours, payload: Buffer.from(ours.payload as Uint8Array) } });
  }
  const sub: Packet = { cmd: "subscribe", messageId: 7, subscriptions: [{ topic: "sensors/pump-1/cmd/+", qos: 1 }, { topic: "sensors/all/cmd/#", qos: 1 }] };
  out.push({ name: "SUBSCRIBE", ours: sub, theirs: { ...sub } });
  const will = { topic: "sensors/pump-1/status", payload: new TextEncoder().encode('{"v":1,"online":false}'), qos: 1 as const, retain: true };
  const conn: Packet = { cmd: "connect", protocolVersion: 4, clean: false, keepalive: 30, clientId: "pump-1", username: "node", password: new TextEncoder().encode("secret"), will };
  out.push({ name: "CONNECT", ours: conn, theirs: { ...conn, protocolId: "MQTT", password: Buffer.from(conn.password!), will: { ...will, payload: Buffer.from(will.payload) } } });
  return out;
}

type MqttPacketLib = {
  generate(p: unknown): Buffer;
  parser(o?: unknown): { on(e: "packet", f: (p: unknown) => void): void; on(e: "error", f: (e: Error) => void): void; parse(b: Buffer): number };
};
const lib = mqttPacket as unknown as MqttPacketLib;

/** Ops per second of `fn` over batches of `batch` calls, median over `rounds` (interleaved by the caller). */
function timeBatch(fn: () => void, batch: number): number {
  const t0 = performance.now();
  for (let i = 0; i < batch; i++) fn();
  return batch / ((performance.now() - t0) / 1000);
}

/** Calibrates a batch size that takes about `ms`. */
function calibrate(fn: () => void, ms: number): number {
  let n = 64;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) fn();
    const dt = performance.now() - t0;
    if (dt >= ms / 4 || n >= 1 << 22) return Math.max(64, Math.round((n * ms) / Math.max(dt, 0.01)));
    n *= 4;
  }
}

let sink = 0;

function compare(a: () => void, b: () => void, rounds: number, ms: number): { ours: number; theirs: number } {
  const na = calibrate(a, ms);
  const nb = calibrate(b, ms);
  const ra: number[] = [];
  const rb: number[] = [];
  for (let r = 0; r < rounds; r++) {
    ra.push(timeBatch(a, na));
    rb.push(timeBatch(b, nb));
  }
  return { ours: median(ra), theirs: median(rb) };
}

export function measureCodec(o: { rounds: number; batchMs: number }): Figure[] {
  const figures: Figure[] = [];
  for (const c of cases()) {
    const bytes = encode(c.ours) as Uint8Array;
    const wire = Buffer.from(bytes);
    const check = lib.generate(c.theirs);
    if (!check.equals(wire)) throw new Error(`codec bench: ${c.name}: our bytes differ from mqtt-packet's`);
    const enc = compare(
      () => {
        sink += (encode(c.ours) as Uint8Array).length;
      },
      () => {
        sink += lib.generate(c.theirs).length;
      },
      o.rounds,
      o.batchMs,
    );
    const ourParser = new MqttParser();
    const theirParser = lib.parser({ protocolVersion: 4 });
    theirParser.on("packet", () => sink++);
    theirParser.on("error", (e) => {
      throw e;
    });
    const dec = compare(
      () => {
        ourParser.push(bytes);
        const p = ourParser.next();
        if (p === undefined || p.cmd === "error") throw new Error(`codec bench: ${c.name}: our parser failed`);
        sink++;
      },
      () => {
        theirParser.parse(wire);
      },
      o.rounds,
      o.batchMs,
    );
    const id = c.name.toLowerCase().replace(/[^a-z0-9]+/g, "");
    for (const [op, r] of [["encode", enc], ["decode", dec]] as const) {
      figures.push({
        id: `codec.${op}.${id}`,
        name: `codec ${op} ${c.name} (${bytes.length} B)`,
        value: r.ours / 1000,
        unit: "k ops/s",
        baseline: { name: "mqtt-packet", value: r.theirs / 1000 },
        ratio: r.ours / r.theirs,
        goal: goal("ratio", ">=", 1.5),
        kind: "wall",
      });
    }
  }
  if (sink < 0) console.log(sink);
  return figures;
}

export const codecBench: BenchModule = {
  name: "codec",
  title: "MQTT codec vs mqtt-packet",
  quick: true,
  async run(ctx) {
    return measureCodec(ctx.quick ? { rounds: 5, batchMs: 10 } : { rounds: 15, batchMs: 25 });
  },
};
