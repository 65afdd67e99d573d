/*
 * Checks of option values that touch the world (a broker URL, a port to listen
 * on, a file to write), shared by the commands so that each problem reads the
 * same everywhere: one line naming the option, exit code 2 (UsageError), and
 * before anything has run, never at the end of a run.
 */
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { errnoText, RunError, UsageError } from "./args.js";
import { parseBrokerUrl } from "../brokers/broker.js";

/** The dashboard's port unless --port says otherwise (docs/dashboard.md). */
export const DEFAULT_DASHBOARD_PORT = 8080;

/** `--broker URL`, checked (tools/brokers/broker.ts parseBrokerUrl); `required`: absent is an error too. */
export function brokerOption(command: string, url: string | undefined, how: { required?: boolean; plainOnly?: string } = {}): string | undefined {
  if (url === undefined) {
    if (how.required) throw new UsageError(`${command}: --broker URL is required (mqtt://host:port)`);
    return undefined;
  }
  let secure: boolean;
  try {
    secure = parseBrokerUrl(url).secure;
  } catch (e) {
    throw new UsageError(`${command}: ${(e as Error).message}`);
  }
  if (secure && how.plainOnly) throw new UsageError(`${command}: --broker: ${how.plainOnly} speaks plain MQTT to the broker (mqtt://); TLS is not supported here`);
  return url;
}

/** A listen failure as the option it concerns ("--port: 8080 is in use"), or undefined for other errors. */
export function listenProblem(e: unknown, port: number, option = "--port"): string | undefined {
  const code = (e as NodeJS.ErrnoException).code ?? "";
  const text = `${code} ${(e as Error).message ?? ""}`;
  if (/EADDRINUSE/.test(text)) return `${option}: ${port} is in use`;
  if (/EACCES/.test(text)) return `${option}: no permission to listen on ${port}`;
  return undefined;
}

/** Starts a server on `port` (`start`); a port taken or forbidden meanwhile is the same one line naming `option`. */
export async function listening<T>(command: string, option: string, port: number, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (e) {
    const problem = listenProblem(e, port, option);
    if (problem) throw new UsageError(`${command}: ${problem}`);
    throw e;
  }
}

/**
 * Fails (UsageError naming `option`) unless 127.0.0.1:`port` can be listened on now; port 0
 * (a free one) always can. Checked before a run, so a busy port is said at once, not after it.
 */
export async function portOption(command: string, option: string, port: number): Promise<number> {
  if (port === 0) return port;
  const problem = await new Promise<string | undefined>((resolve) => {
    const probe = net.createServer();
    probe.once("error", (e) => resolve(listenProblem(e, port, option) ?? `${option}: cannot listen on ${port}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`));
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(undefined)));
  });
  if (problem) throw new UsageError(`${command}: ${problem}`);
  return port;
}

/**
 * A file the command will write at the end of a run (`--junit OUT`): its folder must exist and be
 * writable, and the file itself, when it exists, writable and not a folder. Checked before the run.
 */
export function outputFileOption(command: string, option: string, file: string): string {
  const dir = path.dirname(path.resolve(file));
  const fail = (why: string) => new UsageError(`${command}: ${option}: cannot write ${file}: ${why}`);
  let stat: fs.Stats | undefined;
  try {
    stat = fs.statSync(file);
  } catch {
    // absent: its folder decides
  }
  if (stat?.isDirectory()) throw fail("it is a folder");
  try {
    if (!fs.statSync(dir).isDirectory()) throw fail(`${dir} is not a folder`);
    fs.accessSync(stat ? file : dir, fs.constants.W_OK);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw fail(errnoText(e, stat ? file : dir));
  }
  return file;
}

/** Writes a report checked by outputFileOption before the run; failing now (the folder went away) is one line, exit 1. */
export function writeReport(command: string, option: string, file: string, text: string): void {
  try {
    fs.writeFileSync(file, text);
  } catch (e) {
    throw new RunError(`${command}: ${option}: cannot write ${file}: ${errnoText(e)}`);
  }
}
