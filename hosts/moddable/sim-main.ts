/*
 * Moddable desktop simulator entry (manifests/sim.json, `-p lin`): the simulated
 * node of hosts/moddable/sim-node.ts (preloaded) with the build's mc/config.
 */
import config from "mc/config";
import { startSimNode, type SimConfig } from "./sim-node.js";

startSimNode(config as SimConfig);
