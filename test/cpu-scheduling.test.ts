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
 *     compute time plus a margin;
 *   - after an outage of tens of seconds the outbox drains while windows go on:
 *     every telemetry seq once, in order, no sample lost.
 * Compute intervals come from the CPU model's charges (features, envelope) as
 * they are made; packets from mqtt-packet on the node's socket, stamped with the
 * node's time.
 */
import test, { type ExecutionContext } from "ava";
import * as mqtt from "mqtt";
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
  const node = new SimNode({ clock, cpu: { rate: ESP32_COMPUTRONS_PER_S }, spec, broker: { host: "127.0.0.1", port, secure: false }, log: (level, line) => logs.push({ at: clock.now(), line: `${level} ${line}` }) });
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
  return { node, clock, logs, computes, wire, fault, busy, runTo };
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
