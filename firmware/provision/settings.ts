/*
 * What a node is provisioned with (docs/provisioning.md): Wi-Fi, broker, node
 * id, MQTT credentials, CA and client certificate, machine class and speed.
 * One form, validated whole: every field is checked (types, control characters,
 * lengths, certificates, and the configuration's own rules through
 * resolveConfig), every problem is reported with its field and code, and only
 * a form without any becomes the node's settings.
 */
import { ConfigError, mergePartial, resolveConfig } from "../app/config.js";
import { utf8ByteLength } from "../util/utf8.js";
import { checkCertificates, checkKeyPair, isProblem, type CertificateInfo } from "./certificates.js";

export interface Settings {
  /** Wi-Fi network and its WPA2 passphrase ("" for an open network). */
  ssid?: string;
  password?: string;
  /** mqtt://host[:port] or mqtts://host[:port]. */
  broker?: string;
  nodeId?: string;
  mqttUser?: string;
  mqttPassword?: string;
  /** PEM: CA certificate(s) for the broker; client certificate and its private key (mTLS). */
  ca?: string;
  cert?: string;
  key?: string;
  /** ISO 10816-3 machine class (`machine.group`, `machine.foundation`): group 1 or 2, rigid or flexible foundation. */
  machineGroup?: number;
  foundation?: string;
  /** Running speed, rpm (0: unknown). */
  rpm?: number;
}

export type Field = keyof Settings;

export interface FieldError {
  /** The form field; absent for a problem with the request as a whole. */
  field?: string;
  /** A documented code (docs/provisioning.md, "Error codes"). */
  code: string;
  message: string;
}

/** Never returned by a read, never logged, never in status (docs/provisioning.md, "Secrets"). */
export const SECRET_FIELDS: readonly string[] = Object.freeze(["password", "mqttPassword", "key"]);

/** Each field: its JSON kind and its longest value (characters; the ssid in UTF-8 bytes). Preloaded, frozen. */
const SPECS = Object.freeze({
  ssid: Object.freeze({ kind: "text", max: 32 }),
  password: Object.freeze({ kind: "text", max: 64 }),
  broker: Object.freeze({ kind: "text", max: 256 }),
  nodeId: Object.freeze({ kind: "text", max: 64 }),
  mqttUser: Object.freeze({ kind: "text", max: 128 }),
  mqttPassword: Object.freeze({ kind: "text", max: 256 }),
  ca: Object.freeze({ kind: "pem", max: 8192 }),
  cert: Object.freeze({ kind: "pem", max: 4096 }),
  key: Object.freeze({ kind: "pem", max: 4096 }),
  machineGroup: Object.freeze({ kind: "number", max: 0 }),
  foundation: Object.freeze({ kind: "text", max: 16 }),
  rpm: Object.freeze({ kind: "number", max: 0 }),
});

export const FIELDS = Object.freeze(Object.keys(SPECS)) as readonly Field[];

/** Control characters: none in a text field; PEM may have line breaks and tabs. */
const CONTROL = /[\u0000-\u001f\u007f]/;
const PEM_CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

export interface FormContext {
  /** The build-time configuration document the settings go over (config rules are checked on the result). */
  config: unknown;
  /** Wall time, ms (certificate dates); undefined while the clock is not set. */
  now: number | undefined;
  /** The node joins Wi-Fi itself (the device): then an ssid is required. */
  wifi: boolean;
  /** Settings that need not make a whole node yet (Wi-Fi first, over Improv): no field is required. */
  partial?: boolean;
}

/**
 * Checks `body` (fields to change; "" or null clears one) over `current`. Returns
 * the settings to store, or every problem found; nothing is half-applied.
 */
