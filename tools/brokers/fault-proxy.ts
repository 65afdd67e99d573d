/*
 * A fault-injection proxy for MQTT on loopback (Node tooling, not firmware).
 *
 *   node  <->  proxy (127.0.0.1:port)  <->  broker (target)
 *
 * Every byte stream is cut into packets by mqtt-packet's parser and written on
 * with its generator, so faults apply to whole MQTT packets: drop the next
 * PUBACK from the broker, delay PINGRESPs, forward half a PUBLISH and then kill
 * both sockets, refuse connections, or stall a link without closing it (a dead
 * NAT entry, a cable pulled somewhere upstream). Bytes that do not parse are
 * not forwarded: both sockets are closed and `stats.protocolErrors` counts it.
 *
 * Order within a direction is kept, as TCP would: a delayed packet holds back
 * the packets behind it.
 */
import * as net from "node:net";
import * as mqttPacket from "mqtt-packet";

export type PacketType = mqttPacket.PacketCmd;
/** `toBroker`: node -> broker; `toClient`: broker -> node. */
export type Direction = "toBroker" | "toClient";

export interface FaultProxyOptions {
  target: { host: string; port: number };
  /** 4 = MQTT 3.1.1 (default), 5 = MQTT 5. */
  protocolVersion?: 4 | 5;
  /** Port to listen on (0: a free one); always on 127.0.0.1. */
  port?: number;
}

export interface FaultProxyStats {
  /** Connections accepted from nodes (refused ones included). */
  connections: number;
  /** Connections reset at once because refuseConnections(true) was in force. */
  refused: number;
  /** Packets forwarded, by direction and type. */
  forwarded: Record<Direction, Partial<Record<PacketType, number>>>;
  /** Packets swallowed by dropNext(), by type. */
  dropped: Partial<Record<PacketType, number>>;
  delayed: number;
  /** Connections killed by cutMidPacket(). */
  cuts: number;
  /** Streams that did not parse as MQTT (the connection was closed). */
  protocolErrors: number;
  /** Packets held back while stalled (released by stall(false)). */
  stalledPackets: number;
}

export interface FaultProxy {
  readonly host: string;
  readonly port: number;
  readonly stats: FaultProxyStats;
  /** Drops the next `count` packets of `type` (in `direction`, or either). */
  dropNext(type: PacketType, count?: number, direction?: Direction): void;
  /** Holds every later packet of `type` back by `ms` of real time (0 clears). */
  delay(type: PacketType, ms: number, direction?: Direction): void;
  /** The next packet in `direction` is forwarded only half-way, then both sockets are destroyed. */
  cutMidPacket(direction: Direction): void;
  /** While true, new connections are accepted and reset at once (the node sees a reset, as with a dead port). */
  refuseConnections(on: boolean): void;
  /** While true, nothing is forwarded in either direction and nothing is closed; false releases what was held. */
  stall(on: boolean): void;
  /** Resets every open connection (both sides). Returns how many pairs. */
  dropConnections(): number;
  /** Live connection pairs. */
  readonly open: number;
  close(): Promise<void>;
}

interface Rule {
  type: PacketType;
  direction?: Direction;
}

interface Pair {
  client: net.Socket;
  upstream: net.Socket;
  /** No more packets go through (closing, closed, or cut). */
  dead: boolean;
  killed: boolean;
  kill(): void;
}

