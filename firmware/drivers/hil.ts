/*
 * Hardware-in-the-loop accelerometer (docs/hil.md): the Accelerometer contract
 * fed by sample frames a test runner streams over MQTT to
 * `<prefix>/<nodeId>/hil/frames` (QoS 1), in place of a part on the I2C bus.
 * The node's acquisition, DSP, monitor and MQTT stack run unchanged and see a
 * known signal.
 *
 * Frame (little-endian), 16-byte header then `count` samples of x, y, z in g:
 *   0  u8   version (1)
 *   1  u8   format: 1 = int16 (value x scale), 2 = float32
 *   2  u16  count: samples (x, y, z triplets) in this frame, 1..FRAME_MAX_SAMPLES
 *   4  u32  seq: frame number, 0 for the first frame of a stream, +1 per frame
 *   8  f32  odr: sample rate of the stream, Hz (must match the node's, within 0.1 %)
 *   12 f32  scale: g per LSB for int16 (ignored for float32)
 *
 * FIFO: `fifoDepth` samples. Frames fill it as they arrive; the acquisition
 * drains it with readFifo. When a frame does not fit, the oldest samples are
 * dropped (as a part's FIFO in stream mode does) and `overrun` is reported by
 * the next readFifo. A missing frame (seq jumps ahead) is counted as lost
 * frames and samples and also reported as `overrun`, so the acquisition sees
 * the discontinuity; a repeated seq (a QoS 1 redelivery) is ignored; seq 0
 * after others starts a new stream (a restarted runner), not a loss.
 * Samples beyond +-rangeG are clipped, as a real part saturates.
 */
import type { Accelerometer, AccelerometerOptions } from "./accelerometer.js";

export const HIL_FRAME_VERSION = 1;
export const HIL_FORMAT_INT16 = 1;
export const HIL_FORMAT_FLOAT32 = 2;
export const HIL_HEADER_BYTES = 16;
export const FRAME_MAX_SAMPLES = 4096;
/** Seconds of samples the default FIFO holds (frame jitter on Wi-Fi reaches hundreds of ms). */
export const HIL_FIFO_S = 0.5;

/** The topic the node takes frames from. */
export function hilFramesTopic(prefix: string, nodeId: string): string {
  return `${prefix}/${nodeId}/hil/frames`;
}

export interface HilFrameHeader {
  seq: number;
  odr: number;
  format: "int16" | "float32";
  /** g per LSB (int16). */
  scale: number;
  count: number;
  /** The frame's bytes, for reading its samples (hilSample). */
  view: DataView;
}

export interface HilFrame extends HilFrameHeader {
  /** Interleaved x, y, z in g (count * 3 values). */
  samples: Float32Array;
}

/** Encodes a frame; int16 samples are rounded to `scale` (default: 16 g full scale / 32767) and clipped. */
export function encodeHilFrame(seq: number, odr: number, xyz: Float32Array | number[], format: "int16" | "float32" = "int16", scale = 16 / 32767): Uint8Array {
  const count = Math.floor(xyz.length / 3);
  if (count < 1 || count > FRAME_MAX_SAMPLES) throw new RangeError(`HIL frame: ${count} samples (1..${FRAME_MAX_SAMPLES})`);
  const bytes = format === "int16" ? 2 : 4;
  const out = new Uint8Array(HIL_HEADER_BYTES + count * 3 * bytes);
  const view = new DataView(out.buffer);
  view.setUint8(0, HIL_FRAME_VERSION);
  view.setUint8(1, format === "int16" ? HIL_FORMAT_INT16 : HIL_FORMAT_FLOAT32);
  view.setUint16(2, count, true);
  view.setUint32(4, seq >>> 0, true);
  view.setFloat32(8, odr, true);
  view.setFloat32(12, format === "int16" ? scale : 1, true);
  for (let i = 0; i < count * 3; i++) {
    const at = HIL_HEADER_BYTES + i * bytes;
    if (format === "int16") view.setInt16(at, Math.max(-32768, Math.min(32767, Math.round(xyz[i] / scale))), true);
    else view.setFloat32(at, xyz[i], true);
  }
  return out;
}

