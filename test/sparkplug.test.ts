/*
 * Sparkplug B: our protobuf encoding of the Tahu Payload checked against Eclipse
 * Tahu's own JavaScript library (sparkplug-payload, dev dependency only) as the
 * oracle: every message decoded by Tahu and every field compared; fixed
 * vectors; a seeded random round trip against Tahu's encodePayload (byte for
 * byte); the edge-node session rules (bdSeq, seq, aliases, report by
 * exception, rebirth, DDEATH, STATE); malformed commands never throw.
 */
import test from "ava";
import { createRequire } from "node:module";
import {
  DataType,
  decodePayload,
  encodePayload,
  isPayloadError,
  valueAs,
  type DecodedPayload,
  type Metric,
  type MetricValue,
  type Payload,
} from "../firmware/sparkplug/payload.js";
import { EdgeNode, REBIRTH_METRIC, type EdgeNodeOptions, type MetricDef, type SparkplugMessage } from "../firmware/sparkplug/edge-node.js";
import { sensorDeviceMetrics, sensorDeviceValues, sensorNodeMetrics } from "../firmware/sparkplug/sensor-metrics.js";
import { join64, split64 } from "../firmware/sparkplug/protobuf.js";
import { mulberry32 as rng } from "../sim/rng.js";

const require = createRequire(import.meta.url);
interface TahuMetric {
  name?: string;
  alias?: unknown;
  timestamp?: unknown;
  type?: string;
  value?: unknown;
  isHistorical?: boolean;
  isTransient?: boolean;
}
interface TahuPayload {
  timestamp?: unknown;
  metrics?: TahuMetric[];
  seq?: unknown;
  uuid?: string;
  body?: Uint8Array;
}
const tahu = require("sparkplug-payload").get("spBv1.0") as {
  decodePayload(bytes: Uint8Array): TahuPayload;
  encodePayload(p: TahuPayload): Uint8Array;
};
const Long = require("long") as { fromString(s: string, unsigned?: boolean): unknown };

// ---- helpers ---------------------------------------------------------------


/** Tahu's Long / number -> bigint (exact). */
function big(x: unknown): bigint {
  return BigInt(String(x));
}
/** Tahu's Long / number -> number (for values known to be safe). */
function num(x: unknown): number {
  return Number(String(x));
}

function bytes(p: Payload): Uint8Array {
  const b = encodePayload(p);
  if (isPayloadError(b)) throw new Error(b.error);
  return b;
}

function ours(b: Uint8Array): DecodedPayload {
  const d = decodePayload(b);
  if (isPayloadError(d)) throw new Error(d.error);
  return d;
}

const TYPE_NAME: Record<number, string> = {
  1: "Int8", 2: "Int16", 3: "Int32", 4: "Int64", 5: "UInt8", 6: "UInt16", 7: "UInt32", 8: "UInt64", 9: "Float", 10: "Double",
  11: "Boolean", 12: "String", 13: "DateTime", 14: "Text", 15: "UUID", 17: "Bytes", 18: "File",
};

/** Our Payload object as Tahu's encodePayload wants it. */
function toTahu(p: Payload): TahuPayload {
  const out: TahuPayload = {};
  if (p.timestamp !== undefined) out.timestamp = p.timestamp;
  out.metrics = p.metrics.map((m) => {
    const t: TahuMetric = { type: TYPE_NAME[m.datatype] };
    if (m.name !== undefined) t.name = m.name;
    if (m.alias !== undefined) t.alias = m.alias;
    if (m.timestamp !== undefined) t.timestamp = m.timestamp;
    if (m.isHistorical !== undefined) t.isHistorical = m.isHistorical;
    if (m.isTransient !== undefined) t.isTransient = m.isTransient;
    let v: unknown = m.value;
    if (typeof v === "bigint") v = Long.fromString(v.toString(), v >= 0n && m.datatype !== DataType.Int64);
    if (v !== undefined) t.value = v;
    return t;
  });
  if (p.seq !== undefined) out.seq = p.seq;
  if (p.uuid !== undefined) out.uuid = p.uuid;
  if (p.body !== undefined) out.body = p.body;
  return out;
}

/** Checks Tahu's decoding of our bytes against the object we encoded. */
function sameAsTahu(t: { deepEqual: (a: unknown, b: unknown, m?: string) => void; is: (a: unknown, b: unknown, m?: string) => void }, p: Payload, b: Uint8Array, label = ""): void {
  const d = tahu.decodePayload(b);
  t.is(d.timestamp === undefined ? undefined : num(d.timestamp), p.timestamp, `${label} timestamp`);
  t.is(d.seq === undefined ? undefined : num(d.seq), p.seq, `${label} seq`);
  t.is(d.uuid, p.uuid, `${label} uuid`);
  t.deepEqual(d.body === undefined ? undefined : Array.from(d.body), p.body === undefined ? undefined : Array.from(p.body), `${label} body`);
  const ms = d.metrics ?? [];
  t.is(ms.length, p.metrics.length, `${label} metric count`);
  p.metrics.forEach((m, i) => {
    const x = ms[i];
    const where = `${label} metric ${i} (${m.name ?? m.alias})`;
    t.is(x.name, m.name, `${where} name`);
    t.is(x.alias === undefined ? undefined : num(x.alias), m.alias, `${where} alias`);
    t.is(x.timestamp === undefined ? undefined : num(x.timestamp), m.timestamp, `${where} timestamp`);
    if (!m.omitDatatype) t.is(x.type, TYPE_NAME[m.datatype], `${where} datatype`);
    t.is(x.isHistorical, m.isHistorical, `${where} isHistorical`);
    t.is(x.isTransient, m.isTransient, `${where} isTransient`);
    if (m.omitDatatype) return; // Tahu interprets the value by the datatype only
    t.deepEqual(tahuValue(m.datatype, x.value), expected(m.datatype, m.value), `${where} value`);
  });
}

