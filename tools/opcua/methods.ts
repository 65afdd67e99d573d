/*
 * The node's commands as OPC UA Methods on its object. Each publishes the
 * command and returns the node's ack: Ok (Boolean) and Ack (the ack's JSON
 * text); the call's status is Good whenever the node answered (a refusal is
 * Ok = false with the node's reason), BadTimeout when it did not answer in
 * time, BadInvalidArgument for a SetConfig argument that is not a JSON object.
 */
import { DataType, StatusCodes, type CallMethodResultOptions, type ISessionContext, type UAMethod, type Variant } from "node-opcua";
import { SENSOR_NODE_TYPE, type FleetAddressSpace, type SensorNodeObject } from "./address-space.js";
import type { CommandChannel } from "./commands.js";

interface MethodSpec {
  /** The node's command (`cmd/<command>`). */
  command: string;
  description: string;
  /** One String input argument, if any, and how it becomes the command's body. */
  input?: { name: string; description: string; body(text: string): unknown };
}

/** A JSON object from a method's text argument, else undefined. */
function jsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(text);
    return typeof v === "object" && v !== null && !Array.isArray(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

export const METHODS: Readonly<Record<string, MethodSpec>> = Object.freeze({
  AcknowledgeAlarm: {
    command: "ack-alarm",
    description: "releases latched alarm levels on the node (cmd/ack-alarm)",
    input: { name: "Metric", description: "the rule's metric (x.vRms, temp.c, ...); empty: every rule", body: (m: string) => (m ? { metric: m } : {}) },
  },
  ResetBaseline: { command: "reset-baseline", description: "forgets the learned baseline and learns again (cmd/reset-baseline)" },
  Capture: { command: "capture", description: "publishes one window's waveforms and spectra (cmd/capture)" },
  Restart: { command: "restart", description: "restarts the node's firmware (cmd/restart)" },
  SetConfig: {
    command: "config",
    description: "a partial configuration as a JSON object, validated whole by the node (cmd/config)",
    input: { name: "Config", description: "JSON object, e.g. {\"monitor\":{\"iso\":false}}", body: jsonObject },
  },
});

const OUTPUTS = [
  { name: "Ok", dataType: DataType.Boolean, description: "the node carried the command out" },
  { name: "Ack", dataType: DataType.String, description: "the node's ack, as JSON" },
];

/**
 * The methods, made once as components of the nodes' ObjectType, and a
 * component of each node's object too (a Method may be shared; OPC 10000-6
 * F.9 names the single-parent case): a client browses them from the node and
 * calls them with the node as the object, which says which node is meant.
 */
export class NodeMethods {
  readonly #methods: UAMethod[] = [];

  constructor(fleet: FleetAddressSpace, channel: CommandChannel) {
    const ns = fleet.ns;
    for (const [name, spec] of Object.entries(METHODS)) {
      const method = ns.addMethod(fleet.type, {
        browseName: name,
        nodeId: `s=${SENSOR_NODE_TYPE}/${name}`,
        description: spec.description,
        inputArguments: spec.input ? [{ name: spec.input.name, dataType: DataType.String, description: spec.input.description }] : [],
        outputArguments: OUTPUTS,
      });
      // Two parameters: node-opcua tells a promise-returning method from a callback one by its arity.
      method.bindMethod(async (args: Variant[], context: ISessionContext): Promise<CallMethodResultOptions> => {
        const node = fleet.byObject(context.object);
        if (!node) return { statusCode: StatusCodes.BadMethodInvalid };
        const body = spec.input ? spec.input.body(String(args[0]?.value ?? "")) : {};
        if (body === undefined) return { statusCode: StatusCodes.BadInvalidArgument };
        const outcome = await channel.send(node.nodeId, spec.command, body);
        if ("timeout" in outcome) return { statusCode: StatusCodes.BadTimeout };
        return {
          statusCode: StatusCodes.Good,
          outputArguments: [
            { dataType: DataType.Boolean, value: outcome.ack.ok === true },
            { dataType: DataType.String, value: JSON.stringify(outcome.ack) },
          ],
        };
      });
      this.#methods.push(method);
    }
  }

  /** The methods as components of a new node's object. */
  attach(node: SensorNodeObject): void {
    for (const m of this.#methods) node.object.addReference({ referenceType: "HasComponent", nodeId: m.nodeId });
  }
}
