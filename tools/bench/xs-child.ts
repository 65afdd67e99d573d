/*
 * Runs the XS measurements in a process of its own: xsnap wants `@endo/init`,
 * which locks the whole process down, so the CLI process never imports it.
 *
 *   node build/tools/bench/xs-child.js '{"heap":{"n":4096,"windows":1000}}'
 *
 * Prints one JSON object {xs, heap, devicePath, fifo, fifoDecode, envelope} on stdout.
 */
import "@endo/init";
import { measureXs, measureXsDevicePath, measureXsEnvelope, measureXsFifoCopy, measureXsHeap } from "./xs-measure.js";

const request = JSON.parse(process.argv[2] ?? "{}") as { heap?: { n?: number; windows?: number }; monitorEvaluations?: number };
const xs = await measureXs({ monitorEvaluations: request.monitorEvaluations });
const heap = await measureXsHeap(request.heap ?? {});
const devicePath = await measureXsDevicePath();
const fifo = await measureXsFifoCopy("adxl345");
const fifoDecode = await measureXsFifoCopy("adxl355");
const envelope = { portable: await measureXsEnvelope(false), devicePath: await measureXsEnvelope(true) };
process.stdout.write(JSON.stringify({ xs, heap, devicePath, fifo, fifoDecode, envelope }) + "\n");
