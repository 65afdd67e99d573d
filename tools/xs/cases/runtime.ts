/*
 * XS side of the test harness (tools/xs/harness.ts). Plain ECMAScript only: it is
 * bundled with the module under test into one script and evaluated in xsnap.
 *
 *   emit(value)        sends `value` as JSON to Node (collected in `results`)
 *   onCommand(handler) Node's `session.command(msg)` calls `handler(msg)`; its
 *                      return value goes back to Node as JSON (`reply`)
 *
 * The same modules run in Node too (parity): there `emit` and `onCommand` are
 * inert unless a Node-side collector is installed with `setNodeSink`.
 */

type Json = unknown;

interface XsGlobals {
  issueCommand?: (bytes: ArrayBuffer) => ArrayBuffer;
  handleCommand?: (bytes: ArrayBuffer) => ArrayBuffer;
  print?: (...args: unknown[]) => void;
}

const g = globalThis as unknown as XsGlobals;
let nodeSink: ((value: Json) => void) | undefined;

/** True inside xsnap (the worker provides `issueCommand`). */
export const inXs = typeof g.issueCommand === "function" && typeof g.print === "function";

/** JSON that keeps typed arrays as plain arrays and non-finite numbers visible. */
export function toJson(value: Json): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Array.from(v as unknown as ArrayLike<number>);
    if (typeof v === "number" && !Number.isFinite(v)) return { nonFinite: String(v) };
    if (typeof v === "bigint") return { bigint: v.toString() };
    return v;
  });
}

function encode(text: string): ArrayBuffer {
  const bytes = new TextEncoder().encode(text);
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/** Sends one result to Node. */
export function emit(value: Json): void {
  if (inXs) g.issueCommand!(encode(toJson(value)));
  else if (nodeSink) nodeSink(JSON.parse(toJson(value)));
}

/** Node-side parity runs: where `emit` goes when not in XS. */
export function setNodeSink(sink: ((value: Json) => void) | undefined): void {
  nodeSink = sink;
}

/** Installs the XS command handler (messages from Node's `session.command`). */
export function onCommand(handler: (message: any) => Json): void {
  g.handleCommand = (bytes: ArrayBuffer): ArrayBuffer => {
    const message = JSON.parse(new TextDecoder().decode(new Uint8Array(bytes)));
    let reply: Json;
    try {
      reply = { ok: handler(message) ?? null };
    } catch (e) {
      const err = e as Error;
      reply = { error: String(err && err.message ? err.message : err), stack: err && err.stack ? String(err.stack) : undefined };
    }
    return encode(toJson(reply));
  };
}

/**
 * A table of named cases (functions of one JSON argument returning JSON). Installed
 * as the command handler in XS: `{case: name, arg}` runs one case. Node runs the
 * same table directly, so both sides execute the same code on the same input.
 */
export type CaseTable = Record<string, (arg: any) => Json>;

export function serveCases(cases: CaseTable): void {
  onCommand((message: { case: string; arg?: unknown }) => {
    const fn = cases[message.case];
    if (!fn) throw new Error(`unknown case ${message.case}`);
    return fn(message.arg);
  });
}

/** Runs a case the way the XS side does (through JSON both ways), in this engine. */
export function runCaseHere(cases: CaseTable, name: string, arg?: unknown): Json {
  const fn = cases[name];
  if (!fn) throw new Error(`unknown case ${name}`);
  return JSON.parse(toJson(fn(arg === undefined ? undefined : JSON.parse(toJson(arg))) ?? null));
}
