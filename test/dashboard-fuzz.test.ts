/*
 * The dashboard runs inside the simulation's process, so nothing a client sends
 * may stop the simulation. While `sensor-node sim --nodes 3 --dashboard` runs
 * (a fleet, on mosquitto), this test first walks the node list with the
 * keyboard in headless Chromium, then throws at the server, from a seeded
 * generator: raw HTTP requests (any method, `//`, `%`, very long targets, bad
 * and oversized headers, bodies, garbage bytes), WebSocket handshakes and raw
 * frames written over a net socket (unmasked, reserved bits, unknown opcodes,
 * oversized by header and by payload, fragments out of order, invalid UTF-8,
 * control frames too long or fragmented, random bytes, streams cut mid-frame),
 * and MQTT payloads no node would send. Each WebSocket protocol error must be
 * answered with the close code RFC 6455 gives it (written here), the opening
 * handshake's accept key must be RFC 6455's (Node crypto here); no request may
 * get a 5xx. Afterwards the simulation still runs (new telemetry at the
 * subscriber), the open page still updates, a node id made of markup shows as
 * text, and a Ctrl-C still ends in "run finished".
 * DASHBOARD_FUZZ_SEED=n replays another sequence.
 */
import test, { type ExecutionContext } from "ava";
import * as net from "node:net";
import { createHash } from "node:crypto";
import { CHROMIUM, haveChromium } from "./helpers/chromium.js";
import { checkShownValues, UI_CEILING_MS, withDashboardRun, type DashboardRun } from "./helpers/dashboard-run.js";
import { EVENT_CEILING_MS, until } from "./helpers/wait.js";

const have = haveChromium;
if (!have) process.stderr.write(`dashboard-fuzz.test: skipped: ${CHROMIUM} is not installed (Debian: apt-get install chromium)\n`);
const SEED = Number(process.env.DASHBOARD_FUZZ_SEED ?? 18);
const HTTP_CASES = 300;
const WS_ROUNDS = 6;

/** RFC 6455 7.4.1 close codes. */
const PROTOCOL_ERROR = 1002;
const UNSUPPORTED_DATA = 1003;
const INVALID_PAYLOAD = 1007;
const MESSAGE_TOO_BIG = 1009;
const NORMAL = 1000;
/** RFC 6455 1.3: the GUID of the opening handshake. */
const WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/** mulberry32: a small seeded generator, so a failure can be replayed. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[int(0, xs.length - 1)];
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(0, 255)));
  return { next, int, pick, bytes, chance: (p: number) => next() < p };
}
type Rng = ReturnType<typeof rng>;

/** Writes `data` (in random slices), half-closes, and collects everything until the server closes. */
function exchange(port: number, data: Buffer, r: Rng, end = true): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, "127.0.0.1");
    const got: Buffer[] = [];
    const timer = setTimeout(() => reject(new Error(`the server neither answered nor closed within ${EVENT_CEILING_MS} ms: ${JSON.stringify(data.subarray(0, 120).toString("latin1"))}`)), EVENT_CEILING_MS);
    s.on("data", (d) => got.push(d));
    s.on("error", () => {}); // a reset after the server refused is an answer too
    s.on("close", () => {
      clearTimeout(timer);
      resolve(Buffer.concat(got));
    });
    s.on("connect", () => {
      for (let at = 0; at < data.length; ) {
        const n = Math.min(data.length - at, r.int(1, 4096));
        s.write(data.subarray(at, at + n));
        at += n;
      }
      if (end) s.end();
    });
  });
}

