/* Shared by the MQTT codec tests. */
import type { CodecError } from "../../firmware/mqtt/codec.js";

/** The bytes of a successful encode; an encode error fails the test with its message. */
export function bytesOf(x: Uint8Array | CodecError): Uint8Array {
  if (!(x instanceof Uint8Array)) throw new Error(`encode failed: ${x.message}`);
  return x;
}

/** The parts one after the other, as one array (a stream cut anywhere, or packets back to back). */
export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
