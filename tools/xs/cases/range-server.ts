/*
 * An HTTP/1.1 server for ranged GETs inside XS, as a host's socket (TCPSocket):
 * the update's download (firmware/ota/download.ts) reads a 206 response from it
 * one TCP segment at a time, the way a network delivers it. The body is made
 * on each read from `source` (nothing whole in memory); `step()` moves the
 * connection on by one event, so the caller decides how fast the bytes come
 * (tools/bench/xs-ota-update-case.ts). Plain ECMAScript; bundled by tools/xs/harness.ts.
 */
import type { TCPOptions, TCPSocket } from "../../../firmware/host.js";
import { WRITABLE_BYTES } from "./host-parts.js";

export interface RangeServerOptions {
  /** Bytes of the file served. */
  size: number;
  /** Fills `into` with the file's bytes from offset `at`. */
  source(into: Uint8Array, at: number): void;
  /** Bytes made readable per step: a TCP segment (1460 on Ethernet-sized Wi-Fi frames). */
  segmentBytes: number;
}

const RANGE = /\r\nRange: bytes=(\d+)-\r\n/i;

/** One connection: the response is its head, then the file from the range's first byte. */
interface Connection {
  options: TCPOptions;
  connected: boolean;
  head: Uint8Array | undefined;
  /** The file's offset the body starts at. */
  first: number;
  /** Response bytes made readable so far, and read so far. */
  delivered: number;
  read: number;
  closed: boolean;
}

export class RangeServer {
  #o: RangeServerOptions;
  #c: Connection | undefined;
  /** Body bytes read by clients, all connections. */
  served = 0;
  connections = 0;

  constructor(options: RangeServerOptions) {
    this.#o = options;
  }

  open(options: TCPOptions): TCPSocket {
    const c: Connection = { options, connected: false, head: undefined, first: 0, delivered: 0, read: 0, closed: false };
    this.#c = c;
    this.connections++;
    return {
      read: (byteLength?: number) => this.#read(c, byteLength),
      write: (data) => {
        if (c.closed) throw new Error("socket is closed");
        this.#request(c, data instanceof Uint8Array ? data : new Uint8Array(data));
      },
      close: () => {
        c.closed = true;
      },
    };
  }

  /** True while the open connection has response bytes still to deliver. */
  get pending(): boolean {
    const c = this.#c;
    return c !== undefined && !c.closed && (!c.connected || (c.head !== undefined && c.delivered < this.#responseBytes(c)));
  }

  /** The next event of the open connection: it connects, or one more segment arrives. False when there is nothing to do. */
  step(): boolean {
    const c = this.#c;
    if (!c || c.closed) return false;
    if (!c.connected) {
      c.connected = true;
      c.options.onWritable?.(WRITABLE_BYTES);
      return true;
    }
    if (!c.head) return false;
    const total = this.#responseBytes(c);
    if (c.delivered >= total) return false;
    c.delivered = Math.min(total, c.delivered + this.#o.segmentBytes);
    c.options.onReadable?.(c.delivered - c.read);
    return true;
  }

  #responseBytes(c: Connection): number {
    return c.head!.length + this.#o.size - c.first;
  }

  /** The request, in one write (the download writes it whole): the range's first byte. */
  #request(c: Connection, bytes: Uint8Array): void {
    let text = "";
    for (let i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]);
    const m = RANGE.exec(text);
    const size = this.#o.size;
    c.first = m ? Math.min(Number(m[1]), size - 1) : 0;
    const head = `HTTP/1.1 206 Partial Content\r\nContent-Type: application/octet-stream\r\nContent-Length: ${size - c.first}\r\nContent-Range: bytes ${c.first}-${size - 1}/${size}\r\nConnection: close\r\n\r\n`;
    c.head = new Uint8Array(head.length);
    for (let i = 0; i < head.length; i++) c.head[i] = head.charCodeAt(i);
  }

  #read(c: Connection, byteLength?: number): ArrayBuffer {
    const available = c.delivered - c.read;
    const n = byteLength === undefined ? available : Math.min(byteLength, available);
    const out = new Uint8Array(n);
    const head = c.head!;
    let done = 0;
    if (c.read < head.length) {
      const part = head.subarray(c.read, Math.min(head.length, c.read + n));
      out.set(part);
      done = part.length;
    }
    if (done < n) {
      this.#o.source(out.subarray(done), c.first + c.read + done - head.length);
      this.served += n - done;
    }
    c.read += n;
    return out.buffer;
  }
}
