/*
 * The live dashboard (docs/dashboard.md): a small HTTP server on 127.0.0.1 that
 * subscribes to the broker with mqtt.js, keeps a short history per node and
 * pushes it to the page over Server-Sent Events. The page (static/) draws with
 * uPlot, served from node_modules (no CDN). Selecting a node asks it for a
 * capture (cmd/capture) so the spectrum shown is the node's real FFT.
 */
import * as http from "node:http";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import * as mqtt from "mqtt";

export interface DashboardOptions {
  broker: string;
  prefix?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Points of trend kept per node (default 600). */
  history?: number;
}

export interface RunningDashboard {
  url: string;
  port: number;
  close(): Promise<void>;
}

interface Point {
  t: number;
  x?: number;
  y?: number;
  z?: number;
  temp?: number;
  state?: string;
}

interface NodeState {
  id: string;
  points: Point[];
  alarms: Record<string, unknown>[];
  status?: Record<string, unknown>;
  state?: string;
  spectrum?: { id: number; t?: number; df: number; n: number; odr: number; x: number[]; y: number[]; z: number[]; envelope?: EnvelopeCapture };
  pending?: { id: number; t?: number; df: number; n: number; odr: number; chunks: number; envelope?: { df: number; chunks: number; speed?: number; defects?: Record<string, number> }; got: Map<string, number[]> };
  fDom?: { x?: number; y?: number; z?: number };
}

/** A capture's envelope spectra (a node with bearing diagnostics) and its bearing's defect frequencies at the window's speed. */
interface EnvelopeCapture {
  df: number;
  speed?: number;
  defects?: Record<string, number>;
  x: number[];
  y: number[];
  z: number[];
}

const STATIC_DIR = fileURLToPath(new URL("../../../tools/dashboard/static/", import.meta.url));
const require = createRequire(import.meta.url);
const FILES: Record<string, { path: () => string; type: string }> = {
  "/": { path: () => STATIC_DIR + "index.html", type: "text/html; charset=utf-8" },
  "/app.js": { path: () => STATIC_DIR + "app.js", type: "text/javascript; charset=utf-8" },
  "/style.css": { path: () => STATIC_DIR + "style.css", type: "text/css; charset=utf-8" },
  "/uplot.js": { path: () => require.resolve("uplot/dist/uPlot.iife.min.js"), type: "text/javascript; charset=utf-8" },
  "/uplot.css": { path: () => require.resolve("uplot/dist/uPlot.min.css"), type: "text/css; charset=utf-8" },
};

