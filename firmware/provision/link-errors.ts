/*
 * Which provisioned field a failed connection points at (docs/provisioning.md,
 * "After submitting"): the broker connection's reason, as the MQTT client logged
 * it, names the field to fix and a documented code. The reasons are the host's
 * socket errors and the client's CONNACK refusals; the patterns are the Node
 * host's and the MQTT client's wording (an unknown reason is the broker's).
 */
import type { FieldError } from "./settings.js";

/** [pattern, field, code], first match wins. Preloaded, frozen. */
const RULES: readonly (readonly [RegExp, string, string])[] = Object.freeze([
  Object.freeze([/certificate required|peer did not return a certificate|cannot sign with its client certificate/i, "cert", "client-certificate"] as const),
  Object.freeze([/does not match certificate|altnames|hostname mismatch|name mismatch/i, "broker", "tls-name"] as const),
  Object.freeze([/TLS|certificate|self[- ]signed|SSL|verify/i, "ca", "tls"] as const),
  Object.freeze([/^refused: .*(user name or password|not authorized)/i, "mqttPassword", "refused"] as const),
  Object.freeze([/^refused: .*identifier/i, "nodeId", "refused"] as const),
  Object.freeze([/^refused: /, "broker", "refused"] as const),
  Object.freeze([/ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|EAI_AGAIN|resolve|no CONNACK/i, "broker", "unreachable"] as const),
]);

export function linkProblem(reason: string): FieldError {
  for (const [pattern, field, code] of RULES) if (pattern.test(reason)) return { field, code, message: reason };
  return { field: "broker", code: "connection", message: reason };
}

/** The Host's Wi-Fi station could not join the stored network: no such network is the ssid's, anything else the password's. */
export function wifiProblem(reason: string): FieldError {
  return { field: /no network|not found|in range/i.test(reason) ? "ssid" : "password", code: "wifi", message: reason };
}
