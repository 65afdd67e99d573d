/*
 * A simulated node's two OTA app slots and otadata, with ESP-IDF's app
 * rollback rules (docs/ota.md, "Flash layout"): an image written into the
 * other slot boots only after complete(); it boots first "pending verify" and
 * stays only once confirmed (markValid); a reset before that, for whatever
 * reason, aborts it and boots the previous image. A slot write cut by a power
 * loss is never booted. The flash outlives the firmware's restarts, as the
 * chip's does.
 */

/** ESP-IDF's esp_ota_img_states_t, plus a slot nothing bootable was written to. */
export type ImageState = "valid" | "new" | "pending-verify" | "aborted" | "empty";

export interface FlashSlot {
  readonly label: string;
  /** The image's bytes; undefined for the image built into the simulator (the factory flash). */
  image: Uint8Array | undefined;
  state: ImageState;
}

export interface BootedImage {
  slot: FlashSlot;
  pendingVerify: boolean;
}

export class SimFlash {
  readonly slotBytes: number;
  readonly slots: readonly [FlashSlot, FlashSlot];
  /** otadata: the slot the boot loader picks. */
  #boot: 0 | 1 = 0;
  #running: 0 | 1 = 0;
  /** Why the boot loader went back to the running image (a new one failed), until the next update. */
  rollbackReason: string | undefined;
  /** Bytes written into the other slot since the last begin() (what a power cut interrupts). */
  written = 0;

  /** `slotBytes`: each slot's size; `factory`: the image flashed over USB into ota_0 (undefined: the built-in one). */
  constructor(slotBytes: number, factory?: Uint8Array) {
    this.slotBytes = slotBytes;
    this.slots = [
      { label: "ota_0", image: factory, state: "valid" },
      { label: "ota_1", image: undefined, state: "empty" },
    ];
  }

  get running(): FlashSlot {
    return this.slots[this.#running];
  }

  /** What a reset boots: a new image on probation; an image that was on probation already is aborted, and the other boots. */
  bootloader(): BootedImage {
    let slot = this.slots[this.#boot];
    if (slot.state === "pending-verify") {
      slot.state = "aborted";
      this.rollbackReason ??= "the new image restarted before confirming itself";
      this.#boot = this.#other(this.#boot);
    } else if (slot.state === "new") {
      slot.state = "pending-verify";
    } else if (slot.state !== "valid") {
      this.#boot = this.#other(this.#boot); // never boot a slot that holds nothing bootable
    }
    slot = this.slots[this.#boot];
    this.#running = this.#boot;
    return { slot, pendingVerify: slot.state === "pending-verify" };
  }

  /** The running image crashed: the reason the previous image will report if this one was on probation. */
  crashed(reason: string): void {
    if (this.running.state === "pending-verify") this.rollbackReason = reason;
  }

  /** Opens the other slot for `size` bytes. Nothing boots from it until complete(). */
  begin(size: number): { write(bytes: Uint8Array): void; complete(): void; cancel(): void } {
    if (!Number.isInteger(size) || size <= 0 || size > this.slotBytes) throw new Error(`an image of ${size} bytes does not fit a ${this.slotBytes}-byte slot`);
    const index = this.#other(this.#running);
    const slot = this.slots[index];
    slot.state = "empty";
    slot.image = new Uint8Array(size);
    this.written = 0;
    return {
      write: (bytes) => {
        if (slot.state !== "empty" || this.written + bytes.length > size) throw new Error(`write past the ${size} bytes begun`);
        slot.image!.set(bytes, this.written);
        this.written += bytes.length;
      },
      complete: () => {
        if (this.written !== size) throw new Error(`${this.written} of ${size} bytes written`);
        slot.state = "new";
        this.#boot = index;
        this.rollbackReason = undefined;
      },
      cancel: () => {
        if (slot.state === "empty") slot.image = undefined;
      },
    };
  }

  markValid(): void {
    this.running.state = "valid";
  }

  /** The running image gives up (esp_ota_mark_app_invalid_rollback_and_reboot): the previous one boots at the next reset. */
  rollback(reason: string): void {
    if (this.running.state !== "pending-verify") return;
    this.running.state = "aborted";
    this.rollbackReason = reason;
    this.#boot = this.#other(this.#running);
  }

  #other(index: 0 | 1): 0 | 1 {
    return index === 0 ? 1 : 0;
  }
}
