/*
 * How many nodes one `sensor-node sim` runs (docs/cli.md, "Limits"). Every
 * simulated node holds one TCP connection to the broker, and the embedded
 * broker holds the other end in this same process (a scenario run puts a
 * fault proxy between them: two more): a run larger than the process's
 * open-file limit fails connection by connection (EMFILE) and leaves the
 * broker half-built, so it is refused before it starts, in one line.
 */
import * as fs from "node:fs";

/** The most nodes `--nodes` takes at all: far beyond what one machine keeps in real time (docs/fleet.md). */
export const MAX_SIM_NODES = 10_000;

/** Descriptors the process needs besides the nodes' sockets (Node itself, workers, observer, dashboard). */
const RESERVED_FDS = 256;

/** The process's open-file limit (Node raises the soft limit to the hard one at start), or undefined where /proc is not there. */
export function openFileLimit(): number | undefined {
  try {
    const line = /^Max open files\s+(\d+|unlimited)/m.exec(fs.readFileSync("/proc/self/limits", "utf8"));
    if (!line || line[1] === "unlimited") return undefined;
    return Number(line[1]);
  } catch {
    return undefined;
  }
}

/**
 * Why `nodes` nodes cannot run in this process (one line, naming --nodes), or undefined when they can.
 * Per node: its socket; the embedded broker's end of it; with `proxied` (a scenario run), the fault
 * proxy's two sockets between them.
 */
export function nodesProblem(nodes: number, how: { embeddedBroker: boolean; proxied?: boolean }, limit = openFileLimit()): string | undefined {
  if (limit === undefined) return undefined;
  const parts = ["its socket", ...(how.proxied ? ["the fault proxy's two"] : []), ...(how.embeddedBroker ? ["the embedded broker's end"] : [])];
  const perNode = 1 + (how.proxied ? 2 : 0) + (how.embeddedBroker ? 1 : 0);
  const need = nodes * perNode + RESERVED_FDS;
  if (need <= limit) return undefined;
  const most = Math.max(0, Math.floor((limit - RESERVED_FDS) / perNode));
  return `--nodes: ${nodes} nodes need about ${need} open files (${perNode} per node: ${parts.join(", ")}), more than this process may open (${limit}, ulimit -n): use at most ${most} nodes${how.embeddedBroker ? ", a broker of your own (--broker)," : ""} or raise the limit`;
}
