/*
 * Strict command-line parsing: every flag is declared; an unknown flag or a bad
 * value is a UsageError (exit code 2) with a message that names it.
 */
import * as fs from "node:fs";

export class UsageError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * A run that could not do its job (nothing delivered, messages lost, a broker that
 * cannot be reached): one line on stderr, exit code 1.
 */
export class RunError extends Error {
  readonly exitCode = 1;
  constructor(message: string) {
    super(message);
    this.name = "RunError";
  }
}

/**
 * The file an option names, as UTF-8 text (or bytes); unreadable, a UsageError
 * "`what`: cannot read FILE: ENOENT (no such file or folder)" (never a stack).
 */
export function readOptionFile(what: string, file: string): string;
export function readOptionFile(what: string, file: string, bytes: true): Uint8Array;
export function readOptionFile(what: string, file: string, bytes = false): string | Uint8Array {
  try {
    return bytes ? fs.readFileSync(file) : fs.readFileSync(file, "utf8");
  } catch (error) {
    throw new UsageError(`${what}: cannot read ${file}: ${errnoText(error)}`);
  }
}

/** An errno as its code (to search for) and words a user reads: "ENOENT (no such file or folder)". */
export function errnoText(e: unknown, subject?: string): string {
  const code = (e as NodeJS.ErrnoException).code;
  const words: Record<string, string> = {
    ENOENT: subject ? `${subject} does not exist` : "no such file or folder",
    EACCES: "permission denied",
    EPERM: "permission denied",
    EISDIR: "it is a folder",
    ENOTDIR: "a part of the path is not a folder",
    EROFS: "read-only file system",
  };
  return code ? (words[code] ? `${code} (${words[code]})` : code) : (e as Error).message ?? "failed";
}

export type FlagKind = "boolean" | "string" | "number";

export interface FlagSpec {
  kind: FlagKind;
  help: string;
  /** For numbers: the accepted range, and extra words accepted as-is (e.g. "max"). */
  min?: number;
  max?: number;
  words?: string[];
  integer?: boolean;
  /** For strings: the flag may be given more than once; its value is the list, in order. */
  repeat?: boolean;
}

export type Parsed = { flags: Record<string, string | string[] | number | boolean | undefined>; positional: string[] };

export function parseArgs(command: string, argv: string[], specs: Record<string, FlagSpec>, maxPositional: number): Parsed {
  const flags: Parsed["flags"] = {};
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith("--")) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const spec = specs[name];
    if (!spec) throw new UsageError(`${command}: unknown option --${name}${suggest(name, Object.keys(specs))}`);
    if (spec.kind === "boolean") {
      if (eq >= 0) throw new UsageError(`${command}: --${name} takes no value`);
      flags[name] = true;
      continue;
    }
    const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined || (eq < 0 && value.startsWith("--"))) throw new UsageError(`${command}: --${name} needs a value`);
    if (spec.repeat) flags[name] = [...((flags[name] as string[] | undefined) ?? []), value];
    else flags[name] = spec.kind === "number" ? numberValue(command, name, value, spec) : value;
  }
  if (positional.length > maxPositional) throw new UsageError(`${command}: unexpected argument ${JSON.stringify(positional[maxPositional])}`);
  return { flags, positional };
}

function numberValue(command: string, name: string, value: string, spec: FlagSpec): number | string {
  if (spec.words?.includes(value)) return value;
  const n = Number(value);
  const words = spec.words?.length ? ` or ${spec.words.join("/")}` : "";
  if (value.trim() === "" || !Number.isFinite(n)) throw new UsageError(`${command}: --${name} expects a number${words}, got ${JSON.stringify(value)}`);
  if (spec.integer && !Number.isInteger(n)) throw new UsageError(`${command}: --${name} expects a whole number, got ${value}`);
  if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) {
    throw new UsageError(`${command}: --${name} must be between ${spec.min ?? "-inf"} and ${spec.max ?? "inf"}, got ${value}`);
  }
  return n;
}

function suggest(name: string, known: string[]): string {
  const close = known.find((k) => k.startsWith(name.slice(0, 3)) || name.startsWith(k.slice(0, 3)));
  return close ? ` (did you mean --${close}?)` : "";
}

export function helpText(usage: string, specs: Record<string, FlagSpec>): string {
  const lines = Object.entries(specs).map(([name, s]) => {
    const value = s.kind === "boolean" ? "" : s.kind === "number" ? (s.words?.length ? ` N|${s.words.join("|")}` : " N") : " VALUE";
    return `  --${(name + value).padEnd(22)} ${s.help}`;
  });
  return `${usage}\n\nOptions:\n${lines.join("\n")}\n`;
}
