/*
 * I2C bus recovery (NXP UM10204 section 3.1.16, "Bus clear"): a target reset or
 * interrupted in the middle of a read may hold SDA low while it waits for clock
 * pulses to shift out the rest of its byte. The controller clocks SCL up to
 * nine times until SDA is released, then sends a STOP so every target's state
 * machine returns to idle.
 */
import type { I2CLines } from "../host.js";

/** A byte plus its acknowledge bit: after nine pulses any target has finished. */
export const RECOVERY_MAX_PULSES = 9;

export interface RecoveryResult {
  recovered: boolean;
  /** SCL pulses it took for SDA to go high. */
  pulses: number;
}

export function recoverBus(lines: I2CLines): RecoveryResult {
  const { sda, scl } = lines;
  try {
    sda.write(1); // release our side of SDA
    let pulses = 0;
    while (sda.read() === 0 && pulses < RECOVERY_MAX_PULSES) {
      scl.write(0);
      scl.write(1);
      pulses++;
    }
    if (sda.read() === 0) return { recovered: false, pulses };
    // STOP: SDA low while SCL is low, raise SCL, then raise SDA while SCL is high.
    scl.write(0);
    sda.write(0);
    scl.write(1);
    sda.write(1);
    return { recovered: sda.read() === 1 && scl.read() === 1, pulses };
  } finally {
    lines.close();
  }
}
