/*
 * `sensor-node sim --factory`, the serial half (docs/provisioning.md): the node's
 * console UART on a real pseudo-terminal, announced as one line on stderr,
 * `serial: /dev/pts/N`, before the node boots, so that a client can open it at once.
 */
import { openPtyLine, type PtyLine } from "../../hosts/node/pty-line.js";

export async function openFactorySerial(announce: (line: string) => void): Promise<PtyLine> {
  const line = await openPtyLine();
  announce(`serial: ${line.path}`);
  return line;
}
