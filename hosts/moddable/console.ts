/*
 * The node's serial console (docs/provisioning.md, "Serial (Improv Wi-Fi)"): one
 * UART carries the log as text lines and Improv's packets, as on ESPHome. On the
 * ESP32 it is UART0, the USB UART of a DevKitC (TX GPIO 1, RX GPIO 3; 115200 8N1).
 * A release build has no console otherwise (the SDK builds it with
 * CONFIG_ESP_CONSOLE_NONE and `trace` goes nowhere), so the log is written here.
 * A debug build's xsbug owns UART0: open() then returns undefined and the entry
 * keeps `trace` (xsbug shows the log; no Improv in a debug build).
 *
 * The SDK's ECMA-419 Serial (embedded:io/serial) writes straight into the UART's
 * hardware FIFO and throws "output full" past it, so output waits in a bounded
 * queue drained on onWritable. Log lines give way to Improv: a line that would
 * grow the queue past LOG_QUEUE_BYTES is dropped and counted (the next line says
 * how many), a packet only past PACKET_QUEUE_BYTES (the client asks again).
 *
 * Input: the receive FIFO holds 128 bytes, which covers Improv's longest packet
 * from a client (Wi-Fi settings: 13 + 32 + 64 bytes = 109), so a packet that
 * arrives while the firmware computes a window waits there whole.
 */
import type { BufferLike, LogLevel, Serial, SerialConstructor, SerialOptions, TimerId, Timers } from "../../firmware/host.js";
import { utf8Encode } from "../../firmware/util/utf8.js";

/** The ESP32 UART's transmit FIFO (ESP32 TRM, UART: 128 bytes), the most a write may hand the SDK's Serial at once. */
export const UART_FIFO_BYTES = 128;
/** Log text waiting for the wire beyond this is dropped. */
const LOG_QUEUE_BYTES = 2048;
/** Packets (Improv) waiting beyond this are dropped: the longest answers are scan results, ~50 bytes each. */
const PACKET_QUEUE_BYTES = 4096;
/** A write the SDK refused (FIFO full) is tried again after this, should no onWritable come. */
const RETRY_MS = 20;

/** The SDK's Serial as the console uses it (esp32: port and pins; lin: a device path). */
interface SerialIO {
  read(byteLength?: number): ArrayBuffer | number | undefined;
  write(data: ArrayBuffer): void;
  close(): void;
}
type SerialIOConstructor = new (options: Record<string, unknown>) => SerialIO;

export interface ConsoleOptions {
  /** The SDK's Serial class (device.io.Serial, or embedded:io/serial). */
  io: SerialIOConstructor;
  /** Its options besides the callbacks: esp32 {port, transmit, receive}, lin {device}. */
  open: Record<string, unknown>;
  baud: number;
  timers: Timers;
}

export class SerialConsole {
  #io: SerialIO;
  #timers: Timers;
  #queue: Uint8Array[] = [];
  #queued = 0;
  #writable = UART_FIFO_BYTES;
  #retry: TimerId | undefined;
  #droppedLines = 0;
  /** The Serial the firmware opened (Improv), which receives the input; none: input is read and dropped. */
  #reader: { onReadable?: (bytes: number) => void } | undefined;
  #Serial: SerialConstructor | undefined;

  /** The console on the UART, or undefined when it cannot be opened (taken by xsbug, no such device). */
  static open(options: ConsoleOptions): SerialConsole | undefined {
    try {
      return new SerialConsole(options);
    } catch {
      return undefined;
    }
  }

  private constructor(options: ConsoleOptions) {
    this.#timers = options.timers;
    this.#io = new options.io({
      ...options.open,
      baud: options.baud,
      format: "buffer",
      onReadable: (bytes: number) => this.#readable(bytes),
      onWritable: (bytes: number) => {
        this.#writable = bytes > 0 ? bytes : UART_FIFO_BYTES;
        this.#drain();
      },
    });
  }

  /** Writes one log line (the Host's log). */
  log(level: LogLevel, message: string): void {
    let line = `[${level}] ${message}\r\n`;
    if (this.#droppedLines > 0) line = `[warn] console: ${this.#droppedLines} log lines dropped (output queue full)\r\n` + line;
    const bytes = utf8Encode(line);
    if (this.#queued + bytes.byteLength > LOG_QUEUE_BYTES) {
      this.#droppedLines++;
      return;
    }
    this.#droppedLines = 0;
    this.#enqueue(bytes);
  }

  /** The Host's io.Serial: each instance shares this UART (its writes queue beside the log; it gets the input). */
  get Serial(): SerialConstructor {
    const self = this;
    this.#Serial ??= class ConsoleSerial implements Serial {
      #open = true;
      constructor(options: SerialOptions) {
        self.#reader = { onReadable: options.onReadable };
      }
      read(byteLength?: number): ArrayBuffer | undefined {
        if (!this.#open) return undefined;
        const got = byteLength === undefined ? self.#io.read() : self.#io.read(byteLength);
        return typeof got === "object" ? got : undefined;
      }
      write(data: BufferLike): void {
        if (!this.#open) throw new Error("serial closed");
        const bytes = data instanceof Uint8Array ? data.slice() : new Uint8Array(data.slice(0));
        if (self.#queued + bytes.byteLength <= PACKET_QUEUE_BYTES) self.#enqueue(bytes);
      }
      close(): void {
        if (!this.#open) return;
        this.#open = false;
        self.#reader = undefined;
      }
    };
    return this.#Serial;
  }

  #readable(bytes: number): void {
    const onReadable = this.#reader?.onReadable;
    if (onReadable) return onReadable(bytes);
    // Nobody listens: take the bytes anyway (the SDK re-arms its receive interrupt on read).
    while (typeof this.#io.read() === "object");
  }

  #enqueue(bytes: Uint8Array): void {
    if (bytes.byteLength === 0) return;
    this.#queue.push(bytes);
    this.#queued += bytes.byteLength;
    this.#drain();
  }

  #drain(): void {
    while (this.#queue.length && this.#writable > 0) {
      const head = this.#queue[0];
      const n = Math.min(head.byteLength, this.#writable, UART_FIFO_BYTES);
      try {
        this.#io.write(head.slice(0, n).buffer as ArrayBuffer);
      } catch {
        // FIFO fuller than we knew: wait for onWritable, or try again shortly.
        this.#writable = 0;
        this.#retryLater();
        return;
      }
      this.#writable -= n;
      this.#queued -= n;
      if (n === head.byteLength) this.#queue.shift();
      else this.#queue[0] = head.subarray(n);
    }
    if (this.#queue.length) this.#retryLater();
  }

  #retryLater(): void {
    if (this.#retry !== undefined) return;
    this.#retry = this.#timers.set(() => {
      this.#retry = undefined;
      this.#writable = Math.max(this.#writable, UART_FIFO_BYTES);
      this.#drain();
    }, RETRY_MS);
  }
}