function tahuValue(datatype: number, v: unknown): unknown {
  if (v === null || v === undefined) return v ?? null;
  if (datatype === DataType.Int64 || datatype === DataType.UInt64 || datatype === DataType.DateTime) return big(v);
  if (v instanceof Uint8Array) return Array.from(v);
  return v;
}

function expected(datatype: number, v: MetricValue | undefined): unknown {
  if (v === null) return null;
  if (datatype === DataType.Int64 || datatype === DataType.UInt64 || datatype === DataType.DateTime) return BigInt(v as number | bigint);
  if (datatype === DataType.Float) return Math.fround(v as number);
  if (v instanceof Uint8Array) return Array.from(v);
  return v;
}

// ---- fixed vectors -----------------------------------------------------------

test("protobuf: 64-bit split/join round-trips, two's complement for negatives", (t) => {
  const h = { lo: 0, hi: 0 };
  for (const v of [0, 1, 127, 128, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1, -1, -2, -(2 ** 31), -(2 ** 53 - 1)]) {
    split64(v, h);
    t.is(join64(h.lo, h.hi, true), v, `signed ${v}`);
  }
  split64(-1, h);
  t.deepEqual([h.lo, h.hi], [0xffffffff, 0xffffffff]);
  split64(2n ** 64n - 1n, h);
  t.is(join64(h.lo, h.hi, false), 2n ** 64n - 1n);
  split64(-(2n ** 63n), h);
  t.is(join64(h.lo, h.hi, true), -(2n ** 63n));
});

test("vector: NDEATH-like payload (bdSeq Int64) is byte-exact", (t) => {
  const p: Payload = { timestamp: 1_767_225_600_000, metrics: [{ name: "bdSeq", datatype: DataType.Int64, value: 3 }] };
  const b = bytes(p);
  // 08 <ts varint> 12 <len> 0a 05 "bdSeq" 20 04 58 03
  const ts = [0x80, 0xd0, 0xea, 0xb6, 0xb7, 0x33]; // 1767225600000 as a varint (computed by hand in Python)
  t.deepEqual(Array.from(b), [0x08, ...ts, 0x12, 0x0b, 0x0a, 0x05, 0x62, 0x64, 0x53, 0x65, 0x71, 0x20, 0x04, 0x58, 0x03]);
  t.deepEqual(Array.from(b), Array.from(tahu.encodePayload(toTahu(p))));
  sameAsTahu(t, p, b);
});

test("vector: every value type, negatives, floats, doubles, null, flags", (t) => {
  const p: Payload = {
    timestamp: 1_795_389_703_605,
    seq: 42,
    uuid: "b3c1d2e4-0000-4000-8000-000000000001",
    body: new Uint8Array([1, 2, 3, 255]),
    metrics: [
      { name: "i8", alias: 1, timestamp: 1, datatype: DataType.Int8, value: -128 },
      { name: "i16", alias: 2, datatype: DataType.Int16, value: -12345 },
      { name: "i32", alias: 3, datatype: DataType.Int32, value: -2147483648 },
      { name: "i64", alias: 4, datatype: DataType.Int64, value: -(2 ** 53 - 1) },
      { name: "i64big", alias: 5, datatype: DataType.Int64, value: -(2n ** 63n) },
      { name: "u8", alias: 6, datatype: DataType.UInt8, value: 255 },
      { name: "u16", alias: 7, datatype: DataType.UInt16, value: 65535 },
      { name: "u64", alias: 8, datatype: DataType.UInt64, value: 2n ** 64n - 1n },
      { name: "f", alias: 9, datatype: DataType.Float, value: -2.51 },
      { name: "d", alias: 10, datatype: DataType.Double, value: Math.PI * -1e300 },
      { name: "b", alias: 11, datatype: DataType.Boolean, value: true, isHistorical: true, isTransient: false },
      { name: "s", alias: 12, datatype: DataType.String, value: "ünïcödé € 🔧" },
      { name: "dt", alias: 13, datatype: DataType.DateTime, value: 1_795_389_703_605 },
      { name: "bytes", alias: 14, datatype: DataType.Bytes, value: new Uint8Array([0, 0x80, 0xff]) },
      { name: "null", alias: 15, datatype: DataType.Double, value: null },
      { name: "Vibration/x/vRms", alias: 2 ** 40, datatype: DataType.Float, value: 0 },
    ],
  };
  const b = bytes(p);
  t.deepEqual(Array.from(b), Array.from(tahu.encodePayload(toTahu(p))), "byte-identical to Tahu's encoder");
  sameAsTahu(t, p, b);
  const d = ours(b);
  t.is(d.metrics[0].value, -128);
  t.is(d.metrics[3].value, -(2 ** 53 - 1));
  t.is(d.metrics[4].value, -(2n ** 63n));
  t.is(d.metrics[7].value, 2n ** 64n - 1n);
  t.is(d.metrics[8].value, Math.fround(-2.51));
  t.is(d.metrics[14].isNull, true);
  t.is(d.metrics[14].value, undefined);
  t.is(d.metrics[11].value, "ünïcödé € 🔧");
  t.is(d.uuid, p.uuid);
});

