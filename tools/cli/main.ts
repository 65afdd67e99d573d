/*
 * `sensor-node`: the command-line entry point (docs/cli.md).
 */
import * as fs from "node:fs";
import { helpText, parseArgs, readOptionFile, RunError, UsageError, type FlagSpec } from "./args.js";
import { MAX_FLEET_NODES, parseScenario, ScenarioError, type Scenario } from "../scenario/parse.js";
import { ConfigError, resolveConfig, samplerRingMs } from "../../firmware/app/config.js";
import { acquisitionProblem } from "./acquisition-check.js";
import { runSimulation } from "../simulator/simulation.js";
import { formatReadable, formatJsonLine, nodeLogPrinter } from "./output.js";
import { CPU_FLAGS, cpuOption } from "./cpu-flags.js";
import { simOtaFromFlags } from "../ota/sim-options.js";
import { FIRMWARE_VERSION_TEXT } from "../../firmware/app/version.js";
import { brokerOption, DEFAULT_DASHBOARD_PORT, portOption } from "./options.js";
import { MAX_SIM_NODES, nodesProblem } from "../fleet/limits.js";
import { DEFAULT_OPCUA_PORT } from "../opcua/command.js";

const SIM_FLAGS: Record<string, FlagSpec> = {
  nodes: { kind: "number", help: `number of simulated nodes (default 1; at most ${MAX_SIM_NODES}, and what the open-file limit allows: docs/cli.md)`, min: 1, max: MAX_SIM_NODES, integer: true },
  broker: { kind: "string", help: "MQTT broker URL (mqtt://host:port); default: an embedded aedes broker" },
  scenario: { kind: "string", help: "scenario file (JSON, docs/scenarios.md)" },
  speed: { kind: "number", help: "virtual time per real time, or max (default 1)", min: 0.001, max: 1e6, words: ["max"] },
  duration: { kind: "number", help: "stop after S simulated seconds (default: the scenario's, else run until Ctrl-C)", min: 0.001 },
  seed: { kind: "number", help: "random seed (default: the scenario's, else 1)", min: 0, max: 2 ** 32 - 1, integer: true },
  json: { kind: "boolean", help: "print every MQTT message as one JSON object per line" },
  payload: { kind: "string", help: "json (schema v1, default) or sparkplug (Sparkplug B)" },
  verbose: { kind: "boolean", help: "also print the nodes' informational log lines" },
  workers: { kind: "number", help: "fleet: worker threads for the nodes (default: the number of cores; docs/fleet.md)", min: 1, max: 256, integer: true },
  dashboard: { kind: "boolean", help: "serve a live web dashboard on 127.0.0.1 (docs/dashboard.md)" },
  port: { kind: "number", help: "dashboard HTTP port (default 8080; 0 picks a free one); with --factory, the setup page's (default: a free one)", min: 0, max: 65535, integer: true },
  factory: { kind: "boolean", help: "one node fresh from the factory: unprovisioned, its console on a pseudo-terminal for Improv Wi-Fi and its setup page on loopback (docs/provisioning.md)" },
  opcua: { kind: "boolean", help: "also serve the nodes over OPC UA on 127.0.0.1 (anonymous allowed; docs/opcua.md)" },
  "opcua-port": { kind: "number", help: "with --opcua: the OPC UA port (default 4840; 0 picks a free one)", min: 0, max: 65535, integer: true },
  storage: { kind: "string", help: "keep the nodes' flash (settings, provisioning, outbox) in this folder across runs (default: memory)" },
  "ota-key": { kind: "string", help: "public key(s) (PEM, comma-separated) the nodes trust for updates over the air (default: the development key, docs/ota.md)" },
  image: { kind: "string", help: "start the nodes from this update package (ota pack --target sim) instead of the built-in firmware" },
  ...CPU_FLAGS,
  help: { kind: "boolean", help: "show this help" },
};

