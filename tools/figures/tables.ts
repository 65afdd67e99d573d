/*
 * The figures tables of README.md and docs/ (performance, provisioning, opcua, ota), rendered from the
 * committed bench record, bench/budgets.json and the lin check record
 * (record.ts). Every number in them comes from those files; each table opens
 * with the machine, date and commit of the record.
 */
import { budgetGoals } from "../bench/budget-goals.js";
import { rateText } from "../bench/esp32.js";
import type { Figure } from "../bench/types.js";
import { num, range, ratio, short, spreadText, table, verdict, verdictOfAll, withUnit } from "./format.js";
import { FiguresError, LIN_CHECK_PATH, RECORD_PATH, UPDATE_COMMAND, type BenchRecord, type Budget, type LinCheck, type PartHeader, type RecordHeader } from "./record.js";

export interface FiguresInput {
  record: BenchRecord;
  budgets: Record<string, Budget>;
  linCheck?: LinCheck;
}

/** The record's figures by id; a figure a table needs and the record lacks is an error (measure again). */
class Figures {
  readonly #byId = new Map<string, Figure>();
  constructor(readonly all: Figure[]) {
    for (const f of all) this.#byId.set(f.id, f);
  }
  get(id: string): Figure {
    const f = this.#byId.get(id);
    if (!f) throw new FiguresError(`figures: ${RECORD_PATH} has no figure ${id}: measure again with \`${UPDATE_COMMAND}\``);
    return f;
  }
  /** Figures whose id matches, in the record's order; at least one. */
  matching(pattern: RegExp): Figure[] {
    const found = this.all.filter((f) => pattern.test(f.id));
    if (!found.length) throw new FiguresError(`figures: ${RECORD_PATH} has no figure matching ${pattern}: measure again with \`${UPDATE_COMMAND}\``);
    return found;
  }
}

/** Where, when and on which commit a run measured, with the load it ran under. */
function measuredAt(h: RecordHeader | PartHeader): string {
  const commit = `${h.commit.slice(0, 10)}${h.dirty ? " (with uncommitted changes)" : ""}`;
  const load = h.load ? `, load average ${h.load[0]} at the start and ${h.load[1]} at the end` : "";
  return `${h.date.slice(0, 10)} on ${h.cpu} (${h.cores} cores), Node ${h.node}, commit ${commit}${load}`;
}

/** The line that opens every table: where and when the figures were measured (and the benchmarks measured again since, on their own). */
export function measuredLine(r: BenchRecord): string {
  const parts = Object.entries(r.header.parts ?? {}).map(([name, h]) => ` The ${name} figures were measured again on their own: ${measuredAt(h)} (\`${h.command}\`).`);
  return `Measured ${measuredAt(r.header)}: a full bench run (${RECORD_PATH}; \`${UPDATE_COMMAND}\` measures again).${parts.join("")}`;
}

/** The line that opens one benchmark's table: its own run when it was measured on its own, else the full run's. */
export function moduleMeasuredLine(r: BenchRecord, module: string): string {
  const h = r.header.parts?.[module];
  if (!h) return measuredLine(r).split(" The ")[0];
  return `Measured ${measuredAt(h)}: \`${h.command}\` (merged into ${RECORD_PATH}; the other figures are from the full run of ${r.header.date.slice(0, 10)}).`;
}

