/*
 * Provisioning inside XS (device first): the HTTP reader, the form checks (with
 * openssl-made certificates and keys) and the setup server run in the real XS
 * engine and agree with the Node run; what the idle setup server holds in the
 * XS heap, and that serving the page and the API does not grow it, are logged
 * and checked against bench/budgets.json; so is the whole node in setup mode
 * (unprovisioned, sampling, serving its page) against the 96 KiB goal.
 */
import "@endo/init"; // xsnap needs a locked-down process: XS tests live in their own files
import test from "ava";
import { withXsSession, xsCase } from "../tools/xs/harness.js";
import { runCaseHere } from "../tools/xs/cases/runtime.js";
import { checkBudget } from "./helpers/budgets.js";
import { cases } from "./xs/provision-case.js";
import { makePemSet } from "./helpers/pki.js";
import { firmwareSpec, setupMemoryInXs } from "../tools/xs/bridge.js";
import { setupPreloaded } from "../tools/bench/xs-node.js";

const REQUESTS = [
  "GET / HTTP/1.1\r\nHost: 192.168.4.1\r\nUser-Agent: test\r\n\r\n",
  "GET /api/state?x=1 HTTP/1.0\r\nAuthorization: Bearer ABCD-EFGH-JKLM\r\n\r\n",
  'POST /api/provision HTTP/1.1\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: 14\r\n\r\n{"rpm":1480.5}',
  "\r\nGET / HTTP/1.1\n\n",
  "GET\r\n\r\n",
  "get / HTTP/1.1\r\n\r\n",
  `GET /${"a".repeat(2000)} HTTP/1.1\r\n\r\n`,
  `GET / HTTP/1.1\r\nX: ${"b".repeat(2000)}\r\n\r\n`,
  `GET / HTTP/1.1\r\n${"X-H: hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh\r\n".repeat(200)}\r\n`,
  "GET / HTTP/1.1\r\nX: \u0001\r\n\r\n",
  "GET / HTTP/1.1\r\nX: \u00e9\r\n\r\n",
  "POST /api/provision HTTP/1.1\r\nContent-Length: 1048576\r\n\r\n",
  "POST /api/provision HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
  "POST /api/provision HTTP/1.1\r\n\r\n",
  "POST /api/provision HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
  "GET / HTTP/1.1\r\n folded\r\n\r\n",
];

test("XS and Node agree: the HTTP reader on odd requests, whole and in pieces", async (t) => {
  const arg = { requests: REQUESTS, splits: [1, 3, 64, 100000] };
  const node = runCaseHere(cases, "parse", arg) as string[][];
  await withXsSession("test/xs/provision-case.ts", async (s) => {
    const xs = await xsCase(s, "parse", arg);
    t.deepEqual(xs.value, node);
    t.log(`${REQUESTS.length} requests x 4 splits: XS ${xs.compute} computrons`);
  });
  // Every split gives the same answer as the whole request.
  for (const answers of node) t.true(answers.every((a) => a === answers[0]), answers.join(" | "));
  t.deepEqual(
    node.map((a) => a[0]),
    [
      "GET / - - 0",
      "GET /api/state Bearer ABCD-EFGH-JKLM - 0",
      "POST /api/provision - application/json; charset=utf-8 14",
      "GET / - - 0",
      "400 bad-request",
      "400 bad-request",
      "414 too-long",
      "431 headers-too-large",
      "431 headers-too-large",
      "400 bad-request",
      "400 bad-request",
      "413 too-large",
      "411 length-required",
      "411 length-required",
      "400 bad-request",
      "400 bad-request",
    ],
  );
});

