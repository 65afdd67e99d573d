/*
 * The firmware's own memory in XS (docs/performance.md, "Whole-node memory"):
 * NodeApp on the stub host of tools/xs/cases/stub-host.ts (register stubs, no
 * simulator), built in stages so Node can read slots and chunk bytes after
 * each (tools/xs/bridge.ts):
 *
 *   {op: "host"}            the stub host (tools/xs/cases/stub-host-case.ts builds only this)
 *   {op: "construct", spec} new NodeApp: config, monitor, commands, outbox, MQTT client
 *   {op: "start"}           start(): sensors opened, DSP and acquisition buffers, CONNECT
 *   {op: "windows", count}  `count` more windows on the loopback broker
 *   {op: "gc"}              (these four: tools/xs/cases/staged-node.ts)
 *   {op: "add", component}  one more instance of a subsystem, built as NodeApp builds
 *                           it and kept: its share by difference
 *
 * Every reply carries `flash`: the bytes of the storage's append logs, which are
 * chunks here but flash on a device.
 */
import { FeatureExtractor } from "../../../firmware/dsp/features.js";
import { Acquirer } from "../../../firmware/acquisition/acquirer.js";
import { ADXL345 } from "../../../firmware/drivers/adxl345.js";
import { Monitor } from "../../../firmware/monitor/monitor.js";
import { isKnownMetric } from "../../../firmware/monitor/metrics.js";
import { Outbox } from "../../../firmware/outbox/outbox.js";
import { MqttClient } from "../../../firmware/mqtt/client.js";
import { flashBytesHeld, XsMemoryStorage } from "./host-parts.js";
import { buildStubHost, STUB_ADXL345_ADDRESS, type Component, type FirmwareSpec, type StubHost } from "./stub-host.js";
import { StagedNode } from "./staged-node.js";
import { onCommand } from "./runtime.js";

let stub: StubHost | undefined;
const node = new StagedNode();
/** Marginal instances, kept alive so their share stays in the heap. */
const kept: unknown[] = [];

function add(component: Component): void {
  const { host } = stub!;
  // The app's own resolved config: a second copy held here would count as the firmware's.
  const c = node.app!.config;
  const n = c.window.n;
  switch (component) {
    case "acquisition": {
      const accel = new ADXL345({ sensor: { io: host.io.SMBus, address: STUB_ADXL345_ADDRESS }, odr: c.accelerometer.odr, rangeG: c.accelerometer.rangeG });
      kept.push(accel, new Acquirer({ timers: host.timers, clock: host.clock, accel, n, buffers: 1, onWindow: () => undefined, onError: () => undefined }));
      return;
    }
    case "dsp": {
      const f = new FeatureExtractor({ n, odr: c.accelerometer.odr, bandHz: [c.band.lowHz, c.band.highHz] });
      kept.push(f, f.createAxisFeatures(), f.createAxisFeatures(), f.createAxisFeatures());
      return;
    }
    case "monitor":
      kept.push(new Monitor(c.monitor, isKnownMetric, 0, c.machine));
      return;
    case "outbox":
      kept.push(new Outbox({ storage: new XsMemoryStorage() }));
      return;
    case "mqtt":
      kept.push(new MqttClient({ host, server: { host: c.mqtt.host, port: c.mqtt.port }, clientId: "marginal", keepalive: c.mqtt.keepalive, cleanSession: c.mqtt.cleanSession, maxQueued: 64 }));
      return;
  }
}

export function install(): void {
  onCommand((msg: { op: string; spec?: FirmwareSpec; count?: number; component?: Component }) => {
    if (msg.op === "host") stub = buildStubHost(msg.spec!.nodeId, msg.spec!.epochMs);
    else if (msg.op === "add") add(msg.component!);
    else if (!node.run(msg, stub!)) throw new Error(`unknown op ${msg.op}`);
    const app = node.app;
    return { flash: flashBytesHeld(), windows: app?.windows ?? 0, published: stub?.net.published ?? 0, learned: app?.baseline?.ready ?? false };
  });
}

install();
