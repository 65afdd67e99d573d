/*
 * A ranged HTTP(S) download that survives a dropped connection (docs/ota.md,
 * "Download"). Each attempt asks for `Range: bytes=<offset>-`, so it resumes
 * where the last one stopped; bytes go to the caller as they arrive, in reads
 * of at most READ_BYTES, never gathered. A connection that brings no byte for
 * stallMs is dropped and tried again; attempts without progress are bounded.
 * Everything the server can get wrong (an error status, an HTML page, a range
 * it was not asked for, more bytes than announced, a redirect loop) ends the
 * download with one sentence.
 */
import type { Host, TCPSocket, TlsMaterial, TimerId } from "../host.js";
import { Backoff } from "../util/backoff.js";
import { ResponseHeadReader, type ResponseHead } from "./http-response.js";

/** Preloaded, frozen. */
export const DOWNLOAD_LIMITS = Object.freeze({
  /** Bytes taken from the socket per read: with the head reader's 4.5 KiB, the download's buffers stay under 8 KiB. */
  readBytes: 2048,
  /** A connection that brings nothing for this long is dropped (ms). */
  stallMs: 30_000,
  /** Attempts in a row without a byte of progress before giving up. */
  attempts: 5,
  redirects: 5,
  retryMinMs: 1000,
  retryMaxMs: 30_000,
});

export interface Url {
  secure: boolean;
  host: string;
  port: number;
  path: string;
}

