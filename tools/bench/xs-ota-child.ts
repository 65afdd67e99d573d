/*
 * The update XS figures in a process of their own (xsnap wants `@endo/init`):
 * node build/tools/bench/xs-ota-child.js '{"payloadBytes":N}'. The verifier
 * alone (xs-ota.ts), then the node's whole update path with the pure crypto
 * and with a native stand-in (xs-ota-update.ts), each on N bytes of payload.
 */
import "@endo/init";
import { measureXsOta, type XsOtaFigures } from "./xs-ota.js";
import { measureXsOtaUpdate, type XsOtaUpdateFigures } from "./xs-ota-update.js";

export interface XsOtaChildFigures {
  verify: XsOtaFigures;
  update: XsOtaUpdateFigures;
  native: XsOtaUpdateFigures;
}

const request = JSON.parse(process.argv[2] ?? "{}") as { payloadBytes: number };
const log = (m: string) => process.stderr.write(m + "\n");
const figures: XsOtaChildFigures = {
  verify: await measureXsOta(request),
  update: await measureXsOtaUpdate({ payloadBytes: request.payloadBytes, log }),
  native: await measureXsOtaUpdate({ payloadBytes: request.payloadBytes, native: true, log }),
};
process.stdout.write(JSON.stringify(figures) + "\n");
