/*
 * Updates over the air (docs/ota.md, "Figures"):
 *  - verification: the firmware's pure-XS SHA-256 and P-256 verifier in xsnap
 *    (deterministic), a streaming verification of a package as large as the
 *    device's OTA slot, and the device's time for a full slot as an ESTIMATE:
 *    the device hashes in the SDK's C, so its time comes from a named
 *    assumption about C on the ESP32, not from XS computrons;
 *  - the node's update path in XS (xs-ota-update.ts): computrons per KiB with
 *    the pure crypto and with the crypto native, and the XS memory the update
 *    holds above the node's steady state (goal: 16 KiB);
 *  - a fleet rollout (ota-rollout.ts): simulated nodes through mosquitto on
 *    loopback, wall time, outcomes and the process's memory (wall figures).
 * The XS and rollout figures come from child processes (xsnap needs a locked
 * down process; the rollout's memory must be its own).
 */
import { fileURLToPath } from "node:url";
import { runJsonChild } from "./child.js";
import { ESP32_ESTIMATE, esp32Ms } from "./esp32.js";
import { GOALS } from "./goals.js";
import { machineReference } from "./reference.js";
import { medianRounds } from "./rounds.js";
import { goal, type BenchModule, type Figure } from "./types.js";
import type { XsOtaChildFigures } from "./xs-ota-child.js";
import type { RolloutFigures } from "./ota-rollout.js";
import { XS_SLOT_BYTES_ESP32 } from "./xs-node.js";
import { deviceSlotBytes } from "../ota/partitions.js";
import { mosquittoPath } from "../brokers/broker.js";

const XS_CHILD = fileURLToPath(new URL("./xs-ota-child.js", import.meta.url));
const ROLLOUT_CHILD = fileURLToPath(new URL("./ota-rollout-child.js", import.meta.url));
/** Assumed: a portable C SHA-256 (the SDK's KCL fips180, no hardware help) on the ESP32's Xtensa LX6. */
export const NATIVE_SHA256_CYCLES_PER_BYTE = 50;
export const ESP32_CPU_HZ = 240e6;
const KIB = 1024;
/** --quick streams this much instead of a full slot (the heap pattern does not depend on the length). */
const QUICK_PAYLOAD_BYTES = 256 * KIB;
/** The fleet; --quick updates fewer. */
const ROLLOUT_NODES = 200;
const QUICK_ROLLOUT_NODES = 20;
/** Rollouts per run; the rollout figures' spread is min-max over these. */
const ROLLOUT_ROUNDS = 3;

export const otaBench: BenchModule = {
  name: "ota",
  title: "Updates: verification and the node's update path in XS, full-slot estimates, a fleet rollout through mosquitto",
  quick: true,
  async run(ctx): Promise<Figure[]> {
    const slot = deviceSlotBytes();
    const payloadBytes = ctx.quick ? QUICK_PAYLOAD_BYTES : slot;
    ctx.log(`ota: verification and the node's update path on ${payloadBytes} bytes in XS`);
    const xs = await runJsonChild<XsOtaChildFigures>(XS_CHILD, { payloadBytes }, "xs-ota-child", 30 * 60_000);
    const figures = [...verificationFigures(xs, slot), ...updateFigures(xs, slot)];
    if (!mosquittoPath()) throw new Error("mosquitto is not installed (Debian: apt-get install mosquitto): the rollout figures need it");
    const nodes = ctx.quick ? QUICK_ROLLOUT_NODES : ROLLOUT_NODES;
    ctx.log(`ota: a rollout to ${nodes} simulated nodes through mosquitto`);
    // Whole rollouts repeated, each in a process of its own: the figures are the median round's.
    const rounds: Figure[][] = [];
    for (let i = 0; i < ROLLOUT_ROUNDS; i++) {
      ctx.log(`ota: rollout round ${i + 1} of ${ROLLOUT_ROUNDS}`);
      rounds.push(rolloutFigures(await runJsonChild<RolloutFigures>(ROLLOUT_CHILD, { nodes }, "ota-rollout-child", 60 * 60_000)));
    }
    return [...figures, ...medianRounds(rounds)];
  },
};

