/*
 * Check app for preload on the real Moddable runtime (not CI; see docs/moddable.md,
 * "Preload"): the simulated node of manifests/sim.json, with the XS heap traced as
 * JSON lines after a collection: at boot (every module loaded: preloaded ones are
 * in flash, the others' instances in RAM) and once the node is started.
 * "XS Slot Heap Used" is bytes: slots x sizeof(txSlot), 32 B on 64-bit lin, 16 B on the ESP32.
 */
import Instrumentation from "instrumentation";
import Debug from "debug";
import Timer from "timer";
import config from "mc/config";
import { startSimNode } from "hosts/moddable/sim-node";

const SLOT_BYTES = 32; // lin is 64-bit

function heap(stage) {
	Debug.gc();
	const slotBytes = Instrumentation.get(Instrumentation.map("XS Slot Heap Used"));
	const chunks = Instrumentation.get(Instrumentation.map("XS Chunk Heap Used"));
	const modules = Instrumentation.get(Instrumentation.map("XS Modules Loaded"));
	trace(JSON.stringify({ stage, slots: slotBytes / SLOT_BYTES, chunks, modules }) + "\n");
}

heap("boot");
startSimNode(config);
heap("started");
Timer.set(() => heap("running 5 s"), 5000);
