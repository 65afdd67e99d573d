/*
 * `sensor-node provision` (docs/cli.md): gives a node its Wi-Fi over its serial
 * console with Improv Wi-Fi, prints the redirect URL the node answers with, then
 * hands the remaining options to the node's setup API (setup-step.ts), and waits
 * until the node says it is connected to its broker.
 *
 * Exit codes: 0 provisioned; 1 the node's own error ("unable to connect") or no
 * answer; 2 bad usage (a missing or bad option, a port that cannot be opened).
 * The Wi-Fi password is never printed, not even in an error about it.
 */
import { helpText, parseArgs, UsageError, type FlagSpec } from "../cli/args.js";
import { ImprovClient, ImprovDeviceError, ImprovTimeout, stateName } from "./improv-client.js";
import { completeSetup, setupFields, type SetupOptions } from "./setup-step.js";
import { isPassphrase } from "../scenario/wifi.js";

const FLAGS: Record<string, FlagSpec> = {
  port: { kind: "string", help: "the node's serial port (/dev/ttyUSB0; /dev/pts/N from sensor-node sim --factory)" },
  ssid: { kind: "string", help: "Wi-Fi network name" },
  password: { kind: "string", help: 'Wi-Fi password (WPA2 passphrase; "" for an open network)' },
  broker: { kind: "string", help: "setup API: broker URL (mqtt://host:port or mqtts://host:port)" },
  "node-id": { kind: "string", help: "setup API: the node's id" },
  "mqtt-user": { kind: "string", help: "setup API: MQTT user name" },
  "mqtt-password": { kind: "string", help: "setup API: MQTT password" },
  ca: { kind: "string", help: "setup API: CA certificate file (PEM)" },
  cert: { kind: "string", help: "setup API: client certificate file (PEM, mTLS)" },
  key: { kind: "string", help: "setup API: client key file (PEM, mTLS)" },
  "machine-group": { kind: "number", help: "setup API: ISO 10816-3 machine group, 1 or 2", min: 1, max: 2, integer: true },
  foundation: { kind: "string", help: "setup API: rigid or flexible" },
  help: { kind: "boolean", help: "show this help" },
};

/** Ceilings on the node's answers (waits for events, never a pace): finding it; device info; joining (an ESP32 retries for a while). */
const DETECT_CEILING_MS = 10_000;
const INFO_CEILING_MS = 10_000;
const JOIN_CEILING_MS = 90_000;

export async function provisionCommand(argv: string[]): Promise<number> {
  const { flags, positional } = parseArgs("sensor-node provision", argv, FLAGS, Infinity);
  if (flags.help) {
    process.stdout.write(helpText("Usage: sensor-node provision --port PATH --ssid S --password P [setup API options]", FLAGS));
    return 0;
  }
  // Not echoed: an unquoted password with a space would show up here.
  if (positional.length) throw new UsageError("sensor-node provision: takes options only (quote a value that has spaces)");
  const path = required(flags, "port");
  const ssid = required(flags, "ssid");
  const password = required(flags, "password");
  const ssidBytes = new TextEncoder().encode(ssid).length;
  if (ssidBytes < 1 || ssidBytes > 32) throw new UsageError(`sensor-node provision: --ssid: expected 1 to 32 bytes, got ${ssidBytes}`);
  if (password !== "" && !isPassphrase(password)) {
    throw new UsageError(`sensor-node provision: --password: expected "" (an open network) or a WPA2 passphrase, 8 to 63 printable ASCII characters or 64 hex digits (got ${password.length} characters)`);
  }
  const setup: SetupOptions = {
    broker: flags.broker as string | undefined,
    nodeId: flags["node-id"] as string | undefined,
    mqttUser: flags["mqtt-user"] as string | undefined,
    mqttPassword: flags["mqtt-password"] as string | undefined,
    ca: flags.ca as string | undefined,
    cert: flags.cert as string | undefined,
    key: flags.key as string | undefined,
    machineGroup: flags["machine-group"] as number | undefined,
    foundation: flags.foundation as string | undefined,
  };
  const fields = setupFields(setup); // the PEM files read now: a bad one is bad usage, before the node is touched
  const say = (line: string) => process.stderr.write(line + "\n");

  const { openSerialPort } = await import("./serial-port.js");
  let port;
  try {
    port = await openSerialPort(path);
  } catch (error) {
    throw new UsageError(`sensor-node provision: --port: cannot open ${path}: ${(error as Error).message}`);
  }
  try {
    const client = new ImprovClient(port);
    const state = await client.detect(DETECT_CEILING_MS);
    const device = await client.deviceInfo(INFO_CEILING_MS);
    say(`${device.name}: ${device.firmware} ${device.version} on ${device.chip}, Improv ${stateName(state)}`);
    say(`joining "${ssid}"...`);
    const url = await client.sendWifi(ssid, password, JOIN_CEILING_MS);
    say(`${device.name}: provisioned on "${ssid}"`);
    if (url) process.stdout.write(url + "\n");
    await completeSetup(url, device, fields, say);
    return 0;
  } catch (error) {
    if (error instanceof ImprovDeviceError) say(`sensor-node provision: the node says: ${error.message}`);
    else if (error instanceof ImprovTimeout) say(`sensor-node provision: ${error.message}`);
    else if (error instanceof UsageError) throw error;
    else say(`sensor-node provision: ${(error as Error).message}`);
    return 1;
  } finally {
    await port.close();
  }
}

function required(flags: Record<string, unknown>, name: string): string {
  const value = flags[name];
  if (typeof value !== "string") throw new UsageError(`sensor-node provision: --${name} is required (sensor-node provision --help)`);
  return value;
}
