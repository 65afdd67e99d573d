/*
 * Checks a scenario's expectations against the message log the observer saw.
 * Every result says what was expected and what was seen, in words.
 */
import { parsePayload, type ObservedMessage } from "../cli/output.js";
import { metricMatcher, type Expectation } from "./spec.js";
import type { RunPlan } from "./plan.js";

export interface ExpectationResult {
  index: number;
  kind: Expectation["kind"];
  /** A one-line title: the expectation as written. */
  title: string;
  pass: boolean;
  expected: string;
  seen: string;
  /** A fleet: the group whose expectation this is ("*": a top-level one, on every node). */
  group?: string;
  /** A fleet: how many of the group's nodes it held on, and the verdicts of the failing ones (all of them). */
  fleet?: { nodes: number; held: number; first: NodeVerdict; failing: NodeVerdict[] };
}

export interface NodeVerdict {
  nodeId: string;
  expected: string;
  seen: string;
}

/** How many failing nodes a report and a JUnit failure name with what each saw. */
export const FAILING_SHOWN = 3;

export interface RunRecord {
  startMs: number;
  prefix: string;
  nodeId: string;
  messages: ObservedMessage[];
  /** Last seq the node made in each boot (its own counter). */
  produced: Map<number, number>;
  /** Wall-clock jumps: from virtual ms `at`, the node's wall time is ahead of virtual wall time by `offsetMs`. */
  jumps: { at: number; offsetMs: number }[];
}

type Json = Record<string, any>;
interface Msg {
  s: number;
  t: number;
  p: Json;
}

const sec = (s: number) => `${+s.toFixed(2)} s`;
const win = (w: [number, number]) => `${w[0]}..${w[1]} s`;

export function describe(e: Expectation): string {
  switch (e.kind) {
    case "alarm":
      return `alarm ${e.metric} ${e.level} within ${win(e.within_s)}`;
    case "no-alarm":
      return `no-alarm${e.metric ? " " + e.metric : ""}${e.level ? " " + e.level : ""}${e.during_s ? " during " + win(e.during_s) : ""}`;
    case "metric":
      return `metric ${e.metric} = ${e.value} +- ${e.tolerance}${e.pct ? "%" : ""} during ${win(e.during_s)}`;
    case "status":
      return `status ${e.state} within ${win(e.within_s)}`;
    case "no-loss":
      return "no-loss";
    case "latency":
      return `latency${e.metric ? " " + e.metric : ""} <= ${e.max_ms} ms`;
  }
}

export function check(expectations: Expectation[], run: RunRecord): ExpectationResult[] {
  const base = `${run.prefix}/${run.nodeId}/`;
  const on = (...suffixes: string[]): Msg[] =>
    run.messages
      .filter((m) => suffixes.some((suffix) => m.topic === base + suffix))
      .map((m) => ({ s: (m.t - run.startMs) / 1000, t: m.t, p: parsePayload(m.payload) as Json }))
      .filter((m) => m.p && typeof m.p === "object");
  const alarms = on("alarm");
  const telemetry = on("telemetry");
  const status = on("status");
  const data = on("alarm", "telemetry"); // in arrival order
  return expectations.map((e, index) => {
    const r = one(e, { alarms, telemetry, status, data, run });
    return { index, kind: e.kind, title: e.name ?? describe(e), ...r };
  });
}

/**
 * Checks a run's expectation suites. One node: the expectations, as check().
 * A fleet: each suite's expectations on each of its nodes, one result per
 * (suite, expectation) that holds when it holds on every node of the suite.
 */