function httpCase(r: Rng, port: number): { label: string; bytes: Buffer } {
  const host = `127.0.0.1:${port}`;
  if (r.chance(0.08)) return { label: "random bytes", bytes: r.bytes(r.int(1, 3000)) };
  if (r.chance(0.03)) return { label: "HTTP/2 preface", bytes: Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") };
  const method = r.pick(["GET", "GET", "GET", "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE", "CONNECT", "PROPFIND", "FOO", "get", ""]);
  const target = r.pick([
    "//", "%", "/%", "/%zz", "/%00", "//evil.example/x", "/..%2f..%2fetc%2fpasswd", "/../../etc/passwd", "/?node=%", "/api/node?id=%E0%A4%A",
    `/api/node?id=${encodeURIComponent(r.bytes(8).toString("latin1"))}`, "/api/node", "/api/nodes", "/api/nodes?x=%%", "/ws", "/ws?x", "/app.js?%",
    "/", "/chart.js", "/favicon.ico", "/style.css", "/api/node?id=node-1", "*", "http://127.0.0.1/", "/" + "a".repeat(r.int(100, 70_000)), "/?" + "q=%".repeat(r.int(10, 3000)),
    "/" + r.bytes(r.int(1, 40)).toString("latin1").replace(/[\r\n ]/g, "x"), "/\u00ff\u00fe", "/ index",
  ]);
  // Four in ten well-formed, so the routes behind the parser get their share.
  if (r.chance(0.4)) return { label: `${method} ${target.slice(0, 60)} (well-formed)`, bytes: Buffer.from(`${method} ${target} HTTP/1.1\r\nHost: ${host}\r\n\r\n`, "latin1") };
  const headers: string[] = [];
  const hostHeader = r.pick([`Host: ${host}`, `Host: ${host}`, `Host: localhost:${port}`, "Host: evil.example", "", `Host: ${host}\r\nHost: other`]);
  if (hostHeader) headers.push(hostHeader);
  let body = Buffer.alloc(0);
  for (let i = r.int(0, 4); i > 0; i--) {
    headers.push(
      r.pick([
        `Content-Length: ${r.pick(["-1", "0", "10", "99999999999999999999", "abc"])}`,
        "Transfer-Encoding: chunked",
        "Connection: Upgrade\r\nUpgrade: websocket",
        "Connection: keep-alive",
        `X-Long: ${"x".repeat(r.int(1000, 40_000))}`,
        "Bad Header",
        "\u0000: x",
        "Origin: http://evil.example",
        "Expect: 100-continue",
        `Sec-WebSocket-Key: ${r.bytes(16).toString("base64")}\r\nSec-WebSocket-Version: ${r.pick(["13", "8", "x"])}`,
        `${r.bytes(6).toString("hex")}: ${r.bytes(10).toString("latin1").replace(/[\r\n]/g, "")}`,
      ]),
    );
  }
  if (r.chance(0.3)) body = r.bytes(r.int(1, 10_000));
  const version = r.pick(["HTTP/1.1", "HTTP/1.1", "HTTP/1.0", "HTTP/9.9", ""]);
  const head = `${method} ${target}${version ? " " + version : ""}\r\n${headers.map((h) => h + "\r\n").join("")}\r\n`;
  return { label: `${method} ${target.slice(0, 60)}${target.length > 60 ? "..." : ""}`, bytes: Buffer.concat([Buffer.from(head, "latin1"), body]) };
}

async function fuzzHttp(t: ExecutionContext, port: number, r: Rng): Promise<void> {
  const statuses = new Map<string, number>();
  for (let i = 0; i < HTTP_CASES; i++) {
    const c = httpCase(r, port);
    const reply = (await exchange(port, c.bytes, r)).toString("latin1");
    const status = /^HTTP\/1\.[01] (\d{3}) /.exec(reply)?.[1] ?? (reply === "" ? "closed" : "other");
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
    t.not(status, "other", `${c.label}: ${JSON.stringify(reply.slice(0, 80))}`);
    t.false(/^5/.test(status), `${c.label}: ${reply.slice(0, 200)}`);
  }
  t.log(`HTTP: ${HTTP_CASES} requests, answers ${JSON.stringify(Object.fromEntries(statuses))}`);
  // The issue's case: `//` used to throw out of new URL() and kill the process.
  const slashes = (await exchange(port, Buffer.from(`GET // HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`), r)).toString();
  t.regex(slashes, /^HTTP\/1\.1 404 /);
  const percent = (await exchange(port, Buffer.from(`GET % HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`), r)).toString();
  t.regex(percent, /^HTTP\/1\.1 (400|404) /);
}

/** A client frame (masked unless told otherwise); `length` overrides the header's length (an oversized claim). */
function frame(opcode: number, payload: Buffer, o: { fin?: boolean; mask?: boolean; rsv?: number; length?: bigint } = {}): Buffer {
  const { fin = true, mask = true, rsv = 0 } = o;
  const n = o.length ?? BigInt(payload.length);
  const head = n < 126n ? Buffer.alloc(2) : n < 65536n ? Buffer.alloc(4) : Buffer.alloc(10);
  head[0] = (fin ? 0x80 : 0) | (rsv << 4) | opcode;
  if (n < 126n) head[1] = Number(n);
  else if (n < 65536n) {
    head[1] = 126;
    head.writeUInt16BE(Number(n), 2);
  } else {
    head[1] = 127;
    head.writeBigUInt64BE(n, 2);
  }
  if (!mask) return Buffer.concat([head, payload]);
  head[1] |= 0x80;
  const key = Buffer.from([0x12, 0x9a, 0x37, 0xc4]);
  return Buffer.concat([head, key, Buffer.from(payload.map((b, i) => b ^ key[i & 3]))]);
}
const text = (s: string, o = {}) => frame(1, Buffer.from(s), o);
const closeFrame = (code: number, reason: Buffer = Buffer.alloc(0)) => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(code);
  return frame(8, Buffer.concat([b, reason]));
};

