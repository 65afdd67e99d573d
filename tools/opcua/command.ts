/*
 * `sensor-node opcua --broker URL [--port 4840] [--prefix sensors]
 * [--sparkplug-group sensors] [--certs DIR] [--users FILE] [--allow-anonymous]`
 * (docs/cli.md, docs/opcua.md): the gateway until Ctrl-C; SIGHUP re-reads the
 * client certificates. Bad input is one line naming the option, exit code 2.
 */
import * as fs from "node:fs";
import { helpText, parseArgs, readOptionFile, UsageError, type FlagSpec } from "../cli/args.js";
import { brokerOption, listening } from "../cli/options.js";
import { parseUsers, UsersFileError, type UserCheck } from "./users.js";
import { checkId } from "../../firmware/sparkplug/topics.js";
import { DEFAULT_SPARKPLUG_GROUP } from "./sparkplug-input.js";
import { redactUrl } from "../brokers/broker.js";

export const OPCUA_FLAGS: Record<string, FlagSpec> = {
  broker: { kind: "string", help: "the fleet's MQTT broker (mqtt://host:port or mqtts://host:port); required" },
  port: { kind: "number", help: "OPC UA port (default 4840; 0 picks a free one)", min: 0, max: 65535, integer: true },
  prefix: { kind: "string", help: "the nodes' topic prefix (default sensors)" },
  "sparkplug-group": { kind: "string", help: "the Sparkplug B group of nodes in Sparkplug mode (default sensors)" },
  certs: { kind: "string", help: "the gateway's PKI folder: its own certificate (made on first start), trusted and rejected clients (default ./opcua-pki)" },
  users: { kind: "string", help: "users file: {\"users\": [{\"name\": ..., \"password\": ...}]}" },
  "allow-anonymous": { kind: "boolean", help: "also accept anonymous sessions and SecurityPolicy None (a lab setting)" },
  help: { kind: "boolean", help: "show this help" },
};

export const DEFAULT_OPCUA_PORT = 4840;
export const DEFAULT_CERTS_DIR = "./opcua-pki";

export function usersOption(file: string | undefined): UserCheck | undefined {
  if (file === undefined) return undefined;
  const text = readOptionFile("sensor-node opcua: --users", file);
  try {
    return parseUsers(text, file);
  } catch (e) {
    if (e instanceof UsersFileError) throw new UsageError(`sensor-node opcua: ${e.message}`);
    throw e;
  }
}

export async function opcuaCommand(argv: string[]): Promise<number> {
  const command = "sensor-node opcua";
  const { flags } = parseArgs(command, argv, OPCUA_FLAGS, 0);
  if (flags.help) {
    process.stdout.write(helpText(`Usage: ${command} --broker URL [options]`, OPCUA_FLAGS));
    return 0;
  }
  const broker = brokerOption(command, flags.broker as string | undefined, { required: true })!;
  const users = usersOption(flags.users as string | undefined);
  const allowAnonymous = Boolean(flags["allow-anonymous"]);
  if (!users && !allowAnonymous) throw new UsageError(`${command}: --users FILE is required (or --allow-anonymous): nobody could log in`);
  const sparkplugGroup = (flags["sparkplug-group"] as string | undefined) ?? DEFAULT_SPARKPLUG_GROUP;
  const badGroup = checkId(sparkplugGroup, "--sparkplug-group");
  if (badGroup) throw new UsageError(`${command}: ${badGroup}`);
  const certsDir = (flags.certs as string | undefined) ?? DEFAULT_CERTS_DIR;
  try {
    fs.mkdirSync(certsDir, { recursive: true });
    fs.accessSync(certsDir, fs.constants.W_OK);
  } catch (e) {
    throw new UsageError(`${command}: --certs: cannot write ${certsDir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const port = (flags.port as number | undefined) ?? DEFAULT_OPCUA_PORT;
  const prefix = (flags.prefix as string | undefined) ?? "sensors";
  const log = (line: string) => process.stderr.write(`opcua: ${line}\n`);
  // Loaded here: node-opcua takes seconds to load, and only this command needs it.
  const { startGateway } = await import("./gateway.js");
  const gateway = await listening(command, "--port", port, () => startGateway({ broker, prefix, sparkplugGroup, port, certsDir, users, allowAnonymous, log }));
  log(`serving ${prefix}/+/{status,telemetry,alarm} and spBv1.0/${sparkplugGroup}/# from ${redactUrl(broker)}`);
  log(`security: Basic256Sha256 Sign and SignAndEncrypt${allowAnonymous ? ", None, anonymous sessions" : ""}; ${users ? `${users.names.length} user(s)` : "no users"}; certificates in ${certsDir}`);
  process.stdout.write(`${gateway.endpointUrl}\n`);
  // An administrator trusted a client (moved its certificate into trusted/certs): read the folders again.
  const reload = () => void gateway.reloadTrust().catch((e) => log((e as Error).message));
  process.on("SIGHUP", reload);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  process.off("SIGHUP", reload);
  await gateway.close();
  return 0;
}
