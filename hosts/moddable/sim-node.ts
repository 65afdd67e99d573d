/*
 * The simulated node of the desktop build (manifests/sim.json): the device
 * firmware on the Moddable host, except that I2C goes to the XS-compatible
 * simulated bus of sim/ with an ADXL345 and a TMP117 clamped on a simulated
 * machine. Time is real (Time.ticks); TCP is the real Moddable socket.
 * A module of its own (not the entry) so that it can be preloaded and the
 * memory check app (test/moddable/memory-check) starts the same node.
 *
 * mc/config: broker, nodeId, prefix (as on the device), plus `seed` and `rpm`
 * for the machine: the default machine of sim/machine/default-machine.ts at that rpm.
 */
import { startNode, type NodeApp } from "../../firmware/app/node.js";
import { SimI2CBus } from "../../sim/bus.js";
import { SimADXL345, ADXL345_ADDRESS } from "../../sim/devices/adxl345.js";
import { SimTMP117, TMP117_ADDRESS } from "../../sim/devices/tmp117.js";
import { Machine } from "../../sim/machine/machine.js";
import { DEFAULT_RPM, defaultMachine } from "../../sim/machine/default-machine.js";
import { createModdableHost, nodeConfigFromMc } from "./host.js";

export type SimConfig = Record<string, unknown> & { file: { root: string } };

/** Builds the machine, bus and host from mc/config and starts the node; undefined (logged) when it cannot start. */
export function startSimNode(mc: SimConfig): NodeApp | undefined {
  const seed = typeof mc.seed === "number" ? mc.seed : Number(mc.seed ?? 42) || 42;
  const rpm = typeof mc.rpm === "number" ? mc.rpm : Number(mc.rpm ?? DEFAULT_RPM) || DEFAULT_RPM;
  const machine = new Machine({ seed, ...defaultMachine(rpm) });

  // Simulated time is real time here: the bus, sensors and machine read Time.ticks, from 0 at boot.
  const bus: SimI2CBus = new SimI2CBus({ now: () => now() });
  const host = createModdableHost({
    fileRoot: mc.file.root,
    SMBus: bus.SMBus,
  });
  const t0 = host.clock.now();
  function now(): number {
    return host.clock.now() - t0;
  }

  bus.attach(ADXL345_ADDRESS, new SimADXL345({ now, seed, signal: (axis, t) => machine.acceleration(axis, t) }));
  bus.attach(TMP117_ADDRESS, new SimTMP117({ now, seed: seed + 1, temperature: (t) => machine.temperature(t) }));

  try {
    const app = startNode(host, nodeConfigFromMc(mc));
    host.log("info", `simulated node ${app.nodeId} started (machine ${rpm} rpm, seed ${seed})`);
    return app;
  } catch (e) {
    host.log("error", `cannot start: ${e instanceof Error ? e.message : String(e)}`);
    return undefined;
  }
}
