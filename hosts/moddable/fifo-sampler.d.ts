/**
 * Types of fifo-sampler.js, the native FIFO sampler of ESP32 builds (module
 * "hosts/moddable/fifo-sampler"; host.io.FifoSampler): the Host interface's own
 * shapes (firmware/host.ts), plus the native counters it adds.
 */
import type { FifoSampler as HostFifoSampler, FifoSamplerOptions } from "../../firmware/host.js";

export type { FifoProgram, FifoSamplerOptions } from "../../firmware/host.js";

export interface FifoSamplerInstance extends HostFifoSampler {
  /** FIFO overruns seen, transfers that failed, and the last ESP-IDF error code. */
  readonly overruns: number;
  readonly errors: number;
  readonly lastError: number;
}

export interface FifoSamplerConstructor {
  new (options: FifoSamplerOptions): FifoSamplerInstance;
}

declare const FifoSampler: FifoSamplerConstructor;
export default FifoSampler;
