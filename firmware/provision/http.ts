/*
 * HTTP/1.1 requests, read as they stream in, in bounded memory (RFC 9112): one
 * line at a time into a fixed buffer, only the headers the setup server uses are
 * kept, and a body is taken only when its Content-Length is within the limit.
 * Anything else is answered with a status and a documented code
 * (docs/provisioning.md, "Error codes"), never a crash: a malformed request
 * line (400), a line longer than the buffer (414/431), too many header bytes
 * (431), no Content-Length on a POST or a chunked body (411), a body over the
 * limit (413, read no further).
 */

/** Bytes of one request or header line, all header lines together, and a body. Preloaded, frozen. */
export const HTTP_LIMITS = Object.freeze({ line: 1024, headers: 8192, body: 16384 });

export interface HttpRequest {
  method: string;
  /** Path without the query. */
  path: string;
  authorization: string | undefined;
  contentType: string | undefined;
  body: Uint8Array | undefined;
}

export interface HttpError {
  status: number;
  code: string;
  message: string;
}

const REQUEST_LINE = /^([A-Z]{1,16}) (\/[\x21-\x7e]*) HTTP\/1\.[01]$/;
const HEADER = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*(.*?)[ \t]*$/;
const LF = 10;
const CR = 13;

export function isHttpError(v: unknown): v is HttpError {
  return typeof v === "object" && v !== null && typeof (v as HttpError).status === "number";
}

function httpError(status: number, code: string, message: string): HttpError {
  return { status, code, message };
}

/** One request from one connection (the setup server closes after answering: Connection: close). */
export class RequestReader {
  #line = new Uint8Array(HTTP_LIMITS.line);
  #length = 0;
  #headerBytes = 0;
  #request: HttpRequest | undefined;
  #contentLength = -1;
  #chunked = false;
  #filled = 0;
  #finished = false;

  /**
   * Feeds received bytes. Returns the request once it is whole, an error to
   * answer with, or undefined while more is needed. After either, the rest is ignored.
   */
  push(bytes: Uint8Array): HttpRequest | HttpError | undefined {
    if (this.#finished) return undefined;
    const result = this.#consume(bytes);
    if (result) this.#finished = true;
    return result;
  }

  #consume(bytes: Uint8Array): HttpRequest | HttpError | undefined {
    for (let i = 0; i < bytes.length; i++) {
      const request = this.#request;
      if (request?.body) {
        const take = Math.min(bytes.length - i, request.body.length - this.#filled);
        request.body.set(bytes.subarray(i, i + take), this.#filled);
        this.#filled += take;
        return this.#filled === request.body.length ? request : undefined;
      }
      const b = bytes[i];
      if (b === LF) {
        const done = this.#endLine();
        if (done) return done;
        continue;
      }
      if (this.#length === this.#line.length) {
        return request ? httpError(431, "headers-too-large", `a header line is longer than ${HTTP_LIMITS.line} bytes`) : httpError(414, "too-long", `the request line is longer than ${HTTP_LIMITS.line} bytes`);
      }
      this.#line[this.#length++] = b;
    }
    return undefined;
  }

  /** A line ended: the request line, a header, or the blank line before the body. */
  #endLine(): HttpRequest | HttpError | undefined {
    let n = this.#length;
    if (n && this.#line[n - 1] === CR) n--;
    this.#length = 0;
    this.#headerBytes += n + 2;
    if (this.#headerBytes > HTTP_LIMITS.headers) return httpError(431, "headers-too-large", `the header section is larger than ${HTTP_LIMITS.headers} bytes`);
    const line = this.#line.subarray(0, n);
    // Control characters (other than a tab in a header value) and bytes above ASCII are refused in the head.
    for (const b of line) if ((b < 0x20 && b !== 9) || b >= 0x7f) return httpError(400, "bad-request", "a control character or non-ASCII byte in the request head");
    const text = String.fromCharCode(...line);
    if (!this.#request) return this.#requestLine(text);
    if (n === 0) return this.#headersDone();
    return this.#header(text);
  }

  #requestLine(text: string): HttpError | undefined {
    if (text === "" && this.#headerBytes <= 4) return undefined; // a stray CRLF before a request may be ignored (RFC 9112 2.2)
    const m = REQUEST_LINE.exec(text);
    if (!m) return httpError(400, "bad-request", "malformed request line (expected METHOD /path HTTP/1.1)");
    const q = m[2].indexOf("?");
    this.#request = { method: m[1], path: q < 0 ? m[2] : m[2].slice(0, q), authorization: undefined, contentType: undefined, body: undefined };
    return undefined;
  }

  #header(text: string): HttpError | undefined {
    const request = this.#request!;
    if (text.charCodeAt(0) === 32 || text.charCodeAt(0) === 9) return httpError(400, "bad-request", "folded header lines are not accepted");
    const m = HEADER.exec(text);
    if (!m) return httpError(400, "bad-request", "malformed header line (expected Name: value)");
    const name = m[1].toLowerCase();
    const value = m[2];
    if (name === "authorization") request.authorization = value;
    else if (name === "content-type") request.contentType = value.toLowerCase();
    else if (name === "transfer-encoding") this.#chunked = true;
    else if (name === "content-length") {
      if (!/^\d{1,10}$/.test(value) || (this.#contentLength >= 0 && this.#contentLength !== Number(value))) return httpError(400, "bad-request", "invalid Content-Length");
      this.#contentLength = Number(value);
    }
    return undefined;
  }

  #headersDone(): HttpRequest | HttpError | undefined {
    const request = this.#request!;
    const length = this.#contentLength;
    if (this.#chunked) return httpError(411, "length-required", "chunked bodies are not accepted: send Content-Length");
    if (length > HTTP_LIMITS.body) return httpError(413, "too-large", `a body of ${length} bytes is larger than ${HTTP_LIMITS.body}`);
    if (length < 0 && request.method === "POST") return httpError(411, "length-required", "a POST needs Content-Length");
    if (length <= 0) return request;
    request.body = new Uint8Array(length);
    return undefined;
  }
}

/** Status texts the setup server answers with. Preloaded, frozen. */
const REASONS: Readonly<Record<number, string>> = Object.freeze({
  200: "OK",
  400: "Bad Request",
  401: "Unauthorized",
  404: "Not Found",
  405: "Method Not Allowed",
  411: "Length Required",
  413: "Content Too Large",
  414: "URI Too Long",
  415: "Unsupported Media Type",
  429: "Too Many Requests",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  503: "Service Unavailable",
});

/**
 * The response head. The page's inline script and style are its own; nothing
 * else may load, and it may not be framed (clickjacking) or cached.
 */
export function responseHead(status: number, contentType: string, length: number): string {
  return (
    `HTTP/1.1 ${status} ${REASONS[status] ?? "Error"}\r\n` +
    `Content-Type: ${contentType}\r\nContent-Length: ${length}\r\n` +
    "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n" +
    "Content-Security-Policy: default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:; frame-ancestors 'none'\r\n" +
    "Connection: close\r\n\r\n"
  );
}
