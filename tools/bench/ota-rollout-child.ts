/*
 * The rollout figures in a process of their own, so that its resident memory is
 * the fleet's alone: node build/tools/bench/ota-rollout-child.js '{"nodes":N}'.
 */
import { measureRollout } from "./ota-rollout.js";

const request = JSON.parse(process.argv[2] ?? "{}") as { nodes: number };
const figures = await measureRollout({ nodes: request.nodes, log: (m) => process.stderr.write(m + "\n") });
process.stdout.write(JSON.stringify(figures) + "\n");
process.exit(0);