/** docs/performance.md: the lin check record as tables (docs/moddable.md says what each check does). */
export function linCheckTables(check: LinCheck | undefined): string {
  if (!check?.date) return linCheckText(check) + ".";
  const m = check.machine;
  const parts = Object.entries(check.checked ?? {}).filter(([, at]) => at && (at.commit !== check.commit || at.date.slice(0, 10) !== check.date!.slice(0, 10)));
  // A part's load: recorded with the part since check-lin keeps it (older records have none).
  const load = (l: number[] | undefined) => (l ? `load average ${l[0]} at the start` : "load not recorded");
  const earlier = parts.length ? ` Kept from earlier runs: ${parts.map(([part, at]) => `${part} checked ${at!.date.slice(0, 10)} at commit ${at!.commit}, ${load(at!.loadAverage)}`).join("; ")}.` : "";
  const latest = Object.keys(check.checked ?? {}).filter((part) => !parts.some(([p]) => p === part));
  const lines = [
    `Checked ${check.date.slice(0, 10)}${latest.length ? ` (${latest.join(", ")})` : ""}${m ? ` on ${m.cpu} (${m.cores} cores), ${load(m.loadAverage)}` : ""}, commit ${check.commit ?? "unknown"}, Moddable SDK ${check.sdk ?? "unknown"} (${LIN_CHECK_PATH}; \`sensor-node check-lin\` checks again).${earlier}`,
  ];
  if (check.runs?.length) {
    const rows = check.runs.map((r) => [
      r.sampler === "worker" ? "sampler Worker" : "polled (sampler=none)",
      String(r.cpuBoundBeside),
      `${r.windows} of ${r.expectedWindows}`,
      whole(r.samplesLost),
      `${r.windowsWithLoss} (largest ${whole(r.maxLostInWindow)})`,
      whole(r.overrunFaults),
      r.wake ? `${r.wake.lateOver10ms} of ${r.wake.wakeups} (max ${num(r.wake.maxLateMs)} ms)` : "-",
    ]);
    lines.push("", `Release build of manifests/sim.json at 3200 Hz, ${check.runs[0].seconds} s per run:`, "", table(["FIFO drained by", "CPU-bound processes beside", "windows (of those the rate allows)", "samples lost", "windows with a loss", "overrun faults", "OS wake-ups over 10 ms late"], rows));
  }
  if (check.preference) lines.push("", `Preference across two runs: boot ${check.preference.boots.join(" then ")} (${check.preference.persists ? "persists" : "**does not persist**"}).`);
  const memory = (check.memory ?? []) as { stage?: string; slots?: number; chunks?: number }[];
  if (memory.length) lines.push("", "XS heap of the simulated node, debug build, preloaded (64-bit lin: 32 B slots):", "", table(["stage", "slots", "chunk bytes"], memory.map((s) => [String(s.stage), whole(s.slots ?? 0), whole(s.chunks ?? 0)])));
  const spectrum = check.spectrum as { worstRelativeDifference?: Record<string, number>; kernel?: { nativeMsPerCall?: number; portableMsPerCall?: number } } | undefined;
  if (spectrum?.worstRelativeDifference) {
    const worst = Object.entries(spectrum.worstRelativeDifference).map(([k, v]) => `${k} ${v === 0 ? "0" : v.toExponential(1)}`).join(", ");
    const k = spectrum.kernel;
    lines.push("", `C spectrum kernel and envelope pass (env.*) against Node's portable ones, largest relative difference per feature: ${worst}.` + (k?.nativeMsPerCall !== undefined && k.portableMsPerCall !== undefined ? ` Spectrum kernel per call in the debug build: C ${num(k.nativeMsPerCall)} ms, portable XS ${num(k.portableMsPerCall)} ms (a debug XS: only the ratio says much).` : ""));
  }
  return lines.join("\n");
}

/** docs/provisioning.md: the lin build provisioned end to end (check-lin's provision check). */
export function linProvisionTable(check: LinCheck | undefined): string {
  const p = check?.provision;
  if (!p) return `${linCheckText(check)}: the provision check is not in it (\`sensor-node check-lin --only provision\`).`;
  const when = check.checked?.provision ?? { date: check.date ?? "", commit: check.commit ?? "unknown" };
  const rows = p.cases.map((c) => [c.case, c.expected, c.ok ? "yes" : "**no**", c.outcome.replace(/\|/g, "\\|"), whole(c.telemetry)]);
  return `Checked ${when.date.slice(0, 10)}, commit ${when.commit}, Moddable SDK ${check.sdk ?? "unknown"} (${LIN_CHECK_PATH}):\n\n${table(["case", "expected", "as expected", "the node's state or error", "telemetry at the subscriber"], rows)}`;
}

