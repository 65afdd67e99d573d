import test from "ava";
import { SimI2CBus, type I2CTarget } from "../sim/bus.js";
import { VirtualClock } from "../sim/clock.js";
import { SimADXL345 } from "../sim/devices/adxl345.js";
import { SimADXL355 } from "../sim/devices/adxl355.js";
import { SimLIS3DH } from "../sim/devices/lis3dh.js";
import { SimTMP117 } from "../sim/devices/tmp117.js";
import { SimSHT3x } from "../sim/devices/sht3x.js";
import { SimMCP9808 } from "../sim/devices/mcp9808.js";
import { scanBus, createAccelerometer, createThermometer, crc8, type AccelerometerKind, type ThermometerKind } from "../firmware/drivers/scan.js";

type Part = AccelerometerKind | ThermometerKind;

function busWith(parts: [Part, number][]) {
  const clock = new VirtualClock();
  const now = () => clock.now();
  const bus = new SimI2CBus({ now, onBusTime: (ms) => clock.advance(ms) });
  const signal = (axis: 0 | 1 | 2) => [0.5, -0.25, 1][axis];
  const temperature = () => 31.5;
  const devices: Record<string, I2CTarget & { present: boolean }> = {};
  for (const [kind, address] of parts) {
    const dev =
      kind === "adxl345"
        ? new SimADXL345({ now, signal, noise: 0 })
        : kind === "lis3dh"
          ? new SimLIS3DH({ now, signal, noise: 0 })
          : kind === "adxl355"
            ? new SimADXL355({ now, signal, noise: 0 })
            : kind === "tmp117"
              ? new SimTMP117({ now, temperature })
              : kind === "sht3x"
                ? new SimSHT3x({ now, temperature, noise: 0 })
                : new SimMCP9808({ now, temperature });
    bus.attach(address, dev);
    devices[`${kind}@${address}`] = dev;
  }
  const io = bus.SMBus;
  return { clock, bus, io, devices };
}

/** ACKs everything and reads back a constant: a part we do not support. */
class Impostor implements I2CTarget {
  constructor(readonly value: number) {}
  start(): boolean {
    return true;
  }
  write(): boolean {
    return true;
  }
  read(): number {
    return this.value;
  }
  stop(): void {}
}

test("CRC-8 of the SHT3x: poly 0x31, init 0xFF, CRC(0xBE, 0xEF) = 0x92", (t) => {
  t.is(crc8(0xbe, 0xef), 0x92);
  t.is(crc8(0x00, 0x00), 0x81);
});

test("finds all six parts and tells apart the ones sharing addresses (LIS3DH/MCP9808, ADXL345/ADXL355)", (t) => {
  const layouts: [Part, number][][] = [
    [
      ["mcp9808", 0x18],
      ["lis3dh", 0x19],
      ["adxl355", 0x1d],
      ["sht3x", 0x45],
      ["tmp117", 0x4a],
      ["adxl345", 0x53],
    ],
    [
      ["lis3dh", 0x18],
      ["mcp9808", 0x19],
      ["mcp9808", 0x1c],
      ["adxl345", 0x1d],
      ["sht3x", 0x44],
      ["tmp117", 0x48],
      ["tmp117", 0x4b],
      ["adxl355", 0x53],
    ],
    [
      ["mcp9808", 0x1d], // an MCP9808 on an ADXL address
      ["mcp9808", 0x1f],
    ],
  ];
  for (const parts of layouts) {
    const { io } = busWith(parts);
    const found = scanBus({ io });
    const accel = new Set(["adxl345", "lis3dh", "adxl355"]);
    t.deepEqual(
      found.accelerometers,
      parts.filter(([k]) => accel.has(k)).map(([kind, address]) => ({ kind, address })),
    );
    t.deepEqual(
      found.thermometers,
      parts.filter(([k]) => !accel.has(k)).map(([kind, address]) => ({ kind, address })),
    );
  }
});

