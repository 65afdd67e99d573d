/*
 * The Improv serial codec (firmware/provision/improv-codec.ts) against packets
 * written out here from the spec (improv-wifi.com/serial): its examples (the
 * Wi-Fi settings for MyWirelessAP, ESPHome's device info, a scanned network)
 * framed by hand, checksums worked out by hand (low byte of the sum of every
 * byte before it, "IMPROV" included).
 */
import test from "ava";
import {
  checksum,
  DATA_OFFSET,
  MAX_PACKET,
  PacketParser,
  readRpc,
  readStrings,
  sealPacket,
  writeRpcStrings,
} from "../firmware/provision/improv-codec.js";
import { ASK_STATE, b, ERROR_UNABLE_TO_CONNECT, IMPROV, STATE_READY } from "./helpers/improv.js";

/** Spec example: SSID MyWirelessAP, password mysecurepassword: `01 1E 0C {MyWirelessAP} 10 {mysecurepassword}`, framed as an RPC command (type 03, length 0x20). */
const WIFI_SETTINGS = b(IMPROV, "03 20", "01 1e 0c", "MyWirelessAP", "10", "mysecurepassword", "c1");
/** Spec example of device info (ESPHome), framed as an RPC result (type 04) for command 03. */
const DEVICE_INFO = b(IMPROV, "04 44", "03 42", "07", "ESPHome", "09", "2021.11.0", "1b", "esp32-s3-devkitc-1/esp32-s3", "13", "Temperature Monitor", "07");
/** Spec example of a scanned network: MyWirelessNetwork, -60, YES; and the empty result that ends a scan. */
const SCAN_RESULT = b(IMPROV, "04 1c", "04 1a", "11", "MyWirelessNetwork", "03", "-60", "03", "YES", "b5");
const SCAN_END = b(IMPROV, "04 02", "04 00", "e8");

function encodeStrings(type: number, command: number, strings: string[]): Uint8Array {
  const buffer = new Uint8Array(MAX_PACKET);
  const length = writeRpcStrings(buffer, command, strings);
  return buffer.slice(0, sealPacket(buffer, type, length));
}

function encodeByte(type: number, value: number): Uint8Array {
  const buffer = new Uint8Array(MAX_PACKET);
  buffer[DATA_OFFSET] = value;
  return buffer.slice(0, sealPacket(buffer, type, 1));
}

test("packets are encoded byte for byte as the spec's examples, checksums included", (t) => {
  t.deepEqual(encodeStrings(0x03, 0x01, ["MyWirelessAP", "mysecurepassword"]), WIFI_SETTINGS);
  t.deepEqual(encodeStrings(0x04, 0x03, ["ESPHome", "2021.11.0", "esp32-s3-devkitc-1/esp32-s3", "Temperature Monitor"]), DEVICE_INFO);
  t.deepEqual(encodeStrings(0x04, 0x04, ["MyWirelessNetwork", "-60", "YES"]), SCAN_RESULT);
  t.deepEqual(encodeStrings(0x04, 0x04, []), SCAN_END);
  t.deepEqual(encodeStrings(0x03, 0x02, []), ASK_STATE);
  t.deepEqual(encodeByte(0x01, 0x02), STATE_READY);
  t.deepEqual(encodeByte(0x02, 0x03), ERROR_UNABLE_TO_CONNECT);
});

test("the checksum is the low byte of the sum", (t) => {
  t.is(checksum(b("ff ff 03"), 0, 3), 0x01);
  t.is(checksum(WIFI_SETTINGS, 0, WIFI_SETTINGS.length - 1), 0xc1);
});

test("RPC data and its strings decode back, in UTF-8", (t) => {
  const data = WIFI_SETTINGS.subarray(DATA_OFFSET, WIFI_SETTINGS.length - 1);
  const rpc = readRpc(data);
  t.deepEqual(rpc, { command: 0x01, start: 2, end: 32 });
  if ("error" in rpc) return;
  t.deepEqual(readStrings(data, rpc.start, rpc.end), ["MyWirelessAP", "mysecurepassword"]);
  const accented = encodeStrings(0x04, 0x01, ["Café ☕"]);
  t.deepEqual(accented.subarray(DATA_OFFSET, DATA_OFFSET + 3), b("01 0a 09")); // "Café ☕" is 9 bytes in UTF-8
  t.deepEqual(readStrings(accented, DATA_OFFSET + 2, accented.length - 1), ["Café ☕"]);
});

