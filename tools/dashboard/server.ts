/*
 * The live dashboard (docs/dashboard.md): a small HTTP server on 127.0.0.1 that
 * subscribes to the broker with mqtt.js, keeps a bounded history per node
 * (store.ts) and pushes it to the page over one WebSocket (websocket.ts). The
 * page (static/) is plain DOM and canvas, no library. Selecting a node asks it
 * for a capture (cmd/capture) so the spectrum shown is the node's own FFT.
 *
 * It runs inside the simulation's process: nothing a client sends (any path,
 * method, header or frame) may throw out of a handler, and every buffer is
 * bounded; test/dashboard.test.ts fuzzes it while a simulation runs.
 */
import * as http from "node:http";
import * as fs from "node:fs";
import type { Duplex } from "node:stream";
import { fileURLToPath } from "node:url";
import * as mqtt from "mqtt";
import { Store, type StoreEvent } from "./store.js";
import { CLOSE, endSocket, handshakeProblem, WebSocketConnection } from "./websocket.js";

export interface DashboardOptions {
  broker: string;
  prefix?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Points of trend kept per node (default 600). */
  history?: number;
  /** The configuration document the run gave a node, for the levels, zones and speed the page draws (setup.ts). */
  nodeConfig?: (nodeId: string) => Record<string, unknown> | undefined;
}

export interface RunningDashboard {
  url: string;
  port: number;
  /** The run is over: pages show "run finished" (and stop waiting for data) while the server still answers. */
  finish(note?: string): void;
  /** finish(), then close every connection and stop. */
  close(): Promise<void>;
}

