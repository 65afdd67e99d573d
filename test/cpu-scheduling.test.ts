/*
 * The node's MQTT life while features compute (issue 14, build item 4; docs/host.md,
 * "CPU time"). Under the CPU model at the central ESP32 rate a window's features
 * take a few hundred ms of the main task, more with bearing diagnostics, and the
 * node's timers wait meanwhile. Against a real mosquitto, in virtual time:
 *   - keepalive at the shortest the config allows (1 s, shorter than a window):
 *     one CONNECT in minutes, pings answered, the broker's own log shows no
 *     timeout, and on the virtual clock the wire never goes quiet for longer than
 *     the keepalive (the client's rule, MQTT 3.1.1 section 3.1.2.10; the broker
 *     allows 1.5 x): a ping that would fall due inside a window's compute goes
 *     just before it;
 *   - commands sent at window ends are all answered, each within the window's
 *     compute time plus a margin (the bound a device meets; the simulator runs a
 *     socket's data when it arrives, not after the main task's work, so there
 *     the ack takes no virtual time: docs/host.md, decision 69);
 *   - after an outage of tens of seconds the outbox drains while windows go on:
 *     every telemetry seq once, in order, no sample lost.
 * Compute intervals come from the CPU model's charges (features, envelope) as
 * they are made; packets from mqtt-packet on the node's socket, stamped with the
 * node's time.
 */
import test, { type ExecutionContext } from "ava";
import * as mqtt from "mqtt";
import mqttPacket from "mqtt-packet";
import { startMosquitto } from "../tools/brokers/broker.js";
import { startFaultProxy } from "../tools/brokers/fault-proxy.js";
import { Observer, SimNode, type NodeSpec } from "../tools/simulator/simulation.js";
import { drive, waitIdle } from "../tools/simulator/drive.js";
import { VirtualClock } from "../sim/clock.js";
import { ESP32_COMPUTRONS_PER_S } from "../sim/cpu.js";
import { tapConnections } from "./helpers/wire-tap.js";
import { EVENT_CEILING_MS, json, until } from "./helpers/wait.js";

const N = 4096;
const ODR = 3200;
/** The shortest keepalive the config takes that keeps one (mqtt.keepalive: whole seconds, 0 turns it off). */
const KEEPALIVE_S = 1;
const KEEPALIVE_MS = KEEPALIVE_S * 1000;
/** A window lasts N / ODR = 1.28 s: longer than the keepalive, so the node must ping between windows. */
const WINDOW_MS = (N / ODR) * 1000;
const MACHINE: NodeSpec["machine"] = {
  rpm: 1780,
  vibration: [
    { axis: "all", kind: "imbalance", vrms_mm_s: 1.5 },
    { axis: "all", kind: "noise", g_rms: 0.01 },
    { axis: "all", kind: "bearing", defect: "bpfo", severity_g: 0.2 },
  ],
  temperature_c: 40,
};

const modes = [
  { name: "features", config: {} },
  // The ring must hold 1.25 x a window's features and envelopes (firmware/acquisition/budget.ts): more than the default 500 ms.
  { name: "features + bearing diagnostics (6205)", config: { machine: { bearing: "6205" }, acquisition: { ringMs: 800 } } },
] as const;

interface Compute {
  start: number;
  end: number;
}