/** Checks a frame's header and length; throws an Error saying what is wrong with it. */
export function decodeHilHeader(payload: Uint8Array): HilFrameHeader {
  if (payload.length < HIL_HEADER_BYTES) throw new Error(`HIL frame: ${payload.length} bytes, shorter than the ${HIL_HEADER_BYTES}-byte header`);
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const version = view.getUint8(0);
  if (version !== HIL_FRAME_VERSION) throw new Error(`HIL frame: version ${version}, expected ${HIL_FRAME_VERSION}`);
  const f = view.getUint8(1);
  if (f !== HIL_FORMAT_INT16 && f !== HIL_FORMAT_FLOAT32) throw new Error(`HIL frame: format ${f}, expected 1 (int16) or 2 (float32)`);
  const count = view.getUint16(2, true);
  const bytes = f === HIL_FORMAT_INT16 ? 2 : 4;
  if (count < 1 || count > FRAME_MAX_SAMPLES) throw new Error(`HIL frame: count ${count} (1..${FRAME_MAX_SAMPLES})`);
  if (payload.length !== HIL_HEADER_BYTES + count * 3 * bytes) throw new Error(`HIL frame: ${payload.length} bytes for ${count} samples (expected ${HIL_HEADER_BYTES + count * 3 * bytes})`);
  const seq = view.getUint32(4, true);
  const odr = view.getFloat32(8, true);
  const scale = view.getFloat32(12, true);
  if (!(odr > 0) || !(scale > 0)) throw new Error(`HIL frame: odr ${odr}, scale ${scale} (both must be > 0)`);
  return { seq, odr, format: f === HIL_FORMAT_INT16 ? "int16" : "float32", scale, count, view };
}

/** Value `index` (0 .. 3 count - 1: x, y, z, x, ...) of a checked frame, g. */
export function hilSample(h: HilFrameHeader, index: number): number {
  return h.format === "int16" ? h.view.getInt16(HIL_HEADER_BYTES + 2 * index, true) * h.scale : h.view.getFloat32(HIL_HEADER_BYTES + 4 * index, true);
}

/** Decodes a whole frame (header and samples); throws an Error saying what is wrong with it. */
export function decodeHilFrame(payload: Uint8Array): HilFrame {
  const h = decodeHilHeader(payload);
  const samples = new Float32Array(h.count * 3);
  for (let i = 0; i < samples.length; i++) samples[i] = hilSample(h, i);
  return { ...h, samples };
}

export interface HilOptions extends AccelerometerOptions {
  /**
   * FIFO depth in samples; default: a power of two holding at least HIL_FIFO_S at the ODR (min 256).
   * Frames come over a network, in bursts: the FIFO absorbs their jitter, and the
   * acquisition polls at half its depth, so a poll may be that late before samples drop.
   */
  fifoDepth?: number;
}

export interface HilStats {
  /** Frames accepted into the FIFO. */
  frames: number;
  samples: number;
  /** Frames (and their samples) missing from the stream (seq gaps). */
  lostFrames: number;
  lostSamples: number;
  /** Repeated frames ignored (QoS 1 redelivery). */
  duplicates: number;
  /** Frames refused (malformed, wrong ODR). */
  rejected: number;
  /** Times the FIFO overflowed, and the samples it dropped. */
  overruns: number;
  overrunSamples: number;
  /** New streams (seq 0 after other frames). */
  streams: number;
}

export class HilAccelerometer implements Accelerometer {
  odr: number;
  rangeG: number;
  readonly fifoDepth: number;
  readonly stats: HilStats = { frames: 0, samples: 0, lostFrames: 0, lostSamples: 0, duplicates: 0, rejected: 0, overruns: 0, overrunSamples: 0, streams: 0 };
  /** Why the last frame was refused. */
  lastError: string | undefined;
  #fifo: Float32Array;
  #head = 0;
  #count = 0;
  #pending = false;
  #overrun = false;
  #nextSeq = -1;
  #closed = false;

