/*
 * Bench: outbox drain after an hour offline. 3,600 telemetry-sized messages
 * (1 Hz for an hour) are stored in the outbox (a file, as in the simulator)
 * while the broker is unreachable; then the MQTT client connects and the
 * outbox drains through its in-flight window. The figure is messages per
 * second from CONNACK to the last PUBACK, on loopback, in real time.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createNodeHost, WallClock } from "../../hosts/node/host.js";
import { FileStorage } from "../../hosts/node/storage.js";
import { MqttClient } from "../../firmware/mqtt/client.js";
import { MessageClass, Outbox } from "../../firmware/outbox/outbox.js";
import { startAedes, startMosquitto, type RunningBroker } from "../brokers/broker.js";

export interface BenchDrainOptions {
  broker?: "mosquitto" | "aedes";
  /** Messages stored while offline (default 3,600: an hour at 1 Hz). */
  messages?: number;
  /** Payload size in bytes (default 560, a full telemetry payload). */
  payloadBytes?: number;
  /** MQTT in-flight window (default 32, the client's default). */
  maxInflight?: number;
}

export interface BenchDrainResult {
  broker: string;
  messages: number;
  payloadBytes: number;
  maxInflight: number;
  /** Seconds from CONNACK to the last PUBACK. */
  seconds: number;
  messagesPerSecond: number;
  /** Time to store the backlog (appends to the log file), messages per second. */
  storePerSecond: number;
  logReads: number;
  compactions: number;
}

export async function benchDrain(options: BenchDrainOptions = {}): Promise<BenchDrainResult> {
  const kind = options.broker ?? "mosquitto";
  const messages = options.messages ?? 3600;
  const payloadBytes = options.payloadBytes ?? 560;
  const maxInflight = options.maxInflight ?? 32;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-outbox-"));
  const broker: RunningBroker = kind === "aedes" ? await startAedes(0) : await startMosquitto();
  const clock = new WallClock();
  try {
    const storage = new FileStorage(dir);
    const host = createNodeHost({
      time: clock,
      bus: {
        SMBus: class {
          constructor() {
            throw new Error("no bus in this bench");
          }
        } as never,
      },
      storage,
      hardwareId: "bench",
    });
    const outbox = new Outbox({ storage, maxBytes: 8 * 1024 * 1024 });
    const topic = "sensors/bench/telemetry";
    const storeStart = performance.now();
    for (let seq = 1; seq <= messages; seq++) {
      const head = `{"v":1,"boot":1,"seq":${seq},"pad":"`;
      outbox.push(topic, head + "x".repeat(Math.max(0, payloadBytes - head.length - 2)) + '"}', MessageClass.Telemetry);
    }
    const storeSeconds = (performance.now() - storeStart) / 1000;
    let connectedAt = 0;
    let doneAt = 0;
    const finished = new Promise<void>((resolve, reject) => {
      const client = new MqttClient({
        host,
        server: { host: broker.host, port: broker.port },
        clientId: "bench-outbox",
        keepalive: 60,
        cleanSession: true,
        maxInflight,
        onConnect: () => (connectedAt = performance.now()),
      });
      client.setSource(outbox);
      outbox.onReady = () => client.wake();
      const poll = setInterval(() => {
        if (outbox.size === 0) {
          doneAt = performance.now();
          clearInterval(poll);
          clearTimeout(limit);
          client.stop();
          resolve();
        }
      }, 1);
      const limit = setTimeout(() => {
        clearInterval(poll);
        client.stop();
        reject(new Error(`drain did not finish in 120 s (${outbox.size} left)`));
      }, 120_000);
      client.start();
    });
    await finished;
    const seconds = (doneAt - connectedAt) / 1000;
    const s = outbox.stats;
    return {
      broker: kind,
      messages,
      payloadBytes,
      maxInflight,
      seconds,
      messagesPerSecond: Math.round(messages / seconds),
      storePerSecond: Math.round(messages / storeSeconds),
      logReads: s.loads,
      compactions: s.compactions,
    };
  } finally {
    clock.clearAll();
    await broker.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** `node build/tools/bench/outbox-drain.js [mosquitto|aedes]` prints the result as JSON. */
if (process.argv[1] && import.meta.url === new URL(`file://${path.resolve(process.argv[1])}`).href) {
  const kind = (process.argv[2] as "mosquitto" | "aedes" | undefined) ?? "mosquitto";
  benchDrain({ broker: kind }).then(
    (r) => console.log(JSON.stringify(r)),
    (e) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}