/** A node under the CPU model at the central rate, aimed at `port`; its compute intervals and wire, on the virtual clock. */
function startNode(t: ExecutionContext, nodeId: string, port: number, config: Record<string, unknown>) {
  const clock = new VirtualClock({ epochMs: Date.parse("2026-01-01T00:00:00Z") });
  const logs: { at: number; line: string }[] = [];
  const spec: NodeSpec = { nodeId, seed: 7, machine: MACHINE, config: { window: { n: N }, accelerometer: { odr: ODR }, mqtt: { keepalive: KEEPALIVE_S }, ...config } };
  // Packets as they reach the node's socket (before the firmware reads them: it may be computing), with the clock's time.
  const arrivals: { p: mqttPacket.Packet; at: number }[] = [];
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  parser.on("packet", (p) => arrivals.push({ p, at: clock.now() }));
  const onArrive = (data: Uint8Array) => void parser.parse(Buffer.from(data));
  const node = new SimNode({ clock, cpu: { rate: ESP32_COMPUTRONS_PER_S }, spec, broker: { host: "127.0.0.1", port, secure: false }, onArrive, log: (level, line) => logs.push({ at: clock.now(), line: `${level} ${line}` }) });
  t.teardown(() => node.stop());
  // A window's features (and envelopes) are charged axis by axis in one callback: one interval per window.
  const computes: Compute[] = [];
  const cpu = node.cpu!;
  const charge = cpu.charge.bind(cpu);
  cpu.charge = (work, units) => {
    const at = node.time.now();
    charge(work, units);
    if (work !== "features" && work !== "envelope") return;
    const last = computes.at(-1);
    if (last && Math.abs(last.end - at) < 1e-6) last.end = node.time.now();
    else computes.push({ start: at, end: node.time.now() });
  };
  const wire = tapConnections(node.host.io, () => node.time.now());
  /** Replies the test withholds (a partition) are left out of `busy`. */
  const fault = { active: false };
  const busy = () => node.busy && !fault.active;
  const runTo = async (ms: number) => {
    await drive({ clock, until: ms, speed: "max", busy, maxWaitMs: EVENT_CEILING_MS });
    await waitIdle(busy, EVENT_CEILING_MS);
  };
  node.start();
  return { node, clock, logs, computes, wire, arrivals, fault, busy, runTo };
}

/** Written packets of every connection, with their times, in order. */
function written(wire: ReturnType<typeof tapConnections>) {
  return wire.flatMap((c) => c.written.map((p, i) => ({ p, at: c.writtenAt[i] })));
}

async function mosquittoWithLog(t: ExecutionContext) {
  // Notices: the broker logs each connection (with the keepalive it took) and each keepalive timeout.
  const broker = await startMosquitto({ extraConfig: ["log_type notice"] });
  t.teardown(() => broker.close());
  let log = "";
  broker.process.stderr?.on("data", (d) => (log += String(d)));
  return { broker, log: () => log };
}

