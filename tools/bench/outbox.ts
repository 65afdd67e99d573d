/*
 * Outbox drain after one hour offline at 1 Hz (3,600 telemetry messages stored
 * in the file-backed outbox while the broker was unreachable), to mosquitto and
 * to aedes on loopback. Baseline: the same backlog's store rate (appends to the
 * log), so the ratio says how much faster the node empties its spool than it fills it.
 */
import { benchDrain } from "./outbox-drain.js";
import { mosquittoPath } from "../brokers/broker.js";
import { GOALS } from "./goals.js";
import { goal, type BenchModule, type Figure } from "./types.js";

export const outboxBench: BenchModule = {
  name: "outbox",
  title: "Outbox drain after an hour offline",
  quick: false,
  async run(ctx) {
    const figures: Figure[] = [];
    const brokers: ("mosquitto" | "aedes")[] = mosquittoPath() ? ["mosquitto", "aedes"] : ["aedes"];
    for (const broker of brokers) {
      ctx.log(`outbox: draining 3,600 messages to ${broker}`);
      const r = await benchDrain({ broker });
      figures.push({
        id: `outbox.drain.${broker}`,
        name: `outbox drain, 3,600 msgs to ${broker}`,
        value: Math.round(r.messagesPerSecond),
        unit: "msg/s",
        baseline: { name: "store rate (log appends)", value: Math.round(r.storePerSecond) },
        ratio: r.messagesPerSecond / r.storePerSecond,
        goal: goal("value", ">=", GOALS.outboxMsgPerS, `>= ${GOALS.outboxMsgPerS} msg/s`),
        kind: "wall",
        note: `${r.seconds.toFixed(2)} s, window ${r.maxInflight}, ${r.payloadBytes} B payloads, ${r.compactions} compactions`,
      });
    }
    return figures;
  },
};
