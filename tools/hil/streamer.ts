/*
 * The HIL stimulus: the scenario's machine (sim/machine/machine.ts) sampled at
 * the node's ODR, cut into frames of `frameMs` (firmware/drivers/hil.ts) and
 * published in real time: frame k (samples up to (k + 1) x frameMs of signal
 * time) goes out once that much real time has passed since start(), so a late
 * timer sends the frames it owes at once rather than drifting. `set` events
 * apply at their exact sample time.
 */
import type * as mqtt from "mqtt";
import { Machine } from "../../sim/machine/machine.js";
import { encodeHilFrame, FRAME_MAX_SAMPLES } from "../../firmware/drivers/hil.js";
import type { Scenario, SetEvent } from "../scenario/parse.js";

export interface StreamerOptions {
  client: mqtt.MqttClient;
  topic: string;
  scenario: Scenario;
  odr: number;
  /** Frame period, ms (default 50). */
  frameMs?: number;
  format?: "int16" | "float32";
  /** g per LSB for int16 (default 16 g / 32767). */
  scale?: number;
}

export interface StreamerStats {
  framesSent: number;
  /** Frames the broker acknowledged (PUBACK). */
  framesAcked: number;
  samplesSent: number;
  /** Largest delay of a frame timer behind its schedule, ms. */
  maxLateMs: number;
}

export class FrameStreamer {
  readonly stats: StreamerStats = { framesSent: 0, framesAcked: 0, samplesSent: 0, maxLateMs: 0 };
  readonly machine: Machine;
  #o: StreamerOptions;
  #events: SetEvent[];
  #sample = 0;
  #seq = 0;
  #t0 = 0;
  #timer: NodeJS.Timeout | undefined;
  #frameMs: number;
  #perFrame: number;

  constructor(o: StreamerOptions) {
    this.#o = o;
    this.#frameMs = o.frameMs ?? 50;
    this.machine = new Machine({ seed: o.scenario.seed, ...o.scenario.machine, sample_rate_hz: o.odr });
    this.#events = o.scenario.events.slice().sort((a, b) => a.at_s - b.at_s);
    this.#perFrame = (o.odr * this.#frameMs) / 1000;
    if (!(this.#perFrame >= 1 && this.#perFrame <= FRAME_MAX_SAMPLES)) throw new RangeError(`HIL frames of ${this.#frameMs} ms at ${o.odr} Hz hold ${this.#perFrame} samples (1..${FRAME_MAX_SAMPLES})`);
  }

  /** Signal seconds streamed so far. */
  get streamedS(): number {
    return this.#sample / this.#o.odr;
  }

  start(t0 = performance.now()): void {
    this.#t0 = t0;
    let due = 0;
    const tick = () => {
      const elapsed = performance.now() - this.#t0;
      this.stats.maxLateMs = Math.max(this.stats.maxLateMs, elapsed - due);
      // Whole frames only, on a fixed grid: frame k holds samples [end(k-1), end(k)), end(k) = round((k+1) x samples per frame).
      this.#sendFrames(Math.floor(elapsed / this.#frameMs));
      due = (Math.floor(elapsed / this.#frameMs) + 1) * this.#frameMs;
      this.#timer = setTimeout(tick, Math.max(0, due - (performance.now() - this.#t0)));
    };
    tick();
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Stops, having sent every frame due by `elapsedMs` after start(): a late last timer does not cut the stimulus short. */
  finish(elapsedMs: number): void {
    this.stop();
    this.#sendFrames(Math.floor(elapsedMs / this.#frameMs));
  }

  /** Generates and publishes frames up to (not including) frame number `frames`. */
  #sendFrames(frames: number): void {
    const { odr, format, scale, client, topic } = this.#o;
    while (this.#seq < frames) {
      const count = Math.round((this.#seq + 1) * this.#perFrame) - this.#sample;
      const xyz = new Float32Array(count * 3);
      for (let i = 0; i < count; i++) {
        const t = (this.#sample + i) / odr;
        while (this.#events.length && this.#events[0].at_s <= t) {
          const e = this.#events.shift()!;
          this.machine.set(e.path, e.value, e.at_s);
        }
        xyz[3 * i] = this.machine.acceleration(0, t);
        xyz[3 * i + 1] = this.machine.acceleration(1, t);
        xyz[3 * i + 2] = this.machine.acceleration(2, t);
      }
      const payload = encodeHilFrame(this.#seq++, odr, xyz, format ?? "int16", scale);
      this.#sample += count;
      this.stats.framesSent++;
      this.stats.samplesSent += count;
      client.publish(topic, Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength), { qos: 1 }, (error) => {
        if (!error) this.stats.framesAcked++;
      });
    }
  }
}
