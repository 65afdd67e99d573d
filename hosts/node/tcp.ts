/*
 * The firmware's TCPSocket (ECMA-419 shape) on node:net / node:tls.
 *
 * Received data is buffered and announced with onReadable(byteCount); the
 * firmware pulls it with read(). onWritable(bytes) fires once connected and
 * again whenever Node's write buffer has drained. onError fires at most once,
 * for a failure, a reset or an orderly close by the peer; the socket is dead
 * afterwards.
 *
 * Under the CPU model (`cpu`), a TLS socket charges what the device's TLS costs
 * (sim/cpu.ts "tls", "tlsRecord"): each write is one record of its bytes (the
 * SDK's TLS socket packetizes each write), and each record received (one 'data'
 * event: Node decrypts and delivers a record at a time) with its bytes, charged
 * when the firmware reads them, as the device decrypts them on its own thread
 * just before the firmware's onReadable. The handshake is not charged.
 */
import * as net from "node:net";
import * as tls from "node:tls";
import type { BufferLike, CpuMeter, SocketCallbacks, TCPOptions, TCPSocket } from "../../firmware/host.js";

export interface TlsSettings {
  ca?: string | Buffer | Array<string | Buffer>;
  cert?: string | Buffer;
  key?: string | Buffer;
  rejectUnauthorized?: boolean;
  /** Server name for SNI and certificate checks (defaults to the host unless it is an IP). */
  servername?: string;
}

/** Every live node socket, so tests can yank all cables at once. */
const open = new Set<net.Socket>();

/** Destroys every open socket abruptly (no FIN handshake from our side is awaited, no DISCONNECT). Returns how many. */
export function destroyAllSockets(): number {
  const n = open.size;
  for (const s of [...open]) s.resetAndDestroy();
  open.clear();
  return n;
}

/**
 * Opens a connection; `how` as for adoptSocket (its connect event and peer port are this
 * function's; `cpu` charges only a TLS socket).
 */
export function createTcpSocket(options: TCPOptions, tlsSettings?: TlsSettings, how: Omit<SocketHow, "connectEvent" | "peerPort"> = {}): TCPSocket {
  const socket: net.Socket = options.secure
    ? tls.connect({
        host: options.host,
        port: options.port,
        ca: tlsSettings?.ca,
        cert: tlsSettings?.cert,
        key: tlsSettings?.key,
        rejectUnauthorized: tlsSettings?.rejectUnauthorized ?? true,
        servername: tlsSettings?.servername ?? (net.isIP(options.host) ? undefined : options.host),
      })
    : net.connect({ host: options.host, port: options.port });
  return adoptSocket(socket, options, { ...how, connectEvent: options.secure ? "secureConnect" : "connect", cpu: options.secure ? how.cpu : undefined, peerPort: options.port });
}

/**
 * How an event reaches the firmware: at once, or when the firmware's thread is free (the
 * host's CPU model: docs/host.md, "CPU time"). The callback reads the socket's state when it
 * runs, not when the event came.
 */
export type Deliver = (callback: () => void) => void;

/**
 * How a socket is run: `connectEvent` makes it writable (none: at once, a listener's); `cpu`
 * charges TLS records (a TLS socket under the CPU model); `onKill` receives a function that
 * drops it abruptly (TCP RST) as if the cable was pulled; `onSocket` exposes the raw Node
 * socket for tests that need more; `deliver` and `observe` as their types say; `peerPort`
 * names the far end for `observe` (known before the connection is made).
 */
export interface SocketHow {
  connectEvent?: string;
  cpu?: CpuMeter;
  onKill?: (kill: () => void) => void;
  onSocket?: (socket: net.Socket) => void;
  deliver?: Deliver;
  observe?: SocketObserver;
  peerPort?: number;
}

/** Told of each event as it reaches a connection, before the firmware hears of it: bytes, the connection made, its end. */
export type SocketObserver = (event: Uint8Array | "established" | "error", socket: { readonly remotePort?: number }) => void;

