/*
 * `sensor-node ota push --broker URL --image FILE (--node ID ... | --all) ...`
 * (docs/cli.md, docs/ota.md "Rollout"): runRollout with the options checked.
 * Progress goes to stderr, the table and the summary to stdout. Exit 0 when
 * every targeted node confirmed (or already ran the version), 1 when the
 * rollout failed, halted or could not run, 2 for bad usage.
 */
import { helpText, parseArgs, UsageError, type FlagSpec } from "../cli/args.js";
import { isNodeId, isTopicPrefix } from "../../firmware/app/config.js";
import { brokerOption } from "../cli/options.js";
import { RolloutError } from "./fleet-link.js";
import { readPackage } from "./image.js";
import { DEFAULTS, runRollout, type BatchSize } from "./rollout.js";
import { rolloutSummary, rolloutTable } from "./rollout-report.js";

const CMD = "sensor-node ota push";
export const PUSH_USAGE = `Usage: ${CMD} --broker URL --image FILE (--node ID ... | --all) [--prefix P] [--serve HOST:PORT] [--canary N] [--batch N|P%] [--confirm-timeout S]`;

const PUSH_FLAGS: Record<string, FlagSpec> = {
  broker: { kind: "string", help: "the fleet's broker, mqtt://host:port or mqtts://; credentials as mqtt://user:password@host (never printed)" },
  image: { kind: "string", help: "the package (sensor-node ota pack)" },
  node: { kind: "string", repeat: true, help: "a node to update; repeat it, list ids after it, or separate them with commas" },
  all: { kind: "boolean", help: "every node with a retained status under the prefix (offline ones are reported, not targeted)" },
  prefix: { kind: "string", help: `the nodes' topic prefix (default ${DEFAULTS.prefix})` },
  serve: { kind: "string", help: `where the package is served, HOST:PORT (default ${DEFAULTS.host}:0, a free port): an address the nodes reach` },
  canary: { kind: "number", help: `nodes updated first, alone (default ${DEFAULTS.canary}; 0: none)`, min: 0, integer: true },
  batch: { kind: "string", help: `nodes per batch after the canary: N, or P% of the nodes to update (default ${DEFAULTS.batchPercent}%)` },
  "confirm-timeout": { kind: "number", help: `seconds a node has, from its command, to confirm (default ${DEFAULTS.confirmTimeoutS})`, min: 1, max: 7 * 24 * 3600 },
  help: { kind: "boolean", help: "show this help" },
};

type Out = (line: string) => void;

function serveOption(text: string | undefined): { host: string; port: number } | undefined {
  if (text === undefined) return undefined;
  const m = /^(\[[^\]]+\]|[^:[\]]+):(\d{1,5})$/.exec(text);
  if (!m || Number(m[2]) > 65535) throw new UsageError(`${CMD}: --serve expects HOST:PORT (e.g. 192.168.1.10:8080; [::1]:0), got ${JSON.stringify(text)}`);
  const host = m[1].replace(/^\[|\]$/g, "");
  if (host === "0.0.0.0" || host === "::") throw new UsageError(`${CMD}: --serve ${text}: the host is also the address in the nodes' URL; give one they reach, not ${host}`);
  return { host, port: Number(m[2]) };
}

function batchOption(text: string | undefined): BatchSize | undefined {
  if (text === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)(%?)$/.exec(text);
  const n = m ? Number(m[1]) : NaN;
  if (m && m[2] && n > 0 && n <= 100) return { percent: n };
  if (m && !m[2] && Number.isInteger(n) && n >= 1) return { nodes: n };
  throw new UsageError(`${CMD}: --batch expects a whole number of nodes (>= 1) or a share such as 10%, got ${JSON.stringify(text)}`);
}

/** `--node a b,c --node d` as `--node a --node b,c --node d`: the ids after a --node value belong to it, in order. */
function nodeLists(argv: string[]): string[] {
  const out: string[] = [];
  let inList = false;
  for (const arg of argv) {
    if (arg.startsWith("--")) {
      inList = arg === "--node" || arg.startsWith("--node=");
      out.push(arg);
    } else if (inList && out[out.length - 1] !== "--node") out.push("--node", arg);
    else out.push(arg);
  }
  return out;
}

function nodesOption(values: string[] | undefined): string[] | undefined {
  if (!values) return undefined;
  const ids = values.flatMap((v) => v.split(",")).filter((id) => id !== "");
  const bad = ids.find((id) => !isNodeId(id));
  if (bad !== undefined) throw new UsageError(`${CMD}: --node ${JSON.stringify(bad)} is not a node id (1-64 of A-Z a-z 0-9 _ -)`);
  return ids;
}

export async function pushCommand(argv: string[], out: Out = (l) => process.stdout.write(l + "\n"), err: Out = (l) => process.stderr.write(l + "\n")): Promise<number> {
  const { flags } = parseArgs(CMD, nodeLists(argv), PUSH_FLAGS, 0);
  if (flags.help) {
    out(helpText(PUSH_USAGE, PUSH_FLAGS).trimEnd());
    return 0;
  }
  const broker = brokerOption(CMD, flags.broker as string | undefined, { required: true })!;
  if (typeof flags.image !== "string") throw new UsageError(`${CMD}: --image FILE is required (a package from sensor-node ota pack)`);
  const nodes = nodesOption(flags.node as string[] | undefined);
  const all = Boolean(flags.all);
  if (all === Boolean(nodes)) throw new UsageError(`${CMD}: give the nodes (--node ID ...) or --all, one of the two`);
  const prefix = (flags.prefix as string | undefined) ?? DEFAULTS.prefix;
  if (!isTopicPrefix(prefix)) throw new UsageError(`${CMD}: --prefix ${JSON.stringify(prefix)} must be a non-empty topic without wildcards or a trailing '/'`);
  const serve = serveOption(flags.serve as string | undefined);
  const batch = batchOption(flags.batch as string | undefined);
  const image = readPackage(`${CMD}: --image`, flags.image);
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    const report = await runRollout({
      broker,
      image,
      nodes,
      all,
      prefix,
      serve,
      canary: flags.canary as number | undefined,
      batch,
      confirmTimeoutS: flags["confirm-timeout"] as number | undefined,
      signal: abort.signal,
      onProgress: (p) => err(p.text),
    });
    if (report.rows.length) out(rolloutTable(report.rows));
    out(rolloutSummary(report));
    return report.ok ? 0 : 1;
  } catch (e) {
    if (e instanceof RolloutError) {
      err(`${CMD}: ${e.message}`);
      return 1;
    }
    throw e;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
