/*
 * Network faults between a simulated node and mosquitto, injected by
 * tools/brokers/fault-proxy.ts (lost PUBACKs, a connection cut mid-packet, refused
 * connections, a stalled link), and brokers that send garbage. The node runs
 * in virtual time; an mqtt.js subscriber on mosquitto itself checks that every
 * (boot, seq) arrives, in order, and that duplicates only follow a resend.
 */
import test from "ava";
import * as net from "node:net";
import * as mqtt from "mqtt";
import { startMosquitto } from "../tools/brokers/broker.js";
import { startFaultProxy, type FaultProxy } from "../tools/brokers/fault-proxy.js";
import { Observer, SimNode, type NodeSpec } from "../tools/simulator/simulation.js";
import { drive, waitIdle } from "../tools/simulator/drive.js";
import { VirtualClock } from "../sim/clock.js";
import { Rng } from "../sim/rng.js";
import { EVENT_CEILING_MS, until, json } from "./helpers/wait.js";

const MACHINE: NodeSpec["machine"] = { rpm: 1500, vibration: [{ axis: "x", kind: "sine", freq_hz: 25, vrms_mm_s: 3 }], temperature_c: 35 };

let mosquitto: Awaited<ReturnType<typeof startMosquitto>>;
let observer: Observer;

test.before(async () => {
  mosquitto = await startMosquitto();
  observer = await Observer.connect(mosquitto.url, "sensors/#", () => Date.now());
});
test.after.always(async () => {
  await observer?.close();
  await mosquitto?.close();
});

/**
 * A node aimed at `port`. `fault.active` tells virtual time not to wait for
 * replies the test knows will not come (a swallowed PUBACK, a stalled link):
 * the drive loop would otherwise wait out its real-time ceiling at every step.
 * Every other reply is waited for as an event (EVENT_CEILING_MS only catches a
 * hang), so a busy machine does not change the virtual timeline.
 */
function startNode(t: any, nodeId: string, port: number) {
  const clock = new VirtualClock({ epochMs: Date.parse("2026-01-01T00:00:00Z") });
  const logs: { at: number; line: string }[] = [];
  const spec: NodeSpec = { nodeId, seed: 11, machine: MACHINE, config: {} };
  const node = new SimNode({ clock, spec, broker: { host: "127.0.0.1", port, secure: false }, log: (level, message) => logs.push({ at: clock.now(), line: `${level} ${message}` }) });
  t.teardown(() => node.stop());
  const fault = { active: false };
  const busy = () => node.busy && !fault.active;
  node.start();
  const runTo = async (ms: number, step?: () => boolean | void) => {
    // Small slices so a test can react to the node (e.g. end a fault once it is detected).
    while (clock.now() < ms) {
      await drive({ clock, until: Math.min(ms, clock.now() + 500), speed: "max", busy, maxWaitMs: EVENT_CEILING_MS });
      if (step?.() === true) break;
    }
    await waitIdle(busy, EVENT_CEILING_MS);
  };
  /** Telemetry and alarm (boot, seq) as the subscriber saw them, in arrival order. */
  const seen = () =>
    observer.messages
      .filter((m) => m.topic === `sensors/${nodeId}/telemetry` || m.topic === `sensors/${nodeId}/alarm`)
      .map((m) => ({ boot: json(m.payload).boot as number, seq: json(m.payload).seq as number }));
  /** Waits until the subscriber has everything the node produced so far. */
  const delivered = async () => {
    await waitIdle(() => node.busy, EVENT_CEILING_MS);
    await until(() => seen().some((s) => s.boot === node.app.boot && s.seq === node.app.seq), `seq ${node.app.seq} delivered`);
  };
  return { node, clock, logs, runTo, seen, fault, delivered };
}

/** Every seq of the boot from 1 to the last arrived; first arrivals strictly increasing; returns the duplicates. */
function checkComplete(t: any, seen: { boot: number; seq: number }[], boot: number, last: number): number[] {
  const first = new Set<number>();
  const order: number[] = [];
  const dups: number[] = [];
  for (const s of seen) {
    t.is(s.boot, boot);
    if (first.has(s.seq)) dups.push(s.seq);
    else {
      first.add(s.seq);
      order.push(s.seq);
    }
  }
  const missing: number[] = [];
  for (let s = 1; s <= last; s++) if (!first.has(s)) missing.push(s);
  t.deepEqual(missing, [], "nothing lost");
  for (let i = 1; i < order.length; i++) if (order[i] <= order[i - 1]) t.fail(`seq ${order[i]} arrived after ${order[i - 1]}`);
  return dups;
}

