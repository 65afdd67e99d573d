/*
 * The end of `ota push`: a table with a row per node (node, from, to, result,
 * seconds, reason) and one summary line (docs/ota.md, "Rollout").
 */
import type { NodeResult, RolloutReport, RolloutRow } from "./rollout.js";

const COLUMNS = ["node", "from", "to", "result", "seconds", "reason"];
/** The order results are counted in the summary. */
const RESULTS: readonly NodeResult[] = ["confirmed", "current", "refused", "failed", "rolled-back", "timeout", "offline", "no-status", "interrupted", "untouched"];

function cells(r: RolloutRow): string[] {
  return [r.node, r.from ?? "-", r.to, r.result, r.seconds === undefined ? "-" : r.seconds.toFixed(1), r.reason ?? ""];
}

/** Plain columns, seconds right-aligned. */
export function rolloutTable(rows: readonly RolloutRow[]): string {
  const all = [COLUMNS, ...rows.map(cells)];
  const widths = COLUMNS.map((_, c) => Math.max(...all.map((row) => row[c].length)));
  const line = (row: string[]) => row.map((cell, c) => (c === 4 ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join("  ").trimEnd();
  return [line(COLUMNS), widths.map((w) => "-".repeat(w)).join("  "), ...all.slice(1).map(line)].join("\n");
}

export function rolloutSummary(r: RolloutReport): string {
  const targeted = r.rows.filter((row) => row.targeted);
  const counts = RESULTS.map((result) => [result, targeted.filter((row) => row.result === result).length] as const)
    .filter(([, n]) => n > 0)
    .map(([result, n]) => `${n} ${result}`);
  if (targeted.length === 0) return `${r.version}: no node to update${r.rows.length ? ` (${r.rows.length} offline, not targeted)` : ""}`;
  const head = r.ok
    ? `${r.version}: every targeted node runs it`
    : r.halted
      ? `${r.version}: halted at ${r.halted.node} (${r.halted.result})`
      : r.interrupted
        ? `${r.version}: interrupted`
        : `${r.version}: not every targeted node runs it`;
  const left = r.rows.length - targeted.length;
  return (
    `${head}: ${counts.join(", ")} of ${targeted.length} targeted` +
    (left ? `; ${left} offline, not targeted` : "") +
    `; ${r.served.requests} download request(s), ${r.served.bytes} bytes served; ${r.seconds.toFixed(1)} s`
  );
}
