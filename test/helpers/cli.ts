import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export const BIN = fileURLToPath(new URL("../../../bin/sensor-node.js", import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the real CLI as a child process (bounded by `timeoutMs`: reaching it kills the child and
 * rejects). `openFiles`: run it under that open-file limit (`ulimit -n`, soft and hard).
 */
export function runCli(args: string[], timeoutMs = 300_000, options: { openFiles?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child =
      options.openFiles === undefined
        ? spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] })
        : spawn("sh", ["-c", `ulimit -n ${options.openFiles} && exec "$0" "$@"`, process.execPath, BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`sensor-node ${args.join(" ")} did not finish within ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