const USAGE = `Usage: sensor-node <command> [options]

Commands:
  sim                 run simulated node(s) on simulated machines, publishing over MQTT
  scenario FILE       run a scenario in virtual time and check its expectations (docs/scenarios.md);
                      --target device --broker URL --node ID: against a running node in real time (docs/hil.md)
  config check FILE   validate a node config file and print the effective config
  bench [--json] [--quick]  run the benchmarks and print figures against baselines (docs/performance.md)
  provision --port PATH --ssid S --password P  give a node its Wi-Fi over serial (Improv Wi-Fi; docs/provisioning.md)
  build esp32|sim [--flash] [key=value ...]  build the firmware with the Moddable SDK's mcconfig (docs/device.md)
  opcua --broker URL [--port 4840] [--users FILE]  serve the fleet to OPC UA clients (docs/opcua.md)
  ota keygen DIR | ota pack --target sim|esp32 --version V --key FILE [--counter N] [--bin FILE] OUT
                      signing keys and signed update packages (docs/ota.md)
  ota push --broker URL --image FILE (--node ID ... | --all) [--canary N] [--batch N|P%] ...
                      staged over-the-air rollout: a canary, then batches (docs/ota.md, "Rollout")
  check-lin [--seconds S] [--only runs,memory,spectrum]  check the firmware on the Moddable SDK's lin
                      runtime and write bench/lin-check.json (docs/moddable.md; needs MODDABLE and Xvfb)
  help                show this help

Run 'sensor-node sim --help' for the simulator's options.`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
        process.stdout.write(USAGE + "\n");
        throw new UsageError("sensor-node: no command given (the commands are listed above)");
      case "help":
      case "--help":
      case "-h":
        process.stdout.write(USAGE + "\n");
        return 0;
      case "--version":
      case "-V":
      case "version":
        process.stdout.write(`sensor-node ${packageVersion()} (firmware ${FIRMWARE_VERSION_TEXT})\n`);
        return 0;
      case "sim":
        return await simCommand(rest);
      case "scenario":
        return await (await import("../scenario/command.js")).scenarioCommand(rest);
      case "config":
        return configCommand(rest);
      case "bench":
        // Loaded on demand: the bench needs dev dependencies (mqtt-packet, xsnap, esbuild).
        return await (await import("../bench/run.js")).benchCommand(rest);
      case "build":
        return (await import("../build/mcconfig.js")).buildCommand(rest);
      case "provision":
        return await (await import("../provision/command.js")).provisionCommand(rest);
      case "opcua":
        return await (await import("../opcua/command.js")).opcuaCommand(rest);
      case "ota":
        return await (await import("../ota/command.js")).otaCommand(rest);
      case "check-lin":
        return await (await import("../check-lin/command.js")).checkLinCommand(rest);
      default:
        throw new UsageError(`sensor-node: unknown command ${JSON.stringify(command)} (sensor-node help lists the commands)`);
    }
  } catch (error) {
    // One line whatever the message holds (a JSON parser quotes the text it choked on, line breaks and all).
    const line = (e: Error) => e.message.replace(/\s*\n\s*/g, " ") + "\n";
    if (error instanceof UsageError || error instanceof ScenarioError || error instanceof ConfigError) {
      process.stderr.write(line(error));
      return 2;
    }
    if (error instanceof RunError) {
      process.stderr.write(line(error));
      return 1;
    }
    throw error;
  }
}

/** The package's version (package.json, two folders above build/tools). */
function packageVersion(): string {
  const file = new URL("../../../package.json", import.meta.url);
  return (JSON.parse(fs.readFileSync(file, "utf8")) as { version: string }).version;
}

