/*
 * The I2C framing of sensors with a pointer register and 16-bit registers sent
 * MSB first (TMP117, MCP9808): the first byte of a write sets the pointer, then
 * each pair of bytes writes the pointed register; a read returns it MSB then
 * LSB, latched at the MSB so a conversion between the two bytes cannot tear it.
 * A device extends this and keeps its registers and their rules.
 */
import type { I2CTarget } from "../bus.js";

export abstract class WordRegisterTarget implements I2CTarget {
  /** false simulates an unplugged sensor: every address phase is NACKed. */
  present = true;
  #pointerMask: number;
  #pointer = 0;
  #pointerPending = false;
  #lsbNext = false;
  #latched = 0;
  #writeMsb = 0;

  constructor(pointerMask: number) {
    this.#pointerMask = pointerMask;
  }

  /** The register's value as a read of it starts (read side effects go here). */
  protected abstract readWord(reg: number): number;
  protected abstract writeWord(reg: number, value: number): void;
  /** Registers one byte wide (MCP9808 RESOLUTION): one byte read or written. */
  protected byteWide(_reg: number): boolean {
    return false;
  }
  /** Called at each address phase, before the transfer (a device brings its conversions up to date). */
  protected abstract beforeTransfer(): void;

  start(read: boolean): boolean {
    if (!this.present) return false;
    this.beforeTransfer();
    this.#pointerPending = !read;
    this.#lsbNext = false;
    return true;
  }

  write(byte: number): boolean {
    if (!this.present) return false;
    if (this.#pointerPending) {
      this.#pointer = byte & this.#pointerMask;
      this.#pointerPending = false;
    } else if (this.byteWide(this.#pointer)) {
      this.writeWord(this.#pointer, byte);
    } else if (!this.#lsbNext) {
      this.#writeMsb = byte;
      this.#lsbNext = true;
    } else {
      this.writeWord(this.#pointer, (this.#writeMsb << 8) | byte);
      this.#lsbNext = false;
    }
    return true;
  }

  read(): number {
    if (this.byteWide(this.#pointer)) return this.readWord(this.#pointer) & 0xff;
    if (!this.#lsbNext) {
      this.#latched = this.readWord(this.#pointer);
      this.#lsbNext = true;
      return this.#latched >> 8;
    }
    this.#lsbNext = false;
    return this.#latched & 0xff;
  }

  stop(): void {
    this.#lsbNext = false;
  }
}
