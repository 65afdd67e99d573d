/*
 * The update-verification XS figures in a process of their own (xsnap wants
 * `@endo/init`): node build/tools/bench/xs-ota-child.js '{"payloadBytes":N}'.
 */
import "@endo/init";
import { measureXsOta } from "./xs-ota.js";

const request = JSON.parse(process.argv[2] ?? "{}") as { payloadBytes: number };
process.stdout.write(JSON.stringify(await measureXsOta(request)) + "\n");
