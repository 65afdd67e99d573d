/*
 * The device's flash layout, read from manifests/sdkconfig/partitions.csv (the
 * table mcconfig hands to ESP-IDF): `ota pack --target esp32` takes the largest
 * image a slot holds from here, so the check follows the table.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** build/tools/ota -> the repository. */
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export const PARTITIONS_CSV = path.join(ROOT, "manifests", "sdkconfig", "partitions.csv");

export interface Partition {
  name: string;
  type: string;
  subtype: string;
  offset: number;
  size: number;
}

/** Sizes may be written in hex, decimal, or with K/M suffixes (ESP-IDF gen_esp32part). */
function number(text: string, where: string): number {
  const m = /^(0x[0-9a-f]+|\d+)([km]?)$/i.exec(text.trim());
  if (!m) throw new Error(`${where}: ${JSON.stringify(text)} is not a number`);
  const unit = m[2].toLowerCase() === "k" ? 1024 : m[2].toLowerCase() === "m" ? 1024 * 1024 : 1;
  return Number(m[1]) * unit;
}

/** The partitions of an ESP-IDF CSV table; every row must give its offset (ours do, so the layout is explicit). */
export function parsePartitions(csv: string, file = "partitions.csv"): Partition[] {
  const out: Partition[] = [];
  csv.split(/\r?\n/).forEach((line, i) => {
    if (!line.trim() || line.trimStart().startsWith("#")) return;
    const [name, type, subtype, offset, size] = line.split(",").map((f) => f.trim());
    const where = `${file}:${i + 1}`;
    if (!name || !type || !subtype || !offset || !size) throw new Error(`${where}: name, type, subtype, offset and size are all needed`);
    out.push({ name, type, subtype, offset: number(offset, where), size: number(size, where) });
  });
  return out;
}

/** The bytes an OTA app slot holds: ota_0's size (ota_1 must be the same). */
export function appSlotBytes(partitions: readonly Partition[]): number {
  const slots = partitions.filter((p) => p.type === "app" && /^ota_\d+$/.test(p.subtype));
  if (slots.length < 2) throw new Error("the partition table has fewer than two OTA app slots");
  if (slots.some((s) => s.size !== slots[0].size)) throw new Error("the OTA app slots differ in size");
  return slots[0].size;
}

/** The slot size of the project's table. */
export function deviceSlotBytes(): number {
  return appSlotBytes(parsePartitions(fs.readFileSync(PARTITIONS_CSV, "utf8"), PARTITIONS_CSV));
}
