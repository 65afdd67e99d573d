/*
 * The whole node in setup mode, in XS (docs/provisioning.md, "Memory"): a
 * FieldNode with nothing stored on the stub host of tools/xs/cases/stub-host.ts
 * (register stubs, no simulator), so it is unprovisioned: it samples and
 * evaluates every window, publishes nothing and serves its setup page on a stub
 * listener. Built in stages so Node can read slots and chunk bytes after each
 * (tools/xs/bridge.ts, setupMemoryInXs):
 *
 *   {op: "host", spec}      the stub host with a listener
 *   {op: "start"}           new FieldNode (unprovisioned), start()
 *   {op: "windows", count}  `count` more windows
 *   {op: "serve", requests} each request on a connection of its own, answered
 *   {op: "gc"}              a collection
 *
 * Every reply carries `flash` (the storage's append-log bytes, flash on a device),
 * the windows so far, and the answers since the last reply.
 */
import type { Host } from "../../../firmware/host.js";
import { FieldNode } from "../../../firmware/provision/field-node.js";
import { flashBytesHeld, runLoopback } from "./host-parts.js";
import { buildStubHost, STUB_SENSOR_CONFIG, type FirmwareSpec, type StubHost } from "./stub-host.js";
import { StubListener } from "./stub-listener.js";
import { onCommand } from "./runtime.js";

let stub: StubHost | undefined;
let host: Host | undefined;
let listener: StubListener | undefined;
let node: FieldNode | undefined;
/** The build's configuration document the node is made with. */
let config: unknown;

onCommand((msg: { op: string; spec?: FirmwareSpec; count?: number; requests?: string[] }) => {
  switch (msg.op) {
    case "host": {
      stub = buildStubHost(msg.spec!.nodeId, msg.spec!.epochMs);
      const io = { ...stub.host.io, listen: (options: ConstructorParameters<typeof StubListener>[0]) => (listener = new StubListener(options)) };
      host = { ...stub.host, io };
      config = { ...msg.spec!.config, ...STUB_SENSOR_CONFIG, nodeId: msg.spec!.nodeId };
      break;
    }
    case "start": {
      node = new FieldNode(host!, { config });
      node.start();
      if (node.provisioned) throw new Error("setup node: provisioned with nothing stored");
      runLoopback(stub!.clock, stub!.net, node.app, 0);
      break;
    }
    case "windows":
      runLoopback(stub!.clock, stub!.net, node!.app, msg.count ?? 1);
      break;
    case "serve":
      listener!.deliver(msg.requests ?? []);
      break;
    case "gc":
      (globalThis as unknown as { gc?: () => void }).gc?.();
      break;
    default:
      throw new Error(`unknown op ${msg.op}`);
  }
  return { flash: flashBytesHeld(), windows: node?.app.windows ?? 0, published: stub?.net.published ?? 0, answers: listener?.takeAnswers() ?? [] };
});
