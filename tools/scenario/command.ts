/*
 * `sensor-node scenario FILE [--broker URL] [--junit OUT] [--speed X|max] [--json]`
 * (docs/scenarios.md): exit 0 when every expectation holds, 1 when one fails,
 * 2 for a bad file or bad options (the message names the place).
 */
import { helpText, parseArgs, readOptionFile, UsageError, type FlagSpec } from "../cli/args.js";
import { brokerOption, DEFAULT_DASHBOARD_PORT, listening, outputFileOption, portOption, writeReport } from "../cli/options.js";
import { parseScenario } from "./parse.js";
import { formatJsonLine } from "../cli/output.js";
import { formatReport, runScenario } from "./runner.js";
import { junitXml } from "./junit.js";
import { startDashboard, type RunningDashboard } from "../dashboard/server.js";
import { CPU_FLAGS, cpuOption } from "../cli/cpu-flags.js";

const FLAGS: Record<string, FlagSpec> = {
  broker: { kind: "string", help: "MQTT broker URL (mqtt://host:port); default: an embedded aedes broker" },
  junit: { kind: "string", help: "write JUnit XML (one testcase per expectation) to this file" },
  speed: { kind: "number", help: "virtual time per real time, or max (default max)", min: 0.001, max: 1e6, words: ["max"] },
  json: { kind: "boolean", help: "print every MQTT message as one JSON object per line on stdout (the report goes to stderr)" },
  verbose: { kind: "boolean", help: "also print the node's log lines" },
  target: { kind: "string", help: "sim (default: a simulated node in virtual time) or device (a running node in real time, fed HIL frames: docs/hil.md)" },
  node: { kind: "string", help: "--target device: the node's id (topics <prefix>/<node>/...)" },
  dashboard: { kind: "boolean", help: "serve the live dashboard (docs/dashboard.md) for the run; it stays up after the report until Ctrl-C" },
  port: { kind: "number", help: `--dashboard: the page's port on 127.0.0.1 (default ${DEFAULT_DASHBOARD_PORT}, 0: a free one)`, min: 0, max: 65535, integer: true },
  ...CPU_FLAGS,
  help: { kind: "boolean", help: "show this help" },
};

export async function scenarioCommand(argv: string[]): Promise<number> {
  const { flags, positional } = parseArgs("sensor-node scenario", argv, FLAGS, 1);
  if (flags.help) {
    process.stdout.write(helpText("Usage: sensor-node scenario FILE [options]", FLAGS));
    return 0;
  }
  const command = "sensor-node scenario";
  const file = positional[0];
  if (!file) throw new UsageError(`${command}: missing FILE (the scenario to run; sensor-node scenario --help shows the options)`);
  const scenario = parseScenario(readOptionFile(command, file), file);
  if (flags.target !== undefined && flags.target !== "sim" && flags.target !== "device") throw new UsageError(`${command}: --target expects sim or device, got ${JSON.stringify(flags.target)}`);
  // Checked before the run (a run can take minutes): the broker URL, the report's folder, the dashboard's port.
  brokerOption(command, flags.broker as string | undefined, { plainOnly: flags.target === "device" ? "the device target" : "the scenario runner" });
  if (flags.junit !== undefined) outputFileOption(command, "--junit", String(flags.junit));
  cpuOption(command, flags);
  if (flags.target === "device") return (await import("../hil/command.js")).deviceScenario(file, scenario, flags);
  if (flags.node !== undefined) throw new UsageError(`${command}: --node goes with --target device`);
  if (flags.port !== undefined && !flags.dashboard) throw new UsageError(`${command}: --port goes with --dashboard`);
  const dashboardPort = (flags.port as number | undefined) ?? DEFAULT_DASHBOARD_PORT;
  if (flags.dashboard) await portOption(command, "--port", dashboardPort);
  const json = Boolean(flags.json);
  let dashboard: RunningDashboard | undefined;
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once("SIGINT", onSignal);
  let lastProgress = performance.now();
  try {
    const result = await runScenario(scenario, {
      source: file,
      broker: flags.broker as string | undefined,
      speed: (flags.speed as number | "max" | undefined) ?? "max",
      cpu: cpuOption(command, flags),
      signal: abort.signal,
      onMessage: json ? (m) => process.stdout.write(formatJsonLine(m) + "\n") : undefined,
      onProgress: (ms, total) => {
        const now = performance.now();
        if (now - lastProgress < 1000) return;
        lastProgress = now;
        process.stderr.write(`${file}: ${(ms / 1000).toFixed(0)} of ${(total / 1000).toFixed(0)} s simulated (${Math.floor((100 * ms) / total)}%)\n`);
      },
      onLog: (level, message) => {
        if (flags.verbose || level === "error") process.stderr.write(`${level}: ${message}\n`);
      },
      onBroker: flags.dashboard
        ? async (url, prefix) => {
            dashboard = await listening(command, "--port", dashboardPort, () => startDashboard({ broker: url, prefix, port: dashboardPort, nodeConfig: () => scenario.node.config }));
            process.stderr.write(`dashboard: ${dashboard.url}\n`);
          }
        : undefined,
    });
    if (abort.signal.aborted) {
      process.stderr.write("interrupted\n");
      return 1;
    }
    (json ? process.stderr : process.stdout).write(formatReport(result));
    if (flags.junit) writeReport(command, "--junit", String(flags.junit), junitXml([result]));
    if (dashboard && !abort.signal.aborted) {
      // The page keeps what it saw (trends, spectrum, alarms) for a look after the run, and says the run is over.
      dashboard.finish(`run finished: ${result.passed ? "every expectation holds" : "an expectation failed"}`);
      process.stderr.write(`dashboard stays up at ${dashboard.url} until Ctrl-C\n`);
      await new Promise<void>((resolve) => abort.signal.addEventListener("abort", () => resolve(), { once: true }));
    }
    return result.passed ? 0 : 1;
  } finally {
    process.off("SIGINT", onSignal);
    await dashboard?.close();
  }
}