for (const mode of modes) {
  test.serial(`keepalive ${KEEPALIVE_S} s under the ESP32 model (${mode.name}): one CONNECT in 4 minutes, every PINGREQ answered, the wire never quiet for a keepalive, mosquitto drops nothing`, async (t) => {
    const { broker, log } = await mosquittoWithLog(t);
    const nodeId = `ka-${modes.indexOf(mode)}`;
    const { node, clock, logs, computes, wire, runTo } = startNode(t, nodeId, broker.port, mode.config);
    const RUN_MS = 240_000;
    await runTo(RUN_MS);

    const packets = written(wire);
    t.is(packets.filter((x) => x.p.cmd === "connect").length, 1, "one CONNECT");
    t.is(wire.length, 1, "one TCP connection");
    t.is((packets[0].p as { keepalive?: number }).keepalive, KEEPALIVE_S, "the CONNECT asks for the configured keepalive");
    const stats = node.app.mqtt.stats;
    t.is(stats.reconnects, 0);
    t.is(stats.pingTimeouts, 0);
    t.deepEqual(logs.filter((l) => /PINGRESP|keepalive|connection lost|connect failed/i.test(l.line)).map((l) => l.line), []);
    // The broker's side: it took the keepalive (k1) and never timed the client out.
    await until(() => log().includes(` as ${nodeId} `), "mosquitto's connection notice");
    t.is(log().split(` as ${nodeId} `).length - 1, 1, `one connection in mosquitto's log:\n${log()}`);
    t.regex(log(), new RegExp(` as ${nodeId} \\([^)]*k${KEEPALIVE_S}[,)]`));
    t.notRegex(log(), /exceeded timeout/);

    // The windows really took the main task: each a compute interval of the model, back to back in the run.
    const windows = computes.filter((c) => c.start > 0);
    const computeMs = windows.map((c) => c.end - c.start);
    t.true(windows.length >= Math.floor(RUN_MS / WINDOW_MS) - 3, `${windows.length} windows in ${RUN_MS} ms`);
    t.true(Math.min(...computeMs) > 0.1 * KEEPALIVE_MS, `compute ${Math.min(...computeMs).toFixed(1)} ms per window`);

    // Every PINGREQ was answered by a PINGRESP before the next one; pings went out.
    const pings = packets.filter((x) => x.p.cmd === "pingreq");
    const pingresps = wire[0].received.filter((p) => p.cmd === "pingresp").length;
    t.true(pings.length >= RUN_MS / WINDOW_MS / 2, `${pings.length} PINGREQs`);
    t.true(pingresps >= pings.length - 1, `${pingresps} PINGRESPs for ${pings.length} PINGREQs`);
    // Pings that would have fallen due inside a window's compute went out just before it (MqttClient.pingAhead).
    const ahead = pings.filter((x) => {
      const due = packets[packets.indexOf(x) - 1].at + KEEPALIVE_MS;
      return windows.some((c) => x.at <= c.start && c.start - x.at < 5 && c.start <= due && due < c.end);
    });
    t.true(ahead.length > 0, "some pings fell due inside a window's compute");
    // Independent of the client's rule: from the CONNECT on, the longest quiet spell on the wire.
    let maxGap = 0;
    let overKeepalive = 0;
    for (let i = 1; i < packets.length; i++) {
      const gap = packets[i].at - packets[i - 1].at;
      if (gap > maxGap) maxGap = gap;
      if (gap > KEEPALIVE_MS) overKeepalive++;
    }
    const tail = clock.now() - packets.at(-1)!.at;
    // The client's rule [MQTT-3.1.1 3.1.2.10]: never longer than the keepalive between packets (the broker allows 1.5 x).
    t.true(maxGap <= KEEPALIVE_MS + 1e-6, `longest gap between the node's packets ${maxGap.toFixed(1)} ms`);
    t.true(tail <= 1.5 * KEEPALIVE_MS, `quiet for ${tail.toFixed(1)} ms at the end`);
    t.log(
      `${mode.name}: ${windows.length} windows, compute ${Math.min(...computeMs).toFixed(1)}..${Math.max(...computeMs).toFixed(1)} ms each (virtual); ` +
        `${pings.length} PINGREQs (${ahead.length} sent just before a window's compute, in which they fell due), ${pingresps} PINGRESPs; ` +
        `longest gap on the wire ${maxGap.toFixed(1)} ms (${overKeepalive} gaps over ${KEEPALIVE_MS} ms); 1 CONNECT`,
    );
  });
}

/** Runs virtual time one timer (and whatever is due with it) at a time until `done`, within `ms` more. */
async function stepUntil(n: ReturnType<typeof startNode>, done: () => boolean, ms: number, what: string): Promise<void> {
  const limit = n.clock.now() + ms;
  while (!done()) {
    const due = n.clock.nextDue();
    if (due === undefined || due > limit) throw new Error(`no ${what} within ${ms} ms of virtual time`);
    await drive({ clock: n.clock, until: due, speed: "max", busy: n.busy, maxWaitMs: EVENT_CEILING_MS });
  }
}

/**
 * The work after a window's features on the main task before it is free again (the
 * monitor, the telemetry's text and its PUBLISH: under the model about 20 ms), and the
 * command's own (parse, ack text, PUBLISH), with room to spare.
 */
const COMMAND_MARGIN_MS = 100;

