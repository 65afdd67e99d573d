/*
 * The Improv service runs in the real XS engine (xsnap): one fixed session gives
 * the same bytes on the wire and the same log lines in XS and in Node. XS tests
 * live in their own files (xsnap needs a locked-down process).
 */
import "@endo/init";
import test from "ava";
import { withXsSession, xsCase } from "../tools/xs/harness.js";
import { runCaseHere } from "../tools/xs/cases/runtime.js";
import { cases } from "./xs/improv-case.js";
import { packets } from "./helpers/improv.js";

test("parity: an Improv session over the simulated UART is byte-identical in XS and Node", async (t) => {
  await withXsSession("test/xs/improv-case.ts", async (s) => {
    const xs = await xsCase(s, "session");
    const node = runCaseHere(cases, "session") as { wire: number[]; logs: string[] };
    t.deepEqual(xs.value, node);
    // What it holds: every answer a whole packet; provisioned at last, after one "unable to connect".
    const out = packets(new Uint8Array(node.wire));
    t.true(out.length > 15, `${out.length} packets`);
    t.deepEqual(out.filter((p) => p.type === 0x02 && p.data[0] === 0x03).length, 1);
    t.deepEqual(out.filter((p) => p.type === 0x01).at(-1)!.data, new Uint8Array([0x04]));
    t.log(`improv session: XS ${xs.compute} computrons, heap ${xs.heapCount}`);
  });
});
