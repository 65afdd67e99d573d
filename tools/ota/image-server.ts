/*
 * The HTTP server `ota push` hands the nodes (docs/ota.md, "Rollout"): the package at /<its file name>, whole (200) or by byte range
 * (206), so a node resumes from its offset after a dropped connection. It logs
 * nothing; it counts requests and bytes for the summary.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface ImageServer {
  /** Where the nodes download the package. */
  readonly url: string;
  /** GET requests answered with the package or a range of it, and the bytes of those answers. */
  readonly served: { requests: number; bytes: number };
  close(): Promise<void>;
}

export type ByteRange = { start: number; end: number };

/**
 * The one range of a `Range` header, against `total` bytes (RFC 9110, 14.1):
 * `bytes=a-`, `bytes=a-b` (b past the end is cut to the end), `bytes=-n` (the
 * last n). "unsatisfiable" when it starts at or after the end (416); undefined
 * when the header is to be ignored (no header, another unit, several ranges,
 * a malformed one): the whole file, 200.
 */
export function parseRange(header: string | undefined, total: number): ByteRange | "unsatisfiable" | undefined {
  const m = header === undefined ? null : /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === "" && m[2] === "")) return undefined;
  if (m[1] === "") {
    const suffix = Number(m[2]);
    if (suffix === 0 || total === 0) return "unsatisfiable";
    return { start: Math.max(0, total - suffix), end: total - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === "" ? Infinity : Number(m[2]);
  if (end < start) return undefined;
  if (start >= total) return "unsatisfiable";
  return { start, end: Math.min(end, total - 1) };
}

/** A host as it is written in a URL (IPv6 in brackets). */
export function urlHost(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

/** Serves `bytes` at `/<name>` on host:port (port 0: a free one). Rejects with the listen error (EADDRINUSE...). */
export async function serveImage(bytes: Uint8Array, name: string, listen: { host: string; port: number }): Promise<ImageServer> {
  const pathname = "/" + encodeURIComponent(name);
  const served = { requests: 0, bytes: 0 };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { Allow: "GET, HEAD", "Content-Length": 0 }).end();
      return;
    }
    if (url.pathname !== pathname) {
      res.writeHead(404, { "Content-Type": "text/plain", "Content-Length": 10 }).end(req.method === "HEAD" ? undefined : "not found\n");
      return;
    }
    const total = bytes.length;
    const range = parseRange(req.headers.range, total);
    const common = { "Content-Type": "application/octet-stream", "Accept-Ranges": "bytes", "Cache-Control": "no-store" };
    if (range === "unsatisfiable") {
      res.writeHead(416, { ...common, "Content-Range": `bytes */${total}`, "Content-Length": 0 }).end();
      return;
    }
    const { start, end } = range ?? { start: 0, end: total - 1 };
    const body = bytes.subarray(start, end + 1);
    const headers = range ? { ...common, "Content-Range": `bytes ${start}-${end}/${total}`, "Content-Length": body.length } : { ...common, "Content-Length": total };
    res.writeHead(range ? 206 : 200, headers);
    if (req.method === "HEAD") {
      res.end();
      return;
    }
    served.requests++;
    served.bytes += body.length;
    res.end(body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(listen.port, listen.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${urlHost(listen.host)}:${port}${pathname}`,
    served,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // A node's keep-alive connection would hold the close open.
        server.closeAllConnections();
      }),
  };
}