function verificationFigures({ verify: f }: XsOtaChildFigures, slot: number): Figure[] {
  const nativeS = (slot * NATIVE_SHA256_CYCLES_PER_BYTE) / ESP32_CPU_HZ;
  const xsS = esp32Ms((slot / KIB) * f.sha256PerKiB + f.verifyP256) / 1000;
  return [
    { id: "ota.xs.sha256PerKiB", name: "SHA-256 per KiB, XS (firmware/crypto/sha256.ts)", value: f.sha256PerKiB, unit: "computrons", kind: "deterministic", budgets: { "xs.ota.sha256PerKiB": f.sha256PerKiB } },
    { id: "ota.xs.verifyP256", name: "ECDSA P-256 verification, XS (firmware/crypto/p256.ts, BigInt)", value: f.verifyP256, unit: "computrons", kind: "deterministic", budgets: { "xs.ota.verifyP256": f.verifyP256 } },
    {
      id: "ota.xs.stream",
      name: `streaming verification of ${(f.payloadBytes / KIB).toFixed(0)} KiB in 4 KiB chunks, XS (header, signature, payload hash)`,
      value: f.streamCompute,
      unit: "computrons",
      kind: "deterministic",
    },
    {
      id: "ota.xs.streamPeakSlots",
      name: "XS heap while verifying a stream, most slots in use before collection above the idle heap",
      value: f.peakSlotsAbove,
      unit: "slots",
      baseline: { name: "idle heap after collection", value: f.baselineSlots },
      kind: "deterministic",
      note: `retained by the verifier mid-stream, after collection: ${f.retainedSlotsAbove} slots`,
      budgets: { "xs.ota.streamPeakSlots": f.peakSlotsAbove, "xs.ota.streamRetainedSlots": f.retainedSlotsAbove },
    },
    {
      id: "ota.esp32.fullSlotNativeHash",
      name: `full-slot hash (${slot} B) on the device, ESP32 estimate: SDK's C SHA-256 at an assumed ${NATIVE_SHA256_CYCLES_PER_BYTE} cycles/byte, ${ESP32_CPU_HZ / 1e6} MHz (signature check not estimated)`,
      value: nativeS,
      unit: "s",
      kind: "estimate",
    },
    {
      id: "ota.esp32.fullSlotPureXs",
      name: `full-slot hash and one signature check in XS instead of C, ${ESP32_ESTIMATE} (why the device uses C)`,
      value: xsS,
      unit: "s",
      kind: "estimate",
    },
  ];
}