async function simCommand(argv: string[]): Promise<number> {
  const command = "sensor-node sim";
  const { flags } = parseArgs(command, argv, SIM_FLAGS, 0);
  if (flags.help) {
    process.stdout.write(helpText("Usage: sensor-node sim [options]", SIM_FLAGS));
    return 0;
  }
  const scenario = flags.scenario ? loadScenario(String(flags.scenario)) : undefined;
  if (scenario?.fleet) throw new UsageError(`${String(flags.scenario)}: a fleet file (fleet[]): run it with sensor-node scenario ${String(flags.scenario)} (docs/scenarios.md)`);
  if (flags.payload !== undefined && flags.payload !== "json" && flags.payload !== "sparkplug") {
    throw new UsageError(`${command}: --payload expects json or sparkplug, got ${JSON.stringify(flags.payload)}`);
  }
  // A scenario's nodes reach the broker through the runner's fault proxies, which speak plain MQTT.
  brokerOption(command, flags.broker as string | undefined, { plainOnly: scenario && !flags.factory ? "a scenario run (--scenario)" : undefined });
  cpuOption(command, flags);
  const nodes = (flags.nodes as number | undefined) ?? 1;
  const duration = (flags.duration as number | undefined) ?? scenario?.duration_s;
  const json = Boolean(flags.json);
  if (flags.factory && (flags.dashboard || flags.workers !== undefined || nodes > 1)) {
    throw new UsageError(`${command}: --factory runs one node: no --nodes, --workers or --dashboard`);
  }
  if (flags.port !== undefined && !flags.dashboard && !flags.factory) throw new UsageError(`${command}: --port goes with --dashboard (the page's port) or --factory (the setup page's)`);
  if (flags["opcua-port"] !== undefined && !flags.opcua) throw new UsageError(`${command}: --opcua-port needs --opcua`);
  if (flags.factory && flags.opcua) throw new UsageError(`${command}: --factory runs one unprovisioned node: no --opcua`);
  // A fleet (--nodes N > 1 without a scenario, or --workers) and the dashboard: docs/fleet.md, docs/dashboard.md.
  const fleet = !flags.factory && (flags.workers !== undefined || (nodes > 1 && !scenario));
  if (scenario && nodes > MAX_FLEET_NODES) throw new UsageError(`${command}: --nodes: at most ${MAX_FLEET_NODES} copies of a scenario's node (as in a fleet file), got ${nodes}`);
  const tooMany = fleet || nodes > 1 ? nodesProblem(nodes, { embeddedBroker: flags.broker === undefined, proxied: !fleet && scenario !== undefined }) : undefined;
  if (tooMany) throw new UsageError(`${command}: ${tooMany}`);
  // Ports are checked before anything starts: a busy one is said at once, in one line.
  if (flags.dashboard) await portOption(command, "--port", (flags.port as number | undefined) ?? DEFAULT_DASHBOARD_PORT);
  if (flags.factory && flags.port !== undefined) await portOption(command, "--port", flags.port as number);
  if (flags.opcua) await portOption(command, "--opcua-port", (flags["opcua-port"] as number | undefined) ?? DEFAULT_OPCUA_PORT);
  if (!flags.factory && (flags.opcua || flags.dashboard || fleet)) {
    return await (await import("../fleet/command.js")).fleetOrDashboardSim(flags, scenario, duration);
  }
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  // stderr, one line, whatever the output mode: stdout stays the message log.
  const serial = flags.factory ? await factorySerial((line) => process.stderr.write(line + "\n")) : undefined;
  if (serial === null) return 1;
  try {
    const summary = await runSimulation({
      serial,
      scenario,
      nodes,
      broker: flags.broker as string | undefined,
      speed: (flags.speed as number | "max" | undefined) ?? 1,
      durationS: duration,
      seed: flags.seed as number | undefined,
      payload: flags.payload as "json" | "sparkplug" | undefined,
      cpu: cpuOption(command, flags),
      signal: abort.signal,
      storageDir: flags.storage as string | undefined,
      ota: simOtaFromFlags("sensor-node sim", flags),
      factory: Boolean(flags.factory),
      setupPort: flags.port as number | undefined,
      // One line on stderr whatever the output mode: stdout stays the message log.
      onSetup: (url) => process.stderr.write(`setup: ${url}\n`),
      onMessage: (m) => process.stdout.write((json ? formatJsonLine(m) : formatReadable(m)) + "\n"),
      onLog: nodeLogPrinter(Boolean(flags.verbose)),
      onInfo: (message) => {
        if (!json) process.stderr.write(message + "\n");
      },
    });
    if (!json) process.stderr.write(`${summary.messages} messages from ${summary.nodes} node(s) in ${(summary.virtualMs / 1000).toFixed(1)} s simulated\n`);
    if (summary.problem) throw new RunError(`${command}: ${summary.problem}`);
    return 0;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await serial?.close();
  }
}

/** The factory node's pty (tools/simulator/factory-serial.ts); null, after one line saying why, when there is none. */
async function factorySerial(announce: (line: string) => void) {
  try {
    return await (await import("../simulator/factory-serial.js")).openFactorySerial(announce);
  } catch (error) {
    process.stderr.write(`sensor-node sim --factory: ${(error as Error).message}\n`);
    return null;
  }
}

function loadScenario(file: string): Scenario {
  return parseScenario(readOptionFile("--scenario", file), file);
}

const CONFIG_USAGE = "Usage: sensor-node config check FILE   (validates a node configuration file, and that the acquisition keeps up on the ESP32, and prints the effective configuration; docs/cli.md)";

function configCommand(argv: string[]): number {
  const [sub, file, ...extra] = argv;
  if (sub === "--help" || sub === "-h" || sub === "help" || (sub === "check" && (file === "--help" || file === "-h"))) {
    process.stdout.write(CONFIG_USAGE + "\n");
    return 0;
  }
  if (sub !== "check") throw new UsageError(`sensor-node config: ${sub === undefined ? "missing subcommand" : `unknown subcommand ${JSON.stringify(sub)}`} (sensor-node config check FILE)`);
  if (!file) throw new UsageError("sensor-node config check: missing FILE (the node configuration to check)");
  if (extra.length) throw new UsageError(`sensor-node config check: unexpected argument ${JSON.stringify(extra[0])} (one FILE)`);
  const text = readOptionFile("sensor-node config check", file);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${file}: not valid JSON: ${(error as Error).message}`);
  }
  let config;
  try {
    config = resolveConfig(doc);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(`${file}: ${error.message}`);
    throw error;
  }
  const refused = acquisitionProblem(config);
  if (refused) throw new UsageError(`${file}: ${refused}`);
  // The ring the node takes: acquisition.ringMs as set, else its mode's default.
  const shown = { ...config, mqtt: { ...config.mqtt, password: config.mqtt.password === undefined ? undefined : "(set)" }, acquisition: { ...config.acquisition, ringMs: samplerRingMs(config) } };
  process.stdout.write(JSON.stringify(shown, null, 2) + "\n");
  return 0;
}
