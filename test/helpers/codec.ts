/* Shared by the MQTT codec tests. */
import type { CodecError } from "../../firmware/mqtt/codec.js";

/** The bytes of a successful encode; an encode error fails the test with its message. */
export function bytesOf(x: Uint8Array | CodecError): Uint8Array {
  if (!(x instanceof Uint8Array)) throw new Error(`encode failed: ${x.message}`);
  return x;
}
