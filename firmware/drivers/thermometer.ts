/*
 * The temperature-sensor contract the app relies on (TMP117, SHT3x, MCP9808).
 */

export interface ThermometerReading {
  /** degC */
  temperature: number;
  /** %RH, for parts that measure it (SHT3x). */
  humidity?: number;
}

export interface Thermometer {
  /** Latest completed reading (the last one again if no new conversion finished); undefined before the first. Throws on bus errors. */
  sample(): ThermometerReading | undefined;
  close(): void;
}
