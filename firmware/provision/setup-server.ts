/*
 * The setup page's HTTP server, on the Host's listener (ECMA-419 shape,
 * `host.io.listen`): a few connections at a time, one request each (answered,
 * then closed), each with a deadline, the response sent in small slices as the
 * socket has room. A request the reader refuses is answered with its status
 * and code; a handler that throws is a 500, never a crash of the node.
 */
import type { Host, Listener, TCPSocket } from "../host.js";
import { utf8ByteLength, utf8Encode } from "../util/utf8.js";
import { isHttpError, RequestReader, responseHead, type HttpRequest } from "./http.js";

export interface HttpResponse {
  status: number;
  contentType: string;
  /** The body as text (sent as UTF-8; the page is ASCII, so a constant string goes out slice by slice). */
  body: string;
}

export type RequestHandler = (request: HttpRequest) => HttpResponse;

/** Connections served at once; more are closed on arrival. */
const MAX_CONNECTIONS = 4;
/** A connection must have sent its request and taken its answer within this (slow senders hold no socket for long). */
const CONNECTION_MS = 10_000;
/** Characters of the response written per slice. */
const SLICE = 512;

export function jsonResponse(status: number, value: unknown): HttpResponse {
  return { status, contentType: "application/json", body: JSON.stringify(value) };
}

export class SetupServer {
  readonly host: Host;
  #handler: RequestHandler;
  #listener: Listener | undefined;
  #connections = new Set<Connection>();

  constructor(host: Host, handler: RequestHandler) {
    this.host = host;
    this.#handler = handler;
  }

  /** Listens on `port`; false where the host has no listener. */
  start(port: number): boolean {
    const listen = this.host.io.listen;
    if (!listen) return false;
    this.#listener = listen.call(this.host.io, { port, onReadable: () => this.#accept() });
    return true;
  }

  /** The port listened on (the host's, which may differ from the one asked for), or undefined. */
  get port(): number | undefined {
    return this.#listener?.port;
  }

  stop(): void {
    this.#listener?.close();
    this.#listener = undefined;
    for (const c of [...this.#connections]) c.close();
  }

  handle(request: HttpRequest): HttpResponse {
    try {
      return this.#handler(request);
    } catch (e) {
      this.host.log("error", `setup: ${request.method} ${request.path} failed: ${e instanceof Error ? e.message : String(e)}`);
      return jsonResponse(500, { ok: false, errors: [{ code: "internal", message: "the node could not answer this request" }] });
    }
  }

  forget(c: Connection): void {
    this.#connections.delete(c);
  }

  #accept(): void {
    const listener = this.#listener;
    while (listener) {
      const c = new Connection(this);
      if (!c.open(listener)) return;
      if (this.#connections.size >= MAX_CONNECTIONS) c.close();
      else this.#connections.add(c);
    }
  }
}

class Connection {
  #server: SetupServer;
  #socket: TCPSocket | undefined;
  #reader: RequestReader | undefined = new RequestReader();
  #timer: number | undefined;
  #head = "";
  #body = "";
  /** Characters of head + body written so far; -1 until there is a response. */
  #sent = -1;
  #room = 0;
  #sending = false;

  constructor(server: SetupServer) {
    this.#server = server;
  }

  /** Takes the next pending connection; false when there is none. */
  open(listener: Listener): boolean {
    const socket = listener.read({
      onReadable: () => this.#readable(),
      onWritable: (bytes) => this.#writable(bytes),
      onError: () => this.close(),
    });
    if (!socket) return false;
    this.#socket = socket;
    this.#timer = this.#server.host.timers.set(() => this.close(), CONNECTION_MS);
    return true;
  }

  close(): void {
    const socket = this.#socket;
    if (!socket) return;
    this.#socket = undefined;
    this.#reader = undefined;
    this.#server.host.timers.clear(this.#timer);
    this.#server.forget(this);
    try {
      socket.close();
    } catch {
      // already closed by the peer
    }
  }

  #readable(): void {
    const socket = this.#socket;
    if (!socket) return;
    const data = new Uint8Array(socket.read());
    const result = this.#reader?.push(data);
    if (!result) return;
    this.#reader = undefined; // one request per connection: the rest is not read
    const response = isHttpError(result) ? jsonResponse(result.status, { ok: false, errors: [{ code: result.code, message: result.message }] }) : this.#server.handle(result);
    this.#head = responseHead(response.status, response.contentType, utf8ByteLength(response.body));
    this.#body = response.body;
    this.#sent = 0;
    this.#send();
  }

  #writable(bytes: number): void {
    this.#room = bytes;
    if (this.#sent < 0 || this.#sending) return; // no answer yet; or a host calling back from inside write(): the loop goes on
    if (this.#sent >= this.#head.length + this.#body.length) this.close(); // all written and flushed
    else this.#send();
  }

  #send(): void {
    const total = this.#head.length + this.#body.length;
    this.#sending = true;
    while (this.#socket && this.#room > 0 && this.#sent < total) {
      const inHead = this.#sent < this.#head.length;
      const text = inHead ? this.#head : this.#body;
      const at = inHead ? this.#sent : this.#sent - this.#head.length;
      let end = Math.min(text.length, at + Math.min(SLICE, this.#room));
      const last = text.charCodeAt(end - 1);
      if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--; // never split a surrogate pair
      const bytes = utf8Encode(text.slice(at, end));
      this.#sent += end - at;
      this.#room -= bytes.length;
      try {
        this.#socket.write(bytes);
      } catch {
        this.close();
      }
    }
    this.#sending = false;
  }
}
