/*
 * manifests/sdkconfig/partitions.csv (docs/ota.md, "Flash layout"), checked
 * against ESP-IDF's rules for a 4 MB part: partitions after the partition table
 * (0x8000, one sector), app partitions on 0x10000, data on 0x1000, none
 * overlapping, all inside the flash; two equal OTA slots, otadata of two
 * sectors; and `ota pack` takes its slot size from this table.
 */
import test from "ava";
import fs from "node:fs";
import { appSlotBytes, deviceSlotBytes, parsePartitions, PARTITIONS_CSV } from "../tools/ota/partitions.js";

const FLASH_BYTES = 4 * 1024 * 1024;
const TABLE_END = 0x8000 + 0x1000;
const APP_ALIGN = 0x10000;
const DATA_ALIGN = 0x1000;
const csv = fs.readFileSync(PARTITIONS_CSV, "utf8");
const parts = parsePartitions(csv);

test("aligned, non-overlapping, after the partition table and within 4 MB", (t) => {
  const sorted = [...parts].sort((a, b) => a.offset - b.offset);
  t.true(sorted[0].offset >= TABLE_END);
  for (const p of sorted) {
    const align = p.type === "app" ? APP_ALIGN : DATA_ALIGN;
    t.is(p.offset % align, 0, `${p.name} offset 0x${p.offset.toString(16)} on 0x${align.toString(16)}`);
    t.is(p.size % DATA_ALIGN, 0, `${p.name} size in whole sectors`);
    t.true(p.offset + p.size <= FLASH_BYTES, `${p.name} ends inside 4 MB`);
  }
  for (let i = 1; i < sorted.length; i++) t.true(sorted[i - 1].offset + sorted[i - 1].size <= sorted[i].offset, `${sorted[i - 1].name} ends before ${sorted[i].name}`);
});

test("nvs, phy_init, two equal OTA slots and no factory app, otadata of two sectors, LittleFS storage as data/spiffs", (t) => {
  const by = (name: string) => parts.find((p) => p.name === name);
  t.deepEqual(parts.map((p) => p.name).sort(), ["nvs", "ota_0", "ota_1", "otadata", "phy_init", "storage"]);
  t.is(by("ota_0")?.subtype, "ota_0");
  t.is(by("ota_1")?.subtype, "ota_1");
  t.is(by("ota_0")?.size, by("ota_1")?.size);
  t.false(parts.some((p) => p.subtype === "factory"));
  t.like(by("otadata"), { type: "data", subtype: "ota", size: 2 * DATA_ALIGN });
  t.like(by("storage"), { type: "data", subtype: "spiffs" });
  t.like(by("nvs"), { type: "data", subtype: "nvs" });
});

test("ota pack's slot size is the csv's ota_0 size (parsed from the file)", (t) => {
  const line = csv.split("\n").find((l) => l.startsWith("ota_0"))!;
  t.is(deviceSlotBytes(), Number(line.split(",")[4].trim()));
  t.is(appSlotBytes(parts), Number(line.split(",")[4].trim()));
});

test("the parser reads ESP-IDF size forms and names a bad row", (t) => {
  t.deepEqual(parsePartitions("a, app, ota_0, 0x10000, 1M\nb, app, ota_1, 0x110000, 1024K\n").map((p) => p.size), [1024 * 1024, 1024 * 1024]);
  t.throws(() => parsePartitions("x, data, nvs, 0x9000, lots\n", "t.csv"), { message: /t\.csv:1: "lots" is not a number/ });
  t.throws(() => appSlotBytes(parsePartitions("a, app, ota_0, 0x10000, 1M\n")), { message: /fewer than two OTA app slots/ });
});
