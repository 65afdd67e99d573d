/*
 * Acquisition: polls the accelerometer FIFO on a repeating timer and cuts the
 * stream into windows of n samples per axis, time-stamped on the monotonic clock.
 *
 * Timing: samples are assumed contiguous at the ODR. Each FIFO read is anchored
 * at the clock reading taken just before it (the newest entry was made then, to
 * within one sample period). If the driver reports an overrun, the gap between
 * where the stream was expected to continue and that anchor is counted as lost
 * samples; without an overrun the time base is only re-anchored when it drifts
 * by more than two periods (clock mismatch), so t0 stays smooth.
 *
 * Overrun inside a window: the window is restarted (default, `overrun: "restart"`).
 * The partial window is discarded and the next delivered window reports, in
 * `lost`, the samples dropped by the FIFO plus the partial samples discarded.
 * Why: joining across a gap puts a phase jump (a step) in the window. A step
 * looks like an impact: it inflates kurtosis and crest factor and smears the
 * spectrum, which are exactly the bearing-fault indicators the node alarms on;
 * a window with a gap is not a measurement of the machine. The price is up to
 * one window of time per overrun, and no window at all if overruns are chronic
 * (poll slower than the FIFO fills), which is a configuration fault the node
 * sees as "no window". `overrun: "flag"` keeps the former behaviour: samples
 * join across the gap and the window only reports it in `lost`.
 *
 * Duty cycle (option `duty: {captureMs, periodMs}`): capture for captureMs every
 * periodMs, the first capture at start(). Between captures the poll timer is
 * stopped; each capture begins by discarding what the FIFO accumulated and
 * re-anchoring time, and ends by discarding its partial window, so a window never
 * joins samples across a capture gap (choose captureMs >= whole windows, plus one
 * poll period of margin). Samples skipped between captures are not "lost".
 * Without `duty`, acquisition is continuous.
 *
 * Trigger: a driver with a watermark interrupt (`accel.interrupt`) calls the
 * acquirer's onSample() from its onSample callback when the part's FIFO reaches
 * its watermark (half the FIFO); no poll timer runs then. Without one, the FIFO
 * is polled every pollMs (half the FIFO's fill time, the same cadence).
 *
 * FIFO sampler (option `sampler`, when the host has io.FifoSampler and the driver a
 * `program`): the FIFO is drained on a core of its own into a ring of raw samples
 * (firmware/host.ts, docs/measurement.md); no poll timer runs here. On the sampler's
 * onReadable (this thread) the ring is read in chunks of a FIFO's depth, decoded by
 * the driver into the same path as a FIFO read. Time is anchored on the sampler's
 * snapshot (the last sample read was taken at newestAt - available periods); the
 * samples the sampler lost (FIFO overrun, ring full) count as lost, with the same
 * restart policy as an overrun.
 *
 * Overlap (option `overlap`, a fraction of n; configuration `window.overlap`): the
 * last overlap x n samples of a window are the first of the next, so a window is
 * handed over every hop = n x (1 - overlap) samples. They are moved within the
 * window buffers once the consumer is done with the window (copyWithin with one
 * buffer set, across the two sets otherwise: no RAM beyond the buffers); the next
 * window's t0 is theirs. Samples, lost and discarded count each sample of the stream
 * once: a reused sample is neither read again nor lost again, and a restart after an
 * overrun discards (and reports in `lost`) only the samples new to that window.
 *
 * Buffers: two sets of per-axis arrays of n samples, swapped at each window. The
 * block passed to onWindow (and its arrays) stays valid until the next window
 * is complete, then it is reused. Copy anything that must live longer.
 * `buffers: 1` keeps one set (half the bytes: 24 KiB of counts or 48 KiB of
 * floats at n = 4096) for a consumer done with the block when onWindow returns:
 * the samples that follow in the same FIFO read overwrite it at once.
 *
 * Sample storage: when the driver says its samples are whole 16-bit counts
 * (`lsbG`: ADXL345, LIS3DH), the arrays are Uint16Array holding count + 32768
 * (2 bytes a sample instead of 4: 24 KiB less per set at n = 4096); otherwise
 * (ADXL355's 20 bits, HIL float frames) Float32Array of g. Read a sample as
 * g = (value - block.offset) * block.scale (scale 1, offset 0 for floats). Why
 * the offset: a typed-array store truncates toward zero, so adding half a count
 * rounds only values that are all positive; and the features need no offset
 * removed (FeatureExtractor.compute takes the scale only).
 */