for (const mode of modes) {
  test.serial(`commands sent at window ends under the ESP32 model (${mode.name}): every one acked, each within the window's compute plus ${COMMAND_MARGIN_MS} ms`, async (t) => {
    const { broker } = await mosquittoWithLog(t);
    const nodeId = `cmd-${modes.indexOf(mode)}`;
    const n = startNode(t, nodeId, broker.port, mode.config);
    const { node, computes, wire, arrivals, runTo } = n;
    const observer = await Observer.connect(broker.url, `sensors/${nodeId}/cmd/+/ack`, () => n.clock.wall()!);
    t.teardown(() => observer.close());
    const plant = await mqtt.connectAsync(broker.url, { clientId: `plant-${nodeId}` });
    t.teardown(() => plant.endAsync(true));
    await runTo(5000);
    const COMMANDS = 10;
    const inbound = () => wire.at(-1)!.received.flatMap((p, i) => (p.cmd === "publish" && p.topic.endsWith("/cmd/ack-alarm") ? [wire.at(-1)!.receivedAt[i]] : []));
    const acksWritten = () => written(wire).filter((x) => x.p.cmd === "publish" && (x.p as { topic: string }).topic.endsWith("/cmd/ack-alarm/ack"));
    const rows: { compute: number; ackAfter: number }[] = [];
    for (let k = 0; k < COMMANDS; k++) {
      const windows = computes.length;
      // Virtual time stops right after a window's features were charged: the main task is computing.
      await stepUntil(n, () => computes.length > windows, 5 * WINDOW_MS, "window");
      const window = computes.at(-1)!;
      await plant.publishAsync(`sensors/${nodeId}/cmd/ack-alarm`, "{}", { qos: 1 });
      // It reaches the node's socket while the main task computes (virtual time waits for it here): it is read when the task is free.
      const arrivedAt = () => arrivals.filter((a) => a.p.cmd === "publish" && a.p.topic.endsWith("/cmd/ack-alarm")).map((a) => a.at);
      await until(() => arrivedAt().length > k, `command ${k + 1} at the node's socket`);
      const arrived = arrivedAt()[k];
      t.true(arrived < window.end, `command ${k + 1} arrived at ${arrived.toFixed(1)}, inside the window's work (${window.start.toFixed(1)}..${window.end.toFixed(1)})`);
      await stepUntil(n, () => acksWritten().length > k, 5 * WINDOW_MS, `ack of command ${k + 1}`);
      const ackAt = acksWritten()[k].at;
      const compute = window.end - window.start;
      // As on the device: the XS thread finishes the window's work before it reads the command.
      t.true(inbound()[k] >= window.end && ackAt >= window.end, `command read at ${inbound()[k].toFixed(1)}, acked at ${ackAt.toFixed(1)}: after the window's work (${window.end.toFixed(1)})`);
      t.true(ackAt - arrived <= compute + COMMAND_MARGIN_MS, `ack ${(ackAt - arrived).toFixed(1)} ms after the command, compute ${compute.toFixed(1)} ms`);
      rows.push({ compute, ackAfter: ackAt - arrived });
    }
    await runTo(n.clock.now() + 2 * WINDOW_MS);
    await until(() => observer.messages.length >= COMMANDS, `${COMMANDS} acks at the subscriber`);
    t.is(observer.messages.length, COMMANDS, "one ack per command, none lost, none twice");
    for (const m of observer.messages) t.like(json(m.payload), { v: 1, ok: true });
    t.is(node.app.mqtt.stats.reconnects, 0);
    t.log(`${mode.name}: ${COMMANDS} commands, each sent while a window computed (${rows[0].compute.toFixed(1)} ms): acks ${Math.min(...rows.map((r) => r.ackAfter)).toFixed(1)}..${Math.max(...rows.map((r) => r.ackAfter)).toFixed(1)} ms after arrival (virtual)`);
  });
}

