/*
 * XS parity cases for firmware/sparkplug: a fixed payload set and an edge-node
 * session (births, data, rebirth, DDEATH, commands, malformed input) must give
 * byte-identical messages in XS and Node.
 */
import { DataType, decodePayload, encodePayload, isPayloadError, type Payload } from "../../firmware/sparkplug/payload.js";
import { EdgeNode, REBIRTH_METRIC } from "../../firmware/sparkplug/edge-node.js";
import { sensorDeviceMetrics, sensorDeviceValues, sensorNodeMetrics } from "../../firmware/sparkplug/sensor-metrics.js";
import { serveCases, type CaseTable } from "../../tools/xs/cases/runtime.js";

export function fixedPayloads(): Payload[] {
  return [
    { timestamp: 1_767_225_600_000, metrics: [{ name: "bdSeq", datatype: DataType.Int64, value: 3 }] },
    {
      timestamp: 1_795_389_703_605,
      seq: 255,
      uuid: "u",
      body: new Uint8Array([1, 2, 255]),
      metrics: [
        { name: "i8", alias: 1, timestamp: 1, datatype: DataType.Int8, value: -128 },
        { name: "i32", alias: 2, datatype: DataType.Int32, value: -2147483648 },
        { name: "i64", alias: 3, datatype: DataType.Int64, value: -(2 ** 53 - 1) },
        { name: "i64big", alias: 4, datatype: DataType.Int64, value: -(BigInt(2) ** BigInt(63)) },
        { name: "u64", alias: 5, datatype: DataType.UInt64, value: BigInt(2) ** BigInt(64) - BigInt(1) },
        { name: "f", alias: 6, datatype: DataType.Float, value: -2.51 },
        { name: "d", alias: 7, datatype: DataType.Double, value: Math.PI * -1e300 },
        { name: "b", alias: 8, datatype: DataType.Boolean, value: true, isHistorical: true, isTransient: false },
        { name: "s", alias: 9, datatype: DataType.String, value: "ünïcödé € 🔧" },
        { name: "null", alias: 10, datatype: DataType.Double, value: null },
        { alias: 11, datatype: DataType.Float, omitDatatype: true, value: 29.7 },
      ],
    },
  ];
}

const toArray = (b: Uint8Array): number[] => Array.from(b);

export const cases: CaseTable = {
  encodeAll(): number[][] {
    return fixedPayloads().map((p) => {
      const b = encodePayload(p);
      if (isPayloadError(b)) throw new Error(b.error);
      return toArray(b);
    });
  },

  /** A scripted session: returns every message as [topic, bytes] plus what decode made of malformed input. */
  session(arg: { windows: number }): unknown {
    const out: unknown[] = [];
    let t = 1_767_225_600_000;
    let stored: number | undefined = 7;
    const writes: unknown[] = [];
    const edge = new EdgeNode({
      groupId: "Plant1",
      edgeNodeId: "node-a1b2c3",
      deviceId: "sensor",
      nodeMetrics: sensorNodeMetrics(),
      deviceMetrics: sensorDeviceMetrics(),
      now: () => t,
      publish: (m) => out.push([m.topic, m.qos, m.retain, toArray(m.payload)]),
      loadBdSeq: () => stored,
      saveBdSeq: (n) => {
        stored = n;
      },
      onWrite: (target, w) => writes.push([target, w.map((x) => [x.name, String(x.value)])]),
    });
    const will = edge.will();
    out.push(["will", toArray(will.payload)]);
    edge.connected();
    for (let i = 0; i < arg.windows; i++) {
      t += 1280;
      const a = 2 + Math.sin(i / 5);
      const axis = { vRms: a, aRms: a / 80, aPeak: a / 50, crest: 1.41 + (i % 3) * 0.01, kurtosis: 1.5, fDom: 29.7 };
      edge.reportDevice(sensorDeviceValues({ state: i % 17 === 0 ? "warning" : "normal", faults: [], vib: { odr: 3200, n: 4096, lost: i >> 4, x: axis, y: axis, z: axis }, temperatureC: 40 + i / 100, running: { running: true, hours: i / 3600 } }));
      if (i === 10) edge.message(edge.topics.ncmd, encodeOrThrow({ metrics: [{ name: REBIRTH_METRIC, datatype: DataType.Boolean, value: true }] }));
      if (i === 20) edge.deviceFault();
      if (i === 25) edge.deviceRecovered();
      if (i === 30) edge.message(edge.topics.ncmd, encodeOrThrow({ metrics: [{ alias: 1, datatype: DataType.Boolean, omitDatatype: true, value: true }] }));
    }
    const bad = [new Uint8Array([0x12, 0x05, 0x0a]), new Uint8Array(11).fill(0x80), new Uint8Array([0x12, 0x02, 0x3b, 0x00])];
    const decoded = bad.map((b) => {
      const d = decodePayload(b);
      return isPayloadError(d) ? d.error : "decoded";
    });
    return { messages: out, writes, decoded, stats: edge.stats, bdSeq: stored };
  },
};

function encodeOrThrow(p: Payload): Uint8Array {
  const b = encodePayload(p);
  if (isPayloadError(b)) throw new Error(b.error);
  return b;
}

serveCases(cases);
