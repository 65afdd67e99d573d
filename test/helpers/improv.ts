/*
 * Improv serial packets written out by hand for the tests (improv-wifi.com/serial),
 * and a plain reading of a byte stream into packets: independent of the codec
 * under test (firmware/provision/improv-codec.ts).
 */

/** Bytes from hex pairs and text: `b("49 4d", "MyAP", "c1")`; a part of space-separated hex pairs only is hex. */
export function b(...parts: string[]): Uint8Array {
  const out: number[] = [];
  for (const p of parts) {
    if (/^([0-9a-f]{2})( [0-9a-f]{2})*$/.test(p)) out.push(...p.split(" ").map((h) => parseInt(h, 16)));
    else out.push(...new TextEncoder().encode(p));
  }
  return new Uint8Array(out);
}

/** "IMPROV" and version 1. */
export const IMPROV = "49 4d 50 52 4f 56 01";

export const ASK_STATE = b(IMPROV, "03 02", "02 00", "e5");
export const ASK_INFO = b(IMPROV, "03 02", "03 00", "e6");
export const ASK_SCAN = b(IMPROV, "03 02", "04 00", "e7");
export const STATE_READY = b(IMPROV, "01 01", "02", "e2");
export const STATE_PROVISIONING = b(IMPROV, "01 01", "03", "e3");
export const STATE_PROVISIONED = b(IMPROV, "01 01", "04", "e4");
export const ERROR_NONE = b(IMPROV, "02 01", "00", "e1");
export const ERROR_INVALID_RPC = b(IMPROV, "02 01", "01", "e2");
export const ERROR_UNKNOWN_RPC = b(IMPROV, "02 01", "02", "e3");
export const ERROR_UNABLE_TO_CONNECT = b(IMPROV, "02 01", "03", "e4");

/** One packet read off the wire: its type and data. */
export interface WirePacket {
  type: number;
  data: Uint8Array;
}

/** Splits a stream that holds only whole packets (what the node writes); throws on anything else. */
export function packets(stream: Uint8Array): WirePacket[] {
  const out: WirePacket[] = [];
  for (let at = 0; at < stream.length; ) {
    const header = new TextDecoder().decode(stream.subarray(at, at + 6));
    if (header !== "IMPROV" || stream[at + 6] !== 1) throw new Error(`no packet at byte ${at}`);
    const length = stream[at + 8];
    const end = at + 9 + length;
    let sum = 0;
    for (let i = at; i < end; i++) sum += stream[i];
    if ((sum & 0xff) !== stream[end]) throw new Error(`bad checksum at byte ${end}`);
    out.push({ type: stream[at + 7], data: stream.slice(at + 9, end) });
    at = end + 1;
  }
  return out;
}

/** An RPC result's command and strings. */
export function result(p: WirePacket): { command: number; strings: string[] } {
  if (p.type !== 0x04) throw new Error(`not an RPC result: type ${p.type}`);
  const strings: string[] = [];
  for (let at = 2; at < p.data.length; at += 1 + p.data[at]) strings.push(new TextDecoder().decode(p.data.subarray(at + 1, at + 1 + p.data[at])));
  return { command: p.data[0], strings };
}
