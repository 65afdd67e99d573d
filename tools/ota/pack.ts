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
/** What a simulator package carries without --bin: the firmware's image entry, bundled for a fresh context (docs/ota.md). */
export const SIM_BUNDLE_ENTRY = path.join(ROOT, "firmware", "app", "image.ts");
/** The module whose constant is the image's version: stamped with the package's. */
const VERSION_MODULE = /[\\/]firmware[\\/]app[\\/]version\.ts$/;
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

export interface BundleStamp {
  /** The image's own version (status `fw`): the package's. */
  version: string;
  /** The update keys the image trusts (`otaKeys`, base64 DER): the simulator's stand-in for a device build's config. */
  otaKeys: string;
}

/** The firmware bundled as one script (esbuild: a dev dependency, loaded only here), stamped with its version and keys. */
export async function simBundle(stamp: BundleStamp): Promise<Uint8Array> {
  const esbuild = await import("esbuild");
  const r = await esbuild.build({
    plugins: [
      {
        name: "stamp-version",
        setup(build) {
          build.onLoad({ filter: VERSION_MODULE }, () => ({ contents: `export const FIRMWARE_VERSION_TEXT = ${JSON.stringify(stamp.version)};`, loader: "ts" }));
        },
      },
    ],
    footer: { js: `${SIM_BUNDLE_GLOBAL}.otaKeys = ${JSON.stringify(stamp.otaKeys)};` },
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
