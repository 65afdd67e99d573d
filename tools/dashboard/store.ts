/*
 * What the dashboard keeps per node, from the MQTT messages it sees: a trend of
 * the telemetry, the latest telemetry as it came, alarm transitions, the
 * retained status, the last captures (spectra joined from their chunks) and the
 * levels the node's alarms carried. Everything is bounded (points, alarms,
 * captures per node, nodes) and every payload is checked before use: a topic
 * or payload anyone can publish never throws here (the fuzz in
 * test/dashboard.test.ts publishes such messages).
 */
import { nodeSetup, TEMPERATURE_RESOLUTION_C, type Level, type NodeSetup } from "./setup.js";

export interface StoreOptions {
  prefix: string;
  /** Points of trend kept per node. */
  history: number;
  /** The configuration document the run gave a node, when the dashboard knows it (setup.ts). */
  nodeConfig?: (nodeId: string) => Record<string, unknown> | undefined;
}

/** Nodes kept at most: topics are anyone's to publish, memory is not. */
export const MAX_NODES = 10_000;
const MAX_ALARMS = 200;
/** Captures kept per node (the waterfall). */
const MAX_CAPTURES = 10;
/** Largest window a capture may announce (the config allows 16384). */
const MAX_CAPTURE_N = 16_384;
const AXES = ["x", "y", "z"] as const;
const DEFECTS = ["bpfo", "bpfi", "bsf", "ftf"] as const;

/** One trend point: velocity RMS per axis, temperature, state, and the envelope's defect amplitudes when the node has them. */
export interface Point {
  t: number;
  v: (number | null)[];
  temp: number | null;
  state?: string;
  env?: Record<string, (number | null)[]>;
}

export interface Capture {
  id: number;
  t?: number;
  df: number;
  n: number;
  odr: number;
  x: number[];
  y: number[];
  z: number[];
  envelope?: { df: number; speed?: number; defects?: Record<string, number>; x: number[]; y: number[]; z: number[] };
}

interface Pending {
  id: number;
  t?: number;
  df: number;
  n: number;
  odr: number;
  chunks: number;
  envelope?: { df: number; chunks: number; speed?: number; defects?: Record<string, number> };
  got: Map<string, number[]>;
}

export interface NodeState {
  id: string;
  points: Point[];
  alarms: Record<string, unknown>[];
  status?: Record<string, unknown>;
  /** The latest telemetry payload, as published. */
  latest?: Record<string, unknown>;
  /** Wall time (ms) the latest telemetry was received. */
  received?: number;
  telemetryCount: number;
  captures: Capture[];
  pending?: Pending;
  /** Levels the alarm transitions carried, by rule name. */
  seen: Map<string, Level>;
  setup?: NodeSetup;
}

/** What the store tells its listeners (server.ts sends them to the pages that show the node). */
export type StoreEvent =
  | { type: "telemetry"; node: string; point: Point; latest: Record<string, unknown>; received: number }
  | { type: "alarm"; node: string; alarm: Record<string, unknown>; levels: Level[] }
  | { type: "status"; node: string; status: Record<string, unknown>; tempResolution?: number }
  | { type: "capture"; node: string; capture: Capture };

const LEVEL_RANK: Record<string, number> = { normal: 0, warning: 1, alarm: 2 };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);
const path = (o: unknown, ...keys: string[]): unknown => keys.reduce<unknown>((a, k) => (isObject(a) ? a[k] : undefined), o);

export class Store {
  readonly nodes = new Map<string, NodeState>();
  /** Messages on topics or with payloads the store could not use (counted, never thrown). */
  ignored = 0;
  #o: StoreOptions;
  #listener: (e: StoreEvent) => void;
  /** One setup per configuration document (a fleet's nodes share theirs). */
  #setups = new WeakMap<object, NodeSetup>();

  constructor(options: StoreOptions, listener: (e: StoreEvent) => void) {
    this.#o = options;
    this.#listener = listener;
  }

