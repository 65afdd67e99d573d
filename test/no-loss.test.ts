/*
 * No loss, end to end, against a real mosquitto with persistence: the firmware
 * in virtual time, its outbox in files, an independent subscriber on a
 * persistent session. Whatever happens to the broker, the network or the
 * node's power, every (boot, seq) the node stored arrives at least once, in
 * order per boot, with no duplicate unless something was retransmitted, and
 * the node's memory stays bounded.
 */
import test from "ava";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as mqtt from "mqtt";
import { mosquittoPath, startMosquitto } from "../tools/brokers/broker.js";
import { SimNode, nodeSpecs } from "../tools/simulator/simulation.js";
import { drive, waitIdle } from "../tools/simulator/drive.js";
import { VirtualClock } from "../sim/clock.js";
import { FileStorage } from "../hosts/node/storage.js";
import { Scanner, RecordType } from "../firmware/outbox/record.js";
import { EVENT_CEILING_MS, until } from "./helpers/wait.js";

const EPOCH = Date.parse("2026-01-01T00:00:00Z");
const skip = mosquittoPath() === undefined;
const maybe = skip ? test.serial.skip : test.serial;

interface Seen {
  boot: number;
  seq: number;
  dup: boolean;
  topic: string;
}

/** A subscriber on a persistent session (clean: false) that records (boot, seq) of telemetry and alarms. */
async function subscriber(url: string) {
  const seen: Seen[] = [];
  const client = mqtt.connect(url, { clientId: `no-loss-${process.pid}-${Math.floor(Math.random() * 1e9)}`, clean: false, reconnectPeriod: 100, connectTimeout: 3000 });
  client.on("error", () => {});
  client.on("message", (topic, payload, packet) => {
    if (!/\/(telemetry|alarm)$/.test(topic)) return;
    const body = JSON.parse(String(payload));
    seen.push({ boot: body.boot, seq: body.seq, dup: packet.dup, topic });
  });
  const subscribed = async () => {
    await until(() => client.connected, "subscriber connected", 10_000);
    await client.subscribeAsync(["sensors/+/telemetry", "sensors/+/alarm"], { qos: 1 });
  };
  await subscribed();
  return { seen, client, subscribed, close: () => client.endAsync(true) };
}

