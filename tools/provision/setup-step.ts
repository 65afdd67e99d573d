/*
 * The second half of `sensor-node provision` (docs/cli.md): what Improv does not
 * carry (broker, node id, MQTT credentials, certificates, machine class) goes to
 * the node's setup page's JSON API, at the redirect URL Improv returned, with
 * the setup key from Improv's device info (its fifth string), through the setup
 * API's client (setup-client.ts): it resolves once the node has restarted with
 * the settings and reports a broker connection.
 */
import { readOptionFile, UsageError } from "../cli/args.js";
import type { DeviceInfo } from "./improv-client.js";
import { provisionOverHttp, type SetupFields } from "./setup-client.js";
import { checkForm } from "../../firmware/provision/settings.js";

/** The options of `provision` that go through the setup API, as given: the form's fields, with file names for the PEM ones (read by setupFields). */
export type SetupOptions = Omit<SetupFields, "ssid" | "password" | "rpm">;

/** Real ms the node may take to restart and reach its broker: a ceiling against a node that never answers. */
const CONNECT_CEILING_MS = 120_000;

/**
 * The setup API's fields from `provision`'s options, the PEM files read (before
 * the port is opened: a file that cannot be read is bad usage, said before the
 * node is touched). Throws UsageError naming the option.
 */
export function setupFields(setup: SetupOptions): SetupFields {
  const fields: SetupFields = { ...setup, ca: pem("ca", setup.ca), cert: pem("cert", setup.cert), key: pem("key", setup.key) };
  for (const name of Object.keys(fields) as (keyof SetupFields)[]) if (fields[name] === undefined) delete fields[name];
  // The node's own checks (firmware/provision/settings.ts), run here first: a bad value is bad usage, not a node's refusal.
  const checked = checkForm(fields, {}, { config: {}, now: Date.now(), wifi: false, partial: true });
  if ("errors" in checked) {
    const e = checked.errors[0];
    const option = e.field ? `--${e.field.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase())}` : "setup options";
    throw new UsageError(`sensor-node provision: ${option}: ${e.message}`);
  }
  return fields;
}

/**
 * Completes provisioning through the setup API at `redirectUrl` (Improv's answer),
 * for the node described by `device` (Improv's device info), and resolves once the
 * node reports it is connected to its broker; at once when there is nothing to set.
 * Rejects with the node's own error (SetupError: the field and its code). `say`
 * prints a progress line (stderr).
 */
export async function completeSetup(redirectUrl: string, device: DeviceInfo, fields: SetupFields, say: (line: string) => void): Promise<void> {
  if (!Object.keys(fields).length) return;
  const key = device.strings[4];
  if (!redirectUrl) throw new Error(`${device.name} gave no setup page URL: cannot send the broker settings`);
  if (!key) throw new Error(`${device.name} does not give its setup key in its device info: cannot send the broker settings`);
  say(`${device.name}: sending ${Object.keys(fields).join(", ")} to ${redirectUrl}`);
  let last = "";
  const state = await provisionOverHttp({
    url: redirectUrl,
    key,
    fields,
    timeoutMs: CONNECT_CEILING_MS,
    onState: (s) => {
      if (s.state !== last && s.state !== "connected") say(`${s.nodeId}: ${s.state}`); // connected: said below, with the broker
      last = s.state;
    },
  });
  say(`${state.nodeId}: connected to ${state.broker}`);
}

function pem(option: string, file: string | undefined): string | undefined {
  return file === undefined ? undefined : readOptionFile(`sensor-node provision: --${option}`, file);
}