test("malformed RPC data is refused: a wrong length byte, a string running past the end, bad UTF-8", (t) => {
  t.deepEqual(readRpc(b("01 1f 0c")), { error: 0x01 });
  t.deepEqual(readRpc(b("02")), { error: 0x01 });
  t.is(readStrings(b("05 61 62"), 0, 3), undefined);
  t.is(readStrings(b("02 c3 28"), 0, 3), undefined);
  t.is(writeRpcStrings(new Uint8Array(MAX_PACKET), 0x04, ["x".repeat(254)]), -1, "a result longer than a packet holds");
});

function collect(): { parser: PacketParser; packets: string[]; bad: () => number } {
  const packets: string[] = [];
  let bad = 0;
  const parser = new PacketParser(
    (type, data) => packets.push(`${type}:${Buffer.from(data).toString("hex")}`),
    () => bad++,
  );
  return { parser, packets, bad: () => bad };
}

test("the parser finds packets among console text and newlines, fed whole or a byte at a time", (t) => {
  const stream = new Uint8Array([...b("boot ok\r\nIMPRO garbage I\n"), ...ASK_STATE, 0x0a, ...b("log line\n"), ...WIFI_SETTINGS, 0x0a]);
  for (const chunk of [stream.length, 1, 7]) {
    const { parser, packets, bad } = collect();
    for (let i = 0; i < stream.length; i += chunk) parser.push(stream.subarray(i, i + chunk));
    t.deepEqual(packets, ["3:0200", `3:${Buffer.from(WIFI_SETTINGS.subarray(9, 41)).toString("hex")}`], `chunks of ${chunk}`);
    t.is(bad(), 0);
  }
});

test("a bad checksum is reported once and the parser resyncs, also on a packet inside a truncated one", (t) => {
  const { parser, packets, bad } = collect();
  const corrupt = ASK_STATE.slice();
  corrupt[corrupt.length - 1] ^= 0xff;
  parser.push(corrupt);
  parser.push(ASK_STATE);
  t.deepEqual(packets, ["3:0200"]);
  t.is(bad(), 1);
  // A packet cut off after its length byte (it claims 0x20 data bytes), then a whole one:
  // the whole one is found in the bytes the truncated one swallowed.
  const { parser: p2, packets: got } = collect();
  p2.push(WIFI_SETTINGS.subarray(0, 12));
  p2.push(ASK_STATE);
  p2.push(new Uint8Array(40).fill(0x2e));
  t.deepEqual(got, ["3:0200"]);
});

test("a wrong version is not a packet; the longest packet (255 data bytes) fits", (t) => {
  const { parser, packets } = collect();
  const v2 = ASK_STATE.slice();
  v2[6] = 2;
  parser.push(v2);
  t.deepEqual(packets, []);
  const big = new Uint8Array(MAX_PACKET);
  big.fill(0x41, DATA_OFFSET, DATA_OFFSET + 255);
  parser.push(big.subarray(0, sealPacket(big, 0x03, 255)));
  t.is(packets.length, 1);
  t.is(packets[0], "3:" + "41".repeat(255));
});

test("random bytes never throw, and a good packet after them is still found", (t) => {
  const { parser, packets } = collect();
  let seed = 12345;
  const noise = new Uint8Array(20000);
  for (let i = 0; i < noise.length; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    noise[i] = seed >>> 24;
    if (i % 97 === 0) noise.set(b("IMPROV"), i); // headers among the noise
  }
  t.notThrows(() => parser.push(noise));
  parser.push(b("\n"));
  // Whatever the noise left half-parsed (at most one packet's worth), a client that repeats its request is answered.
  for (let i = 0; i * ASK_STATE.length < 2 * MAX_PACKET; i++) parser.push(ASK_STATE);
  t.true(packets.includes("3:0200"));
});
