/*
 * An independent OPC UA client, as a SCADA would be: node-opcua-client in a
 * process of its own (probe-child.ts), one subscription monitoring `Seq` of a
 * sample of nodes with sampling interval 0 (every window, docs/opcua.md). Each
 * notification is kept with its arrival time (wall ms, sub-millisecond:
 * performance.timeOrigin + performance.now(), the clock the gateway's process
 * stamps its receipts with) under `<node>#<seq>`, and with its source
 * timestamp, the node's `ts` (its publish time). The subscription's publishing
 * interval (node-opcua's floor, 50 ms) batches notifications, so it is part of
 * what the figures show, as it is for any client.
 */
import { AttributeIds, ClientMonitoredItemGroup, ClientSubscription, MessageSecurityMode, OPCUAClient, SecurityPolicy, TimestampsToReturn, type ClientSession, type DataValue } from "node-opcua-client";
import { inWindow, wallNow, type MeasureWindow } from "./window.js";

/** What a client can ask for; the server revises it to its minimum (50 ms in node-opcua). */
export const PUBLISHING_INTERVAL_MS = 50;

/** One window's notification: `<node>#<seq>`, arrival (wall ms), the node's ts (ms). */
export type Notification = [key: string, arrivedAt: number, ts: number];

export class SubscriptionProbe {
  readonly notifications: Notification[] = [];
  #client?: OPCUAClient;
  #session?: ClientSession;
  #subscription?: ClientSubscription;
  revisedIntervalMs = NaN;
  /** Once set, notifications whose source timestamp falls in it are kept. */
  window?: MeasureWindow;

  async start(endpointUrl: string, nodes: string[]): Promise<void> {
    this.#client = OPCUAClient.create({ securityMode: MessageSecurityMode.None, securityPolicy: SecurityPolicy.None, endpointMustExist: false, connectionStrategy: { maxRetry: 3 } });
    await this.#client.connect(endpointUrl);
    this.#session = await this.#client.createSession();
    this.#subscription = await this.#session.createSubscription2({ requestedPublishingInterval: PUBLISHING_INTERVAL_MS, requestedMaxKeepAliveCount: 20, requestedLifetimeCount: 600, maxNotificationsPerPublish: 0, publishingEnabled: true, priority: 1 });
    this.revisedIntervalMs = this.#subscription.publishingInterval;
    const group = await ClientMonitoredItemGroup.create(
      this.#subscription,
      nodes.map((node) => ({ nodeId: `ns=1;s=${node}/Seq`, attributeId: AttributeIds.Value })),
      { samplingInterval: 0, queueSize: 10, discardOldest: true },
      TimestampsToReturn.Both,
    );
    group.on("changed", (item: { itemToMonitor: { nodeId: { value: unknown } } }, value: DataValue) => {
      const arrivedAt = wallNow();
      const ts = value.sourceTimestamp?.getTime();
      if (!inWindow(this.window, ts)) return;
      const node = String(item.itemToMonitor.nodeId.value).slice(0, -"/Seq".length);
      this.notifications.push([`${node}#${value.value.value}`, arrivedAt, ts!]);
    });
  }

  async close(): Promise<void> {
    await this.#subscription?.terminate().catch(() => {});
    await this.#session?.close().catch(() => {});
    await this.#client?.disconnect().catch(() => {});
  }
}