export function checkForm(body: unknown, current: Settings, context: FormContext): { settings: Settings } | { errors: FieldError[] } {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return { errors: [{ code: "type", message: "expected a JSON object of fields" }] };
  const form = body as Record<string, unknown>;
  const errors: FieldError[] = [];
  // One problem per field, the first found: a value of the wrong type is not also "required".
  const fail = (field: string, code: string, message: string) => void (errors.some((e) => e.field === field) || errors.push({ field, code, message }));
  const next: Record<string, unknown> = { ...current };
  for (const name of Object.keys(form)) {
    const spec = (SPECS as Record<string, { kind: string; max: number }>)[name];
    const value = form[name];
    if (!spec) {
      fail(name, "unknown-field", `unknown field (known: ${FIELDS.join(", ")})`);
      continue;
    }
    if (value === null || value === "") {
      delete next[name];
      continue;
    }
    const problem = spec.kind === "number" ? checkNumber(value) : checkText(name, value, spec.kind === "pem", spec.max);
    if (problem) fail(name, problem[0], problem[1]);
    else next[name] = value;
  }
  const settings = next as Settings;
  checkRules((f) => form[f] !== undefined && !errors.some((e) => e.field === f), settings, context, fail);
  return errors.length ? { errors } : { settings };
}

function checkNumber(value: unknown): [string, string] | undefined {
  if (typeof value !== "number" || !Number.isFinite(value)) return ["type", "expected a number"];
  return undefined;
}

function checkText(name: string, value: unknown, pem: boolean, max: number): [string, string] | undefined {
  if (typeof value !== "string") return ["type", "expected a string"];
  if ((pem ? PEM_CONTROL : CONTROL).test(value)) return ["control-character", "contains a control character"];
  const length = name === "ssid" ? utf8ByteLength(value) : value.length;
  if (length > max) return ["too-long", `${length} ${name === "ssid" ? "bytes" : "characters"}, at most ${max}`];
  return undefined;
}

/** The rules between fields, the certificates, and the configuration's own rules on what the form changes (`given`: in the form and well-typed). */
function checkRules(given: (f: Field) => boolean, s: Settings, context: FormContext, fail: (field: string, code: string, message: string) => void): void {
  if (context.wifi && s.ssid === undefined && !context.partial) fail("ssid", "required", "the Wi-Fi network to join");
  if (s.password !== undefined && !wifiPassphrase(s.password)) fail("password", "invalid", "a WPA2 passphrase is 8-63 printable ASCII characters (or 64 hex digits)");
  if (s.broker === undefined && !context.partial) fail("broker", "required", "the MQTT broker, mqtt://host[:port] or mqtts://host[:port]");
  const broker = s.broker === undefined ? undefined : parseBroker(s.broker);
  if (typeof broker === "string") fail("broker", broker.startsWith("scheme") ? "bad-scheme" : "invalid", broker);
  const secure = typeof broker === "object" && broker.secure;
  if (typeof broker === "object" && !secure && (s.ca || s.cert || s.key)) fail("broker", "needs-tls", "a CA or client certificate was given: use mqtts://");
  if (s.mqttPassword !== undefined && s.mqttUser === undefined) fail("mqttUser", "required", "a password needs a user name");
  if ((s.cert === undefined) !== (s.key === undefined)) fail(s.cert === undefined ? "cert" : "key", "required", "the client certificate and its key go together");
  if (given("ca") && s.ca !== undefined) certificates("ca", s.ca, context.now, fail);
  const client = given("cert") && s.cert !== undefined ? certificates("cert", s.cert, context.now, fail) : undefined;
  if ((given("cert") || given("key")) && s.cert !== undefined && s.key !== undefined) {
    const info = client ?? certificates("cert", s.cert, undefined, () => {});
    const problem = info && checkKeyPair(s.key, info[0]);
    if (problem) fail("key", problem.code, problem.message);
  }
  // The configuration's rules (firmware/app/config.ts) on each group the form changes, over the build configuration.
  if (given("nodeId")) configRule("nodeId", { nodeId: s.nodeId ?? "" }, context, fail);
  if ((given("mqttUser") || given("mqttPassword")) && s.mqttUser !== undefined) configRule("mqttUser", { mqtt: { username: s.mqttUser, password: s.mqttPassword } }, context, fail);
  if (given("machineGroup") || given("foundation")) configRule(given("machineGroup") ? "machineGroup" : "foundation", { machine: machineClass(s) ?? {} }, context, fail);
  if (given("rpm")) configRule("rpm", { machine: { rpm: s.rpm ?? 0 } }, context, fail);
  if (typeof broker === "object" && given("broker")) configRule("broker", { mqtt: broker }, context, fail);
}