/** The lin check's state, as the docs quote it. */
export function linCheckText(check: LinCheck | undefined): string {
  if (!check) return `Moddable lin check: not checked (no ${LIN_CHECK_PATH}; \`sensor-node check-lin\` writes it where the Moddable SDK is installed)`;
  return `Moddable lin check: ${check.date ? `recorded ${check.date.slice(0, 10)}` : "recorded (no date given)"} in ${LIN_CHECK_PATH} (\`sensor-node check-lin\`)`;
}

const ms = (v: number) => `${num(v)} ms`;
const whole = (v: number) => v.toFixed(0);
const part = (f: Figure) => f.name.split(/[:,]/)[0];
const values = (fs: Figure[]) => fs.map((f) => f.value);

/** "ESP32 estimate at 3 M computrons/s", for the rate the record assumed. */
const estimateAt = (computronsPerS: number) => `ESP32 estimate at ${rateText(computronsPerS)}`;

/** The ESP32 CPU model's rows: the assumed rate's figures across the parts, and what the pessimistic rate did. */
function cpuRows(F: Figures, esp32: BenchRecord["bench"]["esp32"]): string[][] {
  const central = (what: string) => F.matching(new RegExp(`^cpu\\.[^.]+\\.${what.replace(/\./g, "\\.")}$`));
  const fromEnd = central("latencyFromWindowEnd.p99");
  const fromFeatures = central("latencyFromFeatures.p99");
  const main = central("mainShare");
  const sampler = central("samplerShare");
  const wait = central("samplerWait");
  const lost = central("lost");
  const rate = estimateAt(esp32.computronsPerSecond);
  const refused = F.all.filter((f) => /^cpu\.pessimistic\.[^.]+\.refused$/.test(f.id));
  const pessimistic = F.matching(/^cpu\.pessimistic\./);
  const pessimisticParts = new Set(pessimistic.map(part));
  const pessimisticLost = pessimistic.filter((f) => f.id.endsWith(".lost"));
  return [
    [
      `${rate}, each part at its top rate (n = 4096): alarm latency p99 from the window's end / from its features ready (virtual time)`,
      `${range(values(fromEnd), "ms", short)} / ${range(values(fromFeatures), "ms", short)}`,
      `\`--cpu free\` ${range(fromEnd.map((f) => f.baseline!.value), "ms", short)} / ${range(fromFeatures.map((f) => f.baseline!.value), "ms", short)}`,
      `${verdictOfAll(fromEnd)}; ${verdictOfAll(fromFeatures)}`,
    ],
    [
      `${rate}: main core / sampler core busy per window; longest wait of the acquisition for its core; samples lost`,
      `${range(values(main), "%", whole)} / ${range(values(sampler), "%", whole)}; ${range(values(wait), "ms", short)}; ${Math.max(...values(lost))}`,
      `features alone ${range(main.map((f) => f.baseline!.value), "%", whole)} of the main core`,
      `${verdictOfAll(wait)}; ${verdictOfAll(lost)}`,
    ],
    [
      `${estimateAt(esp32.pessimisticComputronsPerSecond)} (pessimistic), each part at its top rate`,
      `${refused.length} of ${pessimisticParts.size} parts refused at configuration (\`sensor-node bench --only cpu\` prints why)` +
        (pessimisticLost.length ? `; samples lost by the others: ${Math.max(...values(pessimisticLost))}` : ""),
      "-",
      pessimisticLost.length ? verdictOfAll(pessimisticLost) : "-",
    ],
  ];
}

