/*
 * A variable's value, written at fleet rate. node-opcua's setValueFromSource
 * coerces and checks a new Variant, clones the previous DataValue to compare
 * it, builds a new DataValue and clones it again for the change event: about
 * 4 us and half a dozen objects per write, each living a window long, which at
 * 2,000 nodes x 36 values a second kept the gateway's core busy and its heap
 * promoting garbage (docs/opcua.md, "Bench").
 *
 * So a Good value of the variable's own type is written in place: the
 * DataValue the variable holds takes the new value and timestamps, and only
 * the change listeners (monitored items, an alarm's input) get a copy, when
 * there are any. In place is safe because node-opcua hands out a Good
 * DataValue only as a clone (UAVariable.readValue clones it); a Bad one it
 * may hand out as is, so every status change (first value, offline, back
 * online) takes setValueFromSource, which puts a new DataValue in place.
 */
import { DataType, DataValue, StatusCodes, VariantArrayType, type StatusCode, type UAVariable } from "node-opcua";

export type SlotValue = number | string | boolean;

export const dataTypeOf = (v: SlotValue): DataType => (typeof v === "number" ? DataType.Double : typeof v === "boolean" ? DataType.Boolean : DataType.String);

/** node-opcua's current DataValue of a variable (not in its typings; checked before use). */
const held = (v: UAVariable) => (v as unknown as { $dataValue?: unknown }).$dataValue;

export class ValueSlot {
  readonly variable: UAVariable;
  readonly dataType: DataType;

  constructor(variable: UAVariable, dataType: DataType) {
    this.variable = variable;
    this.dataType = dataType;
  }

  /** A Good value stamped `at` (source and server timestamp); false, and nothing written, for a value of another type. */
  write(value: SlotValue, at: Date): boolean {
    if (dataTypeOf(value) !== this.dataType) return false;
    const dv = held(this.variable);
    if (dv instanceof DataValue && dv.statusCode.value === StatusCodes.Good.value && dv.value.dataType === this.dataType && dv.value.arrayType === VariantArrayType.Scalar) {
      dv.value.value = value;
      dv.sourceTimestamp = dv.serverTimestamp = at;
      dv.sourcePicoseconds = dv.serverPicoseconds = 0;
      if (this.variable.listenerCount("value_changed") > 0) this.variable.emit("value_changed", dv.clone());
    } else {
      this.variable.setValueFromSource({ dataType: this.dataType, value }, StatusCodes.Good, at);
    }
    return true;
  }

  /** The value kept with another status (the node went offline). */
  mark(status: StatusCode, at: Date): void {
    this.variable.setValueFromSource(this.variable.readValue().value, status, at);
  }
}
