/*
 * `sensor-node ota pack`: an update package (docs/ota.md, "Package format"):
 * header, its ECDSA P-256 signature (raw r || s), payload. The header carries
 * the payload's SHA-256, so the signature covers both.
 */
import crypto from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { encodeHeader, type Target } from "../../firmware/ota/header.js";

/** build/tools/ota -> the repository. */
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
/** What a simulator package carries without --bin: the firmware's node, bundled for a fresh context (docs/ota.md). */
export const SIM_BUNDLE_ENTRY = path.join(ROOT, "firmware", "app", "node.ts");
/** The global the bundle defines (an iife): the simulator reads startNode from it. */
export const SIM_BUNDLE_GLOBAL = "SensorNodeFirmware";

export interface PackInput {
  target: Target;
  version: string;
  counter: number;
  payload: Uint8Array;
  key: crypto.KeyObject;
}

export function packPackage(p: PackInput): Uint8Array {
  const sha256 = crypto.createHash("sha256").update(p.payload).digest();
  const header = encodeHeader({ target: p.target, version: p.version, counter: p.counter, payloadSize: p.payload.length, sha256 });
  // ieee-p1363: r || s, 32 bytes each (the package's form), not DER.
  const signature = crypto.sign("sha256", header, { key: p.key, dsaEncoding: "ieee-p1363" });
  return Buffer.concat([header, signature, p.payload]);
}

/** The firmware bundled as one script (esbuild: a dev dependency, loaded only here). */
export async function simBundle(): Promise<Uint8Array> {
  const esbuild = await import("esbuild");
  const r = await esbuild.build({
    entryPoints: [SIM_BUNDLE_ENTRY],
    bundle: true,
    write: false,
    format: "iife",
    globalName: SIM_BUNDLE_GLOBAL,
    platform: "neutral",
    target: "es2022",
    mainFields: ["module", "main"],
    logLevel: "silent",
    legalComments: "none",
  });
  return r.outputFiles[0].contents;
}
