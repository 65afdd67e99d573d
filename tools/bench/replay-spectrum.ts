/*
 * A spectrum kernel that costs (almost) nothing in XS, for the device-path
 * figure: the bench bundles the feature extractor with this module in place of
 * firmware/dsp/spectrum.ts (as the Moddable manifests put the C kernel there).
 * While recording it is the portable kernel and keeps each call's power
 * spectrum; once `spectrumReplay.on` is set, each call copies the next recorded
 * spectrum back with one native `set` (a few computrons per axis), so the
 * features and their data-dependent cost are those of the real spectra.
 */
import { PowerSpectrum as Portable } from "../../firmware/dsp/spectrum.js";

export const spectrumReplay = { on: false };

type Result = Float64Array | Float32Array;

/** Results kept while recording, given back in turn once `spectrumReplay.on` (one native `set` each). Also replay-demodulate.ts's. */
export class Replay {
  #recorded: Result[] = [];
  #next = 0;

  /** Copies the next recorded result into `into`; false while recording (or before anything was recorded). */
  playInto(into: Result): boolean {
    if (!spectrumReplay.on || this.#recorded.length === 0) return false;
    into.set(this.#recorded[this.#next]);
    this.#next = (this.#next + 1) % this.#recorded.length;
    return true;
  }

  record(result: Result): void {
    this.#recorded.push(result.slice());
  }
}

export class PowerSpectrum extends Portable {
  #replay = new Replay();

  override powerX4(h: number): void {
    if (this.#replay.playInto(this.power)) return;
    super.powerX4(h);
    this.#replay.record(this.power);
  }
}
