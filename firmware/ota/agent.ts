/*
 * The node's side of an update over the air (docs/ota.md, "On the node"):
 * `cmd/ota` starts a ranged download (download.ts) whose bytes go through the
 * verifier (verifier.ts) straight into the other slot (Host.firmware), never
 * gathered in RAM; a verified image is marked to boot next, and the node
 * restarts between windows. The new image runs on probation: it confirms
 * itself once it has reached the broker and published its status, or gives
 * up after `ota.confirmS` and boots the previous image, which reports
 * `rolled-back` with the reason. Every outcome is kept in storage, so a
 * restart never loses it, and reported on `cmd/ota/ack` and in status.
 */
import type { FirmwareSlots, Host, SlotWriter, TlsMaterial } from "../host.js";
import type { CommandResult } from "../app/commands.js";
import { cryptoOf } from "../crypto/crypto.js";
import { RangedDownload, parseUrl } from "./download.js";
import { HEADER_BYTES, SIGNATURE_BYTES, isVersion } from "./header.js";
import { trustedKeys } from "./trusted-keys.js";
import { asError } from "../util/format.js";
import { PackageVerifier } from "./verifier.js";

export type OtaState = "downloading" | "verifying" | "rebooting" | "confirmed" | "rolled-back" | "refused" | "failed";

/** What status and `cmd/ota/ack` say about the last update. */
export interface OtaReport {
  state: OtaState;
  /** The version being installed, installed, or given up on. */
  version: string;
  /** 0..1 while downloading. */
  progress?: number;
  error?: string;
  /** The version the node ran before (confirmed). */
  from?: string;
}

/** The report as stored ("ota"): with what the next boot needs. */
interface OtaRecord extends OtaReport {
  /** The new image's security counter, stored as the node's once it is confirmed. */
  counter?: number;
  /** Why the new image gave up (written by it, read by the image that boots after it). */
  reason?: string;
  /** False until the outcome has been acked on `cmd/ota/ack` (after a restart it is sent on connection). */
  acked?: boolean;
}

export interface OtaAgentOptions {
  host: Host;
  /** The running image's version (status `fw`). */
  runningVersion: string;
  /** Seconds a new image has to reach the broker (config `ota.confirmS`). */
  confirmS: number;
  /** https: the broker connection's provisioned trust. */
  tls?: TlsMaterial;
  /** Publishes the report: on `cmd/ota/ack` when `ack`, and the status (which carries `ota`) always. */
  report(report: OtaReport, ack: boolean): void;
  /** Restarts the node (soon: acks go out first). */
  restart(reason: string): void;
}

const RECORD_KEY = "ota";
/** The running image's security counter (absent: 0, an image flashed over USB). */
const COUNTER_KEY = "otaCounter";
const PACKAGE_PREFIX_BYTES = HEADER_BYTES + SIGNATURE_BYTES;
/** Progress acks at most every tenth of the download. */
const PROGRESS_STEP = 0.1;
const SHA256_HEX = /^[0-9a-f]{64}$/;
/** A verified image waits for the end of a window to restart; a node without windows (no accelerometer) restarts after this anyway (ms). */
const RESTART_WITHOUT_WINDOW_MS = 30_000;

interface OtaCommand {
  url: string;
  version: string;
  sha256: string;
  size: number;
}

export class OtaAgent {
  #o: OtaAgentOptions;
  #record: OtaRecord | undefined;
  #job: UpdateJob | undefined;
  #probation: number | undefined;
  /** Why the node restarts after the current window (a verified image is marked to boot). */
  #restartAfterWindow: string | undefined;
  #restartTimer: number | undefined;

  constructor(options: OtaAgentOptions) {
    this.#o = options;
    this.#record = loadRecord(options.host);
  }

  /** What status carries (`ota`), if the node ever took an update command. */
  get report(): OtaReport | undefined {
    const r = this.#record;
    if (!r) return undefined;
    const out: OtaReport = { state: r.state, version: r.version };
    if (r.progress !== undefined) out.progress = r.progress;
    if (r.error !== undefined) out.error = r.error;
    if (r.from !== undefined) out.from = r.from;
    return out;
  }

