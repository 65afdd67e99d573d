/*
 * The OPC UA server and its security (docs/opcua.md, "Security"): Basic256Sha256
 * with Sign and SignAndEncrypt, the gateway's own certificate made on first start
 * in the certificates folder, user name and password from the users file;
 * anonymous sessions and SecurityPolicy None only when allowed.
 */
import * as os from "node:os";
import { MessageSecurityMode, OPCUACertificateManager, OPCUAServer, RegisterServerMethod, SecurityPolicy } from "node-opcua";
import type { UserCheck } from "./users.js";

export interface ServerOptions {
  port: number;
  /** Interface to listen on (default: all). */
  host?: string;
  certsDir: string;
  users?: UserCheck;
  allowAnonymous: boolean;
  /** Accept client certificates nobody has trusted yet (the simulator's lab setting); otherwise they land in `<certs>/rejected`. */
  trustUnknownClients?: boolean;
}

/** What the gateway calls itself in its certificate and in discovery. */
export const APPLICATION_NAME = "sensor-node OPC UA gateway";
const PRODUCT_URI = "urn:sensor-node:opcua-gateway";

export async function createServer(o: ServerOptions): Promise<OPCUAServer> {
  const serverCertificateManager = new OPCUACertificateManager({ rootFolder: o.certsDir, automaticallyAcceptUnknownCertificate: o.trustUnknownClients ?? false });
  const modes = [MessageSecurityMode.Sign, MessageSecurityMode.SignAndEncrypt];
  const policies = [SecurityPolicy.Basic256Sha256];
  if (o.allowAnonymous) {
    modes.unshift(MessageSecurityMode.None);
    policies.unshift(SecurityPolicy.None);
  }
  const users = o.users;
  const server = new OPCUAServer({
    port: o.port,
    host: o.host,
    // Endpoint URLs name the interface listened on (else the machine's name, which a loopback client does not match).
    hostname: o.host,
    serverCertificateManager,
    securityModes: modes,
    securityPolicies: policies,
    allowAnonymous: o.allowAnonymous,
    userManager: { isValidUser: (name: string, password: string) => users?.isValid(name, password) ?? false },
    buildInfo: { productName: APPLICATION_NAME, productUri: PRODUCT_URI, manufacturerName: "sensor-node" },
    serverInfo: { applicationName: { text: APPLICATION_NAME }, productUri: PRODUCT_URI, applicationUri: `${PRODUCT_URI}:${os.hostname()}` },
    // Every value is a node's window, written once: a client asking for sampling interval 0 gets every
    // one (node-opcua otherwise folds changes within its 50 ms floor, which a burst from the outbox hits).
    serverCapabilities: { minSupportedSampleRate: 0 },
    // The gateway is found by its URL; it registers with no discovery server.
    registerServerMethod: RegisterServerMethod.HIDDEN,
  });
  await server.initialize();
  return server;
}