test.serial("a 40 s outage under the ESP32 model: after the reconnect the outbox drains while windows go on; every telemetry seq once, in order, no sample lost", async (t) => {
  const broker = await startMosquitto();
  t.teardown(() => broker.close());
  const proxy = await startFaultProxy({ target: { host: broker.host, port: broker.port }, protocolVersion: 4 });
  t.teardown(() => proxy.close());
  const nodeId = "drain-1";
  const observer = await Observer.connect(broker.url, `sensors/${nodeId}/telemetry`, () => Date.now());
  t.teardown(() => observer.close());
  const n = startNode(t, nodeId, proxy.port, {});
  const { node, clock, computes, wire, fault, runTo } = n;
  await runTo(10_000);
  // Cut while nothing is in flight (runTo ends idle), so nothing is sent twice.
  t.is(node.app.mqtt.inflight, 0);
  fault.active = true;
  proxy.refuseConnections(true);
  t.is(proxy.dropConnections(), 1);
  const outageStart = clock.now();
  const OUTAGE_MS = 40_000;
  await runTo(outageStart + OUTAGE_MS);
  const backlog = node.app.outbox.size;
  const lastBeforeReconnect = node.app.seq;
  proxy.refuseConnections(false);
  fault.active = false;
  await stepUntil(n, () => wire.length > 1 && node.app.mqtt.connected, 120_000, "reconnect");
  const reconnectedAt = clock.now();
  // Until every message queued in the outage is written, and some more windows.
  await runTo(reconnectedAt + 20_000);
  await until(() => observer.messages.some((m) => json(m.payload).seq === node.app.seq), `seq ${node.app.seq} at the subscriber`);

  const telemetry = observer.messages.map((m) => json(m.payload));
  t.true(telemetry.every((m) => m.boot === node.app.boot));
  const seqs = telemetry.map((m) => m.seq as number);
  const expected = Array.from({ length: node.app.seq }, (_, i) => i + 1);
  t.deepEqual(seqs, expected, "every seq once, in order");
  t.deepEqual([...new Set(telemetry.map((m) => m.vib.lost))], [0], "no sample lost in any window");
  t.true(backlog >= Math.floor(OUTAGE_MS / WINDOW_MS) - 1, `${backlog} messages held through ${OUTAGE_MS} ms`);
  t.is(node.app.outbox.size, 0, "the outbox is empty");
  t.is(node.app.mqtt.stats.pingTimeouts, 0);
  // The drain: the backlog's last message written on the new connection; windows computed meanwhile and after.
  const after = wire.at(-1)!.written.map((p, i) => ({ p, at: wire.at(-1)!.writtenAt[i] })).filter((x) => x.p.cmd === "publish" && (x.p as { topic: string }).topic.endsWith("/telemetry"));
  const seqOf = (x: (typeof after)[number]) => json((x.p as { payload: Uint8Array }).payload).seq as number;
  const drainedAt = after.find((x) => seqOf(x) === lastBeforeReconnect)!.at;
  const windowsAfter = computes.filter((c) => c.start >= reconnectedAt);
  t.true(windowsAfter.length >= Math.floor(20_000 / WINDOW_MS) - 2, `${windowsAfter.length} windows after the reconnect`);
  t.true(after.filter((x) => seqOf(x) > lastBeforeReconnect).length >= windowsAfter.length - 1, "the new windows' telemetry went out too");
  t.log(
    `outage ${OUTAGE_MS} ms: ${backlog} messages held; reconnected ${((reconnectedAt - outageStart) / 1000).toFixed(1)} s after the cut; ` +
      `backlog written ${(drainedAt - reconnectedAt).toFixed(1)} ms after the reconnect (${computes.filter((c) => c.start >= reconnectedAt && c.start < drainedAt).length} windows computed meanwhile); ` +
      `${windowsAfter.length} windows after it, ${seqs.length} telemetry messages in all, none twice (virtual)`,
  );
});
