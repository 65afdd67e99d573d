/*
 * The device's Wi-Fi station (hosts/moddable/wifi.ts) against a stand-in for the
 * Moddable SDK's `wifi` module that behaves as modules/network/wifi/esp32/xs6wifi.c
 * does: station events by message ("connect", "gotIP", "disconnect" with -1 after a
 * failed WPA handshake, "lostIP"), scan items then null, accessPoint with `station`.
 * The module is bundled with esbuild (as test/moddable-manifest.test.ts does), its
 * SDK imports bound to the stand-ins; time is virtual.
 */
import test from "ava";
import * as esbuild from "esbuild";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { VirtualClock } from "../sim/clock.js";
import { wifiProblem } from "../firmware/provision/link-errors.js";
import type { WifiStation } from "../firmware/host.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** What the stand-in SDK records and lets a test do (the current rig's, in globalThis.__sdk: the tests are synchronous). */
interface Sdk {
  mode: number;
  connects: Record<string, string>[];
  disconnects: number;
  accessPoint?: Record<string, unknown>;
  notify?: (message: string, reason?: number) => void;
  scanItems: { ssid: string; rssi: number; authentication: string }[];
  ip: string;
}

const STANDINS = `
export class WiFi {
  constructor(dictionary, onNotify) { if (dictionary) WiFi.connect(dictionary); globalThis.__sdk.notify = onNotify; }
  close() { globalThis.__sdk.notify = undefined; }
  static set mode(v) { globalThis.__sdk.mode = v; }
  static get mode() { return globalThis.__sdk.mode; }
  static connect(d) { if (d) globalThis.__sdk.connects.push({ ...d }); else globalThis.__sdk.disconnects++; }
  static disconnect() { WiFi.connect(); }
  static scan(options, callback) { for (const item of globalThis.__sdk.scanItems) callback({ ...item, channel: 6, hidden: false, bssid: "00" }); callback(null); }
  static accessPoint(options) { globalThis.__sdk.accessPoint = { ...options }; globalThis.__sdk.mode = options.station ? 3 : 2; }
  static Mode = Object.freeze({ none: 0, station: 1, accessPoint: 2 });
  static gotIP = "gotIP"; static lostIP = "lostIP"; static connected = "connect"; static disconnected = "disconnect";
}
export const Net = { get(what, nif) { return what === "IP" ? (nif === "ap" ? "192.168.4.1" : globalThis.__sdk.ip) : undefined; } };
export class SNTP { constructor(o, cb) { globalThis.__sdk.sntp = o.host; } static retry = 1; static time = 2; }
export const Time = { set() {} };
`;

let ModdableWifi: new (o: Record<string, unknown>) => WifiStation & { accessPoint(s: { ssid: string; passphrase: string } | null): string | undefined };

test.before(async () => {
  const out = await esbuild.build({
    entryPoints: [path.join(ROOT, "hosts/moddable/wifi.ts")],
    bundle: true,
    format: "esm",
    write: false,
    logLevel: "silent",
    plugins: [{
      name: "sdk-standins",
      setup(b) {
        b.onResolve({ filter: /^(wifi|sntp|time|net)$/ }, (a) => ({ path: a.path, namespace: "sdk" }));
        b.onLoad({ filter: /.*/, namespace: "sdk" }, (a) => {
          const name = { wifi: "WiFi", sntp: "SNTP", time: "Time", net: "Net" }[a.path]!;
          return { contents: `${STANDINS}\nexport default ${name};`, loader: "js" };
        });
      },
    }],
  });
  // A data: URL, so no file is left behind (the bundle imports nothing).
  ModdableWifi = (await import(`data:text/javascript;base64,${Buffer.from(out.outputFiles[0].text).toString("base64")}`)).ModdableWifi;
});

function rig() {
  const sdk: Sdk = { mode: 0, connects: [], disconnects: 0, scanItems: [], ip: "10.0.0.23" };
  (globalThis as unknown as { __sdk: Sdk }).__sdk = sdk;
  const clock = new VirtualClock();
  const logs: string[] = [];
  const wifi = new ModdableWifi({ sntp: "pool.ntp.org", timers: clock, log: (l: string, m: string) => logs.push(`${l} ${m}`), clockSet: () => false, random: () => 0.5 });
  const results: (string | undefined)[] = [];
  const join = (ssid: string, password: string) => wifi.connect(ssid, password, (e) => results.push(e));
  return { sdk, clock, logs, wifi, results, join };
}

