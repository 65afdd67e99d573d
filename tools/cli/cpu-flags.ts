/*
 * `--cpu esp32|free` and `--cpu-rate N` (docs/cli.md, docs/host.md "CPU time"):
 * whether simulated nodes pay for their computation in virtual time, and at
 * which XS speed. Shared by sim, scenario and fleets.
 */
import { UsageError, type FlagSpec } from "./args.js";
import { ESP32_COMPUTRONS_PER_S } from "../../sim/cpu.js";

export const CPU_FLAGS: Record<string, FlagSpec> = {
  cpu: { kind: "string", help: "esp32 (default): the node's computation takes its ESP32 time (sim/cpu.ts), a FIFO sampler drains on a second core; free: computation takes no time (the earlier simulator)" },
  "cpu-rate": { kind: "number", help: `XS computrons per second of the CPU model (default ${ESP32_COMPUTRONS_PER_S}); implies --cpu esp32`, min: 1e4, max: 1e12 },
};

/** The CPU model the flags ask for (the ESP32 model unless --cpu free): a rate, or undefined for free computation. */
export function cpuOption(command: string, flags: Record<string, unknown>): { rate: number } | undefined {
  const cpu = flags.cpu as string | undefined;
  const rate = flags["cpu-rate"] as number | undefined;
  if (cpu !== undefined && cpu !== "esp32" && cpu !== "free") throw new UsageError(`${command}: --cpu must be esp32 or free, got ${JSON.stringify(cpu)}`);
  if (cpu === "free" && rate !== undefined) throw new UsageError(`${command}: --cpu-rate needs the CPU model (--cpu esp32), not --cpu free`);
  if (cpu === "free") return undefined;
  return { rate: rate ?? ESP32_COMPUTRONS_PER_S };
}
