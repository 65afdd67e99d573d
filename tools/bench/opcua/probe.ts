/*
 * An independent OPC UA client, as a SCADA would be: node-opcua-client in the
 * publishers' process (not the gateway's), one subscription monitoring `Seq` of a
 * sample of nodes with sampling interval 0 (every window, docs/opcua.md). Each
 * notification's latency is its arrival minus its source timestamp, which is the
 * node's `ts` (its publish time), so it spans broker, gateway and the
 * subscription's publishing interval (node-opcua's floor, 50 ms, batches them).
 */
import { AttributeIds, ClientMonitoredItemGroup, ClientSubscription, MessageSecurityMode, OPCUAClient, SecurityPolicy, TimestampsToReturn, type ClientSession, type DataValue } from "node-opcua-client";
import { inWindow, type MeasureWindow } from "./window.js";

/** What a client can ask for; the server revises it to its minimum (50 ms in node-opcua). */
export const PUBLISHING_INTERVAL_MS = 50;

export class SubscriptionProbe {
  readonly latencies: number[] = [];
  #client?: OPCUAClient;
  #session?: ClientSession;
  #subscription?: ClientSubscription;
  revisedIntervalMs = NaN;
  /** Once set, notifications whose source timestamp falls in it are counted. */
  window?: MeasureWindow;

  async start(endpointUrl: string, variables: string[]): Promise<void> {
    this.#client = OPCUAClient.create({ securityMode: MessageSecurityMode.None, securityPolicy: SecurityPolicy.None, endpointMustExist: false, connectionStrategy: { maxRetry: 3 } });
    await this.#client.connect(endpointUrl);
    this.#session = await this.#client.createSession();
    this.#subscription = await this.#session.createSubscription2({ requestedPublishingInterval: PUBLISHING_INTERVAL_MS, requestedMaxKeepAliveCount: 20, requestedLifetimeCount: 600, maxNotificationsPerPublish: 0, publishingEnabled: true, priority: 1 });
    this.revisedIntervalMs = this.#subscription.publishingInterval;
    const group = await ClientMonitoredItemGroup.create(
      this.#subscription,
      variables.map((nodeId) => ({ nodeId, attributeId: AttributeIds.Value })),
      { samplingInterval: 0, queueSize: 10, discardOldest: true },
      TimestampsToReturn.Both,
    );
    group.on("changed", (_item: unknown, value: DataValue) => {
      const ts = value.sourceTimestamp?.getTime();
      if (inWindow(this.window, ts)) this.latencies.push(Date.now() - ts!);
    });
  }

  async close(): Promise<void> {
    await this.#subscription?.terminate().catch(() => {});
    await this.#session?.close().catch(() => {});
    await this.#client?.disconnect().catch(() => {});
  }
}