/** Server frames (unmasked) after the 101 response. */
function serverFrames(b: Buffer): { opcode: number; payload: Buffer }[] {
  const out: { opcode: number; payload: Buffer }[] = [];
  let at = 0;
  while (at + 2 <= b.length) {
    let n = b[at + 1] & 0x7f;
    let h = 2;
    if (n === 126) (n = b.readUInt16BE(at + 2)), (h = 4);
    else if (n === 127) (n = Number(b.readBigUInt64BE(at + 2))), (h = 10);
    if (at + h + n > b.length) break;
    out.push({ opcode: b[at] & 0x0f, payload: b.subarray(at + h, at + h + n) });
    at += h + n;
  }
  return out;
}

interface WsResult {
  status: string;
  accept?: string;
  key: string;
  frames: { opcode: number; payload: Buffer }[];
}

/** An opening handshake (its headers changed by `headers`), then `frames` once it is answered; the result once the server closes. */
function wsSession(port: number, r: Rng, o: { headers?: (h: Record<string, string>) => void; path?: string; frames?: Buffer; cut?: boolean; withHandshake?: Buffer } = {}): Promise<WsResult> {
  const key = r.bytes(16).toString("base64");
  const h: Record<string, string> = { Host: `127.0.0.1:${port}`, Upgrade: "websocket", Connection: "Upgrade", "Sec-WebSocket-Key": key, "Sec-WebSocket-Version": "13", Origin: `http://127.0.0.1:${port}` };
  o.headers?.(h);
  const request = `GET ${o.path ?? "/ws"} HTTP/1.1\r\n${Object.entries(h).map(([k, v]) => `${k}: ${v}\r\n`).join("")}\r\n`;
  return new Promise((resolve, reject) => {
    const s = net.connect(port, "127.0.0.1");
    let got = Buffer.alloc(0);
    let sent = false;
    const timer = setTimeout(() => reject(new Error(`WebSocket session neither closed nor answered within ${EVENT_CEILING_MS} ms`)), EVENT_CEILING_MS);
    s.on("error", () => {});
    s.on("data", (d) => {
      got = Buffer.concat([got, d]);
      const end = got.indexOf("\r\n\r\n");
      if (sent || end < 0) return;
      sent = true;
      if (!/^HTTP\/1\.1 101 /.test(got.toString("latin1"))) return;
      const data = o.frames ?? Buffer.alloc(0);
      for (let at = 0; at < data.length; ) {
        const n = Math.min(data.length - at, r.int(1, 700)); // frames cut anywhere: the parser must join them
        s.write(data.subarray(at, at + n));
        at += n;
      }
      if (o.cut) s.destroy();
      else s.end();
    });
    s.on("close", () => {
      clearTimeout(timer);
      const end = got.indexOf("\r\n\r\n");
      const head = got.subarray(0, end < 0 ? got.length : end).toString("latin1");
      resolve({
        status: /^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? "closed",
        accept: /\r\nSec-WebSocket-Accept: (\S+)/i.exec(head)?.[1],
        key,
        frames: end < 0 ? [] : serverFrames(got.subarray(end + 4)),
      });
    });
    s.on("connect", () => s.write(Buffer.concat([Buffer.from(request), o.withHandshake ?? Buffer.alloc(0)])));
  });
}

const closeCode = (res: WsResult) => {
  const c = res.frames.find((f) => f.opcode === 8);
  return c && c.payload.length >= 2 ? c.payload.readUInt16BE(0) : undefined;
};

