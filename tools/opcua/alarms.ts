/*
 * A node's alarm transitions (`<prefix>/<nodeId>/alarm`, docs/payloads.md) as
 * OPC UA Alarms and Conditions: one condition per node metric, made at its
 * first transition. A metric with a variable (`x.vRms`, `temp.c`) is a limit
 * alarm (SensorNodeLimitAlarmType: ExclusiveLimitAlarmType with the
 * transition's Value, Limit and Metric as event fields); a sensor fault
 * (`sensor.<part>`) a plain AlarmConditionType. The node decides its levels
 * (delays, hysteresis, latching: docs/monitoring.md), so the conditions never
 * evaluate their input themselves: each follows the node's transitions. A
 * client's Acknowledge is passed to the node as `cmd/ack-alarm`, which
 * releases a latched level there.
 */
import { DataType, StatusCodes, type Namespace, type UAObject, type UAObjectType, type UAVariable, type UAAlarmConditionEx, type UAExclusiveLimitAlarmEx } from "node-opcua";
import { metricPath } from "./payload-map.js";
import type { SensorNodeObject } from "./address-space.js";

/** OPC UA severity (1..1000) of each node level. */
export const SEVERITY = Object.freeze({ normal: 100, warning: 500, alarm: 800, fault: 900 } as Record<string, number>);
/** The limit state an active level puts an exclusive limit alarm in. */
const LIMIT_STATE = Object.freeze({ warning: "High", alarm: "HighHigh" } as Record<string, string>);
export const LIMIT_ALARM_TYPE = "SensorNodeLimitAlarmType";
/** Event fields our limit alarms add to ExclusiveLimitAlarmType. */
export const ALARM_FIELDS = Object.freeze({ value: "Value", limit: "Limit", metric: "Metric" });

export interface AlarmTransition {
  metric: string;
  level: string;
  prev?: string;
  value?: number;
  limit?: number;
  reason?: string;
  detail?: string;
}

/** The alarm type with the node's value and limit as fields; made once per server. */
export function addLimitAlarmType(ns: Namespace): UAObjectType {
  const base = ns.addressSpace.findEventType("ExclusiveLimitAlarmType")!;
  const type = ns.addObjectType({ browseName: LIMIT_ALARM_TYPE, subtypeOf: base, isAbstract: false });
  for (const [name, dataType] of [[ALARM_FIELDS.value, "Double"], [ALARM_FIELDS.limit, "Double"], [ALARM_FIELDS.metric, "String"]] as const) {
    ns.addVariable({ propertyOf: type, browseName: name, dataType, modellingRule: "Mandatory" });
  }
  return type;
}

type Condition = UAAlarmConditionEx | UAExclusiveLimitAlarmEx;

/** One node's conditions. `onAcknowledge(metric)` is called when a client acknowledges one. */
export class NodeAlarms {
  readonly #node: SensorNodeObject;
  readonly #type: UAObjectType;
  readonly #folder: UAObject;
  readonly #conditions = new Map<string, Condition>();
  readonly #onAcknowledge: (metric: string) => void;

  constructor(node: SensorNodeObject, type: UAObjectType, onAcknowledge: (metric: string) => void) {
    this.#node = node;
    this.#type = type;
    this.#onAcknowledge = onAcknowledge;
    this.#folder = node.object.namespace.addObject({ componentOf: node.object, browseName: "Alarms", nodeId: `s=${node.nodeId}/Alarms`, typeDefinition: "FolderType" });
  }

  condition(metric: string): Condition | undefined {
    return this.#conditions.get(metric);
  }

  /** Applies one transition from the node; `time` is the node's `ts`. */
  apply(t: AlarmTransition, time: Date): void {
    const c = this.#conditions.get(t.metric) ?? this.#make(t.metric);
    const active = t.level !== "normal";
    if (field(c, ALARM_FIELDS.limit)) {
      const alarm = c as UAExclusiveLimitAlarmEx;
      if (t.limit !== undefined) {
        field(c, ALARM_FIELDS.limit)!.setValueFromSource({ dataType: DataType.Double, value: t.limit });
        if (t.level === "warning") alarm.setHighLimit(t.limit);
        if (t.level === "alarm") alarm.setHighHighLimit(t.limit);
      }
      if (t.value !== undefined) field(c, ALARM_FIELDS.value)!.setValueFromSource({ dataType: DataType.Double, value: t.value });
      alarm.limitState.setState(LIMIT_STATE[t.level] ?? null);
    }
    const branch = c.currentBranch();
    branch.setActiveState(active);
    // A new active level needs acknowledging; a return to normal keeps whatever acknowledgement is due.
    if (active) branch.setAckedState(false);
    c.raiseNewCondition({
      message: message(t),
      severity: SEVERITY[t.level] ?? SEVERITY.alarm,
      quality: StatusCodes.Good,
      retain: active || !branch.getAckedState(),
      time,
    });
  }

  #make(metric: string): Condition {
    const ns = this.#node.object.namespace as Namespace;
    const path = metricPath(metric);
    const options = { browseName: metric, nodeId: `s=${this.#node.nodeId}/Alarms/${metric}`, componentOf: this.#folder, conditionSource: this.#node.object, conditionName: metric };
    let c: Condition;
    if (path) {
      const input = this.#node.variable(path);
      // NaN limits until the node names them: the limits are the node's, known only from its transitions.
      // Only the high limits: the node's rules are upper limits (its typings want all four; node-opcua takes any).
      const limits = { ...options, inputNode: input, highLimit: NaN, highHighLimit: NaN } as unknown as Parameters<Namespace["instantiateExclusiveLimitAlarm"]>[1];
      const alarm = ns.instantiateExclusiveLimitAlarm(this.#type, limits);
      field(alarm, ALARM_FIELDS.metric)!.setValueFromSource({ dataType: DataType.String, value: metric });
      c = alarm;
    } else {
      c = ns.instantiateAlarmCondition("AlarmConditionType", { ...options, inputNode: this.#node.variable(["State"], "") });
    }
    // The node's own name, as SCADA lists it (node-opcua would show the qualified BrowseName "1:<nodeId>").
    c.sourceName.setValueFromSource({ dataType: DataType.String, value: this.#node.nodeId });
    // The node evaluates its rules; the condition must not re-evaluate them from the input variable.
    (c as unknown as { _onInputDataValueChange(): void })._onInputDataValueChange = () => {};
    c.on("acknowledged", () => this.#onAcknowledge(metric));
    this.#conditions.set(metric, c);
    return c;
  }
}

/** One of our event fields on a condition (a property of the limit alarm type), or null on other conditions. */
const field = (c: Condition, name: string) => c.getChildByName(name) as UAVariable | null;

function message(t: AlarmTransition): string {
  if (t.reason) return `${t.metric} ${t.level}: ${t.reason}${t.detail ? ` (${t.detail})` : ""}`;
  const value = t.value !== undefined ? ` value ${t.value}` : "";
  const limit = t.limit !== undefined ? ` limit ${t.limit}` : "";
  return `${t.metric} ${t.prev ?? "?"} -> ${t.level}${value}${limit}`;
}
