/*
 * A simulated fleet behind the OPC UA gateway, for the gateway's tests: SimNodes
 * (the real firmware) on an embedded aedes broker in virtual time, an
 * independent MQTT subscriber (the truth the OPC UA side is compared with), the
 * gateway, and node-opcua-client sessions opened as a SCADA would.
 */
import type { ExecutionContext } from "ava";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  AttributeIds,
  MessageSecurityMode,
  OPCUAClient,
  SecurityPolicy,
  type ClientSession,
  type UserIdentityInfo,
} from "node-opcua-client";
import { OPCUACertificateManager } from "node-opcua-certificate-manager";
import { startAedes, type RunningBroker } from "../../tools/brokers/broker.js";
import { startGateway, type Gateway, type GatewayOptions } from "../../tools/opcua/gateway.js";
import { Observer, SimNode, sharedView, type NodeSpec } from "../../tools/simulator/simulation.js";
import { drive, waitIdle } from "../../tools/simulator/drive.js";
import { VirtualClock } from "../../sim/clock.js";
import { owedCounter, RIG_EPOCH_MS } from "./rig.js";
import { EVENT_CEILING_MS, json, until } from "./wait.js";

export const WINDOW_MS = (4096 / 3200) * 1000;

/** A temporary folder removed at the test's end. */
export function tempDir(t: ExecutionContext, name: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `sensor-node-${name}-`));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface OpcuaRig {
  broker: RunningBroker;
  clock: VirtualClock;
  nodes: SimNode[];
  observer: Observer;
  gateway: Gateway;
  /** Runs virtual time to `ms` at full speed; then every message the broker took is with the subscriber. */
  runTo(ms: number): Promise<void>;
  runFor(ms: number): Promise<void>;
  /** JSON payloads the subscriber saw on `sensors/<nodeId>/<suffix>`. */
  on(nodeId: string, suffix: string): any[];
  /** A session from an independent client (None/anonymous unless told otherwise). */
  session(o?: SessionOptions): Promise<ClientSession>;
}

export interface SessionOptions {
  mode?: MessageSecurityMode;
  policy?: SecurityPolicy;
  identity?: UserIdentityInfo;
  /** The client's own PKI folder (default: a fresh one). */
  pki?: string;
}

export async function startOpcuaRig(t: ExecutionContext, o: { specs: NodeSpec[]; gateway?: Partial<GatewayOptions>; filters?: string[] }): Promise<OpcuaRig> {
  const broker = await startAedes();
  t.teardown(() => broker.close());
  const owed = owedCounter(broker);
  const clock = new VirtualClock({ epochMs: RIG_EPOCH_MS });
  const filters = o.filters ?? ["sensors/#"];
  const observer = await Observer.connect(broker.url, filters, () => clock.wall()!);
  t.teardown(() => observer.close());
  owed.watch(filters);
  const gateway = await startGateway({ broker: broker.url, prefix: "sensors", port: 0, host: "127.0.0.1", certsDir: tempDir(t, "opcua-pki"), allowAnonymous: true, log: (line) => t.log(line), ...o.gateway });
  t.teardown(() => gateway.close());
  await gateway.subscribed;
  // Independent devices on one clock: one node's bus time must not delay the others.
  const nodeClock = o.specs.length > 1 ? sharedView(clock) : clock;
  const nodes = o.specs.map((spec) => new SimNode({ clock: nodeClock, spec, broker: { host: broker.host, port: broker.port, secure: false } }));
  t.teardown(() => nodes.forEach((n) => n.stop()));
  for (const n of nodes) n.start();
  // Connected before virtual time runs, so the first windows go out live rather than from the outbox.
  await until(() => nodes.every((n) => n.app.mqtt.connected), "every node connected to the broker");
  const busy = () => nodes.some((n) => n.busy);
  const live = () => observer.messages.filter((m) => !m.retain).length;
  const rig: OpcuaRig = {
    broker,
    clock,
    nodes,
    observer,
    gateway,
    async runTo(ms) {
      await drive({ clock, until: ms, speed: "max", busy, maxWaitMs: EVENT_CEILING_MS });
      await waitIdle(busy, EVENT_CEILING_MS);
      await until(() => live() >= owed.count, `the subscriber to have the ${owed.count} messages the broker took`);
    },
    runFor: (ms) => rig.runTo(clock.now() + ms),
    on: (nodeId, suffix) => observer.messages.filter((m) => m.topic === `sensors/${nodeId}/${suffix}`).map((m) => json(m.payload)),
    session: (s = {}) => openSession(t, gateway.endpointUrl, s),
  };
  return rig;
}

/** Connects and opens a session as a SCADA client would; closed at the test's end. */
export async function openSession(t: ExecutionContext, url: string, s: SessionOptions = {}): Promise<ClientSession> {
  const client = clientFor(t, s);
  await client.connect(url);
  t.teardown(() => client.disconnect());
  const session = await client.createSession(s.identity);
  t.teardown(() => session.close().catch(() => {}));
  return session;
}

/** An OPCUAClient that tries once (a refusal is an answer, not a reason to retry). */
export function clientFor(t: ExecutionContext, s: SessionOptions = {}): OPCUAClient {
  return OPCUAClient.create({
    applicationName: "sensor-node test SCADA",
    endpointMustExist: false,
    securityMode: s.mode ?? MessageSecurityMode.None,
    securityPolicy: s.policy ?? SecurityPolicy.None,
    connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 200 },
    // a ceiling on each request, not a timing check: a loaded machine may take long to answer (node-opcua's default is 15 s)
    defaultTransactionTimeout: EVENT_CEILING_MS * 4,
    clientCertificateManager: new OPCUACertificateManager({ rootFolder: s.pki ?? tempDir(t, "opcua-client-pki"), automaticallyAcceptUnknownCertificate: true }),
  });
}

/** Reads a variable by its string NodeId under the gateway's namespace. */
export async function readValue(session: ClientSession, id: string) {
  return session.read({ nodeId: `ns=1;s=${id}`, attributeId: AttributeIds.Value });
}

/** Waits until reading `id` satisfies `ok` (the gateway has taken the broker's message): an event, with a ceiling for a hang. */
export async function readUntil(session: ClientSession, id: string, ok: (v: Awaited<ReturnType<typeof readValue>>) => boolean, what: string) {
  let last = await readValue(session, id);
  const deadline = Date.now() + EVENT_CEILING_MS;
  while (!ok(last)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last read ${last.toString()}`);
    await new Promise((r) => setTimeout(r, 20));
    last = await readValue(session, id);
  }
  return last;
}
