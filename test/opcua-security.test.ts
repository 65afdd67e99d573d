/*
 * The gateway's security as a plant sets it up (docs/opcua.md, "Security"):
 * without --allow-anonymous, an unsigned (SecurityPolicy None) or anonymous
 * session is refused, a wrong password is refused, the right one over
 * Basic256Sha256 SignAndEncrypt works once the client's certificate is trusted;
 * with --allow-anonymous, None and anonymous work. An independent
 * node-opcua-client tries each.
 */
import test from "ava";
import * as fs from "node:fs";
import * as path from "node:path";
import { MessageSecurityMode, SecurityPolicy, UserTokenType } from "node-opcua-client";
import { parseUsers } from "../tools/opcua/users.js";
import { startGateway } from "../tools/opcua/gateway.js";
import { clientFor, openSession, tempDir } from "./helpers/opcua.js";
import { startAedes } from "../tools/brokers/broker.js";

const PASSWORD = "plant-secret-42";

async function gateway(t: any, allowAnonymous: boolean) {
  const broker = await startAedes();
  t.teardown(() => broker.close());
  const certsDir = tempDir(t, "opcua-gw-pki");
  const users = parseUsers(JSON.stringify({ users: [{ name: "scada", password: PASSWORD }] }), "users.json");
  const lines: string[] = [];
  const g = await startGateway({ broker: broker.url, prefix: "sensors", port: 0, host: "127.0.0.1", certsDir, users, allowAnonymous, log: (l) => lines.push(l) });
  t.teardown(() => g.close());
  return { g, certsDir, lines };
}

const secure = { mode: MessageSecurityMode.SignAndEncrypt, policy: SecurityPolicy.Basic256Sha256 };

test("without --allow-anonymous: no unsigned session, no anonymous session, no wrong password; the right user over SignAndEncrypt once the client is trusted", async (t) => {
  const { g, certsDir, lines } = await gateway(t, false);
  t.true(fs.existsSync(path.join(certsDir, "own", "certs", "certificate.pem")), "the gateway made its own certificate on first start");

  // SecurityPolicy None: the server offers no such endpoint, so no session.
  await t.throwsAsync(openSession(t, g.endpointUrl, { identity: { type: UserTokenType.UserName, userName: "scada", password: PASSWORD } }));

  // A client whose certificate nobody trusted: refused; its certificate waits in <certs>/rejected.
  const pki = tempDir(t, "opcua-client");
  await t.throwsAsync(openSession(t, g.endpointUrl, { ...secure, pki, identity: { type: UserTokenType.UserName, userName: "scada", password: PASSWORD } }));
  const rejected = path.join(certsDir, "rejected");
  const files = fs.readdirSync(rejected).filter((f) => f.endsWith(".pem") || f.endsWith(".der"));
  t.is(files.length, 1, "the client's certificate is kept for the administrator to trust");
  // The administrator trusts it (docs/opcua.md): moved into trusted/certs.
  fs.renameSync(path.join(rejected, files[0]), path.join(certsDir, "trusted", "certs", files[0]));

  // The administrator tells the gateway (SIGHUP; here its function): it resolves once the certificate is accepted.
  t.is(await g.reloadTrust(), 1, "one trusted client certificate");
  t.true(lines.some((l) => /client certificates: 1 trusted/.test(l)), "the gateway says so");
  const user = { type: UserTokenType.UserName, userName: "scada", password: PASSWORD } as const;
  const session = await openSession(t, g.endpointUrl, { ...secure, pki, identity: user });
  t.truthy(session.sessionId);
  // Trusted now: each refusal below is about the identity, not the certificate.
  const identityRefused = { message: /BadIdentityToken|BadUserAccessDenied/ };
  // Anonymous: the endpoints offer no anonymous token at all (the client gives up before asking).
  await t.throwsAsync(openSession(t, g.endpointUrl, { ...secure, pki }), { message: /ANONYMOUS user token policy|BadIdentityToken/ }, "anonymous refused");
  await t.throwsAsync(openSession(t, g.endpointUrl, { ...secure, pki, identity: { ...user, password: "wrong" } }), identityRefused, "wrong password refused");
  await t.throwsAsync(openSession(t, g.endpointUrl, { ...secure, pki, identity: { ...user, userName: "nobody" } }), identityRefused, "unknown user refused");
  const signed = await openSession(t, g.endpointUrl, { mode: MessageSecurityMode.Sign, policy: SecurityPolicy.Basic256Sha256, pki, identity: user });
  t.truthy(signed.sessionId, "Sign works too");
  t.false(lines.some((l) => l.includes(PASSWORD)), "the password is in no log line");
});

test("with --allow-anonymous: an anonymous session over SecurityPolicy None", async (t) => {
  const { g } = await gateway(t, true);
  const session = await openSession(t, g.endpointUrl);
  t.truthy(session.sessionId);
  // and the endpoints still offer Basic256Sha256 for those who want it
  const client = clientFor(t);
  await client.connect(g.endpointUrl);
  t.teardown(() => client.disconnect());
  const policies = new Set((await client.getEndpoints()).map((e) => e.securityPolicyUri));
  t.deepEqual([...policies].sort(), [SecurityPolicy.Basic256Sha256, SecurityPolicy.None].sort());
});
