/**
 * Types of fifo-sampler.js, the native FIFO sampler of ESP32 builds (module
 * "hosts/moddable/fifo-sampler"; host.io.FifoSampler). Self-contained, with the
 * shapes the firmware's Host interface gives them (firmware/host.ts: FifoProgram,
 * FifoSampler); when that file exports them, these stay structurally equal.
 */
export interface FifoProgram {
  readonly levelRegister: number;
  readonly levelMask: number;
  readonly levelDivisor: number;
  /** 1, or 2: the level is the second byte read from levelRegister, the first a status byte. */
  readonly levelBytes: 1 | 2;
  /** Without `register`, `mask` applies to the first byte read from levelRegister; `whenFull`: read the register only when the level is `depth`. */
  readonly overrun?: { readonly register?: number; readonly mask: number; readonly whenFull?: boolean };
  readonly dataRegister: number;
  readonly sampleBytes: number;
  /** 1: one burst per sample; otherwise up to this many samples (the whole level) in one burst. */
  readonly samplesPerRead: number;
  readonly depth: number;
}

export interface FifoSamplerOptions {
  sensor: { io?: unknown; address: number; hz?: number; port?: number; data?: number | string; clock?: number | string };
  program: FifoProgram;
  /** Samples in the ring. */
  capacity: number;
  pollMs: number;
  /** The watermark line: a GPIO interrupt wakes the task (the poll timer keeps running). `mode` and `edge` are Digital's constants. */
  interrupt?: { io?: unknown; pin: number | string; mode?: number; edge?: number };
  onReadable?(samples: number): void;
}

export interface FifoSamplerInstance {
  /** Copies up to maxSamples whole samples of raw bytes, oldest first; returns how many. */
  read(into: Uint8Array, maxSamples?: number): number;
  /** Time.ticks (ms) when the newest sample in the ring was read. */
  readonly newestAt: number;
  /** Samples lost: FIFO overrun or ring full. */
  readonly lost: number;
  readonly available: number;
  readonly overruns: number;
  readonly errors: number;
  readonly lastError: number;
  close(): void;
}

export interface FifoSamplerConstructor {
  new (options: FifoSamplerOptions): FifoSamplerInstance;
}

declare const FifoSampler: FifoSamplerConstructor;
export default FifoSampler;
