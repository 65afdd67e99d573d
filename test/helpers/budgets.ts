/*
 * The CI guard on deterministic figures: each value must stay under its ceiling
 * in bench/budgets.json (docs/performance.md, "Budgets"). Logs the value against
 * the recorded one so a run shows what moved.
 */
import type { ExecutionContext } from "ava";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (the nearest package.json above this file): no XS import, so tests without `@endo/init` can use this. */
const repoRoot: string = (() => {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, "package.json"))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error("no package.json above " + fileURLToPath(import.meta.url));
    dir = up;
  }
  return dir;
})();

type Budgets = Record<string, { budget: number; measured: number; unit: string; what: string }>;
/** bench/budgets.json as committed. */
export const budgets = JSON.parse(fs.readFileSync(path.join(repoRoot, "bench/budgets.json"), "utf8")) as Budgets;

export function checkBudget(t: ExecutionContext, key: string, value: number): void {
  const b = budgets[key];
  t.truthy(b, `bench/budgets.json has no entry ${key}`);
  if (!b) return;
  const over = b.measured ? ((value / b.measured - 1) * 100).toFixed(1) + "%" : "=";
  t.log(`${key}: ${value} ${b.unit} (budget ${b.budget}, recorded ${b.measured}, ${over} vs recorded)`);
  t.true(value <= b.budget, `${key} = ${value} ${b.unit} exceeds its budget ${b.budget} (${b.what}); recorded ${b.measured}. Make it cheaper, or raise the budget with a reason (docs/performance.md).`);
}