async function fuzzWebSocket(t: ExecutionContext, port: number, r: Rng): Promise<void> {
  // The handshake: accepted with RFC 6455's key, refused when it is not one.
  const ok = await wsSession(port, r, { frames: closeFrame(NORMAL) });
  t.is(ok.status, "101");
  t.is(ok.accept, createHash("sha1").update(ok.key + WS_GUID).digest("base64"));
  t.is(closeCode(ok), NORMAL);
  t.is((await wsSession(port, r, { headers: (h) => (h["Sec-WebSocket-Version"] = "8") })).status, "400");
  t.is((await wsSession(port, r, { headers: (h) => (h["Sec-WebSocket-Key"] = "short") })).status, "400");
  t.is((await wsSession(port, r, { headers: (h) => (h.Origin = "http://evil.example") })).status, "403");
  t.is((await wsSession(port, r, { headers: (h) => (h.Host = "evil.example") })).status, "403");
  t.is((await wsSession(port, r, { path: "/wsx" })).status, "404");

  const ids = ["node-1", "node-2", "<img src=x onerror=alert(1)>", "a/b", "#", "", "x".repeat(300), r.bytes(12).toString("latin1")];
  const chatter = () =>
    Buffer.concat(
      Array.from({ length: r.int(1, 8) }, () =>
        text(
          r.pick([
            JSON.stringify({ op: "select", node: r.pick(ids) }),
            JSON.stringify({ op: "capture" }),
            JSON.stringify({ op: r.pick(["select", "capture", "x", 1, null]), node: r.pick([1, null, [], {}]) }),
            "null", "[]", "{", "\u00e9\u6f22", r.bytes(r.int(0, 200)).toString("base64"),
          ]),
        ),
      ),
    );
  const u8 = (b: number[]) => Buffer.from(b);
  const cases: { name: string; frames: () => Buffer; code?: number; cut?: boolean }[] = [
    { name: "messages, then a close", frames: () => Buffer.concat([chatter(), closeFrame(NORMAL)]), code: NORMAL },
    { name: "a fragmented message, then a close", frames: () => Buffer.concat([text('{"op":', { fin: false }), frame(0, Buffer.from('"select","node":'), { fin: false }), frame(0, Buffer.from('"node-3"}')), closeFrame(NORMAL)]), code: NORMAL },
    { name: "a ping between fragments, then a close", frames: () => Buffer.concat([text("{", { fin: false }), frame(9, Buffer.from("p")), frame(0, Buffer.from("}")), closeFrame(NORMAL)]), code: NORMAL },
    { name: "an unmasked frame", frames: () => text("hello", { mask: false }), code: PROTOCOL_ERROR },
    { name: "reserved bits", frames: () => text("hello", { rsv: r.int(1, 7) }), code: PROTOCOL_ERROR },
    { name: "an unknown opcode", frames: () => frame(r.pick([3, 4, 5, 6, 7, 11, 12, 13, 14, 15]), r.bytes(r.int(0, 50))), code: PROTOCOL_ERROR },
    { name: "a continuation without a message", frames: () => frame(0, Buffer.from("x")), code: PROTOCOL_ERROR },
    { name: "a new message inside a fragmented one", frames: () => Buffer.concat([text("a", { fin: false }), text("b")]), code: PROTOCOL_ERROR },
    { name: "a fragmented ping", frames: () => frame(9, Buffer.from("p"), { fin: false }), code: PROTOCOL_ERROR },
    { name: "a ping over 125 bytes", frames: () => frame(9, r.bytes(126)), code: PROTOCOL_ERROR },
    { name: "a close frame of one byte", frames: () => frame(8, u8([3])), code: PROTOCOL_ERROR },
    { name: "a close code no peer may send (1005)", frames: () => closeFrame(1005), code: PROTOCOL_ERROR },
    { name: "a 2^40-byte frame announced", frames: () => frame(1, Buffer.alloc(0), { length: 2n ** 40n }), code: MESSAGE_TOO_BIG },
    { name: "a 2^63-1-byte frame announced", frames: () => frame(2, Buffer.alloc(0), { length: 2n ** 63n - 1n }), code: MESSAGE_TOO_BIG },
    { name: "a 300 KiB text frame", frames: () => text("x".repeat(300 * 1024)), code: MESSAGE_TOO_BIG },
    { name: "a message over the limit in small fragments", frames: () => Buffer.concat([text("[", { fin: false }), ...Array.from({ length: 40 }, () => frame(0, Buffer.alloc(200, 0x31), { fin: false }))]), code: MESSAGE_TOO_BIG },
    { name: "text that is not UTF-8", frames: () => frame(1, u8([0x7b, 0xc3, 0x28, 0xff, 0x7d])), code: INVALID_PAYLOAD },
    { name: "a close reason that is not UTF-8", frames: () => closeFrame(NORMAL, u8([0xff, 0xfe])), code: INVALID_PAYLOAD },
    { name: "a binary message", frames: () => frame(2, r.bytes(20)), code: UNSUPPORTED_DATA },
    { name: "random bytes", frames: () => r.bytes(r.int(1, 2000)) },
    { name: "a stream cut mid-frame", frames: () => text("x".repeat(1000)).subarray(0, r.int(1, 900)), cut: true },
    { name: "messages, then a cut", frames: () => chatter(), cut: true },
  ];
  let sessions = 0;
  for (let round = 0; round < WS_ROUNDS; round++) {
    for (const c of cases) {
      const res = await wsSession(port, r, { frames: c.frames(), cut: c.cut });
      sessions++;
      t.is(res.status, "101", c.name);
      if (c.code !== undefined) t.is(closeCode(res), c.code, `${c.name}: close frames ${JSON.stringify(res.frames.filter((f) => f.opcode === 8).map((f) => f.payload.toString("latin1")))}`);
    }
  }
  // Frames in the same packet as the handshake are read too: a selection answered with the node's snapshot.
  const early = await wsSession(port, r, { withHandshake: Buffer.concat([text(JSON.stringify({ op: "select", node: "node-1" })), closeFrame(NORMAL)]) });
  t.true(early.frames.some((f) => f.opcode === 1 && JSON.parse(f.payload.toString()).type === "node"), "the snapshot of node-1");
  t.is(closeCode(early), NORMAL);
  // A ping is answered with a pong carrying its payload (RFC 6455 5.5.2).
  const pong = await wsSession(port, r, { frames: Buffer.concat([frame(9, Buffer.from("are you there")), closeFrame(NORMAL)]) });
  t.deepEqual(pong.frames.filter((f) => f.opcode === 10).map((f) => f.payload.toString()), ["are you there"]);
  t.log(`WebSocket: ${sessions + 9} sessions`);
}