export function checkPlan(plan: RunPlan, run: Omit<RunRecord, "nodeId" | "produced">, produced: (node: number) => Map<number, number>): ExpectationResult[] {
  if (!plan.fleet) return check(plan.suites[0].expect, { ...run, nodeId: plan.nodes[0].spec.nodeId, produced: produced(0) });
  const byNode = new Map<string, ObservedMessage[]>();
  const base = run.prefix + "/";
  for (const m of run.messages) {
    if (!m.topic.startsWith(base)) continue;
    const id = m.topic.slice(base.length).split("/")[0];
    const list = byNode.get(id);
    if (list) list.push(m);
    else byNode.set(id, [m]);
  }
  return plan.suites.flatMap((suite) => {
    const perNode = suite.nodes.map((g) => {
      const nodeId = plan.nodes[g].spec.nodeId;
      return { nodeId, results: check(suite.expect, { ...run, nodeId, messages: byNode.get(nodeId) ?? [], produced: produced(g) }) };
    });
    return suite.expect.map((e, index): ExpectationResult => {
      const verdicts = perNode.map((n) => ({ nodeId: n.nodeId, pass: n.results[index].pass, expected: n.results[index].expected, seen: n.results[index].seen }));
      const failing = verdicts.filter((v) => !v.pass).map(({ nodeId, expected, seen }) => ({ nodeId, expected, seen }));
      const held = verdicts.length - failing.length;
      const counts = `holds on ${held}/${verdicts.length} nodes`;
      const shown = failing.slice(0, FAILING_SHOWN).map((v) => `${v.nodeId}: ${v.seen}`);
      return {
        index,
        kind: e.kind,
        title: perNode[0].results[index].title,
        pass: failing.length === 0,
        expected: (failing[0] ?? verdicts[0]).expected,
        seen: failing.length ? `${counts}; ${shown.join("; ")}${failing.length > shown.length ? `; and ${failing.length - shown.length} more` : ""}` : counts,
        group: suite.group ?? "*",
        fleet: { nodes: verdicts.length, held, first: verdicts[0], failing },
      };
    });
  });
}

/** `[2]` for one node, `[pumps 2]` for a group's expectation, `[* 2]` for a fleet's top-level one. */
export function resultLabel(x: ExpectationResult): string {
  return x.group === undefined ? `[${x.index}]` : `[${x.group} ${x.index}]`;
}

/** The report's lines for the results: PASS/FAIL, what was expected and seen, and a summary line. */
export function formatResults(results: ExpectationResult[]): string[] {
  const lines: string[] = [];
  for (const x of results) {
    const f = x.fleet;
    lines.push(`  ${x.pass ? "PASS" : "FAIL"}  ${resultLabel(x)} ${x.title}${f ? `: holds on ${f.held}/${f.nodes} nodes` : ""}`);
    if (!f) {
      if (!x.pass) lines.push(`        expected: ${x.expected}`);
      lines.push(`        seen:     ${x.seen}`);
    } else if (x.pass) {
      lines.push(`        seen:     ${f.first.nodeId}: ${f.first.seen}`);
    } else {
      lines.push(`        expected: ${x.expected}`);
      for (const v of f.failing.slice(0, FAILING_SHOWN)) lines.push(`        seen:     ${v.nodeId}: ${v.seen}`);
      const rest = f.failing.slice(FAILING_SHOWN);
      if (rest.length) lines.push(`        and ${rest.length} more failing node(s): ${rest.slice(0, 10).map((v) => v.nodeId).join(", ")}${rest.length > 10 ? ", ..." : ""}`);
    }
  }
  const failed = results.filter((x) => !x.pass).length;
  lines.push(results.length === 0 ? "no expectations" : failed ? `${failed} of ${results.length} expectation(s) FAILED` : `all ${results.length} expectation(s) hold`);
  return lines;
}