test("encode refuses values that do not fit the datatype, without throwing", (t) => {
  const cases: Metric[] = [
    { name: "a", datatype: DataType.Int8, value: 128 },
    { name: "a", datatype: DataType.UInt16, value: -1 },
    { name: "a", datatype: DataType.Int32, value: 1.5 },
    { name: "a", datatype: DataType.Int64, value: 2 ** 53 },
    { name: "a", datatype: DataType.UInt64, value: -1n },
    { name: "a", datatype: DataType.Boolean, value: 1 },
    { name: "a", datatype: DataType.String, value: 3 },
    { name: "a", datatype: DataType.DataSet, value: 3 },
  ];
  for (const m of cases) {
    const r = encodePayload({ metrics: [m] });
    t.true(isPayloadError(r), JSON.stringify(m, (_k, v) => (typeof v === "bigint" ? String(v) : v)));
  }
  t.true(isPayloadError(encodePayload({ seq: -1, metrics: [] })));
});

test("UInt32: we write int_value (spec 6.4.16); Tahu JS writes long_value; we read both", (t) => {
  const ourBytes = bytes({ metrics: [{ name: "u32", datatype: DataType.UInt32, value: 4294967295 }] });
  t.is(ours(ourBytes).metrics[0].field, "int");
  t.is(ours(ourBytes).metrics[0].value, 4294967295);
  const tahuBytes = tahu.encodePayload({ metrics: [{ name: "u32", type: "UInt32", value: 4000000000 }] });
  const m = ours(tahuBytes).metrics[0];
  t.is(m.field, "long");
  t.is(valueAs(m, DataType.UInt32), 4000000000);
});

// ---- randomized round trip against Tahu's encoder ------------------------------

const RANDOM_TYPES = [1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15, 17];

function randomString(r: () => number): string {
  const pool = ["a", "Z", "/", " ", "é", "€", "🔧", "\u0000", "ß", "x"];
  let s = "";
  const n = Math.floor(r() * 12);
  for (let i = 0; i < n; i++) s += pool[Math.floor(r() * pool.length)];
  return s;
}

function randomValue(r: () => number, dt: number): MetricValue {
  const pick = r();
  switch (dt) {
    case DataType.Int8: return Math.floor(r() * 256) - 128;
    case DataType.Int16: return Math.floor(r() * 65536) - 32768;
    case DataType.Int32: return pick < 0.2 ? -2147483648 : Math.floor(r() * 4294967296) - 2147483648;
    case DataType.UInt8: return Math.floor(r() * 256);
    case DataType.UInt16: return Math.floor(r() * 65536);
    case DataType.Int64:
      if (pick < 0.3) return BigInt.asIntN(64, BigInt(Math.floor(r() * 2 ** 32)) << 32n | BigInt(Math.floor(r() * 2 ** 32)));
      return Math.floor((r() - 0.5) * 2 ** 53);
    case DataType.UInt64:
    case DataType.DateTime:
      if (pick < 0.3) return BigInt(Math.floor(r() * 2 ** 32)) << 32n | BigInt(Math.floor(r() * 2 ** 32));
      return Math.floor(r() * 2 ** 53);
    case DataType.Float: return pick < 0.1 ? 0 : (r() - 0.5) * 10 ** Math.floor(r() * 20 - 10);
    case DataType.Double: return pick < 0.1 ? -0.5 : (r() - 0.5) * 10 ** Math.floor(r() * 40 - 20);
    case DataType.Boolean: return r() < 0.5;
    case DataType.Bytes: return Uint8Array.from({ length: Math.floor(r() * 10) }, () => Math.floor(r() * 256));
    default: return randomString(r);
  }
}

function randomPayload(r: () => number): Payload {
  const metrics: Metric[] = [];
  const n = Math.floor(r() * 8);
  for (let i = 0; i < n; i++) {
    const dt = RANDOM_TYPES[Math.floor(r() * RANDOM_TYPES.length)];
    const m: Metric = { datatype: dt };
    if (r() < 0.8) m.name = randomString(r);
    if (r() < 0.6) m.alias = r() < 0.2 ? Math.floor(r() * 2 ** 53) : Math.floor(r() * 300);
    if (r() < 0.6) m.timestamp = 1_700_000_000_000 + Math.floor(r() * 1e11);
    if (r() < 0.2) m.isHistorical = r() < 0.5;
    if (r() < 0.2) m.isTransient = r() < 0.5;
    m.value = r() < 0.1 ? null : randomValue(r, dt);
    metrics.push(m);
  }
  const p: Payload = { metrics };
  if (r() < 0.9) p.timestamp = Math.floor(r() * 2 ** 45);
  if (r() < 0.9) p.seq = Math.floor(r() * 256);
  if (r() < 0.1) p.uuid = randomString(r);
  if (r() < 0.1) p.body = Uint8Array.from({ length: Math.floor(r() * 5) }, () => Math.floor(r() * 256));
  return p;
}

test("random: 3000 payloads are byte-identical to Tahu's encodePayload and decode equal in Tahu and here", (t) => {
  const r = rng(2026);
  let metrics = 0;
  let totalBytes = 0;
  for (let i = 0; i < 3000; i++) {
    const p = randomPayload(r);
    const b = bytes(p);
    const theirs = tahu.encodePayload(toTahu(p));
    if (Buffer.compare(Buffer.from(b), Buffer.from(theirs)) !== 0) {
      t.fail(`payload ${i} differs:\nours   ${Buffer.from(b).toString("hex")}\ntheirs ${Buffer.from(theirs).toString("hex")}`);
      return;
    }
    // Tahu decodes our bytes to the same object
    const d = tahu.decodePayload(b);
    const back = ours(b);
    t.is(back.metrics.length, p.metrics.length);
    for (let k = 0; k < p.metrics.length; k++) {
      const m = p.metrics[k];
      const exp = expected(m.datatype, m.value);
      const tv = tahuValue(m.datatype, d.metrics![k].value);
      const ov = back.metrics[k].isNull ? null : tahuValue(m.datatype, back.metrics[k].value);
      if (!sameValue(tv, exp) || !sameValue(ov, exp)) {
        t.fail(`payload ${i} metric ${k} type ${m.datatype}: tahu ${String(tv)} ours ${String(ov)} expected ${String(exp)}`);
        return;
      }
    }
    metrics += p.metrics.length;
    totalBytes += b.length;
  }
  t.log(`3000 payloads, ${metrics} metrics, ${totalBytes} bytes: identical bytes, equal decodes`);
  t.true(metrics > 3000, "every payload carried metrics that were compared");
});

