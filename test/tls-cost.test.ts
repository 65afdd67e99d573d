/*
 * What TLS costs the node's main core under the CPU model (issue 14; sim/cpu.ts
 * "tls", "tlsRecord"; hosts/node/tcp.ts). The device's TLS (the Moddable SDK's
 * embedded:io/socket/tcp/tls) runs its record layer in XS and AES-GCM in portable
 * C on the main core; the model's assumption, written here from its stated
 * figures: 250 CPU cycles per byte at 240 MHz either way, and 3 000 XS computrons
 * per record, each write one record. The servers speak TLS 1.2 (what the device
 * asks for), so every application-data record on the wire is one the firmware
 * sends or reads.
 */
import test from "ava";
import * as fs from "node:fs";
import * as net from "node:net";
import * as tls from "node:tls";
import { once } from "node:events";
import { createNodeHost } from "../hosts/node/host.js";
import { SimulatedCpu } from "../sim/cpu.js";
import { VirtualClock } from "../sim/clock.js";
import { SimI2CBus } from "../sim/bus.js";
import { MemoryStorage } from "../sim/storage.js";
import { makeTlsFixtures, type TlsFixtures } from "../tools/brokers/tls-fixtures.js";
import { startAedes } from "../tools/brokers/broker.js";
import { SimNode, type NodeSpec } from "../tools/simulator/simulation.js";
import { drive, waitIdle } from "../tools/simulator/drive.js";
import type { TCPOptions, TCPSocket } from "../firmware/host.js";
import { EVENT_CEILING_MS, until } from "./helpers/wait.js";

/** Computrons per second of the model in these runs (the central ESP32 assumption). */
const RATE = 3_000_000;
const MS_PER_BYTE = (250 * 1000) / 240_000_000;
const MS_PER_RECORD = (3_000 * 1000) / RATE;
const APPLICATION_DATA = 23;

let pki: TlsFixtures;
test.before(() => {
  pki = makeTlsFixtures();
});
test.after.always(() => pki?.cleanup());

function tlsServer(onSocket: (s: tls.TLSSocket) => void): tls.Server {
  return tls.createServer({ key: fs.readFileSync(pki.server.key), cert: fs.readFileSync(pki.server.cert), maxVersion: "TLSv1.2" }, onSocket);
}

async function listen(server: net.Server): Promise<number> {
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return (server.address() as net.AddressInfo).port;
}

