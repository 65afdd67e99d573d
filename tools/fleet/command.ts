/*
 * `sensor-node sim` with --nodes N (a fleet over worker threads) and/or
 * --dashboard: the broker is started here when none is given, so that the
 * simulation and the dashboard share it.
 */
import * as os from "node:os";
import * as path from "node:path";
import { runSimulation } from "../simulator/simulation.js";
import { startAedes, type RunningBroker } from "../brokers/broker.js";
import { formatJsonLine, formatReadable, nodeLogPrinter } from "../cli/output.js";
import type { Scenario } from "../scenario/parse.js";
import { RunError, UsageError } from "../cli/args.js";
import { simOtaFromFlags } from "../ota/sim-options.js";
import { runFleet } from "./fleet.js";
import { FLEET_CONFIG } from "./specs.js";
import { cpuOption } from "../cli/cpu-flags.js";
import { startDashboard, type RunningDashboard } from "../dashboard/server.js";
import { DEFAULT_OPCUA_PORT } from "../opcua/command.js";
import { DEFAULT_DASHBOARD_PORT, listening } from "../cli/options.js";
import { DEFAULT_SPARKPLUG_GROUP } from "../opcua/sparkplug-input.js";

/** Where `sim --opcua` keeps the gateway's certificate between runs (made once: it takes seconds). */
const SIM_OPCUA_PKI = path.join(os.tmpdir(), "sensor-node-sim-opcua-pki");

/**
 * `sim --opcua`: the gateway beside the simulated nodes, on loopback only, anonymous and
 * SecurityPolicy None allowed, client certificates accepted (a lab: docs/opcua.md).
 */
async function startSimGateway(broker: string, scenario: Scenario | undefined, port: number) {
  const prefix = String((scenario?.node.config.mqtt as { prefix?: string } | undefined)?.prefix ?? "sensors");
  const sparkplugGroup = String((scenario?.node.config.sparkplug as { groupId?: string } | undefined)?.groupId ?? DEFAULT_SPARKPLUG_GROUP);
  const { startGateway } = await import("../opcua/gateway.js");
  const g = await listening("sensor-node sim", "--opcua-port", port, () =>
    startGateway({ broker, prefix, sparkplugGroup, port, host: "127.0.0.1", certsDir: SIM_OPCUA_PKI, allowAnonymous: true, trustUnknownClients: true, log: (l) => process.stderr.write(`opcua: ${l}\n`) }),
  );
  process.stderr.write(`opcua: ${g.endpointUrl} (anonymous, loopback only)\n`);
  return g;
}

export async function fleetOrDashboardSim(flags: Record<string, unknown>, scenario: Scenario | undefined, durationS: number | undefined): Promise<number> {
  const nodes = (flags.nodes as number | undefined) ?? 1;
  const json = Boolean(flags.json);
  const fleet = flags.workers !== undefined || (nodes > 1 && !scenario);
  if (fleet && scenario) throw new UsageError("sensor-node sim: --workers runs a fleet of generated machines; it does not take --scenario");
  const info = (m: string) => {
    if (!json) process.stderr.write(m + "\n");
  };
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  let embedded: RunningBroker | undefined;
  let dashboard: RunningDashboard | undefined;
  let gateway: { close(): Promise<void> } | undefined;
  try {
    let broker = flags.broker as string | undefined;
    if (!broker) {
      embedded = await startAedes(0);
      broker = embedded.url;
      info(`embedded MQTT broker (aedes) on ${broker}`);
    }
    if (flags.dashboard) {
      const prefix = String((scenario?.node.config.mqtt as { prefix?: string } | undefined)?.prefix ?? "sensors");
      // The configuration the nodes run: the page draws its alarm levels, zones and speed.
      const config = fleet ? { ...FLEET_CONFIG, ...(flags.payload ? { payload: flags.payload } : {}) } : (scenario?.node.config ?? {});
      const port = (flags.port as number | undefined) ?? DEFAULT_DASHBOARD_PORT;
      dashboard = await listening("sensor-node sim", "--port", port, () => startDashboard({ broker: broker!, prefix, port, nodeConfig: () => config }));
      process.stderr.write(`dashboard on ${dashboard.url}\n`);
    }
    if (flags.opcua) gateway = await startSimGateway(broker, scenario, (flags["opcua-port"] as number | undefined) ?? DEFAULT_OPCUA_PORT);
    const log = nodeLogPrinter(Boolean(flags.verbose));
    if (fleet) {
      const r = await runFleet({
        nodes,
        workers: flags.workers as number | undefined,
        broker,
        speed: (flags.speed as number | "max" | undefined) ?? 1,
        cpu: cpuOption("sensor-node sim", flags),
        durationS,
        seed: flags.seed as number | undefined,
        config: flags.payload ? { payload: flags.payload } : undefined,
        ota: simOtaFromFlags("sensor-node sim", flags),
        signal: abort.signal,
        verbose: Boolean(flags.verbose),
        onMessage: json ? (m) => process.stdout.write(formatJsonLine(m) + "\n") : undefined,
        onInfo: info,
        onLog: log,
        onProgress: (p) => info(`${p.realS.toFixed(0)} s: ${p.delivered} messages delivered (${p.rate.toFixed(0)}/s), virtual time ${p.lagMs} ms behind real time`),
      });
      info(
        `${r.nodes} nodes on ${r.workers} worker(s), ${r.virtualS.toFixed(1)} s: ${r.delivered}/${r.published} messages delivered, ${r.nodesComplete} nodes complete, ${r.duplicates} duplicates; ` +
          `lag max ${r.lagMaxMs} ms; CPU ${r.cpuPct}% of a core; ${r.keptUp ? "kept up" : "did not keep up: " + r.reasons.join("; ")}`,
      );
      if (r.lost) throw new RunError(`sensor-node sim: ${r.lost}`);
      return 0;
    }
    const summary = await runSimulation({
      scenario,
      nodes,
      broker,
      speed: (flags.speed as number | "max" | undefined) ?? 1,
      cpu: cpuOption("sensor-node sim", flags),
      durationS,
      seed: flags.seed as number | undefined,
      payload: flags.payload as "json" | "sparkplug" | undefined,
      ota: simOtaFromFlags("sensor-node sim", flags),
      signal: abort.signal,
      onMessage: (m) => process.stdout.write((json ? formatJsonLine(m) : formatReadable(m)) + "\n"),
      onLog: log,
      onInfo: info,
    });
    info(`${summary.messages} messages from ${summary.nodes} node(s) in ${(summary.virtualMs / 1000).toFixed(1)} s simulated`);
    if (summary.problem) throw new RunError(`sensor-node sim: ${summary.problem}`);
    return 0;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await dashboard?.close();
    await gateway?.close();
    await embedded?.close();
  }
}
