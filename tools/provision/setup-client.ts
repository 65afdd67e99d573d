/*
 * The setup API's client (docs/provisioning.md, "Setup page and API"): posts
 * the fields to a node's /api/provision, then follows /api/state until the node
 * has restarted with them and reports that it is connected to its broker, or
 * reports why not (the field to fix and a code). `sensor-node provision` calls
 * it after Improv has given the node its Wi-Fi; tests call it directly.
 */

import type { FieldError, Settings } from "../../firmware/provision/settings.js";

export type { FieldError } from "../../firmware/provision/settings.js";
/** The form's fields (firmware/provision/settings.ts); PEM fields are the PEM text. */
export type SetupFields = Settings;

/** What /api/state says (the parts the client reads). */
export interface NodeState {
  state: "unprovisioned" | "restarting" | "connecting" | "connected" | "error";
  provisioned: boolean;
  nodeId: string;
  boot: number;
  broker: string | null;
  mqtt: { connected: boolean; attempts: number; error: FieldError | null };
  [key: string]: unknown;
}

/** The node refused the fields, or could not connect with them: its own errors, each naming a field. */
export class SetupError extends Error {
  constructor(
    readonly errors: FieldError[],
    readonly status: number,
  ) {
    super(errors.map((e) => `${e.field ? `${e.field}: ` : ""}${e.message} (${e.code})`).join("; "));
    this.name = "SetupError";
  }
}

export interface ProvisionOptions {
  /** The setup page's URL, e.g. http://127.0.0.1:8080/ (what `sim --factory` prints after `setup:`). */
  url: string;
  /** The node's setup key (the serial banner, Improv's device info); needed to follow the node once provisioned. */
  key: string;
  fields: SetupFields;
  /** Real ms to wait for the node to connect: a ceiling against a node that never answers (default 60 s). */
  timeoutMs?: number;
  /** Every state read while waiting. */
  onState?: (state: NodeState) => void;
}

const POLL_MS = 200;

/**
 * Provisions a node over its setup API and resolves with its state once it is
 * connected to the broker. Rejects with SetupError when the node refuses a
 * field or reports a connection error after restarting with the new settings
 * (the first failed attempt: the node keeps retrying, and stays provisionable);
 * with a plain Error when the node does not answer within the timeout.
 */
export async function provisionOverHttp(options: ProvisionOptions): Promise<NodeState> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  const before = await retry(() => readState(options), deadline);
  const response = await call(options, "provision", options.fields);
  if (response.status !== 200) throw new SetupError(errorsOf(response.body), response.status);
  for (;;) {
    await sleep(POLL_MS);
    if (Date.now() > deadline) throw new Error(`the node at ${options.url} did not report a broker connection within ${options.timeoutMs ?? 60_000} ms`);
    const state = await readState(options).catch(() => undefined); // restarting: the page is down for a moment
    if (!state || state.boot <= before.boot) continue;
    options.onState?.(state);
    if (state.state === "connected") return state;
    if (state.state === "error" && state.mqtt.error) throw new SetupError([state.mqtt.error], 200);
    if (state.state === "unprovisioned") throw new SetupError([{ code: "unprovisioned", message: "the node restarted unprovisioned (see its console)" }], 200);
  }
}

/** GET /api/state with the key. */
export async function readState(options: { url: string; key: string }): Promise<NodeState> {
  const r = await call(options, "state");
  if (r.status !== 200) throw new SetupError(errorsOf(r.body), r.status);
  return r.body as NodeState;
}

async function call(options: { url: string; key: string }, route: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const headers: Record<string, string> = { Authorization: `Bearer ${options.key}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const r = await fetch(new URL(`api/${route}`, options.url), { method: body === undefined ? "GET" : "POST", headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  try {
    return { status: r.status, body: JSON.parse(text) };
  } catch {
    return { status: r.status, body: { errors: [{ code: "bad-response", message: `HTTP ${r.status}: not JSON` }] } };
  }
}

function errorsOf(body: unknown): FieldError[] {
  const errors = (body as { errors?: unknown }).errors;
  return Array.isArray(errors) ? (errors as FieldError[]) : [{ code: "bad-response", message: "no errors in the answer" }];
}

/** Retries `f` until it resolves or the deadline passes (a node whose page is not up yet); a SetupError is final. */
async function retry<T>(f: () => Promise<T>, deadline: number): Promise<T> {
  for (;;) {
    try {
      return await f();
    } catch (error) {
      if (error instanceof SetupError || Date.now() > deadline) throw error;
      await sleep(POLL_MS);
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
