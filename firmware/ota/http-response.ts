/*
 * An HTTP/1.1 response head, read as it streams in (RFC 9112), in bounded
 * memory: one line at a time into a fixed buffer, only the headers a ranged
 * download needs are kept. The body that follows the head in the same chunk is
 * handed back as a view, never copied.
 */

/** Bytes of one status or header line, and of the whole head. Preloaded, frozen. */
export const RESPONSE_LIMITS = Object.freeze({ line: 512, head: 4096 });

export interface ResponseHead {
  status: number;
  reason: string;
  /** Content-Length, when given and valid. */
  contentLength: number | undefined;
  /** Content-Range `bytes first-last/total` (a 206's). */
  range: { first: number; last: number; total: number } | undefined;
  location: string | undefined;
  /** The media type, lower case, without parameters. */
  contentType: string | undefined;
  chunked: boolean;
}

const STATUS_LINE = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/;
const HEADER = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*(.*?)[ \t]*$/;
const CONTENT_RANGE = /^bytes (\d{1,10})-(\d{1,10})\/(\d{1,10})$/;
const DIGITS = /^\d{1,10}$/;
const LF = 10;
const CR = 13;

export type HeadResult = { head: ResponseHead; body: Uint8Array } | { error: string } | undefined;

export class ResponseHeadReader {
  #line = new Uint8Array(RESPONSE_LIMITS.line);
  #length = 0;
  #headBytes = 0;
  #head: ResponseHead | undefined;
  #done = false;

  /** Feeds bytes; returns the head with the body bytes after it, an error, or undefined while more is needed. */
  push(bytes: Uint8Array): HeadResult {
    if (this.#done) return undefined;
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i];
      if (++this.#headBytes > RESPONSE_LIMITS.head) return this.#fail(`a response head longer than ${RESPONSE_LIMITS.head} bytes`);
      if (b !== LF) {
        if (this.#length === this.#line.length) return this.#fail(`a response line longer than ${RESPONSE_LIMITS.line} bytes`);
        this.#line[this.#length++] = b;
        continue;
      }
      const end = this.#length > 0 && this.#line[this.#length - 1] === CR ? this.#length - 1 : this.#length;
      let line = "";
      for (let k = 0; k < end; k++) line += String.fromCharCode(this.#line[k]);
      this.#length = 0;
      const error = this.#take(line);
      if (error) return this.#fail(error);
      if (this.#done) return { head: this.#head!, body: bytes.subarray(i + 1) };
    }
    return undefined;
  }

  /** One line: the status line, a header, or the blank line that ends the head. */
  #take(line: string): string | undefined {
    if (!this.#head) {
      const m = STATUS_LINE.exec(line);
      if (!m) return "not an HTTP/1.1 response";
      this.#head = { status: Number(m[1]), reason: m[2] ?? "", contentLength: undefined, range: undefined, location: undefined, contentType: undefined, chunked: false };
      return undefined;
    }
    if (line === "") {
      this.#done = true;
      return undefined;
    }
    const m = HEADER.exec(line);
    if (!m) return "a malformed response header";
    const head = this.#head;
    const value = m[2];
    switch (m[1].toLowerCase()) {
      case "content-length":
        if (!DIGITS.test(value)) return `a malformed Content-Length (${value.slice(0, 20)})`;
        head.contentLength = Number(value);
        break;
      case "content-range": {
        const r = CONTENT_RANGE.exec(value);
        head.range = r ? { first: Number(r[1]), last: Number(r[2]), total: Number(r[3]) } : undefined;
        break;
      }
      case "location":
        head.location = value;
        break;
      case "content-type":
        head.contentType = value.split(";")[0].trim().toLowerCase();
        break;
      case "transfer-encoding":
        head.chunked = value.toLowerCase().includes("chunked");
        break;
    }
    return undefined;
  }

  #fail(error: string): HeadResult {
    this.#done = true;
    return { error };
  }
}
