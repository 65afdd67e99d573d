/*
 * The device's serial console (hosts/moddable/console.ts) on a UART modelled on the
 * Moddable SDK's ESP32 Serial (modules/io/serial/esp32/serial.c): writes go straight
 * into a 128-byte transmit FIFO and throw "output full" past its free room; the FIFO
 * empties at 115200 baud 8N1 (11.52 bytes/ms) in virtual time; onWritable comes once
 * the FIFO is nearly empty, only after a write enabled the interrupt. Improv's
 * answers (the real ImprovService over the console's Serial) reach the far end whole,
 * in order, between log lines, even while the log floods; log lines that do not fit
 * are dropped and counted; nothing throws.
 */
import test from "ava";
import { SerialConsole, UART_FIFO_BYTES } from "../hosts/moddable/console.js";
import { ImprovService } from "../firmware/provision/improv-service.js";
import type { ImprovTarget } from "../firmware/provision/improv-target.js";
import { VirtualClock } from "../sim/clock.js";
import { ASK_INFO, ASK_STATE, ERROR_NONE, STATE_READY, packets, result } from "./helpers/improv.js";

/** 8N1: ten bit times a byte. */
const BYTES_PER_MS = 115_200 / 10 / 1000;
/** The SDK enables the TX-empty interrupt at this level (serial.c's kTransmitTreshold order). */
const TX_THRESHOLD = 16;

interface Uart {
  wire: number[];
  receive(bytes: Uint8Array): void;
  writes: number;
  refused: number;
}

