/*
 * Boots a firmware image the simulator found in a slot (docs/ota.md, "In the
 * simulator"): the payload of a sim package is the firmware bundled as one
 * script (tools/ota/pack.ts); each boot evaluates it in a fresh V8 context, so
 * the code that runs is exactly what was signed and nothing of the previous
 * image's module state survives. The compiled script is shared by the nodes
 * that boot the same bytes.
 */
import crypto from "node:crypto";
import vm from "node:vm";
import type * as ImageModule from "../../firmware/app/image.js";
import { SIM_BUNDLE_GLOBAL } from "../ota/pack.js";

/** What an image offers its host (firmware/app/image.ts), and the update keys `ota pack` stamped into it. */
export type FirmwareImage = typeof ImageModule & { otaKeys?: string };

const scripts = new Map<string, vm.Script>();

/** Evaluates the bundle `bytes` in a new context; throws what the image throws while loading. */
export function loadImage(bytes: Uint8Array): FirmwareImage {
  const digest = crypto.createHash("sha256").update(bytes).digest("hex");
  let script = scripts.get(digest);
  if (!script) {
    const source = `${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8")}\n;${SIM_BUNDLE_GLOBAL}`;
    script = new vm.Script(source, { filename: `image-${digest.slice(0, 12)}.js` });
    scripts.set(digest, script);
  }
  const image = script.runInContext(vm.createContext({})) as FirmwareImage | undefined;
  if (!image || typeof image.NodeApp !== "function") throw new Error(`the image defines no ${SIM_BUNDLE_GLOBAL}.NodeApp`);
  return image;
}