const MAX_DELAY_MS = 60_000;

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const protocolVersion = options.protocolVersion ?? 4;
  const stats: FaultProxyStats = {
    connections: 0,
    refused: 0,
    forwarded: { toBroker: {}, toClient: {} },
    dropped: {},
    delayed: 0,
    cuts: 0,
    protocolErrors: 0,
    stalledPackets: 0,
  };
  const drops: Array<Rule & { left: number }> = [];
  const delays: Array<Rule & { ms: number }> = [];
  const cuts: Record<Direction, boolean> = { toBroker: false, toClient: false };
  let refusing = false;
  let stalled = false;
  /** Released when stall(false) is called. */
  let unstall: Promise<void> = Promise.resolve();
  let release: () => void = () => {};
  const pairs = new Set<Pair>();

  const matches = (r: Rule, type: PacketType, dir: Direction) => r.type === type && (r.direction === undefined || r.direction === dir);

  const server = net.createServer((client) => {
    stats.connections++;
    client.on("error", () => {});
    if (refusing) {
      stats.refused++;
      client.resetAndDestroy();
      return;
    }
    client.pause();
    const upstream = net.connect({ host: options.target.host, port: options.target.port });
    upstream.setNoDelay(true);
    client.setNoDelay(true);
    const pair: Pair = {
      client,
      upstream,
      dead: false,
      killed: false,
      kill() {
        if (pair.killed) return;
        pair.killed = pair.dead = true;
        pairs.delete(pair);
        client.resetAndDestroy();
        upstream.resetAndDestroy();
      },
    };
    pairs.add(pair);
    upstream.on("error", () => pair.kill());
    client.on("error", () => pair.kill());
    // An orderly close on one side is passed on as an orderly close on the other.
    const end = () => {
      if (pair.dead) return;
      pair.dead = pair.killed = true;
      pairs.delete(pair);
      client.end();
      upstream.end();
      setTimeout(() => {
        client.destroy();
        upstream.destroy();
      }, 500).unref();
    };
    upstream.on("connect", () => client.resume());
    pipe(pair, client, upstream, "toBroker", end);
    pipe(pair, upstream, client, "toClient", end);
  });

  function pipe(pair: Pair, from: net.Socket, to: net.Socket, dir: Direction, end: () => void): void {
    const parser = mqttPacket.parser({ protocolVersion });
    let chain: Promise<void> = Promise.resolve();
    parser.on("packet", (packet: mqttPacket.Packet) => {
      const type = packet.cmd;
      const drop = drops.find((r) => r.left > 0 && matches(r, type, dir));
      if (drop) {
        drop.left--;
        stats.dropped[type] = (stats.dropped[type] ?? 0) + 1;
        return;
      }
      const bytes = mqttPacket.generate(packet, { protocolVersion });
      const wait = delays.find((r) => matches(r, type, dir))?.ms ?? 0;
      if (wait > 0) stats.delayed++;
      if (stalled) stats.stalledPackets++;
      chain = chain.then(async () => {
        if (wait > 0) await sleep(Math.min(wait, MAX_DELAY_MS));
        if (stalled) await unstall;
        if (pair.dead || to.destroyed) return;
        if (cuts[dir]) {
          cuts[dir] = false;
          stats.cuts++;
          const half = Math.max(1, Math.floor(bytes.length / 2));
          to.write(bytes.subarray(0, half), () => setTimeout(() => pair.kill(), 20));
          pair.dead = true; // nothing else goes through this pair
          return;
        }
        stats.forwarded[dir][type] = (stats.forwarded[dir][type] ?? 0) + 1;
        to.write(bytes);
      });
    });
    parser.on("error", () => {
      stats.protocolErrors++;
      pair.kill();
    });
    from.on("data", (data: Buffer) => {
      if (!pair.dead) parser.parse(data);
    });
    from.on("end", () => {
      // Let packets already parsed go through first.
      chain = chain.then(end);
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;

  return {
    host: "127.0.0.1",
    port,
    stats,
    dropNext(type, count = 1, direction) {
      drops.push({ type, direction, left: Math.max(0, Math.floor(count)) });
    },
    delay(type, ms, direction) {
      // A new setting replaces the ones it covers (no direction: both directions).
      for (let i = delays.length - 1; i >= 0; i--) if (delays[i].type === type && (direction === undefined || delays[i].direction === direction)) delays.splice(i, 1);
      if (ms > 0) delays.push({ type, direction, ms });
    },
    cutMidPacket(direction) {
      cuts[direction] = true;
    },
    refuseConnections(on) {
      refusing = on;
    },
    stall(on) {
      if (on === stalled) return;
      stalled = on;
      if (on) unstall = new Promise<void>((resolve) => (release = resolve));
      else release();
    },
    dropConnections() {
      const n = pairs.size;
      for (const p of [...pairs]) p.kill();
      return n;
    },
    get open() {
      return pairs.size;
    },
    async close() {
      refusing = true;
      if (stalled) {
        stalled = false;
        release();
      }
      for (const p of [...pairs]) p.kill();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