test("never throws: empty bus, unplugged parts, stuck bus, impostors that ACK everything", (t) => {
  const empty = busWith([]);
  t.deepEqual(scanBus({ io: empty.io }), { accelerometers: [], thermometers: [] });

  const r = busWith([
    ["lis3dh", 0x18],
    ["tmp117", 0x48],
  ]);
  r.devices["lis3dh@24"].present = false;
  t.deepEqual(scanBus({ io: r.io }), { accelerometers: [], thermometers: [{ kind: "tmp117", address: 0x48 }] });
  r.bus.setStuck(true);
  t.deepEqual(scanBus({ io: r.io }), { accelerometers: [], thermometers: [] });
  r.bus.setStuck(false);

  // unsupported parts at our addresses: IDs and the SHT3x CRC reject them
  for (const value of [0x00, 0xff, 0x33, 0xe5, 0xad, 0x54]) {
    const c = busWith([]);
    for (const address of [0x18, 0x19, 0x1a, 0x1d, 0x44, 0x45, 0x48, 0x53]) c.bus.attach(address, new Impostor(value));
    const found = scanBus({ io: c.io });
    if (value === 0x33) t.deepEqual(found.accelerometers.map((d) => d.kind), ["lis3dh", "lis3dh"], "0x33 everywhere is a WHO_AM_I match at 0x18/0x19 only");
    else if (value === 0xe5) t.deepEqual(found.accelerometers.map((d) => d.kind), ["adxl345", "adxl345"]);
    else t.deepEqual(found.accelerometers, [], `0x${value.toString(16)}`);
    t.deepEqual(found.thermometers, [], `no thermometer from a constant 0x${value.toString(16)}`);
  }
  // a TMP117 where an LIS3DH or MCP9808 could be, an ADXL345 where a TMP117 could be: nothing
  const wrong = busWith([
    ["tmp117", 0x18],
    ["tmp117", 0x1d],
    ["tmp117", 0x44],
  ]);
  t.deepEqual(scanBus({ io: wrong.io }), { accelerometers: [], thermometers: [] });
});

test("factories open a working driver for every kind found", (t) => {
  const { clock, io, bus } = busWith([
    ["lis3dh", 0x19],
    ["mcp9808", 0x18],
    ["adxl355", 0x1d],
    ["adxl345", 0x53],
    ["sht3x", 0x44],
    ["tmp117", 0x49],
  ]);
  const t0 = bus.transfers;
  const found = scanBus({ io });
  t.log(`scan: ${bus.transfers - t0} transfers, ${found.accelerometers.length + found.thermometers.length} parts`);
  const dest = new Float32Array(3 * 32);
  for (const { kind, address } of found.accelerometers) {
    const a = createAccelerometer(kind, { sensor: { io, address }, odr: 1000, rangeG: 4 });
    clock.advance(20);
    const n = a.readFifo(dest, 32);
    t.true(n >= 10, `${kind}: ${n} samples`);
    t.true(Math.abs(dest[0] - 0.5) < 0.01 && Math.abs(dest[1] + 0.25) < 0.01 && Math.abs(dest[2] - 1) < 0.01, `${kind}: ${dest.subarray(0, 3).join(", ")}`);
    a.close();
  }
  for (const { kind, address } of found.thermometers) {
    const th = createThermometer(kind, { sensor: { io, address } });
    let reading: ReturnType<typeof th.sample>; // the last of 2 s of readings (past every first conversion)
    for (let i = 0; i < 20; i++) {
      clock.advance(100);
      reading = th.sample();
    }
    t.truthy(reading, kind);
    t.true(Math.abs((reading?.temperature ?? NaN) - 31.5) < 0.1, `${kind}: ${reading?.temperature}`);
    th.close();
  }
  // the factory checks the ID: a kind that is not the part at that address throws
  t.throws(() => createAccelerometer("adxl345", { sensor: { io, address: 0x1d } }), { message: /ADXL345 at 0x1D: device ID 0xAD/ });
  t.throws(() => createAccelerometer("lis3dh", { sensor: { io, address: 0x18 } }), { message: /LIS3DH at 0x18: WHO_AM_I/ });
  t.throws(() => createThermometer("mcp9808", { sensor: { io, address: 0x19 } }), { message: /MCP9808 at 0x19/ });
  t.throws(() => createAccelerometer("bmi160" as AccelerometerKind, { sensor: { io } }), { message: /unknown accelerometer kind bmi160/ });
  t.throws(() => createThermometer("ds18b20" as ThermometerKind, { sensor: { io } }), { message: /unknown thermometer kind ds18b20/ });
});
