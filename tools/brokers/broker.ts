/*
 * Brokers for the simulator and tests: aedes embedded in-process (the zero-setup
 * default) and mosquitto started as a child process with its own config file.
 */
import * as net from "node:net";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { Aedes, type AedesOptions } from "aedes";

export interface RunningBroker {
  readonly host: string;
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

/** Starts aedes on 127.0.0.1 (`port` 0 picks a free one); `options` go to aedes (hooks such as preConnect). */
export async function startAedes(port = 0, options: AedesOptions = {}): Promise<RunningBroker & { aedes: Aedes }> {
  const aedes = await Aedes.createBroker(options);
  const server = net.createServer(aedes.handle);
  const sockets = new Set<net.Socket>();
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const actual = (server.address() as net.AddressInfo).port;
  return {
    aedes,
    host: "127.0.0.1",
    port: actual,
    url: `mqtt://127.0.0.1:${actual}`,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
    },
  };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export function mosquittoPath(): string | undefined {
  for (const candidate of [process.env.MOSQUITTO, "/usr/sbin/mosquitto", "/usr/bin/mosquitto", "/usr/local/sbin/mosquitto"]) {
    if (candidate && fs.existsSync(candidate)) return candidate;
  }
  const which = spawnSync("sh", ["-c", "command -v mosquitto"], { encoding: "utf8" });
  return which.status === 0 ? which.stdout.trim() || undefined : undefined;
}

export interface MosquittoOptions {
  /** Extra lines for mosquitto.conf (listeners beyond the default one, TLS, ACLs...). */
  extraConfig?: string[];
  persistence?: boolean;
  /** Reuse a directory (and port) to restart a broker with its persisted state. */
  dir?: string;
  port?: number;
}

/** Starts mosquitto on a free loopback port with a config file of its own. */
export async function startMosquitto(options: MosquittoOptions = {}): Promise<RunningBroker & { dir: string; process: ChildProcess; kill(signal?: NodeJS.Signals): Promise<void> }> {
  const binary = mosquittoPath();
  if (!binary) throw new Error("mosquitto is not installed (Debian: apt-get install mosquitto)");
  const dir = options.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), "sensor-node-mosquitto-"));
  const port = options.port ?? (await freePort());
  const conf = [
    // As root, mosquitto would drop to its own user and lose write access to our temporary directory.
    ...(process.getuid?.() === 0 ? ["user root"] : []),
    `listener ${port} 127.0.0.1`,
    "allow_anonymous true",
    `persistence ${options.persistence ? "true" : "false"}`,
    `persistence_location ${dir}/`,
    "log_dest stderr",
    "log_type error",
    "log_type warning",
    ...(options.extraConfig ?? []),
  ];
  const confFile = path.join(dir, "mosquitto.conf");
  fs.writeFileSync(confFile, conf.join("\n") + "\n");
  const child = spawn(binary, ["-c", confFile], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (d) => (stderr += String(d)));
  // A hang catcher, not a pace: a loaded machine may take seconds to start mosquitto.
  await waitForPort(port, 30_000, () => (child.exitCode !== null ? `mosquitto exited (${child.exitCode}): ${stderr.trim()}` : undefined));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const kill = async (signal: NodeJS.Signals = "SIGTERM") => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return { host: "127.0.0.1", port, url: `mqtt://127.0.0.1:${port}`, dir, process: child, kill, close: () => kill("SIGTERM") };
}

async function waitForPort(port: number, timeoutMs: number, failed: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const problem = failed();
    if (problem) throw new Error(problem);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, "127.0.0.1");
      s.once("connect", () => {
        s.destroy();
        resolve(true);
      });
      s.once("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`broker did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * A broker URL, `mqtt://host[:port]` or `mqtts://host[:port]` (default port 1883, 8883).
 * Anything else throws an Error whose message starts with `--broker:` and says what is
 * wrong in one line: no scheme, another scheme, no host, a port out of range, a path.
 */
export function parseBrokerUrl(url: string): { host: string; port: number; secure: boolean } {
  const bad = (why: string) => new Error(`--broker: ${JSON.stringify(url)} ${why} (expected mqtt://host:port or mqtts://host:port)`);
  // host:port without a scheme reads as a URL of scheme "host" (or not at all): say what was meant.
  if (/^[^:/]*:\d*$/.test(url)) throw bad(`has no scheme: write mqtt://${url}`);
  // user:password@ is allowed (mqtt.js uses it where the URL is handed on: the OPC UA gateway).
  const m = /^([a-z][a-z0-9+.-]*):\/\/(?:[^/?#@]*@)?(\[[^\]]*\]|[^/:?#@]*)(?::([^/?#]*))?(.*)$/i.exec(url);
  if (!m) throw bad("is not a URL");
  const [, scheme, rawHost, rawPort, rest] = m;
  if (scheme.toLowerCase() !== "mqtt" && scheme.toLowerCase() !== "mqtts") throw new Error(`--broker: unsupported scheme ${scheme.toLowerCase()}: (use mqtt:// or mqtts://)`);
  const secure = scheme.toLowerCase() === "mqtts";
  const host = rawHost.replace(/^\[|\]$/g, "");
  if (!host) throw bad("has no host");
  if (rawPort !== undefined && !/^\d+$/.test(rawPort)) throw bad(`has a port that is not a number (${JSON.stringify(rawPort)})`);
  const port = rawPort ? Number(rawPort) : secure ? 8883 : 1883;
  if (port < 1 || port > 65535) throw bad(`has port ${rawPort}, outside 1..65535`);
  if (rest !== "" && rest !== "/") throw bad(`has more than host and port (${JSON.stringify(rest)})`);
  return { host, port, secure };
}

/** A broker URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString().replace(/\/$/, "");
  } catch {
    return "(the --broker URL)";
  }
}