function certificates(field: string, pem: string, now: number | undefined, fail: (field: string, code: string, message: string) => void): CertificateInfo[] | undefined {
  const r = checkCertificates(pem, now);
  if (!isProblem(r)) return r;
  fail(field, r.code, r.message);
  return undefined;
}

/** Runs resolveConfig on `partial` over the build configuration; its error (field and problem) is `field`'s. */
function configRule(field: string, partial: unknown, context: FormContext, fail: (field: string, code: string, message: string) => void): void {
  try {
    resolveConfig(mergePartial(context.config, partial));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // A foundation problem is the foundation's, whichever field the form changed.
    const own = error.field === "machine.foundation" ? "foundation" : error.field === "machine.group" ? "machineGroup" : field;
    fail(own, "invalid", error.message.slice(error.message.indexOf(": ") + 2));
  }
}

function wifiPassphrase(p: string): boolean {
  return p === "" || (/^[\u0020-\u007e]{8,63}$/.test(p)) || /^[0-9A-Fa-f]{64}$/.test(p);
}

/** The machine class the form gives (`machine.group`, `machine.foundation`); what it leaves out keeps the configuration's default. */
function machineClass(s: Settings): { group?: unknown; foundation?: unknown } | null {
  if (s.machineGroup === undefined && s.foundation === undefined) return null;
  const out: { group?: unknown; foundation?: unknown } = {};
  if (s.machineGroup !== undefined) out.group = s.machineGroup;
  if (s.foundation !== undefined) out.foundation = s.foundation;
  return out;
}

/** mqtt[s]://host[:port][/]: the broker, or what is wrong with it (a "scheme ..." text when it is the scheme). */
export function parseBroker(url: string): { host: string; port: number; secure: boolean } | string {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(.*)$/.exec(url);
  if (!m) return "expected mqtt://host[:port] or mqtts://host[:port]";
  const scheme = m[1].toLowerCase();
  if (scheme !== "mqtt" && scheme !== "mqtts") return `scheme "${m[1]}" is not mqtt:// or mqtts://`;
  if (m[2].includes("@")) return "no credentials in the URL: use mqttUser and mqttPassword";
  const hp = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?\/?$/.exec(m[2]);
  if (!hp) return "expected a host name or address, an optional :port, and no path";
  const secure = scheme === "mqtts";
  const host = hp[1].startsWith("[") ? hp[1].slice(1, -1) : hp[1];
  return { host, port: hp[2] === undefined ? (secure ? 8883 : 1883) : Number(hp[2]), secure };
}

/** The configuration document `settings` make over the build one (partial; only what was provisioned). */
export function configPartial(s: Settings): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (s.nodeId !== undefined) out.nodeId = s.nodeId;
  const broker = s.broker === undefined ? undefined : parseBroker(s.broker);
  const mqtt: Record<string, unknown> = typeof broker === "object" ? { ...broker } : {};
  if (s.mqttUser !== undefined) mqtt.username = s.mqttUser;
  if (s.mqttPassword !== undefined) mqtt.password = s.mqttPassword;
  out.mqtt = mqtt;
  const machine: Record<string, unknown> = machineClass(s) ?? {};
  if (s.rpm !== undefined) machine.rpm = s.rpm;
  if (Object.keys(machine).length) out.machine = machine;
  return out;
}

/** What a read returns: the settings without their secrets (a secret says only whether it is set), certificates by name and expiry. */
export function publicSettings(s: Settings, now: number | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of FIELDS) {
    const v = s[f];
    if (SECRET_FIELDS.includes(f)) out[`${f}Set`] = v !== undefined;
    else if (f === "ca" || f === "cert") out[f] = v === undefined ? null : describeCertificates(String(v), now);
    else out[f] = v ?? null;
  }
  return out;
}

function describeCertificates(pem: string, now: number | undefined): unknown {
  const r = checkCertificates(pem, undefined);
  if (isProblem(r)) return { error: r.message };
  const first = r[0];
  return { subject: first.subject, notAfter: new Date(first.notAfter).toISOString(), count: r.length, expired: now !== undefined && now > first.notAfter };
}
