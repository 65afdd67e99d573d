#!/usr/bin/env node
// The CLI is written in TypeScript and compiled to build/ by `npm run build` (npm ci runs it).
import { existsSync } from "node:fs";
const entry = new URL("../build/tools/cli/main.js", import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write("sensor-node: not built yet; run `npm run build` in the project directory\n");
  process.exit(2);
}
// An error no command expected is a failure of the run (exit 1) in one line, never a stack trace
// (docs/cli.md, "Exit codes"); SENSOR_NODE_TRACE=1 shows where it came from.
const fail = (error) => {
  const trace = process.env.SENSOR_NODE_TRACE === "1" && error?.stack;
  process.stderr.write(`sensor-node: ${trace || (error?.message ?? String(error)).split("\n")[0]}\n`);
  process.exit(1);
};
// stdout piped into a reader that went away (`| head`): stop quietly, as a shell tool does.
process.stdout.on("error", (error) => (error.code === "EPIPE" ? process.exit(0) : fail(error)));
process.on("uncaughtException", fail);
process.on("unhandledRejection", fail);
const { main } = await import(entry.href);
let code;
try {
  code = await main(process.argv.slice(2));
} catch (error) {
  fail(error);
}
// Flush stdout before leaving, even if a stray handle would keep the loop alive.
process.stdout.write("", () => process.exit(code));
