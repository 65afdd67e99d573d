/*
 * Updates inside the real XS engine (xsnap): the firmware's SHA-256 and P-256
 * verifier run there on node:crypto's signatures, and a streaming verification
 * of a 256 KiB package passes; the node (NodeApp on the stub host) takes
 * cmd/ota and downloads, verifies and writes a package signed by node:crypto
 * one TCP segment at a time while its windows go on. The computrons and heap
 * are held to bench/budgets.json (deterministic: no time is measured).
 */
import "@endo/init";
import test from "ava";
import { checkBudget } from "./helpers/budgets.js";
import { measureXsOta } from "../tools/bench/xs-ota.js";
import { measureXsOtaUpdate } from "../tools/bench/xs-ota-update.js";

/** CI streams 256 KiB (the heap pattern and the cost per KiB do not depend on the length); the bench streams a full slot. */
const CI_PAYLOAD_BYTES = 256 * 1024;

test("XS: SHA-256 per KiB, one P-256 verification, and a streaming verification's heap stay within their budgets", async (t) => {
  const f = await measureXsOta({ payloadBytes: CI_PAYLOAD_BYTES });
  t.log(f);
  checkBudget(t, "xs.ota.sha256PerKiB", f.sha256PerKiB);
  checkBudget(t, "xs.ota.verifyP256", f.verifyP256);
  checkBudget(t, "xs.ota.streamPeakSlots", f.peakSlotsAbove);
  checkBudget(t, "xs.ota.streamRetainedSlots", f.retainedSlotsAbove);
});

test("XS: the node downloads, verifies and writes a signed package between its windows; cost per KiB and memory above its steady state stay within their budgets", async (t) => {
  const pure = await measureXsOtaUpdate({ payloadBytes: CI_PAYLOAD_BYTES });
  t.log(pure);
  // measureXsOtaUpdate throws unless the update ended `rebooting` with the slot complete; the whole package was read, the node kept its windows.
  t.is(pure.state, "rebooting");
  t.true(pure.windows >= Math.floor(pure.packageBytes / (pure.segmentBytes * pure.segmentsPerStep)), "windows went on during the download");
  checkBudget(t, "xs.ota.update.perKiB", pure.perKiB);
  checkBudget(t, "xs.ota.update.ramAboveSteadyBytes", pure.above.bytes);
  const native = await measureXsOtaUpdate({ payloadBytes: CI_PAYLOAD_BYTES, native: true });
  t.log(native);
  checkBudget(t, "xs.ota.update.devicePathPerKiB", native.perKiB);
});