function tmpdir(t: any, prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function setup(t: any) {
  const broker = await startMosquitto({ persistence: true });
  let current = broker;
  t.teardown(() => current.kill("SIGKILL"));
  const sub = await subscriber(broker.url);
  t.teardown(() => sub.close());
  const storageDir = tmpdir(t, "no-loss-node-");
  const spec = { ...nodeSpecs(undefined, 1, 42)[0], config: { mqtt: { cleanSession: false } } };
  const boot = (clock: VirtualClock) => {
    const node = new SimNode({ clock, spec, broker: { host: broker.host, port: broker.port, secure: false }, storage: new FileStorage(storageDir) });
    return node;
  };
  const bounds = { ram: 0, clientPending: 0, outboxQueued: 0 };
  const run = async (clock: VirtualClock, node: SimNode, to: number) => {
    const busy = () => node.busy;
    const sample = () => {
      const o = node.app.outbox.stats;
      bounds.ram = Math.max(bounds.ram, o.ramRecords);
      bounds.outboxQueued = Math.max(bounds.outboxQueued, o.queued);
      bounds.clientPending = Math.max(bounds.clientPending, node.app.mqtt.pending);
    };
    await drive({ clock, until: to, speed: "max", busy, maxWaitMs: EVENT_CEILING_MS, onProgress: sample });
    await waitIdle(busy, EVENT_CEILING_MS);
    sample();
  };
  const stopBroker = async (signal: NodeJS.Signals) => {
    await current.kill(signal);
  };
  const startBroker = async () => {
    current = await startMosquitto({ persistence: true, dir: broker.dir, port: broker.port });
    await sub.subscribed();
  };
  return { broker, sub, storageDir, boot, run, bounds, stopBroker, startBroker };
}

/** Every seq of every boot in `produced` arrived, first arrivals in order per boot; returns the duplicates. */
function checkDelivery(t: any, seen: Seen[], produced: Map<number, number[]>): number {
  let duplicates = 0;
  for (const [boot, seqs] of produced) {
    const got = seen.filter((s) => s.boot === boot);
    const first = new Map<number, number>();
    got.forEach((s, i) => {
      if (first.has(s.seq)) duplicates++;
      else first.set(s.seq, i);
    });
    const missing = seqs.filter((s) => !first.has(s));
    t.deepEqual(missing, [], `boot ${boot}: every stored message arrived`);
    const order = [...first.keys()];
    t.deepEqual(order, [...order].sort((a, b) => a - b), `boot ${boot}: in order`);
    t.deepEqual(order.filter((s) => !seqs.includes(s)), [], `boot ${boot}: nothing unexpected`);
  }
  return duplicates;
}

function range(a: number, b: number): number[] {
  const out: number[] = [];
  for (let i = a; i <= b; i++) out.push(i);
  return out;
}

async function settle(seen: Seen[], count: () => number) {
  await until(() => seen.length >= count(), `${count()} messages at the subscriber`).catch(() => {});
  await new Promise((r) => setTimeout(r, 200));
}

maybe("(a) the broker is killed with SIGKILL and restarted: nothing is lost, nothing duplicated", async (t) => {
  const s = await setup(t);
  const clock = new VirtualClock({ epochMs: EPOCH });
  const node = s.boot(clock);
  t.teardown(() => node.stop());
  node.start();
  await s.run(clock, node, 20_000);
  await s.stopBroker("SIGKILL");
  await s.run(clock, node, 80_000); // a minute without a broker: messages wait in the outbox
  t.true(node.app.outbox.stats.queued >= 40, `queued ${node.app.outbox.stats.queued}`);
  t.false(node.app.mqtt.connected);
  await s.startBroker();
  await s.run(clock, node, 200_000);
  t.is(node.app.outbox.stats.queued, 0, "outbox drained");
  const produced = new Map([[node.app.boot, range(1, node.app.seq)]]);
  await settle(s.sub.seen, () => node.app.seq);
  const dups = checkDelivery(t, s.sub.seen, produced);
  t.is(dups, 0);
  t.true(node.app.mqtt.stats.reconnects >= 1);
  t.true(s.bounds.ram <= 64, `RAM ring held at most ${s.bounds.ram}`);
  t.true(s.bounds.clientPending <= 32 + 64, `client held at most ${s.bounds.clientPending}`);
  t.log(`(a) ${node.app.seq} messages, peak outbox ${s.bounds.outboxQueued}, peak RAM ring ${s.bounds.ram}, peak client ${s.bounds.clientPending}`);
});

/**
 * Three minutes: about 140 windows of 4096 samples at 3200 Hz, more than the RAM ring holds (64) and
 * within the device's spool (the outbox's default bound, sized for the ESP32's flash, holds about
 * 170 telemetry messages: docs/outbox.md, "Flash").
 */
const PARTITION_MS = 180_000;
const WINDOW_MS = (4096 / 3200) * 1000;

maybe("(b) three minutes of partition in virtual time: everything queued is delivered after, in order", async (t) => {
  const s = await setup(t);
  const clock = new VirtualClock({ epochMs: EPOCH });
  const node = s.boot(clock);
  t.teardown(() => node.stop());
  node.start();
  await s.run(clock, node, 15_000);
  await s.stopBroker("SIGTERM"); // the node cannot reach the broker: connection refused
  await s.run(clock, node, 15_000 + PARTITION_MS);
  const queued = node.app.outbox.stats.queued;
  t.true(queued >= Math.floor(PARTITION_MS / WINDOW_MS) - 2, `queued after ${PARTITION_MS / 1000} s: ${queued}`);
  await s.startBroker();
  await s.run(clock, node, 15_000 + PARTITION_MS + 180_000);
  t.is(node.app.outbox.stats.queued, 0, "outbox drained");
  const produced = new Map([[node.app.boot, range(1, node.app.seq)]]);
  await settle(s.sub.seen, () => node.app.seq);
  t.is(checkDelivery(t, s.sub.seen, produced), 0);
  t.true(s.bounds.ram <= 64, `RAM ring held at most ${s.bounds.ram}`);
  t.true(s.bounds.clientPending <= 32 + 64, `client held at most ${s.bounds.clientPending}`);
  t.deepEqual(node.app.outbox.stats.dropped, { telemetry: 0, alarm: 0 });
  t.log(`(b) ${node.app.seq} messages, ${queued} queued during the partition, peak RAM ring ${s.bounds.ram}, peak client ${s.bounds.clientPending}`);
});

maybe("(c) power loss during an outbox write: the torn record is dropped, everything before it is delivered after the reboot", async (t) => {
  const s = await setup(t);
  const clockA = new VirtualClock({ epochMs: EPOCH });
  const a = s.boot(clockA);
  a.start();
  await s.run(clockA, a, 15_000);
  await s.stopBroker("SIGTERM");
  await s.run(clockA, a, 60_000);
  // Power cut: the firmware stops dead (its clock is never driven again), the last write is torn.
  a.host.killConnections();
  const bootA = a.app.boot;
  const lastA = a.app.seq;
  const logFile = ["outbox.log", "outbox-b.log"].map((f) => path.join(s.storageDir, f)).find((f) => fs.existsSync(f) && fs.statSync(f).size > 0)!;
  const bytes = new Uint8Array(fs.readFileSync(logFile));
  let lastMessage = { offset: -1, size: 0 };
  const scanner = new Scanner((r) => {
    if (r.type === RecordType.Message) lastMessage = { offset: r.offset, size: r.size };
  });
  scanner.push(bytes);
  t.like(scanner.finish(), { corrupt: 0, tornBytes: 0 });
  const cut = lastMessage.offset + Math.floor(lastMessage.size / 2);
  fs.truncateSync(logFile, cut);

  const clockB = new VirtualClock({ epochMs: EPOCH + 60_000 });
  const b = s.boot(clockB);
  t.teardown(() => b.stop());
  t.is(b.app.boot, bootA + 1);
  const recovered = b.app.outbox.stats;
  t.is(recovered.torn, 1, "the torn record was detected");
  t.true(recovered.recovered >= 30, `recovered ${recovered.recovered}`);
  await s.startBroker();
  b.start();
  await s.run(clockB, b, 120_000);
  t.is(b.app.outbox.stats.queued, 0, "outbox drained");
  // Boot A's last message was the torn one: it never was stored. All before it arrive.
  const produced = new Map([
    [bootA, range(1, lastA - 1)],
    [b.app.boot, range(1, b.app.seq)],
  ]);
  await settle(s.sub.seen, () => lastA - 1 + b.app.seq);
  t.is(checkDelivery(t, s.sub.seen, produced), 0);
  t.false(s.sub.seen.some((m) => m.boot === bootA && m.seq === lastA), "the torn message is not invented");
  // Boot A's backlog went out before boot B's own messages caught up with it, in per-boot order.
  t.log(`(c) boot ${bootA}: ${lastA - 1} delivered (${recovered.recovered} recovered from the log after the cut), boot ${b.app.boot}: ${b.app.seq}`);
});
