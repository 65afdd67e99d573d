/*
 * Sparkplug B with a primary host, against a real mosquitto: the whole STATE
 * sequence of Sparkplug 3.0 ("Edge Node Session Establishment" and
 * "Termination"). Every NBIRTH, DBIRTH, DDATA and NDEATH is decoded with
 * Eclipse Tahu's sparkplug-payload; the wills and the packets the node writes
 * are read with mqtt-packet. The node runs in virtual time; every wait is for
 * an event (a message seen, a command acknowledged), never a pause.
 */
import test from "ava";
import { createRequire } from "node:module";
import * as mqtt from "mqtt";
import * as mqttPacket from "mqtt-packet";
import { mosquittoPath, startMosquitto } from "../tools/brokers/broker.js";
import { Observer, SimNode, nodeSpecs } from "../tools/simulator/simulation.js";
import { drive, waitIdle } from "../tools/simulator/drive.js";
import { VirtualClock } from "../sim/clock.js";
import { EVENT_CEILING_MS, until } from "./helpers/wait.js";
import { tapConnections } from "./helpers/wire-tap.js";

const require = createRequire(import.meta.url);
const tahu = require("sparkplug-payload").get("spBv1.0");

const withMosquitto = mosquittoPath() !== undefined ? test : test.skip;

const GROUP = "plant-a";
const NODE = "node-1";
const STATE_TOPIC = "spBv1.0/STATE/scada";
/** Host session start times (the STATE timestamps); STALE is from a session before the first. */
const T1 = Date.parse("2026-01-01T00:00:00Z");
const T2 = T1 + 60_000;
const T3 = T1 + 120_000;
const STALE = T1 - 5_000;

const statePayload = (online: boolean, timestamp: number) => JSON.stringify({ online, timestamp });

/** A primary host session as Sparkplug 3.0 has it: a will saying offline, then online, both retained, both with the session's timestamp. */
async function hostSession(url: string, timestamp: number): Promise<mqtt.MqttClient> {
  const host = await mqtt.connectAsync(url, {
    clientId: "scada",
    clean: true,
    reconnectPeriod: 0,
    will: { topic: STATE_TOPIC, payload: Buffer.from(statePayload(false, timestamp)), qos: 1, retain: true },
  });
  await host.publishAsync(STATE_TOPIC, statePayload(true, timestamp), { qos: 1, retain: true });
  return host;
}

const bdSeqOf = (payload: any): number => Number(payload.metrics.find((m: any) => m.name === "bdSeq").value);

/**
 * Walks the node's Sparkplug messages as a host would and returns what is wrong: seq 0 on NBIRTH
 * and +1 (mod 256) on every later message; nothing but births outside a session; an NDEATH carries
 * no seq, only bdSeq, equal to that of the NBIRTH it ends; a rebirth keeps the bdSeq.
 */
function sessionProblems(messages: { kind: string; p: any }[]): string[] {
  const problems: string[] = [];
  let born: number | undefined;
  let next = 0;
  messages.forEach(({ kind, p }, i) => {
    const at = `#${i} ${kind}`;
    if (kind === "NDEATH") {
      if (p.seq !== undefined) problems.push(`${at}: NDEATH with a seq`);
      if (p.metrics.length !== 1) problems.push(`${at}: ${p.metrics.length} metrics, expected bdSeq only`);
      if (born === undefined) problems.push(`${at}: NDEATH outside a session`);
      else if (bdSeqOf(p) !== born) problems.push(`${at}: NDEATH bdSeq ${bdSeqOf(p)} ends a session born with ${born}`);
      born = undefined;
      return;
    }
    if (kind === "NBIRTH") {
      if (born !== undefined && bdSeqOf(p) !== born) problems.push(`${at}: rebirth changed bdSeq ${born} -> ${bdSeqOf(p)}`);
      born = bdSeqOf(p);
      next = 0;
    } else if (born === undefined) problems.push(`${at}: outside a session`);
    if (Number(p.seq) !== next) problems.push(`${at}: seq ${Number(p.seq)}, expected ${next}`);
    next = (next + 1) & 255;
  });
  return problems;
}

