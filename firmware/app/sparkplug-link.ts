/*
 * Sparkplug B mode: the node is a Sparkplug edge node (its node id) with the
 * sensor as its device. This module builds the EdgeNode for the app and
 * answers what the app asks of the payload layer: the will, births on
 * connect, data by exception per window, device death on sensor faults.
 */
import type { Host } from "../host.js";
import { EdgeNode } from "../sparkplug/edge-node.js";
import { sensorDeviceMetrics, sensorDeviceValues, sensorNodeMetrics, type SensorWindow } from "../sparkplug/sensor-metrics.js";
import type { MqttClient } from "../mqtt/client.js";

const BDSEQ_KEY = "sparkplug.bdSeq";
export const SPARKPLUG_DEVICE_ID = "sensor";

export interface SparkplugLinkOptions {
  host: Host;
  groupId: string;
  edgeNodeId: string;
  primaryHostId: string;
  /** The client is created after the link (its will comes from the link). */
  client: () => MqttClient;
  onReboot: () => void;
  /** Bearing diagnostics are on: the device births their metrics too. */
  envelope: boolean;
}

export class SparkplugLink {
  readonly edge: EdgeNode;
  #deviceFaulted = false;

  constructor(o: SparkplugLinkOptions) {
    const { host } = o;
    this.edge = new EdgeNode({
      groupId: o.groupId,
      edgeNodeId: o.edgeNodeId,
      deviceId: SPARKPLUG_DEVICE_ID,
      nodeMetrics: sensorNodeMetrics(),
      deviceMetrics: sensorDeviceMetrics({ envelope: o.envelope }),
      primaryHostId: o.primaryHostId || undefined,
      now: () => host.clock.wall(),
      publish: (m) => o.client().publish(m.topic, m.payload, { qos: m.qos as 0 | 1, retain: m.retain }),
      loadBdSeq: () => {
        const s = host.storage.get(BDSEQ_KEY);
        const n = s === undefined ? NaN : Number(s);
        return Number.isInteger(n) && n >= 0 && n <= 255 ? n : undefined;
      },
      saveBdSeq: (n) => host.storage.set(BDSEQ_KEY, String(n)),
      onWrite: (_target, writes) => {
        if (writes.some((w) => w.name === "Node Control/Reboot" && w.value === true)) o.onReboot();
      },
      // NDEATH is out: disconnect and connect again with a new will (bdSeq); births wait for the host's next online STATE.
      onHostOffline: () => {
        host.log("warn", `sparkplug: primary host "${o.primaryHostId}" offline: NDEATH sent; reconnecting`);
        o.client().reconnect("Sparkplug primary host offline");
      },
      onError: (m) => host.log("warn", `sparkplug: ${m}`),
    });
  }

  /** The NDEATH will for the next CONNECT (takes the next bdSeq). */
  will(): { topic: string; payload: Uint8Array; qos: 0 | 1; retain: boolean } {
    const w = this.edge.will();
    return { topic: w.topic, payload: w.payload, qos: w.qos as 0 | 1, retain: w.retain };
  }

  subscribe(client: MqttClient): void {
    for (const s of this.edge.subscriptions()) client.subscribe(s.topic, s.qos as 0 | 1);
  }

  /** One window's values; the device dies while its accelerometer is in fault and is born again when it recovers. */
  report(window: SensorWindow, accelerometerFault: boolean): void {
    if (accelerometerFault && !this.#deviceFaulted) {
      this.#deviceFaulted = true;
      this.edge.deviceFault();
    } else if (!accelerometerFault && this.#deviceFaulted) {
      this.#deviceFaulted = false;
      this.edge.deviceRecovered();
    }
    if (!this.#deviceFaulted) this.edge.reportDevice(sensorDeviceValues(window));
  }
}
