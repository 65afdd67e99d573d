/*
 * MQTT codec: our firmware codec vs mqtt-packet (the Node ecosystem's reference),
 * encode and decode of a 100 B and a 1 KiB PUBLISH, a SUBSCRIBE and a CONNECT.
 *
 * Like with like: encode is our encode() (a new packet array each call) vs
 * mqtt-packet's generate() (a new Buffer each call); decode is each side's
 * streaming parser (ours: MqttParser). For the PUBLISH cases one more figure
 * times the client's path, encodeInto a reused send buffer (MqttClient), against
 * the same generate().
 *
 * Noise (a shared 2-core machine): both sides run in this process in batches of
 * about `batchMs`, interleaved within each round (order swapped every round so
 * drift hits both alike); the ratio is the median of the per-round ratios, with
 * its 10th-90th percentile spread, and the rates are the medians of each side
 * (ours with its own 10th-90th percentile spread over the rounds).
 */
import mqttPacket from "mqtt-packet";
import { encode, encodeInto, type Packet } from "../../firmware/mqtt/codec.js";
import { MqttParser } from "../../firmware/mqtt/parser.js";
import { GOALS } from "./goals.js";
import { roundsText, spreadOf } from "./rounds.js";
import { goal, median, quantile, type BenchModule, type Figure } from "./types.js";

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

interface Comparison {
  ours: number;
  theirs: number;
  /** Median of the per-round ratios ours / theirs, and their 10th and 90th percentiles. */
  ratio: number;
  spread: [number, number];
  /** Our rate per round. */
  oursRounds: number[];
}

function compare(a: () => void, b: () => void, rounds: number, ms: number): Comparison {
  const na = calibrate(a, ms);
  const nb = calibrate(b, ms);
  const ra: number[] = [];
  const rb: number[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < rounds; r++) {
    let x: number;
    let y: number;
    if (r % 2 === 0) {
      x = timeBatch(a, na);
      y = timeBatch(b, nb);
    } else {
      y = timeBatch(b, nb);
      x = timeBatch(a, na);
    }
    ra.push(x);
    rb.push(y);
    ratios.push(x / y);
  }
  return { ours: median(ra), theirs: median(rb), ratio: median(ratios), spread: [quantile(ratios, 0.1), quantile(ratios, 0.9)], oursRounds: ra };
}

function figure(id: string, name: string, r: Comparison): Figure {
  const spread = spreadOf(r.oursRounds.map((x) => x / 1000));
  return {
    id,
    name,
    value: r.ours / 1000,
    unit: "k ops/s",
    baseline: { name: "mqtt-packet", value: r.theirs / 1000 },
    ratio: r.ratio,
    ratioSpread: r.spread,
    spread,
    goal: goal("ratio", ">=", GOALS.codecRatio),
    kind: "wall",
    note: `${roundsText(spread)}, interleaved with mqtt-packet's; ratio p10-p90 ${r.spread[0].toFixed(2)}-${r.spread[1].toFixed(2)}x`,
  };
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
    figures.push(figure(`codec.encode.${id}`, `codec encode ${c.name} (${bytes.length} B): encode() vs generate()`, enc));
    figures.push(figure(`codec.decode.${id}`, `codec decode ${c.name} (${bytes.length} B): MqttParser vs parser()`, dec));
    if (c.ours.cmd === "publish") {
      // The client's path: encodeInto its send buffer, reused once the socket has taken (copied) the bytes.
      const sendBuffer = new Uint8Array(2048);
      const n = encodeInto(c.ours, sendBuffer, 0) as number;
      if (!Buffer.from(sendBuffer.subarray(0, n)).equals(check)) throw new Error(`codec bench: ${c.name}: encodeInto bytes differ from mqtt-packet's`);
      const into = compare(
        () => {
          sink += encodeInto(c.ours, sendBuffer, 0) as number;
        },
        () => {
          sink += lib.generate(c.theirs).length;
        },
        o.rounds,
        o.batchMs,
      );
      figures.push(figure(`codec.encodeInto.${id}`, `codec encode ${c.name}, client path: encodeInto a reused buffer vs generate()`, into));
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
    const figures = measureCodec(ctx.quick ? { rounds: 9, batchMs: 10 } : { rounds: 31, batchMs: 15 });
    const { xs } = await ctx.xs();
    figures.push(
      { id: "codec.xs.encode1k", name: "codec encode() PUBLISH 1 KiB, XS", value: xs.mqttEncode1k, unit: "computrons", kind: "deterministic", note: "mean of 100; the payload copy (TypedArray set) is metered 2 per byte", budgets: { "xs.mqttEncode1k": xs.mqttEncode1k } },
      { id: "codec.xs.encodeInto1k", name: "codec encodeInto PUBLISH 1 KiB (a reused buffer, a Writer per call), XS", value: xs.mqttEncodeInto1k, unit: "computrons", kind: "deterministic", budgets: { "xs.mqttEncodeInto1k": xs.mqttEncodeInto1k } },
      { id: "codec.xs.send1k", name: "client send path: SendPath.send PUBLISH 1 KiB, XS", value: xs.mqttSend1k, unit: "computrons", kind: "deterministic", note: "mean of 100 after warm-up; socket stub takes everything" },
      { id: "codec.xs.sendSlots", name: "client send path: XS heap slots allocated per send (1 KiB PUBLISH, after warm-up)", value: xs.mqttSendSlotsPerSend, unit: "slots", kind: "deterministic", budgets: { "xs.mqttSendSlotsPerSend": xs.mqttSendSlotsPerSend } },
    );
    return figures;
  },
};