/** README.md's summary. */
export function summaryTable(input: FiguresInput): string {
  const F = new Figures(input.record.bench.figures);
  const codec = F.matching(/^codec\.(encode|decode|encodeInto)\.[a-z0-9]+$/);
  const devicePath = F.get("dsp.xs.devicePathPerSample");
  const portable = F.get("dsp.xs.featuresPerSample");
  const xsMs = F.get("dsp.esp32.devicePathXsMsPerWindow");
  const kernelMs = F.get("dsp.esp32.kernelMsPerWindow");
  const totalMs = F.get("dsp.esp32.devicePathMsPerWindow");
  const withEnvelope = F.get("dsp.xs.devicePathWithEnvelopePerSample");
  const envelopeXs = F.get("dsp.xs.envelopeDevicePathPerSample");
  const envelopeRam = F.get("dsp.envelope.ramBytes");
  const wire = F.matching(/^acq\.[^.]+\.wirePerPayload$/);
  const lost = F.matching(/^acq\.[^.]+\.lost$/);
  const p50 = F.get("alarm.latency.p50");
  const p99 = F.get("alarm.latency.p99");
  const monitor = F.get("alarm.xs.monitorPerEvaluation");
  const heap = F.get("heap.xs.growth");
  const ram = F.get("xs.node.firmware.ramKiBPreloaded");
  const ramSmall = F.get("xs.node.firmware.ramKiBPreloaded2048");
  const ramFull = F.get("xs.node.firmware.ramKiB");
  const ring = F.get("xs.node.firmware.samplerRingKiB");
  const soak = F.get("xs.node.soakHeapGrowth");
  const setupRam = F.get("xs.node.setup.ramKiBPreloaded");
  const setupGrowth = F.get("xs.node.setup.growthSlots");
  const drain = F.matching(/^outbox\.drain\./);
  const fleet = F.get("fleet.capacity");
  const rows: string[][] = [
    [
      "MQTT codec vs mqtt-packet: encode and decode of a 100 B and a 1 KiB PUBLISH, SUBSCRIBE, CONNECT (wall, median of interleaved rounds)",
      range(codec.map((f) => f.ratio!), "", ratio),
      "mqtt-packet, same run",
      verdictOfAll(codec),
    ],
    [
      "features per sample per axis, XS, device path: the XS part only (the C FFT kernel replayed at ~0 XS cost; its time is the next row)",
      withUnit(devicePath.value, devicePath.unit),
      `portable path (TS FFT) ${num(portable.value)}: ${portable.pass ? "meets the goal" : "**misses the goal**"}`,
      verdict(devicePath),
    ],
    [
      "features per window on the ESP32, device path: the XS part at the assumed XS rate + the C kernel from ESP-DSP's published cycles (estimates)",
      `${ms(xsMs.value)} + ${ms(kernelMs.value)} = ${ms(totalMs.value)}`,
      `window ${ms(xsMs.baseline!.value)}; portable path ${ms(totalMs.baseline!.value)}`,
      "-",
    ],
    [
      "features and bearing diagnostics (envelope, speed, defect bands) per sample per axis, device path: XS + the ESP32 estimate of their C code (both spectrum kernel runs, the envelope pass)",
      withUnit(withEnvelope.value, withEnvelope.unit),
      `features alone ${num(withEnvelope.baseline!.value)}; the envelope's XS part ${num(envelopeXs.value)}`,
      verdict(withEnvelope),
    ],
    ["RAM the bearing diagnostics add (n = 4096; no buffer of their own)", withUnit(envelopeRam.value, envelopeRam.unit), "-", verdict(envelopeRam)],
    [
      "I2C wire bytes per payload byte at each part's top rate",
      wire.map((f) => `${part(f)} ${num(f.value)}`).join(", "),
      `protocol limits ${wire.map((f) => num(f.baseline!.value)).join(" / ")}`,
      verdictOfAll(wire),
    ],
    ["samples lost at each part's top rate", `${Math.max(...values(lost))} (${lost.length} parts)`, "-", verdictOfAll(lost)],
    [
      "alarm latency p50 / p99 (processing on this machine, one node, loopback broker; wall: median of whole runs)",
      `${ms(p50.value)} / ${ms(p99.value)}; spread ${spreadText(p50)} / ${spreadText(p99)}`,
      `telemetry ${ms(p50.baseline!.value)} / ${ms(p99.baseline!.value)}`,
      verdict(p99),
    ],
    ...cpuRows(F, input.record.bench.esp32),
    ["monitor evaluation (ISO zones + rules), XS", withUnit(monitor.value, monitor.unit), "-", "-"],
    [`${heap.name} (DSP + monitor steady state)`, withUnit(heap.value, heap.unit), `after 5 windows ${num(heap.baseline!.value)} slots`, verdict(heap)],
    [
      "firmware XS heap, ESP32 estimate (xsnap slots x 16 B + chunks, the FIFO sampler's read buffer included; stub host, flash and bytecode out), modules preloaded, n = 4096",
      `${withUnit(ram.value, ram.unit)}; n = 2048: ${withUnit(ramSmall.value, ramSmall.unit)}; not preloaded: ${withUnit(ramFull.value, ramFull.unit)}`,
      linCheckText(input.linCheck),
      verdict(ram),
    ],
    [`${ring.name} (ESP32 estimate${ring.note ? `: ${ring.note}` : ""})`, withUnit(ring.value, ring.unit), "-", verdict(ring)],
    [
      "whole node in setup mode (unprovisioned: sampling, publishing nothing, serving its setup page; docs/provisioning.md), same estimate, n = 4096; heap growth over its rounds",
      `${withUnit(setupRam.value, setupRam.unit)}; growth ${withUnit(setupGrowth.value, setupGrowth.unit)}`,
      `steady monitoring state ${withUnit(ram.value, ram.unit)}`,
      `${verdict(setupRam)}; ${verdict(setupGrowth)}`,
    ],
    [soak.name, withUnit(soak.value, soak.unit), `max over the first cycles ${num(soak.baseline!.value)} slots`, verdict(soak)],
    [
      "outbox drain after an hour offline (3 600 messages; wall)",
      drain.map((f) => `${withUnit(f.value, f.unit)} to ${f.id.split(".").pop()} (spread ${spreadText(f)})`).join(", "),
      `store rate ${range(drain.map((f) => f.baseline!.value), "msg/s")}`,
      verdictOfAll(drain),
    ],
    [fleet.name + " (wall, the median of capacity searches)", `${withUnit(fleet.value, fleet.unit)}; spread ${spreadText(fleet)}`, baselineText(fleet), verdict(fleet)],
    opcuaSummaryRow(F),
  ];
  return `${measuredLine(input.record)}\n\n${table(["figure", "value", "baseline", "goal"], rows)}`;
}