function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => x === b[i]);
  if (typeof a === "bigint" || typeof b === "bigint") return typeof a === typeof b && a === b;
  return Object.is(a, b) || (a === 0 && b === 0);
}

test("random: payloads from Tahu's encoder (incl. datatype-less metrics) decode here field by field", (t) => {
  const r = rng(7);
  for (let i = 0; i < 1000; i++) {
    const p = randomPayload(r);
    const theirs = tahu.encodePayload(toTahu(p));
    const d = ours(theirs);
    t.is(d.seq === undefined ? undefined : Number(d.seq), p.seq);
    t.is(d.timestamp === undefined ? undefined : Number(d.timestamp), p.timestamp);
    for (let k = 0; k < p.metrics.length; k++) {
      const m = p.metrics[k];
      t.is(d.metrics[k].name, m.name);
      t.is(d.metrics[k].datatype, m.datatype);
      const alias = d.metrics[k].alias;
      t.is(alias === undefined ? undefined : Number(alias), m.alias);
    }
  }
});

// ---- the edge node -------------------------------------------------------------

interface Harness {
  edge: EdgeNode;
  sent: SparkplugMessage[];
  errors: string[];
  writes: { target: string; writes: unknown[] }[];
  clock: { t: number | undefined };
  store: { bdSeq: number | undefined };
  hostOffline: number;
}

const DEVICE_METRICS: MetricDef[] = [
  { name: "State", datatype: DataType.String, initial: "normal" },
  { name: "x/vRms", datatype: DataType.Float, deadband: 0.001 },
  { name: "x/fDom", datatype: DataType.Float },
  { name: "temp/c", datatype: DataType.Double },
  { name: "lost", datatype: DataType.Int64, initial: 0 },
  { name: "offset", datatype: DataType.Int32, initial: -5, writable: true },
  { name: "limit", datatype: DataType.Double, initial: 7.1, writable: true },
];

function harness(extra: Partial<EdgeNodeOptions> = {}, store: { bdSeq: number | undefined } = { bdSeq: undefined }): Harness {
  const h = { sent: [] as SparkplugMessage[], errors: [] as string[], writes: [] as { target: string; writes: unknown[] }[], clock: { t: 1_767_225_600_000 as number | undefined }, store, hostOffline: 0 } as Harness;
  h.edge = new EdgeNode({
    groupId: "Plant1",
    edgeNodeId: "node-a1b2c3",
    deviceId: "sensor",
    nodeMetrics: [{ name: "Properties/Firmware", datatype: DataType.String, initial: "0.1.0" }, { name: "Node Control/Reboot", datatype: DataType.Boolean, initial: false, writable: true }],
    deviceMetrics: DEVICE_METRICS,
    now: () => h.clock.t,
    publish: (m) => h.sent.push(m),
    loadBdSeq: () => store.bdSeq,
    saveBdSeq: (n) => {
      store.bdSeq = n;
    },
    onWrite: (target, writes) => h.writes.push({ target, writes }),
    onError: (m) => h.errors.push(m),
    onHostOffline: () => h.hostOffline++,
    ...extra,
  });
  return h;
}

function metricByName(d: TahuPayload, name: string): TahuMetric {
  const m = d.metrics!.find((x) => x.name === name);
  if (!m) throw new Error(`no metric ${name}`);
  return m;
}

function seqOf(m: SparkplugMessage): number {
  return num(tahu.decodePayload(m.payload).seq);
}

