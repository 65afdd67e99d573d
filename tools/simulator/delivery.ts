/*
 * Did a `sensor-node sim` run do its job (docs/cli.md, "Exit codes")? It did
 * unless the subscriber got nothing at all, or missed a telemetry or alarm
 * message a node made in its last boot (each node counts its own: `seq` runs
 * 1, 2, ... within a boot, so the count is the node's, not the subscriber's).
 * Earlier boots are left out: a power cut loses what was in RAM by design.
 */
import { parsePayload, type ObservedMessage } from "../cli/output.js";
import type { NodeApp } from "../../firmware/app/node.js";

export interface NodeCount {
  nodeId: string;
  boot: number;
  /** The last seq the node gave a telemetry or alarm message in `boot` (0: none yet). */
  seq: number;
  /** False for nodes whose payloads the count cannot read (Sparkplug B): only "nothing at all" applies to them. */
  json: boolean;
}

/** A node's own count, now. */
export function nodeCount(app: NodeApp): NodeCount {
  return { nodeId: app.nodeId, boot: app.boot, seq: app.seq, json: app.config.payload !== "sparkplug" };
}

/** Of the messages the nodes made in their last boot, how many the subscriber has (distinct boot and seq per node). */
export function countDelivered(nodes: NodeCount[], messages: ObservedMessage[], prefix: string): { published: number; delivered: number } {
  const seen = new Map<string, Set<number>>();
  const counted = new Map(nodes.filter((n) => n.json).map((n) => [n.nodeId, n]));
  for (const m of messages) {
    const [p, nodeId, kind] = m.topic.split("/");
    const node = counted.get(nodeId);
    if (p !== prefix || !node || (kind !== "telemetry" && kind !== "alarm")) continue;
    const doc = parsePayload(m.payload) as { boot?: unknown; seq?: unknown } | undefined;
    if (doc?.boot !== node.boot || typeof doc.seq !== "number" || doc.seq < 1 || doc.seq > node.seq) continue;
    let set = seen.get(nodeId);
    if (!set) seen.set(nodeId, (set = new Set()));
    set.add(doc.seq);
  }
  let published = 0;
  let delivered = 0;
  for (const n of counted.values()) {
    published += n.seq;
    delivered += seen.get(n.nodeId)?.size ?? 0;
  }
  return { published, delivered };
}

/**
 * Why the run failed (one line), or undefined when it did its job. `messages`: all the subscriber
 * received; `expected`: false when no node was meant to publish (a factory node left unprovisioned).
 */
export function deliveryProblem(d: { messages: number; published: number; delivered: number; broker: string; reached: boolean; expected?: boolean }): string | undefined {
  if (d.messages === 0 && d.expected !== false) {
    return d.reached ? `nothing delivered: no message came through the broker at ${d.broker}` : `nothing delivered: the broker at ${d.broker} could not be reached`;
  }
  if (d.delivered < d.published) return `${d.published - d.delivered} of ${d.published} telemetry and alarm messages not delivered (the nodes' last boot)`;
  return undefined;
}