/** Messages on the dashboard's topics that no node would publish. */
async function fuzzMqtt(run: DashboardRun, r: Rng): Promise<string> {
  const markup = "<img src=x onerror=alert(1)>";
  const ids = [markup, "node-1", "fuzz-\u00e9", "x".repeat(200)];
  const payloads: (string | Buffer)[] = [
    "null", "[]", "1e999", "{", "\"text\"", Buffer.from([0xff, 0xfe, 0x00]), '{"vib":{"x":{"vRms":"NaN"}}}', '{"ts":"x","vib":[],"temp":{"c":null}}',
    '{"state":{"x":1},"faults":"none","outbox":[]}', JSON.stringify(Array.from({ length: 30_000 }, (_, i) => i)), '{"metric":5,"level":[]}', '{"metric":"x.vRms","level":"alarm","prev":"normal","limit":"7"}',
  ];
  const publish = (topic: string, payload: string | Buffer) => new Promise<void>((resolve) => run.subscriber.publish(topic, payload, { qos: 1 }, () => resolve()));
  for (let i = 0; i < 120; i++) {
    const id = r.pick(ids);
    const topic = r.pick([
      `sensors/${id}/telemetry`, `sensors/${id}/alarm`, `sensors/${id}/status`, `sensors/${id}/capture/${r.int(0, 3)}/meta`,
      `sensors/${id}/capture/${r.pick(["1", "abc", "-1", "1e9"])}/spectrum/${r.pick(["x", "q"])}/${r.pick(["0", "1", "999999", "-1"])}`, `sensors/${id}/capture`, `sensors/${id}`,
    ]);
    const payload = topic.endsWith("/meta")
      ? JSON.stringify({ v: 1, id: 1, n: r.pick([4096, 1e9, -1, 3.5, 2]), df: r.pick([0.78125, 0, -1]), odr: 3200, envelope: r.pick([undefined, { df: 0.39, chunks: 1e9 }, "x"]) })
      : topic.includes("/spectrum/")
        ? r.pick([JSON.stringify({ data: r.pick([[1, 2, 3], "x", Array(2000).fill(1), [null, "a"]]) }), "{}"])
        : r.pick(payloads);
    await publish(topic, payload);
  }
  // One well-formed message under the markup id: it must be listed as text.
  await publish(`sensors/${markup}/telemetry`, JSON.stringify({ v: 1, boot: 1, seq: 1, ts: 1767225600000, state: "normal", vib: { x: { vRms: 1 } }, faults: [] }));
  return markup;
}

