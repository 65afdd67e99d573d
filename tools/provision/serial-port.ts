/*
 * A serial port for the Improv client, with the serialport package: 115200 baud,
 * 8N1, raw. Input that arrived before we opened (an earlier session's answers,
 * the console's boot text) is flushed away first.
 */
import { SerialPort } from "serialport";
import type { BytePort } from "./improv-client.js";
import { IMPROV_BAUD } from "../../firmware/provision/improv-service.js";

export interface OpenPort extends BytePort {
  close(): Promise<void>;
}

/** Opens `path`; rejects with the system's reason (no such file, permission denied, busy). */
export async function openSerialPort(path: string): Promise<OpenPort> {
  const port = new SerialPort({ path, baudRate: IMPROV_BAUD, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(error) : resolve())));
  await new Promise<void>((resolve) => port.flush(() => resolve()));
  port.on("error", () => {}); // a port that goes away: the command's ceiling reports it
  return {
    write: (bytes) => void port.write(Buffer.from(bytes)),
    onData: (listener) => void port.on("data", (chunk: Buffer) => listener(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length))),
    close: () =>
      new Promise<void>((resolve) => {
        if (!port.isOpen) return resolve();
        port.close(() => resolve()); // every command was answered: nothing is left to drain
      }),
  };
}
