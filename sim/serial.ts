/*
 * The simulated node's console UART: the Host's io.Serial (firmware/host.ts) over a
 * line to the outside world (a pseudo-terminal: hosts/node/pty-line.ts; or a test's
 * own end). Received bytes wait in a bounded buffer, as in a UART driver's, and
 * onReadable runs on the host's timers, so the firmware sees them on its own
 * thread and in its virtual time.
 */
import type { BufferLike, Serial, SerialConstructor, SerialOptions, Timers } from "../firmware/host.js";

/** The far end of the wire, seen from the node. */
export interface SerialLine {
  /** The node's TX: bytes to whoever is on the other end (lost when nobody is). */
  write(bytes: Uint8Array): void;
  /** The node's RX: `listener` gets every chunk received; undefined: received bytes are dropped. */
  listen(listener: ((bytes: Uint8Array) => void) | undefined): void;
}

/** The receive buffer (the ESP32 UART driver's order of size); bytes beyond it are lost, as in an overrun. */
export const SERIAL_RX_BYTES = 1024;

/** An ECMA-419 Serial class on `line`, delivering on `timers` (the host's: a power cut silences it too). */
export function simSerialClass(line: SerialLine, timers: Timers): SerialConstructor {
  return class SimSerial implements Serial {
    #rx = new Uint8Array(SERIAL_RX_BYTES);
    #count = 0;
    #posted = false;
    #closed = false;
    #onReadable: ((bytes: number) => void) | undefined;

    constructor(options: SerialOptions) {
      this.#onReadable = options.onReadable;
      line.listen((bytes) => this.#receive(bytes));
    }

    #receive(bytes: Uint8Array): void {
      if (this.#closed) return;
      const n = Math.min(bytes.length, SERIAL_RX_BYTES - this.#count);
      this.#rx.set(bytes.subarray(0, n), this.#count);
      this.#count += n;
      if (this.#posted || !this.#onReadable || this.#count === 0) return;
      this.#posted = true;
      timers.set(() => {
        this.#posted = false;
        if (!this.#closed && this.#count > 0) this.#onReadable!(this.#count);
      }, 0);
    }

    read(byteLength?: number): ArrayBuffer | undefined {
      if (this.#count === 0) return undefined;
      const n = byteLength === undefined ? this.#count : Math.min(byteLength, this.#count);
      const out = this.#rx.slice(0, n).buffer;
      this.#rx.copyWithin(0, n, this.#count);
      this.#count -= n;
      return out;
    }

    write(data: BufferLike): void {
      if (this.#closed) throw new Error("serial: closed");
      line.write(data instanceof Uint8Array ? data.slice() : new Uint8Array(data.slice(0)));
    }

    close(): void {
      if (this.#closed) return;
      this.#closed = true;
      line.listen(undefined);
    }
  };
}
