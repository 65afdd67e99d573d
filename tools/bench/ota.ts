/*
 * Update verification (docs/ota.md): the firmware's pure-XS SHA-256 and P-256
 * verifier in xsnap (deterministic), a streaming verification of a package as
 * large as the device's OTA slot, and the device's time for a full slot as an
 * ESTIMATE: the device hashes in the SDK's C, so its time comes from a named
 * assumption about C on the ESP32, not from XS computrons.
 */
import { fileURLToPath } from "node:url";
import { runJsonChild } from "./child.js";
import { ESP32_ESTIMATE, esp32Ms } from "./esp32.js";
import type { BenchModule, Figure } from "./types.js";
import type { XsOtaFigures } from "./xs-ota.js";
import { deviceSlotBytes } from "../ota/partitions.js";

const CHILD = fileURLToPath(new URL("./xs-ota-child.js", import.meta.url));
/** Assumed: a portable C SHA-256 (the SDK's KCL fips180, no hardware help) on the ESP32's Xtensa LX6. */
export const NATIVE_SHA256_CYCLES_PER_BYTE = 50;
export const ESP32_CPU_HZ = 240e6;
const KIB = 1024;
/** --quick streams this much instead of a full slot (the heap pattern does not depend on the length). */
const QUICK_PAYLOAD_BYTES = 256 * KIB;

export const otaBench: BenchModule = {
  name: "ota",
  title: "Update verification: SHA-256 and ECDSA P-256 in XS, full-slot estimate",
  quick: true,
  async run(ctx): Promise<Figure[]> {
    const slot = deviceSlotBytes();
    const payloadBytes = ctx.quick ? QUICK_PAYLOAD_BYTES : slot;
    ctx.log(`ota: streaming verification of ${payloadBytes} bytes in XS`);
    const f = await runJsonChild<XsOtaFigures>(CHILD, { payloadBytes }, "xs-ota-child", 30 * 60_000);
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
  },
};
