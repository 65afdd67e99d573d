/** Small formatting and error helpers shared by the drivers and the simulated bus. */

/** Two-digit upper-case hex for I2C addresses and register values: 0x53 -> "53". */
export function hex(n: number): string {
  return (n < 16 ? "0" : "") + n.toString(16).toUpperCase();
}

/** Anything thrown, as an Error (drivers report through onError(error: Error)). */
export function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
