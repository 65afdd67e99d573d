/*
 * The setup page's routes (docs/provisioning.md, "Setup page and API"):
 *
 *   GET  /                    the page (a constant: it holds no node data)
 *   GET  /api/state           provisioning and connection state, latest readings
 *   GET  /api/settings        the settings, secrets only as "set" flags
 *   POST /api/provision       fields to change (JSON); all checked, then stored, then a restart
 *   POST /api/factory-reset   forget everything provisioned (always needs the key)
 *
 * Until the node is provisioned the API is open (on the device only its own
 * access point reaches it); afterwards every API call needs the setup key as
 * `Authorization: Bearer KEY`. A header the page's script sets, not a cookie or
 * browser-cached credentials, so another site cannot make a browser send it.
 * Wrong keys lock the API for a minute after a few tries.
 */
import { utf8Decode } from "../util/utf8.js";
import type { HttpRequest } from "./http.js";
import { jsonResponse, type HttpResponse } from "./setup-server.js";
import type { FieldError } from "./settings.js";
import { sameKey } from "./store.js";
import { SETUP_PAGE } from "./page.js";

/** What the API runs on (firmware/provision/field-node.ts). */
export interface SetupTarget {
  readonly provisioned: boolean;
  readonly setupKey: string;
  now(): number;
  state(): Record<string, unknown>;
  settings(): Record<string, unknown>;
  /** Checks and stores the fields, then restarts; or every problem, with nothing changed. */
  provision(body: unknown, via: string): { restartInMs: number } | { errors: FieldError[] };
  factoryReset(reason: string): number;
}

/** Wrong keys allowed before the API locks, and for how long (ms). */
const KEY_TRIES = 5;
const LOCK_MS = 60_000;

export class SetupApi {
  #target: SetupTarget;
  #failures = 0;
  #lockedUntil = -Infinity;

  constructor(target: SetupTarget) {
    this.#target = target;
  }

  handle(request: HttpRequest): HttpResponse {
    const { method, path } = request;
    if (path === "/" || path === "/index.html") {
      if (method !== "GET") return methodNotAllowed("GET");
      return { status: 200, contentType: "text/html; charset=utf-8", body: SETUP_PAGE };
    }
    if (!path.startsWith("/api/")) return failure(404, "not-found", `no page ${path}`);
    const route = path.slice(5);
    const post = route === "provision" || route === "factory-reset";
    if (route !== "state" && route !== "settings" && !post) return failure(404, "not-found", `no API ${path}`);
    if (method !== (post ? "POST" : "GET")) return methodNotAllowed(post ? "POST" : "GET");
    const denied = this.#authorize(request, route === "factory-reset");
    if (denied) return denied;
    const target = this.#target;
    if (route === "state") return jsonResponse(200, target.state());
    if (route === "settings") return jsonResponse(200, target.settings());
    const body = this.#json(request);
    if (!body.ok) return body.response;
    if (route === "factory-reset") return jsonResponse(200, { ok: true, restartInMs: target.factoryReset("factory reset from the setup page") });
    const result = target.provision(body.value, "setup page");
    if ("errors" in result) return jsonResponse(400, { ok: false, errors: result.errors });
    return jsonResponse(200, { ok: true, restartInMs: result.restartInMs });
  }

  /** Undefined when the request may go on; else the refusal. */
  #authorize(request: HttpRequest, always: boolean): HttpResponse | undefined {
    const target = this.#target;
    if (!always && !target.provisioned) return undefined;
    const now = target.now();
    if (now < this.#lockedUntil) return failure(429, "locked", `too many wrong setup keys: try again in ${Math.ceil((this.#lockedUntil - now) / 1000)} s`);
    const m = /^Bearer +(\S+)$/i.exec(request.authorization ?? "");
    if (m && sameKey(m[1], target.setupKey)) {
      this.#failures = 0;
      return undefined;
    }
    if (m && ++this.#failures >= KEY_TRIES) {
      this.#failures = 0;
      this.#lockedUntil = now + LOCK_MS;
    }
    const why = m ? "wrong setup key" : target.provisioned ? "this node is provisioned: send its setup key" : "send the node's setup key";
    return failure(401, "setup-key", `${why} (Authorization: Bearer KEY; the key is shown on the serial console while unprovisioned)`);
  }

  #json(request: HttpRequest): { ok: true; value: unknown } | { ok: false; response: HttpResponse } {
    const type = request.contentType ?? "";
    // JSON only: a cross-site form can send text/plain or urlencoded without asking, never application/json.
    if (!/^application\/json\s*(;|$)/.test(type)) return { ok: false, response: failure(415, "unsupported-media-type", "send the fields as Content-Type: application/json") };
    const text = request.body ? utf8Decode(request.body) : "{}";
    if (text === undefined) return { ok: false, response: failure(400, "bad-json", "the body is not valid UTF-8") };
    try {
      return { ok: true, value: JSON.parse(text) };
    } catch {
      return { ok: false, response: failure(400, "bad-json", "the body is not valid JSON") };
    }
  }
}

function failure(status: number, code: string, message: string): HttpResponse {
  return jsonResponse(status, { ok: false, errors: [{ code, message }] });
}

function methodNotAllowed(allowed: string): HttpResponse {
  return failure(405, "method", `use ${allowed}`);
}
