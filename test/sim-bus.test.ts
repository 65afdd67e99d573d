import test from "ava";
import { SimI2CBus, type I2CTarget } from "../sim/bus.js";
import { SimADXL345 } from "../sim/devices/adxl345.js";
import { SimTMP117 } from "../sim/devices/tmp117.js";
import { VirtualClock } from "../sim/clock.js";
import { Rng, ln } from "../sim/rng.js";

/** A target that records what it sees on the wire. */
class Recorder implements I2CTarget {
  events: string[] = [];
  ack = true;
  start(read: boolean): boolean {
    this.events.push(read ? "S+R" : "S+W");
    return true;
  }
  write(byte: number): boolean {
    this.events.push(`w${byte.toString(16)}`);
    return this.ack;
  }
  read(): number {
    this.events.push("r");
    return 0xa5;
  }
  stop(): void {
    this.events.push("P");
  }
}

function setup() {
  const clock = new VirtualClock();
  const durations: number[] = [];
  const bus = new SimI2CBus({ hz: 400_000, now: () => clock.now(), onBusTime: (ms) => (durations.push(ms), clock.advance(ms)) });
  return { clock, bus, durations };
}

test("device IDs answer at their addresses; an empty address NACKs", (t) => {
  const { clock, bus } = setup();
  bus.attach(0x53, new SimADXL345({ now: () => clock.now(), signal: () => 0 }));
  bus.attach(0x48, new SimTMP117({ now: () => clock.now(), temperature: () => 25 }));
  t.is(bus.smbus({ address: 0x53 }).readUint8(0x00), 0xe5);
  t.is(bus.smbus({ address: 0x48 }).readUint16(0x0f, true), 0x0117);
  const absent = bus.smbus({ address: 0x1d });
  t.throws(() => absent.readUint8(0x00), { message: /NACK at 0x1D/ });
  t.throws(() => bus.smbus({ address: 0x49 }).writeUint8(0x01, 0), { message: /NACK at 0x49/ });
  t.throws(() => bus.attach(0x53, new Recorder()), { message: /already in use/ });
});

test("register reads use a repeated START (no STOP between pointer write and read)", (t) => {
  const { bus } = setup();
  const r = new Recorder();
  bus.attach(0x40, r);
  const buf = new Uint8Array(3);
  bus.smbus({ address: 0x40 }).readBuffer(0x32, buf);
  t.deepEqual(r.events, ["S+W", "w32", "S+R", "r", "r", "r", "P"]);
  t.deepEqual([...buf], [0xa5, 0xa5, 0xa5]);
  r.events = [];
  bus.smbus({ address: 0x40 }).writeUint16(0x01, 0x1234, true);
  t.deepEqual(r.events, ["S+W", "w1", "w12", "w34", "P"]);
  r.events = [];
  const io = bus.smbus({ address: 0x40 });
  io.write(Uint8Array.of(0x24, 0x00), false);
  io.read(new Uint8Array(1));
  t.deepEqual(r.events, ["S+W", "w24", "w0", "S+R", "r", "P"], "write without stop, then read: one transfer");
  t.is(bus.transfers, 3);
});

test("a data NACK ends the transfer with STOP and throws", (t) => {
  const { bus } = setup();
  const r = new Recorder();
  r.ack = false;
  bus.attach(0x40, r);
  t.throws(() => bus.smbus({ address: 0x40 }).writeUint8(0x10, 1), { message: /NACK at 0x40 \(data byte 0\)/ });
  t.deepEqual(r.events, ["S+W", "w10", "P"]);
});

test("bus time: one 6-byte burst read costs 2 STARTs + 9 bytes x 9 clocks + STOP = 84 clocks = 210 us at 400 kHz", (t) => {
  const { clock, bus, durations } = setup();
  bus.attach(0x53, new SimADXL345({ now: () => clock.now(), signal: () => 0 }));
  const io = bus.smbus({ address: 0x53 });
  io.readBuffer(0x32, new Uint8Array(6));
  t.deepEqual(durations, [0.21]);
  t.is(bus.bytesOnWire, 9); // addrW, reg, addrR, 6 data
  t.is(bus.transfers, 1);
  t.is(clock.now(), 0.21);
  io.writeUint8(0x2d, 0x08); // START + 3 bytes + STOP = 29 clocks
  t.is(durations[1], 29 / 400);
  t.is(bus.bytesOnWire, 12);
  t.is(bus.busyMs, 0.21 + 29 / 400);
  t.is(bus.transferMs(9, 2), 0.21);
  // the per-device clock can be lower than the bus default
  bus.smbus({ address: 0x53, hz: 100_000 }).readUint8(0x00); // 2 + 4*9 + 1 = 39 clocks
  t.is(durations[2], 0.39);
});

test("a stuck bus throws on every transfer and recovers when released", (t) => {
  const { clock, bus } = setup();
  bus.attach(0x53, new SimADXL345({ now: () => clock.now(), signal: () => 0 }));
  const io = bus.smbus({ address: 0x53 });
  bus.setStuck(true);
  t.throws(() => io.readUint8(0), { message: /bus stuck/ });
  t.throws(() => io.writeUint8(0x2d, 8), { message: /bus stuck/ });
  bus.setStuck(false);
  t.is(io.readUint8(0), 0xe5);
});

test("an unplugged device NACKs its address", (t) => {
  const { clock, bus } = setup();
  const dev = new SimADXL345({ now: () => clock.now(), signal: () => 0 });
  bus.attach(0x53, dev);
  dev.present = false;
  t.throws(() => bus.smbus({ address: 0x53 }).readUint8(0), { message: /NACK at 0x53 \(address/ });
  dev.present = true;
  t.is(bus.smbus({ address: 0x53 }).readUint8(0), 0xe5);
});

test("rng: same seed, same sequence; gaussian has unit variance; ln matches Math.log", (t) => {
  const a = new Rng(42);
  const b = new Rng(42);
  const c = new Rng(43);
  const sa = Array.from({ length: 8 }, () => a.uint32());
  t.deepEqual(sa, Array.from({ length: 8 }, () => b.uint32()));
  t.notDeepEqual(sa, Array.from({ length: 8 }, () => c.uint32()));
  const g = new Rng(7);
  let s = 0;
  let s2 = 0;
  let s4 = 0;
  const N = 200_000;
  for (let i = 0; i < N; i++) {
    const x = g.gaussian();
    s += x;
    s2 += x * x;
    s4 += x ** 4;
  }
  const mean = s / N;
  const v = s2 / N - mean * mean;
  t.true(Math.abs(mean) < 0.01, `mean ${mean}`);
  t.true(Math.abs(v - 1) < 0.01, `variance ${v}`);
  t.true(Math.abs(s4 / N / (v * v) - 3) < 0.05, "kurtosis of a normal is 3");
  for (const x of [1e-12, 0.001, 0.3, 0.5, 0.999999, 1, 1.5, 2, 10, 12345.678]) {
    t.true(Math.abs(ln(x) - Math.log(x)) <= 4e-16 * Math.max(1, Math.abs(Math.log(x))), `ln(${x})`);
  }
  const u = new Rng(0);
  for (let i = 0; i < 1000; i++) {
    const x = u.next();
    t.true(x >= 0 && x < 1);
  }
});
