/*
 * The outbox's default bound against the ESP32's flash (docs/outbox.md, "Flash"): the
 * spool's two segments, the provisioned PEM files and LittleFS's own blocks must fit the
 * `storage` partition of manifests/sdkconfig/partitions.csv whatever the node sends. The
 * budget is derived here, from the csv and LittleFS's on-disk layout; then the real Outbox
 * runs its worst cases on a storage that counts the blocks LittleFS would take for each
 * file, and the most it ever holds is held to that budget.
 */
import test from "ava";
import fs from "node:fs";
import type { AppendLog, Storage } from "../firmware/host.js";
import { DEFAULT_MAX_BYTES, MessageClass, Outbox, type OutboxMessage } from "../firmware/outbox/outbox.js";
import { parsePartitions, PARTITIONS_CSV } from "../tools/ota/partitions.js";

// LittleFS as the SDK configures it on the ESP32 (modules/files/file/littlefs/modLittlefs.c: one
// flash sector per block) and lays it out (littlefs SPEC.md).
const BLOCK = 4096;
/** The superblock lives in the root directory's metadata pair: two blocks, always. */
const METADATA_PAIR = 2;
/** block_cycles (500 in the SDK's manifest): a worn pair moves to two new blocks before the old are freed. */
const PAIR_RELOCATION = 2;
/** A block is never programmed twice: an append copies the file's partial last block to a new one, freed at commit. */
const COPY_ON_WRITE = 1;

/** Blocks of a file of `bytes` (CTZ skip-list: block i > 0 starts with ctz(i) + 1 pointers of 4 bytes). Any data takes a block. */
function fileBlocks(bytes: number): number {
  let n = 0;
  for (let room = 0; room < bytes; n++) room += BLOCK - (n === 0 ? 0 : 4 * (ctz(n) + 1));
  return n;
}
const ctz = (n: number) => 31 - Math.clz32(n & -n);

// The other files: the provisioned PEM files at the form's limits (firmware/provision/settings.ts: CA
// 8192 characters, client certificate and key 4096 each), two sets of them: an update writes the other
// set before it empties this one (docs/provisioning.md, "Storage").
const PEM_BLOCKS = 2 * (fileBlocks(8192) + fileBlocks(4096) + fileBlocks(4096));

// The spool (docs/outbox.md, record format and compaction): records have a 14-byte header and a body of
// at most 65535 bytes (u16 length); up to 15 acknowledgements wait for a batch, one ACK record each at
// worst (4-byte body); a segment opens with SEGMENT (20-byte body) and closes with SEAL (empty).
const HEADER = 14;
const LARGEST_RECORD = HEADER + 0xffff;
const PENDING_ACKS = 15 * (HEADER + 4);
const SEGMENT_AND_SEAL = HEADER + 20 + HEADER;
/** No compaction below this size (the outbox's default, docs/outbox.md). */
const COMPACT_MIN = 64 * 1024;

/**
 * The most the spool's files take for a bound of `live` bytes: the active segment is compacted once at
 * least half of it is dead, checked after every operation, so it reaches max(64 KiB, 2 x live) plus what
 * one operation appends (acknowledgements and the largest record); the compaction then writes the live
 * records into the other segment before it erases this one.
 */
function spoolBlocks(live: number): number {
  const active = Math.max(COMPACT_MIN, 2 * live) + PENDING_ACKS + LARGEST_RECORD;
  return fileBlocks(active) + fileBlocks(live + SEGMENT_AND_SEAL);
}

const storage = parsePartitions(fs.readFileSync(PARTITIONS_CSV, "utf8")).find((p) => p.name === "storage")!;
const PARTITION_BLOCKS = storage.size / BLOCK;
/** Everything but the spool: LittleFS's own blocks and the PEM files. */
const OTHERS = METADATA_PAIR + PAIR_RELOCATION + COPY_ON_WRITE + PEM_BLOCKS;

/** Blocks needed for a bound, all at once (a compaction while two PEM sets exist). */
const blocksNeeded = (live: number) => OTHERS + spoolBlocks(live);

/** The largest bound whose worst case fits the partition. */
function largestBound(): number {
  let lo = 0;
  let hi = storage.size;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (blocksNeeded(mid) <= PARTITION_BLOCKS) lo = mid;
    else hi = mid;
  }
  return lo;
}

