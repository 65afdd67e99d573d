/*
 * A real pseudo-terminal for the simulated node's UART (docs/provisioning.md,
 * "Serial (Improv Wi-Fi)"): any serial program (sensor-node provision, screen,
 * a browser through a bridge) opens the pty's path as it would a USB UART.
 *
 * Node cannot open a pty pair without native code, so socat (Debian package)
 * makes one and relays it to its stdin/stdout, which are pipes to us
 * (docs/decisions.md, "The simulator's serial port is a pty made by socat").
 * socat sets the pty raw with no echo. A client may open and close the pty
 * again and again; socat stays.
 */
import { spawn, type ChildProcess } from "node:child_process";
import type { SerialLine } from "../../sim/serial.js";

export interface PtyLine extends SerialLine {
  /** The pty's path (/dev/pts/N): what a client opens. */
  readonly path: string;
  close(): Promise<void>;
}

/** Output waiting for a reader beyond this is dropped: a UART with nobody listening loses what it sends. */
const MAX_PENDING_BYTES = 64 * 1024;
/** A ceiling on socat's start (it reports the pty at once); not a timing assertion. */
const START_CEILING_MS = 10_000;

export async function openPtyLine(): Promise<PtyLine> {
  const child = spawn("socat", ["-d", "-d", "pty,raw,echo=0", "stdio"], { stdio: ["pipe", "pipe", "pipe"] });
  const path = await new Promise<string>((resolve, reject) => {
    let said = "";
    const timer = setTimeout(() => fail(new Error(`socat did not report its pty within ${START_CEILING_MS / 1000} s: ${said.trim()}`)), START_CEILING_MS);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill();
      reject(error);
    };
    child.once("error", (error: NodeJS.ErrnoException) =>
      fail(error.code === "ENOENT" ? new Error("the simulated serial port needs socat (Debian: apt-get install socat)") : error),
    );
    child.once("exit", (code) => fail(new Error(`socat exited (${code}) before making a pty: ${said.trim()}`)));
    child.stderr!.on("data", (chunk: Buffer) => {
      said += String(chunk);
      const m = /PTY is (\S+)/.exec(said);
      if (!m) return;
      clearTimeout(timer);
      child.removeAllListeners("exit");
      child.stderr!.removeAllListeners("data");
      child.stderr!.resume(); // its later notices (a client came or went) are not ours to show
      resolve(m[1]);
    });
  });
  return ptyLine(child, path);
}

function ptyLine(child: ChildProcess, path: string): PtyLine {
  let listener: ((bytes: Uint8Array) => void) | undefined;
  let open = true;
  child.stdout!.on("data", (chunk: Buffer) => listener?.(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length)));
  child.stdin!.on("error", () => {}); // socat gone: close() reports nothing more
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    path,
    write(bytes) {
      if (!open || child.stdin!.writableLength > MAX_PENDING_BYTES) return;
      child.stdin!.write(bytes);
    },
    listen(l) {
      listener = l;
    },
    async close() {
      if (!open) return;
      open = false;
      listener = undefined;
      child.kill();
      await exited;
    },
  };
}
