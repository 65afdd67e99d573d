/*
 * XS side of the codec figures (tools/bench/xs-measure.ts runs it in xsnap):
 * a script of its own, so the codec's code does not count in the DSP heap figures.
 */
import { encode, encodeInto, type PublishPacket } from "../../firmware/mqtt/codec.js";
import { serveCases } from "../xs/cases/runtime.js";

/** A 1 KiB QoS 1 PUBLISH (the codec bench's) and a send buffer for encodeInto. */
const publish: PublishPacket = { cmd: "publish", topic: "sensors/pump-1/telemetry", payload: new Uint8Array(1024).fill(0x41), qos: 1, retain: false, dup: false, messageId: 4242 };
const sendBuffer = new Uint8Array(2048);

serveCases({
  /** `count` encodes: encode() (a new array per packet) or encodeInto the preallocated send buffer (the client's path). */
  mqttEncode(arg: { count: number; into?: boolean }): unknown {
    let bytes = 0;
    for (let i = 0; i < arg.count; i++) {
      const r = arg.into ? encodeInto(publish, sendBuffer, 0) : encode(publish);
      bytes += typeof r === "number" ? r : (r as Uint8Array).length;
    }
    return { bytes };
  },
});
