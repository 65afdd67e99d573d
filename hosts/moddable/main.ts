/*
 * Device entry (manifests/esp32.json): builds the Moddable Host and starts the node.
 * Wi-Fi and SNTP are brought up before this module runs by the SDK's
 * `setup/network` (manifest_net) when `config.ssid` is set.
 *
 * Build-time configuration comes from the manifest's "config" section (mc/config):
 *   ssid, password   Wi-Fi (used by setup/network)
 *   broker           "host", "host:port" or "mqtt[s]://host[:port]"
 *   nodeId           empty: derived from the MAC address
 *   prefix           topic prefix (optional)
 *   i2c              optional {data, clock, hz} when the target has no device.I2C.default
 */
import config from "mc/config";
import { startNode } from "../../firmware/app/node.js";
import { createModdableHost, nodeConfigFromMc, type I2CPins } from "./host.js";

const mc = config as Record<string, unknown> & { file: { root: string } };

const host = createModdableHost({
  fileRoot: mc.file.root,
  i2c: (mc.i2c as I2CPins | undefined) ?? undefined,
});

try {
  const app = startNode(host, nodeConfigFromMc(mc));
  host.log("info", `node ${app.nodeId} started`);
} catch (e) {
  // A bad build-time config is fatal: say why, then retry after a pause (a reboot loop would hide the message).
  host.log("error", `cannot start: ${e instanceof Error ? e.message : String(e)}`);
  host.timers.set(() => host.restart("start failed"), 30_000);
}
