/*
 * Helpers for the MQTT client tests: a minimal wall-clock Host on the real
 * Node TCP socket, an embedded aedes broker on 127.0.0.1, and a scripted fake
 * broker (our own codec) for behaviour aedes cannot be made to show.
 */
import * as net from "node:net";
import { Aedes, type AedesOptions } from "aedes";
import type { Host, LogLevel, TimerId } from "../../firmware/host.js";
import { encode, type Packet } from "../../firmware/mqtt/codec.js";
import { MqttParser } from "../../firmware/mqtt/parser.js";
import { createTcpSocket } from "../../hosts/node/tcp.js";
import type { VirtualClock } from "../../sim/clock.js";
import { drive, waitIdle } from "../../tools/simulator/drive.js";
import { EVENT_CEILING_MS } from "./wait.js";

export interface TestHost extends Host {
  logs: { level: LogLevel; message: string }[];
  /** Cancels every pending timer (test teardown). */
  dispose(): void;
}

/**
 * With a VirtualClock: the client's timers (backoff, keepalive, PINGRESP timeout) run on it,
 * while its socket is real. Drive it with `runVirtual`, so that protocol timing is asserted in
 * virtual time and a loaded machine cannot change it.
 */
export function createTestHost(clock?: VirtualClock): TestHost {
  const host = createWallTestHost();
  if (!clock) return host;
  return {
    ...host,
    timers: { set: (callback, ms, repeat) => clock.set(callback, ms, repeat), clear: (id) => clock.clear(id) },
    clock: { now: () => clock.now(), wall: () => clock.wall() },
    // Timers on the virtual clock fire only while a test drives it: nothing to cancel.
    dispose: () => host.dispose(),
  };
}

/**
 * Runs `clock` to `until` (virtual ms) at full speed. While `busy()` (a reply is due: CONNACK,
 * PUBACK, PINGRESP), virtual time waits for it, for as long as it takes: a test that withholds a
 * reply says so in `busy` (e.g. `() => client.awaitingReply && answering`), so no wait ever ends
 * on a real-time budget and the virtual timeline is the same on a busy machine.
 */
export async function runVirtual(clock: VirtualClock, until: number, busy: () => boolean = () => false): Promise<void> {
  await drive({ clock, until, speed: "max", busy, maxWaitMs: EVENT_CEILING_MS });
  if (!(await waitIdle(busy, EVENT_CEILING_MS))) throw new Error(`a reply did not come within ${EVENT_CEILING_MS} ms of real time`);
}


function createWallTestHost(): TestHost {
  const timers = new Map<number, NodeJS.Timeout>();
  let nextId = 1;
  const logs: TestHost["logs"] = [];
  return {
    logs,
    io: {
      get SMBus(): never {
        throw new Error("no I2C in this test host");
      },
      tcp: (options) => createTcpSocket(options),
    },
    timers: {
      set(callback: () => void, ms: number, repeat = 0): TimerId {
        const id = nextId++;
        const fire = () => {
          if (repeat > 0) timers.set(id, setTimeout(fire, repeat));
          else timers.delete(id);
          callback();
        };
        timers.set(id, setTimeout(fire, Math.max(0, ms)));
        return id;
      },
      clear(id: TimerId | undefined): void {
        if (id === undefined) return;
        clearTimeout(timers.get(id));
        timers.delete(id);
      },
    },
    clock: { now: () => performance.now(), wall: () => Date.now() },
    storage: {
      get: () => undefined,
      set: () => {},
      delete: () => {},
      openLog: () => {
        throw new Error("no storage in this test host");
      },
    },
    hardwareId: "test",
    log: (level, message) => logs.push({ level, message }),
    restart: () => {},
    dispose() {
      for (const t of timers.values()) clearTimeout(t);
      timers.clear();
    },
  };
}

export interface TestBroker {
  aedes: Aedes;
  port: number;
  /** Server-side sockets, to drop clients from the broker's end. */
  sockets: Set<net.Socket>;
  close(): Promise<void>;
}

export async function startBroker(options: AedesOptions = {}): Promise<TestBroker> {
  const aedes = await Aedes.createBroker(options);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    aedes.handle(s);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    aedes,
    port: (server.address() as net.AddressInfo).port,
    sockets,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
    },
  };
}

export interface FakeConnection<P = Packet> {
  readonly index: number;
  send(p: P): void;
  close(): void;
  readonly socket: net.Socket;
}

export interface FakeBroker<P = Packet> {
  port: number;
  /** Every packet received, with the connection index and arrival time (performance.now(), or the `now` given). */
  received: { conn: number; at: number; packet: P }[];
  connections: FakeConnection<P>[];
  close(): Promise<void>;
}

/** What a scripted broker speaks: packets to bytes, and a reader per connection (`fail`: garbage, drop it). */
export interface FakeBrokerCodec<P> {
  encode(p: P): Uint8Array;
  reader(emit: (p: P) => void, fail: () => void): (data: Uint8Array) => void;
}

/** Our own codec (3.1.1 by default). */
const OUR_CODEC: FakeBrokerCodec<Packet> = {
  encode(p) {
    const bytes = encode(p);
    if (!(bytes instanceof Uint8Array)) throw new Error(bytes.message);
    return bytes;
  },
  reader(emit, fail) {
    const parser = new MqttParser();
    return (data) => {
      parser.push(data);
      for (let p = parser.next(); p !== undefined; p = parser.next()) {
        if (p.cmd === "error") return fail();
        emit(p);
      }
    };
  },
};

/** A broker on loopback whose every reply is scripted by `onPacket`, speaking `codec` (default: ours). */
export async function startFakeBroker<P = Packet>(
  onPacket: (conn: FakeConnection<P>, p: P) => void,
  codec: FakeBrokerCodec<P> = OUR_CODEC as unknown as FakeBrokerCodec<P>,
  /** Stamps `received[].at` (default performance.now(); a test on a VirtualClock passes its now()). */
  now: () => number = () => performance.now(),
): Promise<FakeBroker<P>> {
  const received: FakeBroker<P>["received"] = [];
  const connections: FakeConnection<P>[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    const conn: FakeConnection<P> = {
      index: connections.length,
      socket,
      send(p) {
        if (!socket.destroyed) socket.write(codec.encode(p));
      },
      close() {
        socket.destroy();
      },
    };
    connections.push(conn);
    const read = codec.reader(
      (p) => {
        received.push({ conn: conn.index, at: now(), packet: p });
        onPacket(conn, p);
      },
      () => socket.destroy(),
    );
    socket.on("data", (data) => read(new Uint8Array(data)));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    received,
    connections,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export { until as waitFor, EVENT_CEILING_MS } from "./wait.js";
