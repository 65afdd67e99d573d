/*
 * GPIO inputs of a simulated board: the Host's ECMA-419 Digital class, each
 * pin following the part output wired to it (an accelerometer's INT1, see
 * SimFifoAccelerometer.interruptOutput). onReadable fires after an edge the
 * input asked for (Rising, Falling or both), checked
 *   - when the part says its level changes by itself (the FIFO reaching its
 *     watermark at a known sample time): a timer at that virtual time;
 *   - after every transfer to the part (a read that drains the FIFO lowers the
 *     line; a configuration may raise it): a timer at 0 ms, so the check runs
 *     after the transfer's bus time, outside the driver's call.
 * XS-compatible.
 */
import type { Clock, Digital, DigitalConstructor, DigitalOptions, TimerId, Timers } from "../firmware/host.js";
import type { SimInterruptOutput } from "./devices/fifo-accelerometer.js";

/** GPIO number (as a string key) -> the part output wired to it. */
export type SimWiring = { readonly [pin: string]: SimInterruptOutput };

/** ECMA-419 constants (the Moddable SDK's values). */
const Mode = Object.freeze({ Input: 0, InputPullUp: 1, InputPullDown: 2, InputPullUpDown: 3, Output: 8, OutputOpenDrain: 9 });
const Edge = Object.freeze({ Rising: 1, Falling: 2 });

/** The Digital class of a board wired as `wiring` says, on the given timers and clock (the host's, so a halted CPU stops them too). */
export function simDigitalClass(wiring: SimWiring, timers: Timers, clock: Clock): DigitalConstructor {
  return class SimDigital implements Digital {
    static readonly Input = Mode.Input;
    static readonly InputPullUp = Mode.InputPullUp;
    static readonly InputPullDown = Mode.InputPullDown;
    static readonly InputPullUpDown = Mode.InputPullUpDown;
    static readonly Output = Mode.Output;
    static readonly OutputOpenDrain = Mode.OutputOpenDrain;
    static readonly Rising = Edge.Rising;
    static readonly Falling = Edge.Falling;

    #output: SimInterruptOutput;
    #edge: number;
    #onReadable: (() => void) | undefined;
    #level: 0 | 1;
    #timer: TimerId | undefined;
    #unwatch: (() => void) | undefined;

    constructor(options: DigitalOptions) {
      const output = wiring[String(options.pin)];
      if (!output) throw new Error(`GPIO ${options.pin}: nothing is wired to it on the simulated board`);
      if (options.mode !== Mode.Input && options.mode !== Mode.InputPullUp && options.mode !== Mode.InputPullDown && options.mode !== Mode.InputPullUpDown) {
        throw new Error(`GPIO ${options.pin}: only inputs are simulated (mode ${options.mode})`);
      }
      this.#output = output;
      this.#edge = options.edge ?? 0;
      this.#onReadable = options.onReadable;
      this.#level = output.level();
      if (this.#onReadable && this.#edge) {
        this.#unwatch = output.watch(() => this.#check(0));
        this.#arm();
      }
    }

    read(): 0 | 1 {
      return this.#output.level();
    }

    close(): void {
      timers.clear(this.#timer);
      this.#timer = undefined;
      this.#unwatch?.();
      this.#unwatch = undefined;
      this.#onReadable = undefined;
    }

    /** A check in `ms` (replacing a pending one). */
    #check(ms: number): void {
      timers.clear(this.#timer);
      this.#timer = timers.set(() => this.#sample(), ms);
    }

    /** A check when the part's output changes by itself, if it will. */
    #arm(): void {
      const at = this.#output.changeAt();
      if (at !== Infinity) this.#check(Math.max(0, at - clock.now()));
    }

    #sample(): void {
      this.#timer = undefined;
      const onReadable = this.#onReadable;
      if (!onReadable) return;
      const before = this.#level;
      const level = (this.#level = this.#output.level());
      if (level !== before && this.#edge & (level ? Edge.Rising : Edge.Falling)) onReadable.call(this);
      if (this.#timer === undefined && this.#onReadable) this.#arm();
    }
  };
}