/**
 * The firmware's TCPSocket over a Node socket: one being opened (it is writable after
 * `connectEvent`), or one a listener accepted (writable at once: no `connectEvent`).
 * `cpu`: charge TLS records (a TLS socket under the CPU model).
 */
export function adoptSocket(
  socket: net.Socket,
  options: SocketCallbacks,
  how: SocketHow,
): TCPSocket {
  const deliver: Deliver = how.deliver ?? ((callback) => callback());
  /** The connection as the observer knows it (one object; its port stays known after the socket is gone). */
  const peer = { remotePort: how.peerPort ?? socket.remotePort };
  const chunks: Buffer[] = [];
  let buffered = 0;
  /** TLS under the CPU model: records received and not yet charged. */
  const tlsCpu = how.cpu;
  let records = 0;
  let dead = false;
  let connected = false;
  /** The firmware closed it: nothing more reaches the firmware. */
  let closed = false;
  const { onKill, onSocket } = how;
  socket.setNoDelay(true);
  open.add(socket);

  const writableBytes = () => Math.max(1, socket.writableHighWaterMark - socket.writableLength);
  const die = (message: string) => {
    open.delete(socket);
    if (dead) return;
    dead = true;
    if (!socket.destroyed) socket.destroy();
    how.observe?.("error", peer);
    deliver(() => options.onError?.(message));
  };

  const established = () => {
    if (dead) return;
    connected = true;
    how.observe?.("established", peer);
    deliver(() => !dead && options.onWritable?.(writableBytes()));
  };
  if (how.connectEvent) socket.once(how.connectEvent, established);
  else setImmediate(established);
  socket.on("data", (data: Buffer) => {
    if (dead) return;
    chunks.push(data);
    buffered += data.length;
    records++;
    how.observe?.(data, peer);
    // what arrived before the connection died is still read, as from a device's socket buffer
    deliver(() => !closed && buffered > 0 && options.onReadable?.(buffered));
  });
  socket.on("drain", () => deliver(() => !dead && connected && options.onWritable?.(writableBytes())));
  socket.on("error", (err: Error) => die(err.message));
  socket.on("end", () => die("connection closed by peer"));
  socket.on("close", () => die("connection closed"));

  onKill?.(() => {
    open.delete(socket);
    dead = true; // a pulled cable tells the firmware nothing
    socket.resetAndDestroy();
  });
  onSocket?.(socket);

  return {
    read(byteLength?: number): ArrayBuffer {
      const want = byteLength === undefined ? buffered : Math.min(byteLength, buffered);
      const out = new Uint8Array(want);
      let o = 0;
      while (o < want) {
        const head = chunks[0];
        const take = Math.min(head.length, want - o);
        out.set(head.subarray(0, take), o);
        o += take;
        if (take === head.length) chunks.shift();
        else chunks[0] = head.subarray(take);
      }
      buffered -= want;
      if (tlsCpu) {
        tlsCpu.charge("tlsRecord", records);
        tlsCpu.charge("tls", want);
        records = 0;
      }
      return out.buffer;
    },
    write(data: BufferLike): void {
      if (dead || socket.destroyed) throw new Error("socket is closed");
      const view = data instanceof Uint8Array ? data : new Uint8Array(data);
      if (tlsCpu) {
        tlsCpu.charge("tlsRecord", 1);
        tlsCpu.charge("tls", view.byteLength);
      }
      // Copy: the caller may reuse its buffer once write() returns (ECMA-419).
      // The callback reports fresh room once Node handed the bytes to the kernel, so a
      // writer that meters itself by onWritable's byte count never stalls.
      socket.write(Buffer.from(view), (err) => {
        if (!err) deliver(() => !dead && connected && options.onWritable?.(writableBytes()));
      });
    },
    close(): void {
      closed = true;
      open.delete(socket);
      if (dead) return;
      dead = true;
      socket.end(); // flushes what was written (e.g. DISCONNECT) before FIN
      socket.setTimeout(1000, () => socket.destroy());
    },
  };
}