function uartClass(clock: VirtualClock, uart: Uart, interrupts = true, bytesPerMs = BYTES_PER_MS) {
  return class FakeEsp32Serial {
    #fifo = 0;
    #rx: number[] = [];
    #interrupt = false;
    #onWritable: (n: number) => void;
    #onReadable: (n: number) => void;
    constructor(o: Record<string, unknown>) {
      if (o.port !== 0 || o.transmit !== 1 || o.receive !== 3 || o.baud !== 115200 || o.format !== "buffer") throw new Error(`unexpected options ${JSON.stringify(o)}`);
      this.#onWritable = o.onWritable as (n: number) => void;
      this.#onReadable = o.onReadable as (n: number) => void;
      uart.receive = (bytes) => {
        this.#rx.push(...bytes);
        clock.set(() => this.#onReadable(this.#rx.length), 0);
      };
    }
    write(data: ArrayBuffer): void {
      if (!(data instanceof ArrayBuffer)) throw new TypeError("buffer format takes an ArrayBuffer here");
      uart.writes++;
      if (data.byteLength > UART_FIFO_BYTES - this.#fifo) {
        uart.refused++;
        throw new Error("output full");
      }
      const start = this.#fifo === 0;
      this.#fifo += data.byteLength;
      uart.wire.push(...new Uint8Array(data));
      this.#interrupt = interrupts;
      if (start) this.#shift();
    }
    /** The FIFO empties byte by byte on the wire; at the threshold the interrupt posts onWritable. */
    #shift(): void {
      clock.set(() => {
        this.#fifo = Math.max(0, this.#fifo - 1);
        if (this.#interrupt && this.#fifo <= TX_THRESHOLD) {
          this.#interrupt = false;
          clock.set(() => this.#onWritable(UART_FIFO_BYTES - this.#fifo), 0);
        }
        if (this.#fifo > 0) this.#shift();
      }, 1 / bytesPerMs);
    }
    read(n?: number): ArrayBuffer | undefined {
      if (this.#rx.length === 0) return undefined;
      const take = this.#rx.splice(0, n ?? this.#rx.length);
      return new Uint8Array(take).buffer;
    }
    close(): void {}
  };
}

function rig(interrupts = true, bytesPerMs = BYTES_PER_MS) {
  const clock = new VirtualClock();
  const uart: Uart = { wire: [], receive: () => undefined, writes: 0, refused: 0 };
  const console_ = SerialConsole.open({ io: uartClass(clock, uart, interrupts, bytesPerMs), open: { port: 0, transmit: 1, receive: 3 }, baud: 115200, timers: clock })!;
  return { clock, uart, console: console_ };
}

const target: ImprovTarget = {
  provisioned: false,
  deviceInfo: () => ({ firmware: "sensor-node", version: "0.1.0", chip: "esp32", name: "sensor-node-ab12" }),
  scan: (visit) => visit(null),
  connectWifi: (_s, _p, done) => done("no radio here"),
  redirectUrl: () => "",
};

const text = (wire: number[]) => Buffer.from(wire).toString("latin1");

test("log lines reach the wire in order, whole, with CR LF, however long", (t) => {
  const { clock, uart, console: c } = rig();
  const lines = Array.from({ length: 12 }, (_, i) => `line ${i} ${"x".repeat(20 + 13 * i)}`);
  for (const l of lines) c.log("info", l);
  clock.runUntil(1000);
  t.is(text(uart.wire), lines.map((l) => `[info] ${l}\r\n`).join(""));
  t.true(uart.writes > lines.length, "long lines go out in several FIFO loads");
});

test("without onWritable (an interrupt that never comes) the console tries again on its own: refused writes, nothing lost", (t) => {
  // A slow line (1 byte/ms): after the console's 20 ms pause the FIFO is still nearly full.
  const { clock, uart, console: c } = rig(false, 1);
  const lines = Array.from({ length: 8 }, (_, i) => `retry ${i} ${"z".repeat(150)}`);
  for (const l of lines) c.log("info", l);
  clock.runUntil(10_000);
  t.is(text(uart.wire), lines.map((l) => `[info] ${l}\r\n`).join(""));
  t.true(uart.refused > 0, `${uart.refused} writes refused with "output full" and retried`);
});

test("Improv answers get through whole between log lines, while the log floods; dropped lines are counted", (t) => {
  const { clock, uart, console: c } = rig();
  const service = new ImprovService({ serial: c.Serial, target });
  service.start();
  // A flood: 60 lines of 100 bytes at once, far beyond the 2 KiB the log may queue.
  for (let i = 0; i < 60; i++) c.log("info", `flood ${String(i).padStart(2, "0")} ${"y".repeat(80)}`);
  uart.receive(ASK_STATE);
  uart.receive(ASK_INFO);
  clock.runUntil(2000);
  c.log("warn", "after the flood");
  clock.runUntil(3000);
  // The wire is whole log lines and whole packets, one after the other, nothing cut into anything else.
  const found: Uint8Array[] = [];
  const lines: string[] = [];
  const wire = new Uint8Array(uart.wire);
  for (let at = 0; at < wire.length; ) {
    if (text([...wire.subarray(at, at + 6)]) === "IMPROV") {
      const end = at + 10 + wire[at + 8];
      packets(wire.subarray(at, end)); // whole, checksum right
      found.push(wire.slice(at, end));
      at = end;
    } else {
      const end = text([...wire]).indexOf("\r\n", at);
      t.true(end > at && wire[at] === 0x5b, `a log line at byte ${at}`);
      lines.push(text([...wire.subarray(at, end)]));
      at = end + 2;
    }
  }
  const hex = (x: Uint8Array) => Buffer.from(x).toString("hex");
  t.deepEqual(found.slice(0, 3).map(hex), [ERROR_NONE, STATE_READY, ERROR_NONE].map(hex));
  t.deepEqual(result(packets(found[3])[0]), { command: 3, strings: ["sensor-node", "0.1.0", "esp32", "sensor-node-ab12"] });
  t.is(found.length, 4);
  const shown = lines.filter((l) => l.startsWith("[info] flood"));
  t.true(shown.length >= 15 && shown.length < 60, `${shown.length} flood lines kept`);
  t.deepEqual(shown, shown.slice().sort(), "in order");
  t.regex(text(uart.wire), new RegExp(`\\[warn\\] console: ${60 - shown.length} log lines dropped \\(output queue full\\)\\r\\n\\[warn\\] after the flood\\r\\n$`));
});

test("input goes to the Serial the firmware opened; with none open it is read and dropped", (t) => {
  const { clock, uart, console: c } = rig();
  uart.receive(ASK_STATE);
  clock.runUntil(100);
  t.deepEqual(uart.wire, [], "nobody answered");
  const got: number[] = [];
  const serial = new c.Serial({ baud: 115200, onReadable: () => got.push(...new Uint8Array(serial.read() ?? new ArrayBuffer(0))) });
  uart.receive(ASK_INFO);
  clock.runUntil(200);
  t.deepEqual(got, [...ASK_INFO], "only what came after it opened");
  serial.close();
  t.throws(() => serial.write(new Uint8Array([1])), { message: "serial closed" });
});

test("a UART that cannot be opened (xsbug holds it in a debug build): no console, no throw", (t) => {
  const Taken = class {
    constructor() {
      throw new RangeError("port in use");
    }
  };
  t.is(SerialConsole.open({ io: Taken as never, open: { port: 0 }, baud: 115200, timers: new VirtualClock() }), undefined);
});