test("the default bound fits the storage partition of partitions.csv with everything else it holds, and uses most of it", (t) => {
  t.is(storage.size % BLOCK, 0, "whole blocks");
  const largest = largestBound();
  t.log(`storage ${storage.size} bytes (${PARTITION_BLOCKS} blocks): largest bound ${largest} bytes; default ${DEFAULT_MAX_BYTES} needs ${blocksNeeded(DEFAULT_MAX_BYTES)} blocks`);
  t.true(DEFAULT_MAX_BYTES <= largest, `default ${DEFAULT_MAX_BYTES} > ${largest}`);
  t.true(DEFAULT_MAX_BYTES >= 0.9 * largest, "not needlessly small");
  // The arithmetic of the skip-list, against a count done by hand: 8192 bytes need a third block (block 1 loses 4 bytes to its pointer).
  t.deepEqual([fileBlocks(1), fileBlocks(4096), fileBlocks(4097), fileBlocks(8188), fileBlocks(8189), fileBlocks(8192)], [1, 1, 2, 2, 3, 3]);
});

/** Append logs as LittleFS files: bytes kept (the outbox reads them back), blocks counted over all files after every change. */
class LittleFsStorage implements Storage {
  readonly files = new Map<string, Uint8Array[]>();
  peakBlocks = 0;

  constructor(readonly fixedBlocks: number) {}

  get(): string | undefined {
    return undefined;
  }
  set(): void {}
  delete(): void {}

  openLog(name: string): AppendLog {
    const chunks = (): Uint8Array[] => {
      let c = this.files.get(name);
      if (!c) this.files.set(name, (c = []));
      return c;
    };
    const size = () => chunks().reduce((n, c) => n + c.length, 0);
    return {
      append: (record) => {
        chunks().push(record.slice());
        this.#measure();
      },
      readAll: (visit) => {
        for (const c of chunks()) for (let i = 0; i < c.length; i += 1024) visit(c.subarray(i, i + 1024));
      },
      size,
      clear: () => {
        this.files.set(name, []);
        this.#measure();
      },
    };
  }

  #measure(): void {
    let blocks = this.fixedBlocks;
    for (const c of this.files.values()) blocks += fileBlocks(c.reduce((n, x) => n + x.length, 0));
    this.peakBlocks = Math.max(this.peakBlocks, blocks);
  }
}

const TOPIC_T = "sensors/pump-07/telemetry";
const TOPIC_A = "sensors/pump-07/alarm";
/** A telemetry payload of the node's size (about 560 bytes of JSON). */
const telemetry = (i: number) => JSON.stringify({ v: 1, boot: 3, seq: i, pad: "x".repeat(520) });
/** An alarm as large as a record may be. */
const hugeAlarm = new Uint8Array(0xffff - 2 - TOPIC_A.length).fill(0x61);

/** Runs `steps` on an outbox with the default bound over a LittleFS-like storage holding the other files besides; returns the peak in blocks. */
function worstCase(steps: (box: Outbox) => void): { peak: number; box: Outbox } {
  const fs = new LittleFsStorage(OTHERS);
  const box = new Outbox({ storage: fs });
  steps(box);
  return { peak: fs.peakBlocks, box };
}

test("offline for hours: the spool drops and compacts and never needs more blocks than the partition has", (t) => {
  const perRecord = HEADER + 2 + TOPIC_T.length + telemetry(0).length;
  const { peak, box } = worstCase((box) => {
    for (let i = 0; i < (6 * DEFAULT_MAX_BYTES) / perRecord; i++) box.push(TOPIC_T, telemetry(i), MessageClass.Telemetry);
  });
  t.true(box.stats.dropped.telemetry > 0 && box.stats.compactions > 0, "the bound was reached and the segment compacted");
  t.true(box.stats.queuedBytes <= DEFAULT_MAX_BYTES);
  t.log(`peak ${peak} of ${PARTITION_BLOCKS} blocks (the PEM files and LittleFS's own counted in)`);
  t.true(peak <= PARTITION_BLOCKS, `${peak} blocks`);
});

test("the largest records, a full in-flight window never acknowledged, and acknowledgements in between: still within the partition", (t) => {
  let taken: OutboxMessage[] = [];
  const { peak, box } = worstCase((box) => {
    for (let round = 0; round < 40; round++) {
      for (let i = 0; i < 60; i++) box.push(TOPIC_T, telemetry(round * 100 + i), MessageClass.Telemetry);
      // Some go out and are acknowledged (ACK records), a window's worth stays in flight for good.
      for (let m = box.next(); m && taken.length < 32; m = box.next()) taken.push(m);
      if (round % 3 === 0) {
        for (const m of taken.splice(0, 20)) m.onDone(true);
      }
      box.push(TOPIC_A, hugeAlarm, MessageClass.Alarm);
    }
  });
  taken = [];
  t.true(box.stats.dropped.telemetry > 0 && box.stats.compactions > 0 && box.stats.acked > 0);
  t.true(box.stats.queuedBytes <= DEFAULT_MAX_BYTES);
  t.log(`peak ${peak} of ${PARTITION_BLOCKS} blocks`);
  t.true(peak <= PARTITION_BLOCKS, `${peak} blocks`);
});