  constructor(options: HilOptions = {}) {
    this.odr = options.odr ?? 3200;
    this.rangeG = options.rangeG ?? 16;
    let depth = options.fifoDepth ?? 256;
    if (options.fifoDepth === undefined) while (depth < this.odr * HIL_FIFO_S) depth *= 2;
    if (!(depth >= 1 && depth <= 65536)) throw new RangeError(`HIL fifoDepth ${depth} (1..65536)`);
    this.fifoDepth = depth;
    this.#fifo = new Float32Array(depth * 3);
  }

  configure(options: AccelerometerOptions): void {
    if (options.odr !== undefined) this.odr = options.odr;
    if (options.rangeG !== undefined) this.rangeG = options.rangeG;
  }

  get overrun(): boolean {
    return this.#overrun;
  }

  /** Samples waiting in the FIFO. */
  get level(): number {
    return this.#count;
  }

  /**
   * Takes one frame payload into the FIFO. Returns a message when the frame is
   * refused (the first time, then every 100th, so a wrong stream does not
   * flood the log); undefined otherwise.
   */
  push(payload: Uint8Array): string | undefined {
    if (this.#closed) return undefined;
    let frame: HilFrameHeader;
    try {
      // The samples go straight from the payload into the FIFO: no copy of a frame (up to 48 KiB) in between.
      frame = decodeHilHeader(payload);
      if (Math.abs(frame.odr - this.odr) > this.odr * 0.001) throw new Error(`HIL frame: odr ${frame.odr} Hz, but the node samples at ${this.odr} Hz (accelerometer.odr)`);
    } catch (error) {
      this.stats.rejected++;
      this.lastError = (error as Error).message;
      return this.stats.rejected % 100 === 1 ? `${this.lastError} (${this.stats.rejected} refused)` : undefined;
    }
    if (this.#nextSeq >= 0 && frame.seq !== this.#nextSeq) {
      if (frame.seq === 0) {
        this.stats.streams++;
      } else if (frame.seq < this.#nextSeq) {
        this.stats.duplicates++;
        return undefined;
      } else {
        const gap = frame.seq - this.#nextSeq;
        this.stats.lostFrames += gap;
        this.stats.lostSamples += gap * frame.count;
        this.#pending = true;
      }
    } else if (this.#nextSeq < 0) {
      this.stats.streams++;
    }
    this.#nextSeq = frame.seq + 1;
    this.stats.frames++;
    this.stats.samples += frame.count;
    this.#write(frame);
    return undefined;
  }

  #write(frame: HilFrameHeader): void {
    const count = frame.count;
    const depth = this.fifoDepth;
    const range = this.rangeG;
    let from = 0;
    const free = depth - this.#count;
    if (count > free) {
      // Full: the oldest samples go, as in a part's stream-mode FIFO.
      let drop = count - free;
      this.stats.overruns++;
      this.stats.overrunSamples += drop;
      this.#pending = true;
      if (drop > this.#count) {
        from = drop - this.#count; // the frame alone is deeper than the FIFO
        drop = this.#count;
      }
      this.#head = (this.#head + drop) % depth;
      this.#count -= drop;
    }
    const fifo = this.#fifo;
    let w = (this.#head + this.#count) % depth;
    for (let i = from; i < count; i++) {
      for (let k = 0; k < 3; k++) {
        const v = hilSample(frame, 3 * i + k);
        fifo[3 * w + k] = v > range ? range : v < -range ? -range : v;
      }
      w = w + 1 === depth ? 0 : w + 1;
      this.#count++;
    }
  }

  readFifo(dest: Float32Array, maxSamples: number): number {
    this.#overrun = this.#pending;
    this.#pending = false;
    const depth = this.fifoDepth;
    const fifo = this.#fifo;
    const n = Math.min(maxSamples, this.#count, Math.floor(dest.length / 3));
    let r = this.#head;
    for (let i = 0; i < n; i++) {
      dest[3 * i] = fifo[3 * r];
      dest[3 * i + 1] = fifo[3 * r + 1];
      dest[3 * i + 2] = fifo[3 * r + 2];
      r = r + 1 === depth ? 0 : r + 1;
    }
    this.#head = r;
    this.#count -= n;
    return n;
  }

  close(): void {
    this.#closed = true;
    this.#count = 0;
  }
}
