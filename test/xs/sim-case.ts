/*
 * XS parity cases for the XS-compatible simulator core: sim/bus.ts, sim/devices/*,
 * sim/machine/machine.ts and sim/clock.ts together, at register level (no driver).
 */
import { VirtualClock } from "../../sim/clock.js";
import { SimI2CBus } from "../../sim/bus.js";
import { SimADXL345, ADXL345_ADDRESS, REG_BW_RATE, REG_DATA_FORMAT, REG_DATAX0, REG_FIFO_CTL, REG_FIFO_STATUS, REG_POWER_CTL } from "../../sim/devices/adxl345.js";
import { SimTMP117, TMP117_ADDRESS } from "../../sim/devices/tmp117.js";
import { Machine } from "../../sim/machine/machine.js";
import { serveCases, type CaseTable } from "../../tools/xs/cases/runtime.js";

export const cases: CaseTable = {
  /** ADXL345 at 3200 Hz in stream mode, FIFO drained in bursts every 5 ms for `ms`; TMP117 read at the end. */
  adxl345Fifo(arg: { seed: number; ms: number }): unknown {
    const clock = new VirtualClock();
    const bus = new SimI2CBus({ now: () => clock.now(), onBusTime: (ms) => clock.advance(ms) });
    const machine = new Machine({
      seed: arg.seed,
      rpm: 1780,
      vibration: [
        { axis: "x", kind: "sine", freq_hz: 29.7, vrms_mm_s: 2.8 },
        { axis: "all", kind: "noise", g_rms: 0.01 },
      ],
      temperature_c: [{ at_s: 0, value: 40 }, { at_s: 1, value: 41 }],
    });
    const now = () => clock.now();
    bus.attach(ADXL345_ADDRESS, new SimADXL345({ now, seed: arg.seed, signal: (axis, t) => machine.acceleration(axis, t) }));
    bus.attach(TMP117_ADDRESS, new SimTMP117({ now, seed: arg.seed + 1, temperature: (t) => machine.temperature(t) }));
    const accel = bus.smbus({ address: ADXL345_ADDRESS });
    const temp = bus.smbus({ address: TMP117_ADDRESS });
    accel.writeUint8(REG_BW_RATE, 0x0f); // 3200 Hz
    accel.writeUint8(REG_DATA_FORMAT, 0x0b); // full resolution, +-16 g
    accel.writeUint8(REG_FIFO_CTL, (2 << 6) | 16); // stream, watermark 16
    accel.writeUint8(REG_POWER_CTL, 0x08); // measure
    const burst = new Uint8Array(6);
    let sum = 0;
    let samples = 0;
    const firstBytes: number[] = [];
    clock.set(() => {
      const entries = accel.readUint8(REG_FIFO_STATUS) & 0x3f;
      for (let i = 0; i < entries; i++) {
        accel.readBuffer(REG_DATAX0, burst);
        for (let j = 0; j < 6; j++) sum = (sum * 31 + burst[j]) >>> 0;
        if (firstBytes.length < 60) firstBytes.push(...burst);
        samples++;
      }
    }, 5, 5);
    clock.runUntil(arg.ms);
    const tempRaw = temp.readUint16(0x00, true);
    return { samples, sum, firstBytes, tempRaw, now: clock.now(), busyMs: bus.busyMs, bytesOnWire: bus.bytesOnWire, transfers: bus.transfers };
  },
};

serveCases(cases);