import type { Clock, CpuMeter, FifoSampler, FifoSamplerConstructor, SMBusConstructor, SMBusOptions, TimerId, Timers } from "../host.js";
import type { Accelerometer } from "../drivers/accelerometer.js";
import { asError } from "../util/format.js";

/** A window's per-axis samples: float32 g, or counts offset to be positive (see SampleScale). */
export type WindowSamples = Float32Array | Uint16Array;

/** How to read window samples as g: g = (value - offset) * scale. */
export interface SampleScale {
  /** g per unit of the stored value (1 for float g). */
  scale: number;
  /** Stored value of 0 g (0 for float g). */
  offset: number;
}

/** Samples already in g (float windows, spectra). */
export const IN_G: Readonly<SampleScale> = { scale: 1, offset: 0 };

export interface WindowBlock extends SampleScale {
  /** Monotonic ms of the first sample. */
  t0: number;
  /** Sample rate, Hz. */
  odr: number;
  /** Samples per axis. */
  n: number;
  /**
   * Samples lost to FIFO overrun while this window was filled (estimate); with
   * the restart policy, also those of windows restarted before this one
   * (dropped by the FIFO plus discarded partial windows).
   */
  lost: number;
  x: WindowSamples;
  y: WindowSamples;
  z: WindowSamples;
}

export interface AcquirerOptions {
  timers: Timers;
  clock: Clock;
  accel: Accelerometer;
  /** Window length in samples per axis. */
  n: number;
  /** Poll period, ms. Default: the time to fill half the FIFO at the ODR. */
  pollMs?: number;
  onWindow: (block: WindowBlock) => void;
  /** Driver errors; acquisition keeps polling and retries at the next tick. */
  onError: (error: Error) => void;
  /** Duty cycle: capture captureMs every periodMs (0 < captureMs <= periodMs). Default: continuous. */
  duty?: { captureMs: number; periodMs: number };
  /** On FIFO overrun with lost samples inside a window: restart it (default) or join and flag `lost`. */
  overrun?: "restart" | "flag";
  /** Share of a window repeated at the start of the next, 0 (default) to OVERLAP_MAX, overlap x n a whole number of samples. */
  overlap?: number;
  /** Sets of window buffers: 2 (default) keep the block valid until the next window; 1 only during onWindow. */
  buffers?: 1 | 2;
  /** The simulator's CPU model (host.cpu): samples read are charged as "fifo" work ("fifoDecode" when the driver decodes the sampler's to g). */
  cpu?: CpuMeter;
  /** The host's FIFO sampler (used when the driver has a program and decode), the part's SMBus options, and the ring's length in ms. */
  sampler?: { io: FifoSamplerConstructor; sensor: SMBusOptions & { io: SMBusConstructor }; ringMs: number };
}

/** Largest window overlap: a window every quarter window at most (features four times as often as without). */
export const OVERLAP_MAX = 0.75;
/** Overlaps are whole eighths of a window: the hop is a whole number of samples for every window length (n >= 8). */
export const OVERLAP_STEP = 0.125;

/** Reads per poll when the FIFO keeps coming back full (bounds the time spent in one tick). */
const MAX_READS_PER_POLL = 4;
/** Stored value of a zero count in 2-byte windows: counts -32768..32767 become 0..65535. */
const COUNT_OFFSET = 32768;
/** Added before the store truncates: rounds to the nearest count (the stored value is never negative). */
const HALF_COUNT = 0.5;