withMosquitto("primary host STATE: births wait for the host (retained STATE before the connection), stale STATEs are ignored, host offline is NDEATH + DISCONNECT and a new connection with the next bdSeq, host online again is NBIRTH + DBIRTH", async (t) => {
  const broker = await startMosquitto();
  t.teardown(() => broker.close());
  const clock = new VirtualClock({ epochMs: T1 });
  const spec = { ...nodeSpecs(undefined, 1, 8)[0], config: { payload: "sparkplug", sparkplug: { groupId: GROUP, primaryHostId: "scada" } } };
  const node = new SimNode({ clock, spec, broker: { host: broker.host, port: broker.port, secure: false } });
  t.teardown(() => node.stop());
  const wire = tapConnections(node.host.io);
  const observer = await Observer.connect(broker.url, ["spBv1.0/#", `sensors/${NODE}/cmd/+/ack`], () => clock.wall()!);
  t.teardown(() => observer.close());
  const plant = await mqtt.connectAsync(broker.url, { clientId: "plant", reconnectPeriod: 0 });
  t.teardown(() => plant.endAsync(true));

  const busy = () => node.busy;
  /** Runs `ms` more virtual time; the broker's replies (CONNACK, SUBACK, PUBACK) are waited for. */
  const run = async (ms: number) => {
    await drive({ clock, until: clock.now() + ms, speed: "max", busy, maxWaitMs: EVENT_CEILING_MS });
    await waitIdle(busy, EVENT_CEILING_MS);
  };
  const ours = (m: Observer["messages"][number]) => m.topic.startsWith(`spBv1.0/${GROUP}/`) && m.topic.split("/")[3] === NODE && !m.topic.split("/")[2].endsWith("CMD");
  const log = () => observer.messages.filter(ours).map((m) => ({ kind: m.topic.split("/")[2], p: tahu.decodePayload(m.payload) }));
  const count = (kind: string) => log().filter((m) => m.kind === kind).length;
  const kindsSince = (n: number) => log().slice(n).map((m) => m.kind);
  const acks = () => observer.messages.filter((m) => m.topic.endsWith("/ack")).length;
  /** Everything the broker sent the node before now has been handled once this command is acknowledged. */
  const barrier = async () => {
    const before = acks();
    await plant.publishAsync(`sensors/${NODE}/cmd/ack-alarm`, "{}", { qos: 1 });
    await until(() => acks() > before, "the node to acknowledge the barrier command");
  };
  const late = (online: boolean, timestamp: number) => plant.publishAsync(STATE_TOPIC, statePayload(online, timestamp), { qos: 1 });

  // 1. The host is online before the node connects: the retained STATE is what the node finds.
  let host = await hostSession(broker.url, T1);
  node.start();
  await run(3000);
  await until(() => count("DBIRTH") === 1, "NBIRTH and DBIRTH on the retained online STATE");
  t.deepEqual(kindsSince(0).slice(0, 2), ["NBIRTH", "DBIRTH"]);
  await run(4000);
  await until(() => count("DDATA") >= 2, "DDATA");

  // 2. An offline STATE older than the one seen (an earlier host session's death, delivered late): ignored.
  await late(false, STALE);
  await barrier();
  const afterStale = log().length;
  await run(3000);
  await until(() => kindsSince(afterStale).includes("DDATA"), "DDATA after the stale offline STATE");
  t.is(count("NDEATH"), 0, "still born");
  t.is(wire.length, 1, "still the first connection");

  // 3. The host dies; the broker publishes its will (offline, its own timestamp): NDEATH, DISCONNECT, a new connection.
  host.stream.destroy();
  await until(() => count("NDEATH") === 1, "NDEATH after the host went offline");
  const atDeath = log().length;
  await run(1000);
  await until(() => wire.length === 2, "the second connection");
  await barrier(); // the retained offline STATE has reached the new connection
  await run(5000); // windows go by while the host is away: recorded, not published
  await barrier();
  t.deepEqual(kindsSince(atDeath), [], "nothing after NDEATH while the host is offline");
  t.deepEqual(wire[0].written.slice(-2).map((p) => p.cmd === "publish" ? `publish ${p.topic}` : p.cmd), [`publish spBv1.0/${GROUP}/NDEATH/${NODE}`, "disconnect"], "NDEATH, then DISCONNECT");

  // 4. An online STATE older than the offline one seen (late as well): no births.
  await late(true, STALE);
  await barrier();
  t.deepEqual(kindsSince(atDeath), [], "no births on a stale online STATE");

  // 5. The host is back (a newer session): NBIRTH and DBIRTH on the connection that waited, then data.
  host = await hostSession(broker.url, T2);
  await until(() => count("DBIRTH") === 2, "births after the host came back");
  t.deepEqual(kindsSince(atDeath).slice(0, 2), ["NBIRTH", "DBIRTH"]);
  await run(3000);
  await until(() => kindsSince(atDeath).includes("DDATA"), "DDATA again");
  // A rebirth asked by the host: NBIRTH again with the same bdSeq, seq from 0.
  await plant.publishAsync(`spBv1.0/${GROUP}/NCMD/${NODE}`, Buffer.from(tahu.encodePayload({ timestamp: T2, metrics: [{ name: "Node Control/Rebirth", type: "Boolean", value: true }] })), { qos: 1 });
  await until(() => count("NBIRTH") === 3, "the rebirth");
  // A stale offline STATE while born again: ignored.
  await late(false, T1);
  await barrier();
  t.is(count("NDEATH"), 1);

  // 6. The host goes offline cleanly (its offline STATE, then DISCONNECT); then a third host session.
  await host.publishAsync(STATE_TOPIC, statePayload(false, T2), { qos: 1, retain: true });
  await host.endAsync();
  await until(() => count("NDEATH") === 2, "NDEATH after the clean host offline");
  await run(1000);
  await until(() => wire.length === 3, "the third connection");
  host = await hostSession(broker.url, T3);
  t.teardown(() => host.endAsync(true));
  await until(() => count("DBIRTH") === 4, "births for the third host session"); // 1, 2, the rebirth's, this one
  await run(2000);

  // 7. The node stops: NDEATH before its DISCONNECT.
  node.stop();
  await until(() => count("NDEATH") === 3, "NDEATH on stop");

  // Every CONNECT carries a will NDEATH (QoS 1, not retained) whose bdSeq goes up by one per connection.
  const connects = wire.map((c) => c.written[0] as mqttPacket.IConnectPacket);
  t.true(connects.every((c) => c.cmd === "connect" && c.clean && c.will?.topic === `spBv1.0/${GROUP}/NDEATH/${NODE}` && c.will.qos === 1 && !c.will.retain));
  const wills = connects.map((c) => bdSeqOf(tahu.decodePayload(c.will!.payload)));
  t.deepEqual(wills, [wills[0], (wills[0] + 1) & 255, (wills[0] + 2) & 255]);
  // Each connection ended by the node: its NDEATH, then DISCONNECT (so the will is not published as well).
  for (const c of wire) t.deepEqual(c.written.slice(-2).map((p) => p.cmd), ["publish", "disconnect"]);
  // What hosts saw: one session per connection, each ended by exactly one NDEATH with its NBIRTH's bdSeq.
  const all = log();
  t.deepEqual(sessionProblems(all), []);
  t.deepEqual(all.filter((m) => m.kind === "NDEATH").map((m) => bdSeqOf(m.p)), wills, "exactly one NDEATH per connection, in order");
  t.deepEqual([...new Set(all.filter((m) => m.kind === "NBIRTH").map((m) => bdSeqOf(m.p)))], wills, "each connection's NBIRTH carries its will's bdSeq");
  t.log(`${all.length} Sparkplug messages over ${wire.length} connections; bdSeq ${wills.join(", ")}`);
});
