/*
 * The simulated node of the desktop build (manifests/sim.json): the device
 * firmware on the Moddable host, except that I2C goes to the XS-compatible
 * simulated bus of sim/ with an ADXL345 and a TMP117 clamped on a simulated
 * machine. Time is real (Time.ticks); TCP is the real Moddable socket.
 * A module of its own (not the entry) so that it can be preloaded and the
 * memory check app (test/moddable/memory-check) starts the same node.
 *
 * The node is the device's field node (firmware/provision/field-node.ts): built
 * without a broker it boots unprovisioned and serves its setup page on
 * `setupPort`, connections from loopback only (the lin build has no access point);
 * what is provisioned persists in the SDK's lin Preference and files. Its
 * `System` has no restart: a restart boots the field node again in place, on
 * the same storage, machine and bus.
 *
 * mc/config: broker, nodeId, mqttUser, mqttPassword, prefix (as on the device: defaults under
 * what is provisioned), `setupPort`, plus `seed` and `rpm` for the machine: the default
 * machine of sim/machine/default-machine.ts at that rpm,
 * and `sampler`: "worker" (default) drains the accelerometer's FIFO on a thread of its
 * own, as the ESP32's native sampler does (hosts/moddable/sim-sampler.ts); "none" polls
 * it from the firmware's thread (the design before issue 14, for comparison).
 */
import { FieldNode } from "../../firmware/provision/field-node.js";
import type { ResetReason } from "../../firmware/app/payload.js";
import { SimI2CBus } from "../../sim/bus.js";
import { SimADXL345, ADXL345_ADDRESS } from "../../sim/devices/adxl345.js";
import { SimTMP117, TMP117_ADDRESS } from "../../sim/devices/tmp117.js";
import { Machine } from "../../sim/machine/machine.js";
import { DEFAULT_RPM, defaultMachine } from "../../sim/machine/default-machine.js";
import type { I2CTarget } from "../../sim/bus.js";
import { createModdableHost, clock, nodeConfigFromMc, settingsFromMc, ModdableTimers } from "./host.js";
import { SamplerWorker } from "./sim-sampler.js";
import { restartReason } from "./boot-reason.js";

/** The setup page's port when mc/config gives none (port 80 needs root on the desktop). */
export const SIM_SETUP_PORT = 8081;

export type SimConfig = Record<string, unknown> & { file: { root: string } };

/** Builds the machine, bus and host from mc/config and starts the field node; undefined (logged) when it cannot start. */
export function startSimNode(mc: SimConfig): FieldNode | undefined {
  const seed = typeof mc.seed === "number" ? mc.seed : Number(mc.seed ?? 42) || 42;
  const rpm = typeof mc.rpm === "number" ? mc.rpm : Number(mc.rpm ?? DEFAULT_RPM) || DEFAULT_RPM;
  const port = Number(mc.setupPort ?? SIM_SETUP_PORT);
  const machine = simMachine(seed, rpm);

  // Simulated time is real time here: the bus, sensors and machine read Time.ticks, from 0 at boot.
  const t0 = clock.now();
  const now = (): number => clock.now() - t0;
  const bus: SimI2CBus = new SimI2CBus({ now });
  const sampler = mc.sampler === "none" ? undefined : new SamplerWorker({ seed, rpm, t0, address: ADXL345_ADDRESS });
  const timers = new ModdableTimers();
  let field: FieldNode | undefined;
  const boot = (resetReason: ResetReason): FieldNode | undefined => {
    try {
      const node = new FieldNode(host, { config: nodeConfigFromMc(mc), defaults: settingsFromMc(mc), port, resetReason });
      node.start();
      host.log("info", `simulated node ${node.app.nodeId} started (machine ${rpm} rpm, seed ${seed}, FIFO ${sampler ? "sampler Worker" : "polled"})`);
      return node;
    } catch (e) {
      host.log("error", `cannot start: ${e instanceof Error ? e.message : String(e)}`);
      return undefined;
    }
  };
  const host = createModdableHost({
    fileRoot: mc.file.root,
    SMBus: bus.SMBus,
    FifoSampler: sampler ? sampler.FifoSampler : null,
    timers,
    loopbackOnly: true,
    // From a timer, not inside the caller (a handler of the node being replaced).
    restart: (reason) =>
      timers.set(() => {
        field?.stop();
        field = boot(restartReason(reason));
      }, 0),
  });

  const accel = simAccelerometer(machine, seed, now);
  bus.attach(ADXL345_ADDRESS, sampler ? sampler.mirror(accel) : accel);
  bus.attach(TMP117_ADDRESS, new SimTMP117({ now, seed: seed + 1, temperature: (t) => machine.temperature(t) }));

  field = boot("power-on");
  return field;
}

/** The simulated machine at `rpm` (sim/machine/default-machine.ts). */
export function simMachine(seed: number, rpm: number): Machine {
  return new Machine({ seed, ...defaultMachine(rpm) });
}

/** The node's ADXL345 clamped on `machine` (the sampler Worker builds its own copy the same way). */
export function simAccelerometer(machine: Machine, seed: number, now: () => number): I2CTarget {
  return new SimADXL345({ now, seed, signal: (axis, t) => machine.acceleration(axis, t) });
}
