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

export class PowerSpectrum extends Portable {
  #recorded: (Float64Array | Float32Array)[] = [];
  #next = 0;

  override powerX4(h: number): void {
    if (spectrumReplay.on && this.#recorded.length > 0) {
      this.power.set(this.#recorded[this.#next]);
      this.#next = (this.#next + 1) % this.#recorded.length;
      return;
    }
    super.powerX4(h);
    this.#recorded.push(this.power.slice());
  }
}