const URL_PATTERN = /^(https?):\/\/([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::(\d{1,5}))?(\/[\x21-\x7e]*)?$/;

/** `http://host[:port]/path` or `https://...`; a string saying what is wrong otherwise. */
export function parseUrl(text: string): Url | string {
  const m = URL_PATTERN.exec(text);
  if (!m) return `not an http:// or https:// URL: ${JSON.stringify(text.slice(0, 80))}`;
  const secure = m[1] === "https";
  const port = m[3] === undefined ? (secure ? 443 : 80) : Number(m[3]);
  if (port < 1 || port > 65535) return `port ${port} out of range`;
  const host = m[2].startsWith("[") ? m[2].slice(1, -1) : m[2];
  return { secure, host, port, path: m[4] ?? "/" };
}

export interface DownloadOptions {
  host: Pick<Host, "io" | "timers" | "random">;
  url: Url;
  /** Bytes in all (the package's size). */
  size: number;
  /** For https: the provisioned trust (the MQTT connection's). */
  tls?: TlsMaterial;
  userAgent: string;
  /** The next bytes, in order; return a sentence to stop the download with it. */
  onData(bytes: Uint8Array): string | undefined;
  /** Once: no argument when all `size` bytes arrived, else why the download failed. Not called after cancel(). */
  onEnd(error?: string): void;
}

export class RangedDownload {
  #o: DownloadOptions;
  #url: Url;
  #offset = 0;
  #socket: TCPSocket | undefined;
  #reader: ResponseHeadReader | undefined;
  /** Body bytes still allowed by this response's Content-Length (-1: not announced). */
  #bodyLeft = -1;
  /** Bytes to drop before the wanted ones (a server that ignored Range answered 200). */
  #skip = 0;
  #failures = 0;
  #redirects = 0;
  #stall: TimerId | undefined;
  #retry: TimerId | undefined;
  #backoff: Backoff;
  #ended = false;

  constructor(options: DownloadOptions) {
    this.#o = options;
    this.#url = options.url;
    const random = options.host.random;
    this.#backoff = new Backoff({ minMs: DOWNLOAD_LIMITS.retryMinMs, maxMs: DOWNLOAD_LIMITS.retryMaxMs, random: random ? () => random() : undefined });
  }

  /** A connection is open and owes bytes (the simulator's virtual time waits for them). */
  get waiting(): boolean {
    return this.#socket !== undefined;
  }

  /** Bytes received so far. */
  get offset(): number {
    return this.#offset;
  }

  start(): void {
    this.#connect();
  }

  /** Stops without calling onEnd. */
  cancel(): void {
    this.#ended = true;
    this.#close();
    this.#o.host.timers.clear(this.#retry);
  }

  #connect(): void {
    this.#retry = undefined;
    const url = this.#url;
    this.#reader = new ResponseHeadReader();
    this.#bodyLeft = -1;
    this.#skip = 0;
    let sent = false;
    try {
      const socket: TCPSocket = this.#o.host.io.tcp({
        host: url.host,
        port: url.port,
        secure: url.secure,
        tls: url.secure ? this.#o.tls : undefined,
        onWritable: () => {
          if (sent || this.#socket !== socket) return;
          sent = true;
          socket.write(requestBytes(url, this.#offset, this.#o.userAgent));
        },
        onReadable: (bytes) => this.#socket === socket && this.#readable(socket, bytes),
        onError: (message) => this.#socket === socket && this.#dropped(message),
      });
      this.#socket = socket;
    } catch (error) {
      this.#dropped(error instanceof Error ? error.message : String(error));
      return;
    }
    this.#armStall();
  }

  #readable(socket: TCPSocket, available: number): void {
    this.#armStall();
    while (available > 0 && !this.#ended && this.#socket === socket) {
      const buffer = socket.read(Math.min(available, DOWNLOAD_LIMITS.readBytes));
      if (!buffer.byteLength) return;
      available -= buffer.byteLength;
      this.#take(new Uint8Array(buffer));
    }
  }

  #take(bytes: Uint8Array): void {
    let body = bytes;
    if (this.#reader) {
      const r = this.#reader.push(bytes);
      if (r === undefined) return;
      if ("error" in r) return this.#fail(`the server's answer is not usable: ${r.error}`);
      this.#reader = undefined;
      if (!this.#head(r.head)) return;
      body = r.body;
    }
    if (this.#skip) {
      const drop = Math.min(this.#skip, body.length);
      this.#skip -= drop;
      body = body.subarray(drop);
    }
    if (!body.length) return;
    if (this.#bodyLeft >= 0) {
      if (body.length > this.#bodyLeft) return this.#fail("the server sent more bytes than its Content-Length");
      this.#bodyLeft -= body.length;
    }
    if (this.#offset + body.length > this.#o.size) return this.#fail(`the server sent more than the ${this.#o.size} bytes the command announced`);
    const stop = this.#o.onData(body);
    if (stop !== undefined) return this.#fail(stop);
    this.#offset += body.length;
    this.#failures = 0;
    this.#backoff.reset();
    if (this.#offset === this.#o.size) this.#finish();
  }

  /** Checks a response head; false when it ended or redirected the download. */
  #head(h: ResponseHead): boolean {
    const size = this.#o.size;
    if (h.status >= 300 && h.status < 400 && h.location !== undefined) {
      this.#redirect(h.location);
      return false;
    }
    if (h.status !== 200 && h.status !== 206) {
      this.#fail(`HTTP ${h.status}${h.reason ? " " + h.reason : ""}`);
      return false;
    }
    if (h.contentType === "text/html") {
      this.#fail("the server answered with an HTML page (text/html), not an update package");
      return false;
    }
    if (h.chunked) {
      this.#fail("a chunked answer: serve the package with a Content-Length");
      return false;
    }
    const total = h.status === 200 ? h.contentLength : h.range?.total;
    if (total !== undefined && total !== size) {
      this.#fail(`the server offers ${total} bytes; the command announced ${size}`);
      return false;
    }
    if (h.status === 200) {
      this.#skip = this.#offset; // the server ignored Range: the bytes we have come again
    } else if (!h.range || h.range.first !== this.#offset || h.range.last < h.range.first) {
      this.#fail(`a range the download did not ask for (bytes ${this.#offset}- of ${size})`);
      return false;
    }
    this.#bodyLeft = h.contentLength ?? -1;
    return true;
  }

  #redirect(location: string): void {
    if (++this.#redirects > DOWNLOAD_LIMITS.redirects) return this.#fail(`more than ${DOWNLOAD_LIMITS.redirects} redirects`);
    const next = location.startsWith("/") ? { ...this.#url, path: location } : parseUrl(location);
    if (typeof next === "string") return this.#fail(`a redirect to ${next}`);
    this.#close();
    this.#url = next;
    this.#connect();
  }

  /** The connection ended or stalled before the last byte: try again from the offset, a bounded number of times. */
  #dropped(why: string): void {
    if (this.#ended) return;
    this.#close();
    if (++this.#failures >= DOWNLOAD_LIMITS.attempts) {
      return this.#fail(`${why}, at ${this.#offset} of ${this.#o.size} bytes (${this.#failures} attempts)`);
    }
    this.#retry = this.#o.host.timers.set(() => this.#connect(), this.#backoff.next());
  }

  #armStall(): void {
    const timers = this.#o.host.timers;
    timers.clear(this.#stall);
    this.#stall = timers.set(() => {
      this.#stall = undefined;
      this.#dropped(`no data for ${DOWNLOAD_LIMITS.stallMs / 1000} s`);
    }, DOWNLOAD_LIMITS.stallMs);
  }

  #close(): void {
    this.#o.host.timers.clear(this.#stall);
    this.#stall = undefined;
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket) {
      try {
        socket.close();
      } catch {
        // already closed by the peer
      }
    }
  }

  #finish(): void {
    this.#ended = true;
    this.#close();
    this.#o.onEnd();
  }

  #fail(error: string): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#close();
    this.#o.host.timers.clear(this.#retry);
    this.#o.onEnd(error);
  }
}

function requestBytes(url: Url, offset: number, userAgent: string): Uint8Array {
  const host = url.host.includes(":") ? `[${url.host}]` : url.host;
  const text = `GET ${url.path} HTTP/1.1\r\nHost: ${host}:${url.port}\r\nRange: bytes=${offset}-\r\nUser-Agent: ${userAgent}\r\nConnection: close\r\n\r\n`;
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}
