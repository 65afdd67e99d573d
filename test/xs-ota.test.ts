/*
 * Update verification inside the real XS engine (xsnap): the firmware's SHA-256
 * and P-256 verifier run there on node:crypto's signatures, and a streaming
 * verification of a 256 KiB package passes; the computrons and heap are held to
 * bench/budgets.json (deterministic: no time is measured).
 */
import "@endo/init";
import test from "ava";
import { checkBudget } from "./helpers/budgets.js";
import { measureXsOta } from "../tools/bench/xs-ota.js";

/** CI streams 256 KiB (the heap pattern does not depend on the length); the bench streams a full slot. */
const CI_PAYLOAD_BYTES = 256 * 1024;

test("XS: SHA-256 per KiB, one P-256 verification, and a streaming verification's heap stay within their budgets", async (t) => {
  const f = await measureXsOta({ payloadBytes: CI_PAYLOAD_BYTES });
  t.log(f);
  checkBudget(t, "xs.ota.sha256PerKiB", f.sha256PerKiB);
  checkBudget(t, "xs.ota.verifyP256", f.verifyP256);
  checkBudget(t, "xs.ota.streamPeakSlots", f.peakSlotsAbove);
  checkBudget(t, "xs.ota.streamRetainedSlots", f.retainedSlotsAbove);
});
