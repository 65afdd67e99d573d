/*
 * The server side of RFC 6455 WebSocket, only what the dashboard needs: the
 * opening handshake, text messages both ways, ping/pong and the closing
 * handshake. Everything a client sends is bounded and checked: a frame or a
 * message over `maxMessage` bytes is refused from its header (close 1009)
 * before its payload is read, an unmasked frame, reserved bits, an unknown
 * opcode or a bad fragment sequence close with 1002, text that is not UTF-8
 * with 1007, binary messages with 1003. A peer that does not read what it is
 * sent is dropped once `maxBuffered` bytes wait for it. No exception leaves
 * this module: a bad peer costs its own connection, never the process.
 */
import { createHash } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";

/** RFC 6455 section 1.3: the GUID appended to Sec-WebSocket-Key. */
const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

export const CLOSE = Object.freeze({
  normal: 1000,
  goingAway: 1001,
  protocolError: 1002,
  unsupportedData: 1003,
  invalidPayload: 1007,
  tooBig: 1009,
});

const OP = Object.freeze({ continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa });

/** How long (ms) a peer may take to close its side after ours is ended, before the socket is destroyed. */
const LINGER_MS = 2000;

/**
 * Ends a socket the HTTP server no longer owns (an upgrade) after `last`: it is read to
 * its end (a paused socket would never see the peer's FIN and would hold its descriptor
 * for ever) and destroyed if the peer has not closed within LINGER_MS.
 */
export function endSocket(socket: Duplex, last?: string | Buffer): void {
  socket.end(last);
  socket.resume();
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}

/** Sec-WebSocket-Accept for a Sec-WebSocket-Key (RFC 6455 section 4.2.2). */
export function acceptKey(key: string): string {
  return createHash("sha1").update(key + GUID).digest("base64");
}

/** Why an upgrade request is not a WebSocket opening handshake this server takes, or undefined. */
export function handshakeProblem(req: IncomingMessage): string | undefined {
  if (req.method !== "GET") return "the opening handshake is a GET";
  if (!/(^|,)\s*websocket\s*(,|$)/i.test(String(req.headers.upgrade ?? ""))) return "Upgrade: websocket expected";
  if (!/(^|,)\s*upgrade\s*(,|$)/i.test(String(req.headers.connection ?? ""))) return "Connection: Upgrade expected";
  if (req.headers["sec-websocket-version"] !== "13") return "Sec-WebSocket-Version: 13 expected";
  const key = req.headers["sec-websocket-key"];
  if (typeof key !== "string" || !/^[A-Za-z0-9+/]{22}==$/.test(key.trim())) return "Sec-WebSocket-Key: 16 bytes in base64 expected";
  return undefined;
}

export interface WebSocketOptions {
  /** Largest message (and frame) taken from the peer, bytes. */
  maxMessage: number;
  /** Bytes that may wait for a slow peer before it is dropped. */
  maxBuffered: number;
  onText(text: string): void;
  onClose(): void;
}

/** One accepted connection. Call after handshakeProblem() found nothing. */
export class WebSocketConnection {
  #socket: Duplex;
  #o: WebSocketOptions;
  #input: Buffer = Buffer.alloc(0);
  /** The parts of a fragmented text message, and their total size. */
  #fragments: Buffer[] | undefined;
  #fragmentBytes = 0;
  #closing = false;
  #closed = false;