  /** A download waits for the server's bytes (the simulator's virtual time waits with it). */
  get awaitingData(): boolean {
    return this.#job?.download?.waiting ?? false;
  }

  /** A window's reports are out: a verified image restarts the node now, never mid-window. */
  windowEnded(): void {
    const reason = this.#restartAfterWindow;
    if (reason === undefined) return;
    this.#restartAfterWindow = undefined;
    this.#o.host.timers.clear(this.#restartTimer);
    this.#o.restart(reason);
  }

  /** At boot: a new image starts its probation; the image after a failed one says what happened. */
  boot(resetReason: string | undefined): void {
    const slots = this.#o.host.firmware;
    const r = this.#record;
    if (slots?.pendingVerify) {
      const ms = this.#o.confirmS * 1000;
      this.#probation = this.#o.host.timers.set(() => this.#giveUp(`not confirmed within ${this.#o.confirmS} s (no broker connection)`), ms);
      this.#o.host.log("info", `ota: running ${this.#o.runningVersion} on probation; it confirms itself once the broker has its status (within ${this.#o.confirmS} s)`);
      return;
    }
    if (!r) return;
    if (r.state === "rebooting") {
      const why = r.reason ?? slots?.rollbackReason ?? `the new image restarted before confirming itself${resetReason ? ` (reset: ${resetReason})` : ""}`;
      this.#save({ state: "rolled-back", version: r.version, from: r.from, error: why, acked: false });
      this.#o.host.log("error", `ota: ${r.version} rolled back to ${this.#o.runningVersion}: ${why}`);
    } else if (r.state === "downloading" || r.state === "verifying") {
      this.#save({ state: "failed", version: r.version, from: r.from, error: "interrupted by a restart", acked: false });
    }
  }

