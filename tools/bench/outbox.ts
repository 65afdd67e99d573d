/*
 * Outbox drain after one hour offline at 1 Hz (3,600 telemetry messages stored
 * in the file-backed outbox while the broker was unreachable), to mosquitto and
 * to aedes on loopback. Baseline: the same backlog's store rate (appends to the
 * log), so the ratio says how much faster the node empties its spool than it fills it.
 * Eleven rounds, the brokers alternating: each figure is the median round's.
 */
import { benchDrain, type BenchDrainResult } from "./outbox-drain.js";
import { medianRounds } from "./rounds.js";
import { mosquittoPath } from "../brokers/broker.js";
import { GOALS } from "./goals.js";
import { goal, type BenchModule, type Figure } from "./types.js";

/** Drains per broker (each a fresh broker, spool and client); the spread is over these. */
const OUTBOX_ROUNDS = 11;

export const outboxBench: BenchModule = {
  name: "outbox",
  title: "Outbox drain after an hour offline",
  quick: false,
  async run(ctx) {
    const brokers: ("mosquitto" | "aedes")[] = mosquittoPath() ? ["mosquitto", "aedes"] : ["aedes"];
    // Whole drains repeated, the brokers' order swapped every round (drift hits both alike).
    const rounds: Figure[][] = [];
    for (let i = 0; i < OUTBOX_ROUNDS; i++) {
      const round: Figure[] = [];
      for (const broker of i % 2 ? [...brokers].reverse() : brokers) {
        ctx.log(`outbox: draining 3,600 messages to ${broker} (round ${i + 1} of ${OUTBOX_ROUNDS})`);
        round.push(drainFigure(broker, await benchDrain({ broker })));
      }
      rounds.push(brokers.map((b) => round.find((f) => f.id === `outbox.drain.${b}`)!));
    }
    return medianRounds(rounds);
  },
};

function drainFigure(broker: string, r: BenchDrainResult): Figure {
  return {
    id: `outbox.drain.${broker}`,
    name: `outbox drain, 3,600 msgs to ${broker}`,
    value: Math.round(r.messagesPerSecond),
    unit: "msg/s",
    baseline: { name: "store rate (log appends)", value: Math.round(r.storePerSecond) },
    ratio: r.messagesPerSecond / r.storePerSecond,
    goal: goal("value", ">=", GOALS.outboxMsgPerS, `>= ${GOALS.outboxMsgPerS} msg/s`),
    kind: "wall",
    note: `${r.seconds.toFixed(2)} s, window ${r.maxInflight}, ${r.payloadBytes} B payloads, ${r.compactions} compactions`,
  };
}
