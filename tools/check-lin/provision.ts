/*
 * check-lin's `provision` check (issue 16): the lin build of manifests/sim.json built
 * without a broker, as one image is, run from a factory-fresh storage. It must come up
 * unprovisioned and publish nothing; then, through its setup page on loopback (the
 * client of `sensor-node provision`), be provisioned in turn for a plain broker, TLS
 * with the CA and mTLS, each ending in telemetry at an independent subscriber; keep
 * that across a restart of the simulator; and refuse, naming the field, a broker whose
 * certificate does not chain to the CA and one whose certificate names another host,
 * and name the broker when it wants a client certificate the node does not have.
 *
 * The broker is mosquitto with a listener per case (certificates from openssl, RSA:
 * the SDK's TLS takes RSA client keys only). The mTLS listener allows ECDHE-RSA key
 * exchange only: the SDK cannot sign with a client certificate after a DHE-RSA one.
 */
import * as mqtt from "mqtt";
import * as fs from "node:fs";
import * as path from "node:path";
import { freePort, startMosquitto } from "../brokers/broker.js";
import { makeTlsFixtures, tlsListener } from "../brokers/tls-fixtures.js";
import { provisionOverHttp, readState, SetupError, type SetupFields } from "../provision/setup-client.js";
import type { Sdk } from "../build/mcconfig.js";
import { build, CheckError, clearLinStorage, startRelease, until } from "./mcsim.js";

export interface ProvisionCase {
  case: string;
  /** What the check expected and whether it happened. */
  expected: string;
  ok: boolean;
  /** The node's state afterwards, or the error it reported: field, code and message. */
  outcome: string;
  /** Telemetry messages of this node id at the independent subscriber. */
  telemetry: number;
}

export interface ProvisionRecord {
  cases: ProvisionCase[];
}

/** The ciphers the mTLS listener allows (OpenSSL names): ECDHE-RSA, which the SDK can sign for. */
const MTLS_CIPHERS = "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-SHA256";
/** Each step ends in an event well inside this (a debug-free release build provisions in seconds). */
const STEP_MS = 90_000;