/** The header of the tables of figureRows. */
const FIGURE_HEADER = ["figure", "kind", "value", "spread (wall: over rounds)", "baseline (same run)", "ratio", "goal", "note"];

/** "0.0146 (bare loop, Node)". */
const baselineText = (f: Figure) => (f.baseline ? `${withUnit(f.baseline.value, "")} (${f.baseline.name})` : "-");

/** A ratio with its spread over rounds, if it has one: "0.60x (0.55-0.66x)". */
const ratioText = (f: Figure) => ratio(f.ratio) + (f.ratioSpread && f.ratio !== undefined ? ` (${range(f.ratioSpread, "", (v) => v.toFixed(2))}x)` : "");

/** One row per figure: name, kind, value, spread, baseline, ratio, goal, note. */
function figureRows(figures: FiguresInput["record"]["bench"]["figures"]): string[][] {
  return figures.map((f) =>
    f.text !== undefined
      ? [f.name, f.kind, f.text, "-", "-", "-", "-", f.note ?? ""]
      : [f.name, f.kind, withUnit(f.value, f.unit), spreadText(f), baselineText(f), ratioText(f), verdict(f), f.note ?? ""],
  );
}

/** docs/ota.md: the update-verification figures (the ota bench). */
export function otaFiguresTable(input: FiguresInput): string {
  const rows = figureRows(input.record.bench.figures.filter((f) => f.id.startsWith("ota.")));
  if (!rows.length) return `${measuredLine(input.record)}

The record has no update-verification figures yet (\`npm run figures -- --update\`).`;
  return `${measuredLine(input.record)}

${table(FIGURE_HEADER, rows)}`;
}

