/*
 * An edge node's metric catalogue (docs/sparkplug.md): the definitions with
 * their aliases, each metric's current value and the value last published,
 * so DATA messages carry only what changed beyond its deadband (report by
 * exception). Births carry every metric with name, alias and datatype; DATA
 * only the alias (the birth declared the rest).
 */
import { checkValue, DATA_TYPE_NAMES, DataType, valueFieldOf, type DataTypeCode, type Metric, type MetricValue } from "./payload.js";

export const BDSEQ_METRIC = "bdSeq";
export const REBIRTH_METRIC = "Node Control/Rebirth";

export interface MetricDef {
  /** Sparkplug metric name; "/" makes folders in the host's tag tree. */
  name: string;
  datatype: DataTypeCode;
  /** Fixed alias; otherwise one is assigned in catalogue order (node metrics first). */
  alias?: number;
  /** Value before the first report (default: null, sent as is_null). */
  initial?: MetricValue;
  /** NCMD/DCMD may write it (delivered through onWrite). */
  writable?: boolean;
  /** Numbers: a change smaller than or equal to this is not reported (default 0: any change). */
  deadband?: number;
  /** Marks the metric transient (hosts do not historise it). */
  transient?: boolean;
}

export interface Entry {
  def: MetricDef;
  alias: number | undefined;
  device: boolean;
  value: MetricValue;
  /** Value last published (birth or data). */
  sent: MetricValue;
  timestamp: number | undefined;
}

export class Catalogue {
  readonly byName = new Map<string, Entry>();
  readonly byAlias = new Map<number, Entry>();
  /** Edge-node metrics (bdSeq and Rebirth first), then the device's, in birth order. */
  readonly node: Entry[] = [];
  readonly device: Entry[] = [];

  constructor(nodeMetrics: readonly MetricDef[], deviceMetrics: readonly MetricDef[]) {
    // Built-in node metrics: no alias (hosts send Rebirth by name) [tck-id-operational-behavior-data-commands-rebirth-name-aliases].
    this.#add({ name: BDSEQ_METRIC, datatype: DataType.Int64 }, false, undefined);
    this.#add({ name: REBIRTH_METRIC, datatype: DataType.Boolean, initial: false, writable: true }, false, undefined);
    const all: [MetricDef, boolean][] = [];
    for (const m of nodeMetrics) all.push([m, false]);
    for (const m of deviceMetrics) all.push([m, true]);
    const used = new Set<number>();
    for (const [m] of all) if (m.alias !== undefined) used.add(m.alias);
    let next = 1;
    for (const [m, device] of all) {
      let alias = m.alias;
      if (alias === undefined) {
        while (used.has(next)) next++;
        alias = next++;
      }
      this.#add(m, device, alias);
    }
  }

  #add(def: MetricDef, device: boolean, alias: number | undefined): void {
    const initial = def.initial === undefined ? null : normalize(def.datatype, def.initial);
    const entry: Entry = { def, alias, device, value: initial, sent: initial, timestamp: undefined };
    this.byName.set(def.name, entry);
    if (alias !== undefined) this.byAlias.set(alias, entry);
    (device ? this.device : this.node).push(entry);
  }

  /** The catalogue with assigned aliases, node metrics first (for docs and the app). */
  list(): { name: string; alias: number | undefined; datatype: string; device: boolean; writable: boolean }[] {
    return [...this.node, ...this.device].map((e) => ({ name: e.def.name, alias: e.alias, datatype: DATA_TYPE_NAMES[e.def.datatype], device: e.device, writable: e.def.writable === true }));
  }

  /**
   * Records a reported value. Returns an error text (unknown metric, built-in,
   * wrong type), the entry when it changed beyond the deadband since last
   * sent, or undefined.
   */
  record(name: string, raw: MetricValue, device: boolean, ts: number | undefined): string | Entry | undefined {
    const e = this.byName.get(name);
    if (e === undefined || e.device !== device || e.def.name === BDSEQ_METRIC || e.def.name === REBIRTH_METRIC) return `no ${device ? "device" : "node"} metric "${name}"`;
    const bad = checkValue(e.def.datatype, raw);
    if (bad !== undefined) return `"${name}": ${bad}`;
    e.value = normalize(e.def.datatype, raw);
    e.timestamp = ts;
    return differs(e) ? e : undefined;
  }
}

/** The metric as a birth carries it (name, alias, datatype, value); it counts as sent. */
export function birthMetric(e: Entry, ts: number | undefined): Metric {
  e.sent = e.value;
  const m: Metric = { name: e.def.name, datatype: e.def.datatype, value: e.value };
  if (e.alias !== undefined) m.alias = e.alias;
  const t = e.timestamp ?? ts;
  if (t !== undefined) m.timestamp = t;
  if (e.def.transient) m.isTransient = true;
  return m;
}

/** The metric as NDATA/DDATA carry it (alias and value, no datatype); it counts as sent. */
export function dataMetric(e: Entry, ts: number | undefined): Metric {
  e.sent = e.value;
  const m: Metric = { alias: e.alias, datatype: e.def.datatype, omitDatatype: true, value: e.value };
  if (ts !== undefined) m.timestamp = ts;
  if (e.def.transient) m.isTransient = true;
  return m;
}

/** Validates metric definitions (names unique and not built in, aliases, types, initial values); the first problem or undefined. */
export function checkMetricDefs(defs: readonly MetricDef[]): string | undefined {
  const names = new Set<string>([BDSEQ_METRIC, REBIRTH_METRIC]);
  const aliases = new Set<number>();
  for (const m of defs) {
    if (typeof m.name !== "string" || m.name.length === 0) return "a metric needs a name";
    if (names.has(m.name)) return `metric "${m.name}" is defined twice (or is built in)`;
    names.add(m.name);
    if (valueFieldOf(m.datatype) === undefined) return `metric "${m.name}": data type ${m.datatype} not supported`;
    if (m.alias !== undefined) {
      if (!Number.isSafeInteger(m.alias) || m.alias < 0) return `metric "${m.name}": alias must be a non-negative integer`;
      if (aliases.has(m.alias)) return `metric "${m.name}": alias ${m.alias} used twice`;
      aliases.add(m.alias);
    }
    if (m.initial !== undefined) {
      const e = checkValue(m.datatype, m.initial);
      if (e !== undefined) return `metric "${m.name}": initial value: ${e}`;
    }
  }
  return undefined;
}

/** Float metrics compare in float32 (what goes on the wire); non-finite numbers become null (is_null). */
function normalize(datatype: DataTypeCode, v: MetricValue): MetricValue {
  if (typeof v === "number" && (datatype === DataType.Float || datatype === DataType.Double)) {
    if (!Number.isFinite(v)) return null;
    return datatype === DataType.Float ? Math.fround(v) : v;
  }
  return v;
}

function differs(e: Entry): boolean {
  const a = e.value;
  const b = e.sent;
  if (a === b) return false;
  if (typeof a === "number" && typeof b === "number") {
    const db = e.def.deadband ?? 0;
    return Math.abs(a - b) > db;
  }
  if (a instanceof Uint8Array && b instanceof Uint8Array) {
    if (a.length !== b.length) return true;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return true;
    return false;
  }
  return true;
}
