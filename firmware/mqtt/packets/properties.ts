/*
 * MQTT 5 properties (section 2.2.2): the identifier/type table, which packets
 * may carry each one, and the encoder/decoder of a property block
 * (variable-byte length, then identifier + value pairs).
 *
 * Rules enforced on both sides: a property in a packet that does not allow it,
 * an unknown identifier, a repeated non-repeatable property (only User Property,
 * and Subscription Identifier in PUBLISH, repeat), values out of range
 * (Receive Maximum, Maximum Packet Size, Topic Alias, Subscription Identifier
 * of 0; booleans other than 0/1; Maximum QoS above 1) and a block whose length
 * does not match its contents are malformed-packet errors.
 */
import { checkString, Reader, utf8Length, varintLength, Writer } from "../bytes.js";
import { MAX_STRING_BYTES, MAX_VARINT, PacketType } from "../packet.js";
import { checkTopicName } from "../topic.js";

/** Property value types. */
const BOOL = 0; // a byte, 0 or 1 (a boolean in the object, as mqtt-packet)
const U8 = 1;
const U16 = 2;
const U32 = 3;
const VAR = 4;
const STR = 5;
const PAIR = 6;
const BIN = 7;

/** Where a property block sits: a packet type (bit 1 << type) or the will of a CONNECT. */
export const IN_WILL = 1 << 16;
const C = (t: number) => 1 << t;
const CONNECT = C(PacketType.connect);
const CONNACK = C(PacketType.connack);
const PUBLISH = C(PacketType.publish);
const ACKS = C(PacketType.puback) | C(PacketType.pubrec) | C(PacketType.pubrel) | C(PacketType.pubcomp);
const SUBSCRIBE = C(PacketType.subscribe);
const SUBACK = C(PacketType.suback);
const UNSUBSCRIBE = C(PacketType.unsubscribe);
const UNSUBACK = C(PacketType.unsuback);
const DISCONNECT = C(PacketType.disconnect);
const AUTH = C(PacketType.auth);
const EVERYWHERE = CONNECT | CONNACK | PUBLISH | ACKS | SUBSCRIBE | SUBACK | UNSUBSCRIBE | UNSUBACK | DISCONNECT | AUTH | IN_WILL;

/** Property-block context of a packet type (1 << type). */
export function contextOf(type: number): number {
  return 1 << type;
}

interface PropertyDef {
  id: number;
  name: string;
  type: number;
  /** Contexts that may carry it. */
  where: number;
  /** Contexts where it may appear more than once. */
  repeat: number;
  /** Smallest allowed value (numbers). */
  min: number;
  /** Largest allowed value (numbers). */
  max: number;
  /** A string that must be a valid topic name (Response Topic). */
  topic: boolean;
}

function def(id: number, name: string, type: number, where: number, extra?: Partial<PropertyDef>): PropertyDef {
  const max = type === BOOL ? 1 : type === U8 ? 0xff : type === U16 ? 0xffff : type === U32 ? 0xffffffff : MAX_VARINT;
  return Object.freeze({ id, name, type, where, repeat: 0, min: 0, max, topic: false, ...extra });
}

/** Every MQTT 5 property (section 2.2.2.2, table 2-4). */
export const PROPERTIES: readonly PropertyDef[] = Object.freeze([
  def(0x01, "payloadFormatIndicator", BOOL, PUBLISH | IN_WILL),
  def(0x02, "messageExpiryInterval", U32, PUBLISH | IN_WILL),
  def(0x03, "contentType", STR, PUBLISH | IN_WILL),
  def(0x08, "responseTopic", STR, PUBLISH | IN_WILL, { topic: true }),
  def(0x09, "correlationData", BIN, PUBLISH | IN_WILL),
  def(0x0b, "subscriptionIdentifier", VAR, PUBLISH | SUBSCRIBE, { repeat: PUBLISH, min: 1 }),
  def(0x11, "sessionExpiryInterval", U32, CONNECT | CONNACK | DISCONNECT),
  def(0x12, "assignedClientIdentifier", STR, CONNACK),
  def(0x13, "serverKeepAlive", U16, CONNACK),
  def(0x15, "authenticationMethod", STR, CONNECT | CONNACK | AUTH),
  def(0x16, "authenticationData", BIN, CONNECT | CONNACK | AUTH),
  def(0x17, "requestProblemInformation", BOOL, CONNECT),
  def(0x18, "willDelayInterval", U32, IN_WILL),
  def(0x19, "requestResponseInformation", BOOL, CONNECT),
  def(0x1a, "responseInformation", STR, CONNACK),
  def(0x1c, "serverReference", STR, CONNACK | DISCONNECT),
  def(0x1f, "reasonString", STR, CONNACK | ACKS | SUBACK | UNSUBACK | DISCONNECT | AUTH),
  def(0x21, "receiveMaximum", U16, CONNECT | CONNACK, { min: 1 }),
  def(0x22, "topicAliasMaximum", U16, CONNECT | CONNACK),
  def(0x23, "topicAlias", U16, PUBLISH, { min: 1 }),
  def(0x24, "maximumQoS", U8, CONNACK, { max: 1 }),
  def(0x25, "retainAvailable", BOOL, CONNACK),
  def(0x26, "userProperties", PAIR, EVERYWHERE, { repeat: EVERYWHERE }),
  def(0x27, "maximumPacketSize", U32, CONNECT | CONNACK, { min: 1 }),
  def(0x28, "wildcardSubscriptionAvailable", BOOL, CONNACK),
  def(0x29, "subscriptionIdentifiersAvailable", BOOL, CONNACK),
  def(0x2a, "sharedSubscriptionAvailable", BOOL, CONNACK),
]);