function one(e: Expectation, d: { alarms: Msg[]; telemetry: Msg[]; status: Msg[]; data: Msg[]; run: RunRecord }): { pass: boolean; expected: string; seen: string } {
  switch (e.kind) {
    case "alarm": {
      const matches = metricMatcher(e.metric);
      const onMetric = d.alarms.filter((a) => matches(a.p.metric));
      const hit = onMetric.find((a) => a.p.level === e.level && a.s >= e.within_s[0] && a.s <= e.within_s[1]);
      return {
        pass: hit !== undefined,
        expected: `an alarm message on ${e.metric} with level "${e.level}" between ${e.within_s[0]} s and ${e.within_s[1]} s`,
        seen: hit ? `${transition(hit)} at ${sec(hit.s)}` : onMetric.length ? listTransitions(onMetric) : `no alarm message on ${e.metric} (${d.alarms.length} alarm message(s) in all${d.alarms.length ? ": " + listTransitions(d.alarms) : ""})`,
      };
    }
    case "no-alarm": {
      const matches = e.metric ? metricMatcher(e.metric) : () => true;
      const during = e.during_s ?? [0, Infinity];
      const bad = d.alarms.filter((a) => matches(a.p.metric) && (!e.level || a.p.level === e.level) && a.s >= during[0] && a.s <= during[1]);
      return {
        pass: bad.length === 0,
        expected: `no alarm message${e.metric ? ` on ${e.metric}` : ""}${e.level ? ` with level "${e.level}"` : ""}${e.during_s ? ` between ${e.during_s[0]} s and ${e.during_s[1]} s` : ""}`,
        seen: bad.length ? `${bad.length}: ${listTransitions(bad)}` : `none (${d.alarms.length} alarm message(s) in all)`,
      };
    }
    case "metric": {
      const values = d.telemetry.filter((m) => m.s >= e.during_s[0] && m.s <= e.during_s[1]).map((m) => ({ s: m.s, v: metricValue(m.p, e.metric) }));
      const present = values.filter((x): x is { s: number; v: number } => typeof x.v === "number");
      const tol = e.pct ? (Math.abs(e.value) * e.tolerance) / 100 : e.tolerance;
      const outside = present.filter((x) => Math.abs(x.v - e.value) > tol);
      const expected = `every telemetry value of ${e.metric} between ${e.during_s[0]} s and ${e.during_s[1]} s within ${e.value} +- ${+tol.toPrecision(6)}${e.pct ? ` (${e.tolerance}%)` : ""}`;
      if (present.length === 0) return { pass: false, expected, seen: `no telemetry value of ${e.metric} in that window (${values.length} telemetry message(s) there)` };
      const min = Math.min(...present.map((x) => x.v));
      const max = Math.max(...present.map((x) => x.v));
      const range = `${present.length} value(s) from ${round(min)} to ${round(max)}`;
      return {
        pass: outside.length === 0,
        expected,
        seen: outside.length ? `${range}; ${outside.length} outside, first ${round(outside[0].v)} at ${sec(outside[0].s)}` : range,
      };
    }
    case "status": {
      const hit = d.status.find((m) => m.p.state === e.state && m.s >= e.within_s[0] && m.s <= e.within_s[1]);
      return {
        pass: hit !== undefined,
        expected: `a status message "${e.state}" between ${e.within_s[0]} s and ${e.within_s[1]} s`,
        seen: hit ? `"${e.state}" (boot ${hit.p.boot}) at ${sec(hit.s)}` : d.status.length ? d.status.map((m) => `"${m.p.state}" at ${sec(m.s)}`).join(", ") : "no status message",
      };
    }
    case "no-loss":
      return noLoss(d.data, d.run);
    case "latency": {
      const matches = e.metric ? metricMatcher(e.metric) : () => true;
      const list = d.alarms.filter((a) => matches(a.p.metric) && typeof a.p.ts === "number").map((a) => ({ a, ms: a.t - (a.p.ts - offsetAt(d.run, a.t, a.p.ts)) }));
      const expected = `every alarm message${e.metric ? ` on ${e.metric}` : ""} at the subscriber within ${e.max_ms} ms (virtual time) of its window's close (ts)`;
      if (!list.length) return { pass: false, expected, seen: "no alarm message to measure" };
      const worst = list.reduce((x, y) => (y.ms > x.ms ? y : x));
      return { pass: worst.ms <= e.max_ms, expected, seen: `${list.length} alarm message(s), worst ${worst.ms} ms (${transition(worst.a)} at ${sec(worst.a.s)})` };
    }
  }
}