  /** The node reached the broker and the broker has its status: a new image confirms itself; an outcome left unacked is acked. */
  online(): void {
    const { host } = this.#o;
    const slots = host.firmware;
    if (slots?.pendingVerify) {
      host.timers.clear(this.#probation);
      this.#probation = undefined;
      try {
        slots.markValid();
      } catch (error) {
        host.log("error", `ota: cannot confirm the running image: ${asError(error).message}`);
        return;
      }
      const r = this.#record;
      if (r?.counter !== undefined) host.storage.set(COUNTER_KEY, String(r.counter));
      this.#save({ state: "confirmed", version: this.#o.runningVersion, from: r?.from, acked: true });
      host.log("info", `ota: ${this.#o.runningVersion} confirmed${r?.from ? ` (was ${r.from})` : ""}`);
      this.#o.report(this.report!, true);
      return;
    }
    const r = this.#record;
    if (r && r.acked === false) {
      this.#save({ ...r, acked: true });
      this.#o.report(this.report!, true);
    }
  }

  /** `cmd/ota`: the command's own ack is the result; later steps are reported as they happen. */
  command(body: unknown): CommandResult {
    const { host } = this.#o;
    const slots = host.firmware;
    if (!slots) return { ok: false, error: "this node cannot update over the air (its host has no firmware slots)" };
    const cmd = parseCommand(body);
    if (typeof cmd === "string") return { ok: false, error: cmd };
    const refuse = (error: string): CommandResult => ({ ok: false, state: "refused", version: cmd.version, error });
    if (this.#job) return refuse(`an update to ${this.#job.version} is in progress`);
    if (slots.pendingVerify) return refuse(`the running image ${this.#o.runningVersion} is not confirmed yet`);
    if (cmd.version === this.#o.runningVersion) return refuse(`already running ${cmd.version}`);
    const keys = trustedKeys(slots.trustedKeys);
    if (typeof keys === "string") return refuse(`no usable update keys in this image: ${keys}`);
    const url = parseUrl(cmd.url);
    if (typeof url === "string") return refuse(`url: ${url}`);
    const verifier = new PackageVerifier({ target: slots.target, counter: storedCounter(host), slotBytes: slots.slotBytes, keys, crypto: cryptoOf(host) });
    const job = new UpdateJob(cmd, slots, verifier);
    this.#job = job;
    job.download = new RangedDownload({
      host,
      url,
      size: cmd.size,
      tls: this.#o.tls,
      userAgent: `sensor-node/${this.#o.runningVersion}`,
      onData: (bytes) => this.#data(job, bytes),
      onEnd: (error) => this.#downloaded(job, error),
    });
    this.#save({ state: "downloading", version: cmd.version, from: this.#o.runningVersion, progress: 0, acked: true });
    host.log("info", `ota: downloading ${cmd.version} (${cmd.size} bytes)`);
    job.download.start();
    return { ok: true, ...this.report! };
  }

  /** Stops a download in progress (the node is shutting down); the record says it was interrupted at the next boot. */
  stop(): void {
    this.#o.host.timers.clear(this.#probation);
    this.#job?.download?.cancel();
    this.#job?.writer?.cancel();
    this.#job = undefined;
  }

  /** Payload bytes go to the slot as they pass the verifier; returns a sentence to stop the download. */
  #data(job: UpdateJob, bytes: Uint8Array): string | undefined {
    const payload = job.verifier.write(bytes);
    const refusal = job.verifier.refusal;
    if (refusal) return job.refuse(`${refusal.code}: ${refusal.message}`);
    if (!job.writer && job.verifier.header) {
      const problem = job.open();
      if (problem) return problem;
    }
    if (payload.length) {
      try {
        job.writer!.write(payload);
      } catch (error) {
        return `flash write failed: ${asError(error).message}`;
      }
    }
    const step = Math.floor((job.download!.offset + bytes.length) / job.size / PROGRESS_STEP);
    if (step > job.reportedStep && step < 1 / PROGRESS_STEP) {
      job.reportedStep = step;
      this.#save({ ...this.#record!, progress: Math.round(step * PROGRESS_STEP * 10) / 10 });
      this.#o.report(this.report!, true);
    }
    return undefined;
  }

  #downloaded(job: UpdateJob, error: string | undefined): void {
    if (error !== undefined) return this.#end(job, job.refused ? "refused" : "failed", error);
    this.#save({ state: "verifying", version: job.version, from: this.#o.runningVersion, acked: true });
    this.#o.report(this.report!, true);
    const refusal = job.verifier.finish();
    if (refusal) return this.#end(job, "refused", `${refusal.code}: ${refusal.message}`);
    const counter = job.verifier.header!.counter;
    // Kept before the slot becomes the boot slot: a power cut right after still knows the new image's counter.
    this.#save({ ...this.#record!, counter });
    try {
      job.writer!.complete();
    } catch (error) {
      return this.#end(job, "failed", `cannot mark the new image bootable: ${asError(error).message}`);
    }
    this.#job = undefined;
    this.#save({ state: "rebooting", version: job.version, from: this.#o.runningVersion, counter, acked: true });
    this.#o.host.log("info", `ota: ${job.version} verified and written; restarting into it`);
    this.#o.report(this.report!, true);
    this.#restartAfterWindow = `update to ${job.version}`;
    this.#restartTimer = this.#o.host.timers.set(() => this.windowEnded(), RESTART_WITHOUT_WINDOW_MS);
  }

  #end(job: UpdateJob, state: "refused" | "failed", error: string): void {
    job.download?.cancel();
    job.writer?.cancel();
    this.#job = undefined;
    this.#save({ state, version: job.version, from: this.#o.runningVersion, error, acked: true });
    this.#o.host.log("warn", `ota: ${job.version} ${state}: ${error}`);
    this.#o.report(this.report!, true);
  }

