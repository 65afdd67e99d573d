/*
 * The second half of `sensor-node provision` (docs/cli.md): what Improv does not
 * carry (broker, node id, MQTT credentials, certificates, machine class) goes to
 * the node's setup page's JSON API, at the redirect URL Improv returned. This is
 * the one seam between the two halves; the setup API's client fills it.
 */
import type { DeviceInfo } from "./improv-client.js";

/** The options of `provision` that go through the setup API, as given (files not read yet). */
export interface SetupOptions {
  broker?: string;
  nodeId?: string;
  mqttUser?: string;
  mqttPassword?: string;
  /** PEM files. */
  ca?: string;
  cert?: string;
  key?: string;
  machineGroup?: number;
  foundation?: string;
}

/**
 * Completes provisioning through the setup API at `redirectUrl` (Improv's answer),
 * for the node described by `device` (Improv's device info), and resolves once the
 * node reports it is connected to its broker; at once when there is nothing to set.
 * Rejects with the node's own error. `say` prints a progress line (stderr).
 */
export async function completeSetup(redirectUrl: string, device: DeviceInfo, setup: SetupOptions, say: (line: string) => void): Promise<void> {
  if (Object.values(setup).every((v) => v === undefined)) return;
  void redirectUrl;
  void device;
  void say;
  throw new Error("the setup API step (broker, node id, credentials, certificates) is not in this build yet: give --port, --ssid and --password only");
}
