/*
 * XS parity case for the Improv service (firmware/provision/improv-service.ts)
 * on the simulated UART and Wi-Fi, in virtual time: one fixed session (requests,
 * a wrong and a right password, malformed packets, noise). Runs in XS (bundled,
 * served through `serveCases`) and in Node (test/xs-improv.test.ts).
 */
import { VirtualClock } from "../../sim/clock.js";
import { simSerialClass } from "../../sim/serial.js";
import { SimWifi } from "../../sim/wifi.js";
import { ImprovService } from "../../firmware/provision/improv-service.js";
import { WifiOnlyTarget } from "../../firmware/provision/wifi-only-target.js";
import type { Host } from "../../firmware/host.js";
import { serveCases, type CaseTable } from "../../tools/xs/cases/runtime.js";
import { ASK_INFO, ASK_SCAN, ASK_STATE, b, IMPROV } from "../helpers/improv.js";

export const cases: CaseTable = {
  session(): { wire: number[]; logs: string[] } {
    const clock = new VirtualClock();
    const wire: number[] = [];
    const logs: string[] = [];
    let listener: ((bytes: Uint8Array) => void) | undefined;
    const Serial = simSerialClass({ write: (bytes) => void wire.push(...Array.from(bytes)), listen: (l) => void (listener = l) }, clock);
    const wifi = new SimWifi([{ ssid: "plant", password: "plant-secret", rssi: -60 }], clock);
    const host = { io: { Serial }, wifi, hardwareId: "02:00:5e:10:1a:2b" } as unknown as Host;
    const service = new ImprovService({ serial: Serial, target: new WifiOnlyTarget(host, "esp32"), log: (level, message) => void logs.push(`${level}: ${message}`) });
    service.start();
    const noise: number[] = [];
    for (let i = 0, x = 1; i < 600; i++) noise.push((x = (x * 73 + 41) % 251));
    const script: Uint8Array[] = [
      ASK_STATE,
      ASK_INFO,
      ASK_SCAN,
      b(IMPROV, "03 17", "01 15 05", "plant", "0e", "not-the-secret", "b2"),
      b(IMPROV, "03 15", "01 13 05", "plant", "0c", "plant-secret", "0c"),
      b(IMPROV, "03 02", "07 00", "ea"),
      b(IMPROV, "03 02", "02 00", "e4"),
      new Uint8Array(noise),
      ASK_STATE,
    ];
    for (const bytes of script) {
      listener?.(bytes);
      clock.runUntil(clock.now() + 10_000);
    }
    service.stop();
    return { wire, logs };
  },
};

serveCases(cases);
