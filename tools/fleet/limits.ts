/*
 * How many nodes one `sensor-node sim` runs (docs/cli.md, "Limits"). Every
 * simulated node holds one TCP connection to the broker, and the embedded
 * broker holds the other end in this same process: a fleet larger than the
 * process's open-file limit fails connection by connection (EMFILE) and
 * leaves the broker half-built, so it is refused before it starts, in one line.
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

/** Why `nodes` nodes cannot run in this process (one line, naming --nodes), or undefined when they can. */
export function nodesProblem(nodes: number, embeddedBroker: boolean, limit = openFileLimit()): string | undefined {
  if (limit === undefined) return undefined;
  const perNode = embeddedBroker ? 2 : 1;
  const need = nodes * perNode + RESERVED_FDS;
  if (need <= limit) return undefined;
  const most = Math.max(0, Math.floor((limit - RESERVED_FDS) / perNode));
  const why = embeddedBroker ? "two open files per node: its socket and the embedded broker's end of it" : "one open file per node (its socket)";
  return `--nodes: ${nodes} nodes need about ${need} open files (${why}), more than this process may open (${limit}, ulimit -n): use at most ${most} nodes${embeddedBroker ? ", a broker of your own (--broker)," : ""} or raise the limit`;
}
