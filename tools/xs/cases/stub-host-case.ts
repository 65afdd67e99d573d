/* The stub host alone (no firmware): the baseline the firmware's own memory is measured above (tools/xs/cases/firmware-case.ts). */
import { flashBytesHeld } from "./host-parts.js";
import { buildStubHost, type StubHost } from "./stub-host.js";
import { onCommand } from "./runtime.js";

let stub: StubHost | undefined;

onCommand((msg: { op: string; spec?: { nodeId: string; epochMs: number } }) => {
  if (msg.op === "host") stub = buildStubHost(msg.spec!.nodeId, msg.spec!.epochMs);
  else if (msg.op === "gc") (globalThis as unknown as { gc?: () => void }).gc?.();
  else throw new Error(`unknown op ${msg.op}`);
  return { flash: flashBytesHeld(), built: stub !== undefined };
});
