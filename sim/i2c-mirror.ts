/*
 * A simulated I2C part seen from two threads (the lin build's sampler Worker,
 * hosts/moddable/sim-sampler.ts): the firmware's thread talks to its copy through
 * the simulated bus, and every transfer it makes is recorded here and replayed,
 * in order, on the Worker's copy, so both copies hold the same configuration
 * and the Worker's FIFO starts from the same flush. A transfer is one flat array:
 * per START, [WRITE, n, byte1..byten] or [READ, n] (n bytes read), up to STOP.
 */
import type { I2CTarget } from "./bus.js";

const WRITE = 0;
const READ = 1;

/** Wraps `target`: it behaves as before, and `onTransfer` gets each finished transfer. */
export function recordTransfers(target: I2CTarget, onTransfer: (transfer: number[]) => void): I2CTarget {
  let transfer: number[] | undefined;
  let count = -1; // index of the current segment's byte count
  return {
    start(read: boolean): boolean {
      transfer ??= [];
      transfer.push(read ? READ : WRITE, 0);
      count = transfer.length - 1;
      return target.start(read);
    },
    write(byte: number): boolean {
      if (transfer) {
        transfer.push(byte);
        transfer[count]++;
      }
      return target.write(byte);
    },
    read(): number {
      if (transfer) transfer[count]++;
      return target.read();
    },
    stop(): void {
      target.stop();
      const done = transfer;
      transfer = undefined;
      if (done) onTransfer(done);
    },
  };
}

/** Replays a recorded transfer on `target` (the other thread's copy). */
export function replayTransfer(target: I2CTarget, transfer: readonly number[]): void {
  for (let i = 0; i < transfer.length; ) {
    const read = transfer[i] === READ;
    const n = transfer[i + 1];
    i += 2;
    target.start(read);
    for (let k = 0; k < n; k++) {
      if (read) target.read();
      else target.write(transfer[i++]);
    }
  }
  target.stop();
}
