/*
 * How the generated tables write numbers and Markdown tables.
 */
import type { Figure } from "../bench/types.js";

/** Digits grouped by thousands with a space (3 084 225), else a precision that suits the size. */
export function num(v: number): string {
  if (!Number.isFinite(v)) return "-";
  const a = Math.abs(v);
  if (a >= 1000 || Number.isInteger(v)) return Math.round(v).toString().replace(/\B(?=(\d{3})+(?!\d))/g, " ");
  const digits = a >= 100 ? v.toFixed(1) : a >= 10 ? v.toFixed(2) : a >= 1 ? v.toFixed(3) : v.toPrecision(3);
  return digits.includes("e") ? digits : digits.replace(/\.?0+$/, "");
}

/** Three significant digits, for ranges in a summary: 403.6 -> "404", 5.721 -> "5.72". */
export function short(v: number): string {
  return num(Number(v.toPrecision(3)));
}

/** A value with its unit: "1 168 023 computrons", "4.7 ms", "1.542 B/B". */
export function withUnit(v: number, unit: string): string {
  return unit ? `${num(v)} ${unit}` : num(v);
}

export function ratio(v: number | undefined): string {
  return v === undefined || !Number.isFinite(v) ? "-" : `${v.toFixed(2)}x`;
}

/** "a unit" or "a-b unit", smallest to largest. */
export function range(values: number[], unit = "", format: (v: number) => string = num): string {
  const lo = format(Math.min(...values));
  const hi = format(Math.max(...values));
  return (lo === hi ? lo : `${lo}-${hi}`) + (unit ? ` ${unit}` : "");
}

/** A wall figure's spread over its rounds: "0.58-0.7 ms (p10-p90 of 20 rounds)"; "-" for none. */
export function spreadText(f: Figure): string {
  const s = f.spread;
  if (!s) return "-";
  return `${range(s.range, f.unit, short)} (${s.stat} of ${s.rounds} ${s.over ?? "rounds"})`;
}

/** The goal and whether this run met it: "<= 150: pass". */
export function verdict(f: Figure): string {
  if (!f.goal) return "-";
  return `${f.goal.text}: ${f.pass ? "pass" : "**miss**"}`;
}

/** One verdict for figures that share a goal: "<= 1.05x: pass (4 of 4)". */
export function verdictOfAll(figures: Figure[]): string {
  const judged = figures.filter((f) => f.goal);
  if (!judged.length) return "-";
  const passed = judged.filter((f) => f.pass).length;
  return `${judged[0].goal!.text}: ${passed === judged.length ? "pass" : "**miss**"} (${passed} of ${judged.length})`;
}

function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

/** A Markdown table: a header row, then the rows. */
export function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.map(cell).join(" | ")} |`;
  return [line(header), `|${header.map(() => "---").join("|")}|`, ...rows.map(line)].join("\n");
}
