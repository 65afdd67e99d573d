/*
 * The independent OPC UA client's process (started by load.ts): the probe
 * (probe.ts) apart from the publishers, so that their event loop cannot delay
 * its notifications. Messages to the parent: probing, report; from it: window,
 * report (with how many notifications to wait for), close.
 */
import { childRequest, toParent, type IpcMessage } from "./ipc.js";
import { SubscriptionProbe } from "./probe.js";
import type { MeasureWindow } from "./window.js";

export interface ProbeChildRequest {
  endpointUrl: string;
  /** Nodes whose `Seq` the client monitors. */
  nodes: string[];
}

/** After the window, how long the probe waits for notifications still to come (a publishing interval, a busy gateway). */
const NOTIFICATION_CEILING_MS = 30_000;

async function main(): Promise<void> {
  const request = childRequest<ProbeChildRequest>();
  const probe = new SubscriptionProbe();
  await probe.start(request.endpointUrl, request.nodes);
  toParent({ type: "probing", revisedIntervalMs: probe.revisedIntervalMs });
  process.on("message", async (m: IpcMessage) => {
    if (m.type === "window") probe.window = m.window as MeasureWindow;
    else if (m.type === "report") {
      const ceiling = Date.now() + NOTIFICATION_CEILING_MS;
      while (probe.notifications.length < Number(m.expected) && Date.now() < ceiling) await new Promise((r) => setTimeout(r, 100));
      toParent({ type: "report", notifications: probe.notifications });
    } else if (m.type === "close") {
      await probe.close();
      process.exit(0);
    }
  });
  process.on("disconnect", () => process.exit(0));
}

main().catch((e) => {
  process.stderr.write(`probe child: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
