/*
 * The OPC UA gateway (docs/opcua.md): an MQTT subscriber to the fleet's status,
 * telemetry, alarm and ack topics (JSON schema v1) and its Sparkplug B group
 * (sparkplug-input.ts), and an OPC UA server whose address space follows them.
 * One process serves the whole fleet; nodes appear as they first publish (a
 * retained status counts).
 */
import "./quiet-log.js";
import * as mqtt from "mqtt";
import type { OPCUAServer } from "node-opcua";
import { FleetAddressSpace, type SensorNodeObject } from "./address-space.js";
import { addLimitAlarmType, NodeAlarms, type AlarmTransition } from "./alarms.js";
import { CommandChannel } from "./commands.js";
import { NodeMethods } from "./methods.js";
import { telemetryReadings } from "./payload-map.js";
import { createServer, type ServerOptions } from "./server.js";
import { ClientTrust, type TrustStore } from "./trust.js";
import { DEFAULT_SPARKPLUG_GROUP, SPARKPLUG_NAMESPACE, SparkplugInput } from "./sparkplug-input.js";

export interface GatewayOptions extends ServerOptions {
  /** mqtt:// or mqtts:// URL of the fleet's broker. */
  broker: string;
  /** The nodes' topic prefix (`mqtt.prefix`, default "sensors"). */
  prefix: string;
  /** The Sparkplug B group of nodes in Sparkplug mode (`sparkplug.groupId`; default "sensors"). */
  sparkplugGroup?: string;
  commandTimeoutMs?: number;
  /** Progress and problems, one line each (never a password). */
  log?: (line: string) => void;
  /** After a telemetry message is in the address space (the bench's probe): node, its `ts`, and when the gateway got it (performance.now()). */
  onTelemetry?: (nodeId: string, ts: number | undefined, receivedAt: number) => void;
}

export interface GatewayStats {
  /** Messages taken from the broker (status, telemetry, alarm, ack). */
  messages: number;
  /** Variable values written. */
  updates: number;
  /** Messages that were not a JSON object, or on a topic the gateway does not serve. */
  ignored: number;
}

export interface Gateway {
  readonly endpointUrl: string;
  readonly port: number;
  readonly server: OPCUAServer;
  readonly stats: GatewayStats;
  /** Resolves once subscribed to the broker. */
  readonly subscribed: Promise<void>;
  /** Reads the client certificate folders again (SIGHUP): resolves once every certificate in trusted/certs is accepted, with how many. */
  reloadTrust(): Promise<number>;
  close(): Promise<void>;
}

/** Reconnect period after the broker is lost (ms). */
const RECONNECT_MS = 1000;
const SPARKPLUG_PREFIX = `${SPARKPLUG_NAMESPACE}/`;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const utf8 = new TextDecoder();