function noLoss(messages: Msg[], run: RunRecord): { pass: boolean; expected: string; seen: string } {
  const produced = [...run.produced].filter(([, last]) => last > 0);
  const total = produced.reduce((n, [, last]) => n + last, 0);
  const expected = `every telemetry and alarm message the node made (${produced.map(([b, last]) => `boot ${b}: seq 1..${last}`).join(", ") || "none"}) at the subscriber, in order within each boot`;
  const problems: string[] = [];
  let delivered = 0;
  let duplicates = 0;
  for (const [boot, last] of produced) {
    const seen = new Set<number>();
    let prev = 0;
    const disorder: string[] = [];
    for (const m of messages) {
      if (m.p.boot !== boot || typeof m.p.seq !== "number") continue;
      if (seen.has(m.p.seq)) {
        duplicates++;
        continue;
      }
      if (m.p.seq < prev) disorder.push(`seq ${m.p.seq} after ${prev}`);
      prev = Math.max(prev, m.p.seq);
      seen.add(m.p.seq);
    }
    const missing: number[] = [];
    for (let s = 1; s <= last; s++) if (!seen.has(s)) missing.push(s);
    delivered += last - missing.length;
    if (missing.length) problems.push(`boot ${boot}: ${missing.length} missing (${ranges(missing)})`);
    if (disorder.length) problems.push(`boot ${boot}: out of order (${disorder.slice(0, 3).join(", ")}${disorder.length > 3 ? ", ..." : ""})`);
  }
  const dup = duplicates ? `, ${duplicates} duplicate(s) (QoS 1 resends)` : "";
  if (total === 0) return { pass: false, expected, seen: "the node made no telemetry or alarm message" };
  return { pass: problems.length === 0, expected, seen: problems.length ? problems.join("; ") + dup : `${delivered} of ${total} delivered in order${dup}` };
}

function offsetAt(run: RunRecord, t: number, ts: number): number {
  // The jump in force when the message was made: the latest one at or before arrival that does not put its making after its arrival.
  for (let i = run.jumps.length - 1; i >= 0; i--) {
    const j = run.jumps[i];
    if (j.at + run.startMs <= t && ts - j.offsetMs <= t) return j.offsetMs;
  }
  return 0;
}

export function metricValue(p: Json, metric: string): number | undefined {
  const path = metric.split(".");
  // axis metrics live under vib (`x.env.bpfo` is vib.x.env.bpfo); temp.c, humidity.rh and speed.rpm at the top
  let v: Json = ["x", "y", "z"].includes(path[0]) ? p.vib : p;
  for (const key of path) v = v?.[key];
  return typeof v === "number" ? v : undefined;
}

function transition(a: Msg): string {
  return `${a.p.metric} ${a.p.prev} -> ${a.p.level}${a.p.value !== undefined ? ` (value ${a.p.value}, limit ${a.p.limit})` : a.p.reason ? ` (${a.p.reason})` : ""}`;
}

function listTransitions(list: Msg[]): string {
  const shown = list.slice(0, 8).map((a) => `${transition(a)} at ${sec(a.s)}`);
  return shown.join("; ") + (list.length > 8 ? `; ... (${list.length} in all)` : "");
}

function ranges(list: number[]): string {
  const out: string[] = [];
  for (let i = 0; i < list.length && out.length < 6; ) {
    let j = i;
    while (j + 1 < list.length && list[j + 1] === list[j] + 1) j++;
    out.push(i === j ? `${list[i]}` : `${list[i]}-${list[j]}`);
    i = j + 1;
  }
  return out.join(", ") + (out.length >= 6 ? ", ..." : "");
}

function round(x: number): number {
  return +x.toPrecision(4);
}
