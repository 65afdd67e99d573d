/*
 * The Improv service (firmware/provision/improv-service.ts) on a simulated node's
 * UART (sim/serial.ts) with simulated Wi-Fi (sim/wifi.ts), in virtual time: each
 * request is answered with the packets the spec names, written out by hand in
 * test/helpers/improv.ts; malformed packets get the spec's errors; the Wi-Fi
 * password is in no log line.
 */
import test from "ava";
import * as fs from "node:fs";
import { VirtualClock } from "../sim/clock.js";
import { SimI2CBus } from "../sim/bus.js";
import { createNodeHost } from "../hosts/node/host.js";
import { MemoryStorage } from "../hosts/node/storage.js";
import { ImprovService } from "../firmware/provision/improv-service.js";
import { WifiOnlyTarget } from "../firmware/provision/wifi-only-target.js";
import type { SimWifiNetwork } from "../sim/wifi.js";
import {
  ASK_INFO,
  ASK_SCAN,
  ASK_STATE,
  b,
  ERROR_INVALID_RPC,
  ERROR_NONE,
  ERROR_UNABLE_TO_CONNECT,
  ERROR_UNKNOWN_RPC,
  IMPROV,
  packets,
  result,
  STATE_PROVISIONED,
  STATE_PROVISIONING,
  STATE_READY,
} from "./helpers/improv.js";

/** Wi-Fi settings: ssid "plant" (5 bytes), password "plant-secret" (12 bytes). */
const JOIN_PLANT = b(IMPROV, "03 15", "01 13 05", "plant", "0c", "plant-secret", "0c");
/** The same ssid with "not-the-secret" (14 bytes). */
const JOIN_WRONG = b(IMPROV, "03 17", "01 15 05", "plant", "0e", "not-the-secret", "b2");
/** The redirect URL as the result of Wi-Fi settings (command 01) and of a state request (command 02). */
const URL_RESULT = b(IMPROV, "04 14", "01 12 11", "http://127.0.0.1/", "56");
const URL_STATE_RESULT = b(IMPROV, "04 14", "02 12 11", "http://127.0.0.1/", "57");
/** A scan result per network, then an empty one. */
const SCAN_PLANT = b(IMPROV, "04 10", "04 0e 05", "plant", "03", "-60", "03", "YES", "b2");
const SCAN_GUEST = b(IMPROV, "04 0f", "04 0d 05", "guest", "03", "-71", "02", "NO", "66");
const SCAN_END = b(IMPROV, "04 02", "04 00", "e8");

const NETWORKS: SimWifiNetwork[] = [
  { ssid: "plant", password: "plant-secret", rssi: -60 },
  { ssid: "guest", password: "", rssi: -71 },
];

function rig() {
  const clock = new VirtualClock();
  const logs: string[] = [];
  let listener: ((bytes: Uint8Array) => void) | undefined;
  const wire: number[] = [];
  const host = createNodeHost({
    time: clock,
    bus: new SimI2CBus({ hz: 400_000, now: () => clock.now() }),
    storage: new MemoryStorage(),
    hardwareId: "02:00:5e:10:1a:2b",
    serial: { write: (bytes) => wire.push(...bytes), listen: (l) => (listener = l) },
    wifi: NETWORKS,
    log: (level, message) => logs.push(`${level}: ${message}`),
  });
  const service = new ImprovService({ serial: host.io.Serial!, target: new WifiOnlyTarget(host, "esp32 (simulated)"), log: host.log });
  service.start();
  return {
    clock,
    logs,
    service,
    /** Sends bytes to the node and runs virtual time on by `ms`; returns what the node wrote meanwhile. */
    send(bytes: Uint8Array, ms = 0): Uint8Array {
      wire.length = 0;
      listener?.(bytes);
      clock.runUntil(clock.now() + ms);
      return new Uint8Array(wire);
    },
  };
}

const cat = (...parts: Uint8Array[]) => new Uint8Array(parts.flatMap((p) => [...p]));

test("current state: error none, then ready", (t) => {
  const node = rig();
  t.deepEqual(node.send(ASK_STATE), cat(ERROR_NONE, STATE_READY));
});

test("device info: firmware name and version, chip, device name", (t) => {
  const node = rig();
  const out = packets(node.send(ASK_INFO));
  t.deepEqual(out[0], packets(ERROR_NONE)[0]);
  const version = JSON.parse(fs.readFileSync(new URL("../../package.json", import.meta.url), "utf8")).version;
  t.deepEqual(result(out[1]), { command: 0x03, strings: ["sensor-node", version, "esp32 (simulated)", "sensor-node-1a2b"] });
  t.is(out.length, 2);
});

test("scan: one result per network (ssid, rssi, auth), then an empty one, after the scan's virtual time", (t) => {
  const node = rig();
  t.deepEqual(node.send(ASK_SCAN), ERROR_NONE, "nothing but the error reset before the radio answers");
  t.deepEqual(node.send(new Uint8Array(0), 10_000), cat(SCAN_PLANT, SCAN_GUEST, SCAN_END));
});