export async function startDashboard(o: DashboardOptions): Promise<RunningDashboard> {
  const prefix = o.prefix ?? "sensors";
  const history = o.history ?? 600;
  const nodes = new Map<string, NodeState>();
  const clients = new Set<{ res: http.ServerResponse; node?: string }>();
  const node = (id: string) => {
    let n = nodes.get(id);
    if (!n) nodes.set(id, (n = { id, points: [], alarms: [] }));
    return n;
  };
  const send = (node: string | undefined, event: string, data: unknown) => {
    const line = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const c of clients) if (node === undefined || c.node === node) c.res.write(line);
  };

  const client = mqtt.connect(o.broker, { clientId: `dashboard-${process.pid}-${Math.floor(Math.random() * 1e9)}`, reconnectPeriod: 1000 });
  client.on("error", () => {});
  client.on("connect", () => client.subscribe([`${prefix}/+/telemetry`, `${prefix}/+/alarm`, `${prefix}/+/status`, `${prefix}/+/capture/#`], { qos: 0 }));
  client.on("message", (topic, payload) => {
    const parts = topic.split("/");
    if (parts.length < 3 || parts[0] !== prefix) return;
    let doc: any;
    try {
      doc = JSON.parse(payload.toString("utf8"));
    } catch {
      return;
    }
    const n = node(parts[1]);
    const kind = parts[2];
    if (kind === "telemetry") {
      const p: Point = { t: typeof doc.ts === "number" ? doc.ts : Date.now(), x: doc.vib?.x?.vRms, y: doc.vib?.y?.vRms, z: doc.vib?.z?.vRms, temp: doc.temp?.c, state: doc.state };
      n.points.push(p);
      if (n.points.length > history) n.points.splice(0, n.points.length - history);
      n.state = doc.state;
      n.fDom = { x: doc.vib?.x?.fDom, y: doc.vib?.y?.fDom, z: doc.vib?.z?.fDom };
      send(n.id, "telemetry", { node: n.id, point: p, fDom: n.fDom });
    } else if (kind === "alarm") {
      n.alarms.push(doc);
      if (n.alarms.length > 200) n.alarms.shift();
      send(n.id, "alarm", { node: n.id, alarm: doc });
    } else if (kind === "status") {
      n.status = doc;
      send(n.id, "status", { node: n.id, status: doc });
    } else if (kind === "capture") {
      onCapture(n, parts.slice(3), doc);
    }
  });

  function onCapture(n: NodeState, rest: string[], doc: any): void {
    const [id, part, axis, k] = rest;
    if (part === "meta") {
      const env = doc.envelope;
      n.pending = { id: Number(id), t: doc.ts, df: doc.df, n: doc.n, odr: doc.odr, chunks: doc.spectrumChunks ?? 1, envelope: env ? { df: env.df, chunks: env.chunks, speed: env.speed, defects: env.defects } : undefined, got: new Map() };
      return;
    }
    const p = n.pending;
    if ((part !== "spectrum" && part !== "envelope") || !p || p.id !== Number(id)) return;
    p.got.set(`${part}/${axis}/${k}`, doc.data);
    if (p.got.size < (p.chunks + (p.envelope?.chunks ?? 0)) * 3) return;
    const join = (kind: string, a: string, chunks: number) => Array.from({ length: chunks }, (_, i) => p.got.get(`${kind}/${a}/${i}`) ?? []).flat();
    const spectrum = (a: string) => join("spectrum", a, p.chunks);
    const e = p.envelope;
    const envelope = e ? { df: e.df, speed: e.speed, defects: e.defects, x: join("envelope", "x", e.chunks), y: join("envelope", "y", e.chunks), z: join("envelope", "z", e.chunks) } : undefined;
    n.spectrum = { id: p.id, t: p.t, df: p.df, n: p.n, odr: p.odr, x: spectrum("x"), y: spectrum("y"), z: spectrum("z"), envelope };
    n.pending = undefined;
    send(n.id, "spectrum", { node: n.id, spectrum: n.spectrum });
  }

  // A summary of every node once a second: the list on the left.
  const summary = setInterval(() => {
    if (!clients.size) return;
    const list = [...nodes.values()].map((n) => {
      const last = n.points[n.points.length - 1];
      return { id: n.id, state: n.state, online: n.status?.state, x: last?.x, temp: last?.temp, alarms: n.alarms.length };
    });
    send(undefined, "nodes", list.sort((a, b) => a.id.localeCompare(b.id, "en", { numeric: true })));
  }, 1000);

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const file = FILES[url.pathname];
    if (file && req.method === "GET") {
      fs.readFile(file.path(), (err, data) => {
        if (err) {
          res.writeHead(500).end(String(err.message));
          return;
        }
        res.writeHead(200, { "content-type": file.type, "cache-control": "no-cache" }).end(data);
      });
      return;
    }
    if (url.pathname === "/events" && req.method === "GET") {
      const id = url.searchParams.get("node") ?? undefined;
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
      const c = { res, node: id };
      clients.add(c);
      req.on("close", () => clients.delete(c));
      const n = id ? nodes.get(id) : undefined;
      res.write(`event: hello\ndata: ${JSON.stringify({ prefix, node: id, snapshot: n ? { points: n.points, alarms: n.alarms, status: n.status, spectrum: n.spectrum, fDom: n.fDom } : undefined })}\n\n`);
      return;
    }
    if (url.pathname === "/api/capture" && req.method === "POST") {
      const id = url.searchParams.get("node");
      if (!id || !/^[^/+#]+$/.test(id)) {
        res.writeHead(400).end("node?");
        return;
      }
      client.publish(`${prefix}/${id}/cmd/capture`, "", { qos: 1 }, (err) => res.writeHead(err ? 502 : 202).end(err ? String(err.message) : "requested"));
      return;
    }
    res.writeHead(404).end("not found");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port ?? 0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    async close() {
      clearInterval(summary);
      for (const c of clients) c.res.end();
      clients.clear();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await client.endAsync(true);
    },
  };
}