function updateFigures({ update: u, native: n }: XsOtaChildFigures, slot: number): Figure[] {
  const path = `${(u.packageBytes / KIB).toFixed(0)} KiB package in ${u.segmentBytes} B segments, ${u.segmentsPerStep} per window of the node (n = ${u.windowN})`;
  const steadyBytes = u.steady.slots * XS_SLOT_BYTES_ESP32 + u.steady.chunkBytes;
  return [
    {
      id: "ota.xs.update.perKiB",
      name: `the node's update path per KiB after the first segment, XS, pure-XS crypto (download, verifier, agent, slot writes; ${path})`,
      value: u.perKiB,
      unit: "computrons",
      kind: "deterministic",
      // Its ten progress reports are spread over the package: CI's shorter package costs more per KiB, so its budget is CI's own (budgets.json).
      note: `the ten progress reports included; first segment (response head, header, P-256 signature check): ${Math.round(u.firstSegmentCompute)} computrons; the whole update: ${Math.round(u.compute)}`,
    },
    {
      id: "ota.xs.update.devicePathPerKiB",
      name: "the same per KiB with the crypto native (a zero-cost stand-in for the SDK's C): the XS the device spends, stub socket and timers included",
      value: n.perKiB,
      unit: "computrons",
      kind: "deterministic",
      note: `the ten progress reports (ack and status over MQTT) included; first segment: ${Math.round(n.firstSegmentCompute)} computrons`,
    },
    {
      id: "ota.esp32.fullSlotDownloadXs",
      name: `a full slot's download in XS on the device (${slot} B; hash and signature in C, apart), ${ESP32_ESTIMATE}`,
      value: esp32Ms((slot / KIB) * n.perKiB) / 1000,
      unit: "s",
      kind: "estimate",
    },
    {
      id: "ota.xs.update.ramAboveSteady",
      name: `XS memory an update holds above the node's steady state, ESP32 estimate (slots x ${XS_SLOT_BYTES_ESP32} B + chunk bytes), most after a collection per step (${path})`,
      value: u.above.bytes,
      unit: "B",
      goal: goal("value", "<=", GOALS.otaUpdateRamBytes, `<= ${GOALS.otaUpdateRamBytes / KIB} KiB`),
      kind: "deterministic",
      note: `${u.above.slots} slots + ${u.above.chunkBytes} chunk bytes above the steady state (${steadyBytes} B in this xsnap, stub host and modules included); crypto native: ${n.above.bytes} B; before collection, at most ${u.peakSlots} slots above the steady state's most (pure-XS crypto's garbage)`,
      budgets: { "xs.ota.update.ramAboveSteadyBytes": u.above.bytes },
    },
  ];
}

function rolloutFigures(r: RolloutFigures): Figure[] {
  const what = `rollout to ${r.nodes} nodes`;
  const outcome = r.halted ? `halted by ${r.halted}` : Object.entries(r.results).map(([k, v]) => `${k} ${v}`).join(", ");
  return [
    {
      id: "ota.rollout.seconds",
      name: `${r.nodes} simulated nodes (fleet bench configuration) updated by runRollout through mosquitto on loopback, canary 1 then ${r.waves - 1} batches, a ${(r.imageBytes / KIB).toFixed(0)} KiB sim image: wall time of the whole rollout`,
      value: r.wallS,
      unit: "s",
      baseline: machineReference(r.referenceMs),
      kind: "wall",
      note: `node time ${r.virtualS.toFixed(0)} s (virtual; the slowest node ${r.slowestNodeS.toFixed(1)} s from command to outcome); ${r.served.requests} downloads, ${(r.served.bytes / KIB / KIB).toFixed(1)} MiB served${r.interrupted ? "; interrupted at the bound" : ""}`,
    },
    { id: "ota.rollout.confirmed", name: `${what}: nodes confirmed`, value: r.confirmed, unit: "nodes", baseline: { name: "nodes in the rollout", value: r.nodes }, goal: goal("value", ">=", r.nodes, `all ${r.nodes}`), kind: "wall", note: outcome },
    {
      id: "ota.rollout.failures",
      name: `${what}: nodes whose update failed (refused, failed, rolled back, timed out, offline)`,
      value: r.failures,
      unit: "nodes",
      baseline: { name: "nodes in the rollout", value: r.nodes }, 
      goal: goal("value", "==", 0, "none"),
      kind: "wall",
      note: r.errors.length ? `first errors: ${r.errors.join("; ")}` : undefined,
    },
    { id: "ota.rollout.rolledBack", name: `${what}: nodes rolled back`, value: r.rolledBack, unit: "nodes", baseline: { name: "nodes in the rollout", value: r.nodes }, goal: goal("value", "==", 0, "none"), kind: "wall" },
    {
      id: "ota.rollout.rss",
      name: `${what}: the process's resident memory at the end (every node on its new image, each in a context of its own)`,
      value: r.rssAfterMiB,
      unit: "MiB",
      baseline: { name: "the nodes booted, before the rollout", value: r.rssBeforeMiB },
      ratio: r.rssAfterMiB / r.rssBeforeMiB,
      kind: "wall",
    },
  ];
}