(have ? test : test.skip)(`dashboard fuzz: keyboard across nodes, then random HTTP, WebSocket frames and MQTT payloads never stop the simulation (seed ${SEED})${have ? "" : ` (skipped: no ${CHROMIUM})`}`, async (t) => {
  t.log(`seed ${SEED} (DASHBOARD_FUZZ_SEED replays another)`);
  const r = rng(SEED);
  await withDashboardRun(t, { args: ["--nodes", "3"] }, async (run) => {
    const { page } = run;
    const port = Number(new URL(run.url).port);
    // Keyboard: the list takes focus; arrows, j/k, Home and End choose the node (list sorted node-1, node-2, node-3).
    await page.locator('#nodes li[data-node="node-3"]').waitFor({ timeout: UI_CEILING_MS });
    await page.locator('#nodes li[data-node="node-1"].sel').waitFor({ timeout: UI_CEILING_MS });
    await page.focus("#nodes");
    for (const [key, id] of [["ArrowDown", "node-2"], ["End", "node-3"], ["Home", "node-1"], ["j", "node-2"], ["ArrowDown", "node-3"], ["ArrowDown", "node-3"], ["k", "node-2"]]) {
      await page.keyboard.press(key);
      await page.locator(`#nodes li[data-node="${id}"].sel[aria-selected="true"]`).waitFor({ timeout: UI_CEILING_MS });
      await page.locator("#title", { hasText: new RegExp(`^${id}$`) }).waitFor({ timeout: UI_CEILING_MS });
      t.is(new URL(page.url()).searchParams.get("node"), id, `after ${key}`);
      t.is(await page.getAttribute("#nodes", "aria-activedescendant"), await page.getAttribute(`#nodes li[data-node="${id}"]`, "id"));
    }
    // node-2's data, as the subscriber saw it.
    await page.locator("#latest[data-seq]").waitFor({ state: "attached", timeout: UI_CEILING_MS });
    t.true((await checkShownValues(t, run, "node-2")) >= 3 * 7 + 1);
    await run.screenshot("fleet-node-2");

    const telemetry = () => run.seen.filter((m) => m.topic.endsWith("/telemetry") && /^sensors\/node-\d\//.test(m.topic)).length;
    const before = telemetry();
    await fuzzHttp(t, port, r);
    await fuzzWebSocket(t, port, r);
    const markup = await fuzzMqtt(run, r);

    // The simulation runs on: still alive, and the nodes keep publishing.
    t.is(run.sim.exitCode, null, "the simulation is still running");
    const after = telemetry();
    t.true(after > before, "telemetry during the fuzz");
    await until(() => telemetry() > after + 3, "telemetry after the fuzz");
    // The page opened before the fuzz still updates; the markup id is a list entry's text, not an element.
    const count = Number(await page.getAttribute("#points", "data-count"));
    await page.locator(`#points:not([data-count="${count}"])`).waitFor({ timeout: UI_CEILING_MS });
    await page.locator(`#nodes li[data-node="${markup}"]`).waitFor({ timeout: UI_CEILING_MS });
    t.is(await page.textContent(`#nodes li[data-node="${markup}"] span`), markup);
    t.is((await page.$$("#nodes img")).length, 0);
    // A fresh page works too.
    await page.reload();
    await page.locator('#conn[data-state="live"]').waitFor({ timeout: UI_CEILING_MS });
    await page.locator('#nodes li[data-node="node-2"].sel').waitFor({ timeout: UI_CEILING_MS });
    await run.screenshot("fleet-after-fuzz");
    t.deepEqual(run.problems, []);
    run.interrupt();
    await page.locator('#conn[data-state="finished"]').waitFor({ timeout: UI_CEILING_MS });
    await run.exited();
  });
});
