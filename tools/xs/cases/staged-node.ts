/*
 * The stages of a whole node on the stub host that the firmware cases share
 * (tools/xs/cases/firmware-case.ts, tools/bench/xs-ota-update-case.ts), so
 * Node can read the heap after each:
 *
 *   {op: "construct", spec} new NodeApp on the stub host's sensors
 *   {op: "start"}           start(), the broker's replies delivered
 *   {op: "windows", count}  `count` more windows on the loopback broker
 *   {op: "gc"}              a collection
 */
import type { Host } from "../../../firmware/host.js";
import { NodeApp } from "../../../firmware/app/node.js";
import { runLoopback } from "./host-parts.js";
import { STUB_SENSOR_CONFIG, type FirmwareSpec, type StubHost } from "./stub-host.js";

export interface StageMessage {
  op: string;
  spec?: FirmwareSpec;
  count?: number;
}

export class StagedNode {
  app: NodeApp | undefined;

  /** Runs `msg` if it is one of the shared stages, on `stub` (its host, or `host` built over it); false for any other op. */
  run(msg: StageMessage, stub: StubHost, host: Host = stub.host): boolean {
    switch (msg.op) {
      case "construct":
        this.app = new NodeApp(host, { ...msg.spec!.config, ...STUB_SENSOR_CONFIG, nodeId: msg.spec!.nodeId });
        return true;
      case "start":
        this.app!.start();
        runLoopback(stub.clock, stub.net, this.app!, 0);
        return true;
      case "windows":
        runLoopback(stub.clock, stub.net, this.app!, msg.count ?? 1);
        return true;
      case "gc":
        (globalThis as unknown as { gc?: () => void }).gc?.();
        return true;
    }
    return false;
  }
}
