/*
 * Telemetry recorded from a simulator run, for the synthetic publishers to
 * replay: `sensor-node sim --speed max --duration S --json` (one simulated node on
 * its own embedded broker on loopback, virtual time, a second or two of CPU),
 * the telemetry payloads it published, in order.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/** build/tools/bench/opcua/ -> bin/sensor-node.js */
const CLI = fileURLToPath(new URL("../../../../bin/sensor-node.js", import.meta.url));

/** The telemetry payloads of `seconds` of simulated time (at least one window). */
export function recordTelemetry(seconds: number, timeoutMs = 120_000): Promise<Record<string, unknown>[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, "sim", "--speed", "max", "--duration", String(seconds), "--json"], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    const timer = setTimeout(() => child.kill("SIGTERM"), timeoutMs);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`recording telemetry: sim ${signal ? "killed by " + signal : "exited with " + code}: ${err.trim().split("\n").pop()}`));
      const payloads = out
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line) as { topic: string; payload: Record<string, unknown> })
        .filter((m) => m.topic.endsWith("/telemetry"))
        .map((m) => m.payload);
      if (!payloads.length) return reject(new Error(`recording telemetry: the simulated node published no telemetry in ${seconds} s`));
      resolve(payloads);
    });
  });
}
