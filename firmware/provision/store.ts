/*
 * Where provisioning lives (docs/provisioning.md, "Storage"): the settings as one
 * JSON record under the key "provision" (Preference/NVS on the device), the PEM
 * certificates and key in files (the Host's logs: NVS strings are small), and the
 * node's setup key under "setupKey".
 *
 * Certificates are written to one of two slots of files (a, b) and the record,
 * written last, names the slot: a power cut during an update leaves the old
 * record and the old slot's files, never a mix. The slot no longer named is
 * then emptied (no old private key stays behind).
 */
import type { Host, Storage } from "../host.js";
import { utf8Decode, utf8Encode } from "../util/utf8.js";
import { concat } from "../util/bytes.js";
import type { Settings } from "./settings.js";

const RECORD_KEY = "provision";
const SETUP_KEY = "setupKey";
const PEM_FIELDS = Object.freeze(["ca", "cert", "key"] as const);
/** The setup key's symbols: no 0/O or 1/I to confuse when read off a serial console. */
const KEY_SYMBOLS = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
const KEY_LENGTH = 12;

export class ProvisionStore {
  #storage: Storage;

  constructor(storage: Storage) {
    this.#storage = storage;
  }

  /** True once provisioned settings were saved (a factory reset clears them). */
  get saved(): boolean {
    return this.#storage.get(RECORD_KEY) !== undefined;
  }

  /** The stored settings ({} when none, or when the record is unreadable: the node is then provisionable again). */
  load(): Settings {
    const text = this.#storage.get(RECORD_KEY);
    if (text === undefined) return {};
    let record: Settings & { slot?: string };
    try {
      record = JSON.parse(text);
    } catch {
      return {};
    }
    const slot = record.slot === "b" ? "b" : "a";
    delete record.slot;
    for (const field of PEM_FIELDS) {
      const pem = this.#readPem(slot, field);
      if (pem !== undefined) record[field] = pem;
    }
    return record;
  }

  /** Saves `settings` whole (they were checked: settings.ts checkForm). */
  save(settings: Settings): void {
    const old = this.#slot();
    const slot = this.saved && old === "a" ? "b" : "a";
    const record: Record<string, unknown> = { slot };
    for (const k of Object.keys(settings) as (keyof Settings)[]) if (!(PEM_FIELDS as readonly string[]).includes(k)) record[k] = settings[k];
    for (const field of PEM_FIELDS) this.#writePem(slot, field, settings[field]);
    this.#storage.set(RECORD_KEY, JSON.stringify(record));
    if (old !== slot) for (const field of PEM_FIELDS) this.#writePem(old, field, undefined);
  }

  /** Forgets every provisioned setting and the setup key (a factory reset). */
  clear(): void {
    this.#storage.delete(RECORD_KEY);
    this.#storage.delete(SETUP_KEY);
    for (const slot of ["a", "b"]) for (const field of PEM_FIELDS) this.#writePem(slot, field, undefined);
  }

  /** The node's setup key, made (random, from the host's strong source when it has one) and stored on first use. */
  setupKey(host: Host): string {
    const stored = this.#storage.get(SETUP_KEY);
    if (stored !== undefined) return stored;
    const bytes = new Uint8Array(KEY_LENGTH);
    if (host.fillRandom) host.fillRandom(bytes);
    else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
    let key = "";
    for (let i = 0; i < KEY_LENGTH; i++) key += (i && i % 4 === 0 ? "-" : "") + KEY_SYMBOLS[bytes[i] & 31];
    this.#storage.set(SETUP_KEY, key);
    return key;
  }

  #slot(): string {
    try {
      return JSON.parse(this.#storage.get(RECORD_KEY) ?? "{}").slot === "b" ? "b" : "a";
    } catch {
      return "a";
    }
  }

  #readPem(slot: string, field: string): string | undefined {
    const log = this.#storage.openLog(`prov-${slot}-${field}`);
    if (!log.size()) return undefined;
    const parts: Uint8Array[] = [];
    log.readAll((chunk) => parts.push(chunk));
    return utf8Decode(parts.length === 1 ? parts[0] : concat(parts));
  }

  #writePem(slot: string, field: string, pem: string | undefined): void {
    const log = this.#storage.openLog(`prov-${slot}-${field}`);
    log.clear();
    if (pem !== undefined) log.append(utf8Encode(pem));
  }
}

/** The setup key as typed: case and separators do not matter. */
export function normalizeKey(key: string): string {
  return key.toUpperCase().replace(/[^A-Z0-9]/g, "");
}

/** Compares two keys in time independent of where they differ (no timing oracle for the key). */
export function sameKey(given: string, key: string): boolean {
  const a = normalizeKey(given);
  const b = normalizeKey(key);
  let diff = a.length ^ b.length;
  for (let i = 0; i < b.length; i++) diff |= (a.charCodeAt(i) | 0) ^ b.charCodeAt(i);
  return diff === 0;
}