/** A loopback TCP relay in front of `port` that counts the TLS application-data records each way. */
async function recordCounter(port: number) {
  const counts = { toServer: 0, toClient: 0 };
  const count = (direction: "toServer" | "toClient") => {
    let pending = Buffer.alloc(0);
    return (data: Buffer) => {
      pending = Buffer.concat([pending, data]);
      // record header: content type, version (2), length (2)
      while (pending.length >= 5 && pending.length >= 5 + pending.readUInt16BE(3)) {
        if (pending[0] === APPLICATION_DATA) counts[direction]++;
        pending = pending.subarray(5 + pending.readUInt16BE(3));
      }
    };
  };
  const server = net.createServer((c) => {
    const up = net.connect(port, "127.0.0.1");
    c.on("data", count("toServer"));
    up.on("data", count("toClient"));
    c.pipe(up).pipe(c);
    c.on("error", () => up.destroy());
    up.on("error", () => c.destroy());
    c.on("close", () => up.destroy());
    up.on("close", () => c.destroy());
  });
  return { port: await listen(server), counts, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** A host on a virtual clock with the CPU model charging its main task. */
function meteredHost() {
  const clock = new VirtualClock();
  const main = clock.task("main");
  const cpu = new SimulatedCpu({ rate: RATE, advance: (ms) => main.advance(ms) });
  const host = createNodeHost({ time: main, cpu, bus: new SimI2CBus({ hz: 400_000, now: () => clock.now() }), storage: new MemoryStorage(), hardwareId: "tls-cost", tls: { ca: fs.readFileSync(pki.caFile) } });
  return { clock, main, cpu, host };
}

for (const secure of [true, false]) {
  test(`a ${secure ? "TLS" : "plain TCP"} socket: 3 records out, 4 in; the main core is charged ${secure ? "the records and their bytes" : "nothing"}`, async (t) => {
    const sent = [Buffer.alloc(120, 1), Buffer.alloc(700, 2), Buffer.alloc(37, 3), Buffer.alloc(2048, 4)];
    const written = [300, 45, 1024];
    let serverGot = 0;
    const onSocket = async (s: net.Socket) => {
      s.on("data", (d) => void (serverGot += d.length));
      // one record per write: the next only once the last has gone
      for (const b of sent) await new Promise<void>((r) => s.write(b, () => r()));
    };
    const server = secure ? tlsServer((s) => void onSocket(s)) : net.createServer((s) => void onSocket(s));
    const port = await listen(server);
    t.teardown(() => void server.close());
    const { clock, main, cpu, host } = meteredHost();
    let readable = 0;
    let connected = false;
    const socket = host.io.tcp({ host: "127.0.0.1", port, secure, onReadable: (n) => void (readable = n), onWritable: () => void (connected = true) } as TCPOptions);
    const total = sent.reduce((a, b) => a + b.length, 0);
    await until(() => connected && readable === total, "all records arrived");
    let read = 0;
    main.set(() => {
      for (const n of written) socket.write(new Uint8Array(n));
      read = socket.read().byteLength;
    }, 1);
    clock.runUntil(2);
    await until(() => serverGot === written.reduce((a, b) => a + b, 0), "the server has every byte");
    socket.close();
    t.is(read, total);
    const bytes = total + written.reduce((a, b) => a + b, 0);
    const records = written.length + sent.length;
    const expected = secure ? bytes * MS_PER_BYTE + records * MS_PER_RECORD : 0;
    t.log(`${secure ? "TLS" : "plain"}: ${records} records, ${bytes} bytes: main core charged ${main.busyMs.toFixed(4)} ms`);
    t.true(Math.abs(main.busyMs - expected) < 1e-9, `charged ${main.busyMs} ms, the model says ${expected} ms`);
    t.true(Math.abs(cpu.spentMs.tls + cpu.spentMs.tlsRecord - expected) < 1e-9);
  });
}

/** One node for 20 s virtual on the CPU model, to the broker at `port` (TLS or not); what its socket moved. */
async function runNode(port: number, secure: boolean) {
  const clock = new VirtualClock({ epochMs: Date.parse("2026-01-01T00:00:00Z") });
  const spec: NodeSpec = {
    nodeId: secure ? "node-tls" : "node-tcp", // names of one length: the same topics' bytes
    seed: 9,
    machine: { rpm: 1500, vibration: [{ axis: "x", kind: "sine", freq_hz: 25, vrms_mm_s: 3 }], temperature_c: 35 },
    config: { mqtt: secure ? { tls: { caFile: pki.caFile } } : {} },
  };
  const node = new SimNode({ clock, spec, cpu: { rate: RATE }, broker: { host: "127.0.0.1", port, secure } });
  const moved = { written: 0, writes: 0, read: 0 };
  const io = node.host.io as { tcp(o: TCPOptions): TCPSocket };
  const tcp = io.tcp.bind(io);
  io.tcp = (o) => {
    const s = tcp(o);
    const write = s.write.bind(s);
    const read = s.read.bind(s);
    s.write = (data) => {
      moved.writes++;
      moved.written += data.byteLength;
      write(data);
    };
    s.read = (n) => {
      const b = read(n);
      moved.read += b.byteLength;
      return b;
    };
    return s;
  };
  node.start();
  await drive({ clock, until: 20_000, speed: "max", busy: () => node.busy, maxWaitMs: EVENT_CEILING_MS });
  await waitIdle(() => node.busy, EVENT_CEILING_MS);
  node.stop();
  return { node, moved };
}

test("a node over TLS: its main core is charged, beyond a plain node's work, the model's formula for what its socket moved", async (t) => {
  const broker = await startAedes(0);
  const server = tlsServer((s) => broker.aedes.handle(s as never));
  const relay = await recordCounter(await listen(server));
  t.teardown(async () => {
    await relay.close();
    server.close();
    await broker.close();
  });
  const plain = await runNode(broker.port, false);
  const secure = await runNode(relay.port, true);
  t.true(secure.node.app.mqtt.stats.connects === 1 && plain.node.app.mqtt.stats.connects === 1, "both connected once");
  const a = plain.node.cpu!.spentMs;
  const b = secure.node.cpu!.spentMs;
  t.is(a.tls + a.tlsRecord, 0, "a plain connection costs no TLS");
  // Every record the node sent is one write (the last, DISCONNECT, may still be on its way); every record it got is one the broker sent after the handshake.
  await until(() => relay.counts.toServer >= secure.moved.writes, "the node's records on the wire");
  t.is(relay.counts.toServer, secure.moved.writes, "one record per write");
  const bytes = secure.moved.written + secure.moved.read;
  const records = relay.counts.toServer + relay.counts.toClient;
  const expected = bytes * MS_PER_BYTE + records * MS_PER_RECORD;
  t.log(`TLS node: ${records} records (${relay.counts.toServer} out, ${relay.counts.toClient} in), ${bytes} bytes: ${expected.toFixed(3)} ms of ${secure.node.time.busyMs.toFixed(0)} ms main-core time in 20 s`);
  t.true(Math.abs(b.tls + b.tlsRecord - expected) < 1e-6, `TLS charged ${b.tls + b.tlsRecord} ms, the model says ${expected} ms`);
  // The rest of the node's work is the same as the plain node's: the firmware does not know it talks TLS.
  for (const work of ["features", "fifo", "monitor", "payload", "publish"] as const) t.is(b[work].toFixed(6), a[work].toFixed(6), work);
});
