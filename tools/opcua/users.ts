/*
 * The gateway's users (`--users FILE`): a JSON document
 * `{"users": [{"name": "scada", "password": "..."}]}`. Passwords are compared
 * in constant time and appear in no message, not even a message about them.
 */
import * as crypto from "node:crypto";

export class UsersFileError extends Error {}

export interface UserCheck {
  readonly names: readonly string[];
  isValid(name: string, password: string): boolean;
}

const digest = (s: string) => crypto.createHash("sha256").update(s, "utf8").digest();

export function parseUsers(text: string, file: string): UserCheck {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    // Only the position: V8's message quotes the text around it, which may be a password.
    const at = /position (\d+)/.exec((e as Error).message)?.[1];
    throw new UsersFileError(`--users: ${file} is not JSON${at ? ` (at character ${at})` : ""}`);
  }
  const list = (doc as { users?: unknown } | null)?.users;
  if (!Array.isArray(list) || list.length === 0) throw new UsersFileError(`--users: ${file}: expected {"users": [{"name": ..., "password": ...}, ...]} with at least one user`);
  const users = new Map<string, Buffer>();
  list.forEach((u: unknown, i) => {
    const { name, password } = (u ?? {}) as { name?: unknown; password?: unknown };
    if (typeof name !== "string" || name === "") throw new UsersFileError(`--users: ${file}: users[${i}].name: expected a non-empty string`);
    if (typeof password !== "string" || password === "") throw new UsersFileError(`--users: ${file}: users[${i}].password: expected a non-empty string`);
    if (users.has(name)) throw new UsersFileError(`--users: ${file}: users[${i}].name: ${JSON.stringify(name)} appears twice`);
    users.set(name, digest(password));
  });
  return {
    names: [...users.keys()],
    isValid(name, password) {
      const expected = users.get(name);
      // Digests of equal length, so the comparison takes the same time whatever was typed.
      return expected !== undefined && crypto.timingSafeEqual(expected, digest(password));
    },
  };
}