test("Wi-Fi settings with the right password: provisioning, then provisioned and the redirect URL", (t) => {
  const node = rig();
  t.deepEqual(node.send(JOIN_PLANT), cat(ERROR_NONE, STATE_PROVISIONING));
  t.deepEqual(node.send(ASK_STATE), cat(ERROR_NONE, STATE_PROVISIONING), "a state request while joining");
  t.deepEqual(node.send(new Uint8Array(0), 10_000), cat(STATE_PROVISIONED, URL_RESULT));
  t.deepEqual(node.send(ASK_STATE), cat(ERROR_NONE, STATE_PROVISIONED, URL_STATE_RESULT), "provisioned: the state and the URL");
});

test("a wrong password: unable to connect, back to ready, and provisionable afterwards", (t) => {
  const node = rig();
  t.deepEqual(node.send(JOIN_WRONG), cat(ERROR_NONE, STATE_PROVISIONING));
  t.deepEqual(node.send(new Uint8Array(0), 10_000), cat(ERROR_UNABLE_TO_CONNECT, STATE_READY));
  t.deepEqual(node.send(ASK_STATE), cat(ERROR_NONE, STATE_READY));
  t.deepEqual(node.send(JOIN_PLANT, 10_000), cat(ERROR_NONE, STATE_PROVISIONING, STATE_PROVISIONED, URL_RESULT));
});

test("an unknown network: unable to connect", (t) => {
  const node = rig();
  const join = b(IMPROV, "03 11", "01 0f 05", "plonk", "08", "whatever", "99");
  t.deepEqual(node.send(join, 10_000), cat(ERROR_NONE, STATE_PROVISIONING, ERROR_UNABLE_TO_CONNECT, STATE_READY));
});

test("malformed packets get the spec's errors and the node keeps answering", (t) => {
  const node = rig();
  const badChecksum = ASK_STATE.slice();
  badChecksum[badChecksum.length - 1] ^= 0x01;
  t.deepEqual(node.send(badChecksum), ERROR_INVALID_RPC, "bad checksum");
  // RPC data length 0x1f where 0x1e bytes follow (the packet itself is whole and its checksum right).
  const wrongLength = b(IMPROV, "03 20", "01 1f 0c", "MyWirelessAP", "10", "mysecurepassword", "c2");
  t.deepEqual(node.send(wrongLength), ERROR_INVALID_RPC, "RPC length byte wrong");
  // An ssid length (9) that runs past the data; an empty ssid.
  t.deepEqual(node.send(b(IMPROV, "03 05", "01 03 09 61 62", "b6")), ERROR_INVALID_RPC, "ssid past the end");
  t.deepEqual(node.send(b(IMPROV, "03 05", "01 03 00 01 78", "63")), ERROR_INVALID_RPC, "empty ssid");
  t.deepEqual(node.send(b(IMPROV, "03 02", "07 00", "ea")), ERROR_UNKNOWN_RPC, "command 0x07");
  t.deepEqual(node.send(b(IMPROV, "01 01", "02", "e2")), new Uint8Array(0), "a node-to-client packet is not answered");
  t.deepEqual(node.send(ASK_STATE), cat(ERROR_NONE, STATE_READY));
});

test("noise on the line never throws, and a request after it is answered", (t) => {
  const node = rig();
  let seed = 7;
  const noise = new Uint8Array(50_000);
  for (let i = 0; i < noise.length; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    noise[i] = seed >>> 24;
    if (i % 251 === 0) noise.set(b(IMPROV, "03"), i);
  }
  // In slices the UART's buffer takes (a burst beyond it is an overrun: lost, as on the device).
  t.notThrows(() => {
    for (let i = 0; i < noise.length; i += 512) node.send(noise.subarray(i, i + 512));
  });
  let answered = false;
  for (let i = 0; i < 30 && !answered; i++) answered = Buffer.from(node.send(ASK_STATE)).includes(Buffer.from(STATE_READY));
  t.true(answered);
});

test("the Wi-Fi password is in no log line", (t) => {
  const node = rig();
  node.send(JOIN_WRONG, 10_000);
  node.send(JOIN_PLANT, 10_000);
  t.true(node.logs.some((l) => l.includes('"plant"')), "the ssid is logged");
  t.false(node.logs.some((l) => l.includes("plant-secret") || l.includes("not-the-secret")), node.logs.join("\n"));
});

test("stop closes the port; an answer due after it is dropped", (t) => {
  const node = rig();
  t.deepEqual(node.send(JOIN_PLANT), cat(ERROR_NONE, STATE_PROVISIONING));
  node.service.stop();
  t.deepEqual(node.send(ASK_STATE, 10_000), new Uint8Array(0));
});