  constructor(req: IncomingMessage, socket: Duplex, head: Buffer, options: WebSocketOptions) {
    this.#socket = socket;
    this.#o = options;
    socket.on("error", () => socket.destroy());
    const key = String(req.headers["sec-websocket-key"]).trim();
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKey(key)}\r\n\r\n`);
    socket.on("data", (chunk: Buffer) => this.#onData(chunk));
    socket.on("close", () => this.#gone());
    socket.on("end", () => socket.end());
    // Frames that came with the handshake are read once the caller holds this connection.
    if (head.length) queueMicrotask(() => this.#onData(head));
  }

  get open(): boolean {
    return !this.#closing && !this.#closed;
  }

  /** Sends a text message; false when the connection is closing or the peer was dropped for not reading. */
  send(text: string): boolean {
    if (!this.open) return false;
    this.#frame(OP.text, Buffer.from(text, "utf8"));
    return this.open;
  }

  /** Starts the closing handshake; the socket ends once the peer answers or leaves (a peer that does neither is ended after a bounded wait). */
  close(code: number = CLOSE.normal, reason = ""): void {
    if (!this.open) return;
    this.#closing = true;
    const body = Buffer.alloc(2 + Buffer.byteLength(reason));
    body.writeUInt16BE(code, 0);
    body.write(reason, 2, "utf8");
    this.#frame(OP.close, body);
    // The server closes the TCP connection after the close frame (RFC 6455 7.1.1): its bytes go first.
    endSocket(this.#socket);
  }

  /** Writes one frame; a peer that has left maxBuffered bytes unread (pongs included) is dropped instead. */
  #frame(opcode: number, payload: Buffer): void {
    if (this.#socket.writableLength > this.#o.maxBuffered) {
      this.#socket.destroy();
      return;
    }
    const n = payload.length;
    const head = n < 126 ? Buffer.alloc(2) : n < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
    head[0] = 0x80 | opcode;
    if (n < 126) head[1] = n;
    else if (n < 65536) {
      head[1] = 126;
      head.writeUInt16BE(n, 2);
    } else {
      head[1] = 127;
      head.writeBigUInt64BE(BigInt(n), 2);
    }
    this.#socket.write(Buffer.concat([head, payload]));
  }

  #gone(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#input = Buffer.alloc(0);
    this.#fragments = undefined;
    this.#o.onClose();
  }

  /** A protocol failure: close with `code` and read nothing more. */
  #fail(code: number, reason: string): void {
    this.#input = Buffer.alloc(0);
    this.close(code, reason);
  }

  #onData(chunk: Buffer): void {
    if (!this.open) return;
    this.#input = this.#input.length ? Buffer.concat([this.#input, chunk]) : chunk;
    while (this.open) {
      const used = this.#parse(this.#input);
      if (used === 0) break;
      this.#input = this.#input.subarray(used);
    }
  }

  /** Takes one frame from the front of `b`: bytes used, or 0 when it is not complete yet. */
  #parse(b: Buffer): number {
    if (b.length < 2) return 0;
    const fin = (b[0] & 0x80) !== 0;
    const opcode = b[0] & 0x0f;
    if (b[0] & 0x70) return this.#failed(CLOSE.protocolError, "reserved bits set");
    if (!(b[1] & 0x80)) return this.#failed(CLOSE.protocolError, "client frames must be masked");
    let length = b[1] & 0x7f;
    let at = 2;
    if (length === 126) {
      if (b.length < 4) return 0;
      length = b.readUInt16BE(2);
      at = 4;
    } else if (length === 127) {
      if (b.length < 10) return 0;
      const big = b.readBigUInt64BE(2);
      if (big > BigInt(this.#o.maxMessage)) return this.#failed(CLOSE.tooBig, `frame over ${this.#o.maxMessage} bytes`);
      length = Number(big);
      at = 10;
    }
    const control = (opcode & 0x8) !== 0;
    if (control && (length > 125 || !fin)) return this.#failed(CLOSE.protocolError, "control frames are whole and at most 125 bytes");
    if (length > this.#o.maxMessage) return this.#failed(CLOSE.tooBig, `frame over ${this.#o.maxMessage} bytes`);
    if (b.length < at + 4 + length) return 0;
    const mask = b.subarray(at, at + 4);
    const payload = Buffer.alloc(length);
    for (let i = 0; i < length; i++) payload[i] = b[at + 4 + i] ^ mask[i & 3];
    this.#frameIn(fin, opcode, payload);
    return at + 4 + length;
  }

  #failed(code: number, reason: string): number {
    this.#fail(code, reason);
    return 0;
  }

  #frameIn(fin: boolean, opcode: number, payload: Buffer): void {
    switch (opcode) {
      case OP.ping:
        this.#frame(OP.pong, payload);
        return;
      case OP.pong:
        return;
      case OP.close:
        return this.#closeIn(payload);
      case OP.text:
      case OP.binary:
        if (this.#fragments) return this.#fail(CLOSE.protocolError, "a new message inside a fragmented one");
        if (opcode === OP.binary) return this.#fail(CLOSE.unsupportedData, "text messages only");
        if (fin) return this.#message(payload);
        this.#fragments = [payload];
        this.#fragmentBytes = payload.length;
        return;
      case OP.continuation: {
        const parts = this.#fragments;
        if (!parts) return this.#fail(CLOSE.protocolError, "continuation without a message");
        this.#fragmentBytes += payload.length;
        if (this.#fragmentBytes > this.#o.maxMessage) return this.#fail(CLOSE.tooBig, `message over ${this.#o.maxMessage} bytes`);
        parts.push(payload);
        if (!fin) return;
        this.#fragments = undefined;
        return this.#message(Buffer.concat(parts));
      }
      default:
        return this.#fail(CLOSE.protocolError, `unknown opcode ${opcode}`);
    }
  }

  #message(bytes: Buffer): void {
    let text: string;
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch {
      return this.#fail(CLOSE.invalidPayload, "text is not UTF-8");
    }
    this.#o.onText(text);
  }

  /** The peer's close frame: answered with its code (RFC 6455 5.5.1), or 1002/1007 when the frame itself is bad. */
  #closeIn(payload: Buffer): void {
    if (payload.length === 1) return this.#fail(CLOSE.protocolError, "a close frame's code is 2 bytes");
    if (payload.length === 0) return this.close(CLOSE.normal);
    const code = payload.readUInt16BE(0);
    const valid = (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1011) || (code >= 3000 && code <= 4999);
    if (!valid) return this.#fail(CLOSE.protocolError, `close code ${code} is not one a peer may send`);
    try {
      new TextDecoder("utf-8", { fatal: true }).decode(payload.subarray(2));
    } catch {
      return this.#fail(CLOSE.invalidPayload, "close reason is not UTF-8");
    }
    this.close(code);
  }
}
