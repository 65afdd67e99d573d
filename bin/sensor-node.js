#!/usr/bin/env node
// The CLI is written in TypeScript and compiled to build/ by `npm run build` (npm ci runs it).
import { existsSync } from "node:fs";
const entry = new URL("../build/tools/cli/main.js", import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write("sensor-node: not built yet; run `npm run build` in the project directory\n");
  process.exit(2);
}
const { main } = await import(entry.href);
const code = await main(process.argv.slice(2));
// Flush stdout before leaving, even if a stray handle would keep the loop alive.
process.stdout.write("", () => process.exit(code));