  /** Probation is over without a confirmation: say why for the image that boots next, and go back to it. */
  #giveUp(reason: string): void {
    const r = this.#record;
    this.#save({ state: "rebooting", version: this.#o.runningVersion, from: r?.from, counter: r?.counter, reason, acked: true });
    this.#o.host.log("error", `ota: ${reason}; going back to the previous image`);
    this.#o.host.firmware!.rollback(reason);
  }

  #save(record: OtaRecord): void {
    this.#record = record;
    this.#o.host.storage.set(RECORD_KEY, JSON.stringify(record));
  }
}

/** One update in progress. */
class UpdateJob {
  readonly version: string;
  readonly size: number;
  readonly sha256: string;
  readonly verifier: PackageVerifier;
  readonly slots: FirmwareSlots;
  download: RangedDownload | undefined;
  writer: SlotWriter | undefined;
  /** Tenths of the download reported so far. */
  reportedStep = 0;
  /** The download was stopped by a refusal (not a transfer failure). */
  refused = false;

  constructor(cmd: OtaCommand, slots: FirmwareSlots, verifier: PackageVerifier) {
    this.version = cmd.version;
    this.size = cmd.size;
    this.sha256 = cmd.sha256;
    this.slots = slots;
    this.verifier = verifier;
  }

  refuse(error: string): string {
    this.refused = true;
    return error;
  }

  /** The header is authenticated: check it against the command, then open the slot. */
  open(): string | undefined {
    const h = this.verifier.header!;
    if (h.version !== this.version) return this.refuse(`wrong-version: the package is ${h.version}; the command says ${this.version}`);
    if (hex(h.sha256) !== this.sha256) return this.refuse("wrong-sha256: the package's payload SHA-256 is not the command's");
    if (PACKAGE_PREFIX_BYTES + h.payloadSize !== this.size) return this.refuse(`wrong-size: the package is ${PACKAGE_PREFIX_BYTES + h.payloadSize} bytes; the command says ${this.size}`);
    try {
      this.writer = this.slots.begin(h.payloadSize);
    } catch (error) {
      return `cannot open the other slot: ${asError(error).message}`;
    }
    return undefined;
  }
}

function parseCommand(body: unknown): OtaCommand | string {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return 'expected {"url", "version", "sha256", "size"}';
  const b = body as Record<string, unknown>;
  for (const key of Object.keys(b)) if (key !== "url" && key !== "version" && key !== "sha256" && key !== "size") return `unknown field "${key}" (known: url, version, sha256, size)`;
  if (typeof b.url !== "string") return "url: expected an http:// or https:// URL";
  if (typeof b.version !== "string" || !isVersion(b.version)) return "version: expected a version such as 1.2.3";
  if (typeof b.sha256 !== "string" || !SHA256_HEX.test(b.sha256.toLowerCase())) return "sha256: expected the payload's SHA-256, 64 hex digits";
  if (typeof b.size !== "number" || !Number.isInteger(b.size) || b.size <= PACKAGE_PREFIX_BYTES) return `size: expected the package's size in bytes (more than ${PACKAGE_PREFIX_BYTES})`;
  return { url: b.url, version: b.version, sha256: b.sha256.toLowerCase(), size: b.size };
}

/** The node has an update's outcome stored (its agent must report it). */
export function hasOtaRecord(host: Host): boolean {
  return host.storage.get(RECORD_KEY) !== undefined;
}

function loadRecord(host: Host): OtaRecord | undefined {
  const text = host.storage.get(RECORD_KEY);
  if (text === undefined) return undefined;
  try {
    const r = JSON.parse(text) as OtaRecord;
    return typeof r === "object" && r !== null && typeof r.state === "string" && typeof r.version === "string" ? r : undefined;
  } catch {
    return undefined; // a torn record: the update's outcome is lost, the node is not
  }
}

function storedCounter(host: Host): number {
  const n = Number(host.storage.get(COUNTER_KEY) ?? "0");
  return Number.isInteger(n) && n >= 0 ? n : 0;
}

function hex(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += (bytes[i] < 16 ? "0" : "") + bytes[i].toString(16);
  return s;
}

