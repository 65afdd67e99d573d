/*
 * The simulator's count of broker replies in a byte stream, against packets made by
 * mqtt-packet (an independent implementation), cut at every possible place.
 */
import test from "ava";
import * as mqttPacket from "mqtt-packet";
import { ReplyCounter } from "../tools/simulator/reply-counter.js";

const packets: [mqttPacket.Packet, boolean][] = [
  [{ cmd: "connack", returnCode: 0, sessionPresent: false }, true],
  [{ cmd: "publish", topic: "sensors/n1/cmd/config", payload: Buffer.alloc(300, 7), qos: 1, messageId: 9, retain: false, dup: false }, false],
  [{ cmd: "puback", messageId: 1 }, true],
  [{ cmd: "suback", messageId: 2, granted: [1] }, true],
  [{ cmd: "pingresp" }, true],
  [{ cmd: "publish", topic: "t", payload: Buffer.alloc(0), qos: 0, retain: false, dup: false }, false],
  [{ cmd: "pubrec", messageId: 3 }, true],
  [{ cmd: "pubrel", messageId: 3 }, false],
  [{ cmd: "pubcomp", messageId: 3 }, true],
  [{ cmd: "unsuback", messageId: 4, granted: [] } as mqttPacket.Packet, true],
  [{ cmd: "publish", topic: "big", payload: Buffer.alloc(20_000, 1), qos: 0, retain: false, dup: false }, false],
];
const bytes = Buffer.concat(packets.map(([p]) => mqttPacket.generate(p)));
const replies = packets.filter(([, reply]) => reply).length;

test("replies counted in one piece, and cut into two at every place", (t) => {
  t.is(new ReplyCounter().count(bytes), replies);
  let wrong = 0;
  for (let cut = 0; cut <= bytes.length; cut += cut < 400 ? 1 : 97) {
    const c = new ReplyCounter();
    if (c.count(bytes.subarray(0, cut)) + c.count(bytes.subarray(cut)) !== replies) wrong++;
  }
  t.is(wrong, 0);
});

test("byte by byte, each reply is counted with its last byte", (t) => {
  const c = new ReplyCounter();
  let seen = 0;
  let ends = 0;
  let offset = 0;
  const lastBytes = new Set<number>();
  for (const [p, reply] of packets) {
    offset += mqttPacket.generate(p).length;
    if (reply) lastBytes.add(offset - 1);
  }
  for (let i = 0; i < bytes.length; i++) {
    const n = c.count(bytes.subarray(i, i + 1));
    seen += n;
    if (n > 0) ends += lastBytes.has(i) ? 1 : 0;
  }
  t.is(seen, replies);
  t.is(ends, replies);
});