const BY_ID: (PropertyDef | undefined)[] = [];
const BY_NAME: { [name: string]: PropertyDef } = Object.create(null);
for (const p of PROPERTIES) {
  BY_ID[p.id] = p;
  BY_NAME[p.name] = p;
}
Object.freeze(BY_ID);
Object.freeze(BY_NAME);

/** Identifier of a property by its object name (e.g. "topicAlias" -> 0x23), or undefined. */
export function propertyId(name: string): number | undefined {
  return BY_NAME[name]?.id;
}

const CONTEXT_NAMES: { [bit: number]: string } = { [IN_WILL]: "will properties" };
for (const k in PacketType) CONTEXT_NAMES[1 << PacketType[k as keyof typeof PacketType]] = k.toUpperCase();
Object.freeze(CONTEXT_NAMES);

function hasOwn(o: object, k: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, k);
}

function checkNumber(d: PropertyDef, v: unknown): string | undefined {
  if (typeof v !== "number" || !Number.isInteger(v) || v < d.min || v > d.max) return `invalid ${d.name} ${String(v)}`;
  return undefined;
}

/** Bytes one value of `d` takes (identifier included), or a reason string. */
function valueLength(d: PropertyDef, v: unknown): number | string {
  switch (d.type) {
    case BOOL:
      return typeof v === "boolean" ? 2 : `invalid ${d.name} ${String(v)} (a boolean)`;
    case U8:
      return checkNumber(d, v) ?? 2;
    case U16:
      return checkNumber(d, v) ?? 3;
    case U32:
      return checkNumber(d, v) ?? 5;
    case VAR:
      return checkNumber(d, v) ?? 1 + varintLength(v as number);
    case STR: {
      const bad = checkString(v, d.name) ?? (d.topic ? checkTopicName(v as string) : undefined);
      return bad ?? 3 + utf8Length(v as string);
    }
    case BIN:
      if (!(v instanceof Uint8Array)) return `${d.name} is not a Uint8Array`;
      return v.length > MAX_STRING_BYTES ? `${d.name} longer than 65535 bytes` : 3 + v.length;
    default: {
      // PAIR: { name: value | [values] }
      if (typeof v !== "object" || v === null || Array.isArray(v)) return "userProperties is not an object";
      const up = v as { [k: string]: unknown };
      let n = 0;
      for (const k in up) {
        if (!hasOwn(up, k)) continue;
        const value = up[k];
        const bad = checkString(k, "user property name");
        if (bad !== undefined) return bad;
        const kn = 1 + 2 + utf8Length(k) + 2;
        if (Array.isArray(value)) {
          for (const one of value) {
            const b = checkString(one, `user property "${k}"`);
            if (b !== undefined) return b;
            n += kn + utf8Length(one as string);
          }
        } else {
          const b = checkString(value, `user property "${k}"`);
          if (b !== undefined) return b;
          n += kn + utf8Length(value as string);
        }
      }
      return n;
    }
  }
}

/**
 * Length of the property block's contents (without its own length prefix) for
 * `props` in `context`, or a reason string. Absent/undefined props measure 0.
 */
export function measureProperties(props: object | undefined, context: number): number | string {
  if (props === undefined) return 0;
  if (typeof props !== "object" || props === null || Array.isArray(props)) return "properties is not an object";
  const o = props as { [k: string]: unknown };
  let n = 0;
  for (const name in o) {
    if (!hasOwn(o, name)) continue;
    const v = o[name];
    if (v === undefined) continue;
    const d = BY_NAME[name];
    if (d === undefined) return `unknown property "${name}"`;
    if ((d.where & context) === 0) return `property ${name} not allowed in ${CONTEXT_NAMES[context]}`;
    if (Array.isArray(v) && d.type !== PAIR) {
      if ((d.repeat & context) === 0) return `property ${name} cannot repeat in ${CONTEXT_NAMES[context]}`;
      for (const one of v) {
        const len = valueLength(d, one);
        if (typeof len === "string") return len;
        n += len;
      }
      continue;
    }
    const len = valueLength(d, v);
    if (typeof len === "string") return len;
    n += len;
  }
  if (n > MAX_VARINT) return "properties too large";
  return n;
}

