/*
 * Configuration changed by command (`cmd/config`) is kept in Host storage as a
 * partial document over the build-time configuration, with a version number
 * that the status message reports. A stored document that no longer parses or
 * validates is reported and ignored: the node boots with what it was built with.
 */
import type { Storage } from "../host.js";
import { ConfigError, mergePartial, resolveConfig, type NodeConfig } from "./config.js";

const KEY = "config";

export interface StoredConfig {
  version: number;
  overrides: Record<string, unknown>;
  /** Why the stored document was ignored, if it was. */
  error?: string;
}

export function loadStoredConfig(storage: Storage): StoredConfig {
  const text = storage.get(KEY);
  if (text === undefined) return { version: 0, overrides: {} };
  try {
    const doc = JSON.parse(text) as { version?: unknown; overrides?: unknown };
    if (typeof doc.version !== "number" || !Number.isInteger(doc.version) || doc.version < 0) throw new Error("no version");
    if (typeof doc.overrides !== "object" || doc.overrides === null || Array.isArray(doc.overrides)) throw new Error("no overrides");
    return { version: doc.version, overrides: doc.overrides as Record<string, unknown> };
  } catch (error) {
    return { version: 0, overrides: {}, error: `stored configuration is corrupt (${error instanceof Error ? error.message : String(error)}); using the build-time configuration` };
  }
}

export function saveStoredConfig(storage: Storage, config: StoredConfig): void {
  storage.set(KEY, JSON.stringify({ version: config.version, overrides: config.overrides }));
}

/**
 * The configuration to run: `document` (a partial over the defaults) with the
 * stored overrides on top. Overrides that no longer validate (a firmware update
 * changed the rules) are dropped, and the returned `stored.error` says so.
 * Throws ConfigError when `document` itself is invalid.
 */
export function resolveWithStored(storage: Storage, document: unknown): { config: NodeConfig; stored: StoredConfig } {
  const stored = loadStoredConfig(storage);
  try {
    return { config: resolveConfig(mergePartial(document, stored.overrides)), stored };
  } catch (error) {
    if (!(error instanceof ConfigError) || !Object.keys(stored.overrides).length) throw error;
    const reason = `stored configuration no longer valid (${error.message}); using the build-time configuration`;
    return { config: resolveConfig(document), stored: { version: stored.version, overrides: {}, error: reason } };
  }
}
