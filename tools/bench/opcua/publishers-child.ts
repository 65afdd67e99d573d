/*
 * The publishers' process (started by load.ts): the synthetic fleet
 * (publishers.ts) and the independent OPC UA client (probe.ts). Messages to the
 * parent: connected, probing, done; from it: probe (the gateway's endpoint),
 * window, close.
 */
import * as fs from "node:fs";
import { childRequest, toParent, type IpcMessage } from "./ipc.js";
import { SubscriptionProbe } from "./probe.js";
import { nodeName, SyntheticFleet } from "./publishers.js";
import { spread, type MeasureWindow } from "./window.js";

export interface PublishersChildRequest {
  broker: string;
  prefix: string;
  nodes: number;
  /** A JSON file holding the recorded telemetry payloads. */
  recording: string;
  /** Nodes whose `Seq` the OPC UA client monitors. */
  sample: number;
}

/** Every `step`-th node, `count` of them. */
const sampleOf = (nodes: number, count: number) => {
  const step = Math.max(1, Math.floor(nodes / count));
  return Array.from({ length: Math.min(count, nodes) }, (_, k) => k * step);
};

async function main(): Promise<void> {
  const request = childRequest<PublishersChildRequest>();
  const payloads = JSON.parse(fs.readFileSync(request.recording, "utf8")) as Record<string, unknown>[];
  const fleet = new SyntheticFleet({ broker: request.broker, prefix: request.prefix, nodes: request.nodes, payloads });
  await fleet.connect();
  toParent({ type: "connected" });
  const finished = fleet.run();
  const sampled = sampleOf(request.nodes, request.sample);
  const probe = new SubscriptionProbe();
  process.on("message", async (m: IpcMessage) => {
    if (m.type === "probe") {
      await probe.start(String(m.endpointUrl), sampled.map((n) => `ns=1;s=${nodeName(n)}/Seq`));
      toParent({ type: "probing", revisedIntervalMs: probe.revisedIntervalMs });
    } else if (m.type === "window") {
      // From now on the fleet stops at the window's end and counts what it publishes in it; so does the client.
      fleet.window = probe.window = m.window as MeasureWindow;
      await finished;
      const expected = sampled.reduce((sum, n) => sum + fleet.counted[n], 0);
      // Every sampled window's notification, or a ceiling: the publishing interval and a busy gateway delay them.
      const ceiling = Date.now() + 30_000;
      while (probe.latencies.length < expected && Date.now() < ceiling) await new Promise((r) => setTimeout(r, 100));
      toParent({ type: "done", published: fleet.counted.reduce((a, b) => a + b, 0), sampled: sampled.length, expected, notifications: spread(probe.latencies) });
    } else if (m.type === "close") {
      await probe.close();
      await fleet.close();
      process.exit(0);
    }
  });
  process.on("disconnect", () => process.exit(0));
}

main().catch((e) => {
  process.stderr.write(`publishers child: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
