/*
 * The simulated node of the desktop build (manifests/sim.json): the device
 * firmware on the Moddable host, except that I2C goes to the XS-compatible
 * simulated bus of sim/ with an ADXL345 and a TMP117 clamped on a simulated
 * machine. Time is real (Time.ticks); TCP is the real Moddable socket.
 * A module of its own (not the entry) so that it can be preloaded and the
 * memory check app (test/moddable/memory-check) starts the same node.
 *
 * mc/config: broker, nodeId, prefix (as on the device), plus `seed` and `rpm`
 * for the machine: the default machine of sim/machine/default-machine.ts at that rpm,
 * and `sampler`: "worker" (default) drains the accelerometer's FIFO on a thread of its
 * own, as the ESP32's native sampler does (hosts/moddable/sim-sampler.ts); "none" polls
 * it from the firmware's thread (the design before issue 14, for comparison).
 */
import { startNode, type NodeApp } from "../../firmware/app/node.js";
import { SimI2CBus } from "../../sim/bus.js";
import { SimADXL345, ADXL345_ADDRESS } from "../../sim/devices/adxl345.js";
import { SimTMP117, TMP117_ADDRESS } from "../../sim/devices/tmp117.js";
import { Machine } from "../../sim/machine/machine.js";
import { DEFAULT_RPM, defaultMachine } from "../../sim/machine/default-machine.js";
import type { I2CTarget } from "../../sim/bus.js";
import { createModdableHost, clock, nodeConfigFromMc } from "./host.js";
import { SamplerWorker } from "./sim-sampler.js";

export type SimConfig = Record<string, unknown> & { file: { root: string } };

/** Builds the machine, bus and host from mc/config and starts the node; undefined (logged) when it cannot start. */
export function startSimNode(mc: SimConfig): NodeApp | undefined {
  const seed = typeof mc.seed === "number" ? mc.seed : Number(mc.seed ?? 42) || 42;
  const rpm = typeof mc.rpm === "number" ? mc.rpm : Number(mc.rpm ?? DEFAULT_RPM) || DEFAULT_RPM;
  const machine = simMachine(seed, rpm);

  // Simulated time is real time here: the bus, sensors and machine read Time.ticks, from 0 at boot.
  const t0 = clock.now();
  const now = (): number => clock.now() - t0;
  const bus: SimI2CBus = new SimI2CBus({ now });
  const sampler = mc.sampler === "none" ? undefined : new SamplerWorker({ seed, rpm, t0, address: ADXL345_ADDRESS });
  const host = createModdableHost({
    fileRoot: mc.file.root,
    SMBus: bus.SMBus,
    FifoSampler: sampler ? sampler.FifoSampler : null,
  });

  const accel = simAccelerometer(machine, seed, now);
  bus.attach(ADXL345_ADDRESS, sampler ? sampler.mirror(accel) : accel);
  bus.attach(TMP117_ADDRESS, new SimTMP117({ now, seed: seed + 1, temperature: (t) => machine.temperature(t) }));

  try {
    const app = startNode(host, nodeConfigFromMc(mc));
    host.log("info", `simulated node ${app.nodeId} started (machine ${rpm} rpm, seed ${seed}, FIFO ${sampler ? "sampler Worker" : "polled"})`);
    return app;
  } catch (e) {
    host.log("error", `cannot start: ${e instanceof Error ? e.message : String(e)}`);
    return undefined;
  }
}

/** The simulated machine at `rpm` (sim/machine/default-machine.ts). */
export function simMachine(seed: number, rpm: number): Machine {
  return new Machine({ seed, ...defaultMachine(rpm) });
}

/** The node's ADXL345 clamped on `machine` (the sampler Worker builds its own copy the same way). */
export function simAccelerometer(machine: Machine, seed: number, now: () => number): I2CTarget {
  return new SimADXL345({ now, seed, signal: (axis, t) => machine.acceleration(axis, t) });
}
