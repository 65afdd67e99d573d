/*
 * Engineering units and ranges of the payload's numeric fields (docs/payloads.md,
 * docs/measurement.md), for AnalogItemType variables: each unit by its UNECE
 * Recommendation 20 common code (OPC UA Part 8 encodes the code as the UnitId),
 * each range what the field can hold for the node's parts (EURange is the
 * instrument's range, not an alarm limit).
 */

export interface Unit {
  /** UNECE Rec. 20 common code, e.g. "C16". */
  code: string;
  symbol: string;
  description: string;
}

export interface Quantity {
  /** Names the quantity's shared EURange and EngineeringUnits (`ns=1;s=quantities/<name>/EURange`). */
  name: string;
  unit: Unit;
  range: { low: number; high: number };
}

export const UNITS = Object.freeze({
  mmPerS: { code: "C16", symbol: "mm/s", description: "millimetre per second" },
  g: { code: "K40", symbol: "g", description: "standard acceleration of free fall" },
  hz: { code: "HTZ", symbol: "Hz", description: "hertz" },
  degC: { code: "CEL", symbol: "°C", description: "degree Celsius" },
  percent: { code: "P1", symbol: "%", description: "percent" },
  hour: { code: "HUR", symbol: "h", description: "hour" },
  one: { code: "C62", symbol: "", description: "one (dimensionless)" },
  rpm: { code: "RPM", symbol: "r/min", description: "revolutions per minute" },
} satisfies Record<string, Unit>);

/** Largest acceleration any supported part reports (ADXL345 and LIS3DH at +-16 g). */
const FULL_SCALE_G = 16;
/** Highest output data rate of a supported part (LIS3DH low-power 5376 Hz): frequencies stay below its Nyquist. */
const MAX_FREQUENCY_HZ = 5376 / 2;
/** Velocity RMS far beyond ISO 10816-3 zone D for every class. */
const MAX_VELOCITY_MM_S = 100;

const velocity: Quantity = { name: "velocity", unit: UNITS.mmPerS, range: { low: 0, high: MAX_VELOCITY_MM_S } };
const acceleration: Quantity = { name: "acceleration", unit: UNITS.g, range: { low: 0, high: FULL_SCALE_G } };
const frequency: Quantity = { name: "frequency", unit: UNITS.hz, range: { low: 0, high: MAX_FREQUENCY_HZ } };

/**
 * Per-axis vibration features by payload name (`vib.<axis>.<name>`, and the
 * envelope's `vib.<axis>.env.<name>`). A name not here is still served, as a
 * DataItemType without a unit (the gateway does not guess units).
 */
export const AXIS_QUANTITIES: Readonly<Record<string, Quantity>> = Object.freeze({
  vRms: velocity,
  order1x: velocity,
  order2x: velocity,
  order3x: velocity,
  aRms: acceleration,
  aPeak: acceleration,
  hfRms: acceleration,
  fDom: frequency,
  crest: { name: "crest", unit: UNITS.one, range: { low: 1, high: 100 } },
  kurtosis: { name: "kurtosis", unit: UNITS.one, range: { low: 0, high: 1000 } },
});

/** The envelope spectrum's fields (`vib.<axis>.env`): amplitudes in g, the dominant line in Hz. */
export const ENVELOPE_QUANTITIES: Readonly<Record<string, Quantity>> = Object.freeze({
  rms: acceleration,
  peak: acceleration,
  fDom: frequency,
});

/** The node-level numeric fields the gateway names itself. */
export const NODE_QUANTITIES = Object.freeze({
  temperature: { name: "temperature", unit: UNITS.degC, range: { low: -55, high: 150 } },
  humidity: { name: "humidity", unit: UNITS.percent, range: { low: 0, high: 100 } },
  runHours: { name: "runHours", unit: UNITS.hour, range: { low: 0, high: 1e6 } },
  odr: { name: "odr", unit: UNITS.hz, range: { low: 0, high: 2 * MAX_FREQUENCY_HZ } },
} satisfies Record<string, Quantity>);

/** UNECE common code (up to 3 ASCII characters) as the OPC UA UnitId (Part 8, 5.6.3). */
export function unitId(code: string): number {
  let id = 0;
  for (const c of code) id = (id << 8) | c.charCodeAt(0);
  return id;
}