const STATIC_DIR = fileURLToPath(new URL("../../../tools/dashboard/static/", import.meta.url));
const FILES: Record<string, { file: string; type: string }> = {
  "/": { file: "index.html", type: "text/html; charset=utf-8" },
  "/app.js": { file: "app.js", type: "text/javascript; charset=utf-8" },
  "/chart.js": { file: "chart.js", type: "text/javascript; charset=utf-8" },
  "/style.css": { file: "style.css", type: "text/css; charset=utf-8" },
  "/favicon.svg": { file: "favicon.svg", type: "image/svg+xml" },
  // Browsers ask for it whatever the page links: the same icon, never a 404.
  "/favicon.ico": { file: "favicon.svg", type: "image/svg+xml" },
};
/** The page's own files and its WebSocket only: no inline script, nothing from elsewhere. */
const SECURITY_HEADERS = {
  "content-security-policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};
/** Names this machine: the page is served on loopback, and a request that names another host is a rebinding attempt. */
const LOCAL_HOST = /^(127\.0\.0\.1|localhost|\[::1\])(:\d{1,5})?$/i;
/** Largest message a page sends (a node selection or a capture request). */
const MAX_CLIENT_MESSAGE = 4096;
/** Bytes that may wait for a page that does not read (a node snapshot with its captures is about a megabyte). */
const MAX_CLIENT_BUFFER = 16 * 1024 * 1024;
/** Node ids a topic level can carry (no wildcards, no separator). */
const NODE_ID = /^[^/+#\u0000]{1,256}$/;
/** A capture request waits this long (ms) for its capture before another one is sent. */
const CAPTURE_WAIT_MS = 30_000;
/** close(): how long (ms) pages may take to answer the close frame before their sockets are cut. */
const CLOSE_WAIT_MS = 1000;
/** Nodes listed on the page. */
const LIST_LIMIT = 500;

interface Client {
  ws: WebSocketConnection;
  node?: string;
}

export async function startDashboard(o: DashboardOptions): Promise<RunningDashboard> {
  const prefix = o.prefix ?? "sensors";
  const clients = new Set<Client>();
  let finished: string | undefined;
  let brokerUp = false;
  const captureAsked = new Map<string, number>();

  const send = (c: Client, message: unknown) => c.ws.send(JSON.stringify(message));
  const broadcast = (message: unknown, node?: string) => {
    const text = JSON.stringify(message);
    for (const c of clients) if (node === undefined || c.node === node) c.ws.send(text);
  };
  const store = new Store({ prefix, history: o.history ?? 600, nodeConfig: o.nodeConfig }, (e: StoreEvent) => {
    if (e.type === "capture") captureAsked.delete(e.node);
    broadcast(e, e.node);
  });

  const client = mqtt.connect(o.broker, { clientId: `dashboard-${process.pid}-${Math.floor(Math.random() * 1e9)}`, reconnectPeriod: 1000 });
  const brokerState = (up: boolean) => {
    if (up === brokerUp) return;
    brokerUp = up;
    broadcast({ type: "broker", connected: up });
  };
  client.on("error", () => {});
  client.on("connect", () => {
    brokerState(true);
    client.subscribe(store.topics, { qos: 0 });
  });
  client.on("close", () => brokerState(false));
  client.on("message", (topic, payload) => {
    try {
      store.message(topic, payload, Date.now());
    } catch {
      store.ignored++; // a store bug must cost one message, never the simulation
    }
  });

  // The node list on the left, once a second.
  const summary = setInterval(() => {
    if (clients.size) broadcast({ type: "nodes", ...store.summary(LIST_LIMIT) });
  }, 1000);

  function capture(c: Client): void {
    const id = c.node;
    if (id === undefined || !store.nodes.has(id) || finished !== undefined) return;
    const asked = captureAsked.get(id);
    if (asked !== undefined && Date.now() - asked < CAPTURE_WAIT_MS) {
      send(c, { type: "capture-requested", node: id });
      return;
    }
    captureAsked.set(id, Date.now());
    client.publish(`${prefix}/${id}/cmd/capture`, "", { qos: 1 }, (err) => {
      if (err) captureAsked.delete(id);
      if (c.ws.open) send(c, { type: "capture-requested", node: id, error: err ? err.message : undefined });
    });
  }

  /** A page's message: `{"op":"select","node":ID}` or `{"op":"capture"}`; anything else is ignored. */
  function onClientText(c: Client, text: string): void {
    let m: unknown;
    try {
      m = JSON.parse(text);
    } catch {
      return;
    }
    if (typeof m !== "object" || m === null) return;
    const { op, node } = m as { op?: unknown; node?: unknown };
    if (op === "select" && typeof node === "string" && NODE_ID.test(node)) {
      c.node = node;
      const n = store.nodes.get(node);
      send(c, { type: "node", node, snapshot: n ? store.snapshot(n) : undefined });
    } else if (op === "capture") {
      capture(c);
    }
  }

  function onUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on("error", () => socket.destroy());
    const refuse = (status: string, why: string) => endSocket(socket, `HTTP/1.1 ${status}\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\n${why}\n`);
    const { pathname } = splitTarget(req.url);
    if (pathname !== "/ws") return refuse("404 Not Found", "not found");
    const origin = req.headers.origin;
    if (!LOCAL_HOST.test(req.headers.host ?? "") || (origin !== undefined && !LOCAL_HOST.test(origin.replace(/^http:\/\//i, "")))) return refuse("403 Forbidden", "the dashboard answers pages of this machine only");
    const problem = handshakeProblem(req);
    if (problem) return refuse("400 Bad Request", problem);
    const c: Client = {
      ws: new WebSocketConnection(req, socket, head, {
        maxMessage: MAX_CLIENT_MESSAGE,
        maxBuffered: MAX_CLIENT_BUFFER,
        onText: (text) => onClientText(c, text),
        onClose: () => clients.delete(c),
      }),
    };
    clients.add(c);
    send(c, { type: "welcome", prefix, finished, broker: brokerUp, ...store.summary(LIST_LIMIT) });
  }

  function onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const { pathname, params } = splitTarget(req.url);
    const reply = (status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}) => {
      res.writeHead(status, { "content-type": type, "cache-control": "no-cache", ...SECURITY_HEADERS, ...extra });
      res.end(req.method === "HEAD" ? undefined : body);
    };
    const text = (status: number, body: string, extra?: Record<string, string>) => reply(status, "text/plain; charset=utf-8", body + "\n", extra);
    if (!LOCAL_HOST.test(req.headers.host ?? "")) return text(403, "the dashboard answers requests for this machine only (Host 127.0.0.1 or localhost)");
    const file = FILES[pathname];
    const api = pathname === "/api/nodes" || pathname === "/api/node";
    if (!file && !api) return text(pathname === "/ws" ? 426 : 404, pathname === "/ws" ? "a WebSocket endpoint" : "not found");
    if (req.method !== "GET" && req.method !== "HEAD") return text(405, "GET or HEAD", { allow: "GET, HEAD" });
    if (file) {
      fs.readFile(STATIC_DIR + file.file, (err, data) => {
        if (res.destroyed) return;
        if (err) text(500, `cannot read ${file.file}`);
        else reply(200, file.type, data);
      });
      return;
    }
    const json = (status: number, body: unknown) => reply(status, "application/json", JSON.stringify(body));
    if (pathname === "/api/nodes") return json(200, { finished, ...store.summary(Number.MAX_SAFE_INTEGER) });
    const n = store.nodes.get(params.get("id") ?? "");
    if (!n) return json(404, { error: "no node with that id (?id=...)" });
    json(200, { finished, ...store.snapshot(n) });
  }

  // Every socket, upgraded ones included (the server forgets those): close() cuts what a peer leaves open.
  const sockets = new Set<Duplex>();
  const server = http.createServer((req, res) => {
    try {
      onRequest(req, res);
    } catch {
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    }
  });
  server.on("connection", (socket: Duplex) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  server.on("upgrade", (req, socket, head) => {
    try {
      onUpgrade(req, socket, head);
    } catch {
      socket.destroy();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port ?? 0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  const finish = (note = "run finished") => {
    if (finished !== undefined) return;
    finished = note;
    broadcast({ type: "finished", note });
  };
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    finish,
    async close() {
      finish();
      clearInterval(summary);
      for (const c of clients) c.ws.close(CLOSE.goingAway, finished);
      clients.clear();
      server.closeAllConnections();
      const closed = new Promise<void>((r) => server.close(() => r()));
      // The close frames get a moment to reach the pages; a peer that does not close is cut.
      const cut = setTimeout(() => sockets.forEach((s) => s.destroy()), CLOSE_WAIT_MS);
      await closed;
      clearTimeout(cut);
      await client.endAsync(true);
    },
  };
}

/** The path and query of a request target, whatever it holds (`//`, `%`, no slash): never throws, unlike `new URL`. */
function splitTarget(target: string | undefined): { pathname: string; params: URLSearchParams } {
  const t = target ?? "/";
  const q = t.indexOf("?");
  return { pathname: q < 0 ? t : t.slice(0, q), params: new URLSearchParams(q < 0 ? "" : t.slice(q + 1)) };
}