const retryDelays = (logs: { line: string }[]) => logs.map((l) => /retry in (\d+) ms/.exec(l.line)).filter((m) => m !== null).map((m) => Number(m![1]));

async function proxyFor(t: any): Promise<FaultProxy> {
  const proxy = await startFaultProxy({ target: { host: mosquitto.host, port: mosquitto.port }, protocolVersion: 4 });
  t.teardown(() => proxy.close());
  return proxy;
}

test.serial("lost PUBACKs: the messages are resent after the reconnect, every (boot, seq) arrives in order, duplicates only from the resend", async (t) => {
  const proxy = await proxyFor(t);
  const { node, runTo, seen, fault, delivered } = startNode(t, "drop-1", proxy.port);
  await runTo(5000);
  t.true(seen().length >= 2);
  proxy.dropNext("puback", 3, "toClient");
  fault.active = true;
  await runTo(12_000, () => proxy.stats.dropped.puback === 3 || undefined);
  await runTo(clock(node) + 3000);
  t.is(proxy.stats.dropped.puback, 3);
  const unacked = node.app.mqtt.pending;
  t.true(unacked >= 3, `${unacked} messages wait for their PUBACK`);
  const beforeCut = seen().length;
  // The link fails (any reason): the client resends what was never acknowledged.
  t.is(proxy.dropConnections(), 1);
  fault.active = false;
  await runTo(clock(node) + 10_000);
  await delivered();
  const stats = node.app.mqtt.stats;
  t.is(stats.reconnects, 1);
  t.true(stats.resent >= 3, `${stats.resent} resent`);
  const all = seen();
  const dups = checkComplete(t, all, node.app.boot, node.app.seq);
  t.true(dups.length >= 3 && dups.length <= stats.resent, `duplicates ${dups} (resent ${stats.resent})`);
  // Every duplicate is a second copy that arrived after the cut, i.e. from the resend.
  for (const d of dups) t.true(all.findIndex((s, i) => s.seq === d && i >= beforeCut) >= beforeCut, `dup ${d} after the reconnect`);
  t.log(`3 PUBACKs dropped -> ${unacked} unacked held; after the reconnect ${stats.resent} resent, ${dups.length} duplicates (seq ${dups.join(", ")}), none lost`);
});

test.serial("a connection cut mid-packet (either direction): reconnect after a backoff, nothing lost", async (t) => {
  const proxy = await proxyFor(t);
  const { node, runTo, seen, logs, delivered } = startNode(t, "cut-1", proxy.port);
  await runTo(4000);
  proxy.cutMidPacket("toBroker");
  await runTo(12_000);
  t.is(proxy.stats.cuts, 1);
  t.is(node.app.mqtt.stats.reconnects, 1);
  proxy.cutMidPacket("toClient");
  await runTo(24_000);
  t.is(proxy.stats.cuts, 2);
  t.is(node.app.mqtt.stats.reconnects, 2);
  await delivered();
  checkComplete(t, seen(), node.app.boot, node.app.seq);
  const lost = logs.filter((l) => /connection lost/.test(l.line));
  t.is(lost.length, 2, lost.map((l) => l.line).join("\n"));
  const delays = retryDelays(logs);
  t.true(delays.every((d) => d >= 1000), `delays ${delays}`);
  t.is(node.app.mqtt.stats.protocolErrors, 0, "a torn packet is not parsed as garbage: the parser is reset per connection");
  t.log(`cuts: ${lost.map((l) => l.line).join(" | ")}`);
});

test.serial("refused connections: backoff, no tight loop; once accepted, everything queued is delivered", async (t) => {
  const proxy = await proxyFor(t);
  proxy.refuseConnections(true);
  const { node, runTo, seen, logs, delivered } = startNode(t, "refuse-1", proxy.port);
  await runTo(120_000);
  const attempts = node.app.mqtt.stats.attempts;
  t.is(proxy.stats.refused, attempts, "every attempt reached the proxy");
  t.true(attempts >= 4 && attempts <= 20, `${attempts} attempts in 120 s`);
  const delays = retryDelays(logs);
  t.true(delays.every((d) => d >= 1000), `delays ${delays}`);
  t.true(Math.max(...delays) >= 16_000, `the backoff grows: ${delays}`);
  t.is(seen().length, 0);
  proxy.refuseConnections(false);
  await runTo(200_000);
  t.is(node.app.mqtt.stats.connects, 1);
  await delivered();
  checkComplete(t, seen(), node.app.boot, node.app.seq);
  t.log(`refused: ${attempts} attempts in 120 s virtual, delays ${delays.join(", ")} ms; then ${seen().length} messages delivered`);
});