test("edge: will NDEATH, NBIRTH and DBIRTH, every field checked with Tahu's decoder", (t) => {
  const h = harness();
  const will = h.edge.will();
  t.is(will.topic, "spBv1.0/Plant1/NDEATH/node-a1b2c3");
  t.is(will.qos, 1);
  t.false(will.retain);
  const death = tahu.decodePayload(will.payload);
  t.is(num(death.timestamp), 1_767_225_600_000);
  t.is(death.seq, undefined, "NDEATH carries no seq");
  t.is(death.metrics!.length, 1);
  t.is(death.metrics![0].name, "bdSeq");
  t.is(death.metrics![0].type, "Int64");
  t.is(num(death.metrics![0].value), 0);

  h.clock.t = 1_767_225_601_000;
  h.edge.connected();
  t.deepEqual(h.sent.map((m) => [m.topic, m.qos, m.retain]), [
    ["spBv1.0/Plant1/NBIRTH/node-a1b2c3", 0, false],
    ["spBv1.0/Plant1/DBIRTH/node-a1b2c3/sensor", 0, false],
  ]);
  const nb = tahu.decodePayload(h.sent[0].payload);
  t.is(num(nb.seq), 0);
  t.is(num(nb.timestamp), 1_767_225_601_000);
  t.deepEqual(nb.metrics!.map((m) => [m.name, m.alias === undefined ? undefined : num(m.alias), m.type]), [
    ["bdSeq", undefined, "Int64"],
    [REBIRTH_METRIC, undefined, "Boolean"],
    ["Properties/Firmware", 1, "String"],
    ["Node Control/Reboot", 2, "Boolean"],
  ]);
  t.is(num(metricByName(nb, "bdSeq").value), 0);
  t.is(metricByName(nb, REBIRTH_METRIC).value, false);
  t.is(metricByName(nb, "Properties/Firmware").value, "0.1.0");
  for (const m of nb.metrics!) t.is(num(m.timestamp), 1_767_225_601_000);

  const db = tahu.decodePayload(h.sent[1].payload);
  t.is(num(db.seq), 1);
  t.deepEqual(db.metrics!.map((m) => [m.name, num(m.alias), m.type, m.value === null ? null : typeof m.value === "object" ? String(m.value) : m.value]), [
    ["State", 3, "String", "normal"],
    ["x/vRms", 4, "Float", null],
    ["x/fDom", 5, "Float", null],
    ["temp/c", 6, "Double", null],
    ["lost", 7, "Int64", "0"],
    ["offset", 8, "Int32", -5],
    ["limit", 9, "Double", 7.1],
  ]);
  // the catalogue and the births agree
  t.deepEqual(h.edge.catalogue().map((c) => c.alias), [undefined, undefined, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  t.deepEqual(h.edge.subscriptions().map((s) => s.topic), ["spBv1.0/Plant1/NCMD/node-a1b2c3", "spBv1.0/Plant1/DCMD/node-a1b2c3/sensor"]);
  t.deepEqual(h.errors, []);
});

test("edge: report by exception sends only changed metrics, by alias, without names or datatypes", (t) => {
  const h = harness();
  h.edge.will();
  h.edge.connected();
  h.sent.length = 0;
  t.is(h.edge.reportDevice({ "x/vRms": 2.51, "x/fDom": 29.7, "temp/c": 43.21, State: "normal", lost: 0 }, 1_767_225_602_000), 3);
  const d1 = tahu.decodePayload(h.sent[0].payload);
  t.is(h.sent[0].topic, "spBv1.0/Plant1/DDATA/node-a1b2c3/sensor");
  t.is(num(d1.seq), 2);
  t.is(num(d1.timestamp), 1_767_225_602_000);
  const ourD1 = ours(h.sent[0].payload);
  t.deepEqual(ourD1.metrics.map((m) => [m.name, m.alias, m.datatype, m.timestamp]), [
    [undefined, 4, undefined, 1_767_225_602_000],
    [undefined, 5, undefined, 1_767_225_602_000],
    [undefined, 6, undefined, 1_767_225_602_000],
  ]);
  t.is(valueAs(ourD1.metrics[0], DataType.Float), Math.fround(2.51));
  t.is(valueAs(ourD1.metrics[2], DataType.Double), 43.21);
  // nothing changed: nothing sent; within the deadband: nothing sent
  t.is(h.edge.reportDevice({ "x/vRms": 2.51, "x/fDom": 29.7, "temp/c": 43.21 }), 0);
  t.is(h.edge.reportDevice({ "x/vRms": 2.5105 }), 0);
  t.is(h.sent.length, 1);
  // one change
  t.is(h.edge.reportDevice({ "x/vRms": 2.6, "x/fDom": 29.7, lost: -3 }), 2);
  const d2 = ours(h.sent[1].payload);
  t.is(Number(d2.seq), 3);
  t.deepEqual(d2.metrics.map((m) => m.alias), [4, 7]);
  t.is(valueAs(d2.metrics[1], DataType.Int64), -3);
  // a non-finite float is sent as null
  t.is(h.edge.reportDevice({ "x/fDom": Number.NaN }), 1);
  const d3 = tahu.decodePayload(h.sent[2].payload);
  t.is(ours(h.sent[2].payload).metrics[0].isNull, true);
  t.is(num(d3.seq), 4);
  // node metric -> NDATA
  t.is(h.edge.reportNode({ "Properties/Firmware": "0.1.1" }), 1);
  t.is(h.sent[3].topic, "spBv1.0/Plant1/NDATA/node-a1b2c3");
  t.deepEqual(ours(h.sent[3].payload).metrics.map((m) => [m.alias, m.value]), [[1, "0.1.1"]]);
  // unknown metric and wrong type: reported, not sent
  t.is(h.edge.reportDevice({ nope: 1, State: 3 as unknown as string }), 0);
  t.is(h.errors.length, 2);
});

test("edge: seq wraps 255 -> 0 across NDATA/DDATA, NBIRTH is 0", (t) => {
  const h = harness();
  h.edge.will();
  h.edge.connected();
  for (let i = 0; i < 600; i++) {
    if (i % 3 === 0) h.edge.reportNode({ "Properties/Firmware": `v${i}` });
    else h.edge.reportDevice({ "x/vRms": i });
  }
  const seqs = h.sent.map(seqOf);
  t.is(seqs[0], 0);
  for (let i = 1; i < seqs.length; i++) t.is(seqs[i], (seqs[i - 1] + 1) % 256, `message ${i}`);
  t.true(seqs.filter((s) => s === 0).length >= 3);
  t.is(seqs[256], 0);
  t.is(seqs[255], 255);
});

test("edge: bdSeq in NBIRTH equals the will's across reconnects and reboots, increments per CONNECT, wraps at 255", (t) => {
  const store = { bdSeq: undefined as number | undefined };
  let h = harness({}, store);
  const check = (expectBdSeq: number) => {
    h.sent.length = 0;
    const will = h.edge.will();
    h.edge.connected();
    const willSeq = num(tahu.decodePayload(will.payload).metrics![0].value);
    const nb = tahu.decodePayload(h.sent[0].payload);
    t.is(num(metricByName(nb, "bdSeq").value), willSeq);
    t.is(willSeq, expectBdSeq);
    t.is(num(nb.seq), 0);
    h.edge.reportDevice({ "x/vRms": Math.random() });
    h.edge.disconnected();
  };
  check(0);
  check(1);
  check(2);
  t.is(store.bdSeq, 2);
  // a failed connect attempt consumes a bdSeq too
  h.edge.will();
  check(4);
  // reboot: the persisted value carries on
  h = harness({}, store);
  check(5);
  store.bdSeq = 254;
  h = harness({}, store);
  check(255);
  check(0);
});

test("edge: NCMD Rebirth re-sends NBIRTH (seq 0, same bdSeq) and DBIRTH with current values", (t) => {
  const h = harness();
  h.edge.will();
  h.edge.will(); // bdSeq 1
  h.edge.connected();
  h.edge.reportDevice({ "x/vRms": 3.3, "temp/c": 40 });
  h.edge.reportDevice({ "x/vRms": 3.4 });
  h.sent.length = 0;
  const cmd = tahu.encodePayload({ timestamp: 1, metrics: [{ name: REBIRTH_METRIC, type: "Boolean", value: true }] });
  t.true(h.edge.message("spBv1.0/Plant1/NCMD/node-a1b2c3", cmd));
  t.deepEqual(h.sent.map((m) => m.topic), ["spBv1.0/Plant1/NBIRTH/node-a1b2c3", "spBv1.0/Plant1/DBIRTH/node-a1b2c3/sensor"]);
  const nb = tahu.decodePayload(h.sent[0].payload);
  t.is(num(nb.seq), 0);
  t.is(num(metricByName(nb, "bdSeq").value), 1);
  t.is(metricByName(nb, REBIRTH_METRIC).value, false);
  const db = tahu.decodePayload(h.sent[1].payload);
  t.is(num(db.seq), 1);
  t.is(metricByName(db, "x/vRms").value, Math.fround(3.4));
  t.is(metricByName(db, "temp/c").value, 40);
  // after a rebirth, data continues from seq 2 and only real changes go out
  h.edge.reportDevice({ "x/vRms": 3.4, "temp/c": 41 });
  t.is(seqOf(h.sent[2]), 2);
  t.deepEqual(ours(h.sent[2].payload).metrics.map((m) => m.alias), [6]);
  t.is(h.edge.stats.rebirths, 1);
  // Rebirth false does nothing
  h.sent.length = 0;
  h.edge.message("spBv1.0/Plant1/NCMD/node-a1b2c3", tahu.encodePayload({ metrics: [{ name: REBIRTH_METRIC, type: "Boolean", value: false }] }));
  t.is(h.sent.length, 0);
});

test("edge: NCMD/DCMD writes by name and by alias reach onWrite typed; bad writes are refused", (t) => {
  const h = harness();
  h.edge.will();
  h.edge.connected();
  const dcmd = "spBv1.0/Plant1/DCMD/node-a1b2c3/sensor";
  t.true(h.edge.message(dcmd, bytes({ metrics: [{ alias: 8, datatype: DataType.Int32, omitDatatype: true, value: -42 }, { name: "limit", datatype: DataType.Double, value: 9.5 }] })));
  t.deepEqual(h.writes, [{ target: "device", writes: [
    { name: "offset", alias: 8, datatype: DataType.Int32, value: -42 },
    { name: "limit", alias: 9, datatype: DataType.Double, value: 9.5 },
  ] }]);
  t.true(h.edge.message("spBv1.0/Plant1/NCMD/node-a1b2c3", tahu.encodePayload({ metrics: [{ name: "Node Control/Reboot", type: "Boolean", value: true }] })));
  t.deepEqual(h.writes[1], { target: "node", writes: [{ name: "Node Control/Reboot", alias: 2, datatype: DataType.Boolean, value: true }] });
  const before = h.errors.length;
  h.edge.message(dcmd, bytes({ metrics: [{ name: "x/vRms", datatype: DataType.Float, value: 1 }] })); // not writable
  h.edge.message(dcmd, bytes({ metrics: [{ alias: 999, datatype: DataType.Int32, value: 1 }] })); // unknown
  h.edge.message(dcmd, bytes({ metrics: [{ name: "offset", datatype: DataType.String, value: "x" }] })); // wrong type
  h.edge.message(dcmd, bytes({ metrics: [{ name: "offset", datatype: DataType.Int64, value: 2 ** 40 }] })); // out of range
  h.edge.message("spBv1.0/Plant1/NCMD/node-a1b2c3", bytes({ metrics: [{ name: "offset", datatype: DataType.Int32, value: 1 }] })); // device metric on NCMD
  h.edge.message(dcmd, new Uint8Array([0x12, 0x05, 0x0a])); // truncated
  t.is(h.errors.length - before, 6, h.errors.join("\n"));
  t.is(h.writes.length, 2);
  t.false(h.edge.message("spBv1.0/Plant1/DCMD/node-a1b2c3/other", new Uint8Array()));
  t.false(h.edge.message("sensors/node-a1b2c3/cmd/config", new Uint8Array()));
});

test("edge: DDEATH when the sensor faults, DBIRTH when it recovers, no DDATA in between", (t) => {
  const h = harness();
  h.edge.will();
  h.edge.connected();
  h.sent.length = 0;
  h.edge.deviceFault();
  h.edge.deviceFault();
  t.is(h.sent.length, 1);
  t.is(h.sent[0].topic, "spBv1.0/Plant1/DDEATH/node-a1b2c3/sensor");
  const dd = tahu.decodePayload(h.sent[0].payload);
  t.is(num(dd.seq), 2);
  t.is(dd.metrics?.length ?? 0, 0);
  t.is(h.edge.reportDevice({ "x/vRms": 5, State: "fault" }), 0);
  t.is(h.sent.length, 1);
  h.edge.deviceRecovered();
  t.is(h.sent[1].topic, "spBv1.0/Plant1/DBIRTH/node-a1b2c3/sensor");
  const db = tahu.decodePayload(h.sent[1].payload);
  t.is(num(db.seq), 3);
  t.is(metricByName(db, "State").value, "fault");
  t.is(metricByName(db, "x/vRms").value, 5);
  // a rebirth while the device is dead births the node only
  h.edge.deviceFault();
  h.sent.length = 0;
  h.edge.rebirth();
  t.deepEqual(h.sent.map((m) => m.topic), ["spBv1.0/Plant1/NBIRTH/node-a1b2c3"]);
});

test("edge: with a primary host, births wait for STATE online; offline STATE publishes NDEATH and asks to reconnect", (t) => {
  const h = harness({ primaryHostId: "scada" });
  const state = "spBv1.0/STATE/scada";
  t.deepEqual(h.edge.subscriptions().map((s) => s.topic).at(-1), state);
  const will = h.edge.will();
  h.edge.connected();
  t.true(h.edge.waitingForHost);
  h.edge.reportDevice({ "x/vRms": 1.5 });
  t.is(h.sent.length, 0, "nothing before the host is online");
  t.true(h.edge.message(state, new TextEncoder().encode('{"online":false,"timestamp":100}')));
  t.is(h.sent.length, 0);
  h.edge.message(state, new TextEncoder().encode("ONLINE")); // Sparkplug 2.2 style: ignored
  h.edge.message(state, new TextEncoder().encode('{"online":true}'));
  t.is(h.sent.length, 0);
  h.edge.message(state, new TextEncoder().encode('{"online":true,"timestamp":200}'));
  t.deepEqual(h.sent.map((m) => m.topic), ["spBv1.0/Plant1/NBIRTH/node-a1b2c3", "spBv1.0/Plant1/DBIRTH/node-a1b2c3/sensor"]);
  t.is(metricByName(tahu.decodePayload(h.sent[1].payload), "x/vRms").value, 1.5);
  // an old offline STATE (earlier host session) is ignored
  h.edge.message(state, new TextEncoder().encode('{"online":false,"timestamp":150}'));
  t.true(h.edge.online);
  t.is(h.hostOffline, 0);
  // a current offline STATE: NDEATH (the will's bytes), then the app reconnects
  h.edge.message(state, new TextEncoder().encode('{"online":false,"timestamp":300}'));
  t.false(h.edge.online);
  t.is(h.hostOffline, 1);
  const last = h.sent.at(-1)!;
  t.is(last.topic, "spBv1.0/Plant1/NDEATH/node-a1b2c3");
  t.deepEqual(Array.from(last.payload), Array.from(will.payload));
  // next session: new will, wait again; the retained online STATE births with the new bdSeq
  h.sent.length = 0;
  h.edge.will();
  h.edge.connected();
  t.is(h.sent.length, 0);
  h.edge.message(state, new TextEncoder().encode('{"online":true,"timestamp":400}'));
  t.is(num(metricByName(tahu.decodePayload(h.sent[0].payload), "bdSeq").value), 1);
});

test("edge: shutdown publishes NDEATH before a clean disconnect; without a clock, timestamps are absent", (t) => {
  const h = harness();
  h.clock.t = undefined;
  const will = h.edge.will();
  h.edge.connected();
  const nb = tahu.decodePayload(h.sent[0].payload);
  t.is(nb.timestamp, undefined);
  t.is(nb.metrics![0].timestamp, undefined);
  h.edge.shutdown();
  t.is(h.sent.at(-1)!.topic, "spBv1.0/Plant1/NDEATH/node-a1b2c3");
  t.deepEqual(Array.from(h.sent.at(-1)!.payload), Array.from(will.payload));
  t.false(h.edge.online);
});

test("edge: configuration errors are clear", (t) => {
  const base = { groupId: "G", edgeNodeId: "E", deviceId: "D", deviceMetrics: [], now: () => 0, publish: () => {} };
  t.throws(() => new EdgeNode({ ...base, groupId: "a/b" }), { message: /groupId/ });
  t.throws(() => new EdgeNode({ ...base, deviceId: "" }), { message: /deviceId/ });
  t.throws(() => new EdgeNode({ ...base, deviceMetrics: [{ name: "bdSeq", datatype: DataType.Int64 }] }), { message: /bdSeq/ });
  t.throws(() => new EdgeNode({ ...base, deviceMetrics: [{ name: "a", datatype: DataType.Int8, alias: 3 }, { name: "b", datatype: DataType.Int8, alias: 3 }] }), { message: /alias 3/ });
  t.throws(() => new EdgeNode({ ...base, deviceMetrics: [{ name: "a", datatype: DataType.DataSet }] }), { message: /not supported/ });
  t.throws(() => new EdgeNode({ ...base, deviceMetrics: [{ name: "a", datatype: DataType.Int8, initial: 300 }] }), { message: /initial/ });
});

test("edge: the sensor catalogue births every metric with a unique alias, and a window maps onto it", (t) => {
  const h = harness({ nodeMetrics: sensorNodeMetrics(), deviceMetrics: sensorDeviceMetrics() });
  h.edge.will();
  h.edge.connected();
  const db = tahu.decodePayload(h.sent[1].payload);
  const aliases = [...tahu.decodePayload(h.sent[0].payload).metrics!, ...db.metrics!].map((m) => m.alias).filter((a) => a !== undefined).map(num);
  t.is(new Set(aliases).size, aliases.length);
  t.is(db.metrics!.length, sensorDeviceMetrics().length);
  const axis = { vRms: 2.51, aRms: 0.031, aPeak: 0.046, crest: 1.47, kurtosis: 1.5, fDom: 29.7 };
  const values = sensorDeviceValues({ state: "warning", faults: [], vib: { odr: 3200, n: 4096, lost: 0, x: axis, y: { ...axis, vRms: 0.12 }, z: { ...axis, vRms: 0.09 } }, temperatureC: 43.21, running: { running: true, hours: 12.5 } });
  const sent = h.edge.reportDevice(values, 1_767_225_700_000);
  t.deepEqual(h.errors, []);
  t.is(sent, 18 + 3 + 3); // 18 axis features; ODR, Samples, Temperature; State, Running, Hours (Lost, Faults unchanged)
  const dd = ours(h.sent[2].payload);
  const vRmsAlias = h.edge.aliasOf("Vibration/x/vRms");
  const m = dd.metrics.find((x) => x.alias === vRmsAlias)!;
  t.is(valueAs(m, DataType.Float), Math.fround(2.51));
});

test("edge: with bearing diagnostics the envelope and speed metrics are born after the others (their aliases unchanged) and a window maps onto them", (t) => {
  const plain = sensorDeviceMetrics().map((m) => m.name);
  const names = sensorDeviceMetrics({ envelope: true }).map((m) => m.name);
  t.deepEqual(names.slice(0, plain.length), plain);
  t.deepEqual(names.slice(plain.length, plain.length + 7), ["rms", "peak", "fDom", "bpfo", "bpfi", "bsf", "ftf"].map((k) => `Vibration/x/env/${k}`));
  t.deepEqual(names.slice(-3), ["Speed/RPM", "Speed/Confidence", "Speed/Source"]);
  const h = harness({ nodeMetrics: sensorNodeMetrics(), deviceMetrics: sensorDeviceMetrics({ envelope: true }) });
  h.edge.will();
  h.edge.connected();
  const env = { rms: 0.012, peak: 0.05, fDom: 106.3, bpfo: 0.031, bpfi: NaN, bsf: 0.002, ftf: 0.001 };
  const axis = { vRms: 2.51, aRms: 0.031, aPeak: 0.046, crest: 1.47, kurtosis: 1.5, fDom: 29.7, env };
  const values = sensorDeviceValues({ state: "normal", faults: [], vib: { odr: 3200, n: 4096, lost: 0, x: axis, y: axis, z: axis, speed: { rpm: 1779.6, confidence: 0.93, source: "measured" } } });
  t.is(values["Vibration/x/env/bpfo"], 0.031);
  t.is(values["Vibration/x/env/bpfi"], null, "NaN (no value) is null");
  t.is(values["Speed/RPM"], 1779.6);
  t.is(values["Speed/Source"], "measured");
  h.edge.reportDevice(values, 1_767_225_700_000);
  t.deepEqual(h.errors, []);
  const dd = ours(h.sent.at(-1)!.payload);
  const m = dd.metrics.find((x) => x.alias === h.edge.aliasOf("Vibration/x/env/bpfo"))!;
  t.is(valueAs(m, DataType.Float), Math.fround(0.031));
});

// ---- malformed input ---------------------------------------------------------

test("fuzz: 5000 mutated NCMD/DCMD payloads never throw out of decodePayload or EdgeNode.message, and never hang", (t) => {
  const h = harness();
  h.edge.will();
  h.edge.connected();
  const r = rng(99);
  const seeds: Uint8Array[] = [
    tahu.encodePayload({ timestamp: 5, metrics: [{ name: REBIRTH_METRIC, type: "Boolean", value: true }] }),
    bytes({ seq: 3, metrics: [{ alias: 8, datatype: DataType.Int32, omitDatatype: true, value: -42 }, { name: "limit", datatype: DataType.Double, value: 9.5 }] }),
    bytes(randomPayload(r)),
    bytes(randomPayload(r)),
  ];
  let errors = 0;
  let decoded = 0;
  const started = Date.now();
  for (let i = 0; i < 5000; i++) {
    const base = seeds[i % seeds.length];
    const b = Array.from(base);
    const kind = Math.floor(r() * 5);
    const n = 1 + Math.floor(r() * 4);
    for (let k = 0; k < n; k++) {
      const at = Math.floor(r() * (b.length + 1));
      if (kind === 0) b[at % Math.max(1, b.length)] = Math.floor(r() * 256);
      else if (kind === 1) b.length = Math.floor(r() * b.length);
      else if (kind === 2) b.splice(at, 0, Math.floor(r() * 256));
      else if (kind === 3) b.splice(at, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01);
      else b[at % Math.max(1, b.length)] ^= 1 << Math.floor(r() * 8);
    }
    const bytesIn = Uint8Array.from(b);
    let result: unknown;
    try {
      result = decodePayload(bytesIn);
      h.edge.message(i % 2 ? "spBv1.0/Plant1/NCMD/node-a1b2c3" : "spBv1.0/Plant1/DCMD/node-a1b2c3/sensor", bytesIn);
    } catch (e) {
      t.fail(`mutation ${i} threw: ${String(e)} on ${Buffer.from(bytesIn).toString("hex")}`);
      return;
    }
    if (isPayloadError(result)) errors++;
    else decoded++;
  }
  // a few pathological inputs
  for (const b of [new Uint8Array(0), new Uint8Array([0]), new Uint8Array([0x0b]), new Uint8Array([0x12, 0xff, 0xff, 0xff, 0xff, 0x0f]), new Uint8Array(11).fill(0x80), new Uint8Array([0x13, 0x14])]) {
    t.notThrows(() => decodePayload(b));
    t.notThrows(() => h.edge.message("spBv1.0/Plant1/NCMD/node-a1b2c3", b));
  }
  t.true(isPayloadError(decodePayload(new Uint8Array([0x12, 0xff, 0xff, 0xff, 0xff, 0x0f]))));
  t.true(isPayloadError(decodePayload(new Uint8Array(11).fill(0x80))));
  t.true(isPayloadError(decodePayload(null as unknown as Uint8Array)));
  t.true(errors > 1000 && decoded > 500, `errors ${errors}, decoded ${decoded}`);
  t.log(`5000 mutations: ${errors} refused with an error value, ${decoded} decoded, ${Date.now() - started} ms; edge node rejected ${h.edge.stats.rejected}`);
});