/** The dsp bench's figures of the bearing diagnostics (issue 19), in its order. */
const BEARING_FIGURES = new Set([
  "dsp.xs.envelopePerSample",
  "dsp.xs.envelopeDevicePathPerSample",
  "dsp.xs.devicePathWithEnvelopePerSample",
  "dsp.esp32.envelopeMsPerWindow",
  "dsp.esp32.envelopeNativeMsPerWindow",
  "dsp.native.envelopePassNs",
  "dsp.envelope.ramBytes",
]);

/** docs/provisioning.md: the whole node in setup mode (the xs-node bench's xs.node.setup.* figures) beside the steady state's RAM. */
export function setupMemoryTable(input: FiguresInput): string {
  const ids = ["xs.node.setup.ramKiBPreloaded", "xs.node.setup.growthSlots", "xs.node.firmware.ramKiBPreloaded"];
  const rows = figureRows(input.record.bench.figures.filter((f) => ids.includes(f.id)));
  if (!rows.length) return `${moduleMeasuredLine(input.record, "xs-node")}

The record has no setup-mode figures yet (\`npm run figures -- --update --only xs-node\`).`;
  return `${moduleMeasuredLine(input.record, "xs-node")}\n\n${table(FIGURE_HEADER, rows)}`;
}

/** docs/measurement.md: the bearing diagnostics' cost and RAM. */
export function bearingTable(input: FiguresInput): string {
  const rows = figureRows(input.record.bench.figures.filter((f) => BEARING_FIGURES.has(f.id)));
  return `${moduleMeasuredLine(input.record, "dsp")}\n\n${table(FIGURE_HEADER, rows)}`;
}

/** docs/performance.md: every figure of the record, in the bench's order. */
export function allFiguresTable(input: FiguresInput): string {
  const rows = figureRows(input.record.bench.figures);
  const speed = input.record.bench.xsSpeed;
  const esp32 = input.record.bench.esp32;
  const lines = [
    measuredLine(input.record),
    "",
    table(FIGURE_HEADER, rows),
    "",
    `ESP32 estimates assume ${rateText(esp32.computronsPerSecond)} of XS (pessimistic ${rateText(esp32.pessimisticComputronsPerSecond)}), a fixed assumption ("The ESP32 assumption" below).` +
      (speed ? ` XS on the machine above: ${num(speed.computronsPerSecond / 1e6)} M computrons/s (wall, context only).` : ""),
  ];
  return lines.join("\n");
}

/** README.md's row for the OPC UA gateway under a fleet. */
function opcuaSummaryRow(F: Figures): string[] {
  const p50 = F.get("opcua.latency.p50");
  const p99 = F.get("opcua.latency.p99");
  const lost = F.get("opcua.windowsLost");
  const updates = F.get("opcua.updatesPerSecond");
  const rss = F.get("opcua.gateway.rss");
  return [
    `OPC UA gateway: ${p99.name.split(": ")[0].replace("OPC UA gateway, ", "")}, update latency p50 / p99 from the gateway's MQTT receive to an OPC UA client's data change (wall; docs/opcua.md)`,
    `${ms(p50.value)} / ${ms(p99.value)} (p99 spread ${spreadText(p99)}); ${withUnit(updates.value, updates.unit)}; ${num(lost.value)} windows lost; RSS ${withUnit(rss.value, rss.unit)}`,
    `to the address space ${ms(p50.baseline!.value)} / ${ms(p99.baseline!.value)}`,
    `${verdict(p99)}; ${verdict(lost)}`,
  ];
}