test.serial("a stalled link (nothing forwarded, nothing closed): keepalive's PINGRESP timeout detects it and the node reconnects", async (t) => {
  const proxy = await proxyFor(t);
  const { node, runTo, seen, logs, fault, delivered, clock: c } = startNode(t, "stall-1", proxy.port);
  await runTo(5000);
  const stalledAt = c.now();
  proxy.stall(true);
  fault.active = true;
  await runTo(300_000, () => node.app.mqtt.stats.pingTimeouts > 0);
  const detectedAt = c.now();
  t.is(node.app.mqtt.stats.pingTimeouts, 1);
  t.true(logs.some((l) => /connection lost: no PINGRESP in time/.test(l.line)));
  proxy.stall(false);
  fault.active = false;
  await runTo(detectedAt + 20_000);
  t.is(node.app.mqtt.stats.reconnects, 1);
  await delivered();
  checkComplete(t, seen(), node.app.boot, node.app.seq);
  t.log(`stall detected after ${Math.round((detectedAt - stalledAt) / 1000)} s virtual (keepalive 30 s; PINGREQ only once the node stopped sending); ${proxy.stats.stalledPackets} packets held`);
});

test.serial("the proxy's delay holds packets of one type back, in order (each waits behind the one before), and 0 clears it", async (t) => {
  const proxy = await proxyFor(t);
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${proxy.port}`, { clientId: "delay-probe", reconnectPeriod: 0 });
  t.teardown(() => client.endAsync(true));
  proxy.delay("puback", 300, "toClient");
  const start = performance.now();
  await Promise.all([1, 2, 3].map((i) => client.publishAsync("probe/delay", String(i), { qos: 1 })));
  const took = performance.now() - start;
  t.true(took >= 850, `three PUBACKs held 300 ms each, one after the other: ${Math.round(took)} ms`);
  t.is(proxy.stats.delayed, 3);
  proxy.delay("puback", 0);
  await client.publishAsync("probe/delay", "4", { qos: 1 });
  t.is(proxy.stats.delayed, 3, "cleared: the fourth PUBACK went straight through");
  t.is(proxy.stats.forwarded.toClient.puback, 4);
});

// --- brokers that misbehave ------------------------------------------------

type Misbehaviour = (socket: net.Socket, data: Buffer, state: { publishes: number }) => void;

/**
 * A fake broker: the first connection gets `bad`, every later one is piped to
 * mosquitto (a good broker behind the same address).
 */
async function misbehavingBroker(t: any, bad: Misbehaviour) {
  let connections = 0;
  const server = net.createServer((socket) => {
    socket.on("error", () => {});
    if (++connections === 1) {
      const state = { publishes: 0 };
      socket.on("data", (d) => bad(socket, d, state));
      return;
    }
    const up = net.connect(mosquitto.port, "127.0.0.1");
    up.on("error", () => socket.destroy());
    socket.on("close", () => up.destroy());
    up.on("close", () => socket.destroy());
    socket.pipe(up).pipe(socket);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  return { port: (server.address() as net.AddressInfo).port, connections: () => connections };
}

const CONNACK_OK = Buffer.from([0x20, 0x02, 0x00, 0x00]);

async function garbageCase(t: any, nodeId: string, bad: Misbehaviour, expectLog: RegExp, runMs = 60_000) {
  const broker = await misbehavingBroker(t, bad);
  const { node, runTo, seen, logs, delivered, fault } = startNode(t, nodeId, broker.port);
  // Replies the bad broker owes will never come: virtual time does not wait for them.
  Object.defineProperty(fault, "active", { get: () => broker.connections() < 2 });
  await runTo(runMs);
  const line = logs.find((l) => expectLog.test(l.line));
  t.truthy(line, `expected ${expectLog} in:\n${logs.map((l) => l.line).slice(0, 8).join("\n")}`);
  t.true(broker.connections() >= 2, "reconnected");
  const stats = node.app.mqtt.stats;
  t.true(stats.connects >= 1, "connected to the good broker");
  const delays = retryDelays(logs);
  t.true(delays.length >= 1 && delays[0] >= 1000, `backoff ${delays}`);
  t.true(stats.attempts <= 4, `${stats.attempts} attempts`);
  await delivered();
  checkComplete(t, seen(), node.app.boot, node.app.seq);
  t.log(`${line!.line}; attempts ${stats.attempts}, first delay ${delays[0]} ms, ${seen().length} messages delivered`);
  return { node, logs, stats };
}

test.serial("garbage instead of a CONNACK: clear error, dropped, backoff, nothing lost", async (t) => {
  const rng = new Rng(1234);
  await garbageCase(
    t,
    "garbage-1",
    (socket) => {
      const junk = Buffer.alloc(64);
      for (let i = 0; i < junk.length; i++) junk[i] = Math.floor(rng.next() * 256);
      junk[0] = 0xf7; // an AUTH type byte with reserved flags: invalid for MQTT 3.1.1 whatever follows
      socket.write(junk);
    },
    /connect failed: (malformed packet from broker|protocol violation)/,
  );
});

test.serial("a CONNACK with an unknown return code: reported as a refusal by number, long backoff, nothing lost", async (t) => {
  const { logs } = await garbageCase(t, "connack-7", (socket) => socket.write(Buffer.from([0x20, 0x02, 0x00, 0x07])), /broker refused the connection: 7 \(reserved return code 7\)/);
  t.true(retryDelays(logs)[0] >= 4000, "a refusal backs off long");
});

test.serial("an oversized packet from the broker: skipped as it streams, acknowledged, the connection goes on; a broker that then falls silent is found by keepalive; nothing lost", async (t) => {
  const { stats, logs } = await garbageCase(
    t,
    "oversize-1",
    (socket, data, state) => {
      if (state.publishes++ > 0) return;
      socket.write(CONNACK_OK);
      // A whole 300 KiB QoS 1 PUBLISH to "x" with packet id 7 (the node takes 8 KiB), then silence: no PUBACK, no PINGRESP.
      const body = 2 + 1 + 2 + 300 * 1024;
      socket.write(Buffer.from([0x32, (body & 0x7f) | 0x80, ((body >> 7) & 0x7f) | 0x80, body >> 14, 0x00, 0x01, 0x78, 0x00, 0x07]));
      socket.write(Buffer.alloc(300 * 1024, 0x5a));
    },
    /skipped a PUBLISH to "x" \(packet id 7, QoS 1: acknowledged\) of 307209 bytes from the broker: larger than the maximum packet size 8192/,
    // A stalled link is found by keepalive once the in-flight window is full (docs/security.md): about 85 s.
    120_000,
  );
  t.is(stats.skipped, 1);
  t.is(stats.protocolErrors, 0, "not a protocol error");
  t.true(logs.some((l) => /connection lost: no PINGRESP in time/.test(l.line)), "the silent broker is left by keepalive");
});

test.serial("a PUBACK with a wrong packet id: a protocol error that drops the connection; the messages are resent after the reconnect, nothing lost", async (t) => {
  const { stats, logs } = await garbageCase(
    t,
    "wrong-id-1",
    (socket, data, state) => {
      if (data[0] === 0x10) socket.write(CONNACK_OK);
      // Answer each QoS 1 PUBLISH with a PUBACK for an id that was never used; hang up after five.
      for (let i = 0; i < data.length; ) {
        const type = data[i] >> 4;
        let len = 0;
        let mul = 1;
        let j = i + 1;
        for (;;) {
          const b = data[j++];
          len += (b & 0x7f) * mul;
          mul *= 128;
          if ((b & 0x80) === 0) break;
        }
        if (type === 3 && (data[i] & 0x06) === 0x02) {
          const topicLen = data.readUInt16BE(j);
          const id = data.readUInt16BE(j + 2 + topicLen);
          socket.write(Buffer.from([0x40, 0x02, ((id + 1000) >> 8) & 0xff, (id + 1000) & 0xff]));
          if (++state.publishes === 5) socket.end();
        }
        i = j + len;
      }
    },
    /protocol violation: PUBACK for unknown packet id \d+/,
  );
  // The first wrong PUBACK ends the connection; what was in flight is resent on the next one.
  t.true(stats.resent >= 1, `${stats.resent} resent`);
  t.true(stats.protocolErrors >= 1);
  t.true(logs.some((l) => /connection lost: protocol violation/.test(l.line)));
});

function clock(node: SimNode): number {
  return node.host.clock.now();
}
