/*
 * What a firmware image offers the host that boots it: the simulator evaluates
 * a bundle of this module (docs/ota.md, "In the simulator") from the slot it
 * boots, so an update really changes the code that runs. The device's entry is
 * hosts/moddable/main.ts; this one names the same parts for the simulator.
 */
export { NodeApp } from "./node.js";
export { FIRMWARE_VERSION_TEXT as FIRMWARE_VERSION } from "./version.js";
export { resolveConfig } from "./config.js";
export { FieldNode } from "../provision/field-node.js";
export { startImprov } from "../provision/improv-service.js";
export { WifiOnlyTarget } from "../provision/wifi-only-target.js";
export { FieldImprovTarget } from "../provision/field-improv-target.js";