export class Acquirer {
  readonly n: number;
  /** Samples between the starts of two windows: n x (1 - overlap). */
  readonly hop: number;
  readonly pollMs: number;
  /** Totals since construction. */
  samples = 0;
  lost = 0;
  windows = 0;
  /** Windows restarted after an overrun, and the partial-window samples they discarded. */
  restarts = 0;
  discarded = 0;
  /** Captures begun (duty cycle), or 1 per start() when continuous. */
  captures = 0;
  #o: AcquirerOptions;
  #timer: TimerId | undefined;
  #dutyTimer: TimerId | undefined;
  #endTimer: TimerId | undefined;
  #started = false;
  #capturing = false;
  #restart: boolean;
  #blocks: [WindowBlock, WindowBlock];
  #current = 0;
  #fill = 0;
  /** Samples at the start of the current window carried over from the previous one (overlap). */
  #kept = 0;
  #windowLost = 0;
  #odr = 0;
  #period = 0;
  #next = NaN; // expected time of the next sample, ms
  #scratch: Float32Array;
  #depth: number;
  /** Stored value = g * #perG + #bias (counts: 1 / lsbG and COUNT_OFFSET + HALF_COUNT; floats: 1 and 0). */
  #counts: boolean;
  #gPerUnit = 1;
  #perG = 1;
  #bias = 0;
  #sampler: FifoSampler | undefined;
  /** Raw samples read from the sampler's ring (one FIFO's depth); made when first needed. */
  #raw: Uint8Array | undefined;
  /** #raw as int16 (program.int16Counts on a little-endian CPU: the ESP32, x86, ARM). */
  #raw16: Int16Array | undefined;
  /** The sampler's lost count already accounted for. */
  #samplerLost = 0;