export async function provisionCheck(sdk: Sdk, root: string, display: string, work: string): Promise<ProvisionRecord> {
  const pki = makeTlsFixtures({ clients: ["lin-mtls"], keyType: "rsa" });
  const [tls, mtls, rogue, misnamed] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const broker = await startMosquitto({
    extraConfig: [
      ...tlsListener(pki, tls, pki.server),
      ...tlsListener(pki, mtls, pki.server, { requireCertificate: true, ciphers: MTLS_CIPHERS }),
      ...tlsListener(pki, rogue, pki.rogueServer),
      ...tlsListener(pki, misnamed, pki.misnamedServer),
    ],
  });
  const subscriber = await mqtt.connectAsync(broker.url);
  const telemetry = new Map<string, number>();
  subscriber.on("message", (topic) => {
    const id = /^sensors\/([^/]+)\/telemetry$/.exec(topic)?.[1];
    if (id) telemetry.set(id, (telemetry.get(id) ?? 0) + 1);
  });
  await subscriber.subscribeAsync("sensors/+/telemetry");

  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const so = build(sdk, root, work, "manifests/sim.json", [`setupPort=${port}`]);
  const pem = (file: string) => fs.readFileSync(file, "utf8");
  const cases: ProvisionCase[] = [];
  let key = "";
  let sim: { stop(): Promise<void> } | undefined;
  // The node's console, kept beside the build for a look when a case fails.
  const console = fs.createWriteStream(path.join(work, "console.log"));
  const boot = async () => {
    sim = startRelease(sdk, display, so, (line) => {
      console.write(line + "\n");
      const m = /unprovisioned: setup key ([A-Z0-9-]+)/.exec(line);
      if (m) key = m[1];
    });
    await until(async () => (await fetch(`${url}api/state`, { headers: key ? { authorization: `Bearer ${key}` } : {} }).catch(() => undefined))?.ok === true, STEP_MS, "provision: the setup page");
  };
  const telemetryOf = async (nodeId: string) => {
    await until(() => (telemetry.get(nodeId) ?? 0) >= 2, STEP_MS, `provision: telemetry of ${nodeId} at the subscriber`).catch(() => undefined);
    return telemetry.get(nodeId) ?? 0;
  };
  const connects = async (name: string, fields: SetupFields) => {
    const nodeId = fields.nodeId!;
    try {
      const state = await provisionOverHttp({ url, key, fields, timeoutMs: STEP_MS });
      const seen = await telemetryOf(nodeId);
      cases.push({ case: name, expected: "connected, telemetry at the subscriber", ok: state.state === "connected" && seen > 0, outcome: `${state.state} to ${state.broker}, boot ${state.boot}`, telemetry: seen });
    } catch (e) {
      cases.push({ case: name, expected: "connected, telemetry at the subscriber", ok: false, outcome: e instanceof Error ? e.message : String(e), telemetry: telemetry.get(nodeId) ?? 0 });
    }
  };
  const refused = async (name: string, fields: SetupFields, field: string, code: string) => {
    const nodeId = fields.nodeId!;
    let outcome = "connected (it should not have)";
    let ok = false;
    try {
      await provisionOverHttp({ url, key, fields, timeoutMs: STEP_MS });
    } catch (e) {
      const first = e instanceof SetupError ? e.errors[0] : undefined;
      outcome = first ? `${first.field}: ${first.code}: ${first.message}` : e instanceof Error ? e.message : String(e);
      ok = first?.field === field && first.code === code;
    }
    cases.push({ case: name, expected: `refused, naming ${field} (${code}); nothing published`, ok: ok && !telemetry.has(nodeId), outcome, telemetry: telemetry.get(nodeId) ?? 0 });
  };

  try {
    clearLinStorage();
    await boot();
    const fresh = await readState({ url, key: "" });
    await new Promise((r) => setTimeout(r, 5000)); // a few windows' time: nothing may be published
    cases.push({ case: "fresh image", expected: "unprovisioned, setup key on the console, nothing published", ok: fresh.state === "unprovisioned" && key !== "" && telemetry.size === 0, outcome: `${fresh.state}, windows ${fresh.windows}`, telemetry: telemetry.size });
    await connects("plain MQTT", { broker: broker.url, nodeId: "lin-plain" });
    // "localhost": the SDK's TLS checks DNS names in the certificate, not IP addresses.
    await connects("TLS with the CA", { broker: `mqtts://localhost:${tls}`, ca: pem(pki.caFile), nodeId: "lin-tls" });
    const client = pki.clients["lin-mtls"];
    await connects("mTLS", { broker: `mqtts://localhost:${mtls}`, ca: pem(pki.caFile), cert: pem(client.cert), key: pem(client.key), nodeId: "lin-mtls" });

    await sim?.stop();
    const before = telemetry.get("lin-mtls") ?? 0;
    await boot();
    const again = await readState({ url, key });
    const after = await until(() => (telemetry.get("lin-mtls") ?? 0) > before, STEP_MS, "provision: telemetry after the restart").then(() => telemetry.get("lin-mtls")!, () => before);
    cases.push({ case: "simulator restarted", expected: "still provisioned (mTLS), publishing", ok: again.provisioned && again.nodeId === "lin-mtls" && after > before, outcome: `${again.state}, boot ${again.boot}`, telemetry: after - before });

    await refused("a broker certificate from another CA", { broker: `mqtts://localhost:${rogue}`, cert: "", key: "", nodeId: "lin-rogue" }, "ca", "tls");
    await refused("a broker certificate for another name", { broker: `mqtts://localhost:${misnamed}`, nodeId: "lin-misnamed" }, "ca", "tls");
    // The SDK's TLS does not report the alert of a broker that wants a client certificate: the CONNACK wait ends it.
    await refused("an mTLS broker, no client certificate", { broker: `mqtts://localhost:${mtls}`, nodeId: "lin-nocert" }, "broker", "unreachable");
    // Leave the machine's lin storage as a factory-fresh node would find it.
    await fetch(`${url}api/factory-reset`, { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: "{}" }).catch(() => undefined);
  } finally {
    await sim?.stop();
    clearLinStorage();
    console.end();
    await subscriber.endAsync();
    await broker.close();
    pki.cleanup();
  }
  if (cases.length === 0) throw new CheckError("check-lin: provision: no case ran");
  return { cases };
}