test("XS and Node agree: the form checks, certificates and key pairs included", async (t) => {
  const pem = makePemSet();
  t.teardown(() => pem.cleanup());
  const tls = "mqtts://broker.plant:8883";
  const arg = {
    now: Date.now(),
    bodies: [
      { broker: "mqtt://10.0.0.5", nodeId: "pump-1", rpm: 1480, machineGroup: 1 },
      { broker: tls, ca: pem.pem.caCert, cert: pem.pem.rsaCert, key: pem.pem.rsaPkcs1 },
      { broker: tls, ca: pem.pem.caCert, cert: pem.pem.ecCert, key: pem.pem.ecPkcs8 },
      { broker: tls, cert: pem.pem.ecCert, key: pem.pem.rsaPkcs8 },
      { broker: tls, cert: pem.pem.expiredCert, key: pem.pem.ecSec1 },
      { broker: tls, ca: pem.pem.csr },
      { broker: "http://x", nodeId: "a b", rpm: -1, ssid: "x\u0000", foundation: "sand" },
      [1, 2],
    ],
  };
  const node = runCaseHere(cases, "form", arg);
  await withXsSession("test/xs/provision-case.ts", async (s) => {
    const xs = await xsCase(s, "form", arg);
    t.deepEqual(xs.value, node);
    t.log(`${arg.bodies.length} forms: XS ${xs.compute} computrons`);
  });
  t.deepEqual(node, [
    ["broker", "machineGroup", "nodeId", "rpm"],
    ["broker", "ca", "cert", "key"],
    ["broker", "ca", "cert", "key"],
    ["key key-mismatch"],
    ["cert expired"],
    ["ca not-a-certificate"],
    ["ssid control-character", "broker bad-scheme", "nodeId invalid", "foundation invalid", "rpm invalid"],
    ["undefined type"],
  ]);
});

test("the setup server in XS: the page and the API answered, what it holds idle, no growth from serving", async (t) => {
  const page = "GET / HTTP/1.1\r\n\r\n";
  const requests = [page, "GET /api/state HTTP/1.1\r\n\r\n", "GET /nothing HTTP/1.1\r\n\r\n", "GARBAGE\r\n\r\n"];
  await withXsSession("test/xs/provision-case.ts", async (s) => {
    const empty = await xsCase(s, "gc");
    const open = await xsCase(s, "open");
    await xsCase(s, "serve", { requests });
    const first = await xsCase(s, "answers");
    const node = (() => {
      runCaseHere(cases, "open");
      runCaseHere(cases, "serve", { requests });
      return runCaseHere(cases, "answers");
    })();
    t.deepEqual(first.value, node);
    const answers = first.value as string[];
    t.regex(answers[0], /^HTTP\/1\.1 200 OK \d{4,}$/);
    t.regex(answers[1], /^HTTP\/1\.1 200 OK \d+$/);
    t.regex(answers[2], /^HTTP\/1\.1 404 Not Found \d+$/);
    t.regex(answers[3], /^HTTP\/1\.1 400 Bad Request \d+$/);
    // Warmed up: serving 50 more requests leaves the heap where it was.
    await xsCase(s, "serve", { requests: Array.from({ length: 10 }, () => requests).flat() });
    const warm = await xsCase(s, "answers");
    await xsCase(s, "serve", { requests: Array.from({ length: 50 }, () => page) });
    const after = await xsCase(s, "answers");
    t.is((after.value as string[]).length, 50);
    const idle = open.heapCount - empty.heapCount;
    t.log(`setup server idle: ${idle} slots above the machine (ESP32 ~${((idle * 16) / 1024).toFixed(1)} KiB at 16 B a slot); page ${answers[0].split(" ").pop()} B; heap after warm-up ${warm.heapCount}, after 50 more pages ${after.heapCount} slots`);
    checkBudget(t, "xs.setup.idleSlots", idle);
    checkBudget(t, "xs.setup.growthSlots", Math.max(0, after.heapCount - warm.heapCount));
  });
});

test("the whole node in setup mode in XS: unprovisioned, it samples, publishes nothing and serves its page; its RAM within 96 KiB, no growth", async (t) => {
  const m = await setupMemoryInXs(firmwareSpec(4096));
  // The page (a few KiB of HTML) and the state answer, as a browser on the node's network gets them.
  t.regex(m.answers[0], /^HTTP\/1\.1 200 OK \d{4,}$/);
  t.regex(m.answers[1], /^HTTP\/1\.1 200 OK \d+$/);
  t.is(m.published, 0, "an unprovisioned node publishes nothing");
  const p = setupPreloaded(m);
  t.log(`setup mode, n = ${m.n}, ${m.rounds} rounds: ${p.slots} slots + ${p.chunkBytes} chunk B = ${(p.bytes / 1024).toFixed(1)} KiB on the ESP32 (16 B slots, modules preloaded); most slots over the first / last block ${m.firstBlockSlots} / ${m.lastBlockSlots}`);
  checkBudget(t, "xs.node.setup.preloadedBytes4096", p.bytes);
  checkBudget(t, "xs.node.setup.growthSlots", m.growthSlots);
});
