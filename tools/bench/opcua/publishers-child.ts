/*
 * The publishers' process (started by load.ts): the synthetic fleet
 * (publishers.ts). Messages to the parent: connected, done; from it: window,
 * close.
 */
import * as fs from "node:fs";
import { childRequest, toParent, type IpcMessage } from "./ipc.js";
import { SyntheticFleet } from "./publishers.js";
import type { MeasureWindow } from "./window.js";

export interface PublishersChildRequest {
  broker: string;
  prefix: string;
  nodes: number;
  /** A JSON file holding the recorded telemetry payloads. */
  recording: string;
  /** Nodes the OPC UA client monitors (indices): their windows are counted apart. */
  sampled: number[];
}

async function main(): Promise<void> {
  const request = childRequest<PublishersChildRequest>();
  const payloads = JSON.parse(fs.readFileSync(request.recording, "utf8")) as Record<string, unknown>[];
  const fleet = new SyntheticFleet({ broker: request.broker, prefix: request.prefix, nodes: request.nodes, payloads });
  await fleet.connect();
  toParent({ type: "connected" });
  const finished = fleet.run();
  process.on("message", async (m: IpcMessage) => {
    if (m.type === "window") {
      // From now on the fleet stops at the window's end and counts what it publishes in it.
      fleet.window = m.window as MeasureWindow;
      await finished;
      const sampledWindows = request.sampled.reduce((sum, n) => sum + fleet.counted[n], 0);
      toParent({ type: "done", published: fleet.counted.reduce((a, b) => a + b, 0), sampledWindows });
    } else if (m.type === "close") {
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
