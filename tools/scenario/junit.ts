/*
 * JUnit XML for CI systems: one <testsuite> per scenario, one <testcase> per
 * expectation (a fleet: per group's expectation, over the group's nodes, with
 * the group in the classname), a <failure> with what was expected and what was
 * seen (a fleet: on each failing node). No timestamps or host names, so one
 * run gives one file.
 */
import type { ScenarioRunResult } from "./runner.js";
import { resultLabel } from "./check.js";

export function junitXml(runs: ScenarioRunResult[]): string {
  const tests = runs.reduce((n, r) => n + r.results.length, 0);
  const failures = runs.reduce((n, r) => n + r.results.filter((x) => !x.pass).length, 0);
  const out = ['<?xml version="1.0" encoding="UTF-8"?>', `<testsuites name="sensor-node scenarios" tests="${tests}" failures="${failures}" errors="0">`];
  for (const r of runs) {
    const failed = r.results.filter((x) => !x.pass).length;
    const classname = `scenario.${(r.source ?? r.name).replace(/^.*\//, "").replace(/\.json$/, "")}`;
    out.push(`  <testsuite name="${esc(r.name)}" tests="${r.results.length}" failures="${failed}" errors="0" skipped="0" time="${(r.virtualMs / 1000).toFixed(3)}">`);
    out.push(`    <properties><property name="seed" value="${r.seed}"/><property name="source" value="${esc(r.source ?? "")}"/><property name="messages" value="${r.messages.length}"/>${r.fleet ? `<property name="nodes" value="${r.fleet.nodes.length}"/>` : ""}</properties>`);
    for (const x of r.results) {
      const name = `${resultLabel(x)} ${x.title}${x.fleet ? ` (${x.fleet.held}/${x.fleet.nodes} nodes)` : ""}`;
      const cls = x.group === undefined ? classname : `${classname}.${x.group === "*" ? "all" : x.group}`;
      if (x.pass) {
        out.push(`    <testcase classname="${esc(cls)}" name="${esc(name)}" time="0"><system-out>${esc(`seen: ${x.seen}`)}</system-out></testcase>`);
      } else {
        const seen = x.fleet ? x.fleet.failing.map((v) => `seen:     ${v.nodeId}: ${v.seen}`).join("\n") : `seen:     ${x.seen}`;
        out.push(`    <testcase classname="${esc(cls)}" name="${esc(name)}" time="0">`);
        out.push(`      <failure type="expectation" message="${esc(`expected ${x.expected}; seen ${x.seen}`)}">${esc(`expected: ${x.expected}\n${seen}`)}</failure>`);
        out.push("    </testcase>");
      }
    }
    out.push("  </testsuite>");
  }
  out.push("</testsuites>");
  return out.join("\n") + "\n";
}

/** Escapes text for XML attributes and content; drops characters XML 1.0 cannot carry. */
export function esc(s: string): string {
  return s
    .replace(/[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/\n/g, "&#10;");
}
