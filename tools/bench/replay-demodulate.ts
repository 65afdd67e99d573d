/*
 * The envelope pass at (almost) no XS cost, for the device-path figures: the
 * bench bundles the firmware with this module in place of firmware/dsp/demodulate.ts
 * (as the Moddable manifests put the C pass there), beside replay-spectrum.ts. While
 * recording it is the portable pass and keeps each call's sums; once
 * `spectrumReplay.on` is set, each call copies the next recorded sums back with one
 * native `set` and writes nothing into the kernel, whose next call replays its
 * recorded spectrum (the C pass's time is estimated apart: tools/bench/dsp.ts).
 */
import { Demodulator as Portable } from "../../firmware/dsp/demodulate.js";
import type { WindowSamples } from "../../firmware/dsp/fft-first-pass.js";
import { Replay } from "./replay-spectrum.js";

export { LARGEST, SUM, SUM_SQUARES } from "../../firmware/dsp/demodulate.js";

export class Demodulator extends Portable {
  #replay = new Replay();

  override run(samples: WindowSamples): void {
    if (this.#replay.playInto(this.sums)) return;
    super.run(samples);
    this.#replay.record(this.sums);
  }
}
