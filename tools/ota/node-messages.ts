/*
 * What `ota push` reads from the nodes (docs/ota.md, "Rollout"): the retained
 * status (running version, online, the update's state) and the `cmd/ota/ack`
 * stream. Malformed payloads read as undefined: a stray message never ends a
 * node's update.
 */

export const TERMINAL_FAILURES = Object.freeze(["refused", "failed", "rolled-back"] as const);
export type NodeFailure = (typeof TERMINAL_FAILURES)[number];
/** The states of an update a node reports on its way, before one of the terminal ones. */
export const IN_PROGRESS = Object.freeze(["downloading", "verifying", "rebooting"] as const);

export interface NodeStatus {
  online: boolean;
  /** The running version. */
  fw?: string;
  ota?: { state?: string; version?: string; error?: string };
}

export interface OtaAck {
  ok: boolean;
  /** Absent on an immediate refusal of a malformed command. */
  state?: string;
  version?: string;
  progress?: number;
  error?: string;
  from?: string;
}

function object(payload: Uint8Array): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(new TextDecoder().decode(payload));
    return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const str = (v: unknown) => (typeof v === "string" ? v : undefined);

/** A status payload (docs/payloads.md); the bare word `offline` (an older last will) reads as offline too. */
export function parseStatus(payload: Uint8Array): NodeStatus | undefined {
  if (new TextDecoder().decode(payload).trim() === "offline") return { online: false };
  const o = object(payload);
  if (!o || (o.state !== "online" && o.state !== "offline")) return undefined;
  const ota = o.ota !== null && typeof o.ota === "object" ? (o.ota as Record<string, unknown>) : undefined;
  return {
    online: o.state === "online",
    fw: str(o.fw),
    ota: ota && { state: str(ota.state), version: str(ota.version), error: str(ota.error) },
  };
}

export function parseAck(payload: Uint8Array): OtaAck | undefined {
  const o = object(payload);
  if (!o || typeof o.ok !== "boolean") return undefined;
  return { ok: o.ok, state: str(o.state), version: str(o.version), progress: typeof o.progress === "number" ? o.progress : undefined, error: str(o.error), from: str(o.from) };
}

export type NodeTopic = { node: string; kind: "status" | "ack" };

/** `<prefix>/<node>/status` or `<prefix>/<node>/cmd/ota/ack`; undefined for any other topic. */
export function nodeTopic(prefix: string, topic: string): NodeTopic | undefined {
  if (!topic.startsWith(prefix + "/")) return undefined;
  const parts = topic.slice(prefix.length + 1).split("/");
  if (parts.length === 2 && parts[1] === "status") return { node: parts[0], kind: "status" };
  if (parts.length === 4 && parts[1] === "cmd" && parts[2] === "ota" && parts[3] === "ack") return { node: parts[0], kind: "ack" };
  return undefined;
}

export const statusFilter = (prefix: string) => `${prefix}/+/status`;
export const ackFilter = (prefix: string) => `${prefix}/+/cmd/ota/ack`;
export const commandTopic = (prefix: string, node: string) => `${prefix}/${node}/cmd/ota`;
