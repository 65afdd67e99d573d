/*
 * `sensor-node config check`'s acquisition check: the check the node runs when it
 * opens its accelerometer (firmware/app/sensors.ts, acquisitionRefusal), on the ESP32
 * estimate (a device has no CPU model). The part is opened by its own driver on a
 * simulated bus, so the rate it settles on and its FIFO program are the device's.
 * With accelerometer.kind "auto" every FIFO part is checked: the node refuses the
 * configuration if the bus scan finds one that cannot keep up.
 */
import { SimI2CBus } from "../../sim/bus.js";
import { simAccelerometer, type SimAccelerometerKind } from "../../sim/devices/accelerometers.js";
import { ADDRESSES } from "../../firmware/drivers/scan.js";
import { acquisitionRefusal, makeAccelerometer } from "../../firmware/app/sensors.js";
import type { ConfigError, NodeConfig } from "../../firmware/app/config.js";

const FIFO_PARTS: readonly SimAccelerometerKind[] = ["adxl345", "lis3dh", "adxl355"];

/** The node's refusal of this configuration's acquisition (one line, naming the field), or undefined. */
export function acquisitionProblem(config: NodeConfig): string | undefined {
  const kind = config.accelerometer.kind;
  if (kind === "hil") return undefined; // frames over MQTT: no FIFO, no sampler
  for (const part of kind === "auto" ? FIFO_PARTS : [kind]) {
    const refused = refusal(part, config);
    if (refused) return kind === "auto" ? `${refused.message} (accelerometer.kind auto, if the bus scan finds an ${part.toUpperCase()})` : refused.message;
  }
  return undefined;
}

function refusal(part: SimAccelerometerKind, config: NodeConfig): ConfigError | undefined {
  const now = () => 0;
  const bus = new SimI2CBus({ now });
  const address = ADDRESSES[part][0];
  bus.attach(address, simAccelerometer(part, { now, signal: () => 0 }));
  const accel = makeAccelerometer({ kind: part, address }, config, bus.SMBus);
  try {
    return acquisitionRefusal(config, accel);
  } finally {
    accel.close();
  }
}
