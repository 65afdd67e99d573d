/*
 * Runs a bench script in a child process and takes the last line it prints as
 * JSON: the XS measurements need a process locked down by `@endo/init`, which the
 * CLI process must never be (xs-child.ts, xs-node.ts).
 */
import { spawn } from "node:child_process";

export function runJsonChild<T>(script: string, request: unknown, label: string, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, JSON.stringify(request)], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    const timer = setTimeout(() => child.kill("SIGTERM"), timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`${label} ${signal ? "killed by " + signal : "exited with " + code}: ${err.trim().split("\n").slice(-5).join("\n")}`));
      try {
        resolve(JSON.parse(out.trim().split("\n").pop()!) as T);
      } catch (e) {
        reject(new Error(`${label} printed no JSON: ${(e as Error).message}`));
      }
    });
  });
}