/** docs/opcua.md: the gateway under a fleet (tools/bench/opcua.ts). */
export function opcuaTable(input: FiguresInput): string {
  const F = new Figures(input.record.bench.figures);
  const row = (id: string, what: string, value: (f: Figure) => string = (f) => withUnit(f.value, f.unit)) => {
    const f = F.get(id);
    return [what, value(f), spreadText(f), baselineText(f), verdict(f), f.note ?? ""];
  };
  const p50 = F.get("opcua.latency.p50");
  const p99 = F.get("opcua.latency.p99");
  const endToEnd = F.get("opcua.endToEnd.p99");
  const rows = [
    row("opcua.updatesPerSecond", "variable updates per second"),
    row("opcua.latency.p99", `${p99.name.split(": ").slice(1).join(": ").replace("update latency p99, ", "update latency, ")}, p50 / p99`, (f) => `${ms(p50.value)} / ${ms(f.value)}`),
    [`of which up to the values written in the address space, p50 / p99`, `${ms(p50.baseline!.value)} / ${ms(p99.baseline!.value)}`, "-", "-", "-", ""],
    row("opcua.endToEnd.p99", endToEnd.name.split(": ").slice(1).join(": ").replace(/, p99$/, ", p50 / p99"), (f) => `${ms(f.baseline!.value)} / ${ms(f.value)}`).map((c, i) => (i === 3 ? "-" : c)),
    row("opcua.windowsLost", "windows published and not in the address space"),
    row("opcua.gateway.rss", "gateway process RSS, peak"),
    row("opcua.gateway.heap", "gateway V8 heap after a collection"),
    row("opcua.gateway.cpu", "gateway CPU"),
  ];
  return `${moduleMeasuredLine(input.record, "opcua")}\n\n${p50.name.split(": ")[0]}:\n\n${table(["figure", "value", "spread over rounds (p99 for p50 / p99)", "baseline (same run)", "goal", "note"], rows)}`;
}

/** How a budget stands to its goal (budgets.json keeps a few digits: 2.976 for 2.97619...). */
function budgetAgainstGoal(budget: number, limit: number): string {
  if (Math.abs(budget - limit) <= 1e-9 * Math.max(1, Math.abs(limit))) return "budget = goal";
  return budget < limit ? "budget tighter" : "**budget looser than the goal**";
}

/** docs/performance.md: each CI budget, the goal it carries (if any) and the record's value. */
export function budgetsTable(input: FiguresInput): string {
  const goals = budgetGoals();
  const measured = new Map<string, number>();
  for (const f of input.record.bench.figures) for (const [key, v] of Object.entries(f.budgets ?? {})) measured.set(key, Math.max(v, measured.get(key) ?? -Infinity));
  const rows = Object.entries(input.budgets).map(([key, b]) => {
    const g = goals[key];
    const goal = !g ? "none: a ceiling against regressions" : g.missed ? `${g.text}: **missed**, a ceiling meanwhile (${g.missed})` : `${g.text} (${budgetAgainstGoal(b.budget, g.limit)})`;
    const v = measured.get(key);
    const here = v === undefined ? "not in the record" : `${num(v)}${v > b.budget ? " **over budget**" : ""}`;
    return [`\`${key}\``, b.unit, num(b.budget), goal, here];
  });
  return `${measuredLine(input.record)}\n\n${table(["key", "unit", "budget", "goal", "in the record"], rows)}`;
}

/** The blocks each document holds, by file. */
export function renderBlocks(input: FiguresInput): Record<string, Record<string, string>> {
  return {
    "README.md": { summary: summaryTable(input) },
    "docs/performance.md": { all: allFiguresTable(input), budgets: budgetsTable(input), "lin-check": linCheckTables(input.linCheck) },
    "docs/provisioning.md": { "lin-provision": linProvisionTable(input.linCheck), "setup-memory": setupMemoryTable(input) },
    "docs/opcua.md": { bench: opcuaTable(input) },
    "docs/ota.md": { ota: otaFiguresTable(input) },
    "docs/measurement.md": { bearing: bearingTable(input) },
  };
}