function writeValue(w: Writer, d: PropertyDef, v: unknown): void {
  if (d.type === PAIR) {
    const up = v as { [k: string]: string | string[] };
    for (const k in up) {
      if (!hasOwn(up, k)) continue;
      const value = up[k];
      if (Array.isArray(value)) {
        for (const one of value) {
          w.u8(d.id);
          w.str(k);
          w.str(one);
        }
      } else {
        w.u8(d.id);
        w.str(k);
        w.str(value);
      }
    }
    return;
  }
  w.u8(d.id);
  switch (d.type) {
    case BOOL:
      w.u8(v ? 1 : 0);
      break;
    case U8:
      w.u8(v as number);
      break;
    case U16:
      w.u16(v as number);
      break;
    case U32:
      w.u32(v as number);
      break;
    case VAR:
      w.varint(v as number);
      break;
    case STR:
      w.str(v as string);
      break;
    default:
      w.bin(v as Uint8Array);
  }
}

/** Writes the block (length prefix, then the properties in the object's key order); `length` from measureProperties. */
export function writeProperties(w: Writer, props: object | undefined, length: number): void {
  w.varint(length);
  if (length === 0 || props === undefined) return;
  const o = props as { [k: string]: unknown };
  for (const name in o) {
    if (!hasOwn(o, name)) continue;
    const v = o[name];
    if (v === undefined) continue;
    const d = BY_NAME[name]!;
    if (Array.isArray(v) && d.type !== PAIR) for (const one of v) writeValue(w, d, one);
    else writeValue(w, d, v);
  }
}

/** True when a properties object has at least one defined value. */
export function hasProperties(props: object | undefined): boolean {
  if (props === undefined || props === null) return false;
  for (const k in props) if ((props as { [k: string]: unknown })[k] !== undefined) return true;
  return false;
}

/** Bytes a property block takes on the wire (prefix included) for contents of `length`. */
export function blockLength(length: number): number {
  return varintLength(length) + length;
}

/**
 * Reads a property block in `context`. Returns the properties object, or
 * undefined when the block is empty or on error (then `r.error` is set).
 */
export function readProperties(r: Reader, context: number): { [name: string]: unknown } | undefined {
  const length = r.varint("property length");
  if (r.error !== undefined) return undefined;
  if (length === 0) return undefined;
  if (length > r.remaining) {
    r.fail(`property length ${length} beyond the end of the packet`);
    return undefined;
  }
  const outerEnd = r.end;
  const end = r.pos + length;
  r.end = end;
  const out: { [name: string]: unknown } = {};
  while (r.pos < end && r.error === undefined) {
    const id = r.u8("property identifier");
    const d = BY_ID[id];
    if (d === undefined) {
      r.fail(`unknown property identifier 0x${id.toString(16)}`);
      break;
    }
    if ((d.where & context) === 0) {
      r.fail(`property ${d.name} not allowed in ${CONTEXT_NAMES[context]}`);
      break;
    }
    if (d.type === PAIR) {
      const k = r.str("user property name");
      const v = r.str("user property value");
      if (r.error !== undefined) break;
      let up = out.userProperties as { [k: string]: string | string[] } | undefined;
      if (up === undefined) out.userProperties = up = Object.create(null) as { [k: string]: string | string[] };
      const prev = up[k];
      if (prev === undefined) up[k] = v;
      else if (Array.isArray(prev)) prev.push(v);
      else up[k] = [prev, v];
      continue;
    }
    let v: unknown;
    switch (d.type) {
      case BOOL:
      case U8:
        v = r.u8(d.name);
        break;
      case U16:
        v = r.u16(d.name);
        break;
      case U32:
        v = r.u32(d.name);
        break;
      case VAR:
        v = r.varint(d.name);
        break;
      case STR:
        v = r.str(d.name);
        break;
      default:
        v = r.bin(d.name);
    }
    if (r.error !== undefined) break;
    if (d.type <= VAR && ((v as number) < d.min || (v as number) > d.max)) {
      r.fail(`invalid ${d.name} ${v as number}`);
      break;
    }
    if (d.topic) {
      const bad = checkTopicName(v as string);
      if (bad !== undefined) {
        r.fail(`${d.name}: ${bad}`);
        break;
      }
    }
    if (d.type === BOOL) v = v === 1;
    const prev = out[d.name];
    if (prev === undefined) {
      out[d.name] = v;
    } else if ((d.repeat & context) === 0) {
      r.fail(`duplicate property ${d.name}`);
      break;
    } else if (Array.isArray(prev)) {
      prev.push(v);
    } else {
      out[d.name] = [prev, v];
    }
  }
  if (r.error === undefined && r.pos !== end) r.fail("property length does not match its properties");
  r.end = outerEnd;
  if (r.error !== undefined) return undefined;
  return out;
}
