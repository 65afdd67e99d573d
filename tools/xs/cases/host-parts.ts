/*
 * Host parts shared by the XS node cases (tools/xs/cases/node-case.ts, tools/xs/cases/firmware-case.ts):
 * flash-like storage (counted apart: flash on a device) and the loopback broker.
 * Plain ECMAScript; bundled by tools/xs/harness.ts.
 */
import type { AppendLog, TCPOptions, TCPSocket } from "../../../firmware/host.js";
import { MemoryStorage } from "../../../sim/storage.js";
import type { VirtualClock } from "../../../sim/clock.js";

// --- storage: sim/storage.ts MemoryStorage with flash-like logs ---

const FLASH_LOG_INITIAL = 65536;
/** Bytes of log buffers held by every XsMemoryStorage: flash on a device, so the memory figures take them out. */
let flashBytes = 0;

function newFlash(bytes: number): Uint8Array {
  flashBytes += bytes;
  return new Uint8Array(bytes);
}

/** Chunk bytes that stand for flash (the append logs' buffers) in this machine now. */
export function flashBytesHeld(): number {
  return flashBytes;
}

/**
 * An append log in one byte buffer, like a flash partition: records are copied in,
 * no object per record, so the XS slot heap does not carry the spool (on the device
 * it lives in flash). Same bytes as hosts/node/storage.ts MemoryLog, read back as one
 * chunk. The buffer doubles when full (from 64 KiB).
 */
class FlashLikeLog implements AppendLog {
  #buffer = newFlash(FLASH_LOG_INITIAL);
  #size = 0;
  append(record: Uint8Array): void {
    if (this.#size + record.length > this.#buffer.length) {
      let capacity = this.#buffer.length * 2;
      while (capacity < this.#size + record.length) capacity *= 2;
      flashBytes -= this.#buffer.length; // the old buffer becomes garbage
      const next = newFlash(capacity);
      next.set(this.#buffer.subarray(0, this.#size));
      this.#buffer = next;
    }
    this.#buffer.set(record, this.#size);
    this.#size += record.length;
  }
  readAll(visit: (chunk: Uint8Array) => void): void {
    if (this.#size) visit(this.#buffer.slice(0, this.#size));
  }
  size(): number {
    return this.#size;
  }
  clear(): void {
    this.#size = 0;
  }
}

/** MemoryStorage whose logs are FlashLikeLogs (their buffers counted as flash). */
export class XsMemoryStorage extends MemoryStorage {
  constructor() {
    super(() => new FlashLikeLog());
  }
}

// --- sockets ------------------------------------------------------------------

/** Room reported by onWritable: what a fresh node:net socket reports (writableHighWaterMark). */
export const WRITABLE_BYTES = 16384;

export interface SocketSide {
  id: number;
  options: TCPOptions;
  rx: Uint8Array[];
  rxBytes: number;
  dead: boolean;
}

export function readFrom(side: SocketSide, byteLength?: number): ArrayBuffer {
  const want = byteLength === undefined ? side.rxBytes : Math.min(byteLength, side.rxBytes);
  const out = new Uint8Array(want);
  let o = 0;
  while (o < want) {
    const head = side.rx[0];
    const take = Math.min(head.length, want - o);
    out.set(head.subarray(0, take), o);
    o += take;
    if (take === head.length) side.rx.shift();
    else side.rx[0] = head.subarray(take);
  }
  side.rxBytes -= want;
  return out.buffer;
}


/**
 * A broker inside XS for the soak: answers CONNECT, SUBSCRIBE, QoS 1 PUBLISH and
 * PINGREQ with fixed 4- or 5-byte packets. Requests are scanned, not decoded (the
 * figures are the node's, not the broker's). Replies wait in `pending` until
 * `flush()`, called after each timer callback (no re-entry into the client).
 */
export class LoopbackNet {
  #side: SocketSide | undefined;
  #pending: number[] = [];
  #carry: Uint8Array | undefined;
  #connectPending = false;
  published = 0;
  publishedBytes = 0;

  open(options: TCPOptions): TCPSocket {
    const side: SocketSide = { id: 1, options, rx: [], rxBytes: 0, dead: false };
    this.#side = side;
    this.#carry = undefined;
    this.#connectPending = true;
    return {
      read: (byteLength?: number) => readFrom(side, byteLength),
      write: (data) => {
        if (side.dead) throw new Error("socket is closed");
        this.#scan(data instanceof Uint8Array ? data : new Uint8Array(data));
      },
      close: () => {
        side.dead = true;
      },
    };
  }

  #scan(chunk: Uint8Array): void {
    let bytes = chunk;
    if (this.#carry) {
      bytes = new Uint8Array(this.#carry.length + chunk.length);
      bytes.set(this.#carry);
      bytes.set(chunk, this.#carry.length);
      this.#carry = undefined;
    }
    let i = 0;
    while (i < bytes.length) {
      let len = 0;
      let mul = 1;
      let j = i + 1;
      let complete = false;
      for (; j < bytes.length && j < i + 5; j++) {
        len += (bytes[j] & 0x7f) * mul;
        mul *= 128;
        if ((bytes[j] & 0x80) === 0) {
          complete = true;
          break;
        }
      }
      const body = j + 1;
      if (!complete || body + len > bytes.length) break;
      const type = bytes[i] >> 4;
      if (type === 1) this.#pending.push(0x20, 2, 0, 0); // CONNACK accepted, no session
      else if (type === 8) this.#pending.push(0x90, 3, bytes[body], bytes[body + 1], 1); // SUBACK granted QoS 1
      else if (type === 12) this.#pending.push(0xd0, 0); // PINGRESP
      else if (type === 3) {
        this.published++;
        this.publishedBytes += body + len - i;
        if (((bytes[i] >> 1) & 3) === 1) {
          const at = body + 2 + ((bytes[body] << 8) | bytes[body + 1]);
          this.#pending.push(0x40, 2, bytes[at], bytes[at + 1]); // PUBACK
        }
      }
      i = body + len;
    }
    if (i < bytes.length) this.#carry = bytes.slice(i);
  }

  /** Completes the connection and delivers pending replies; true if anything happened. */
  flush(): boolean {
    const side = this.#side;
    if (!side || side.dead) return false;
    if (this.#connectPending) {
      this.#connectPending = false;
      side.options.onWritable?.(Infinity);
      return true;
    }
    if (!this.#pending.length) return false;
    const bytes = new Uint8Array(this.#pending);
    this.#pending.length = 0;
    side.rx.push(bytes);
    side.rxBytes += bytes.length;
    side.options.onReadable?.(side.rxBytes);
    return true;
  }
}

/**
 * Runs a node on `net` until it completed `windows` more windows: broker replies
 * are delivered before the next timer (zero network time). Returns the timer steps.
 */
export function runLoopback(clock: VirtualClock, net: LoopbackNet, app: { readonly windows: number }, windows: number): number {
  const target = app.windows + windows;
  let steps = 0;
  while (app.windows < target) {
    while (net.flush()) {
      // replies before the next timer, possibly several rounds
    }
    if (!clock.step()) throw new Error("loopback run: no timer pending");
    steps++;
  }
  while (net.flush()) {
    // answer the last window's publishes
  }
  return steps;
}
