/*
 * `sensor-node scenario FILE --target device --broker URL --node ID [--junit OUT] [--json]`
 * (docs/hil.md): exit 0 when every expectation holds, 1 when one fails, 2 for a
 * bad file, bad options, or a scenario the device target cannot run (faults).
 */
import { UsageError } from "../cli/args.js";
import { writeReport } from "../cli/options.js";
import { formatJsonLine } from "../cli/output.js";
import { junitXml } from "../scenario/junit.js";
import type { Scenario } from "../scenario/parse.js";
import { checkDeviceScenario, DeviceTargetError, formatDeviceReport, runDeviceScenario } from "./device-runner.js";

export async function deviceScenario(file: string, scenario: Scenario, flags: Record<string, unknown>): Promise<number> {
  if (flags.broker === undefined) throw new UsageError("sensor-node scenario --target device: --broker URL is required (the broker the node uses)");
  if (flags.node === undefined || flags.node === "") throw new UsageError("sensor-node scenario --target device: --node ID is required (the node's id)");
  if (flags.speed !== undefined) throw new UsageError("sensor-node scenario --target device: --speed does not apply (a device runs in real time)");
  try {
    checkDeviceScenario(scenario, file);
  } catch (error) {
    if (error instanceof DeviceTargetError) throw new UsageError(error.message);
    throw error;
  }
  const json = Boolean(flags.json);
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once("SIGINT", onSignal);
  try {
    const result = await runDeviceScenario(scenario, {
      source: file,
      broker: String(flags.broker),
      nodeId: String(flags.node),
      signal: abort.signal,
      onMessage: json ? (m) => process.stdout.write(formatJsonLine(m) + "\n") : undefined,
      onProgress: (ms, total) => process.stderr.write(`${file}: ${(ms / 1000).toFixed(0)} of ${(total / 1000).toFixed(0)} s (real time, ${Math.floor((100 * ms) / total)}%)\n`),
      onLog: (level, message) => {
        if (flags.verbose || level === "error") process.stderr.write(`${level}: ${message}\n`);
      },
    }).catch((error) => {
      if (error instanceof DeviceTargetError) throw new UsageError(error.message);
      throw error;
    });
    if (abort.signal.aborted) {
      process.stderr.write("interrupted\n");
      return 1;
    }
    (json ? process.stderr : process.stdout).write(formatDeviceReport(result));
    if (flags.junit) writeReport("sensor-node scenario", "--junit", String(flags.junit), junitXml([result]));
    return result.passed ? 0 : 1;
  } finally {
    process.off("SIGINT", onSignal);
  }
}