  constructor(options: AcquirerOptions) {
    this.#o = options;
    this.n = options.n;
    const overlap = options.overlap ?? 0;
    const kept = options.n * overlap;
    if (!(overlap >= 0 && overlap <= OVERLAP_MAX && kept === Math.floor(kept))) {
      throw new RangeError(`overlap: need 0..${OVERLAP_MAX} with overlap x n whole (${overlap} x ${options.n})`);
    }
    this.hop = options.n - kept;
    this.#depth = options.accel.fifoDepth > 0 ? options.accel.fifoDepth : 32;
    this.pollMs = options.pollMs ?? ((this.#depth / 2) * 1000) / options.accel.odr;
    const counts = options.accel.lsbG !== undefined;
    this.#counts = counts;
    if (counts) this.#bias = COUNT_OFFSET + HALF_COUNT;
    const Samples = counts ? Uint16Array : Float32Array;
    const block = (): WindowBlock => ({
      t0: 0,
      odr: 0,
      n: options.n,
      lost: 0,
      scale: 1,
      offset: counts ? COUNT_OFFSET : 0,
      x: new Samples(options.n),
      y: new Samples(options.n),
      z: new Samples(options.n),
    });
    const first = block();
    this.#blocks = [first, options.buffers === 1 ? first : block()];
    this.#scratch = new Float32Array(3 * this.#depth);
    this.#restart = options.overrun !== "flag";
    const duty = options.duty;
    if (duty && !(duty.captureMs > 0 && duty.periodMs >= duty.captureMs)) {
      throw new RangeError(`duty cycle: need 0 < captureMs <= periodMs (${duty.captureMs}, ${duty.periodMs})`);
    }
  }

  /** True between start() and stop() (also between two captures of a duty cycle). */
  get running(): boolean {
    return this.#started;
  }

  /** True when the FIFO is drained by the host's sampler (a core of its own) rather than polled here. */
  get sampled(): boolean {
    const a = this.#o.accel;
    return this.#o.sampler !== undefined && a.program !== undefined && a.decode !== undefined;
  }

  /** Samples in the sampler's ring (ring capacity), or 0 without a sampler. */
  get ringSamples(): number {
    return this.sampled ? Math.ceil((this.#o.sampler!.ringMs * this.#o.accel.odr) / 1000) : 0;
  }

  /** True while samples are being read (always when running continuously). */
  get capturing(): boolean {
    return this.#capturing;
  }

  /** The driver's watermark interrupt (its onSample): drains the FIFO, while capturing. */
  onSample(): void {
    if (this.#capturing) this.poll();
  }

  /** Starts acquisition (with a duty cycle: the first capture now, then one every periodMs). */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    const duty = this.#o.duty;
    if (duty) this.#dutyTimer = this.#o.timers.set(() => this.#beginCapture(), duty.periodMs, duty.periodMs);
    this.#beginCapture();
  }

  stop(): void {
    this.#started = false;
    this.#o.timers.clear(this.#dutyTimer);
    this.#dutyTimer = undefined;
    this.#endCapture();
  }

  /** Discards what the FIFO holds (stale samples) and starts polling. */
  #beginCapture(): void {
    if (this.#capturing) this.#endCapture();
    this.captures++;
    this.#odr = this.#o.accel.odr;
    this.#period = 1000 / this.#odr;
    if (this.#counts) {
      // read per capture like the ODR: a reconfigured range changes the count's weight
      this.#gPerUnit = this.#o.accel.lsbG!;
      this.#perG = 1 / this.#gPerUnit;
    }
    this.#fill = 0;
    this.#kept = 0;
    this.#windowLost = 0;
    this.#next = NaN;
    try {
      for (let i = 0; i < MAX_READS_PER_POLL; i++) {
        if (this.#o.accel.readFifo(this.#scratch, this.#depth) < this.#depth) break;
      }
    } catch (error) {
      this.#o.onError(asError(error));
    }
    this.#capturing = true;
    if (this.sampled) this.#openSampler();
    else if (!this.#o.accel.interrupt) this.#timer = this.#o.timers.set(() => this.poll(), this.pollMs, this.pollMs);
    const duty = this.#o.duty;
    if (duty && duty.captureMs < duty.periodMs) this.#endTimer = this.#o.timers.set(() => this.#endCapture(), duty.captureMs);
  }

  /** Stops reading and drops the partial window (it never joins the next capture). */
  #endCapture(): void {
    this.#capturing = false;
    const sampler = this.#sampler;
    this.#sampler = undefined;
    sampler?.close();
    this.#o.timers.clear(this.#timer);
    this.#timer = undefined;
    this.#o.timers.clear(this.#endTimer);
    this.#endTimer = undefined;
    this.#fill = 0;
    this.#kept = 0;
    this.#windowLost = 0;
    this.#next = NaN;
  }

  /** One poll (the timer calls it; tests may too). */
  poll(): void {
    const { accel, clock } = this.#o;
    const period = this.#period;
    const scratch = this.#scratch;
    for (let round = 0; round < MAX_READS_PER_POLL; round++) {
      const anchor = clock.now();
      let got: number;
      try {
        got = accel.readFifo(scratch, this.#depth);
      } catch (error) {
        this.#o.onError(asError(error));
        return;
      }
      if (got === 0) return;
      this.#o.cpu?.charge("fifo", got);
      const first = anchor - (got - 1) * period;
      if (this.#next !== this.#next) {
        this.#next = first;
      } else if (accel.overrun) {
        this.#lose(Math.round((first - this.#next) / period));
        this.#next = first;
      } else if (Math.abs(first - this.#next) > 2 * period) {
        this.#next = first;
      }
      this.#pushAll(scratch, got, this.#perG, this.#bias);
      if (got < this.#depth) return;
    }
  }

  /** Samples the stream lost: counted, and the partial window restarted (policy "restart"). */
  #lose(gap: number): void {
    if (!(gap > 0)) return;
    this.lost += gap;
    this.#windowLost += gap;
    if (this.#restart && this.#fill > 0) {
      // The samples carried over from the previous window were delivered with it: not discarded here.
      const fresh = this.#fill - this.#kept;
      this.restarts++;
      this.discarded += fresh;
      this.#windowLost += fresh;
      this.#fill = 0;
      this.#kept = 0;
    }
  }

  #openSampler(): void {
    const { accel, sampler } = this.#o;
    const program = accel.program!;
    if (!this.#raw || this.#raw.length !== this.#depth * program.sampleBytes) {
      this.#raw = new Uint8Array(this.#depth * program.sampleBytes);
      this.#raw16 = program.int16Counts ? new Int16Array(this.#raw.buffer, 0, 3 * this.#depth) : undefined;
    }
    this.#samplerLost = 0;
    this.#sampler = new sampler!.io({
      sensor: sampler!.sensor,
      program,
      capacity: this.ringSamples,
      pollMs: this.pollMs,
      odr: this.#odr,
      onReadable: () => this.#drain(),
      // A bus failure on the sampler's core is the driver's error, as a polled read would throw it.
      onError: (error) => this.#o.onError(error),
    });
  }

  /** Reads the sampler's ring in chunks into the windows (its onReadable, on this thread). */
  #drain(): void {
    const sampler = this.#sampler;
    if (!sampler) return;
    const { accel, cpu } = this.#o;
    const raw = this.#raw!;
    // Whole int16 counts in lsbG units go to the count windows as they are (no decode to g and back).
    const raw16 = this.#counts ? this.#raw16 : undefined;
    const scratch = this.#scratch;
    const period = this.#period;
    // Bounded: at most a ring's worth per call (the sampler posts again while samples wait).
    for (let total = 0, bound = this.ringSamples; total < bound; ) {
      let got: number;
      let decoded: number;
      try {
        got = sampler.read(raw, this.#depth);
        if (got === 0) return;
        decoded = raw16 !== undefined ? got : accel.decode!(raw, got, scratch);
      } catch (error) {
        this.#o.onError(asError(error));
        return;
      }
      total += got;
      cpu?.charge(raw16 !== undefined ? "fifo" : "fifoDecode", got);
      const last = sampler.newestAt - sampler.available * period;
      const first = last - (decoded - 1) * period;
      const lost = sampler.lost - this.#samplerLost + (got - decoded);
      this.#samplerLost = sampler.lost;
      if (this.#next !== this.#next) this.#next = first;
      else if (lost > 0) {
        this.#lose(lost);
        this.#next = first;
      } else if (Math.abs(first - this.#next) > 2 * period) this.#next = first;
      if (raw16 !== undefined) this.#pushAll(raw16, decoded, 1, COUNT_OFFSET);
      else this.#pushAll(scratch, decoded, this.#perG, this.#bias);
      if (this.#sampler !== sampler) return; // stopped by the window's consumer
    }
  }

  /**
   * Stores `count` interleaved x, y, z samples of `src` into the windows as
   * value * perG + bias (g: #perG and #bias; int16 counts: 1 and COUNT_OFFSET), handing
   * each full window to onWindow; stops early if onWindow ended or restarted the
   * capture. Per sample this is the node's hottest loop: state lives in locals
   * (a private field read per value costs XS more than the store).
   */
  #pushAll(src: Float32Array | Int16Array, count: number, perG: number, bias: number): void {
    const capture = this.captures;
    const period = this.#period;
    const n = this.n;
    let k = 0;
    while (k < count) {
      const block = this.#blocks[this.#current];
      const x = block.x;
      const y = block.y;
      const z = block.z;
      const from = this.#fill;
      let next = this.#next;
      if (from === 0) block.t0 = next;
      const end = from + (count - k < n - from ? count - k : n - from);
      for (let i = from, j = 3 * k; i < end; i++, j += 3) {
        x[i] = src[j] * perG + bias;
        y[i] = src[j + 1] * perG + bias;
        z[i] = src[j + 2] * perG + bias;
        next += period;
      }
      this.#next = next;
      this.samples += end - from;
      k += end - from;
      this.#fill = end;
      if (end < n) return;
      block.odr = this.#odr;
      block.scale = this.#gPerUnit;
      block.lost = this.#windowLost;
      this.#fill = 0;
      this.#windowLost = 0;
      this.#current ^= 1;
      this.windows++;
      this.#o.onWindow(block);
      if (!this.#capturing || this.captures !== capture) return;
      const hop = this.hop;
      if (hop < n) {
        // Overlap: the last n - hop samples of the window just handed over start the one being filled.
        const to = this.#blocks[this.#current];
        if (to === block) {
          x.copyWithin(0, hop);
          y.copyWithin(0, hop);
          z.copyWithin(0, hop);
        } else {
          to.x.set(x.subarray(hop));
          to.y.set(y.subarray(hop));
          to.z.set(z.subarray(hop));
        }
        to.t0 = this.#next - (n - hop) * period;
        this.#fill = this.#kept = n - hop;
      }
    }
  }
}