test("the radio starts in station mode at once (the RNG needs it); a join with the right password ends with its address", (t) => {
  const { sdk, wifi, results, join, logs } = rig();
  t.is(sdk.mode, 1);
  join("plant", "plant-secret");
  t.deepEqual(sdk.connects, [{ ssid: "plant", password: "plant-secret" }]);
  t.is(wifi.address, undefined);
  sdk.notify!("connect");
  sdk.notify!("gotIP");
  t.deepEqual(results, [undefined]);
  t.is(wifi.address, "10.0.0.23");
  t.false(logs.some((l) => l.includes("plant-secret")), "the password is in no log line");
});

test("a failed WPA handshake is a wrong password, any other disconnect a missing network, silence a timeout: one answer each, naming the field", (t) => {
  const a = rig();
  a.join("plant", "wrong-password");
  a.sdk.notify!("disconnect", -1);
  a.sdk.notify!("disconnect", -1); // the SDK's own retries: no second answer
  t.is(a.results.length, 1);
  t.is(wifiProblem(a.results[0]!).field, "password");
  t.true(a.sdk.disconnects >= 1, "the attempt is stopped");

  const b = rig();
  b.join("elsewhere", "whatever-1");
  b.sdk.notify!("disconnect", 0);
  t.is(b.results.length, 1);
  t.is(wifiProblem(b.results[0]!).field, "ssid");

  const c = rig();
  c.join("plant", "plant-secret");
  c.clock.runUntil(19_999);
  t.deepEqual(c.results, []);
  c.clock.runUntil(20_000);
  t.is(c.results.length, 1);
  t.regex(c.results[0]!, /no address from "plant" within 20 s/);
  for (const r of [a, b, c]) t.false(r.logs.concat(r.results.map(String)).some((l) => l.includes("wrong-password") || l.includes("whatever-1") || l.includes("plant-secret")));
});

test("a new join ends a pending one; once joined, a lost network is joined again after the backoff, with no second answer", (t) => {
  const { sdk, clock, wifi, results, join } = rig();
  join("plant", "first-pass");
  join("plant", "plant-secret");
  t.deepEqual(results, ["interrupted by a new connection attempt"]);
  sdk.notify!("gotIP");
  t.deepEqual(results, ["interrupted by a new connection attempt", undefined]);
  sdk.notify!("disconnect", 0);
  t.is(wifi.address, undefined);
  const tries = sdk.connects.length;
  // Backoff attempt 1: a random time in [1 s, 2 s]; random() = 0.5 here.
  clock.runUntil(999);
  t.is(sdk.connects.length, tries, "not before 1 s");
  clock.runUntil(2000);
  t.is(sdk.connects.length, tries + 1, "joined again within 2 s");
  t.deepEqual(sdk.connects.at(-1), { ssid: "plant", password: "plant-secret" });
  sdk.notify!("gotIP");
  t.is(wifi.address, "10.0.0.23");
  t.is(results.length, 2, "the first join's answer stands");
});

test("the access point: WPA2 with the passphrase, the station beside it; closed by null", (t) => {
  const { sdk, wifi } = rig();
  t.is(wifi.accessPoint({ ssid: "sensor-node-ab12", passphrase: "7KQM-XH2P-9WDT" }), "192.168.4.1");
  t.deepEqual(sdk.accessPoint, { ssid: "sensor-node-ab12", password: "7KQM-XH2P-9WDT", station: true });
  t.is(sdk.mode, 3, "station and access point");
  t.is(wifi.accessPoint(null), undefined);
  t.is(sdk.mode, 1, "station only");
});

test("a scan reports each network (secure unless open), then null", (t) => {
  const { sdk, wifi } = rig();
  sdk.scanItems = [{ ssid: "plant", rssi: -58, authentication: "wpa2_psk" }, { ssid: "guest", rssi: -71, authentication: "none" }];
  const seen: unknown[] = [];
  wifi.scan((n) => seen.push(n));
  t.deepEqual(seen, [{ ssid: "plant", rssi: -58, secure: true }, { ssid: "guest", rssi: -71, secure: false }, null]);
});