  /** The MQTT topics to subscribe. */
  get topics(): string[] {
    const p = this.#o.prefix;
    return [`${p}/+/telemetry`, `${p}/+/alarm`, `${p}/+/status`, `${p}/+/capture/#`];
  }

  #node(id: string): NodeState | undefined {
    let n = this.nodes.get(id);
    if (n) return n;
    if (this.nodes.size >= MAX_NODES) return undefined;
    const doc = this.#o.nodeConfig?.(id);
    let setup = doc && this.#setups.get(doc);
    if (doc && !setup) this.#setups.set(doc, (setup = nodeSetup(doc)));
    n = { id, points: [], alarms: [], captures: [], telemetryCount: 0, seen: new Map(), setup };
    this.nodes.set(id, n);
    return n;
  }

  /** One MQTT message. */
  message(topic: string, payload: Buffer, now: number): void {
    const parts = topic.split("/");
    let doc: unknown;
    try {
      doc = JSON.parse(payload.toString("utf8"));
    } catch {
      doc = undefined;
    }
    const n = parts.length >= 3 && parts[0] === this.#o.prefix && parts[1] && isObject(doc) ? this.#node(parts[1]) : undefined;
    const used = n !== undefined && isObject(doc) && this.#use(n, parts[2], parts.slice(3), doc, now);
    if (!used) this.ignored++;
  }

  #use(n: NodeState, kind: string, rest: string[], doc: Record<string, unknown>, now: number): boolean {
    switch (kind) {
      case "telemetry":
        return this.#telemetry(n, doc, now);
      case "alarm":
        return this.#alarm(n, doc);
      case "status":
        if (typeof doc.state !== "string") return false;
        n.status = doc;
        this.#listener({ type: "status", node: n.id, status: doc, tempResolution: this.tempResolution(n) });
        return true;
      case "capture":
        return this.#capture(n, rest, doc);
    }
    return false;
  }

  #telemetry(n: NodeState, doc: Record<string, unknown>, now: number): boolean {
    const t = num(doc.ts) ?? now;
    const point: Point = { t, v: AXES.map((a) => num(path(doc, "vib", a, "vRms"))), temp: num(path(doc, "temp", "c")) };
    if (typeof doc.state === "string") point.state = doc.state;
    if (AXES.some((a) => isObject(path(doc, "vib", a, "env")))) point.env = Object.fromEntries(DEFECTS.map((d) => [d, AXES.map((a) => num(path(doc, "vib", a, "env", d)))]));
    n.points.push(point);
    if (n.points.length > this.#o.history) n.points.splice(0, n.points.length - this.#o.history);
    n.latest = doc;
    n.received = now;
    n.telemetryCount++;
    this.#listener({ type: "telemetry", node: n.id, point, latest: doc, received: now });
    return true;
  }

  #alarm(n: NodeState, doc: Record<string, unknown>): boolean {
    if (typeof doc.metric !== "string" || typeof doc.level !== "string") return false;
    n.alarms.push(doc);
    if (n.alarms.length > MAX_ALARMS) n.alarms.shift();
    // Raising, `limit` is the level crossed: the node's level, whether configured or learned.
    const limit = num(doc.limit);
    const level = doc.level;
    if (limit !== null && (level === "warning" || level === "alarm") && LEVEL_RANK[level] > (LEVEL_RANK[String(doc.prev)] ?? 0)) {
      const l = n.seen.get(doc.metric) ?? { name: doc.metric, source: "seen" as const };
      l[level] = limit;
      n.seen.set(doc.metric, l);
    }
    this.#listener({ type: "alarm", node: n.id, alarm: doc, levels: this.levels(n) });
    return true;
  }

  #capture(n: NodeState, rest: string[], doc: Record<string, unknown>): boolean {
    const [idText, part, axis, kText] = rest;
    const id = Number(idText);
    if (!Number.isInteger(id)) return false;
    if (part === "meta") {
      const df = num(doc.df), size = num(doc.n), odr = num(doc.odr);
      if (df === null || df <= 0 || size === null || !Number.isInteger(size) || size < 2 || size > MAX_CAPTURE_N || odr === null || odr <= 0) return false;
      const chunks = Math.ceil((size / 2 + 1) / 1024);
      const env = doc.envelope;
      const envDf = num(path(env, "df"));
      const defects = path(env, "defects");
      n.pending = {
        id,
        t: num(doc.ts) ?? undefined,
        df,
        n: size,
        odr,
        chunks,
        envelope: isObject(env) && envDf !== null && envDf > 0 ? { df: envDf, chunks, speed: num(env.speed) ?? undefined, defects: isObject(defects) ? numbers(defects) : undefined } : undefined,
        got: new Map(),
      };
      return true;
    }
    const p = n.pending;
    const k = Number(kText);
    if ((part !== "spectrum" && part !== "envelope") || !p || p.id !== id || !(AXES as readonly string[]).includes(axis)) return false;
    if (part === "envelope" && !p.envelope) return false;
    if (!Number.isInteger(k) || k < 0 || k >= p.chunks || !Array.isArray(doc.data) || doc.data.length > 1024 || !doc.data.every((v) => num(v) !== null)) return false;
    p.got.set(`${part}/${axis}/${k}`, doc.data as number[]);
    if (p.got.size < (p.chunks + (p.envelope?.chunks ?? 0)) * 3) return true;
    const join = (kind: string, a: string, chunks: number) => Array.from({ length: chunks }, (_, i) => p.got.get(`${kind}/${a}/${i}`) ?? []).flat();
    const e = p.envelope;
    const capture: Capture = {
      id: p.id,
      t: p.t,
      df: p.df,
      n: p.n,
      odr: p.odr,
      x: join("spectrum", "x", p.chunks),
      y: join("spectrum", "y", p.chunks),
      z: join("spectrum", "z", p.chunks),
      envelope: e && { df: e.df, speed: e.speed, defects: e.defects, x: join("envelope", "x", e.chunks), y: join("envelope", "y", e.chunks), z: join("envelope", "z", e.chunks) },
    };
    n.captures.push(capture);
    if (n.captures.length > MAX_CAPTURES) n.captures.shift();
    n.pending = undefined;
    this.#listener({ type: "capture", node: n.id, capture });
    return true;
  }

  /** The levels to draw: the configuration's rules, and for rules it does not name (learned baselines) the limits alarms carried. */
  levels(n: NodeState): Level[] {
    const config = n.setup?.levels ?? [];
    return [...config, ...[...n.seen.values()].filter((l) => !config.some((c) => c.name === l.name))];
  }

  /** The resolution of the node's temperature part (status names it; else the configured kind). */
  tempResolution(n: NodeState): number | undefined {
    const kind = path(n.status, "sensors", "temperature") ?? n.setup?.temperature;
    return typeof kind === "string" ? TEMPERATURE_RESOLUTION_C[kind] : undefined;
  }

  /** Everything the page needs to draw a node at once. */
  snapshot(n: NodeState) {
    return {
      id: n.id,
      points: n.points,
      alarms: n.alarms,
      status: n.status,
      latest: n.latest,
      received: n.received,
      telemetryCount: n.telemetryCount,
      captures: n.captures,
      levels: this.levels(n),
      setup: n.setup,
      tempResolution: this.tempResolution(n),
    };
  }

  /** The node list: one line per node, sorted as people number things. */
  summary(limit: number) {
    const list = [...this.nodes.values()].map((n) => {
      const last = n.points[n.points.length - 1];
      return { id: n.id, state: typeof n.latest?.state === "string" ? n.latest.state : undefined, online: n.status?.state, x: last?.v[0] ?? undefined, alarms: n.alarms.length };
    });
    list.sort((a, b) => a.id.localeCompare(b.id, "en", { numeric: true }));
    return { total: list.length, nodes: list.slice(0, limit) };
  }
}

function numbers(o: Record<string, unknown>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(o)) if (num(v) !== null) out[k] = v as number;
  return out;
}