function parse(payload: Uint8Array): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(utf8.decode(payload));
    return isObject(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** The node's `ts` as a Date, or the gateway's time when the node's clock was not set (no `ts`). */
const sourceTime = (p: Record<string, unknown>) => (typeof p.ts === "number" ? new Date(p.ts) : new Date());

/** Keeps one node's object, alarms and methods together. */
interface Served {
  object: SensorNodeObject;
  alarms: NodeAlarms;
}

export async function startGateway(o: GatewayOptions): Promise<Gateway> {
  const log = o.log ?? (() => {});
  const server = await createServer(o);
  const trust = new ClientTrust(server.serverCertificateManager as unknown as TrustStore, o.certsDir, log);
  const addressSpace = server.engine.addressSpace!;
  const client = mqtt.connect(o.broker, { clientId: `sensor-node-opcua-${process.pid}-${Math.floor(Math.random() * 1e9)}`, reconnectPeriod: RECONNECT_MS });
  const channel = new CommandChannel({ prefix: o.prefix, publish: (topic, body) => client.publish(topic, body, { qos: 1 }), timeoutMs: o.commandTimeoutMs });
  const served = new Map<string, Served>();
  // Binds ConditionType's methods (Acknowledge, Confirm, Enable, ...) as clients call them: on the type's method with the condition as object.
  addressSpace.installAlarmsAndConditionsService();
  const alarmType = addLimitAlarmType(addressSpace.getOwnNamespace());
  const fleet = new FleetAddressSpace(addressSpace);
  const methods = new NodeMethods(fleet, channel);
  fleet.onNew = (object) => {
    const alarms = new NodeAlarms(object, alarmType, (metric) => {
      log(`${object.nodeId}: ${metric} acknowledged by a client: cmd/ack-alarm`);
      void channel.send(object.nodeId, "ack-alarm", { metric });
    });
    methods.attach(object);
    served.set(object.nodeId, { object, alarms });
    log(`${object.nodeId}: in the address space`);
  };
  const sparkplug = new SparkplugInput({ group: o.sparkplugGroup ?? DEFAULT_SPARKPLUG_GROUP, fleet, publish: (topic, body) => client.publish(topic, Buffer.from(body), { qos: 0 }), log });
  const stats: GatewayStats = {
    messages: 0,
    ignored: 0,
    get updates() {
      return fleet.stats.updates;
    },
  };
  const node = (id: string) => (fleet.node(id), served.get(id)!);

  const onMessage = (topic: string, payload: Buffer) => {
    try {
      serve(topic, payload);
    } catch (e) {
      // One bad message must not take the gateway (and every other node) down.
      stats.ignored++;
      log(`${topic}: not served: ${(e as Error).message}`);
    }
  };
  const serve = (topic: string, payload: Buffer) => {
    const receivedAt = performance.now();
    stats.messages++;
    if (topic.startsWith(SPARKPLUG_PREFIX)) {
      if (!sparkplug.message(topic, payload)) stats.ignored++;
      return;
    }
    const [id, kind, ...rest] = topic.slice(o.prefix.length + 1).split("/");
    if (kind === "cmd") {
      if (!channel.ack(topic, payload)) stats.ignored++;
      return;
    }
    const p = parse(payload);
    if (!p || !id || rest.length) return void stats.ignored++;
    const n = node(id);
    const at = sourceTime(p);
    if (kind === "status") {
      const values = n.object.values(at);
      if (typeof p.fw === "string") values.value("Firmware", p.fw);
      if (typeof p.boot === "number") values.value("Boot", p.boot);
      n.object.setOnline(p.state === "online", at);
    } else if (kind === "telemetry") {
      telemetryReadings(p, n.object.values(at));
      o.onTelemetry?.(id, typeof p.ts === "number" ? p.ts : undefined, receivedAt);
    } else if (kind === "alarm" && typeof p.metric === "string" && typeof p.level === "string") {
      n.alarms.apply(p as unknown as AlarmTransition, at);
    } else stats.ignored++;
  };

  const subscribed = new Promise<void>((resolve) => {
    client.on("connect", () => {
      const filters = ["status", "telemetry", "alarm"].map((k) => `${o.prefix}/+/${k}`).concat(channel.ackFilter, sparkplug.filter);
      client.subscribe(filters, { qos: 1 }, (error) => {
        if (error) log(`broker refused the subscription: ${error.message}`);
        else resolve();
      });
    });
  });
  client.on("message", onMessage);
  let reported = false;
  client.on("error", (e) => {
    // mqtt.js retries by itself; say so once per outage.
    if (!reported) log(`broker ${o.broker}: ${e.message} (retrying every ${RECONNECT_MS / 1000} s)`);
    reported = true;
  });
  client.on("connect", () => {
    if (reported) log(`broker ${o.broker}: connected`);
    reported = false;
  });

  try {
    await server.start();
  } catch (e) {
    await client.endAsync(true);
    await server.shutdown().catch(() => {});
    throw e;
  }
  const port = server.endpoints[0]!.port;
  return {
    endpointUrl: `opc.tcp://${o.host ?? "localhost"}:${port}`,
    port,
    server,
    stats,
    subscribed,
    reloadTrust: () => trust.reload(),
    async close() {
      channel.close();
      await client.endAsync(true);
      await server.shutdown();
    },
  };
}
