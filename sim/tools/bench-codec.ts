/*
 * MQTT codec micro-benchmark for `sensor-node bench`: encode and decode rate of
 * our codec (firmware/mqtt) against mqtt-packet, for a 100-byte and a 1 KiB
 * QoS 1 PUBLISH, in MQTT 3.1.1 and 5, in this process. mqtt-packet is a dev
 * dependency: when it is not installed, `theirs` and `ratio` are undefined.
 *
 * Decode is measured through the streaming parsers (ours: push + next; theirs:
 * parse + 'packet' event), the way a client receives packets.
 */
import { encode, encodeInto, isCodecError, type AnyPacket, type PublishPacket } from "../../firmware/mqtt/codec.js";
import { MqttParser } from "../../firmware/mqtt/parser.js";

export interface CodecBenchRow {
  /** encode: a fresh Uint8Array per packet; encodeInto: into one preallocated send buffer (theirs: generate). */
  op: "encode" | "encodeInto" | "decode";
  /** Payload bytes of the PUBLISH. */
  size: number;
  protocolVersion: 4 | 5;
  /** Operations per second. */
  ours: number;
  theirs?: number;
  /** ours / theirs. */
  ratio?: number;
}

export interface CodecBenchOptions {
  /** Operations per measurement (each is repeated 5 times, best kept). Default 20,000. */
  iterations?: number;
}

interface MqttPacketLib {
  generate(packet: unknown, opts?: { protocolVersion: number }): Uint8Array;
  parser(opts?: { protocolVersion: number }): { on(ev: string, cb: (x: unknown) => void): void; parse(b: Uint8Array): number };
}

function publishOf(size: number, protocolVersion: 4 | 5): PublishPacket {
  const payload = new Uint8Array(size);
  for (let i = 0; i < size; i++) payload[i] = (i * 31 + 7) & 0xff;
  const p: PublishPacket = { cmd: "publish", topic: "sensors/node-a1b2c3/telemetry", payload, qos: 1, retain: false, dup: false, messageId: 42 };
  if (protocolVersion === 5) p.properties = { contentType: "application/json", messageExpiryInterval: 600 };
  return p;
}

function rate(iterations: number, run: (n: number) => void): number {
  run(Math.min(iterations, 1000)); // warm up
  let best = Infinity;
  for (let k = 0; k < 5; k++) {
    const t0 = performance.now();
    run(iterations);
    best = Math.min(best, performance.now() - t0);
  }
  return iterations / (Math.max(best, 1e-3) / 1000);
}

export async function benchCodec(options: CodecBenchOptions = {}): Promise<CodecBenchRow[]> {
  const iterations = options.iterations ?? 20_000;
  let lib: MqttPacketLib | undefined;
  try {
    const m = (await import("mqtt-packet")) as unknown as { default?: MqttPacketLib } & MqttPacketLib;
    lib = m.default ?? m;
  } catch {
    lib = undefined;
  }
  const rows: CodecBenchRow[] = [];
  let sink = 0;
  for (const protocolVersion of [4, 5] as const) {
    for (const size of [100, 1024]) {
      const packet = publishOf(size, protocolVersion);
      const theirPacket = { ...packet, payload: Buffer.from(packet.payload) };
      const opts = { protocolVersion };
      const bytes = encode(packet, opts);
      if (isCodecError(bytes)) throw new Error(bytes.message);

      const oursEnc = rate(iterations, (n) => {
        for (let i = 0; i < n; i++) sink += (encode(packet, opts) as Uint8Array).length;
      });
      const theirsEnc = lib && rate(iterations, (n) => {
        for (let i = 0; i < n; i++) sink += lib!.generate(theirPacket, opts).length;
      });
      rows.push({ op: "encode", size, protocolVersion, ours: oursEnc, theirs: theirsEnc, ratio: theirsEnc ? oursEnc / theirsEnc : undefined });
      const sendBuffer = new Uint8Array(4096);
      const oursInto = rate(iterations, (n) => {
        for (let i = 0; i < n; i++) sink += encodeInto(packet, sendBuffer, 0, opts) as number;
      });
      rows.push({ op: "encodeInto", size, protocolVersion, ours: oursInto, theirs: theirsEnc, ratio: theirsEnc ? oursInto / theirsEnc : undefined });

      const parser = new MqttParser<AnyPacket>({ protocolVersion });
      const oursDec = rate(iterations, (n) => {
        for (let i = 0; i < n; i++) {
          parser.push(bytes);
          const p = parser.next();
          if (p === undefined || p.cmd !== "publish") throw new Error("bench: decode failed");
          sink += p.payload.length;
        }
      });
      let theirsDec: number | undefined;
      if (lib) {
        const theirParser = lib.parser(opts);
        let got = 0;
        theirParser.on("packet", () => got++);
        const buf = Buffer.from(bytes);
        theirsDec = rate(iterations, (n) => {
          for (let i = 0; i < n; i++) theirParser.parse(buf);
        });
        sink += got;
      }
      rows.push({ op: "decode", size, protocolVersion, ours: oursDec, theirs: theirsDec, ratio: theirsDec ? oursDec / theirsDec : undefined });
    }
  }
  if (sink === -1) console.log(sink); // keep the work observable
  return rows;
}
