/*
 * XS side of the codec figures (tools/bench/xs-measure.ts runs it in xsnap):
 * a script of its own, so the codec's code does not count in the DSP heap figures.
 */
import { encode, encodeInto, type PublishPacket } from "../../firmware/mqtt/codec.js";
import type { TCPSocket } from "../../firmware/host.js";
import { SendPath } from "../../firmware/mqtt/send-path.js";
import { serveCases } from "../xs/cases/runtime.js";

/** A 1 KiB QoS 1 PUBLISH (the codec bench's) and a send buffer for encodeInto. */
const publish: PublishPacket = { cmd: "publish", topic: "sensors/pump-1/telemetry", payload: new Uint8Array(1024).fill(0x41), qos: 1, retain: false, dup: false, messageId: 4242 };
const sendBuffer = new Uint8Array(2048);

/** The client's send path on a socket that takes everything (and allocates nothing itself); counts what it was given. */
const socketTook = { bytes: 0 };
const socket: TCPSocket = {
  read: () => new ArrayBuffer(0),
  write(data) {
    socketTook.bytes += data.byteLength;
  },
  close() {},
};
const sendPath = new SendPath();
sendPath.socket = socket;
sendPath.writable(Number.POSITIVE_INFINITY); // a host that does not meter
const codec = { protocolVersion: 4 as const };
/** The client's own PUBLISH for the send case (its messageId changes per send, as the session's does). */
const clientPublish: PublishPacket = { ...publish, messageId: 1 };
const packetSize = (encode(clientPublish) as Uint8Array).length;

serveCases({
  /** `count` encodes: encode() (a new array per packet) or encodeInto the preallocated send buffer. */
  mqttEncode(arg: { count: number; into?: boolean }): unknown {
    let bytes = 0;
    for (let i = 0; i < arg.count; i++) {
      const r = arg.into ? encodeInto(publish, sendBuffer, 0) : encode(publish);
      bytes += typeof r === "number" ? r : (r as Uint8Array).length;
    }
    return { bytes };
  },
  /** `count` sends of the 1 KiB QoS 1 PUBLISH through SendPath (the client's path), next packet id each time. */
  mqttSend(arg: { count: number }): unknown {
    const before = socketTook.bytes;
    let failed = 0;
    for (let i = 0; i < arg.count; i++) {
      clientPublish.messageId = (clientPublish.messageId! % 65535) + 1;
      if (sendPath.send(clientPublish, codec) !== undefined) failed++;
    }
    const bytes = socketTook.bytes - before;
    return { bytes, failed, whole: bytes === arg.count * packetSize };
  },
  /** A full collection (xsnap's gc), so a measured run starts from a clean heap count. */
  gc(): unknown {
    const g = globalThis as unknown as { gc?: () => void };
    if (typeof g.gc === "function") g.gc();
    return typeof g.gc === "function";
  },
});
