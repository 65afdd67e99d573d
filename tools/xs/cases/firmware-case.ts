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
 *   {op: "add", component}  one more instance of a subsystem, built as NodeApp builds
 *                           it and kept: its share by difference
 *
 * Every reply carries `flash`: the bytes of the storage's append logs, which are
 * chunks here but flash on a device.
 */
import { NodeApp } from "../../../firmware/app/node.js";
import { FeatureExtractor } from "../../../firmware/dsp/features.js";
import { Acquirer } from "../../../firmware/acquisition/acquirer.js";
import { ADXL345 } from "../../../firmware/drivers/adxl345.js";
import { Monitor } from "../../../firmware/monitor/monitor.js";
import { isKnownMetric } from "../../../firmware/monitor/metrics.js";
import { Outbox } from "../../../firmware/outbox/outbox.js";
import { MqttClient } from "../../../firmware/mqtt/client.js";
import { flashBytesHeld, runLoopback, XsMemoryStorage } from "./host-parts.js";
import { buildStubHost, STUB_ADXL345_ADDRESS, STUB_SENSOR_CONFIG, type Component, type FirmwareSpec, type StubHost } from "./stub-host.js";
import { onCommand } from "./runtime.js";

let stub: StubHost | undefined;
let app: NodeApp | undefined;
/** Marginal instances, kept alive so their share stays in the heap. */
const kept: unknown[] = [];

function add(component: Component): void {
  const { host } = stub!;
  // The app's own resolved config: a second copy held here would count as the firmware's.
  const c = app!.config;
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
    switch (msg.op) {
      case "host":
        stub = buildStubHost(msg.spec!.nodeId, msg.spec!.epochMs);
        break;
      case "construct": {
        const document = { ...msg.spec!.config, ...STUB_SENSOR_CONFIG, nodeId: msg.spec!.nodeId };
        app = new NodeApp(stub!.host, document);
        break;
      }
      case "start":
        app!.start();
        runLoopback(stub!.clock, stub!.net, app!, 0);
        break;
      case "windows":
        runLoopback(stub!.clock, stub!.net, app!, msg.count ?? 1);
        break;
      case "add":
        add(msg.component!);
        break;
      case "gc": {
        const g = globalThis as unknown as { gc?: () => void };
        g.gc?.();
        break;
      }
      default:
        throw new Error(`unknown op ${msg.op}`);
    }
    return { flash: flashBytesHeld(), windows: app?.windows ?? 0, published: stub?.net.published ?? 0, learned: app?.baseline?.ready ?? false };
  });
}

install();
