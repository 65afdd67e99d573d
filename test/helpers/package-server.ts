/*
 * An HTTP server on loopback for update tests that misbehaves in one of the
 * ways the node must survive (docs/ota.md, "Bad input"); a good package is
 * served by `ota push`'s own (tools/ota/image-server.ts), whose Range parsing
 * this shares. Every request is recorded (its Range) so a test can see resumes.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { parseRange } from "../../tools/ota/image-server.js";

export type Misbehaviour =
  /** Cuts the connection after `bytes` body bytes, `times` times (a dropped link: the node resumes). */
  | { kind: "drop"; bytes: number; times: number }
  | { kind: "html" }
  | { kind: "status"; status: number }
  | { kind: "redirect-loop" }
  /** Sends the head and the file up to byte `bytes`, then nothing (the connection stays open). */
  | { kind: "stall"; bytes: number }
  /** Announces the package's length but sends `extra` more bytes. */
  | { kind: "extra"; extra: number };

export interface PackageServer {
  url: string;
  /** The Range header of each request, in order ("" when none). */
  ranges: string[];
  /** Body bytes handed to sockets so far ("stall"). */
  readonly sent: number;
  close(): Promise<void>;
}

export async function servePackage(body: Uint8Array, behaviour: Misbehaviour, name = "pkg.snup"): Promise<PackageServer> {
  const ranges: string[] = [];
  const open = new Set<import("node:net").Socket>();
  let drops = 0;
  let sent = 0;
  const server = http.createServer((req, res) => {
    ranges.push(req.headers.range ?? "");
    const b = behaviour;
    if (b.kind === "html") {
      res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
      return res.end("<!doctype html><title>Login</title><p>Sign in to continue</p>");
    }
    if (b.kind === "status") return res.writeHead(b.status, { "Content-Length": "0" }).end();
    if (b.kind === "redirect-loop") return res.writeHead(302, { Location: req.url === "/a" ? "/b" : "/a", "Content-Length": "0" }).end();
    if (req.url !== `/${name}`) return res.writeHead(404, { "Content-Length": "0" }).end();
    const range = parseRange(req.headers.range, body.length);
    const start = typeof range === "object" ? range.start : 0;
    const part = body.subarray(start);
    const head: http.OutgoingHttpHeaders = { "Content-Type": "application/octet-stream", "Content-Length": String(part.length) };
    if (typeof range === "object") head["Content-Range"] = `bytes ${start}-${body.length - 1}/${body.length}`;
    res.writeHead(typeof range === "object" ? 206 : 200, head);
    if (b.kind === "drop" && drops < b.times) {
      drops++;
      res.write(part.subarray(0, b.bytes), () => res.socket?.destroy());
      return;
    }
    if (b.kind === "stall") {
      // Up to byte `bytes` of the file, whatever the range: every later attempt gets nothing.
      const some = part.subarray(0, Math.max(0, b.bytes - start));
      sent += some.length;
      return void res.write(some);
    }
    if (b.kind === "extra") {
      res.write(part);
      // Past the announced length, straight on the socket: what a broken server or a proxy would send.
      return void res.socket?.write(Buffer.alloc(b.extra, 0x55), () => res.socket?.end());
    }
    res.end(part);
  });
  server.on("connection", (s) => {
    open.add(s);
    s.on("close", () => open.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/${name}`,
    ranges,
    get sent() {
      return sent;
    },
    close: () =>
      new Promise((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
}
